// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Keccak-256 as a sponge whose state is carried between steps (prover/DESIGN.md §2.9):
///         a KECCAK256 longer than one step absorbs its memory a piece per step. The EVM's
///         KECCAK256 opcode hashes only whole inputs, so the permutation (Keccak-f[1600], FIPS 202)
///         is run here; vm/step/sponge.ts is the reference, itself checked against keccak256.
///         The state is 7 words: lanes 4j..4j+3 in word j, lane 4j in the top 64 bits, lane 24
///         alone at the top of word 6. Deployed by MetisStepVerifier's constructor (the verifier
///         would pass the code size limit with it).
///         Gas (eth_estimateGas of absorb): ~155k for one block, ~1.67M for a piece of 15 (2,040 bytes).
contract MetisKeccakSponge {
    uint256 internal constant RATE = 136;

    /// @dev absorb takes whole blocks only (the verifier never passes a part of one).
    error PartialBlock(uint256 length);

    /// @notice Absorbs whole blocks of RATE bytes.
    function absorb(uint256[7] memory s, bytes memory data) external pure returns (uint256[7] memory) {
        if (data.length % RATE != 0) revert PartialBlock(data.length);
        uint256[25] memory a = _unpack(s);
        for (uint256 o = 0; o < data.length; o += RATE) _absorbBlock(a, data, o);
        return _pack(a);
    }

    /// @notice Absorbs `tail` (its whole blocks, then the rest with Keccak padding) and squeezes the digest.
    function finish(uint256[7] memory s, bytes memory tail) external pure returns (bytes32 digest) {
        uint256[25] memory a = _unpack(s);
        uint256 whole = tail.length - (tail.length % RATE);
        for (uint256 o = 0; o < whole; o += RATE) _absorbBlock(a, tail, o);
        bytes memory last = new bytes(RATE);
        for (uint256 i = whole; i < tail.length; i++) last[i - whole] = tail[i];
        last[tail.length - whole] = bytes1(uint8(last[tail.length - whole]) ^ 0x01);
        last[RATE - 1] = bytes1(uint8(last[RATE - 1]) ^ 0x80);
        _absorbBlock(a, last, 0);
        uint256 d;
        for (uint256 i = 0; i < 4; i++) d = (d << 64) | _swap64(a[i]);
        digest = bytes32(d);
    }

    function _unpack(uint256[7] memory s) internal pure returns (uint256[25] memory a) {
        for (uint256 i = 0; i < 25; i++) a[i] = (s[i / 4] >> (64 * (3 - (i % 4)))) & type(uint64).max;
    }

    function _pack(uint256[25] memory a) internal pure returns (uint256[7] memory s) {
        for (uint256 i = 0; i < 25; i++) s[i / 4] |= a[i] << (64 * (3 - (i % 4)));
    }

    /// @dev A 64-bit word's bytes reversed: lanes are little-endian.
    function _swap64(uint256 v) internal pure returns (uint256) {
        v = ((v & 0xff00ff00ff00ff00) >> 8) | ((v & 0x00ff00ff00ff00ff) << 8);
        v = ((v & 0xffff0000ffff0000) >> 16) | ((v & 0x0000ffff0000ffff) << 16);
        return ((v >> 32) | (v << 32)) & type(uint64).max;
    }

    function _absorbBlock(uint256[25] memory a, bytes memory data, uint256 o) internal pure {
        for (uint256 i = 0; i < RATE / 8; i++) {
            uint256 w;
            assembly ("memory-safe") {
                w := shr(192, mload(add(add(add(data, 32), o), mul(i, 8))))
            }
            a[i] ^= _swap64(w);
        }
        _permute(a);
    }

    /// @dev Keccak-f[1600] on lanes a[x + 5y], in place: 24 rounds of θ, ρ and π, χ, ι, each
    ///      round written out lane by lane (loops over the lanes cost ~3 times as much gas).
    function _permute(uint256[25] memory a) internal pure {
        uint256[25] memory b;
        uint256[5] memory d;
        assembly ("memory-safe") {
            function rol(v, n) -> r {
                r := and(or(shl(n, v), shr(sub(64, n), v)), 0xffffffffffffffff)
            }
            let m := 0xffffffffffffffff
            for { let round := 0 } lt(round, 24) { round := add(round, 1) } {
                {
                    let c0 := xor(xor(xor(xor(mload(a), mload(add(a, 160))), mload(add(a, 320))), mload(add(a, 480))), mload(add(a, 640)))
                    let c1 := xor(xor(xor(xor(mload(add(a, 32)), mload(add(a, 192))), mload(add(a, 352))), mload(add(a, 512))), mload(add(a, 672)))
                    let c2 := xor(xor(xor(xor(mload(add(a, 64)), mload(add(a, 224))), mload(add(a, 384))), mload(add(a, 544))), mload(add(a, 704)))
                    let c3 := xor(xor(xor(xor(mload(add(a, 96)), mload(add(a, 256))), mload(add(a, 416))), mload(add(a, 576))), mload(add(a, 736)))
                    let c4 := xor(xor(xor(xor(mload(add(a, 128)), mload(add(a, 288))), mload(add(a, 448))), mload(add(a, 608))), mload(add(a, 768)))
                    mstore(d, xor(c4, and(or(shl(1, c1), shr(63, c1)), m)))
                    mstore(add(d, 32), xor(c0, and(or(shl(1, c2), shr(63, c2)), m)))
                    mstore(add(d, 64), xor(c1, and(or(shl(1, c3), shr(63, c3)), m)))
                    mstore(add(d, 96), xor(c2, and(or(shl(1, c4), shr(63, c4)), m)))
                    mstore(add(d, 128), xor(c3, and(or(shl(1, c0), shr(63, c0)), m)))
                }
                // θ applied, then ρ and π into b
                mstore(b, xor(mload(a), mload(d)))
                mstore(add(b, 320), rol(xor(mload(add(a, 32)), mload(add(d, 32))), 1))
                mstore(add(b, 640), rol(xor(mload(add(a, 64)), mload(add(d, 64))), 62))
                mstore(add(b, 160), rol(xor(mload(add(a, 96)), mload(add(d, 96))), 28))
                mstore(add(b, 480), rol(xor(mload(add(a, 128)), mload(add(d, 128))), 27))
                mstore(add(b, 512), rol(xor(mload(add(a, 160)), mload(d)), 36))
                mstore(add(b, 32), rol(xor(mload(add(a, 192)), mload(add(d, 32))), 44))
                mstore(add(b, 352), rol(xor(mload(add(a, 224)), mload(add(d, 64))), 6))
                mstore(add(b, 672), rol(xor(mload(add(a, 256)), mload(add(d, 96))), 55))
                mstore(add(b, 192), rol(xor(mload(add(a, 288)), mload(add(d, 128))), 20))
                mstore(add(b, 224), rol(xor(mload(add(a, 320)), mload(d)), 3))
                mstore(add(b, 544), rol(xor(mload(add(a, 352)), mload(add(d, 32))), 10))
                mstore(add(b, 64), rol(xor(mload(add(a, 384)), mload(add(d, 64))), 43))
                mstore(add(b, 384), rol(xor(mload(add(a, 416)), mload(add(d, 96))), 25))
                mstore(add(b, 704), rol(xor(mload(add(a, 448)), mload(add(d, 128))), 39))
                mstore(add(b, 736), rol(xor(mload(add(a, 480)), mload(d)), 41))
                mstore(add(b, 256), rol(xor(mload(add(a, 512)), mload(add(d, 32))), 45))
                mstore(add(b, 576), rol(xor(mload(add(a, 544)), mload(add(d, 64))), 15))
                mstore(add(b, 96), rol(xor(mload(add(a, 576)), mload(add(d, 96))), 21))
                mstore(add(b, 416), rol(xor(mload(add(a, 608)), mload(add(d, 128))), 8))
                mstore(add(b, 448), rol(xor(mload(add(a, 640)), mload(d)), 18))
                mstore(add(b, 768), rol(xor(mload(add(a, 672)), mload(add(d, 32))), 2))
                mstore(add(b, 288), rol(xor(mload(add(a, 704)), mload(add(d, 64))), 61))
                mstore(add(b, 608), rol(xor(mload(add(a, 736)), mload(add(d, 96))), 56))
                mstore(add(b, 128), rol(xor(mload(add(a, 768)), mload(add(d, 128))), 14))
                // χ, a row at a time
                {
                    let e0 := mload(b)
                    let e1 := mload(add(b, 32))
                    let e2 := mload(add(b, 64))
                    let e3 := mload(add(b, 96))
                    let e4 := mload(add(b, 128))
                    mstore(a, xor(e0, and(xor(e1, m), e2)))
                    mstore(add(a, 32), xor(e1, and(xor(e2, m), e3)))
                    mstore(add(a, 64), xor(e2, and(xor(e3, m), e4)))
                    mstore(add(a, 96), xor(e3, and(xor(e4, m), e0)))
                    mstore(add(a, 128), xor(e4, and(xor(e0, m), e1)))
                }
                {
                    let e0 := mload(add(b, 160))
                    let e1 := mload(add(b, 192))
                    let e2 := mload(add(b, 224))
                    let e3 := mload(add(b, 256))
                    let e4 := mload(add(b, 288))
                    mstore(add(a, 160), xor(e0, and(xor(e1, m), e2)))
                    mstore(add(a, 192), xor(e1, and(xor(e2, m), e3)))
                    mstore(add(a, 224), xor(e2, and(xor(e3, m), e4)))
                    mstore(add(a, 256), xor(e3, and(xor(e4, m), e0)))
                    mstore(add(a, 288), xor(e4, and(xor(e0, m), e1)))
                }
                {
                    let e0 := mload(add(b, 320))
                    let e1 := mload(add(b, 352))
                    let e2 := mload(add(b, 384))
                    let e3 := mload(add(b, 416))
                    let e4 := mload(add(b, 448))
                    mstore(add(a, 320), xor(e0, and(xor(e1, m), e2)))
                    mstore(add(a, 352), xor(e1, and(xor(e2, m), e3)))
                    mstore(add(a, 384), xor(e2, and(xor(e3, m), e4)))
                    mstore(add(a, 416), xor(e3, and(xor(e4, m), e0)))
                    mstore(add(a, 448), xor(e4, and(xor(e0, m), e1)))
                }
                {
                    let e0 := mload(add(b, 480))
                    let e1 := mload(add(b, 512))
                    let e2 := mload(add(b, 544))
                    let e3 := mload(add(b, 576))
                    let e4 := mload(add(b, 608))
                    mstore(add(a, 480), xor(e0, and(xor(e1, m), e2)))
                    mstore(add(a, 512), xor(e1, and(xor(e2, m), e3)))
                    mstore(add(a, 544), xor(e2, and(xor(e3, m), e4)))
                    mstore(add(a, 576), xor(e3, and(xor(e4, m), e0)))
                    mstore(add(a, 608), xor(e4, and(xor(e0, m), e1)))
                }
                {
                    let e0 := mload(add(b, 640))
                    let e1 := mload(add(b, 672))
                    let e2 := mload(add(b, 704))
                    let e3 := mload(add(b, 736))
                    let e4 := mload(add(b, 768))
                    mstore(add(a, 640), xor(e0, and(xor(e1, m), e2)))
                    mstore(add(a, 672), xor(e1, and(xor(e2, m), e3)))
                    mstore(add(a, 704), xor(e2, and(xor(e3, m), e4)))
                    mstore(add(a, 736), xor(e3, and(xor(e4, m), e0)))
                    mstore(add(a, 768), xor(e4, and(xor(e0, m), e1)))
                }
                // ι
                let word
                switch shr(2, round)
                case 0 { word := 0x00000000000000010000000000008082800000000000808a8000000080008000 }
                case 1 { word := 0x000000000000808b000000008000000180000000800080818000000000008009 }
                case 2 { word := 0x000000000000008a00000000000000880000000080008009000000008000000a }
                case 3 { word := 0x000000008000808b800000000000008b80000000000080898000000000008003 }
                case 4 { word := 0x80000000000080028000000000000080000000000000800a800000008000000a }
                default { word := 0x8000000080008081800000000000808000000000800000018000000080008008 }
                mstore(a, xor(mload(a), and(shr(shl(6, sub(3, and(round, 3))), word), m)))
            }
        }
    }
}
