// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";

import "./MetisFramePart.sol";

/// @notice The CREATES part of the MetisVM step verifier (prover/DESIGN.md §4.1), routed to by
///         MetisStepVerifier and checked against the TypeScript reference (vm/step/execute.ts
///         running vm/interpreter/instructions/system.ts and Machine.enter/finish) step by step:
///         - CREATE and CREATE2: gas (32,000, EIP-3860 init code words and limit, CREATE2's
///           hashing, memory, the 63/64 rule), the address, the creator's nonce, the collision
///           check, the new account (nonce 1, the value), warming, createdRoot, the snapshot and
///           the child frame; the balance, nonce and depth failures and empty init code finish
///           inside the step;
///         - SELFDESTRUCT under EIP-6780 (the balance moves; an account created in this
///           transaction is emptied and listed in selfdestructRoot): the frame ends;
///         - the end of a creation frame (STOP, RETURN, REVERT) with the code deposit (EIP-170,
///           EIP-3541, 200 gas a byte), to its caller or as the transaction's result;
///         - the exceptional halts of these instructions, and (verifyHalt) of any instruction of
///           a creation frame that MetisStepVerifier has judged.
///         Every other step reverts UnsupportedStep(op).
///
///         Gas of MetisStepVerifier.verify routed here (eth_estimateGas, calldata included; worst
///         seen in test/contracts-step-creates.test.ts, on tries of a few accounts):
///           CREATE / CREATE2 entering init code of 32 bytes              ~525k-660k
///           CREATE / CREATE2 finishing in the step (collision, balance,
///             nonce, empty init code)                                    ~545k
///           CREATE / CREATE2 exceptional halt                            ~150k
///           SELFDESTRUCT (the frame ends, its caller resumes)            ~550k
///           SELFDESTRUCT halt (static, out of gas)                       ~245k
///           end of a creation frame to its caller, 32 bytes of code      ~390k
///           end of a creation transaction (result record)                ~355k
///           halt of a creation frame (verifyHalt)                        ~220k
///         Init code and deposits grow with their bytes, up to the limits that bound them
///         (test/contracts-step-sizes.test.ts, pseudo-random bytes):
///           init code of 1,024 / 8,192 / 32,768 / 49,152 (EIP-3860)     ~0.63M / ~2.0M / ~6.9M / ~10.5M
///           deposit of 1,024 / 8,192 / 24,576 (EIP-170)                 ~0.52M / ~2.0M / ~6.0M
///         so every creation fits one L1 transaction under EIP-7825 (2^24 gas).
contract MetisCreateStep is MetisFramePart {
    uint256 internal constant GAS_CREATE = 32000;
    uint256 internal constant GAS_INIT_CODE_WORD = 2;
    uint256 internal constant GAS_KECCAK_WORD = 6;
    uint256 internal constant GAS_SELFDESTRUCT = 5000;
    uint256 internal constant GAS_CODE_DEPOSIT = 200;
    uint256 internal constant MAX_CODE_SIZE = 24576;
    uint256 internal constant MAX_INIT_CODE_SIZE = 49152;

    function verify(bytes calldata stateData, bytes[] calldata preimages) external pure returns (bytes32) {
        (Witness memory w, Ctx memory c) = _load(stateData, preimages);
        uint8 op = c.op;
        if (op == 0xf0 || op == 0xf5) return _create(w, c);
        if (op == 0xff) return _selfdestruct(w, c);
        if ((op == 0x00 || op == 0xf3 || op == 0xfd) && c.f[F_KIND] == 1) return _endCreation(w, c);
        revert UnsupportedStep(op);
    }

    /// @notice A creation frame halts exceptionally (MetisStepVerifier has judged it): no gas back,
    ///         its snapshot restored; the caller gets 0 and empty return data, or the transaction
    ///         a failed result. A call frame's halt belongs to the CALLS part.
    function verifyHalt(bytes calldata stateData, bytes[] calldata preimages) external pure returns (bytes32) {
        (Witness memory w, Ctx memory c) = _load(stateData, preimages);
        if (c.f[F_KIND] != 1) revert UnsupportedStep(c.op);
        return _fail(w, c);
    }

    /// @dev STOP, RETURN or REVERT of a creation frame: the code deposit on success (a failed
    ///      deposit is an exceptional halt), the snapshot restored on REVERT.
    function _endCreation(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
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
        uint256 gasLeft = c.f[F_GAS] - c.gasCost;
        bool ok = c.op != 0xfd;
        if (ok) {
            // Oversized or unaffordable code fails whatever its first byte: only code that can be
            // deposited is read.
            if (len > MAX_CODE_SIZE || gasLeft < GAS_CODE_DEPOSIT * len) return _fail(w, c);
            bytes memory code = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), oldSize, off, len);
            if (len != 0 && code[0] == 0xef) return _fail(w, c);
            gasLeft -= GAS_CODE_DEPOSIT * len;
            _setCode(w, c, len == 0 ? KECCAK_EMPTY : keccak256(code));
        } else {
            // The revert data is a window of the frame's memory: none of it is read.
            _restore(w, c);
        }
        if (len == 0) off = 0;
        return _finish(w, c, ok, gasLeft, len == 0 ? w.zero[TREE_DEPTH] : bytes32(c.f[F_MEMORY_ROOT]), off, len);
    }

    /// @dev A creation frame's message ends: the result, or the creator gets the address (or 0
    ///      and the revert data).
    ///      The output is the window [off, off + len) of the tree `root` (the frame's memory).
    function _finish(Witness memory w, Ctx memory c, bool ok, uint256 gasLeft, bytes32 root, uint256 off, uint256 len) internal pure returns (bytes32) {
        uint256 self = c.f[F_ADDRESS];
        uint256 refund = ok ? c.f[F_REFUND] : 0;
        if (c.s[S_FRAME_COUNT] == 0) return _result(c, ok ? 1 : 0, gasLeft, refund, root, off, len, ok ? self : 0);
        if (ok) return _resume(w, c, self, gasLeft, refund, w.zero[TREE_DEPTH], 0, 0);
        return _resume(w, c, 0, gasLeft, 0, root, off, len);
    }

    /// @dev The deposited code hash written into the running frame's account (World.setCode).
    function _setCode(Witness memory w, Ctx memory c, bytes32 codeHash) internal pure {
        LibMPT.Store memory st = _store(w);
        address self = address(uint160(c.f[F_ADDRESS]));
        LibMPT.Account memory a = LibMPT.accountAt(st, bytes32(c.s[S_WORLD]), self);
        a.codeHash = codeHash;
        // A creation's account has nonce 1: it neither is absent nor becomes empty.
        if (!a.exists || LibMPT.isEmpty(a)) revert UnsupportedStep(c.op);
        c.s[S_WORLD] = uint256(LibMPT.putAccount(st, bytes32(c.s[S_WORLD]), self, a));
    }

    // ---- CREATE, CREATE2 -----------------------------------------------------------------------

    struct Create {
        uint256 value;
        uint256 size;
        uint256 childGas;
        address self;
        address target;
        bytes key; // accessRoot and createdRoot key of the target
        bytes init;
        LibMPT.Store st;
        LibMPT.Account me;
        LibMPT.Account acct;
    }

    function _create(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        bool two = c.op == 0xf5;
        uint256 n = two ? 4 : 3;
        // A static frame cannot create: every path of the instruction there is an exceptional
        // halt, as are a short stack and gas below the base cost.
        if (c.f[F_STACK_SIZE] < n || c.f[F_STATIC] != 0 || c.f[F_GAS] < GAS_CREATE) return _fail(w, c);
        _pop(w, c, n);
        Create memory k;
        k.value = c.items[0];
        uint256 off = c.items[1];
        k.size = c.items[2];
        if (k.size > MEMORY_LIMIT) return _fail(w, c);
        uint256 words = (k.size + 31) / 32;
        c.gasCost = GAS_CREATE + words * (two ? GAS_INIT_CODE_WORD + GAS_KECCAK_WORD : GAS_INIT_CODE_WORD);
        if (c.f[F_GAS] < c.gasCost) return _fail(w, c);
        uint256 oldSize = c.f[F_MEMORY_SIZE];
        // EIP-3860: init code over 49,152 bytes halts (after its memory is paid for).
        if (!_grow(c, off, k.size) || k.size > MAX_INIT_CODE_SIZE) return _fail(w, c);
        k.init = _readBytes(w, bytes32(c.f[F_MEMORY_ROOT]), oldSize, off, k.size);
        uint256 gas = c.f[F_GAS] - c.gasCost;
        k.childGas = gas - gas / 64;
        c.gasCost += k.childGas;
        c.f[F_RETURNDATA_ROOT] = uint256(w.zero[TREE_DEPTH]);
        c.f[F_RETURNDATA_OFFSET] = 0;
        c.f[F_RETURNDATA_SIZE] = 0;
        k.self = address(uint160(c.f[F_ADDRESS]));
        k.st = _store(w);
        k.me = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.self);
        k.target = two ? _create2Address(k.self, c.items[3], k.init) : _createAddress(k.self, k.me.nonce);
        // Not enough balance, the last nonce, or too deep: 0, and the child's gas stays.
        if (k.me.balance < k.value || k.me.nonce == type(uint64).max || c.f[F_DEPTH] + 1 > DEPTH_LIMIT) {
            c.gasCost -= k.childGas;
            _push1(c, 0);
            return _commit(c);
        }
        return _createAt(w, c, k);
    }

    /// @dev From the warming of the new address on: the collision, or the child frame entered.
    function _createAt(Witness memory w, Ctx memory c, Create memory k) internal pure returns (bytes32) {
        k.key = _addressKey(k.target);
        (bool warm, ) = LibMPT.get(k.st, bytes32(c.s[S_ACCESS]), k.key);
        if (!warm) c.s[S_ACCESS] = uint256(LibMPT.update(k.st, bytes32(c.s[S_ACCESS]), k.key, hex"01"));
        k.acct = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.target);
        k.me.nonce += 1;
        bytes32 world = LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), k.self, k.me);
        // EIP-684/7610: an address with a nonce, code or storage is taken; the nonce and the child's gas are spent.
        if (k.acct.nonce != 0 || k.acct.codeHash != KECCAK_EMPTY || k.acct.storageRoot != LibMPT.EMPTY_ROOT) {
            c.s[S_WORLD] = uint256(world);
            _push1(c, 0);
            return _commit(c);
        }
        // The child's snapshot: after the nonce and the warming, before the account and the value.
        bytes32 snapshot = keccak256(abi.encode(world, c.s[S_ACCESS], c.s[S_TRANSIENT], c.s[S_SELFDESTRUCTS], c.s[S_LOGS], c.s[S_LOG_COUNT]));
        if (k.value != 0) {
            k.me.balance -= k.value;
            world = LibMPT.putAccount(k.st, world, k.self, k.me);
        }
        // EIP-161: the new account starts at nonce 1, its storage empty (no collision: none).
        k.acct.nonce = 1;
        k.acct.balance += k.value;
        c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, world, k.target, k.acct));
        c.s[S_CREATED] = uint256(LibMPT.update(k.st, bytes32(c.s[S_CREATED]), k.key, hex"01"));
        // Empty init code deposits empty code at once: the creator gets the address and all the gas.
        if (k.size == 0) {
            c.gasCost -= k.childGas;
            _push1(c, uint160(k.target));
            return _commit(c);
        }
        bytes32 callerHash = _advance(c);
        c.s[S_FRAME_STACK] = uint256(keccak256(abi.encodePacked(bytes32(c.s[S_FRAME_STACK]), callerHash)));
        c.s[S_FRAME_COUNT] += 1;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(_childFrame(w, c, k, snapshot))));
        return _sealed(c);
    }

    /// @dev The init-code frame as enteredFrameState records it: kind 1, empty stack, memory,
    ///      calldata and return data, the init code as its code preimage.
    function _childFrame(Witness memory w, Ctx memory c, Create memory k, bytes32 snapshot) internal pure returns (uint256[FRAME_WORDS] memory f) {
        bytes32 empty = w.zero[TREE_DEPTH];
        f[F_KIND] = 1;
        f[F_TRANSFERS] = 1;
        f[F_DEPTH] = c.f[F_DEPTH] + 1;
        f[F_CALLER] = uint160(k.self);
        f[F_ADDRESS] = uint160(k.target);
        f[F_CODE_ADDRESS] = uint160(k.target);
        f[F_VALUE] = k.value;
        f[F_CODE] = uint256(keccak256(k.init));
        f[F_CALLDATA_ROOT] = uint256(empty);
        f[F_GAS] = k.childGas;
        f[F_MEMORY_ROOT] = uint256(empty);
        f[F_RETURNDATA_ROOT] = uint256(empty);
        f[F_SNAPSHOT] = uint256(snapshot);
    }

    /// @dev keccak(rlp([sender, nonce]))[12:].
    function _createAddress(address sender, uint64 nonce) internal pure returns (address) {
        bytes[] memory fields = new bytes[](2);
        fields[0] = LibRLP.encodeBytes(abi.encodePacked(sender));
        fields[1] = LibRLP.encodeUint(nonce);
        return address(uint160(uint256(keccak256(LibRLP.encodeList(fields)))));
    }

    /// @dev keccak(0xff ‖ sender ‖ salt ‖ keccak(init))[12:].
    function _create2Address(address sender, uint256 salt, bytes memory init) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), sender, salt, keccak256(init))))));
    }

    // ---- SELFDESTRUCT ------------------------------------------------------------------------

    struct Destruct {
        address self;
        address to;
        uint256 balance;
        bool warm;
        LibMPT.Store st;
        LibMPT.Account me;
        LibMPT.Account acct;
    }

    function _selfdestruct(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        if (c.f[F_STACK_SIZE] < 1 || c.f[F_GAS] < GAS_SELFDESTRUCT) return _fail(w, c);
        _pop(w, c, 1);
        Destruct memory d;
        d.self = address(uint160(c.f[F_ADDRESS]));
        d.to = address(uint160(c.items[0]));
        d.st = _store(w);
        bytes memory key = _addressKey(d.to);
        (d.warm, ) = LibMPT.get(d.st, bytes32(c.s[S_ACCESS]), key);
        c.gasCost = GAS_SELFDESTRUCT + (d.warm ? 0 : GAS_COLD_ACCOUNT);
        d.me = LibMPT.accountAt(d.st, bytes32(c.s[S_WORLD]), d.self);
        d.balance = d.me.balance;
        d.acct = LibMPT.accountAt(d.st, bytes32(c.s[S_WORLD]), d.to);
        bool alive = d.acct.exists && !LibMPT.isEmpty(d.acct);
        if (!alive && d.balance != 0) c.gasCost += GAS_NEW_ACCOUNT;
        if (c.f[F_GAS] < c.gasCost || c.f[F_STATIC] != 0) return _fail(w, c);
        // A running account has code or a nonce; one without would be deleted by the transfer.
        if (!d.me.exists || (d.me.nonce == 0 && d.me.codeHash == KECCAK_EMPTY)) revert UnsupportedStep(c.op);
        if (!d.warm) c.s[S_ACCESS] = uint256(LibMPT.update(d.st, bytes32(c.s[S_ACCESS]), key, hex"01"));
        _destruct(c, d);
        uint256 gasLeft = c.f[F_GAS] - c.gasCost;
        // The frame ends with success and no output; a creation frame deposits empty code.
        bool creation = c.f[F_KIND] == 1;
        if (c.s[S_FRAME_COUNT] == 0) return _result(c, 1, gasLeft, c.f[F_REFUND], w.zero[TREE_DEPTH], 0, 0, creation ? uint160(d.self) : 0);
        return _resume(w, c, creation ? uint160(d.self) : 1, gasLeft, c.f[F_REFUND], w.zero[TREE_DEPTH], 0, 0);
    }

    /// @dev The balance moves to the beneficiary (World.transfer: an account left empty is
    ///      deleted); EIP-6780: an account created in this transaction is emptied (even when it is
    ///      its own beneficiary) and goes into selfdestructRoot. Updates go before the deletion, as
    ///      in the reference's postStateRoot.
    function _destruct(Ctx memory c, Destruct memory d) internal pure {
        bytes memory selfKey = _addressKey(d.self);
        (bool created, ) = LibMPT.get(d.st, bytes32(c.s[S_CREATED]), selfKey);
        bool creation = c.f[F_KIND] == 1;
        if (d.to != d.self || created) d.me.balance = 0;
        if (creation) d.me.codeHash = KECCAK_EMPTY;
        bytes32 world = bytes32(c.s[S_WORLD]);
        // The reference writes the account when its balance moved or code was deposited.
        if (d.balance != 0 || creation) world = LibMPT.putAccount(d.st, world, d.self, d.me);
        if (d.to != d.self) {
            if (d.balance != 0) {
                d.acct.balance += d.balance;
                world = LibMPT.putAccount(d.st, world, d.to, d.acct);
            } else if (d.acct.exists && LibMPT.isEmpty(d.acct)) {
                // Touched by a zero transfer, an existing empty account is deleted (EIP-161).
                world = LibMPT.deleteAccount(d.st, world, d.to);
            }
        }
        c.s[S_WORLD] = uint256(world);
        if (created) {
            c.s[S_SELFDESTRUCTS] = uint256(LibMPT.update(d.st, bytes32(c.s[S_SELFDESTRUCTS]), selfKey, abi.encodePacked(d.self)));
        }
    }
}
