// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Game-tree positions as generalised indices: gindex = 2^depth + indexAtDepth, root = 1
///         (OP's LibPosition rules, our code). Every non-root claim sits at an even gindex.
library LibPosition {
    error PositionAboveBound();

    /// @dev Index of the most significant set bit (0 for 0 and 1).
    function msb(uint256 x) internal pure returns (uint256 r) {
        if (x >> 128 != 0) { x >>= 128; r += 128; }
        if (x >> 64 != 0) { x >>= 64; r += 64; }
        if (x >> 32 != 0) { x >>= 32; r += 32; }
        if (x >> 16 != 0) { x >>= 16; r += 16; }
        if (x >> 8 != 0) { x >>= 8; r += 8; }
        if (x >> 4 != 0) { x >>= 4; r += 4; }
        if (x >> 2 != 0) { x >>= 2; r += 2; }
        if (x >> 1 != 0) { r += 1; }
    }

    function depth(uint128 p) internal pure returns (uint256) {
        return msb(p);
    }

    function indexAtDepth(uint128 p) internal pure returns (uint256) {
        return uint256(p) - (uint256(1) << msb(p));
    }

    function parent(uint128 p) internal pure returns (uint128) {
        return p >> 1;
    }

    /// @dev Attack: the left child. Defend: the left child of the right sibling, i.e. 2 * (p | 1).
    function move(uint128 p, bool isAttack) internal pure returns (uint128) {
        return uint128((uint256(p) | (isAttack ? 0 : 1)) << 1);
    }

    /// @dev The rightmost descendant of `p` at `maxDepth`: the trace leaf `p` commits to.
    function rightIndex(uint128 p, uint256 maxDepth) internal pure returns (uint128) {
        uint256 remaining = maxDepth - msb(p);
        return uint128(((uint256(p) + 1) << remaining) - 1);
    }

    function traceIndex(uint128 p, uint256 maxDepth) internal pure returns (uint256) {
        return indexAtDepth(rightIndex(p, maxDepth));
    }

    /// @dev The highest ancestor committing to the same trace index: strip the trailing 1 bits
    ///      (a right child shares its parent's trace index). p ^ (p + 1) = 2^(ones + 1) - 1.
    ///      A position on the right edge is all ones: its ancestor is the root.
    function traceAncestor(uint128 p) internal pure returns (uint128 a) {
        a = uint128(uint256(p) >> msb(uint256(p) ^ (uint256(p) + 1)));
        if (a == 0) a = 1;
    }

    /// @dev As traceAncestor, but never above `bound + 1` (stays within one execution subgame).
    function traceAncestorBounded(uint128 p, uint256 bound) internal pure returns (uint128 a) {
        if (msb(p) <= bound) revert PositionAboveBound();
        a = traceAncestor(p);
        if (msb(a) <= bound) a = rightIndex(a, bound + 1);
    }
}
