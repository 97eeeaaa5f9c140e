// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Storage writes: n fresh slots (cold, zero to non-zero), then a second warm
/// pass that rewrites each, then a read-back checksum.
contract Store {
    uint256[1 << 32] private slots;

    function run(uint256 n) external returns (uint256 sum) {
        for (uint256 i = 0; i < n; i++) {
            slots[i] = uint256(keccak256(abi.encode(i))) | 1;
        }
        unchecked {
            for (uint256 i = 0; i < n; i++) {
                slots[i] = slots[i] ^ (i << 128);
            }
            for (uint256 i = 0; i < n; i++) {
                sum += slots[i];
            }
        }
    }
}
