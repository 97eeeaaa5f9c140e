// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice What the game supplies to an execution subgame (prover/DESIGN.md §2.8, OP's local
///         context passed as plain values instead of preimage-oracle keys).
/// @param startingOutputRoot  The agreed output root the execution subgame starts from.
/// @param disputedOutputRoot  The output root the execution subgame argues about.
/// @param l2BlockNumber       The L2 block the disputed output root is claimed for.
/// @param startingBlockNumber The block of the starting output (equal to l2BlockNumber past
///                            the game's block: both outputs then name one block).
/// @param inputsHash          The disputed block's inputs record (§2.7) as the chain committed
///                            it on L1; zero when nothing was committed for that block.
struct LocalContext {
    bytes32 startingOutputRoot;
    bytes32 disputedOutputRoot;
    uint256 l2BlockNumber;
    uint256 startingBlockNumber;
    bytes32 inputsHash;
}

/// @notice The single-step verifier a BisectionGame calls at MAX_GAME_DEPTH (OP's IBigStepper).
interface IStepVerifier {
    /// @param stateData Preimage of the pre-state claim (the game checks its hash, top byte ignored).
    /// @param proof     Whatever witness the verifier needs for this one step.
    /// @param local     The execution subgame's local context.
    /// @return postState The post-state hash, VM status in the top byte.
    function step(bytes calldata stateData, bytes calldata proof, LocalContext calldata local)
        external
        returns (bytes32 postState);
}

/// @notice The BLOCKS part of the MetisVM step verifier: block start and block end, the two steps
///         that read the local context (prover/DESIGN.md §4.2).
interface IMetisBlockPart {
    /// @return The post-state commitment (status in the top byte) of a block start or block end.
    function verifyBlock(bytes calldata stateData, bytes[] calldata preimages, LocalContext calldata local)
        external
        view
        returns (bytes32);
}
