// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Keccak-heavy: a hash chain over a 256-byte buffer that each round rewrites one word of.
contract Keccak {
    function run(uint256 n) external pure returns (bytes32 h) {
        assembly {
            let buf := mload(0x40)
            for { let j := 0 } lt(j, 8) { j := add(j, 1) } { mstore(add(buf, mul(j, 0x20)), add(j, 0xabcdef)) }
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                h := keccak256(buf, 0x100)
                mstore(add(buf, shl(5, and(i, 7))), xor(h, i))
            }
        }
    }
}
