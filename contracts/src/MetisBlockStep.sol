// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMetisBlockPart, LocalContext} from "./IStepVerifier.sol";
import {LibMPT} from "./LibMPT.sol";
import {LibRLP} from "./LibRLP.sol";

import "./MetisStepBase.sol";

/// @notice The BLOCKS part of the MetisVM step verifier (prover/DESIGN.md §4.2): block start and
///         block end, the two steps that read the game's local context, routed to by
///         MetisStepVerifier.step and checked against the TypeScript reference
///         (vm/step/boundary.ts blockStart and blockEnd) step by step. It proves:
///         - the block start (status 3, frameHash 0, inputsHash 0, blockHash 0):
///           - past the game's block (l2BlockNumber ≤ startingBlockNumber) nothing runs: the boot
///             state with outputRoot = startingOutputRoot, status 0 when the disputed root is the
///             starting one, else 1;
///           - inputs the chain never committed (inputsHash 0): the invalid block (status 1) of
///             the loaded state (the transaction-scoped fields empty, the inputs hash, the empty
///             receipts trie and bloom);
///           - else the starting output's 128-byte preimage, the inputs record (§2.7), the header
///             template (not an RLP header of 15 to 21 items: the invalid block) and the block
///             context (§2.3); the invalid block unless the template extends the agreed parent
///             and agrees with the context (parent hash, number, timestamp, coinbase, gas limit,
///             base fee, prevRandao = mixHash, excess blob gas, its execution fields zero, the
///             context's ancestor chunk 0 the parent hash);
///           - the EIP-4788 system call (the template has parentBeaconBlockRoot) and the EIP-2935
///             one (Prague on) when their accounts hold the canonical bytecode, applied as that
///             code's effect when called by the system address: storage[timestamp % 8191] =
///             timestamp and storage[timestamp % 8191 + 8191] = the root; storage[(number - 1) %
///             8191] = the parent hash; skipped when the account has no code;
///           - the post-state: loaded, blockHash = the context hash, worldRoot after the writes.
///         - the block end (inputsHash ≠ 0, resultHash 0, txIndex ≥ txCount): the header is the
///           template with stateRoot, receiptsRoot, logsBloom (the preimage of bloomHash; 256
///           zero bytes for the empty bloom), gasUsed, blobGasUsed (when the template has it) and
///           requestsHash (when the template has it, Prague on: sha256 of no requests) filled in;
///           outputRoot = keccak(0 ‖ stateRoot ‖ the storage root of 0x4200…0016 (the empty trie
///           when absent) ‖ keccak(rlp(header))); status 0 when it is the disputed output root,
///           else 1.
///         Not proven, each a typed revert (never a post-state):
///         - a system contract (EIP-4788, EIP-2935) holding other code: SystemContractUnsupported;
///         - a request contract (EIP-7002, EIP-7251) with code, Prague on: RequestContractUnsupported
///           (every chain kind the block context names takes the request contracts 'when-present'
///           and has no EIP-6110 deposit contract: vm/step/execute.ts baseRulesOf);
///         - a block with withdrawals (withdrawalsRoot not the empty trie): WithdrawalsUnsupported;
///         - a block end whose template is not a header (unreachable: its block start was
///           invalid): BadHeaderTemplate; a template field the reference's decoder rejects (a list,
///           a non-canonical integer, a coinbase not of 20 bytes): LibRLP's error or BadHeaderTemplate;
///         - any other step: NotBlockStep.
///
///         Gas of verifyBlock (eth_estimateGas, calldata included; worst seen in
///         test/contracts-step-block.test.ts, on tries of a few accounts):
///           block start past the game's block / without committed inputs    ~51k / ~51k
///           block start, a template that is not a header                   ~84k
///             (lists nested 1,025 deep in a field: ~690k)
///           block start, a template that does not match                    ~150k
///             (all but the ancestor chunk match: ~250k)
///           block start, no system contract has code                       ~297k
///           block start, EIP-2935 / EIP-4788 / both applied                ~422k / ~596k / ~768k
///           block end, the empty bloom / a bloom                           ~208k / ~216k
///         On a state of 4,000 accounts: block start with both system contracts ~1.03M, block
///         end ~385k (each trie level adds a node to the calldata and the walks). The ancestor
///         chunk is a 24-level byte-tree walk (~100k); each system contract write a storage
///         trie update and an account update.
///         Runtime code: 18,007 bytes (EIP-170: 24,576).
contract MetisBlockStep is IMetisBlockPart, MetisStepBase {
    error NotBlockStep();
    error SystemContractUnsupported(address account);
    error RequestContractUnsupported(address account);
    error WithdrawalsUnsupported();
    error BadHeaderTemplate(bytes32 hash);

    address internal constant BEACON_ROOTS = 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02;
    address internal constant HISTORY_STORAGE = 0x0000F90827F1C53a10cb7A02335B175320002935;
    address internal constant WITHDRAWAL_REQUESTS = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    address internal constant CONSOLIDATION_REQUESTS = 0x0000BBdDc7CE488642fb579F8B00f3a590007251;
    address internal constant MESSAGE_PASSER = 0x4200000000000000000000000000000000000016;
    /// @dev keccak of the runtime code EIP-4788 and EIP-2935 deploy.
    bytes32 internal constant BEACON_ROOTS_CODE_HASH = 0xf57acd40259872606d76197ef052f3d35588dadf919ee1f0e3cb9b62d3f4b02c;
    bytes32 internal constant HISTORY_STORAGE_CODE_HASH = 0x6e49e66782037c0555897870e29fa5e552daf4719552131a0abce779daec0a5d;
    /// @dev Both contracts' ring buffers hold 8191 entries.
    uint256 internal constant HISTORY_WINDOW = 8191;
    /// @dev keccak of 256 zero bytes (the empty bloom, no preimage) and sha256 of no requests.
    bytes32 internal constant EMPTY_BLOOM_HASH = 0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5;
    bytes32 internal constant EMPTY_REQUESTS_HASH = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    uint256 internal constant S_BLOB_GAS_USED = 18;
    uint256 internal constant S_RECEIPTS = 19;
    uint256 internal constant S_BLOOM = 20;
    uint256 internal constant S_OUTPUT = 21;

    // Block context words (DESIGN §2.3).
    uint256 internal constant C_FORK = 2;
    uint256 internal constant C_NUMBER = 3;
    uint256 internal constant C_TIMESTAMP = 4;
    uint256 internal constant C_ANCESTORS = 10;

    // Header items (vm/block/header.ts): the numeric ones, then the optional trailing fields.
    uint256 internal constant NUMERIC_ITEMS = (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 15) | (1 << 17) | (1 << 18);
    uint256 internal constant H_BASE_FEE = 15;
    uint256 internal constant H_WITHDRAWALS = 16;
    uint256 internal constant H_BLOB_GAS_USED = 17;
    uint256 internal constant H_EXCESS_BLOB_GAS = 18;
    uint256 internal constant H_BEACON_ROOT = 19;
    uint256 internal constant H_REQUESTS = 20;

    function verifyBlock(bytes calldata stateData, bytes[] calldata preimages, LocalContext calldata local) external pure returns (bytes32) {
        if (stateData.length != 22 * 32) revert BadStateData();
        uint256[22] memory s = abi.decode(stateData, (uint256[22]));
        // The reference's decoder (vm/step/state.ts decodeStepState), then its phase (phaseOf).
        if (s[S_STATUS] > STATUS_UNFINISHED || s[S_LOG_COUNT] > SAFE_MAX || s[S_FRAME_COUNT] > 1024 || s[S_TX_INDEX] > SAFE_MAX) revert BadStateData();
        if (s[S_STATUS] != STATUS_UNFINISHED || s[S_FRAME] != 0) revert NotBlockStep();
        Witness memory w = _witness(preimages);
        if (s[S_INPUTS] == 0) {
            if (s[S_BLOCK] != 0) revert NotBlockStep();
            return _blockStart(w, local);
        }
        if (s[S_RESULT] != 0) revert NotBlockStep();
        (bytes32 templateHash,,, uint256 txCount) = _inputs(w, bytes32(s[S_INPUTS]));
        if (s[S_TX_INDEX] < txCount) revert NotBlockStep();
        return _blockEnd(w, s, templateHash, local.disputedOutputRoot);
    }

    // ---- block start ---------------------------------------------------------------------------

    function _blockStart(Witness memory w, LocalContext calldata local) internal pure returns (bytes32) {
        if (local.l2BlockNumber <= local.startingBlockNumber) {
            // Past the game's block both outputs name one block: the boot state with the starting root.
            uint256[22] memory b;
            b[S_STATUS] = local.startingOutputRoot == local.disputedOutputRoot ? 0 : 1;
            b[S_OUTPUT] = uint256(local.startingOutputRoot);
            return _commitment(b);
        }
        uint256[22] memory p = _loaded(local.inputsHash);
        if (local.inputsHash == 0) return _invalid(p);
        bytes memory out = _get(w, local.startingOutputRoot);
        if (out.length != 128) revert BadPreimage(local.startingOutputRoot);
        (, bytes32 parentStateRoot,, bytes32 parentHash) = abi.decode(out, (bytes32, bytes32, bytes32, bytes32));
        (bytes32 templateHash, bytes32 contextHash,,) = _inputs(w, local.inputsHash);
        (bool ok, LibRLP.Item[] memory t) = _header(_get(w, templateHash), templateHash);
        if (!ok) return _invalid(p);
        uint256[12] memory c = _context(w, contextHash);
        if (!_matches(w, t, c, parentHash, local.l2BlockNumber)) return _invalid(p);
        LibMPT.Store memory st = LibMPT.Store(w.hashes, w.data, w.n, w.slots);
        bytes32 world = parentStateRoot;
        if (t.length > H_BEACON_ROOT && _systemCode(st, world, BEACON_ROOTS, BEACON_ROOTS_CODE_HASH)) {
            uint256 ts = c[C_TIMESTAMP];
            uint256 idx = ts % HISTORY_WINDOW;
            world = LibMPT.setStorage(st, world, BEACON_ROOTS, idx, ts);
            world = LibMPT.setStorage(st, world, BEACON_ROOTS, idx + HISTORY_WINDOW, _calldataWord(t[H_BEACON_ROOT]));
        }
        if (c[C_FORK] >= 1 && _systemCode(st, world, HISTORY_STORAGE, HISTORY_STORAGE_CODE_HASH)) {
            world = LibMPT.setStorage(st, world, HISTORY_STORAGE, (c[C_NUMBER] - 1) % HISTORY_WINDOW, uint256(parentHash));
        }
        p[S_BLOCK] = uint256(contextHash);
        p[S_WORLD] = uint256(world);
        return _commitment(p);
    }

    /// @dev between(BOOT_STATE) with the inputs, the empty receipts trie and the empty bloom.
    function _loaded(bytes32 inputsHash) internal pure returns (uint256[22] memory p) {
        p[S_STATUS] = STATUS_UNFINISHED;
        p[S_ACCESS] = uint256(LibMPT.EMPTY_ROOT);
        p[S_TRANSIENT] = uint256(LibMPT.EMPTY_ROOT);
        p[S_CREATED] = uint256(LibMPT.EMPTY_ROOT);
        p[S_SELFDESTRUCTS] = uint256(LibMPT.EMPTY_ROOT);
        p[S_INPUTS] = uint256(inputsHash);
        p[S_RECEIPTS] = uint256(LibMPT.EMPTY_ROOT);
        p[S_BLOOM] = uint256(EMPTY_BLOOM_HASH);
    }

    /// @dev boundary.ts templateMatches, its conditions in its order (the ancestor chunk read last).
    function _matches(Witness memory w, LibRLP.Item[] memory t, uint256[12] memory c, bytes32 parentHash, uint256 number)
        internal
        pure
        returns (bool)
    {
        uint256 n = t.length;
        if (!_isWord(t[0], parentHash) || LibRLP.toUint(t[8]) != number || c[C_NUMBER] != number) return false;
        if (c[C_TIMESTAMP] != LibRLP.toUint(t[11]) || c[5] != _addressOf(t[2]) || c[6] != LibRLP.toUint(t[9])) return false;
        if (c[7] != (n > H_BASE_FEE ? LibRLP.toUint(t[H_BASE_FEE]) : 0) || !_isNumber(t[13], c[8])) return false;
        if (c[9] != (n > H_EXCESS_BLOB_GAS ? LibRLP.toUint(t[H_EXCESS_BLOB_GAS]) : 0)) return false;
        if (!_isWord(t[3], 0) || !_isWord(t[5], 0) || !_allZero(t[6]) || LibRLP.toUint(t[10]) != 0) return false;
        if (n > H_BLOB_GAS_USED && LibRLP.toUint(t[H_BLOB_GAS_USED]) != 0) return false;
        if (n > H_REQUESTS && !_isWord(t[H_REQUESTS], 0)) return false;
        return number == 0 || _readChunk(w, bytes32(c[C_ANCESTORS]), 0) == parentHash;
    }

    /// @dev Whether the account holds the canonical code `canonical` (skipped, as systemCall skips
    ///      an account without code, when it holds none); other code is not proven.
    function _systemCode(LibMPT.Store memory st, bytes32 world, address target, bytes32 canonical) internal pure returns (bool) {
        bytes32 codeHash = LibMPT.accountAt(st, world, target).codeHash;
        if (codeHash == KECCAK_EMPTY) return false;
        if (codeHash != canonical) revert SystemContractUnsupported(target);
        return true;
    }

    /// @dev CALLDATALOAD(0) of a call whose calldata is the item's bytes (right-padded with zeros).
    function _calldataWord(LibRLP.Item memory it) internal pure returns (uint256 v) {
        (uint256 ptr, uint256 len) = LibRLP.payload(it);
        if (len >= 32) len = 32;
        assembly ("memory-safe") {
            let shift := sub(256, mul(8, len))
            v := shl(shift, shr(shift, mload(ptr)))
        }
    }

    // ---- block end -----------------------------------------------------------------------------

    function _blockEnd(Witness memory w, uint256[22] memory s, bytes32 templateHash, bytes32 disputed) internal pure returns (bytes32) {
        (bool ok, LibRLP.Item[] memory t) = _header(_get(w, templateHash), templateHash);
        if (!ok) revert BadHeaderTemplate(templateHash);
        uint256[12] memory c = _context(w, bytes32(s[S_BLOCK]));
        uint256 n = t.length;
        if (n > H_WITHDRAWALS && !_isWord(t[H_WITHDRAWALS], LibMPT.EMPTY_ROOT)) revert WithdrawalsUnsupported();
        LibMPT.Store memory st = LibMPT.Store(w.hashes, w.data, w.n, w.slots);
        bytes32 world = bytes32(s[S_WORLD]);
        bool prague = c[C_FORK] >= 1;
        // EIP-7685 (blockRequests): no deposit contract on any chain kind; request contracts
        // without code are skipped ('when-present'), so the block has no requests.
        if (prague) {
            _noRequests(st, world, WITHDRAWAL_REQUESTS);
            _noRequests(st, world, CONSOLIDATION_REQUESTS);
        }
        bytes32 blockHash = _blockHash(w, t, s, prague);
        bytes32 mpRoot = LibMPT.accountAt(st, world, MESSAGE_PASSER).storageRoot;
        bytes32 outputRoot = keccak256(abi.encode(bytes32(0), world, mpRoot, blockHash));
        s[S_STATUS] = outputRoot == disputed ? 0 : 1;
        s[S_OUTPUT] = uint256(outputRoot);
        return _commitment(s);
    }

    /// @dev keccak(rlp(header)): the template's items re-encoded as they are (canonical RLP has one
    ///      spelling), those execution produces replaced.
    function _blockHash(Witness memory w, LibRLP.Item[] memory t, uint256[22] memory s, bool prague) internal pure returns (bytes32) {
        uint256 n = t.length;
        bytes[] memory items = new bytes[](n);
        for (uint256 i = 0; i < n; i++) items[i] = LibRLP.toRaw(t[i]);
        items[3] = LibRLP.encodeBytes32(bytes32(s[S_WORLD]));
        items[5] = LibRLP.encodeBytes32(bytes32(s[S_RECEIPTS]));
        bytes32 bh = bytes32(s[S_BLOOM]);
        items[6] = LibRLP.encodeBytes(bh == EMPTY_BLOOM_HASH ? new bytes(256) : _get(w, bh));
        items[10] = LibRLP.encodeUint(s[S_GAS_USED]);
        if (n > H_BLOB_GAS_USED) items[H_BLOB_GAS_USED] = LibRLP.encodeUint(s[S_BLOB_GAS_USED]);
        if (n > H_REQUESTS && prague) items[H_REQUESTS] = LibRLP.encodeBytes32(EMPTY_REQUESTS_HASH);
        return keccak256(LibRLP.encodeList(items));
    }

    function _noRequests(LibMPT.Store memory st, bytes32 world, address target) internal pure {
        if (LibMPT.accountAt(st, world, target).codeHash != KECCAK_EMPTY) revert RequestContractUnsupported(target);
    }

    // ---- records -------------------------------------------------------------------------------

    /// @dev The block inputs record (DESIGN §2.7), checked as decodeBlockInputs does.
    function _inputs(Witness memory w, bytes32 h) internal pure returns (bytes32, bytes32, bytes32, uint256) {
        bytes memory rec = _get(w, h);
        if (rec.length != 4 * 32) revert BadPreimage(h);
        (bytes32 template, bytes32 context, bytes32 txList, uint256 txCount) = abi.decode(rec, (bytes32, bytes32, bytes32, uint256));
        if (txCount > SAFE_MAX) revert BadPreimage(h);
        return (template, context, txList, txCount);
    }

    /// @dev The block context record (DESIGN §2.3), checked as decodeBlockContext does.
    function _context(Witness memory w, bytes32 h) internal pure returns (uint256[12] memory b) {
        bytes memory rec = _get(w, h);
        if (rec.length != 12 * 32) revert BadPreimage(h);
        b = abi.decode(rec, (uint256[12]));
        if (b[0] > 2 || b[C_FORK] > 2 || b[5] >> 160 != 0) revert BadPreimage(h);
    }

    /// @dev decodeHeader (vm/block/header.ts): false where it throws HeaderDecodeError (malformed
    ///      RLP, not a list, not 15 to 21 items); a field it rejects otherwise reverts.
    function _header(bytes memory enc, bytes32 h) internal pure returns (bool, LibRLP.Item[] memory f) {
        if (!LibRLP.wellFormed(enc)) return (false, f);
        LibRLP.Item memory it = LibRLP.toItem(enc);
        if (!LibRLP.isList(it)) return (false, f);
        f = LibRLP.readList(it);
        if (f.length < 15 || f.length > 21) return (false, f);
        for (uint256 i = 0; i < f.length; i++) {
            if ((NUMERIC_ITEMS >> i) & 1 == 1) LibRLP.toUint(f[i]);
            else LibRLP.payload(f[i]);
        }
        if (LibRLP.bytesLength(f[2]) != 20) revert BadHeaderTemplate(h);
        return (true, f);
    }

    function _addressOf(LibRLP.Item memory it) internal pure returns (uint256 a) {
        (uint256 ptr,) = LibRLP.payload(it);
        assembly ("memory-safe") {
            a := shr(96, mload(ptr))
        }
    }

    /// @dev equalBytes(item, word): exactly 32 bytes, equal to `v`.
    function _isWord(LibRLP.Item memory it, bytes32 v) internal pure returns (bool same) {
        (uint256 ptr, uint256 len) = LibRLP.payload(it);
        if (len != 32) return false;
        assembly ("memory-safe") {
            same := eq(mload(ptr), v)
        }
    }

    /// @dev bytesToBigInt(item) == v, for a byte string of any length.
    function _isNumber(LibRLP.Item memory it, uint256 v) internal pure returns (bool) {
        (uint256 ptr, uint256 len) = LibRLP.payload(it);
        uint256 x;
        for (; len > 32; len--) {
            if (_byteAt(ptr) != 0) return false;
            ptr++;
        }
        if (len > 0) {
            assembly ("memory-safe") {
                x := shr(sub(256, mul(8, len)), mload(ptr))
            }
        }
        return x == v;
    }

    function _allZero(LibRLP.Item memory it) internal pure returns (bool) {
        (uint256 ptr, uint256 len) = LibRLP.payload(it);
        for (uint256 i = 0; i < len; i++) if (_byteAt(ptr + i) != 0) return false;
        return true;
    }

    function _byteAt(uint256 ptr) internal pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(ptr))
        }
    }

    // ---- the post-state ------------------------------------------------------------------------

    function _invalid(uint256[22] memory p) internal pure returns (bytes32) {
        p[S_STATUS] = 1;
        return _commitment(p);
    }

    /// @dev keccak of the record with its top byte replaced by the status (DESIGN §2.1).
    function _commitment(uint256[22] memory p) internal pure returns (bytes32) {
        return bytes32((uint256(keccak256(abi.encode(p))) & ~(uint256(0xff) << 248)) | (p[S_STATUS] << 248));
    }
}
