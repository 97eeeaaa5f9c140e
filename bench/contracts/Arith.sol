// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Tight arithmetic loop: the interpreter's dispatch and 256-bit word ops, nothing else.
contract Arith {
    function run(uint256 n) external pure returns (uint256 acc) {
        assembly {
            // A 255-bit odd modulus so MULMOD/ADDMOD work on full-width words.
            let p := 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed
            let x := 0x9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                x := mulmod(x, 0x5851f42d4c957f2d, p)
                acc := add(acc, xor(x, shl(3, i)))
                acc := sub(mul(acc, 3), shr(7, x))
                acc := addmod(acc, div(x, add(i, 1)), p)
                acc := xor(acc, sar(11, signextend(15, x)))
            }
        }
    }
}
