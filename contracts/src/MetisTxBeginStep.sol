// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";
import {MetisPrecompiles} from "./MetisPrecompiles.sol";
import {IInferenceResults} from "./IInferenceResults.sol";
import {MetisTxDecoder, DecodedTx, TxAuth} from "./MetisTxDecoder.sol";

import {MetisInferenceCall} from "./MetisInferenceCall.sol";
import "./MetisStepBase.sol";

/// @notice The transaction-begin step of the TRANSACTIONS part (prover/DESIGN.md §4.2), which
///         MetisTxStep is given at construction (deployed apart: embedded, its creation code
///         took MetisTxStep's init code past EIP-3860) and hands every boundary step without a
///         result to (one contract would pass the EIP-170 limit). It follows vm/step/boundary.ts
///         txBegin running decodeTransaction (vm/tx/) and beginTransaction of
///         vm/execution/transaction.ts: MetisTxDecoder (deployed apart: EIP-170) decodes and checks
///         the rules that read no account, this contract the account rules, the gas purchase, the
///         warm set, the authorizations and the top-level message; MetisTxStep's header comment lists
///         what is proven and what reverts. In short:
///         - every envelope the reference's decoder rejects (TxDecodeError: a type byte other than
///           1..4 or a list, a field count, an integer longer than its field or with a leading
///           zero, a `to`/address not of 20 bytes, a creation of type 3 or 4, no blob hashes, no
///           authorizations, any RLP error) gives the invalid block: MetisTxDecoder reverts with
///           MalformedTransaction or a LibRLP error, which this contract catches by selector
///           (any other revert, out of gas included, is passed on);
///         - blob (EIP-4844) transactions: blob count against the fork's block maximum and the
///           block's blob gas left, Osaka's 6 per transaction (EIP-7594), version byte 0x01,
///           max_fee_per_blob_gas against fake_exponential(1, excessBlobGas, the fork's update
///           fraction) (vm/fees.ts; EIP-7918 changes only the excess, not this price), the balance
///           with blob gas at the cap, the blob fee bought at the blob base fee, the context's
///           blobHashesHash and blobGas;
///         - a top-level call of the inference precompile (0x…0a10 where models are registered):
///           proven from the L1 inference game (IInferenceResults, a constructor argument) as
///           MetisCallStep proves an inner call; InferenceCall() without one, ModelNotOnL1,
///           InferenceNotFinal before the claim is final; the output bytes a witness preimage;
///         - a top-level call of Hyperion's LLM precompile (0x…0999) reverts UnreproducibleCall():
///           the reference's step runs it as an account without code (a post-state no chain
///           agrees with), vm/block/execute.ts refuses the block; as MetisCallStep, no proof.
contract MetisTxBeginStep is MetisStepBase, MetisInferenceCall {
    error NeedsLocalContext();
    error NoNextStep();
    error TransactionBeginUnsupported();
    /// @dev A call of Hyperion's LLM precompile, whose answer no verifier can reproduce.
    error UnreproducibleCall();

    uint256 internal constant FORK_PRAGUE = 1;
    uint256 internal constant FORK_OSAKA = 2;
    address internal constant INFERENCE = address(0xa10);
    address internal constant UNREPRODUCIBLE = address(0x999);
    uint256 internal constant S_BLOB_GAS_USED = 18;

    uint256 internal constant STATUS_INVALID = 1;
    uint256 internal constant NONCE_LIMIT = 2 ** 64 - 1;
    uint256 internal constant AUTH_REFUND = 25000 - 12500;
    uint256 internal constant GAS_PER_BLOB = 131072;

    /// @notice Runs the precompiles of the L2 fork (a top-level call of a precompile ends in the begin step).
    MetisPrecompiles public immutable PRECOMPILES;
    /// @notice decodeTransaction and the signatures (deployed apart: EIP-170).
    MetisTxDecoder public immutable DECODER;
    constructor(IInferenceResults inferenceResults, MetisTxDecoder decoder) MetisInferenceCall(inferenceResults) {
        PRECOMPILES = new MetisPrecompiles();
        DECODER = decoder;
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
    ///      when the decoder or beginTransaction rejects it, else the gas bought and the top-level
    ///      message entered.
    function _txBegin(Witness memory w, Ctx memory c, bytes32 txListRoot) internal view returns (bytes32) {
        bytes32 h = bytes32(c.s[S_BLOCK]);
        bytes memory rec = _get(w, h);
        if (rec.length != 12 * 32) revert BadPreimage(h);
        uint256[12] memory b = abi.decode(rec, (uint256[12]));
        if (b[0] > 2 || b[2] > 2 || b[5] >> 160 != 0) revert BadPreimage(h);
        bytes memory raw = _get(w, _readChunk(w, txListRoot, c.s[S_TX_INDEX]));
        DecodedTx memory t;
        bool invalid;
        uint256 cost;
        try DECODER.begin(raw, b, c.s[S_GAS_USED], c.s[S_BLOB_GAS_USED]) returns (DecodedTx memory d, bool ruled, uint256 most) {
            (t, invalid, cost) = (d, ruled, most);
        } catch (bytes memory err) {
            // Only the decoder's own verdicts (the reference's TxDecodeError) reject the bytes:
            // anything else (out of gas: no revert data) is passed on.
            if (!_rejection(err)) {
                assembly ("memory-safe") {
                    revert(add(err, 32), mload(err))
                }
            }
            invalid = true;
        }
        if (invalid || _accountInvalid(w, c, b, t, cost)) {
            c.s[S_STATUS] = STATUS_INVALID;
            return bytes32((uint256(keccak256(abi.encode(c.s))) & ~(uint256(0xff) << 248)) | (STATUS_INVALID << 248));
        }
        return _valid(w, c, b, t);
    }

    /// @dev Whether revert data is the decoder's: MalformedTransaction or one of LibRLP's errors.
    function _rejection(bytes memory err) internal pure returns (bool) {
        if (err.length < 4) return false;
        bytes4 sel = bytes4(err);
        return sel == MetisTxDecoder.MalformedTransaction.selector || sel == LibRLP.RLPTruncated.selector ||
            sel == LibRLP.RLPNonCanonical.selector || sel == LibRLP.RLPTrailingBytes.selector ||
            sel == LibRLP.RLPExpectedList.selector || sel == LibRLP.RLPExpectedBytes.selector ||
            sel == LibRLP.RLPIntegerTooLong.selector || sel == LibRLP.RLPBadLength.selector;
    }

    /// @dev beginTransaction's rules that read the sender's account (the decoder checked those
    ///      before): its nonce, its balance against the most the transaction may spend, EIP-3607.
    function _accountInvalid(Witness memory w, Ctx memory c, uint256[12] memory b, DecodedTx memory t, uint256 cost) internal pure returns (bool) {
        LibMPT.Account memory a = LibMPT.accountAt(_store(w), bytes32(c.s[S_WORLD]), t.sender);
        if (a.nonce != t.nonce) return true;
        if (a.balance < cost) return true;
        // EIP-3607: a sender with code must be an EOA, or (Prague on) one with an EIP-7702 delegation.
        if (a.codeHash != KECCAK_EMPTY) {
            if (b[2] < FORK_PRAGUE) return true;
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

    function _valid(Witness memory w, Ctx memory c, uint256[12] memory b, DecodedTx memory t) internal view returns (bytes32) {
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
        uint256 blobGas = GAS_PER_BLOB * t.blobHashes.length;
        a.balance -= t.gasLimit * k.price + blobGas * t.blobPrice;
        c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), t.sender, a));
        _warmAll(c, k, b, t);
        uint256 authRefund = t.txType == 4 ? _setDelegations(w, c, k, b, t) : 0;
        // The context record (encodeTxContext): the blob hashes' hash (keccak("") for none), the
        // blob gas, the EIP-7702 refund.
        bytes32 blobs = t.blobHashes.length == 0 ? KECCAK_EMPTY : keccak256(abi.encodePacked(t.blobHashes));
        c.s[S_TX] = uint256(keccak256(abi.encode(t.sender, k.price, blobs, t.txType, t.gasLimit, t.intrinsic, t.floor, blobGas, authRefund)));
        if (!t.create) _resolve(w, c, k);
        return t.create ? _enterCreate(w, c, k, t) : _enterCall(w, c, k, t);
    }

    /// @dev The warm set of a fresh transaction: the coinbase (EIP-3651), the access list, the
    ///      sender, the fork's precompiles, the inference precompile where models are registered,
    ///      the target (the order is beginTransaction's; the trie does not depend on it).
    function _warmAll(Ctx memory c, Begin memory k, uint256[12] memory b, DecodedTx memory t) internal pure {
        bytes32 root = LibMPT.EMPTY_ROOT;
        root = _warm(k.st, root, address(uint160(b[5])));
        for (uint256 i = 0; i < t.accessAddresses.length; i++) root = _warm(k.st, root, t.accessAddresses[i]);
        for (uint256 i = 0; i < t.accessSlots.length; i++) root = LibMPT.update(k.st, root, abi.encodePacked(t.accessSlots[i]), hex"01");
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
    function _setDelegations(Witness memory w, Ctx memory c, Begin memory k, uint256[12] memory b, DecodedTx memory t) internal pure returns (uint256 refund) {
        uint256 n = t.auths.length;
        k.setHashes = new bytes32[](n);
        k.setTargets = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            TxAuth memory x = t.auths[i];
            if (x.chainId != 0 && x.chainId != b[1]) continue;
            if (x.nonce >= NONCE_LIMIT) continue;
            address authority = x.authority;
            if (authority == address(0)) continue;
            c.s[S_ACCESS] = uint256(_warm(k.st, bytes32(c.s[S_ACCESS]), authority));
            LibMPT.Account memory a = LibMPT.accountAt(k.st, bytes32(c.s[S_WORLD]), authority);
            if (a.codeHash != KECCAK_EMPTY) {
                (bool delegated, ) = _codeDelegation(w, k, a.codeHash);
                if (!delegated) continue;
            }
            if (a.nonce != x.nonce) continue;
            if (a.exists) refund += AUTH_REFUND;
            else a = LibMPT.Account(true, 0, 0, LibMPT.EMPTY_ROOT, KECCAK_EMPTY);
            a.codeHash = x.to == address(0) ? KECCAK_EMPTY : keccak256(abi.encodePacked(hex"ef0100", x.to));
            k.setHashes[i] = a.codeHash;
            k.setTargets[i] = x.to;
            a.nonce += 1;
            c.s[S_WORLD] = uint256(LibMPT.putAccount(k.st, bytes32(c.s[S_WORLD]), authority, a));
        }
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
    function _enterCall(Witness memory w, Ctx memory c, Begin memory k, DecodedTx memory t) internal view returns (bytes32) {
        k.snapshot = _snapshot(c);
        uint256 worldBefore = c.s[S_WORLD];
        if (t.value != 0) c.s[S_WORLD] = uint256(_transfer(k.st, bytes32(c.s[S_WORLD]), t.sender, t.to, t.value));
        // Machine.enter's order: the inference precompile (where models are registered), then
        // the fork's precompiles. Hyperion's LLM precompile cannot be reproduced (as in
        // MetisCallStep; the reference's step runs it as an account without code).
        if (k.codeAddress == INFERENCE && !k.disable && k.models != LibMPT.EMPTY_ROOT) return _inference(w, c, k, t, worldBefore);
        if (k.chainKind == CHAIN_HYPERION && k.codeAddress == UNREPRODUCIBLE) revert UnreproducibleCall();
        if (_isPrecompile(uint160(k.codeAddress), k.fork)) {
            if (k.disable) return _result(w, c, true, k.gas, "", address(0));
            (bool ok, uint256 used, bytes memory out) = PRECOMPILES.run(uint160(k.codeAddress), k.fork, t.data, k.gas);
            if (ok && used <= k.gas) return _result(w, c, true, k.gas - used, out, address(0));
            // A failing precompile takes all the gas, and the transfer is undone.
            c.s[S_WORLD] = worldBefore;
            return _result(w, c, false, 0, "", address(0));
        }
        if (k.codeHash == KECCAK_EMPTY) return _result(w, c, true, k.gas, "", address(0));
        uint256[FRAME_WORDS] memory f = _frame(w, k, t);
        f[3] = k.disable ? 1 : 0;
        f[F_CALLDATA_ROOT] = uint256(_buildTree(w, t.data));
        f[F_CALLDATA_SIZE] = t.data.length;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(f)));
        return _sealed(c);
    }

    /// @dev runInference (vm/precompiles/inference.ts) of the transaction's data with all its
    ///      execution gas, proven from the L1 inference game as MetisCallStep proves an inner
    ///      call: a failure takes all the gas and undoes the transfer; a success costs the
    ///      model's gas and returns the output the game settled (its bytes a witness preimage).
    function _inference(Witness memory w, Ctx memory c, Begin memory k, DecodedTx memory t, uint256 worldBefore) internal view returns (bytes32) {
        (bool ok, uint256 cost, bytes32 outputHash) = _settledInference(k.st, k.models, t.data, k.gas);
        if (!ok) {
            c.s[S_WORLD] = worldBefore;
            return _result(w, c, false, 0, "", address(0));
        }
        return _result(w, c, true, k.gas - cost, _get(w, outputHash), address(0));
    }


    /// @dev The top-level creation: an address collision ends at once (all gas used); else the
    ///      account is created (nonce 1, in createdRoot), the value moves, the init code runs.
    function _enterCreate(Witness memory w, Ctx memory c, Begin memory k, DecodedTx memory t) internal pure returns (bytes32) {
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
        uint256[FRAME_WORDS] memory f = _frame(w, k, t);
        f[F_KIND] = 1;
        f[F_CALLDATA_ROOT] = uint256(w.zero[TREE_DEPTH]);
        c.s[S_FRAME] = uint256(keccak256(abi.encode(f)));
        return _sealed(c);
    }

    /// @dev The top-level frame as enteredFrameState records it: depth 0, empty stack, memory and
    ///      return data, all the execution gas.
    function _frame(Witness memory w, Begin memory k, DecodedTx memory t) internal pure returns (uint256[FRAME_WORDS] memory f) {
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
        c.s[S_RESULT] = uint256(keccak256(abi.encode(success ? 1 : 0, gasLeft, uint256(0), _buildTree(w, output), output.length, created, uint256(0))));
        return _sealed(c);
    }

    function _store(Witness memory w) internal pure returns (LibMPT.Store memory) {
        return LibMPT.Store(w.hashes, w.data, w.n, w.slots);
    }
}
