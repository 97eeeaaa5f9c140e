// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Memory-heavy: fill an in-memory array from a 64-bit LCG, quicksort it in
/// place, check the order, and return the array's hash.
contract Sort {
    function run(uint256 n, uint256 seed) external pure returns (bytes32) {
        uint256[] memory a = new uint256[](n);
        uint64 x = uint64(seed);
        unchecked {
            for (uint256 i = 0; i < n; i++) {
                x = x * 6364136223846793005 + 1442695040888963407;
                a[i] = uint256(keccak256(abi.encode(x))) >> 8;
            }
        }
        if (n > 1) quickSort(a, 0, n - 1);
        for (uint256 i = 1; i < n; i++) require(a[i - 1] <= a[i], "not sorted");
        return keccak256(abi.encodePacked(a));
    }

    // Hoare partition around the middle element; recursion on the smaller side
    // keeps the depth logarithmic.
    function quickSort(uint256[] memory a, uint256 lo, uint256 hi) private pure {
        while (lo < hi) {
            uint256 pivot = a[lo + (hi - lo) / 2];
            uint256 i = lo;
            uint256 j = hi;
            while (true) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i >= j) break;
                (a[i], a[j]) = (a[j], a[i]);
                i++;
                j--;
            }
            if (j - lo < hi - j) {
                quickSort(a, lo, j);
                lo = j + 1;
            } else {
                quickSort(a, j + 1, hi);
                hi = j;
            }
        }
    }
}
