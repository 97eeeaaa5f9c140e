// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";
import {MetisTxBeginStep} from "./MetisTxBeginStep.sol";

import "./MetisStepBase.sol";

/// @notice The TRANSACTIONS part of the MetisVM step verifier (prover/DESIGN.md §4.2): the
///         boundary steps (frameHash = 0), routed to by MetisStepVerifier and checked against the
///         TypeScript reference (vm/step/boundary.ts txBegin and txEnd running beginTransaction
///         and finishTransaction of vm/execution/transaction.ts) step by step. It proves:
///         - the transaction end (resultHash ≠ 0): the refund (the committed refund counter on
///           success plus the EIP-7702 authorization refund, capped at a fifth of the gas used,
///           EIP-3529), the EIP-7623 floor, the sender's change at the effective gas price, the
///           fee to the coinbase (Hyperion: the full effective price; Ethereum and devnet: the
///           price above the base fee, the base fee burnt), EIP-161 clearing of an account the
///           payment leaves empty, the deletion of every account in selfdestructRoot (updates
///           first, then deletions, each in address order, as the reference's postStateRoot), the
///           receipt (EIP-2718 type, status, cumulative gas, bloom, the logs read from the
///           preimages of the logs chain) inserted into receiptsRoot under rlp(txIndex), the
///           bloom OR-ed into bloomHash, gasUsed and blobGasUsed advanced, txIndex + 1 and the
///           transaction-scoped fields emptied.
///         - the transaction begin (txIndex < txCount, resultHash = 0), in MetisTxBeginStep,
///           deployed apart and passed to the constructor (one contract would pass the EIP-170
///           limit), to which verify hands every boundary step without a result; it follows
///           txBegin (decodeTransaction, then beginTransaction of vm/execution/transaction.ts).
///           The transaction is read from its chunk of txListRoot (the preimage its consensus
///           encoding) and decoded by MetisTxDecoder (deployed apart too, passed to
///           MetisTxBeginStep; it also checks the rules that read no account): legacy incl.
///           EIP-155, EIP-2930, EIP-1559, EIP-4844 (canonical form) and EIP-7702, the sender recovered with ecrecover (EIP-2 low s, r and s in
///           range, yParity 0/1, legacy v 27/28 or chainId·2 + 35/36), each authority too. An
///           envelope the reference's decoder rejects gives the invalid block (status 1, every
///           other word unchanged): a type byte other than 1..4 (or a list), a field count, an
///           integer longer than its field (nonce, gas limit, authorization nonce 8 bytes,
///           authorization yParity 1, others 32) or with a leading zero, a `to` or address not of
///           20 bytes, a list where a string belongs or back, an access list entry not of 2
///           fields, a storage key or blob hash not of 32 bytes, a creation of type 3 or 4, no blob
///           hashes, no authorizations, an authorization not of 6 fields, any RLP error
///           (truncated, trailing bytes, non-canonical lengths or single bytes); the decoder
///           reverts (MalformedTransaction or LibRLP's errors) and the begin step catches exactly
///           those selectors. The block is invalid too on a chain id mismatch, a signature naming
///           no sender, intrinsic gas (calldata, creation, init-code words, access list, 25,000
///           per authorization) or the EIP-7623 floor (Prague on) above the gas limit, a nonce at
///           2^64 - 1, init code over 49,152 bytes, the Osaka 2^24 gas cap, the gas limit above
///           what the block has left, the blob gas above what the block has left (6 blobs a block
///           under Cancun, 9 from Prague), a max fee (gas price) below the base fee, a priority fee
///           above the max fee, more than 6 blobs in one transaction (Osaka, EIP-7594), a blob
///           version byte other than 0x01, max_fee_per_blob_gas below the blob base fee
///           (fake_exponential(1, excessBlobGas, 3,338,477 Cancun / 5,007,716 Prague and Osaka);
///           EIP-7918 changes only the excess, as vm/fees.ts), a set-code transaction before
///           Prague, a nonce other than the sender's, a balance below gasLimit·maxFee +
///           blobGas·maxFeePerBlobGas + value (a sum past 2^256 included), a sender with code
///           (EIP-3607) that is not an EIP-7702 delegation (from Prague on).
///           A valid transaction buys its gas (nonce + 1, gasLimit·effective price and blobGas·
///           blob base fee off the balance), starts with the transaction-scoped fields empty,
///           txStartRoot the world before the step, the transaction context record (DESIGN §2.4:
///           blobHashesHash the keccak of the concatenated versioned hashes, blobGas 131,072 a
///           blob, the EIP-7702 refund) and the warm set (coinbase, access list addresses and
///           slots, sender, the fork's precompiles, the inference precompile where models are
///           registered, the target, an EIP-7702 delegate of the target), applies a set-code
///           transaction's authorizations (setDelegations' order: tuples skipped for a foreign
///           chain id, nonce 2^64-1, no authority, an authority with other code or another nonce;
///           the 12,500 refund; designators set or cleared), takes the snapshot and enters the
///           top-level message: a call moves the value and enters the frame of the target's code
///           (through one EIP-7702 delegation, precompiles then disabled), or ends in the step
///           with the result record (an account without code; a precompile run by
///           MetisPrecompiles, its failure undoing the transfer and using all the gas; the
///           inference precompile 0x…0a10 on a chain with registered models, proven from the L1
///           inference game as the CALLS part proves an inner call: the model checked in
///           modelsRoot, its gas and input size from IInferenceResults, the output its final
///           claim settled, a witness preimage; its failures as runInference's); a creation (to =
///           null) at keccak(rlp([sender, nonce])) fails at once on an address collision (code,
///           nonce or storage there: all gas used), else creates the account (nonce 1,
///           createdRoot), moves the value and enters the init code, or ends in the step when the
///           init code is empty.
///         Not proven, each a typed revert (never a post-state):
///         - block start and block end reached through MetisStepVerifier.verify, which has no
///           local context: NeedsLocalContext() (MetisStepVerifier.step gives them, with the
///           game's local context, to the BLOCKS part MetisBlockStep);
///         - a top-level call of Hyperion's LLM precompile (0x…0999): UnreproducibleCall() (as
///           MetisCallStep: no verifier can reproduce it; the reference's step runs it as an
///           account without code and gives a post-state, vm/block/execute.ts refuses the block);
///         - a top-level call of the inference precompile with no L1 inference results
///           (InferenceCall()), of a model the L1 game has not registered (ModelNotOnL1), of an
///           input no claim has settled yet (InferenceNotFinal);
///         - more than 2^52 execution gas: TransactionBeginUnsupported();
///         - a blob base fee whose Taylor series passes 2^256 before it passes the blob fee cap
///           (a cap above ~2^200 wei with an excessBlobGas above ~150 update fractions; no chain
///           reaches it): BlobBaseFeeUnsupported();
///         - the step after a transaction-only trace's message (no inputs): NoNextStep();
///         - a transaction end with more than 2^52 execution gas (the reference does not trace
///           it): ExecutionGasTooLarge().
///
///         Gas of MetisStepVerifier.verify routed here (eth_estimateGas, calldata included; worst
///         seen in test/contracts-step-tx.test.ts, on tries of a few accounts):
///           transaction end, failed (revert, halt)                      ~390k
///           transaction end, success without logs                       ~490k
///           transaction end with 1 / 3 logs                             ~495k / ~535k
///           transaction end with 1 / 2 self-destructed accounts         ~600k / ~700k
///         On a state of 4,000 accounts: a transfer's end ~695k, 3 logs ~725k, 2 self-destructed
///         accounts and a log ~1.02M (each trie level adds a node to the calldata and the walks).
///         Transaction begin (test/contracts-step-txbegin.test.ts; the decoder's call included):
///           invalid: an envelope the decoder rejects                     ~250k
///           invalid: chain id / signature                                ~280k
///           invalid: gas and fee rules                                   ~305k
///           invalid: nonce / balance / sender with code (account read)   ~355k
///           invalid: blob rules (count, blob gas left, version, fee cap) ~340k
///           valid, entering a call frame / the init code                 ~2.37M / ~2.22M
///           valid, ending in the step (transfer, no code, precompile)    ~2.1M (a 5-entry
///             access list with repeated keys ~2.61M)
///           valid, failing in the step (collision, precompile failure)   ~1.94M
///           valid, an empty creation                                     ~1.92M
///           set-code, 1 / 2 / 5 / 8 authorizations                       ~1.85M / ~2.03M / ~3.57M / ~2.29M
///             (8: seven of them skipped)
///           set-code, rejected                                           ~282k
///           blob, 1 blob (a call frame) / 6 to 9 blobs (ending in the step) ~2.05M / ~1.72M
///           blob, 2 blobs at a blob base fee above 1                     ~1.81M
///           a top-level inference call proven from a final claim         ~2.2M
///         On a state of 4,000 accounts: a call frame ~2.45M, a transfer to a new account
///         ~2.38M, init code ~1.86M. A valid begin builds the warm set (some 20 trie inserts: the
///         fork's precompiles alone are 10 to 18) and writes the world twice (the snapshot's root
///         after the gas purchase, then the transfer).
///         Both grow with the transaction's bytes (test/contracts-step-sizes.test.ts, pseudo-random
///         calldata of 1 / 8 / 32 / 64 KiB): the begin ~1.63M / ~2.06M / ~3.66M / ~6.1M (the
///         transaction and its calldata tree), the end of one LOG0 of that data ~0.39M / ~0.53M /
///         ~1.38M / ~2.69M (the receipt hashed from the full log).
///         Runtime code: 19,782 bytes, MetisTxBeginStep 21,909 (init code ~29.4k with
///         MetisPrecompiles'), MetisTxDecoder 9,356 (EIP-170: 24,576; EIP-3860: 49,152).
///         MetisTxBeginStep is deployed apart (contracts/deploy.ts) and passed to the constructor:
///         embedded, its creation code took this contract's init code past EIP-3860's 49,152
///         bytes; MetisTxDecoder is deployed apart and passed to MetisTxBeginStep's (with the L1
///         inference results, IInferenceResults), which would pass EIP-170 with it.
///         Each log adds its preimage and a link to the calldata and ~20k; each deleted account
///         a trie walk and deletion (~100k).
contract MetisTxStep is IMetisStepPart, MetisStepBase {
    error NeedsLocalContext();
    error NoNextStep();
    error ExecutionGasTooLarge();
    error BadLog(bytes32 hash);
    error BadTrieNode();

    /// @notice Proves the transaction begin and rejects block end (a boundary step without a result).
    MetisTxBeginStep public immutable BEGIN;

    /// @dev Deployed apart (contracts/deploy.ts): its creation code no longer fits in this
    ///      contract's init code (EIP-3860) since it proves EIP-7702 authorizations.
    constructor(MetisTxBeginStep begin) {
        BEGIN = begin;
    }

    uint256 internal constant S_BLOB_GAS_USED = 18;
    uint256 internal constant S_RECEIPTS = 19;
    uint256 internal constant S_BLOOM = 20;


    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32) {
        if (stateData.length != 22 * 32) revert BadStateData();
        Ctx memory c;
        c.s = abi.decode(stateData, (uint256[22]));
        // Only a boundary of an unfinished state is routed here; the reference's decoder bounds
        // the counters.
        if (c.s[S_STATUS] != STATUS_UNFINISHED || c.s[S_FRAME] != 0) revert BadStateData();
        if (c.s[S_LOG_COUNT] > SAFE_MAX || c.s[S_FRAME_COUNT] > 1024 || c.s[S_TX_INDEX] > SAFE_MAX) revert BadStateData();
        // The phase (DESIGN §4 table, vm/step/boundary.ts phaseOf).
        if (c.s[S_INPUTS] == 0) {
            if (c.s[S_BLOCK] == 0) revert NeedsLocalContext();
            revert NoNextStep();
        }
        // No result: a transaction begin (or block end, which BEGIN rejects).
        if (c.s[S_RESULT] == 0) return BEGIN.verify(stateData, preimages);
        return _txEnd(_witness(preimages), c);
    }

    /// @notice No frame runs at a boundary: there is nothing to halt.
    function verifyHalt(bytes calldata, bytes[] calldata) external pure returns (bytes32) {
        revert UnsupportedStep(0);
    }

    // ---- the transaction end -------------------------------------------------------------------

    /// @dev What settlement reads: the block context's coinbase and fee rule, the transaction
    ///      context (DESIGN §2.4) and the message result (§2.5).
    struct End {
        uint256 chainKind;
        address coinbase;
        uint256 baseFee;
        address origin;
        uint256 price;
        uint256 txType;
        uint256 gasLimit;
        uint256 intrinsic;
        uint256 floor;
        uint256 blobGas;
        uint256 authRefund;
        bool success;
        uint256 gasLeft;
        int256 refund;
        uint256 gasUsed;
    }

    function _txEnd(Witness memory w, Ctx memory c) internal pure returns (bytes32) {
        End memory e = _loadEnd(w, c);
        if (e.gasLimit - e.intrinsic > MAX_EXEC_GAS) revert ExecutionGasTooLarge();
        _settle(e);
        LibMPT.Store memory st = LibMPT.Store(w.hashes, w.data, w.n, w.slots);
        c.s[S_WORLD] = uint256(_pay(st, c, e));
        _receipt(w, st, c, e);
        // Between transactions the transaction-scoped fields are empty (boundary.ts between).
        c.s[S_TX] = 0;
        c.s[S_TX_START] = 0;
        c.s[S_ACCESS] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_TRANSIENT] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_CREATED] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_SELFDESTRUCTS] = uint256(LibMPT.EMPTY_ROOT);
        c.s[S_LOGS] = 0;
        c.s[S_LOG_COUNT] = 0;
        c.s[S_FRAME_STACK] = 0;
        c.s[S_FRAME_COUNT] = 0;
        c.s[S_RESULT] = 0;
        c.s[S_TX_INDEX] += 1;
        c.s[S_GAS_USED] += e.gasUsed;
        c.s[S_BLOB_GAS_USED] += e.blobGas;
        return _sealed(c);
    }

    /// @dev The three records, with the checks of the reference's decoders (vm/step/state.ts).
    function _loadEnd(Witness memory w, Ctx memory c) internal pure returns (End memory e) {
        bytes32 h = bytes32(c.s[S_BLOCK]);
        bytes memory rec = _get(w, h);
        if (rec.length != 12 * 32) revert BadPreimage(h);
        uint256[12] memory b = abi.decode(rec, (uint256[12]));
        if (b[0] > 2 || b[2] > 2 || b[5] >> 160 != 0) revert BadPreimage(h);
        e.chainKind = b[0];
        e.coinbase = address(uint160(b[5]));
        e.baseFee = b[7];

        h = bytes32(c.s[S_TX]);
        rec = _get(w, h);
        if (rec.length != 9 * 32) revert BadPreimage(h);
        uint256[9] memory t = abi.decode(rec, (uint256[9]));
        if (t[0] >> 160 != 0 || t[3] > 0xff || t[8] > SAFE_MAX) revert BadPreimage(h);
        e.origin = address(uint160(t[0]));
        e.price = t[1];
        e.txType = t[3];
        e.gasLimit = t[4];
        e.intrinsic = t[5];
        e.floor = t[6];
        e.blobGas = t[7];
        e.authRefund = t[8];

        h = bytes32(c.s[S_RESULT]);
        rec = _get(w, h);
        if (rec.length != 7 * 32) revert BadPreimage(h);
        uint256[7] memory r = abi.decode(rec, (uint256[7]));
        int256 refund = int256(r[2]);
        // The refund is read as a number: only values a double holds exactly are the reference's.
        bool bad = r[0] > 1 || r[1] > SAFE_MAX || refund > int256(SAFE_MAX) || refund < -int256(SAFE_MAX);
        if (bad || r[4] > SAFE_MAX || r[5] >> 160 != 0 || r[6] > SAFE_MAX) revert BadPreimage(h);
        e.success = r[0] == 1;
        e.gasLeft = r[1];
        e.refund = refund;
    }

    /// @dev finishTransaction's gas: the refund capped at a fifth (EIP-3529), then the floor (EIP-7623).
    function _settle(End memory e) internal pure {
        uint256 before = e.gasLimit - e.gasLeft;
        int256 cap = int256(before / 5);
        int256 counter = int256(e.authRefund) + (e.success ? e.refund : int256(0));
        int256 refund = counter < cap ? counter : cap;
        int256 used = int256(before) - refund;
        if (used < int256(e.floor)) used = int256(e.floor);
        e.gasUsed = uint256(used);
    }

    /// @dev An account as the reference's world cache holds it through settlement: `live` false
    ///      once deleted (or never there); `dirty` once written.
    struct Cached {
        address addr;
        bool existed;
        bool live;
        bool dirty;
        LibMPT.Account a;
    }

    /// @dev WorldState.addBalance: an absent (or deleted) account is created with fresh storage;
    ///      an account the change leaves empty is deleted (EIP-161).
    function _add(Cached memory x, uint256 amount) internal pure {
        if (!x.live) {
            x.a = LibMPT.Account(true, 0, 0, LibMPT.EMPTY_ROOT, KECCAK_EMPTY);
            x.live = true;
            x.dirty = true;
        }
        if (amount != 0) {
            x.a.balance += amount;
            x.dirty = true;
        }
        if (LibMPT.isEmpty(x.a)) x.live = false;
    }

    /// @dev The sender's change, the coinbase's fee, the self-destructed accounts deleted: the
    ///      new world root (postStateRoot: updates in address order, then deletions in address order).
    function _pay(LibMPT.Store memory st, Ctx memory c, End memory e) internal pure returns (bytes32 world) {
        world = bytes32(c.s[S_WORLD]);
        Cached memory sender = _cached(st, world, e.origin);
        Cached memory coinbase = e.coinbase == e.origin ? sender : _cached(st, world, e.coinbase);
        _add(sender, (e.gasLimit - e.gasUsed) * e.price);
        uint256 feePrice = e.chainKind == CHAIN_HYPERION ? e.price : e.price - e.baseFee;
        _add(coinbase, e.gasUsed * feePrice);

        address[] memory gone = _trieAddresses(st, bytes32(c.s[S_SELFDESTRUCTS]));
        for (uint256 i = 0; i < gone.length; i++) {
            if (gone[i] == sender.addr) _destroy(sender);
            else if (gone[i] == coinbase.addr) _destroy(coinbase);
        }
        // Updates, lower address first.
        Cached memory lo = sender;
        Cached memory hi = coinbase;
        if (uint160(hi.addr) < uint160(lo.addr)) (lo, hi) = (hi, lo);
        world = _write(st, world, lo);
        if (hi.addr != lo.addr) world = _write(st, world, hi);
        // Deletions: the self-destructed accounts and the accounts the payments emptied.
        address[] memory del = new address[](gone.length + 2);
        uint256 n = 0;
        for (uint256 i = 0; i < gone.length; i++) if (gone[i] != sender.addr && gone[i] != coinbase.addr) del[n++] = gone[i];
        if (lo.dirty && !lo.live && lo.existed) del[n++] = lo.addr;
        if (hi.addr != lo.addr && hi.dirty && !hi.live && hi.existed) del[n++] = hi.addr;
        _sort(del, n);
        for (uint256 i = 0; i < n; i++) {
            if (i > 0 && del[i] == del[i - 1]) continue;
            world = LibMPT.deleteAccount(st, world, del[i]);
        }
    }

    function _cached(LibMPT.Store memory st, bytes32 world, address addr) internal pure returns (Cached memory x) {
        x.addr = addr;
        x.a = LibMPT.accountAt(st, world, addr);
        x.existed = x.a.exists;
        x.live = x.a.exists;
    }

    /// @dev WorldState.destroyAccount: a cached live account becomes deleted.
    function _destroy(Cached memory x) internal pure {
        if (!x.live) return;
        x.live = false;
        x.dirty = true;
    }

    function _write(LibMPT.Store memory st, bytes32 world, Cached memory x) internal pure returns (bytes32) {
        if (!x.dirty || !x.live) return world;
        return LibMPT.putAccount(st, world, x.addr, x.a);
    }

    function _sort(address[] memory a, uint256 n) internal pure {
        for (uint256 i = 1; i < n; i++) {
            address v = a[i];
            uint256 j = i;
            while (j > 0 && uint160(a[j - 1]) > uint160(v)) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    }

    // ---- the selfdestruct trie ------------------------------------------------------------

    /// @dev Every value of the trie under `root`, each a 20-byte address (boundary.ts trieValues).
    function _trieAddresses(LibMPT.Store memory st, bytes32 root) internal pure returns (address[] memory out) {
        bytes memory acc;
        if (root != LibMPT.EMPTY_ROOT) acc = _visitHash(st, root, acc);
        out = new address[](acc.length / 20);
        for (uint256 i = 0; i < out.length; i++) {
            address a;
            assembly ("memory-safe") {
                a := shr(96, mload(add(add(acc, 32), mul(i, 20))))
            }
            out[i] = a;
        }
    }

    function _visitHash(LibMPT.Store memory st, bytes32 h, bytes memory acc) internal pure returns (bytes memory) {
        bytes memory enc = LibMPT.lookup(st, h);
        return _visit(st, LibRLP.toItem(enc), acc);
    }

    function _visit(LibMPT.Store memory st, LibRLP.Item memory node, bytes memory acc) internal pure returns (bytes memory) {
        if (!LibRLP.isList(node)) {
            uint256 len = LibRLP.bytesLength(node);
            if (len == 0) return acc;
            if (len != 32) revert BadTrieNode();
            return _visitHash(st, LibRLP.toBytes32(node), acc);
        }
        LibRLP.Item[] memory parts = LibRLP.readList(node);
        if (parts.length == 17) {
            for (uint256 i = 0; i < 16; i++) acc = _visit(st, parts[i], acc);
            if (!LibRLP.isList(parts[16]) && LibRLP.bytesLength(parts[16]) != 0) acc = _value(parts[16], acc);
            return acc;
        }
        if (parts.length != 2 || LibRLP.isList(parts[0])) revert BadTrieNode();
        (uint256 ptr, uint256 plen) = LibRLP.payload(parts[0]);
        if (plen == 0) revert BadTrieNode();
        uint256 flag;
        assembly ("memory-safe") {
            flag := shr(4, byte(0, mload(ptr)))
        }
        if (flag >= 2) {
            if (LibRLP.isList(parts[1])) revert BadTrieNode();
            return _value(parts[1], acc);
        }
        return _visit(st, parts[1], acc);
    }

    function _value(LibRLP.Item memory v, bytes memory acc) internal pure returns (bytes memory) {
        bytes memory b = LibRLP.toBytes(v);
        if (b.length != 20) revert BadTrieNode();
        return bytes.concat(acc, b);
    }

    // ---- the receipt ------------------------------------------------------------------------

    function _receipt(Witness memory w, LibMPT.Store memory st, Ctx memory c, End memory e) internal pure {
        uint256 count = c.s[S_LOG_COUNT];
        bytes[] memory logs = new bytes[](count);
        bytes memory bloom = new bytes(256);
        bytes32 head = bytes32(c.s[S_LOGS]);
        // The chain's top is the newest log: fill from the end.
        for (uint256 i = count; i > 0; i--) {
            (bytes32 below, bytes32 item) = _pair(w, head);
            logs[i - 1] = _log(w, item, bloom);
            head = below;
        }
        bytes[] memory fields = new bytes[](4);
        fields[0] = LibRLP.encodeUint(e.success ? 1 : 0);
        fields[1] = LibRLP.encodeUint(c.s[S_GAS_USED] + e.gasUsed);
        fields[2] = LibRLP.encodeBytes(bloom);
        fields[3] = LibRLP.encodeList(logs);
        bytes memory body = LibRLP.encodeList(fields);
        bytes memory receipt = e.txType == 0 ? body : bytes.concat(bytes1(uint8(e.txType)), body);
        c.s[S_RECEIPTS] = uint256(LibMPT.update(st, bytes32(c.s[S_RECEIPTS]), LibRLP.encodeUint(c.s[S_TX_INDEX]), receipt));

        bytes memory zero = new bytes(256);
        bytes32 emptyBloom = keccak256(zero);
        bytes32 bh = bytes32(c.s[S_BLOOM]);
        bytes memory blockBloom = bh == emptyBloom ? zero : _get(w, bh);
        if (blockBloom.length != 256) revert BadPreimage(bh);
        for (uint256 i = 0; i < 256; i++) blockBloom[i] = blockBloom[i] | bloom[i];
        c.s[S_BLOOM] = uint256(keccak256(blockBloom));
    }

    /// @dev A log preimage rlp([address, [topics], data]) as encodeLog writes it; its address and
    ///      topics go into the bloom.
    function _log(Witness memory w, bytes32 h, bytes memory bloom) internal pure returns (bytes memory enc) {
        enc = _get(w, h);
        LibRLP.Item memory it = LibRLP.toItem(enc);
        if (!LibRLP.isList(it)) revert BadLog(h);
        LibRLP.Item[] memory f = LibRLP.readList(it);
        if (f.length != 3 || LibRLP.isList(f[0]) || !LibRLP.isList(f[1]) || LibRLP.isList(f[2])) revert BadLog(h);
        bytes memory addr = LibRLP.toBytes(f[0]);
        if (addr.length != 20) revert BadLog(h);
        _addToBloom(bloom, keccak256(addr));
        LibRLP.Item[] memory topics = LibRLP.readList(f[1]);
        for (uint256 i = 0; i < topics.length; i++) {
            if (LibRLP.isList(topics[i])) revert BadLog(h);
            _addToBloom(bloom, keccak256(abi.encodePacked(LibRLP.toBytes32(topics[i]))));
        }
    }

    /// @dev The Yellow Paper's M3:2048: three 11-bit indices from the first six bytes of the hash.
    function _addToBloom(bytes memory bloom, bytes32 h) internal pure {
        for (uint256 i = 0; i < 6; i += 2) {
            uint256 bit = ((uint256(uint8(h[i])) << 8) | uint8(h[i + 1])) & 2047;
            uint256 idx = 255 - (bit >> 3);
            bloom[idx] = bloom[idx] | bytes1(uint8(1 << (bit & 7)));
        }
    }
}
