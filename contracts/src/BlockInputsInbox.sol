// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Where a game reads the inputs record (prover/DESIGN.md §2.7) the chain committed for
///         an L2 block: the header template, block context and transaction list the block must
///         be executed from.
interface IBlockInputs {
    /// @return The inputs hash committed for `l2BlockNumber`, zero when none was.
    function inputsHashOf(uint256 l2BlockNumber) external view returns (bytes32);
}

/// @notice The batcher's L1 commitment to each L2 block's inputs, beside the blob that carries
///         the block's data (as Metis Andromeda's canonical transaction chain committed batches
///         on L1). Append-only and contiguous: a block's inputs hash, once committed, never
///         changes, so a game's block start reads the same inputs for its whole life. Watchers
///         check each commitment against the block they derive from the blob.
contract BlockInputsInbox is IBlockInputs {
    error NotBatcher(address sender);
    error OutOfOrder(uint256 expected, uint256 got);
    error EmptyCommit();
    error ZeroInputsHash(uint256 l2BlockNumber);

    event InputsCommitted(uint256 indexed firstBlock, uint256 count);

    /// @notice The only account that may commit.
    address public immutable BATCHER;
    /// @notice The first block not committed yet.
    uint256 public nextBlock;

    mapping(uint256 => bytes32) internal _inputs;

    /// @param firstBlock The first L2 block to be committed (the block after the genesis anchor).
    constructor(address batcher, uint256 firstBlock) {
        BATCHER = batcher;
        nextBlock = firstBlock;
    }

    /// @notice Commits the inputs hashes of blocks firstBlock, firstBlock + 1, ...
    function commit(uint256 firstBlock, bytes32[] calldata hashes) external {
        if (msg.sender != BATCHER) revert NotBatcher(msg.sender);
        if (hashes.length == 0) revert EmptyCommit();
        uint256 n = nextBlock;
        if (firstBlock != n) revert OutOfOrder(n, firstBlock);
        for (uint256 i = 0; i < hashes.length; i++) {
            // Zero means "not committed" to the game: it may not be committed.
            if (hashes[i] == bytes32(0)) revert ZeroInputsHash(n + i);
            _inputs[n + i] = hashes[i];
        }
        nextBlock = n + hashes.length;
        emit InputsCommitted(firstBlock, hashes.length);
    }

    /// @inheritdoc IBlockInputs
    function inputsHashOf(uint256 l2BlockNumber) external view returns (bytes32) {
        return _inputs[l2BlockNumber];
    }
}
