// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";

import "./MetisStepBase.sol";

/// @notice What the parts that enter and leave frames share (MetisCallStep, MetisCreateStep):
///         loading the step with the reference decoder's checks, the running frame's
///         exceptional halt, the end of the top-level message, and the caller resuming.
abstract contract MetisFramePart is IMetisStepPart, MetisStepBase {
    uint256 internal constant F_TRANSFERS = 2;
    uint256 internal constant F_DEPTH = 4;
    uint256 internal constant F_CODE_ADDRESS = 7;

    uint256 internal constant DEPTH_LIMIT = 1024;
    uint256 internal constant GAS_COLD_ACCOUNT = 2600;
    uint256 internal constant GAS_NEW_ACCOUNT = 25000;

    // ---- loading ---------------------------------------------------------------------------

    function _load(bytes calldata stateData, bytes[] calldata preimages) internal pure returns (Witness memory w, Ctx memory c) {
        if (stateData.length != 22 * 32) revert BadStateData();
        c.s = abi.decode(stateData, (uint256[22]));
        // Only a running frame has an instruction (the verifier routes nothing else here).
        if (c.s[S_STATUS] != STATUS_UNFINISHED || c.s[S_FRAME] == 0 || c.s[S_FRAME_COUNT] > DEPTH_LIMIT || c.s[S_LOG_COUNT] > SAFE_MAX) revert BadStateData();
        w = _witness(preimages);
        c.f = _frameAt(w, bytes32(c.s[S_FRAME]));
        c.code = bytes32(c.f[F_CODE]) == KECCAK_EMPTY ? bytes("") : _get(w, bytes32(c.f[F_CODE]));
        uint256 pc = c.f[F_PC];
        c.op = pc < c.code.length ? uint8(c.code[pc]) : 0;
        c.nextPc = pc + 1;
    }

    /// @dev A frame record, with the checks the reference's decoder makes (vm/step/state.ts).
    function _frameAt(Witness memory w, bytes32 h) internal pure returns (uint256[FRAME_WORDS] memory f) {
        bytes memory rec = _get(w, h);
        if (rec.length != FRAME_WORDS * 32) revert BadPreimage(h);
        f = abi.decode(rec, (uint256[27])); // FRAME_WORDS: abi.decode takes a literal
        bool bad = f[F_KIND] > 1 || f[F_STATIC] > 1 || f[F_TRANSFERS] > 1 || f[3] > 1 || f[F_DEPTH] > DEPTH_LIMIT || f[F_STACK_SIZE] > 1024;
        bad = bad || f[F_CALLER] >> 160 != 0 || f[F_ADDRESS] >> 160 != 0 || f[F_CODE_ADDRESS] >> 160 != 0;
        bad = bad || f[F_CALLDATA_SIZE] > SAFE_MAX || f[F_PC] > SAFE_MAX || f[F_GAS] > SAFE_MAX || f[F_MEMORY_SIZE] > SAFE_MAX;
        bad = bad || f[F_RETURNDATA_SIZE] > SAFE_MAX || f[21] > SAFE_MAX || f[22] > SAFE_MAX;
        bad = bad || f[F_CALLDATA_OFFSET] > SAFE_MAX || f[F_RETURNDATA_OFFSET] > SAFE_MAX;
        if (bad) revert BadPreimage(h);
    }

    function _store(Witness memory w) internal pure returns (LibMPT.Store memory) {
        return LibMPT.Store(w.hashes, w.data, w.n, w.slots);
    }

    function _addressKey(address a) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encodePacked(a)));
    }

    /// @dev Charges memory expansion over [off, off+size) like expandMemory (vm/interpreter/frame.ts);
    ///      false when that is an exceptional halt (past the memory limit or out of gas).
    function _grow(Ctx memory c, uint256 off, uint256 size) internal pure returns (bool) {
        if (size == 0) return true;
        if (off > MEMORY_LIMIT || size > MEMORY_LIMIT || off + size > MEMORY_LIMIT) return false;
        uint256 words = (off + size + 31) / 32;
        uint256 old = c.f[F_MEMORY_SIZE] / 32;
        if (words > old) {
            c.gasCost += _memCost(words) - _memCost(old);
            c.f[F_MEMORY_SIZE] = words * 32;
        }
        return c.f[F_GAS] >= c.gasCost;
    }

    // ---- the end of the running frame --------------------------------------------------------

    /// @dev The running frame halts exceptionally: its snapshot restored, no gas or output.
    function _fail(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        _restore(w, c);
        if (c.s[S_FRAME_COUNT] == 0) return _result(c, 0, 0, 0, w.zero[TREE_DEPTH], 0, 0, 0);
        return _resume(w, c, 0, 0, 0, w.zero[TREE_DEPTH], 0, 0);
    }

    /// @dev The top-level message ends (DESIGN §2.5): frameHash = 0 and the result record.
    ///      The output is the window [off, off + size) of the tree `root` (the frame's memory).
    function _result(Ctx memory c, uint256 success, uint256 gasLeft, uint256 refund, bytes32 root, uint256 off, uint256 size, uint256 created)
        internal
        pure
        returns (bytes32)
    {
        c.s[S_FRAME] = 0;
        c.s[S_RESULT] = uint256(keccak256(abi.encode(success, gasLeft, refund, root, size, created, off)));
        return _sealed(c);
    }

    /// @dev The caller (top of frameStackHash) resumes: `push` on its stack, `gasBack` and `refund`
    ///      added, its return data replaced (Machine.finish).
    function _resume(Witness memory w, Ctx memory c, uint256 push, uint256 gasBack, uint256 refund, bytes32 rdRoot, uint256 rdOffset, uint256 rdSize)
        internal
        pure
        returns (bytes32)
    {
        (bytes32 below, uint256 callerHash) = _link(w, bytes32(c.s[S_FRAME_STACK]));
        uint256[FRAME_WORDS] memory p = _frameAt(w, bytes32(callerHash));
        p[F_STACK] = uint256(keccak256(abi.encodePacked(bytes32(p[F_STACK]), push)));
        p[F_STACK_SIZE] += 1;
        p[F_GAS] += gasBack;
        // The refund counter is a signed word: two's complement addition.
        unchecked {
            p[F_REFUND] += refund;
        }
        p[F_RETURNDATA_ROOT] = uint256(rdRoot);
        p[F_RETURNDATA_SIZE] = rdSize;
        p[F_RETURNDATA_OFFSET] = rdOffset;
        c.s[S_FRAME_STACK] = uint256(below);
        c.s[S_FRAME_COUNT] -= 1;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(p)));
        return _sealed(c);
    }

    /// @dev The caller's frame after the instruction (items popped, nothing pushed), hashed.
    function _advance(Ctx memory c) internal pure returns (bytes32) {
        c.f[F_STACK] = uint256(c.below);
        c.f[F_STACK_SIZE] -= c.items.length;
        c.f[F_GAS] -= c.gasCost;
        c.f[F_PC] = c.nextPc;
        return keccak256(abi.encode(c.f));
    }
}
