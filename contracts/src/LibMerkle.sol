// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Merkle proofs over the trees of ai/DESIGN.md ("Trace commitment"; ai/trace.ts merkleRoot,
///         rangeProof): binary, inner nodes keccak256(left ‖ right), the leaf level zero-padded to a
///         power of two. The leaf hash is the caller's (a tensor chunk: keccak256(chunk); a trace
///         node: its leaf preimage's keccak256; an attributes record: attrsHash).
library LibMerkle {
    /// @dev Root implied by node `h` at position `idx` of its level and `proof`, the siblings from
    ///      that level up to the root: bit i of idx set means the node is the right child at step i
    ///      (sibling hashed first). The caller checks proof.length (the depth) and compares the root.
    function climb(bytes32 h, uint256 idx, bytes32[] calldata proof) internal pure returns (bytes32) {
        for (uint256 i = 0; i < proof.length; i++) {
            h = idx & 1 == 1 ? hashPair(proof[i], h) : hashPair(h, proof[i]);
            idx >>= 1;
        }
        return h;
    }

    /// @dev An inner node: keccak256(a ‖ b).
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}
