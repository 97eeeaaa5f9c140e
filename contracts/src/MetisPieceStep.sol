// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "./MetisStepBase.sol";
import {MetisKeccakSponge} from "./MetisKeccakSponge.sol";

/// @notice The pieces of a split instruction (prover/DESIGN.md §2.9): the step of a frame whose
///         `pendingHash` is set runs the next piece of its copy or KECCAK256 and nothing else.
///         MetisStepVerifier hands it every such step; with the pieces in it the verifier would pass
///         EIP-170. Deployed before the verifier, which it is passed to.
///         Gas of the whole step (eth_estimateGas of the verifier's `verify`, worst seen in
///         test/contracts-step-verifier.test.ts): a copy piece of up to 2,048 bytes ~410k-630k,
///         a KECCAK256 piece of 2,040 bytes ~2.07M (~1.67M of it the 15 permutations in
///         MetisKeccakSponge). However long the instruction, no step of it passes ~2.1M gas.
contract MetisPieceStep is MetisStepBase {
    /// @dev The Keccak-f[1600] sponge a split KECCAK256 absorbs its pieces with.
    MetisKeccakSponge public immutable SPONGE;

    constructor() {
        SPONGE = new MetisKeccakSponge();
    }

    /// @return The post-state commitment of the piece step.
    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32) {
        if (stateData.length != 22 * 32) revert BadStateData();
        Witness memory w = _witness(preimages);
        Ctx memory c;
        c.s = abi.decode(stateData, (uint256[22]));
        bytes memory frame = _get(w, bytes32(c.s[S_FRAME]));
        if (frame.length != FRAME_WORDS * 32) revert BadPreimage(bytes32(c.s[S_FRAME]));
        c.f = abi.decode(frame, (uint256[27])); // FRAME_WORDS: abi.decode takes a literal
        // Only a running frame with a piece left has one (the verifier routes nothing else here).
        if (c.s[S_STATUS] != STATUS_UNFINISHED || c.f[F_PENDING] == 0) revert BadStateData();
        return _pendingStep(w, c);
    }

    /// @dev The pending copy record (DESIGN §2.9), as TS's PendingCopy encodes it.
    struct Pending {
        uint256 op;
        uint256 dst;
        uint256 src;
        uint256 remaining;
        bytes32 root;
        uint256 size;
    }

    /// @dev The step of a frame with a pending record: a piece of its copy (6 words) or hash (10).
    function _pendingStep(Witness memory w, Ctx memory c) internal view returns (bytes32) {
        bytes32 h = bytes32(c.f[F_PENDING]);
        bytes memory rec = _get(w, h);
        if (rec.length == 6 * 32) return _copyStep(w, c, h, rec);
        if (rec.length == 10 * 32) return _hashStep(w, c, h, rec);
        revert BadPreimage(h);
    }

    /// @dev HASH_PIECE bytes absorbed, or the rest padded and the digest put in place of the
    ///      stack's top (the zero the KECCAK256's own step pushed).
    function _hashStep(Witness memory w, Ctx memory c, bytes32 h, bytes memory rec) internal view returns (bytes32) {
        (uint256 op, uint256 offset, uint256 remaining, uint256[7] memory sponge) = abi.decode(rec, (uint256, uint256, uint256, uint256[7]));
        uint256 memSize = c.f[F_MEMORY_SIZE];
        if (op != 0x20 || remaining == 0 || offset > memSize || remaining > memSize - offset || c.f[F_STACK_SIZE] == 0 || sponge[6] << 64 != 0) revert BadPreimage(h);
        bytes32 mem = bytes32(c.f[F_MEMORY_ROOT]);
        if (remaining > HASH_PIECE) {
            sponge = SPONGE.absorb(sponge, _readBytes(w, mem, memSize, offset, HASH_PIECE));
            c.f[F_PENDING] = uint256(keccak256(abi.encode(op, offset + HASH_PIECE, remaining - HASH_PIECE, sponge)));
        } else {
            bytes32 digest = SPONGE.finish(sponge, _readBytes(w, mem, memSize, offset, remaining));
            (bytes32 below,) = _link(w, bytes32(c.f[F_STACK]));
            c.f[F_STACK] = uint256(keccak256(abi.encodePacked(below, digest)));
            c.f[F_PENDING] = 0;
        }
        c.s[S_FRAME] = uint256(keccak256(abi.encode(c.f)));
        return _sealed(c);
    }

    /// @dev A step of a pending copy: the next piece, which ends at a multiple of COPY_CHUNK in
    ///      memory (an MCOPY upward takes its pieces from the end, as memmove must).
    function _copyStep(Witness memory w, Ctx memory c, bytes32 h, bytes memory rec) internal pure returns (bytes32) {
        Pending memory p = abi.decode(rec, (Pending));
        uint256 memSize = c.f[F_MEMORY_SIZE];
        uint256 op = p.op;
        bool known = op == 0x37 || op == 0x39 || op == 0x3c || op == 0x3e || op == 0x5e;
        if (!known || p.remaining == 0 || p.src > SAFE_MAX || p.size > SAFE_MAX || p.dst > memSize || p.remaining > memSize - p.dst) revert BadPreimage(h);
        uint256 pDst = p.dst;
        uint256 pSrc = p.src;
        uint256 n;
        if (op == 0x5e && p.dst > p.src) {
            uint256 end = p.dst + p.remaining;
            pDst = ((end - 1) / COPY_CHUNK) * COPY_CHUNK;
            if (pDst < p.dst) pDst = p.dst;
            n = end - pDst;
            pSrc = p.src + (pDst - p.dst);
        } else {
            n = COPY_CHUNK - (p.dst % COPY_CHUNK);
            if (n > p.remaining) n = p.remaining;
            p.dst += n;
            p.src += n;
        }
        p.remaining -= n;
        bytes memory data;
        if (op == 0x5e) data = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), memSize, pSrc, n);
        else if (op == 0x39 || op == 0x3c) data = _slice(p.root == KECCAK_EMPTY ? bytes("") : _get(w, p.root), pSrc, n);
        // Tree positions: a window's bytes past its end are masked by the record's size.
        else data = _readWindow(w, p.root, 0, p.size, pSrc, n);
        c.f[F_MEMORY_ROOT] = uint256(_writeRange(w, Span(pDst, memSize, data), bytes32(c.f[F_MEMORY_ROOT]), TREE_DEPTH, 0));
        c.f[F_PENDING] = p.remaining == 0 ? 0 : uint256(keccak256(abi.encode(p)));
        c.s[S_FRAME] = uint256(keccak256(abi.encode(c.f)));
        return _sealed(c);
    }
}
