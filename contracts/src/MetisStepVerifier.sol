// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMetisBlockPart, IStepVerifier, LocalContext} from "./IStepVerifier.sol";
import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";

import "./MetisStepBase.sol";
import {MetisPieceStep} from "./MetisPieceStep.sol";

/// @notice The on-chain MetisVM one-step verifier (prover/DESIGN.md §4), written from the design
///         and checked against the TypeScript reference verifier (vm/step/execute.ts) step by step.
///         It proves the instructions that stay inside one frame: arithmetic, comparison,
///         bitwise, CLZ (Osaka), stack, control flow, memory words, calldata, the frame,
///         transaction and block context (BLOCKHASH from the ancestor tree, BLOBHASH,
///         BLOBBASEFEE), KECCAK256, the copies into memory (CALLDATACOPY, CODECOPY, EXTCODECOPY,
///         RETURNDATACOPY, MCOPY), RETURNDATASIZE, storage (SLOAD, SSTORE), transient storage
///         (TLOAD, TSTORE), account reads (BALANCE, SELFBALANCE, EXTCODESIZE, EXTCODEHASH) and
///         LOG0-LOG4, the end of the top-level call (STOP, RETURN, REVERT), and every
///         exceptional halt (undefined opcodes, stack, gas, jumps, memory limit): a top-level
///         call's end here, any other frame's by the part of its kind. Entering and leaving
///         frames goes to the parts (CALLS, CREATES), transaction boundaries to TRANSACTIONS, block
///         start and end (given the game's local context through `step`) to BLOCKS. A step no
///         deployed part proves reverts with a typed error: never wrongly proven.
///
///         Gas of `verify` (eth_estimateGas, calldata included; worst seen in
///         test/contracts-step-verifier.test.ts over hand-written and generated programs, on
///         tries of a few accounts and slots: deeper tries cost more per level walked):
///           stack, arithmetic, logic, jumps, context          ~80k-135k
///           memory words, CALLDATALOAD                         ~215k
///           SLOAD                                              ~345k
///           SSTORE                                             ~530k
///           TLOAD, TSTORE                                      ~210k
///           BALANCE, EXTCODESIZE, EXTCODEHASH, SELFBALANCE     ~300k
///           LOG0-LOG4 (up to 64 bytes)                         ~200k
///           end of the call (STOP/RETURN/REVERT, halts)        ~190k
///           BLOCKHASH                                          ~85k-150k
///           KECCAK256 of 32 / 256 / 1,024 bytes               ~170k / ~190k / ~250k
///           CALLDATACOPY, MCOPY of 32 / 256 / 1,024 bytes     ~230k / ~275k / ~420k
///           CODECOPY of 32 / 256 / 1,024 bytes                ~175k / ~210k / ~280k
///           EXTCODECOPY (account access, up to 80 bytes)       ~455k
///         A copy or KECCAK256 of more than COPY_CHUNK (2,048) bytes is split (DESIGN §2.9): its
///         own step ~90k (~620k for EXTCODECOPY's), then one step per piece in MetisPieceStep.
///         LOG data is still read in one step (DESIGN §7): of pseudo-random 1 / 8 / 32 / 64 KiB
///         (test/contracts-step-sizes.test.ts),
///           LOG0                                               ~0.30M / ~1.35M / ~5.1M / ~10.6M
///         The top-level call's output is a window of its memory, never read: RETURN ~78k at
///         any size.
///         Byte ranges are read and written in one walk over their paths (each node once), the
///         witness is looked up through a hash table, and bytes move a word at a time (MCOPY).
///         On tries of 4,000 accounts and 1,000 slots: SLOAD ~450k, SSTORE ~865k, account reads
///         ~330k (each trie level adds a node to the witness's calldata and to the walks).
contract MetisStepVerifier is IStepVerifier, MetisStepBase {
    /// @dev The trie half (SLOAD, SSTORE, TLOAD, TSTORE, BALANCE, EXTCODESIZE, EXTCODEHASH, SELFBALANCE,
    ///      EXTCODECOPY's account access).
    MetisWorldStep public immutable WORLD;
    /// @dev The pieces of a split copy or KECCAK256 (DESIGN §2.9): a part of its own, for room,
    ///      deployed apart (with it, the constructor's init code would pass EIP-3860).
    MetisPieceStep public immutable PIECES;

    /// @dev The parts other step classes are routed to (each a full verifier of its class, over
    ///      the same state and preimages); a zero address leaves that class unprovable (it reverts).
    ///      CALLS: CALL, CALLCODE, DELEGATECALL, STATICCALL, and the end of a call frame that has a
    ///      caller. CREATES: CREATE, CREATE2, SELFDESTRUCT, and the end of a creation frame.
    ///      TRANSACTIONS: the boundary steps (frameHash = 0).
    IMetisStepPart public immutable CALLS;
    IMetisStepPart public immutable CREATES;
    IMetisStepPart public immutable TRANSACTIONS;
    /// @dev BLOCKS: block start and block end, the steps that read the game's local context
    ///      (reached through `step` only: `verify` has no local context and hands them to
    ///      TRANSACTIONS, which reverts NeedsLocalContext).
    IMetisBlockPart public immutable BLOCKS;

    constructor(IMetisStepPart calls, IMetisStepPart creates, IMetisStepPart transactions, IMetisBlockPart blocks, MetisPieceStep pieces) {
        WORLD = new MetisWorldStep();
        PIECES = pieces;
        CALLS = calls;
        CREATES = creates;
        TRANSACTIONS = transactions;
        BLOCKS = blocks;
    }

    function step(bytes calldata stateData, bytes calldata proof, LocalContext calldata local) external view returns (bytes32) {
        bytes[] calldata preimages = _preimagesIn(proof);
        if (address(BLOCKS) != address(0) && _isBlockStep(stateData, preimages)) return BLOCKS.verifyBlock(stateData, preimages, local);
        return _verify(stateData, preimages);
    }

    /// @dev The `bytes[]` that `proof` ABI-encodes, read in place (decoding it into memory cost
    ///      ~1k gas a preimage, and the parts copy it again); a malformed one reverts where read.
    function _preimagesIn(bytes calldata proof) internal pure returns (bytes[] calldata p) {
        if (proof.length < 64) revert BadStateData();
        uint256 at = uint256(bytes32(proof[0:32]));
        if (at > proof.length - 32) revert BadStateData();
        assembly ("memory-safe") {
            let o := add(proof.offset, at)
            p.length := calldataload(o)
            p.offset := add(o, 32)
        }
        if (p.length > (proof.length - at - 32) / 32) revert BadStateData();
    }

    /// @dev DESIGN §4's phase table: block start (no inputs, no block yet) and block end (an
    ///      unfinished boundary with every transaction done) are the BLOCKS part's.
    function _isBlockStep(bytes calldata stateData, bytes[] calldata preimages) internal pure returns (bool) {
        if (stateData.length != 22 * 32) return false;
        uint256[22] memory s = abi.decode(stateData, (uint256[22]));
        if (s[S_STATUS] != STATUS_UNFINISHED || s[S_FRAME] != 0) return false;
        if (s[S_INPUTS] == 0) return s[S_BLOCK] == 0;
        if (s[S_RESULT] != 0) return false;
        return s[S_TX_INDEX] >= _txCount(preimages, bytes32(s[S_INPUTS]));
    }

    /// @dev The inputs record's txCount, found by its hash among the 128-byte preimages: the part
    ///      the step goes to indexes the whole witness itself, so it is not indexed here too.
    function _txCount(bytes[] calldata preimages, bytes32 inputsHash) internal pure returns (uint256 txCount) {
        for (uint256 i = 0; i < preimages.length; i++) {
            bytes calldata p = preimages[i];
            if (p.length == 4 * 32 && keccak256(p) == inputsHash) {
                (,,, txCount) = abi.decode(p, (bytes32, bytes32, bytes32, uint256));
                return txCount;
            }
        }
        revert MissingPreimage(inputsHash);
    }

    /// @notice Runs one step from `stateData` (the pre-state record) over `preimages`; returns the
    ///         post-state commitment (status in the top byte).
    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32) {
        return _verify(stateData, preimages);
    }

    function _verify(bytes calldata stateData, bytes[] calldata preimages) internal view returns (bytes32) {
        if (stateData.length != 22 * 32) revert BadStateData();
        Witness memory w = _witness(preimages);
        Ctx memory c;
        c.s = abi.decode(stateData, (uint256[22]));
        // A final state (valid, invalid, panic) steps to itself, so a padded trace can be stepped anywhere.
        if (c.s[S_STATUS] != STATUS_UNFINISHED) {
            if (c.s[S_STATUS] > STATUS_UNFINISHED) revert BadStateData();
            return bytes32((uint256(keccak256(stateData)) & ~(uint256(0xff) << 248)) | (c.s[S_STATUS] << 248));
        }
        if (c.s[S_FRAME] == 0) {
            if (address(TRANSACTIONS) == address(0)) revert BoundaryStep();
            return TRANSACTIONS.verify(stateData, preimages);
        }
        bytes memory frame = _get(w, bytes32(c.s[S_FRAME]));
        if (frame.length != FRAME_WORDS * 32) revert BadPreimage(bytes32(c.s[S_FRAME]));
        c.f = abi.decode(frame, (uint256[27])); // FRAME_WORDS: abi.decode takes a literal
        // A split copy or KECCAK256 under way runs its next piece before any instruction.
        if (c.f[F_PENDING] != 0) return PIECES.verify(stateData, preimages);
        c.code = bytes32(c.f[F_CODE]) == KECCAK_EMPTY ? bytes("") : _get(w, bytes32(c.f[F_CODE]));
        uint256 pc = c.f[F_PC];
        c.op = pc < c.code.length ? uint8(c.code[pc]) : 0;
        c.nextPc = pc + 1;
        bool topCall = c.s[S_FRAME_COUNT] == 0 && c.f[F_KIND] == 0;
        // The frame's own end with a caller or as a creation, and the instructions that enter or
        // leave frames, are the parts' (DESIGN §4.1 steps 5-7).
        bool ends = c.op == 0x00 || c.op == 0xf3 || c.op == 0xfd;
        if (ends && !topCall) return _route(c.f[F_KIND] == 0 ? CALLS : CREATES, c.op, stateData, preimages);
        if (c.op == 0xf1 || c.op == 0xf2 || c.op == 0xf4 || c.op == 0xfa) return _route(CALLS, c.op, stateData, preimages);
        if (c.op == 0xf0 || c.op == 0xf5 || c.op == 0xff) return _route(CREATES, c.op, stateData, preimages);
        // The end of the top-level message of a call: STOP, RETURN or REVERT with no caller.
        if (ends) return _end(w, c);
        // An exceptional halt is judged here; the frame's end is this verifier's for the
        // top-level call and the part's for any other frame (the caller gets the failure).
        IMetisStepPart haltPart = topCall ? IMetisStepPart(address(0)) : c.f[F_KIND] == 0 ? CALLS : CREATES;
        c.top = topCall || address(haltPart) != address(0);
        // INVALID, and a stack underflow of a covered instruction.
        if (c.top && (c.op == 0xfe || _undefined(w, c) || c.f[F_STACK_SIZE] < _pops(c.op))) return topCall ? _failEnd(w, c) : haltPart.verifyHalt(stateData, preimages);
        _execute(w, c);
        if (c.top && (c.halt || _overflows(c) || c.f[F_GAS] < c.gasCost)) return topCall ? _failEnd(w, c) : haltPart.verifyHalt(stateData, preimages);
        return _commit(c);
    }

    /// @dev An opcode the fork does not define (the interpreter's table: Cancun, Prague, Osaka);
    ///      running one is an exceptional halt. CLZ (0x1e) is defined from Osaka on.
    function _undefined(Witness memory w, Ctx memory c) internal pure returns (bool) {
        uint8 op = c.op;
        if (op == 0x1e) return abi.decode(_get(w, bytes32(c.s[S_BLOCK])), (uint256[12]))[2] < 2;
        if (op <= 0x0b || (op >= 0x10 && op <= 0x1d) || op == 0x20 || (op >= 0x30 && op <= 0x4a)) return false;
        if ((op >= 0x50 && op <= 0xa4) || (op >= 0xf0 && op <= 0xf5) || op == 0xfa || op >= 0xfd) return false;
        return true;
    }

    function _route(IMetisStepPart part, uint8 op, bytes calldata stateData, bytes[] calldata preimages) internal view returns (bytes32) {
        if (address(part) == address(0)) revert UnsupportedStep(op);
        return part.verify(stateData, preimages);
    }

    /// @dev Stack items a covered instruction reads (0 for uncovered ones: they revert later anyway).
    function _pops(uint8 op) internal pure returns (uint256) {
        if (op == 0x54 || op == 0x5c || op == 0x31 || op == 0x3b || op == 0x3f) return 1;
        if (op == 0x55 || op == 0x5d) return 2;
        if (op >= 0xa0 && op <= 0xa4) return op - 0x9e;
        if (op >= 0x80 && op <= 0x8f) return op - 0x7f;
        if (op >= 0x90 && op <= 0x9f) return op - 0x8e;
        if (op == 0x08 || op == 0x09) return 3;
        if (op >= 0x01 && op <= 0x0b) return 2;
        if (op == 0x15 || op == 0x19 || op == 0x1e || op == 0x49) return 1;
        if (op >= 0x10 && op <= 0x1d) return 2;
        if (op == 0x50 || op == 0x56 || op == 0x51 || op == 0x35 || op == 0x40) return 1;
        if (op == 0x57 || op == 0x52 || op == 0x53 || op == 0x20) return 2;
        if (op == 0x37 || op == 0x39 || op == 0x3e || op == 0x5e) return 3;
        if (op == 0x3c) return 4;
        return 0;
    }

    function _overflows(Ctx memory c) internal pure returns (bool) {
        return c.f[F_STACK_SIZE] - c.items.length + c.pushes.length > 1024;
    }

    /// @dev An exceptional halt of the top-level call: no output, no gas left, the snapshot restored.
    function _failEnd(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        _restore(w, c);
        bytes32 result = keccak256(abi.encode(uint256(0), uint256(0), uint256(0), w.zero[TREE_DEPTH], uint256(0), uint256(0), uint256(0)));
        c.s[S_FRAME] = 0;
        c.s[S_RESULT] = uint256(result);
        return _sealed(c);
    }

    // ---- the end of the message (DESIGN §4 step 6: frameHash = 0, the result record; still unfinished) ----

    function _end(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        bool success = c.op != 0xfd;
        uint256 off;
        uint256 len;
        if (c.op != 0x00) {
            if (c.f[F_STACK_SIZE] < 2) return _failEnd(w, c);
            _pop(w, c, 2);
            off = c.items[0];
            len = c.items[1];
            // Past the memory limit or out of gas: an exceptional halt of the top-level call.
            if (len != 0 && (off > MEMORY_LIMIT || len > MEMORY_LIMIT - off)) return _failEnd(w, c);
            uint256 oldSize = c.f[F_MEMORY_SIZE];
            _expand(c, off, len);
            if (c.f[F_GAS] < c.gasCost) return _failEnd(w, c);
            c.f[F_MEMORY_SIZE] = oldSize; // memory is gone with the frame; only the output is kept
        }
        // The output is the window [off, off + len) of the frame's memory: none of it is read.
        bytes32 outRoot = len == 0 ? w.zero[TREE_DEPTH] : bytes32(c.f[F_MEMORY_ROOT]);
        if (len == 0) off = 0;
        // A reverting frame restores its entry snapshot (DESIGN §2.6).
        if (!success) _restore(w, c);
        uint256 refund = success ? c.f[F_REFUND] : 0;
        bytes32 result = keccak256(abi.encode(success ? 1 : 0, c.f[F_GAS] - c.gasCost, refund, outRoot, len, uint256(0), off));
        c.s[S_FRAME] = 0;
        c.s[S_RESULT] = uint256(result);
        return _sealed(c);
    }

    // ---- the instruction ----------------------------------------------------------------------

    function _execute(Witness memory w, Ctx memory c) internal view {
        uint8 op = c.op;
        if (op >= 0x60 && op <= 0x7f) return _pushN(c, op - 0x5f);
        if (op >= 0x80 && op <= 0x8f) return _dup(w, c, op - 0x7f);
        if (op >= 0x90 && op <= 0x9f) return _swap(w, c, op - 0x8f);
        if (op >= 0x01 && op <= 0x0b) return _arith(w, c);
        if (op >= 0x10 && op <= 0x1d) return _logic(w, c);
        if (op == 0x1e) {
            // EIP-7939 CLZ (Osaka; _undefined has judged the fork).
            _pop(w, c, 1);
            c.gasCost = 5;
            return _push1(c, _clz(c.items[0]));
        }
        if (op == 0x50) {
            _pop(w, c, 1);
            c.gasCost = 2;
            return;
        }
        if (op == 0x5f) {
            c.gasCost = 2;
            return _push1(c, 0);
        }
        if (op == 0x5b) {
            c.gasCost = 1;
            return;
        }
        if (op == 0x56 || op == 0x57) return _jump(w, c);
        if (op == 0x51 || op == 0x52 || op == 0x53) return _memory(w, c);
        if (op == 0x20 || op == 0x37 || op == 0x39 || op == 0x3e || op == 0x5e) return _copy(w, c);
        if (op == 0x35) {
            _pop(w, c, 1);
            c.gasCost = 3;
            uint256 off = c.items[0];
            bytes memory v = _readWindow(w, bytes32(c.f[F_CALLDATA_ROOT]), c.f[F_CALLDATA_OFFSET], c.f[F_CALLDATA_SIZE], off, 32);
            return _push1(c, uint256(bytes32(v)));
        }
        if (op == 0x54 || op == 0x55 || op == 0x5c || op == 0x5d || op == 0x31 || op == 0x3b || op == 0x3f || op == 0x47 || op == 0x3c) return _world(w, c);
        if (op >= 0xa0 && op <= 0xa4) return _log(w, c);
        _env(w, c);
    }

    function _pushN(Ctx memory c, uint256 n) internal pure {
        c.gasCost = 3;
        uint256 v = 0;
        uint256 pc = c.f[F_PC];
        for (uint256 i = 1; i <= n; i++) v = (v << 8) | (pc + i < c.code.length ? uint8(c.code[pc + i]) : 0);
        c.nextPc = pc + 1 + n;
        _push1(c, v);
    }

    function _dup(Witness memory w, Ctx memory c, uint256 n) internal pure {
        _pop(w, c, n);
        c.gasCost = 3;
        // Everything read goes back, then the copy of the n-th item.
        c.pushes = new uint256[](n + 1);
        for (uint256 i = 0; i < n; i++) c.pushes[i] = c.items[n - 1 - i];
        c.pushes[n] = c.items[n - 1];
    }

    function _swap(Witness memory w, Ctx memory c, uint256 n) internal pure {
        _pop(w, c, n + 1);
        c.gasCost = 3;
        c.pushes = new uint256[](n + 1);
        for (uint256 i = 0; i <= n; i++) c.pushes[i] = c.items[n - i];
        c.pushes[0] = c.items[0];
        c.pushes[n] = c.items[n];
    }

    function _arith(Witness memory w, Ctx memory c) internal pure {
        uint8 op = c.op;
        uint256 n = (op == 0x08 || op == 0x09) ? 3 : 2;
        _pop(w, c, n);
        uint256 a = c.items[0];
        uint256 b = c.items[1];
        uint256 r;
        c.gasCost = (op == 0x01 || op == 0x03) ? 3 : (op == 0x08 || op == 0x09) ? 8 : op == 0x0a ? 10 : 5;
        unchecked {
            if (op == 0x01) r = a + b;
            else if (op == 0x02) r = a * b;
            else if (op == 0x03) r = a - b;
            else if (op == 0x04) r = b == 0 ? 0 : a / b;
            else if (op == 0x05) r = b == 0 ? 0 : uint256(_sdiv(int256(a), int256(b)));
            else if (op == 0x06) r = b == 0 ? 0 : a % b;
            else if (op == 0x07) r = b == 0 ? 0 : uint256(_smod(int256(a), int256(b)));
            else if (op == 0x08) r = c.items[2] == 0 ? 0 : addmod(a, b, c.items[2]);
            else if (op == 0x09) r = c.items[2] == 0 ? 0 : mulmod(a, b, c.items[2]);
            else if (op == 0x0a) {
                uint256 bytesLen = 0;
                for (uint256 e = b; e > 0; e >>= 8) bytesLen++;
                c.gasCost += 50 * bytesLen;
                r = _exp(a, b);
            } else {
                // SIGNEXTEND(b = byte index a, x = b)
                if (a < 31) {
                    uint256 bit = a * 8 + 7;
                    uint256 mask = (uint256(1) << bit) - 1;
                    r = ((b >> bit) & 1) == 1 ? b | ~mask : b & mask;
                } else r = b;
            }
        }
        _push1(c, r);
    }

    function _exp(uint256 base, uint256 e) internal pure returns (uint256 r) {
        unchecked {
            r = 1;
            while (e > 0) {
                if (e & 1 == 1) r *= base;
                base *= base;
                e >>= 1;
            }
        }
    }

    function _sdiv(int256 a, int256 b) internal pure returns (int256) {
        if (a == type(int256).min && b == -1) return a;
        return a / b;
    }

    function _smod(int256 a, int256 b) internal pure returns (int256) {
        if (b == -1) return 0;
        return a % b;
    }

    function _logic(Witness memory w, Ctx memory c) internal pure {
        uint8 op = c.op;
        bool unary = op == 0x15 || op == 0x19;
        _pop(w, c, unary ? 1 : 2);
        uint256 a = c.items[0];
        uint256 b = unary ? 0 : c.items[1];
        uint256 r;
        c.gasCost = 3;
        if (op == 0x10) r = a < b ? 1 : 0;
        else if (op == 0x11) r = a > b ? 1 : 0;
        else if (op == 0x12) r = int256(a) < int256(b) ? 1 : 0;
        else if (op == 0x13) r = int256(a) > int256(b) ? 1 : 0;
        else if (op == 0x14) r = a == b ? 1 : 0;
        else if (op == 0x15) r = a == 0 ? 1 : 0;
        else if (op == 0x16) r = a & b;
        else if (op == 0x17) r = a | b;
        else if (op == 0x18) r = a ^ b;
        else if (op == 0x19) r = ~a;
        else if (op == 0x1a) r = a < 32 ? (b >> (8 * (31 - a))) & 0xff : 0;
        else if (op == 0x1b) r = a < 256 ? b << a : 0;
        else if (op == 0x1c) r = a < 256 ? b >> a : 0;
        else r = a < 256 ? uint256(int256(b) >> a) : (int256(b) < 0 ? type(uint256).max : 0);
        _push1(c, r);
    }

    /// @dev Leading zero bits of a word (256 for zero).
    function _clz(uint256 x) internal pure returns (uint256 n) {
        if (x == 0) return 256;
        for (uint256 s = 128; s > 0; s >>= 1) {
            if (x >> (256 - s) == 0) {
                n += s;
                x <<= s;
            }
        }
    }

    function _jump(Witness memory w, Ctx memory c) internal pure {
        bool conditional = c.op == 0x57;
        _pop(w, c, conditional ? 2 : 1);
        c.gasCost = conditional ? 10 : 8;
        if (conditional && c.items[1] == 0) return;
        uint256 dest = c.items[0];
        // An invalid jump is an exceptional halt: judged by the caller (a top-level call ends).
        if (!_isJumpdest(c.code, dest)) return _haltNow(c);
        c.nextPc = dest;
    }

    function _memory(Witness memory w, Ctx memory c) internal pure {
        uint8 op = c.op;
        bool load = op == 0x51;
        _pop(w, c, load ? 1 : 2);
        c.gasCost = 3;
        uint256 off = c.items[0];
        uint256 len = op == 0x53 ? 1 : 32;
        // Past the memory limit: out of gas (expandMemory), before memory is touched.
        if (off > MEMORY_LIMIT - len) return _haltNow(c);
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        _expand(c, off, len);
        if (load) return _push1(c, _readWord(w, bytes32(c.f[F_MEMORY_ROOT]), oldSize, off));
        for (uint256 ch = off / 32; ch <= (off + len - 1) / 32; ch++) _storeChunk(w, c, ch, oldSize, len);
    }

    /// @dev Writes the part of the stored value that falls into chunk `ch` (read-modify-write).
    function _storeChunk(Witness memory w, Ctx memory c, uint256 ch, uint256 oldSize, uint256 len) internal pure {
        bytes32 root = bytes32(c.f[F_MEMORY_ROOT]);
        bytes32 before = ch * 32 < oldSize ? _readChunk(w, root, ch) : bytes32(0);
        bytes32 next = _patch(before, ch * 32, c.items[0], len, c.items[1]);
        if (next != before) c.f[F_MEMORY_ROOT] = uint256(_writeChunk(w, root, ch, next));
    }

    /// @dev The chunk at `base` after writing `len` bytes of `value` (its low `len` bytes) at `off`.
    function _patch(bytes32 chunk, uint256 base, uint256 off, uint256 len, uint256 value) internal pure returns (bytes32) {
        bytes memory b = abi.encodePacked(chunk);
        for (uint256 i = 0; i < len; i++) {
            uint256 pos = off + i;
            if (pos < base || pos >= base + 32) continue;
            b[pos - base] = bytes1(uint8(value >> (8 * (len - 1 - i))));
        }
        return bytes32(b);
    }

    /// @dev KECCAK256 and the copies into memory (CALLDATACOPY, CODECOPY, RETURNDATACOPY, MCOPY):
    ///      every exceptional halt is judged before memory is read (the witness holds only the
    ///      ranges the frame can pay for, vm/step/access.ts).
    function _copy(Witness memory w, Ctx memory c) internal pure {
        uint8 op = c.op;
        bool hash = op == 0x20;
        _pop(w, c, hash ? 2 : 3);
        c.gasCost = hash ? 30 : 3;
        uint256 dst = c.items[0];
        uint256 src = hash ? 0 : c.items[1];
        uint256 size = c.items[hash ? 1 : 2];
        if (op == 0x3e && (src > c.f[F_RETURNDATA_SIZE] || size > c.f[F_RETURNDATA_SIZE] - src)) return _haltNow(c);
        if (size == 0) {
            if (hash) _push1(c, uint256(KECCAK_EMPTY));
            return;
        }
        if (op == 0x39) return _copyInto(w, c, dst, src, size, c.code, bytes32(c.f[F_CODE]));
        if (size > MEMORY_LIMIT) return _haltNow(c);
        c.gasCost += (hash ? 6 : 3) * ((size + 31) / 32);
        if (_outOfGas(c)) return;
        // MCOPY grows memory over both ranges: to the end of the higher one.
        uint256 hi = op == 0x5e && src > dst ? src : dst;
        if (hi > MEMORY_LIMIT - size) return _haltNow(c);
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        _expand(c, hi, size);
        if (_outOfGas(c)) return;
        if (size > COPY_CHUNK) {
            if (hash) {
                // A split KECCAK256 pushes a zero; its last piece puts the digest there.
                uint256[7] memory emptySponge;
                c.f[F_PENDING] = uint256(keccak256(abi.encode(uint256(0x20), dst, size, emptySponge)));
                return _push1(c, 0);
            }
            if (op == 0x5e) return _leavePending(c, dst, src, size, 0, 0);
            bool cd = op == 0x37;
            c.f[F_PENDING] = _pendingWindowHash(op, dst, src, size, bytes32(c.f[cd ? F_CALLDATA_ROOT : F_RETURNDATA_ROOT]), c.f[cd ? F_CALLDATA_OFFSET : F_RETURNDATA_OFFSET], c.f[cd ? F_CALLDATA_SIZE : F_RETURNDATA_SIZE]);
            return;
        }
        bytes memory data;
        if (hash || op == 0x5e) data = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), oldSize, hash ? dst : src, size);
        else {
            bool cd = op == 0x37;
            // Past its end the data reads as zeros (RETURNDATACOPY never gets there).
            data = _readWindow(w, bytes32(c.f[cd ? F_CALLDATA_ROOT : F_RETURNDATA_ROOT]), c.f[cd ? F_CALLDATA_OFFSET : F_RETURNDATA_OFFSET], c.f[cd ? F_CALLDATA_SIZE : F_RETURNDATA_SIZE], src, size);
        }
        if (hash) return _push1(c, uint256(keccak256(data)));
        c.f[F_MEMORY_ROOT] = uint256(_writeRange(w, Span(dst, oldSize, data), bytes32(c.f[F_MEMORY_ROOT]), TREE_DEPTH, 0));
    }

    /// @dev CODECOPY and EXTCODECOPY (after the account access): `size` bytes of `code` from `src`
    ///      to memory at `dst`, zero past the code's end.
    function _copyInto(Witness memory w, Ctx memory c, uint256 dst, uint256 src, uint256 size, bytes memory code, bytes32 codeHash) internal pure {
        if (size == 0) return;
        if (size > MEMORY_LIMIT) return _haltNow(c);
        c.gasCost += 3 * ((size + 31) / 32);
        if (_outOfGas(c)) return;
        if (dst > MEMORY_LIMIT - size) return _haltNow(c);
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        _expand(c, dst, size);
        if (_outOfGas(c)) return;
        if (size > COPY_CHUNK) return _leavePending(c, dst, src, size, codeHash, code.length);
        c.f[F_MEMORY_ROOT] = uint256(_writeRange(w, Span(dst, oldSize, _slice(code, src, size)), bytes32(c.f[F_MEMORY_ROOT]), TREE_DEPTH, 0));
    }

    /// @dev A copy longer than COPY_CHUNK: this step has charged it and grown memory; the bytes
    ///      are left to the copy steps that follow (DESIGN §2.9).
    function _leavePending(Ctx memory c, uint256 dst, uint256 src, uint256 size, bytes32 root, uint256 srcSize) internal pure {
        c.f[F_PENDING] = _pendingCopyHash(c.op, dst, src, size, root, srcSize);
    }

    function _env(Witness memory w, Ctx memory c) internal pure {
        uint8 op = c.op;
        c.gasCost = 2;
        if (op == 0x30) return _push1(c, c.f[F_ADDRESS]);
        if (op == 0x33) return _push1(c, c.f[F_CALLER]);
        if (op == 0x34) return _push1(c, c.f[F_VALUE]);
        if (op == 0x36) return _push1(c, c.f[F_CALLDATA_SIZE]);
        if (op == 0x38) return _push1(c, c.code.length);
        if (op == 0x58) return _push1(c, c.f[F_PC]);
        if (op == 0x59) return _push1(c, c.f[F_MEMORY_SIZE]);
        if (op == 0x3d) return _push1(c, c.f[F_RETURNDATA_SIZE]);
        if (op == 0x5a) return _push1(c, c.f[F_GAS] < 2 ? 0 : c.f[F_GAS] - 2); // out of gas is judged later
        if (op == 0x49) {
            // EIP-4844 BLOBHASH: the transaction record's blobHashesHash has the hashes as its preimage.
            _pop(w, c, 1);
            c.gasCost = 3;
            bytes32 h = bytes32(abi.decode(_get(w, bytes32(c.s[S_TX])), (uint256[9]))[2]);
            bytes memory hashes = h == KECCAK_EMPTY ? bytes("") : _get(w, h);
            uint256 i = c.items[0];
            return _push1(c, i < hashes.length / 32 ? uint256(_word(hashes, i * 32)) : 0);
        }
        if (op == 0x32 || op == 0x3a) {
            uint256[9] memory t = abi.decode(_get(w, bytes32(c.s[S_TX])), (uint256[9])); // DESIGN §2.4: origin, gasPrice, blobHashesHash first
            return _push1(c, op == 0x32 ? t[0] : t[1]);
        }
        // Block context record (DESIGN §2.3): chainKind, chainId, fork, number, timestamp,
        // coinbase, gasLimit, baseFee, prevRandao, excessBlobGas, ancestorsRoot, modelsRoot.
        uint256 field;
        if (op == 0x41) field = 5;
        else if (op == 0x42) field = 4;
        else if (op == 0x43) field = 3;
        else if (op == 0x44) field = 8;
        else if (op == 0x45) field = 6;
        else if (op == 0x46) field = 1;
        else if (op == 0x48) field = 7;
        else if (op != 0x40 && op != 0x4a) revert UnsupportedStep(op);
        uint256[12] memory b = abi.decode(_get(w, bytes32(c.s[S_BLOCK])), (uint256[12]));
        // EIP-7516 BLOBBASEFEE from the excess blob gas, with the fork's update fraction.
        if (op == 0x4a) return _push1(c, _fakeExponential(1, b[9], b[2] == 0 ? 3338477 : 5007716));
        if (op != 0x40) return _push1(c, b[field]);
        // BLOCKHASH: chunk d-1 of ancestorsRoot holds the hash of block number-d (zero if unknown).
        _pop(w, c, 1);
        c.gasCost = 20;
        uint256 n = c.items[0];
        uint256 number = b[3];
        _push1(c, n < number && number - n <= 256 ? uint256(_readChunk(w, bytes32(b[10]), number - n - 1)) : 0);
    }

    /// @dev EIP-4844 fake_exponential (checked arithmetic: a result past 2^256 is not provable).
    function _fakeExponential(uint256 factor, uint256 numerator, uint256 denominator) internal pure returns (uint256 output) {
        uint256 accum = factor * denominator;
        for (uint256 i = 1; accum > 0; i++) {
            output += accum;
            accum = (accum * numerator) / (denominator * i);
        }
        return output / denominator;
    }

    function _word(bytes memory b, uint256 off) internal pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := mload(add(add(b, 32), off))
        }
    }

    // ---- instructions that touch the world (their trie work runs in MetisWorldStep) -------

    /// @dev An exceptional halt found before the instruction reads anything more: verify ends the
    ///      frame with it (c.top: a frame whose end is provable), else it is not provable.
    function _haltNow(Ctx memory c) internal pure {
        if (!c.top) revert UnsupportedStep(c.op);
        c.halt = true;
    }

    /// @dev Whether the gas charged so far is more than the frame has; if so the step halts and
    ///      nothing the interpreter would not have read is read (the witness does not hold it).
    function _outOfGas(Ctx memory c) internal pure returns (bool oog) {
        oog = c.f[F_GAS] < c.gasCost;
        if (oog) _haltNow(c);
    }

    /// @dev SLOAD, SSTORE, TLOAD, TSTORE, BALANCE, EXTCODESIZE, EXTCODEHASH, SELFBALANCE: the
    ///      stack items are read here, the tries are walked and written by WORLD.
    function _world(Witness memory w, Ctx memory c) internal view {
        uint8 op = c.op;
        if (op == 0x47) {
            // SELFBALANCE on a full stack halts before the balance is read.
            if (c.f[F_STACK_SIZE] >= 1024) return _haltNow(c);
        } else _pop(w, c, op == 0x3c ? 4 : op == 0x55 || op == 0x5d ? 2 : 1);
        (bool ok, bytes memory ret) = address(WORLD).staticcall(abi.encodeCall(MetisWorldStep.run, (op, c.top, c.s, c.f, c.items, w.hashes, w.data, w.n)));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        MetisWorldStep.Out memory out = abi.decode(ret, (MetisWorldStep.Out));
        c.s = out.s;
        c.f[F_REFUND] = out.refund;
        c.gasCost = out.gasCost;
        c.halt = out.halt;
        if (out.push) _push1(c, out.value);
        // EXTCODECOPY: the account is accessed (and its code hash read) before the copy's checks.
        if (op == 0x3c && !out.halt) {
            bytes memory code = bytes32(out.value) == KECCAK_EMPTY ? bytes("") : _get(w, bytes32(out.value));
            _copyInto(w, c, c.items[1], c.items[2], c.items[3], code, bytes32(out.value));
        }
    }

    /// @dev LOG0..LOG4: appends keccak(rlp([address, topics, data])) to the logs hash chain.
    function _log(Witness memory w, Ctx memory c) internal pure {
        uint256 n = c.op - 0xa0;
        _pop(w, c, n + 2);
        c.gasCost = GAS_LOG * (n + 1);
        if (_outOfGas(c)) return;
        uint256 off = c.items[0];
        uint256 size = c.items[1];
        if (size > MEMORY_LIMIT) return _haltNow(c);
        c.gasCost += GAS_LOG_DATA * size;
        if (_outOfGas(c)) return;
        if (size != 0 && off > MEMORY_LIMIT - size) return _haltNow(c);
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        _expand(c, off, size);
        if (_outOfGas(c)) return;
        if (c.f[F_STATIC] != 0) return _haltNow(c);
        bytes[] memory topics = new bytes[](n);
        for (uint256 i = 0; i < n; i++) topics[i] = LibRLP.encodeBytes32(bytes32(c.items[2 + i]));
        bytes[] memory fields = new bytes[](3);
        fields[0] = LibRLP.encodeBytes(abi.encodePacked(address(uint160(c.f[F_ADDRESS]))));
        fields[1] = LibRLP.encodeList(topics);
        fields[2] = LibRLP.encodeBytes(_readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), oldSize, off, size));
        bytes32 item = keccak256(LibRLP.encodeList(fields));
        c.s[S_LOGS] = uint256(keccak256(abi.encodePacked(bytes32(c.s[S_LOGS]), item)));
        c.s[S_LOG_COUNT] += 1;
    }

}

/// @notice The trie half of MetisStepVerifier, deployed by it (one contract holding both would
///         pass the 24,576-byte code limit): runs one SLOAD, SSTORE, TLOAD, TSTORE, BALANCE,
///         EXTCODESIZE, EXTCODEHASH or SELFBALANCE on the world state and the transaction-scoped
///         tries (DESIGN §3.3) with LibMPT, over the witness the verifier has already hashed.
///         Gas is charged in the interpreter's order (vm/interpreter/instructions/storage.ts,
///         environment.ts), and an out-of-gas halt stops before the reads the interpreter skips.
contract MetisWorldStep {
    error UnsupportedStep(uint8 op);
    /// @dev A stored transient value that is not rlp(uint256).
    error BadTransientValue(bytes32 key);

    uint256 internal constant GAS_WARM_ACCESS = 100;
    uint256 internal constant GAS_COLD_SLOAD = 2100;
    uint256 internal constant GAS_COLD_ACCOUNT_ACCESS = 2600;
    uint256 internal constant GAS_STORAGE_SET = 20000;
    uint256 internal constant GAS_STORAGE_UPDATE = 5000;
    uint256 internal constant GAS_STORAGE_CLEAR_REFUND = 4800;
    uint256 internal constant GAS_CALL_STIPEND = 2300;
    uint256 internal constant GAS_SELFBALANCE = 5;

    /// @dev The step's effect: the state record with the new roots, the frame's refund counter,
    ///      the gas the instruction costs, whether it halted (top-level call only: in a child frame
    ///      a halt reverts UnsupportedStep), and the item it pushes if any.
    struct Out {
        uint256[22] s;
        uint256 refund;
        uint256 gasCost;
        bool halt;
        bool push;
        uint256 value;
    }

    struct Op {
        uint8 op;
        bool top;
        uint256[FRAME_WORDS] f;
        uint256[] items; // items[0] is the top
        LibMPT.Store mpt;
        Out out;
    }

    /// @param hashes keccak of data[i] for i < n (the verifier's witness, hashed once).
    function run(
        uint8 op,
        bool top,
        uint256[22] memory s,
        uint256[FRAME_WORDS] memory f,
        uint256[] memory items,
        bytes32[] memory hashes,
        bytes[] memory data,
        uint256 n
    ) external pure returns (Out memory) {
        Op memory o;
        o.op = op;
        o.top = top;
        o.f = f;
        o.items = items;
        o.mpt = LibMPT.Store(hashes, data, n, new uint256[](0));
        o.out.s = s;
        o.out.refund = f[F_REFUND];
        _run(o);
        return o.out;
    }

    function _halt(Op memory o) internal pure {
        if (!o.top) revert UnsupportedStep(o.op);
        o.out.halt = true;
    }

    function _outOfGas(Op memory o) internal pure returns (bool oog) {
        oog = o.f[F_GAS] < o.out.gasCost;
        if (oog) _halt(o);
    }

    function _push(Op memory o, uint256 v) internal pure {
        o.out.push = true;
        o.out.value = v;
    }

    /// @dev accessRoot and createdRoot key of an address: keccak(address).
    function _addressKey(address a) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encodePacked(a)));
    }

    /// @dev accessRoot and transientRoot key of a slot: keccak(address ‖ slot).
    function _slotKey(address a, uint256 slot) internal pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encodePacked(a, slot)));
    }

    /// @dev EIP-2929: charges a warm or a cold access of `key` and warms it; false on out of gas.
    function _access(Op memory o, bytes memory key, uint256 coldCost) internal pure returns (bool) {
        (bool warm, ) = LibMPT.get(o.mpt, bytes32(o.out.s[S_ACCESS]), key);
        o.out.gasCost += warm ? GAS_WARM_ACCESS : coldCost;
        if (_outOfGas(o)) return false;
        if (!warm) o.out.s[S_ACCESS] = uint256(LibMPT.update(o.mpt, bytes32(o.out.s[S_ACCESS]), key, hex"01"));
        return true;
    }

    function _run(Op memory o) internal pure {
        uint8 op = o.op;
        uint256[22] memory s = o.out.s;
        address self = address(uint160(o.f[F_ADDRESS]));
        if (op == 0x47) {
            o.out.gasCost = GAS_SELFBALANCE;
            if (_outOfGas(o)) return;
            return _push(o, LibMPT.accountAt(o.mpt, bytes32(s[S_WORLD]), self).balance);
        }
        if (op == 0x31 || op == 0x3b || op == 0x3f || op == 0x3c) {
            address a = address(uint160(o.items[0]));
            if (!_access(o, _addressKey(a), GAS_COLD_ACCOUNT_ACCESS)) return;
            LibMPT.Account memory acct = LibMPT.accountAt(o.mpt, bytes32(s[S_WORLD]), a);
            // EXTCODECOPY: the code hash for the copy the verifier makes (nothing pushed).
            if (op == 0x3c) {
                o.out.value = uint256(acct.codeHash);
                return;
            }
            if (op == 0x31) return _push(o, acct.balance);
            // EIP-1052 with EIP-161: zero for an account that does not exist or is empty.
            if (op == 0x3f) return _push(o, acct.exists && !LibMPT.isEmpty(acct) ? uint256(acct.codeHash) : 0);
            return _push(o, acct.codeHash == LibMPT.KECCAK_EMPTY ? 0 : LibMPT.lookup(o.mpt, acct.codeHash).length);
        }
        uint256 slot = o.items[0];
        bytes memory key = _slotKey(self, slot);
        if (op == 0x54) {
            if (!_access(o, key, GAS_COLD_SLOAD)) return;
            return _push(o, LibMPT.storageAt(o.mpt, bytes32(s[S_WORLD]), self, slot));
        }
        if (op == 0x55) return _sstore(o, self, slot, key);
        if (op != 0x5c && op != 0x5d) revert UnsupportedStep(op);
        // EIP-1153: a flat 100 gas, charged before the value is read.
        o.out.gasCost = GAS_WARM_ACCESS;
        if (_outOfGas(o)) return;
        bytes32 root = bytes32(s[S_TRANSIENT]);
        if (op == 0x5c) {
            (bool found, bytes memory v) = LibMPT.get(o.mpt, root, key);
            if (!found) return _push(o, 0);
            LibRLP.Item memory it = LibRLP.toItem(v);
            if (LibRLP.isList(it)) revert BadTransientValue(bytes32(key));
            return _push(o, LibRLP.toUint(it));
        }
        if (o.f[F_STATIC] != 0) return _halt(o);
        uint256 value = o.items[1];
        s[S_TRANSIENT] = uint256(LibMPT.put(o.mpt, root, key, value == 0 ? bytes("") : LibRLP.encodeUint(value)));
    }

    /// @dev SSTORE: the EIP-2200 sentry, the EIP-2929 cold surcharge, EIP-2200/3529 costs and
    ///      refunds against the original value (zero for an account created in this transaction,
    ///      else the value under txStartRoot); then the slot (deleted at zero) and the account leaf.
    function _sstore(Op memory o, address self, uint256 slot, bytes memory key) internal pure {
        if (o.f[F_GAS] <= GAS_CALL_STIPEND) return _halt(o);
        uint256[22] memory s = o.out.s;
        uint256 value = o.items[1];
        (bool created, ) = LibMPT.get(o.mpt, bytes32(s[S_CREATED]), _addressKey(self));
        uint256 original = created ? 0 : LibMPT.storageAt(o.mpt, bytes32(s[S_TX_START]), self, slot);
        uint256 current = LibMPT.storageAt(o.mpt, bytes32(s[S_WORLD]), self, slot);
        (bool warm, ) = LibMPT.get(o.mpt, bytes32(s[S_ACCESS]), key);
        uint256 cost = warm ? 0 : GAS_COLD_SLOAD;
        if (original == current && current != value) cost += original == 0 ? GAS_STORAGE_SET : GAS_STORAGE_UPDATE - GAS_COLD_SLOAD;
        else cost += GAS_WARM_ACCESS;
        o.out.gasCost = cost;
        if (_outOfGas(o)) return;
        if (o.f[F_STATIC] != 0) return _halt(o);
        if (current != value) {
            // The refund counter is a signed word: two's complement arithmetic wraps as it should.
            unchecked {
                uint256 r = o.out.refund;
                if (original != 0 && current != 0 && value == 0) r += GAS_STORAGE_CLEAR_REFUND;
                if (original != 0 && current == 0) r -= GAS_STORAGE_CLEAR_REFUND;
                if (original == value) r += original == 0 ? GAS_STORAGE_SET - GAS_WARM_ACCESS : GAS_STORAGE_UPDATE - GAS_COLD_SLOAD - GAS_WARM_ACCESS;
                o.out.refund = r;
            }
        }
        if (!warm) s[S_ACCESS] = uint256(LibMPT.update(o.mpt, bytes32(s[S_ACCESS]), key, hex"01"));
        s[S_WORLD] = uint256(LibMPT.setStorage(o.mpt, bytes32(s[S_WORLD]), self, slot, value));
    }
}
