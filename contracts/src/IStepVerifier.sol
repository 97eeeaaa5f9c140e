// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The single-step verifier a BisectionGame calls at MAX_GAME_DEPTH (OP's IBigStepper,
///         with the local context passed as plain arguments instead of a preimage-oracle key).
interface IStepVerifier {
    /// @param stateData   Preimage of the pre-state claim (the game checks its hash, top byte ignored).
    /// @param proof       Whatever witness the verifier needs for this one step.
    /// @param startingOutputRoot The agreed output root the execution subgame starts from.
    /// @param disputedOutputRoot The output root the execution subgame argues about.
    /// @param l2BlockNumber      The L2 block the disputed output root is claimed for.
    /// @return postState The post-state hash, VM status in the top byte.
    function step(
        bytes calldata stateData,
        bytes calldata proof,
        bytes32 startingOutputRoot,
        bytes32 disputedOutputRoot,
        uint256 l2BlockNumber
    ) external returns (bytes32 postState);
}
