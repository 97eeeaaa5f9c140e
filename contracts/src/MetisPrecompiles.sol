// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice MetisVM's precompiles as the on-chain step verifier runs them (prover/DESIGN.md §4.1
///         step 7: "on L1, precompiles that L1 has are called there"). The price is ours, per the
///         L2 fork (vm/precompiles/: EIP-2565/7883 modexp, EIP-1108 bn254, EIP-152 blake2f,
///         EIP-4844 point evaluation, EIP-2537 BLS12-381, EIP-7951 P256VERIFY); the result is
///         L1's own precompile at the same address. Every failure (a bad input, too little gas)
///         consumes all the gas given and returns nothing, as in the interpreter, so only a
///         success needs the exact price. Where L1's precompile would answer differently from the
///         L2 fork (no P256VERIFY on L1; modexp's EIP-7823 bounds on one side only) the call
///         reverts Unprovable instead of guessing.
contract MetisPrecompiles {
    /// @dev The L2 call cannot be judged by this L1's precompiles.
    error Unprovable(uint256 target);
    /// @dev The verifier's transaction left L1's precompile too little gas to answer.
    error VerifierOutOfGas(uint256 target);

    uint256 internal constant FORK_PRAGUE = 1;
    uint256 internal constant FORK_OSAKA = 2;
    uint256 internal constant MODEXP_MAX_LENGTH = 1024;

    /// @dev L1 has P256VERIFY at 0x100 (Osaka), the BLS12-381 set (Prague), and a modexp that refuses
    ///      lengths over 1024 (EIP-7823). L1_FORK prices L1's own calls (0 cancun, 1 prague, 2 osaka).
    bool public immutable L1_HAS_P256;
    bool public immutable L1_HAS_BLS;
    bool public immutable L1_MODEXP_BOUNDED;
    uint256 public immutable L1_FORK;

    constructor() {
        // A valid EIP-7951 vector: L1 answers 1 only if it has the precompile.
        (bool ok, bytes memory out) = address(0x100).staticcall{gas: 50_000}(P256_PROBE);
        L1_HAS_P256 = ok && out.length == 32 && uint256(bytes32(out)) == 1;
        // modexp(base of 1025 bytes = 0, exp 0, mod 1 byte = 3): 1 under EIP-198, a failure under EIP-7823.
        (ok, ) = address(0x05).staticcall{gas: 50_000}(abi.encodePacked(uint256(1025), uint256(0), uint256(1), new bytes(1025), uint8(3)));
        L1_MODEXP_BOUNDED = !ok;
        // G1ADD of two points at infinity: 128 zero bytes where L1 has EIP-2537, nothing where the address is empty.
        (ok, out) = address(0x0b).staticcall{gas: 50_000}(new bytes(256));
        L1_HAS_BLS = ok && out.length == 128;
        L1_FORK = L1_HAS_P256 ? FORK_OSAKA : L1_HAS_BLS ? FORK_PRAGUE : 0;
    }

    // hash ‖ r ‖ s ‖ qx ‖ qy of a valid secp256r1 signature (EIP-7951 input layout).
    bytes internal constant P256_PROBE =
        hex"0909090909090909090909090909090909090909090909090909090909090909847e2008bda98b7707da0c7088d9ea60e128ba1376c01e54430ba6e5d9fc8d5c"
        hex"96ed2459fd3745448332580521f9d559fb610a82972559b8dede0d179becec3b1e18532fd4754c02f3041d9c75ceb33b83ffd81ac7ce4fe882ccb1c98bc5896e"
        hex"a46c311c4e2ff40dd96a3653e6e45445d32dfe486eced75c7a90c6a18881c0a3";

    /// @notice Whether `target` is a precompile at the L2 `fork` (0 cancun, 1 prague, 2 osaka).
    function isPrecompile(uint256 target, uint256 fork) public pure returns (bool) {
        if (target >= 0x01 && target <= 0x0a) return true;
        if (target >= 0x0b && target <= 0x11) return fork >= FORK_PRAGUE;
        if (target == 0x100) return fork >= FORK_OSAKA;
        return false;
    }

    /// @notice Runs the precompile at `target` with `gas`: whether it succeeded, the gas it used
    ///         (all of `gas` on failure) and its output (empty on failure).
    function run(uint256 target, uint256 fork, bytes calldata input, uint256 gas) external view returns (bool ok, uint256 gasUsed, bytes memory output) {
        if (!isPrecompile(target, fork)) revert Unprovable(target);
        // L1 must have the precompile: a call to an empty address succeeds with nothing.
        if ((target == 0x100 && !L1_HAS_P256) || (target >= 0x0b && target <= 0x11 && !L1_HAS_BLS)) revert Unprovable(target);
        (bool priced, uint256 cost) = price(target, fork, input);
        if (!priced || cost > gas) return (false, gas, "");
        if (target == 0x05) {
            bool bounded = _modexpOverBound(input);
            // The L2 fork refuses it: a failure, whatever L1 would say.
            if (bounded && fork >= FORK_OSAKA) return (false, gas, "");
            // The L2 fork computes it but L1 refuses it: no way to learn the answer here.
            if (bounded && L1_MODEXP_BOUNDED) revert Unprovable(target);
        }
        // L1's precompile gets exactly its own price (L1's fork may price it otherwise than the
        // L2's), so a failure with that much gas is its answer, not starvation.
        (bool l1Priced, uint256 l1Cost) = price(target, L1_FORK, input);
        if (!l1Priced) return (false, gas, "");
        if (gasleft() < l1Cost + l1Cost / 32 + 10_000) revert VerifierOutOfGas(target);
        (bool success, bytes memory out) = address(uint160(target)).staticcall{gas: l1Cost}(input);
        if (!success) return (false, gas, "");
        return (true, cost, out);
    }

    /// @notice The gas the L2 fork charges for a successful call; priced = false when no price
    ///         can be due (lengths beyond any gas: the call fails whatever gas it gets).
    function price(uint256 target, uint256 fork, bytes calldata input) public pure returns (bool priced, uint256 cost) {
        uint256 len = input.length;
        uint256 words = (len + 31) / 32;
        if (target == 0x01) return (true, 3000);
        if (target == 0x02) return (true, 60 + 12 * words);
        if (target == 0x03) return (true, 600 + 120 * words);
        if (target == 0x04) return (true, 15 + 3 * words);
        if (target == 0x05) return _modexpPrice(input, fork >= FORK_OSAKA);
        if (target == 0x06) return (true, 150);
        if (target == 0x07) return (true, 6000);
        if (target == 0x08) return (true, 45000 + 34000 * (len / 192));
        if (target == 0x09) {
            if (len != 213) return (false, 0);
            return (true, uint256(uint32(bytes4(input[0:4]))));
        }
        if (target == 0x0a) return (true, 50000);
        if (target == 0x0b) return (true, 375);
        if (target == 0x0c) return (true, _msm(len / 160, 12000, true));
        if (target == 0x0d) return (true, 600);
        if (target == 0x0e) return (true, _msm(len / 288, 22500, false));
        if (target == 0x0f) return (true, 32600 * (len / 384) + 37700);
        if (target == 0x10) return (true, 5500);
        if (target == 0x11) return (true, 23800);
        if (target == 0x100) return (true, 6900);
        return (false, 0);
    }

    /// @dev k * mul * discount(k) / 1000 (EIP-2537); 0 for k = 0 (the call then fails anyway).
    function _msm(uint256 k, uint256 mul, bool g1) internal pure returns (uint256) {
        if (k == 0) return 0;
        uint256 i = (k > 128 ? 128 : k) - 1;
        return (k * mul * _discount(i, g1)) / 1000;
    }

    function _discount(uint256 i, bool g1) internal pure returns (uint256) {
        uint16[128] memory t = g1 ? _G1() : _G2();
        return t[i];
    }

    function _G1() internal pure returns (uint16[128] memory) {
        return [
            uint16(1000), 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665, 661, 658, 654, 651,
            648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601,
            599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570,
            569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547,
            547, 546, 545, 544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529, 528,
            528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519
        ];
    }

    function _G2() internal pure returns (uint16[128] memory) {
        return [
            uint16(1000), 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699, 693, 688, 683, 679,
            674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611,
            609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582, 580, 579, 578, 576, 575,
            574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551,
            550, 549, 548, 547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534, 533, 532,
            532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524
        ];
    }

    /// @dev A 32-byte word of the input at `offset`, zero past its end.
    function _word(bytes calldata input, uint256 offset) internal pure returns (uint256 v) {
        if (offset >= input.length) return 0;
        uint256 end = offset + 32 <= input.length ? offset + 32 : input.length;
        bytes memory w = new bytes(32);
        for (uint256 i = offset; i < end; i++) w[i - offset] = input[i];
        v = uint256(bytes32(w));
    }

    function _modexpOverBound(bytes calldata input) internal pure returns (bool) {
        return _word(input, 0) > MODEXP_MAX_LENGTH || _word(input, 32) > MODEXP_MAX_LENGTH || _word(input, 64) > MODEXP_MAX_LENGTH;
    }

    /// @dev EIP-2565 (and from Osaka EIP-7883) pricing. Lengths past 2^32 bytes price past any
    ///      block's gas (the call fails), but for an exponent's when base and modulus are empty.
    function _modexpPrice(bytes calldata input, bool osaka) internal pure returns (bool, uint256) {
        uint256 baseLen = _word(input, 0);
        uint256 expLen = _word(input, 32);
        uint256 modLen = _word(input, 64);
        if (baseLen > type(uint32).max || modLen > type(uint32).max) return (false, 0);
        uint256 maxLen = baseLen > modLen ? baseLen : modLen;
        if (expLen > type(uint32).max) {
            // Before Osaka an empty base and modulus cost nothing per iteration: the floor price.
            if (!osaka && maxLen == 0) return (true, 200);
            return (false, 0);
        }
        uint256 words = (maxLen + 7) / 8;
        uint256 mult = osaka ? (maxLen > 32 ? 2 * words * words : 16) : words * words;
        // The exponent's first min(expLen, 32) bytes, right-aligned.
        uint256 headLen = expLen < 32 ? expLen : 32;
        uint256 head = headLen == 0 ? 0 : _word(input, 96 + baseLen) >> (8 * (32 - headLen));
        uint256 bits = 0;
        for (uint256 h = head; h != 0; h >>= 1) bits++;
        uint256 iterations;
        if (expLen <= 32) iterations = head == 0 ? 0 : bits - 1;
        else iterations = (osaka ? 16 : 8) * (expLen - 32) + (bits > 0 ? bits - 1 : 0);
        if (iterations < 1) iterations = 1;
        if (osaka) {
            uint256 g = mult * iterations;
            return (true, g > 500 ? g : 500);
        }
        uint256 gp = (mult * iterations) / 3;
        return (true, gp > 200 ? gp : 200);
    }
}
