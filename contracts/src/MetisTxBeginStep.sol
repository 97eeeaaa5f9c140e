// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";
import {MetisPrecompiles} from "./MetisPrecompiles.sol";

import "./MetisStepBase.sol";

/// @notice The transaction-begin step of the TRANSACTIONS part (prover/DESIGN.md §4.2), which
///         MetisTxStep is given at construction (deployed apart: embedded, its creation code
///         took MetisTxStep's init code past EIP-3860) and hands every boundary step without a
///         result to (one contract would pass the EIP-170 limit). It follows vm/step/boundary.ts txBegin running
///         beginTransaction of vm/execution/transaction.ts; MetisTxStep's header comment lists
///         what is proven and what reverts.
contract MetisTxBeginStep is MetisStepBase {
    error NeedsLocalContext();
    error NoNextStep();
    error TransactionBeginUnsupported();
    error UnsupportedTransaction(uint8 txType);


    uint256 internal constant FORK_PRAGUE = 1;
    uint256 internal constant FORK_OSAKA = 2;
    address internal constant INFERENCE = address(0xa10);
    address internal constant UNREPRODUCIBLE = address(0x999);

    uint256 internal constant STATUS_INVALID = 1;
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant NONCE_LIMIT = 2 ** 64 - 1;
    uint256 internal constant MAX_INIT_CODE_SIZE = 49152;
    uint256 internal constant PER_EMPTY_ACCOUNT_COST = 25000;
    uint256 internal constant AUTH_REFUND = 25000 - 12500;

    /// @notice Runs the precompiles of the L2 fork (a top-level call of a precompile ends in the begin step).
    MetisPrecompiles public immutable PRECOMPILES;

    constructor() {
        PRECOMPILES = new MetisPrecompiles();
    }

    /// @dev The fields of a decoded legacy, EIP-2930, EIP-1559 or EIP-7702 transaction.
    struct Tx {
        uint256 txType;
        bool hasChainId;
        uint256 chainId;
        uint256 nonce;
        uint256 maxPriority; // the gas price for types 0 and 1
        uint256 maxFee; // the gas price for types 0 and 1
        uint256 gasLimit;
        bool create;
        address to;
        uint256 value;
        bytes data;
        uint256 dataZeros;
        uint256 accessAddresses;
        uint256 accessKeys;
        LibRLP.Item accessList; // typed transactions only
        LibRLP.Item auths; // type 4: the authorization list
        uint256 authCount;
        bool rejected; // type 4 without `to` or authorizations: decodeTransaction rejects it
        address sender; // zero: no key recovers (or a malformed signature)
        uint256 intrinsic;
        uint256 floor;
    }

    /// @notice A boundary step with no result: the begin of transaction txIndex, or block end.
    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32) {
        if (stateData.length != 22 * 32) revert BadStateData();
        Ctx memory c;
        c.s = abi.decode(stateData, (uint256[22]));
        if (c.s[S_STATUS] != STATUS_UNFINISHED || c.s[S_FRAME] != 0 || c.s[S_RESULT] != 0) revert BadStateData();
        if (c.s[S_LOG_COUNT] > SAFE_MAX || c.s[S_FRAME_COUNT] > 1024 || c.s[S_TX_INDEX] > SAFE_MAX) revert BadStateData();
        if (c.s[S_INPUTS] == 0) {
            if (c.s[S_BLOCK] == 0) revert NeedsLocalContext();
            revert NoNextStep();
        }
        Witness memory w = _witness(preimages);
        bytes memory inputs = _get(w, bytes32(c.s[S_INPUTS]));
        if (inputs.length != 4 * 32) revert BadPreimage(bytes32(c.s[S_INPUTS]));
        (, , bytes32 txListRoot, uint256 txCount) = abi.decode(inputs, (bytes32, bytes32, bytes32, uint256));
        if (txCount > SAFE_MAX) revert BadPreimage(bytes32(c.s[S_INPUTS]));
        if (c.s[S_TX_INDEX] >= txCount) revert NeedsLocalContext();
        // The list has 2^24 chunks (readChunk's checkIndex): a higher index reads nothing.
        if (c.s[S_TX_INDEX] >> TREE_DEPTH != 0) revert BadStateData();
        return _txBegin(w, c, txListRoot);
    }

    // ---- the transaction begin ---------------------------------------------------------------

    /// @dev Transaction `txIndex` of the inputs (vm/step/boundary.ts txBegin): the invalid block
    ///      when beginTransaction rejects it, else the gas bought and the top-level message entered.
    function _txBegin(Witness memory w, Ctx memory c, bytes32 txListRoot) internal view returns (bytes32) {
        bytes32 h = bytes32(c.s[S_BLOCK]);
        bytes memory rec = _get(w, h);
        if (rec.length != 12 * 32) revert BadPreimage(h);
        uint256[12] memory b = abi.decode(rec, (uint256[12]));
        if (b[0] > 2 || b[2] > 2 || b[5] >> 160 != 0) revert BadPreimage(h);
        bytes memory raw = _get(w, _readChunk(w, txListRoot, c.s[S_TX_INDEX]));
        Tx memory t = _decodeTx(raw);
        if (_invalid(w, c, b, t)) {
            c.s[S_STATUS] = STATUS_INVALID;
            return bytes32((uint256(keccak256(abi.encode(c.s))) & ~(uint256(0xff) << 248)) | (STATUS_INVALID << 248));
        }
        return _valid(w, c, b, t);
    }

    /// @dev Whether the reference rejects the transaction: each condition below makes txBegin
    ///      return the invalid block (a chain id mismatch, a signature recovering no sender, or one
    ///      of beginTransaction's InvalidTransactionErrors). Sets t.intrinsic and t.floor.
    function _invalid(Witness memory w, Ctx memory c, uint256[12] memory b, Tx memory t) internal pure returns (bool) {
        if (t.rejected) return true;
        if (t.hasChainId && t.chainId != b[1]) return true;
        if (t.sender == address(0)) return true;
        uint256 fork = b[2];
        if (t.txType == 4 && fork < FORK_PRAGUE) return true;
        // intrinsicGas (vm/tx/gas.ts), the EIP-7623 floor from Prague on.
        uint256 nonZeros = t.data.length - t.dataZeros;
        uint256 intrinsic = 21000 + 4 * t.dataZeros + 16 * nonZeros + 2400 * t.accessAddresses + 1900 * t.accessKeys;
        if (t.create) intrinsic += 32000 + 2 * ((t.data.length + 31) / 32);
        intrinsic += PER_EMPTY_ACCOUNT_COST * t.authCount;
        uint256 floor = fork >= FORK_PRAGUE ? 21000 + 10 * (t.dataZeros + 4 * nonZeros) : 0;
        t.intrinsic = intrinsic;
        t.floor = floor;
        if ((intrinsic > floor ? intrinsic : floor) > t.gasLimit) return true;
        if (t.nonce >= NONCE_LIMIT) return true;
        if (t.create && t.data.length > MAX_INIT_CODE_SIZE) return true;
        if (fork >= FORK_OSAKA && t.gasLimit > 1 << 24) return true;
        // check_transaction: the block's gas, the fee caps against the base fee.
        if (t.gasLimit + c.s[S_GAS_USED] > b[6]) return true;
        uint256 baseFee = b[7];
        if (t.txType >= 2 && t.maxFee < t.maxPriority) return true;
        if (t.maxFee < baseFee) return true;
        uint256 maxGasFee = t.gasLimit * t.maxFee;
        LibMPT.Account memory a = LibMPT.accountAt(_store(w), bytes32(c.s[S_WORLD]), t.sender);
        if (a.nonce != t.nonce) return true;
        if (a.balance < maxGasFee + t.value) return true;
        // EIP-3607: a sender with code must be an EOA, or (Prague on) one with an EIP-7702 delegation.
        if (a.codeHash != KECCAK_EMPTY) {
            if (fork < FORK_PRAGUE) return true;
            (bool delegated, ) = _delegation(_get(w, a.codeHash));
            if (!delegated) return true;
        }
        return false;
    }

    // ---- a valid transaction: the gas bought, the message entered ------------------------------

    /// @dev What entering the top-level message needs beyond the transaction.
    struct Begin {
        uint256 fork;
        uint256 price; // the effective gas price
        uint256 gas; // the frame's gas: gasLimit - intrinsic
        address target; // `to`, or the creation's address
        address codeAddress;
        bytes32 codeHash;
        bool disable; // an EIP-7702 delegated call: precompiles disabled
        bytes32 snapshot;
        bytes32 models; // the block's modelsRoot
        uint256 chainKind;
        LibMPT.Store st;
        // Designators set by the authorizations: their code is no witness preimage.
        bytes32[] setHashes;
        address[] setTargets;
    }

    function _valid(Witness memory w, Ctx memory c, uint256[12] memory b, Tx memory t) internal view returns (bytes32) {
        Begin memory k;
        k.fork = b[2];
        k.models = bytes32(b[11]);
        k.chainKind = b[0];
        k.st = _store(w);
        uint256 baseFee = b[7];
        if (t.txType >= 2) {
            uint256 room = t.maxFee - baseFee;
            k.price = (t.maxPriority < room ? t.maxPriority : room) + baseFee;
        } else k.price = t.maxFee;
        // A frame counts gas in doubles: the reference runs more than 2^52 with 2^52 (not traced here).
        if (t.gasLimit - t.intrinsic > MAX_EXEC_GAS) revert TransactionBeginUnsupported();
        k.gas = t.gasLimit - t.intrinsic;
        k.target = t.create ? _createAddress(t.sender, t.nonce) : t.to;

        // between(s): the transaction-scoped fields start empty.
        c.s[S_TX_START] = c.s[S_WORLD];
        c.s[S_TRANSIENT] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_CREATED] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_SELFDESTRUCTS] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_LOGS] = 0;
        c.s[S_LOG_COUNT] = 0;
        c.s[S_FRAME_STACK] = 0;
        c.s[S_FRAME_COUNT] = 0;

        // Buy gas: nonce + 1, gasLimit·price off the sender's balance.
        LibMPT.Account memory a = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), t.sender);
        a.nonce += 1;
        a.balance -= t.gasLimit * k.price;
        c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), t.sender, a));
        _warmAll(c, k, b, t);
        uint256 authRefund = t.txType == 4 ? _setDelegations(w, c, k, b, t) : 0;
        // The context record (encodeTxContext): blob gas 0, the EIP-7702 refund.
        c.s[S_TX] = uint256(keccak256(abi.encode(t.sender, k.price, KECCAK_EMPTY, t.txType, t.gasLimit, t.intrinsic, t.floor, uint256(0), authRefund)));
        if (!t.create) _resolve(w, c, k);
        return t.create ? _enterCreate(w, c, k, t) : _enterCall(w, c, k, t);
    }

    /// @dev The warm set of a fresh transaction: the coinbase (EIP-3651), the access list, the
    ///      sender, the fork's precompiles, the inference precompile where models are registered,
    ///      the target (the order is beginTransaction's; the trie does not depend on it).
    function _warmAll(Ctx memory c, Begin memory k, uint256[12] memory b, Tx memory t) internal pure {
        bytes32 root = LibMPT.EMPTY_ROOT;
        root = _warm(k.st, root, address(uint160(b[5])));
        if (t.txType != 0) {
            LibRLP.Item[] memory al = LibRLP.readList(t.accessList);
            for (uint256 i = 0; i < al.length; i++) {
                LibRLP.Item[] memory pair = LibRLP.readList(al[i]);
                address addr = address(bytes20(LibRLP.toBytes(pair[0])));
                root = _warm(k.st, root, addr);
                LibRLP.Item[] memory keys = LibRLP.readList(pair[1]);
                for (uint256 j = 0; j < keys.length; j++) {
                    bytes memory key = abi.encodePacked(keccak256(abi.encodePacked(addr, LibRLP.toBytes32(keys[j]))));
                    root = LibMPT.update(k.st, root, key, hex"01");
                }
            }
        }
        root = _warm(k.st, root, t.sender);
        for (uint256 p = 1; p <= 0x11; p++) if (_isPrecompile(p, k.fork)) root = _warm(k.st, root, address(uint160(p)));
        if (k.fork >= FORK_OSAKA) root = _warm(k.st, root, address(0x100));
        if (bytes32(b[11]) != LibMPT.EMPTY_ROOT) root = _warm(k.st, root, INFERENCE);
        c.s[S_ACCESS] = uint256(_warm(k.st, root, k.target));
    }

    /// @dev EIP-7702 set_delegation (transaction.ts setDelegations): an authorization with a
    ///      foreign chain id, nonce 2^64-1, no authority (EIP-2), an authority with other code or
    ///      another nonce is skipped; a valid one warms the authority (also when skipped after
    ///      the warming), sets or clears its designator and bumps its nonce. Returns the refund.
    function _setDelegations(Witness memory w, Ctx memory c, Begin memory k, uint256[12] memory b, Tx memory t) internal pure returns (uint256 refund) {
        LibRLP.Item[] memory list = LibRLP.readList(t.auths);
        k.setHashes = new bytes32[](list.length);
        k.setTargets = new address[](list.length);
        for (uint256 i = 0; i < list.length; i++) {
            LibRLP.Item[] memory f = LibRLP.readList(list[i]);
            uint256 chainId = LibRLP.toUint(f[0]);
            if (chainId != 0 && chainId != b[1]) continue;
            uint256 nonce = LibRLP.toUint(f[2]);
            if (nonce >= NONCE_LIMIT) continue;
            address authority = _authority(f, chainId, nonce);
            if (authority == address(0)) continue;
            c.s[S_ACCESS] = uint256(_warm(k.st, bytes32(c.s[S_ACCESS]), authority));
            LibMPT.Account memory a = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), authority);
            if (a.codeHash != KECCAK_EMPTY) {
                (bool delegated, ) = _codeDelegation(w, k, a.codeHash);
                if (!delegated) continue;
            }
            if (a.nonce != nonce) continue;
            if (a.exists) refund += AUTH_REFUND;
            else a = LibMPT.Account(true, 0, 0, LibMPT.EMPTY_ROOT, KECCAK_EMPTY);
            address to = address(bytes20(LibRLP.toBytes(f[1])));
            a.codeHash = to == address(0) ? KECCAK_EMPTY : keccak256(abi.encodePacked(hex"ef0100", to));
            k.setHashes[i] = a.codeHash;
            k.setTargets[i] = to;
            a.nonce += 1;
            c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), authority, a));
        }
    }

    /// @dev recoverAuthority: ecrecover of keccak(0x05 ‖ rlp([chainId, address, nonce])) under
    ///      EIP-2's rules; zero when no key recovers.
    function _authority(LibRLP.Item[] memory f, uint256 chainId, uint256 nonce) internal pure returns (address) {
        uint256 y = LibRLP.toUint(f[3]);
        uint256 r = LibRLP.toUint(f[4]);
        uint256 s = LibRLP.toUint(f[5]);
        if (y > 1 || r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_N >> 1) return address(0);
        bytes memory payload = bytes.concat(LibRLP.encodeUint(chainId), LibRLP.toRaw(f[1]), LibRLP.encodeUint(nonce));
        bytes32 digest = keccak256(bytes.concat(hex"05", LibRLP.encodeLength(payload.length, 0xc0), payload));
        return ecrecover(digest, uint8(27 + y), bytes32(r), bytes32(s));
    }

    /// @dev The fork's precompiles (activePrecompiles; MetisPrecompiles.isPrecompile).
    function _isPrecompile(uint256 a, uint256 fork) internal pure returns (bool) {
        if (a >= 0x01 && a <= 0x0a) return true;
        if (a >= 0x0b && a <= 0x11) return fork >= FORK_PRAGUE;
        return a == 0x100 && fork >= FORK_OSAKA;
    }

    function _warm(LibMPT.Store memory st, bytes32 root, address a) internal pure returns (bytes32) {
        return LibMPT.update(st, root, abi.encodePacked(keccak256(abi.encodePacked(a))), hex"01");
    }

    /// @dev The code the call runs: the target's, or from Prague on the code of the account its
    ///      EIP-7702 designator names (one hop, warmed, precompiles disabled).
    function _resolve(Witness memory w, Ctx memory c, Begin memory k) internal pure {
        k.codeAddress = k.target;
        k.codeHash = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.target).codeHash;
        if (k.fork < FORK_PRAGUE || k.codeHash == KECCAK_EMPTY) return;
        (bool delegated, address to) = _codeDelegation(w, k, k.codeHash);
        if (!delegated) return;
        c.s[S_ACCESS] = uint256(_warm(k.st, bytes32(c.s[S_ACCESS]), to));
        k.codeAddress = to;
        k.codeHash = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), to).codeHash;
        k.disable = true;
    }

    /// @dev Whether the code of hash h is a designator: one this step set, or the witness's code.
    function _codeDelegation(Witness memory w, Begin memory k, bytes32 h) internal pure returns (bool, address) {
        for (uint256 i = 0; i < k.setHashes.length; i++) if (k.setHashes[i] == h) return (true, k.setTargets[i]);
        return _delegation(_get(w, h));
    }

    /// @dev An EIP-7702 delegation designator (0xef0100 ‖ address) and the address it names.
    function _delegation(bytes memory code) internal pure returns (bool, address to) {
        if (code.length != 23 || code[0] != 0xef || code[1] != 0x01 || code[2] != 0x00) return (false, address(0));
        assembly ("memory-safe") {
            to := shr(96, mload(add(code, 35)))
        }
        return (true, to);
    }

    /// @dev createAddress: keccak(rlp([sender, nonce]))[12:].
    function _createAddress(address sender, uint256 nonce) internal pure returns (address) {
        bytes memory list = bytes.concat(hex"94", bytes20(sender), LibRLP.encodeUint(nonce));
        return address(uint160(uint256(keccak256(bytes.concat(LibRLP.encodeLength(list.length, 0xc0), list)))));
    }

    /// @dev The snapshot the top-level frame restores on failure (taken as Machine.enter starts).
    function _snapshot(Ctx memory c) internal pure returns (bytes32) {
        return keccak256(abi.encode(c.s[S_WORLD], c.s[S_ACCESS], c.s[S_TRANSIENT], c.s[S_SELFDESTRUCTS], c.s[S_LOGS], c.s[S_LOG_COUNT]));
    }

    /// @dev Machine.enter of the top-level call: the value moves, then a precompile, nothing (no
    ///      code) or the frame.
    function _enterCall(Witness memory w, Ctx memory c, Begin memory k, Tx memory t) internal view returns (bytes32) {
        k.snapshot = _snapshot(c);
        uint256 worldBefore = c.s[S_WORLD];
        if (t.value != 0) c.s[S_WORLD] = uint256(_transfer(k.st, bytes32(c.s[S_WORLD]), t.sender, t.to, t.value));
        // Hyperion's LLM precompile cannot be reproduced (as in MetisCallStep); the inference
        // precompile is proven from the L1 inference game by the CALLS part only.
        if (k.chainKind == CHAIN_HYPERION && k.codeAddress == UNREPRODUCIBLE) revert TransactionBeginUnsupported();
        if (k.codeAddress == INFERENCE && !k.disable && k.models != LibMPT.EMPTY_ROOT) revert TransactionBeginUnsupported();
        if (_isPrecompile(uint160(k.codeAddress), k.fork)) {
            if (k.disable) return _result(w, c, true, k.gas, "", address(0));
            (bool ok, uint256 used, bytes memory out) = PRECOMPILES.run(uint160(k.codeAddress), k.fork, t.data, k.gas);
            if (ok && used <= k.gas) return _result(w, c, true, k.gas - used, out, address(0));
            // A failing precompile takes all the gas, and the transfer is undone.
            c.s[S_WORLD] = worldBefore;
            return _result(w, c, false, 0, "", address(0));
        }
        if (k.codeHash == KECCAK_EMPTY) return _result(w, c, true, k.gas, "", address(0));
        uint256[24] memory f = _frame(w, k, t);
        f[3] = k.disable ? 1 : 0;
        f[F_CALLDATA_ROOT] = uint256(_buildTree(w, t.data));
        f[F_CALLDATA_SIZE] = t.data.length;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(f)));
        return _sealed(c);
    }

    /// @dev The top-level creation: an address collision ends at once (all gas used); else the
    ///      account is created (nonce 1, in createdRoot), the value moves, the init code runs.
    function _enterCreate(Witness memory w, Ctx memory c, Begin memory k, Tx memory t) internal pure returns (bytes32) {
        LibMPT.Account memory a = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), k.target);
        if (a.codeHash != KECCAK_EMPTY || a.nonce != 0 || a.storageRoot != LibMPT.EMPTY_ROOT) return _result(w, c, false, 0, "", address(0));
        k.snapshot = _snapshot(c);
        c.s[S_CREATED] = uint256(_warm(k.st, LibMPT.EMPTY_ROOT, k.target));
        if (!a.exists) a = LibMPT.Account(true, 0, 0, LibMPT.EMPTY_ROOT, KECCAK_EMPTY);
        a.nonce = 1;
        c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), k.target, a));
        if (t.value != 0) c.s[S_WORLD] = uint256(_transfer(k.st, bytes32(c.s[S_WORLD]), t.sender, k.target, t.value));
        // Empty init code returns nothing: the deposit of no code succeeds at once.
        if (t.data.length == 0) return _result(w, c, true, k.gas, "", k.target);
        k.codeAddress = k.target;
        k.codeHash = keccak256(t.data);
        uint256[24] memory f = _frame(w, k, t);
        f[F_KIND] = 1;
        f[F_CALLDATA_ROOT] = uint256(w.zero[TREE_DEPTH]);
        c.s[S_FRAME] = uint256(keccak256(abi.encode(f)));
        return _sealed(c);
    }

    /// @dev The top-level frame as enteredFrameState records it: depth 0, empty stack, memory and
    ///      return data, all the execution gas.
    function _frame(Witness memory w, Begin memory k, Tx memory t) internal pure returns (uint256[24] memory f) {
        bytes32 empty = w.zero[TREE_DEPTH];
        f[2] = 1; // transfersValue
        f[F_CALLER] = uint160(t.sender);
        f[F_ADDRESS] = uint160(k.target);
        f[7] = uint160(k.codeAddress);
        f[F_VALUE] = t.value;
        f[F_CODE] = uint256(k.codeHash);
        f[F_GAS] = k.gas;
        f[F_MEMORY_ROOT] = uint256(empty);
        f[F_RETURNDATA_ROOT] = uint256(empty);
        f[F_SNAPSHOT] = uint256(k.snapshot);
    }

    /// @dev World.transfer: the sender's balance down, the receiver's up (created if absent).
    function _transfer(LibMPT.Store memory st, bytes32 world, address from, address to, uint256 value) internal pure returns (bytes32) {
        LibMPT.Account memory a = LibMPT.accountAt(st, world, from);
        a.balance -= value;
        world = LibMPT.putAccount(st, world, from, a);
        LibMPT.Account memory b = LibMPT.accountAt(st, world, to);
        if (!b.exists) b = LibMPT.Account(true, 0, 0, LibMPT.EMPTY_ROOT, KECCAK_EMPTY);
        b.balance += value;
        return LibMPT.putAccount(st, world, to, b);
    }

    /// @dev The message ended inside the step (DESIGN §2.5): frameHash = 0 and the result record.
    function _result(Witness memory w, Ctx memory c, bool success, uint256 gasLeft, bytes memory output, address created) internal pure returns (bytes32) {
        c.s[S_FRAME] = 0;
        c.s[S_RESULT] = uint256(keccak256(abi.encode(success ? 1 : 0, gasLeft, uint256(0), _buildTree(w, output), output.length, created)));
        return _sealed(c);
    }

    function _store(Witness memory w) internal pure returns (LibMPT.Store memory) {
        return LibMPT.Store(w.hashes, w.data, w.n);
    }

    // ---- decoding -----------------------------------------------------------------------------

    /// @dev decodeTransaction and recoverSender (vm/tx/codec.ts, vm/tx/signature.ts) for types 0, 1, 2, 4.
    function _decodeTx(bytes memory raw) internal pure returns (Tx memory t) {
        if (raw.length == 0) revert UnsupportedTransaction(0);
        uint8 first = uint8(raw[0]);
        bytes memory body = raw;
        if (first <= 0x7f) {
            if (first != 1 && first != 2 && first != 4) revert UnsupportedTransaction(first);
            t.txType = first;
            body = new bytes(raw.length - 1);
            for (uint256 i = 0; i < body.length; i++) body[i] = raw[i + 1];
        }
        LibRLP.Item[] memory f = LibRLP.readList(LibRLP.toItem(body));
        uint256 n = t.txType == 0 ? 9 : t.txType == 1 ? 11 : t.txType == 2 ? 12 : 13;
        if (f.length != n) revert UnsupportedTransaction(uint8(t.txType));
        // The unsigned fields: nonce..data (legacy) or chainId..accessList (typed).
        uint256 o = t.txType == 0 ? 0 : 1;
        if (t.txType != 0) {
            t.hasChainId = true;
            t.chainId = LibRLP.toUint(f[0]);
        }
        t.nonce = LibRLP.toUint(f[o]);
        t.maxPriority = LibRLP.toUint(f[o + 1]);
        uint256 q = o + 2;
        if (t.txType >= 2) q++;
        t.maxFee = LibRLP.toUint(f[q - 1]);
        t.gasLimit = LibRLP.toUint(f[q]);
        if (LibRLP.isList(f[q + 1])) revert UnsupportedTransaction(uint8(t.txType));
        uint256 toLen = LibRLP.bytesLength(f[q + 1]);
        if (toLen != 0 && toLen != 20) revert UnsupportedTransaction(uint8(t.txType));
        t.create = toLen == 0;
        if (t.create && t.txType == 4) t.rejected = true;
        if (!t.create) t.to = address(bytes20(LibRLP.toBytes(f[q + 1])));
        t.value = LibRLP.toUint(f[q + 2]);
        uint256 unsigned = _dataAndAccess(t, f, q);
        _recover(t, f, unsigned);
    }

    function _dataAndAccess(Tx memory t, LibRLP.Item[] memory f, uint256 q) internal pure returns (uint256 unsigned) {
        if (LibRLP.isList(f[q + 3])) revert UnsupportedTransaction(uint8(t.txType));
        t.data = LibRLP.toBytes(f[q + 3]);
        for (uint256 i = 0; i < t.data.length; i++) if (t.data[i] == 0) t.dataZeros++;
        unsigned = q + 4;
        if (t.txType != 0) {
            t.accessList = f[q + 4];
            LibRLP.Item[] memory al = LibRLP.readList(f[q + 4]);
            for (uint256 i = 0; i < al.length; i++) {
                LibRLP.Item[] memory pair = LibRLP.readList(al[i]);
                if (pair.length != 2 || LibRLP.isList(pair[0]) || LibRLP.bytesLength(pair[0]) != 20) revert UnsupportedTransaction(uint8(t.txType));
                LibRLP.Item[] memory keys = LibRLP.readList(pair[1]);
                for (uint256 k = 0; k < keys.length; k++) LibRLP.toBytes32(keys[k]);
                t.accessAddresses++;
                t.accessKeys += keys.length;
            }
            unsigned = q + 5;
        }
        if (t.txType == 4) {
            t.auths = f[q + 5];
            LibRLP.Item[] memory list = LibRLP.readList(f[q + 5]);
            if (list.length == 0) t.rejected = true;
            // decodeAuthorizations' field rules; a malformed tuple is not decoded here.
            for (uint256 i = 0; i < list.length; i++) {
                LibRLP.Item[] memory a = LibRLP.readList(list[i]);
                if (a.length != 6 || LibRLP.isList(a[1]) || LibRLP.bytesLength(a[1]) != 20) revert UnsupportedTransaction(4);
                if (LibRLP.toUint(a[2]) >> 64 != 0 || LibRLP.toUint(a[3]) > 0xff) revert UnsupportedTransaction(4);
                LibRLP.toUint(a[0]);
                LibRLP.toUint(a[4]);
                LibRLP.toUint(a[5]);
            }
            t.authCount = list.length;
            unsigned = q + 6;
        }
    }

    /// @dev recoverSender: t.sender stays zero when the signature names no sender.
    function _recover(Tx memory t, LibRLP.Item[] memory f, uint256 unsigned) internal pure {
        // The signing payload.
        bytes memory payload;
        for (uint256 i = 0; i < unsigned; i++) payload = bytes.concat(payload, LibRLP.toRaw(f[i]));
        uint256 v = LibRLP.toUint(f[unsigned]);
        uint256 r = LibRLP.toUint(f[unsigned + 1]);
        uint256 s = LibRLP.toUint(f[unsigned + 2]);
        uint256 parity;
        if (t.txType == 0) {
            if (v == 27 || v == 28) {
                parity = v - 27;
            } else if (v >= 35) {
                parity = (v - 35) & 1;
                t.hasChainId = true;
                t.chainId = (v - 35) >> 1;
                payload = bytes.concat(payload, LibRLP.encodeUint(t.chainId), hex"8080");
            } else {
                return; // no sender: an invalid legacy v
            }
        } else {
            if (v > 1) return;
            parity = v;
        }
        if (r == 0 || r >= SECP256K1_N || s == 0 || s > SECP256K1_N >> 1) return;
        bytes memory list = bytes.concat(LibRLP.encodeLength(payload.length, 0xc0), payload);
        bytes32 digest = t.txType == 0 ? keccak256(list) : keccak256(bytes.concat(bytes1(uint8(t.txType)), list));
        t.sender = ecrecover(digest, uint8(27 + parity), bytes32(r), bytes32(s));
    }
}
