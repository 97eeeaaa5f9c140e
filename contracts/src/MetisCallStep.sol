// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {IInferenceResults} from "./IInferenceResults.sol";
import {MetisPrecompiles} from "./MetisPrecompiles.sol";

import {MetisInferenceCall} from "./MetisInferenceCall.sol";
import "./MetisFramePart.sol";

/// @notice The CALLS part of the MetisVM step verifier (prover/DESIGN.md §4.1 steps 5-7), routed
///         to by MetisStepVerifier and checked against the TypeScript reference (vm/step/execute.ts
///         running vm/interpreter/instructions/system.ts and Machine.enter/finish) step by step:
///         - CALL, CALLCODE, DELEGATECALL, STATICCALL: gas (warm and cold access, the value and
///           new-account charges, memory over both regions, the 63/64 rule, the stipend), EIP-7702
///           delegations (one hop, its access charged, precompiles disabled), the snapshot, the
///           value transfer and the child frame; the balance and depth failures, calls to
///           accounts without code and precompile calls finish inside the step, precompiles run
///           by MetisPrecompiles (L2 prices, L1's own precompiles);
///         - the end of a call frame that has a caller (STOP, RETURN, REVERT): the caller resumes
///           with the status, the gas left, the refund, the return data and the output copied
///           into its memory; a REVERT restores the frame's snapshot;
///         - the exceptional halts of these instructions, and (verifyHalt) of any instruction of
///           a call frame with a caller that MetisStepVerifier has judged.
///         - a call of the inference precompile (0x…0a10, on a chain with registered models):
///           the model checked in the block's modelsRoot, its gas and input size read from the
///           L1 inference game (IInferenceResults), the output its final claim settled (keccak of
///           the output bytes, which the witness carries), as runInference (vm/precompiles/inference.ts)
///           would answer; the failures (short input, unknown model, too little gas, wrong input
///           size) finish the call as failed.
///         Calls it cannot judge revert with a typed error, never a wrong post-state: an
///         inference with no results contract (InferenceCall()), of a model L1 has not registered
///         (ModelNotOnL1) or of an input no claim has settled yet (InferenceNotFinal);
///         Hyperion's unreproducible LLM precompile (0x…0999: UnreproducibleCall()); a precompile
///         L1 cannot answer the same way (MetisPrecompiles.Unprovable). Every other step reverts
///         UnsupportedStep(op). The model's gas and input size are the registrar's word on L1
///         (InferenceGame.registerModel), as the model's commitment is.
///
///         Gas of MetisStepVerifier.verify routed here (eth_estimateGas, calldata included; worst
///         seen in test/contracts-step-calls.test.ts, on tries of a few accounts):
///           CALL family entering the callee (input up to 40 bytes)      ~690k
///           finishing in the step (no code, balance failure, or a
///             precompile: identity of 64 bytes ~415k, worst seen)       ~690k
///           CALL family exceptional halt                                 ~275k
///           end of a call frame to its caller (output up to 64 bytes)   ~400k
///           halt of a call frame (verifyHalt)                           ~220k
///           inference call (MLP, 16-byte input; test/contracts-step-inference.test.ts:
///             the model's encoding rides in the witness's calldata)      ~640k
///         Input and output are windows of memory (DESIGN §2.2, §3.2): neither is read at the CALL
///         or the RETURN, so neither grows with its bytes (test/contracts-step-sizes.test.ts,
///         pseudo-random 1 / 8 / 32 / 64 KiB):
///           CALL with that input                                        ~0.30M at every size
///           end of the callee returning it into the caller's memory     ~0.53M / ~0.14M / ~0.14M / ~0.14M
///             (at most COPY_CHUNK bytes are copied in the step, more by the caller's next
///             steps: DESIGN §2.9). A precompile still reads its input and writes its output.
contract MetisCallStep is MetisFramePart, MetisInferenceCall {
    uint256 internal constant F_DISABLE_PRECOMPILES = 3;
    uint256 internal constant F_RET_OFFSET = 21;
    uint256 internal constant F_RET_SIZE = 22;

    uint256 internal constant GAS_WARM_ACCESS = 100;
    uint256 internal constant GAS_CALL_VALUE = 9000;
    uint256 internal constant GAS_CALL_STIPEND = 2300;

    uint256 internal constant FORK_PRAGUE = 1;
    address internal constant INFERENCE = address(0xa10);
    address internal constant UNREPRODUCIBLE = address(0x999);

    /// @dev A call to Hyperion's LLM precompile, whose answer no verifier can reproduce.
    error UnreproducibleCall();

    /// @notice Runs the precompiles of the L2 fork, priced as MetisVM prices them.
    MetisPrecompiles public immutable PRECOMPILES;

    constructor(IInferenceResults inferenceResults) MetisInferenceCall(inferenceResults) {
        PRECOMPILES = new MetisPrecompiles();
    }

    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32) {
        (Witness memory w, Ctx memory c) = _load(stateData, preimages);
        uint8 op = c.op;
        if (op == 0xf1 || op == 0xf2 || op == 0xf4 || op == 0xfa) return _call(w, c);
        if ((op == 0x00 || op == 0xf3 || op == 0xfd) && c.f[F_KIND] == 0 && c.s[S_FRAME_COUNT] != 0) return _endCall(w, c);
        revert UnsupportedStep(op);
    }

    /// @notice A call frame with a caller halts exceptionally (MetisStepVerifier has judged it):
    ///         no gas back, its snapshot restored, the caller gets 0 and empty return data.
    function verifyHalt(bytes calldata stateData, bytes[] calldata preimages) external pure returns (bytes32) {
        (Witness memory w, Ctx memory c) = _load(stateData, preimages);
        if (c.f[F_KIND] != 0 || c.s[S_FRAME_COUNT] == 0) revert UnsupportedStep(c.op);
        return _fail(w, c);
    }

    // ---- the end of a call frame -----------------------------------------------------------

    /// @dev STOP, RETURN or REVERT of a call frame with a caller (Machine.finish).
    function _endCall(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        uint256 off;
        uint256 len;
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        if (c.op != 0x00) {
            if (c.f[F_STACK_SIZE] < 2) return _fail(w, c);
            _pop(w, c, 2);
            off = c.items[0];
            len = c.items[1];
            if (!_grow(c, off, len)) return _fail(w, c);
        }
        bool ok = c.op != 0xfd;
        if (!ok) _restore(w, c);
        // The output is the window [off, off + len) of the frame's memory (grown over it).
        if (len == 0) off = 0;
        return _return(w, c, ok, c.f[F_GAS] - c.gasCost, ok ? c.f[F_REFUND] : 0, Window(len == 0 ? w.zero[TREE_DEPTH] : bytes32(c.f[F_MEMORY_ROOT]), off, len));
    }

    /// @dev A byte array as the window [off, off + size) of the byte tree `root` (DESIGN §3.2).
    struct Window {
        bytes32 root;
        uint256 off;
        uint256 size;
    }

    /// @dev The caller resumes after a call frame: 1 or 0 pushed, the gas and refund added, the
    ///      output as its return data and copied (up to retSize bytes) to retOffset of its memory.
    function _return(Witness memory w, Ctx memory c, bool ok, uint256 gasBack, uint256 refund, Window memory out) internal pure returns (bytes32) {
        (bytes32 below, uint256 callerHash) = _link(w, bytes32(c.s[S_FRAME_STACK]));
        uint256[FRAME_WORDS] memory p = _frameAt(w, bytes32(callerHash));
        p[F_STACK] = uint256(keccak256(abi.encodePacked(bytes32(p[F_STACK]), ok ? uint256(1) : 0)));
        p[F_STACK_SIZE] += 1;
        p[F_GAS] += gasBack;
        unchecked {
            p[F_REFUND] += refund; // a signed word: two's complement addition
        }
        p[F_RETURNDATA_ROOT] = uint256(out.root);
        p[F_RETURNDATA_OFFSET] = out.off;
        p[F_RETURNDATA_SIZE] = out.size;
        uint256 n = c.f[F_RET_SIZE] < out.size ? c.f[F_RET_SIZE] : out.size;
        // More than COPY_CHUNK bytes into the caller's memory are its next steps (DESIGN §2.9): a
        // pending copy from its new return data, as pending.ts pendingReturnOf records it. Fewer
        // are read from the callee's memory now: only those.
        if (n > COPY_CHUNK) p[F_PENDING] = _pendingWindowHash(0x3e, c.f[F_RET_OFFSET], 0, n, out.root, out.off, out.size);
        else if (n != 0) {
            bytes memory copied = _readWindow(w, out.root, out.off, out.size, 0, n);
            p[F_MEMORY_ROOT] = uint256(_writeBytes(w, bytes32(p[F_MEMORY_ROOT]), p[F_MEMORY_SIZE], c.f[F_RET_OFFSET], copied, n));
        }
        c.s[S_FRAME_STACK] = uint256(below);
        c.s[S_FRAME_COUNT] -= 1;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(p)));
        return _sealed(c);
    }

    /// @dev The root after writing the first n bytes of `data` at `offset` of a byte tree of `size`.
    function _writeBytes(Witness memory w, bytes32 root, uint256 size, uint256 offset, bytes memory data, uint256 n) internal pure returns (bytes32) {
        return _writeRange(w, Span(offset, size, _slice(data, 0, n)), root, TREE_DEPTH, 0);
    }

    // ---- CALL, CALLCODE, DELEGATECALL, STATICCALL ------------------------------------------

    struct Call {
        uint8 kind; // the opcode
        uint256 gasReq;
        address target;
        uint256 value;
        uint256 inOff;
        uint256 inSize;
        uint256 outOff;
        uint256 outSize;
        uint256 childGas;
        uint256 oldSize; // the caller's memory size before the call
        address self;
        address codeAddress;
        bytes32 codeHash;
        bool disable;
        uint256 fork;
        uint256[12] blk;
        bytes input;
        LibMPT.Store st;
    }

    function _call(Witness memory w, Ctx memory c) internal view returns (bytes32) {
        Call memory k;
        k.kind = c.op;
        bool hasValue = c.op == 0xf1 || c.op == 0xf2;
        uint256 n = hasValue ? 7 : 6;
        if (c.f[F_STACK_SIZE] < n) return _fail(w, c);
        _pop(w, c, n);
        k.gasReq = c.items[0];
        k.target = address(uint160(c.items[1]));
        uint256 i = 2;
        if (hasValue) k.value = c.items[i++];
        k.inOff = c.items[i++];
        k.inSize = c.items[i++];
        k.outOff = c.items[i++];
        k.outSize = c.items[i];
        // Memory over both regions, priced before the 63/64 rule (a region past the limit halts).
        (bool fits, uint256 end) = _regionsEnd(k);
        if (!fits) return _fail(w, c);
        k.oldSize = c.f[F_MEMORY_SIZE];
        k.st = _store(w);
        k.self = address(uint160(c.f[F_ADDRESS]));
        k.blk = _blockContext(w, c);
        k.fork = k.blk[2];
        if (!_charge(w, c, k, end)) return _fail(w, c);
        if (k.kind == 0xf1 && c.f[F_STATIC] != 0 && k.value != 0) return _fail(w, c);
        if (end > k.oldSize) c.f[F_MEMORY_SIZE] = ((end + 31) / 32) * 32;
        c.f[F_RETURNDATA_ROOT] = uint256(w.zero[TREE_DEPTH]);
        c.f[F_RETURNDATA_OFFSET] = 0;
        c.f[F_RETURNDATA_SIZE] = 0;
        // Not enough balance, or too deep: 0, and the child's gas (with the stipend) comes back.
        if ((hasValue && LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.self).balance < k.value) || c.f[F_DEPTH] + 1 > DEPTH_LIMIT) {
            c.gasCost -= k.childGas;
            _push1(c, 0);
            return _commit(c);
        }
        return _enter(w, c, k);
    }

    /// @dev calculate_message_call_gas after the access, delegation, new-account and value
    ///      charges: c.gasCost and the child's gas; false when the frame cannot pay them.
    function _charge(Witness memory w, Ctx memory c, Call memory k, uint256 end) internal pure returns (bool) {
        uint256 memCost;
        if (end > k.oldSize) memCost = _memCost((end + 31) / 32) - _memCost(k.oldSize / 32);
        uint256 extra = _warm(c, k.st, k.target) ? GAS_WARM_ACCESS : GAS_COLD_ACCOUNT;
        LibMPT.Account memory t = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.target);
        extra += _resolve(w, c, k, t);
        if (k.kind == 0xf1 && k.value != 0 && !(t.exists && !LibMPT.isEmpty(t))) extra += GAS_NEW_ACCOUNT;
        if (k.value != 0) extra += GAS_CALL_VALUE;
        if (c.f[F_GAS] < extra + memCost) return false;
        uint256 available = c.f[F_GAS] - memCost - extra;
        uint256 cap = available - available / 64;
        uint256 gas = k.gasReq < cap ? k.gasReq : cap;
        k.childGas = gas + (k.value != 0 ? GAS_CALL_STIPEND : 0);
        c.gasCost = gas + extra + memCost;
        return true;
    }

    /// @dev The end of the memory both regions need (zero-size regions need none); false past the limit.
    function _regionsEnd(Call memory k) internal pure returns (bool, uint256 end) {
        if (k.inSize != 0) {
            if (k.inOff > MEMORY_LIMIT || k.inSize > MEMORY_LIMIT || k.inOff + k.inSize > MEMORY_LIMIT) return (false, 0);
            end = k.inOff + k.inSize;
        }
        if (k.outSize != 0) {
            if (k.outOff > MEMORY_LIMIT || k.outSize > MEMORY_LIMIT || k.outOff + k.outSize > MEMORY_LIMIT) return (false, 0);
            if (k.outOff + k.outSize > end) end = k.outOff + k.outSize;
        }
        return (true, end);
    }

    function _blockContext(Witness memory w, Ctx memory c) internal pure returns (uint256[12] memory b) {
        bytes memory rec = _get(w, bytes32(c.s[S_BLOCK]));
        if (rec.length != 12 * 32) revert BadPreimage(bytes32(c.s[S_BLOCK]));
        b = abi.decode(rec, (uint256[12]));
    }

    /// @dev Whether `a` was warm; warms it (World.warmAddress).
    function _warm(Ctx memory c, LibMPT.Store memory st, address a) internal pure returns (bool warm) {
        bytes memory key = _addressKey(a);
        (warm, ) = LibMPT.get(st, bytes32(c.s[S_ACCESS]), key);
        if (!warm) c.s[S_ACCESS] = uint256(LibMPT.update(st, bytes32(c.s[S_ACCESS]), key, hex"01"));
    }

    /// @dev The code the call runs (resolveCode): the target's, or from Prague on, the code of the
    ///      account its EIP-7702 delegation designator names (one hop); returns that access's gas.
    function _resolve(Witness memory w, Ctx memory c, Call memory k, LibMPT.Account memory t) internal pure returns (uint256) {
        k.codeAddress = k.target;
        k.codeHash = t.codeHash;
        if (k.fork < FORK_PRAGUE || t.codeHash == KECCAK_EMPTY) return 0;
        bytes memory code = _get(w, t.codeHash);
        if (code.length != 23 || code[0] != 0xef || code[1] != 0x01 || code[2] != 0x00) return 0;
        address to;
        assembly ("memory-safe") {
            to := shr(96, mload(add(code, 35)))
        }
        uint256 gas = _warm(c, k.st, to) ? GAS_WARM_ACCESS : GAS_COLD_ACCOUNT;
        k.codeAddress = to;
        k.codeHash = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), to).codeHash;
        k.disable = true;
        return gas;
    }

    /// @dev Machine.enter: the snapshot, the value transfer, then a precompile, nothing (no
    ///      code: success at once) or the child frame.
    function _enter(Witness memory w, Ctx memory c, Call memory k) internal view returns (bytes32) {
        // The child's snapshot: after the warming, before the value moves.
        bytes32 snapshot = keccak256(abi.encode(c.s[S_WORLD], c.s[S_ACCESS], c.s[S_TRANSIENT], c.s[S_SELFDESTRUCTS], c.s[S_LOGS], c.s[S_LOG_COUNT]));
        uint256 worldBefore = c.s[S_WORLD];
        bool transfers = k.kind == 0xf1 || k.kind == 0xf2;
        address to = k.kind == 0xf1 ? k.target : k.self;
        if (transfers && k.value != 0) c.s[S_WORLD] = uint256(_transfer(k.st, bytes32(c.s[S_WORLD]), k.self, to, k.value));
        // Only a precompile reads its input; a frame's calldata is a window of this memory.
        if (bytes32(k.blk[11]) != LibMPT.EMPTY_ROOT && k.codeAddress == INFERENCE && !k.disable) {
            k.input = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), k.oldSize, k.inOff, k.inSize);
            return _inference(w, c, k, worldBefore);
        }
        if (k.blk[0] == CHAIN_HYPERION && k.codeAddress == UNREPRODUCIBLE) revert UnreproducibleCall();
        if (PRECOMPILES.isPrecompile(uint160(k.codeAddress), k.fork)) {
            if (k.disable) return _finishHere(w, c, k, true, k.childGas, "");
            k.input = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), k.oldSize, k.inOff, k.inSize);
            (bool ok, uint256 used, bytes memory out) = PRECOMPILES.run(uint160(k.codeAddress), k.fork, k.input, k.childGas);
            if (ok && used <= k.childGas) return _finishHere(w, c, k, true, k.childGas - used, out);
            // A failing precompile takes all the gas given, and the transfer is undone.
            c.s[S_WORLD] = worldBefore;
            return _finishHere(w, c, k, false, 0, "");
        }
        if (k.codeHash == KECCAK_EMPTY) return _finishHere(w, c, k, true, k.childGas, "");
        bytes32 callerHash = _advance(c);
        c.s[S_FRAME_STACK] = uint256(keccak256(abi.encodePacked(bytes32(c.s[S_FRAME_STACK]), callerHash)));
        c.s[S_FRAME_COUNT] += 1;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(_childFrame(w, c, k, snapshot))));
        return _sealed(c);
    }

    /// @dev runInference's answer: a failure takes all the gas given and undoes the transfer; a
    ///      success costs the model's gas and returns the output the L1 game settled.
    function _inference(Witness memory w, Ctx memory c, Call memory k, uint256 worldBefore) internal view returns (bytes32) {
        (bool ok, uint256 cost, bytes32 outputHash) = _settledInference(k.st, bytes32(k.blk[11]), k.input, k.childGas);
        if (!ok) {
            c.s[S_WORLD] = worldBefore;
            return _finishHere(w, c, k, false, 0, "");
        }
        return _finishHere(w, c, k, true, k.childGas - cost, _get(w, outputHash));
    }


    /// @dev World.transfer: the sender's balance down, the receiver's up (created if absent).
    function _transfer(LibMPT.Store memory st, bytes32 world, address from, address to, uint256 value) internal pure returns (bytes32) {
        LibMPT.Account memory a = LibMPT.accountAt(st, world, from);
        a.balance -= value;
        world = LibMPT.putAccount(st, world, from, a);
        LibMPT.Account memory b = LibMPT.accountAt(st, world, to);
        b.balance += value;
        return LibMPT.putAccount(st, world, to, b);
    }

    /// @dev A call that ends inside the step: the status pushed, `gasBack` returned, the output
    ///      as return data and copied to the output area.
    function _finishHere(Witness memory w, Ctx memory c, Call memory k, bool ok, uint256 gasBack, bytes memory output)
        internal
        pure
        returns (bytes32)
    {
        c.gasCost -= gasBack;
        c.f[F_RETURNDATA_ROOT] = uint256(_buildTree(w, output));
        c.f[F_RETURNDATA_OFFSET] = 0;
        c.f[F_RETURNDATA_SIZE] = output.length;
        uint256 n = k.outSize < output.length ? k.outSize : output.length;
        if (n != 0) c.f[F_MEMORY_ROOT] = uint256(_writeBytes(w, bytes32(c.f[F_MEMORY_ROOT]), k.oldSize, k.outOff, output, n));
        _push1(c, ok ? 1 : 0);
        return _commit(c);
    }

    /// @dev The callee's frame as enteredFrameState records it: empty stack, memory and return
    ///      data, the input as its calldata, where the caller wants the output.
    function _childFrame(Witness memory w, Ctx memory c, Call memory k, bytes32 snapshot) internal pure returns (uint256[FRAME_WORDS] memory f) {
        bytes32 empty = w.zero[TREE_DEPTH];
        bool delegate = k.kind == 0xf4;
        f[F_STATIC] = k.kind == 0xfa ? 1 : c.f[F_STATIC];
        f[F_TRANSFERS] = k.kind == 0xf1 || k.kind == 0xf2 ? 1 : 0;
        f[F_DISABLE_PRECOMPILES] = k.disable ? 1 : 0;
        f[F_DEPTH] = c.f[F_DEPTH] + 1;
        f[F_CALLER] = delegate ? c.f[F_CALLER] : uint160(k.self);
        f[F_ADDRESS] = k.kind == 0xf1 || k.kind == 0xfa ? uint160(k.target) : uint160(k.self);
        f[F_CODE_ADDRESS] = uint160(k.codeAddress);
        f[F_VALUE] = delegate ? c.f[F_VALUE] : k.value;
        f[F_CODE] = uint256(k.codeHash);
        // The input stays where it is: the window [inOff, inOff + inSize) of the caller's memory.
        f[F_CALLDATA_ROOT] = uint256(k.inSize == 0 ? empty : bytes32(c.f[F_MEMORY_ROOT]));
        f[F_CALLDATA_OFFSET] = k.inSize == 0 ? 0 : k.inOff;
        f[F_CALLDATA_SIZE] = k.inSize;
        f[F_GAS] = k.childGas;
        f[F_MEMORY_ROOT] = uint256(empty);
        f[F_RETURNDATA_ROOT] = uint256(empty);
        f[F_RET_OFFSET] = k.outSize == 0 ? 0 : k.outOff;
        f[F_RET_SIZE] = k.outSize;
        f[F_SNAPSHOT] = uint256(snapshot);
    }
}
