// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IStepVerifier, LocalContext} from "./IStepVerifier.sol";
import {VMStatus} from "./Types.sol";

/// @notice A test verifier in the spirit of OP's AlphabetVM: a toy "program" that runs
///         PROGRAM_STEPS steps and then halts with a verdict on the disputed output root.
///         It lets games be played end to end before the MetisVM verifier exists.
///
///         Alphabet output roots carry their L2 block number in the top 8 bytes, so the verifier
///         can read the agreed block from the starting root itself (as op-program reads it from
///         the output-root preimage):
///             outputAfter(prev, n) = n << 192 | low 192 bits of keccak256(abi.encode(prev, n)).
///         State data is abi.encode(uint256 stepsDone, uint256 l2BlockNumber); the absolute
///         prestate is abi.encode(0, 0). A state's hash is keccak256 of its data with the top
///         byte set to UNFINISHED before the program halts and to the verdict after it.
contract AlphabetVerifier is IStepVerifier {
    error BadStateData();

    uint256 public immutable PROGRAM_STEPS;

    constructor(uint256 programSteps) {
        if (programSteps == 0) revert BadStateData();
        PROGRAM_STEPS = programSteps;
    }

    /// @inheritdoc IStepVerifier
    function step(bytes calldata stateData, bytes calldata, LocalContext calldata local)
        external
        view
        returns (bytes32 postState)
    {
        if (stateData.length != 64) revert BadStateData();
        (uint256 done,) = abi.decode(stateData, (uint256, uint256));
        if (done > PROGRAM_STEPS) revert BadStateData();
        // A halted program stays halted: stepping it reproduces the same state (trace padding).
        uint256 next = done == PROGRAM_STEPS ? done : done + 1;
        uint8 status = next < PROGRAM_STEPS
            ? VMStatus.UNFINISHED
            : verdict(local.startingOutputRoot, local.disputedOutputRoot, local.l2BlockNumber);
        postState = stateHash(next, local.l2BlockNumber, status);
    }

    /// @notice The hash of the state after `done` steps for block `l2BlockNumber`, with `status`.
    function stateHash(uint256 done, uint256 l2BlockNumber, uint8 status) public pure returns (bytes32) {
        bytes32 h = keccak256(abi.encode(done, l2BlockNumber));
        return bytes32((uint256(h) & ~(uint256(0xff) << 248)) | (uint256(status) << 248));
    }

    /// @notice The alphabet chain's output root of block `n` given the root of block n - 1.
    function outputAfter(bytes32 prev, uint256 n) public pure returns (bytes32) {
        return bytes32((n << 192) | (uint256(keccak256(abi.encode(prev, n))) >> 64));
    }

    /// @notice VALID if `disputed` is the right output root for `l2BlockNumber` given `starting`.
    function verdict(bytes32 starting, bytes32 disputed, uint256 l2BlockNumber) public pure returns (uint8) {
        uint256 startingBlock = uint256(starting) >> 192;
        bytes32 expected;
        // At or below the agreed block nothing is executed: the claim must repeat the agreed root
        // (the game pads the output trace past the proposal with the proposal's block).
        if (l2BlockNumber <= startingBlock) expected = starting;
        else if (l2BlockNumber == startingBlock + 1) expected = outputAfter(starting, l2BlockNumber);
        else return VMStatus.INVALID;
        return disputed == expected ? VMStatus.VALID : VMStatus.INVALID;
    }
}
