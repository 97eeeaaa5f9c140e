// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Compute-heavy: the Mandelbrot set on a w x h grid over [-2, 1] x [-1.2, 1.2]
/// in signed 36.28 fixed point. Returns a rolling digest of the per-pixel
/// escape counts and their sum.
contract Mandelbrot {
    uint256 private constant FRAC = 28;
    int256 private constant ONE = int256(1) << 28;

    function run(uint256 w, uint256 h, uint256 maxIter) external pure returns (uint256 digest, uint256 total) {
        require(w > 0 && h > 0 && w < 1 << 16 && h < 1 << 16, "bad size");
        for (uint256 py = 0; py < h; py++) {
            int256 cy = -(ONE * 6) / 5 + (int256(py) * ((ONE * 12) / 5)) / int256(h);
            for (uint256 px = 0; px < w; px++) {
                int256 cx = -2 * ONE + (int256(px) * 3 * ONE) / int256(w);
                int256 x = 0;
                int256 y = 0;
                uint256 it = 0;
                while (it < maxIter) {
                    int256 x2 = (x * x) >> FRAC;
                    int256 y2 = (y * y) >> FRAC;
                    if (x2 + y2 > 4 * ONE) break;
                    y = ((2 * x * y) >> FRAC) + cy;
                    x = x2 - y2 + cx;
                    it++;
                }
                total += it;
                unchecked {
                    digest = digest * 1099511628211 + it;
                }
            }
        }
    }
}
