// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibRLP} from "./LibRLP.sol";

/// @notice Ethereum's Merkle-Patricia trie (Yellow Paper appendix D) over a witness of node
///         preimages: lookups, inserts and deletions that read nodes by hash from a `Store` and
///         leave every node they create in it, so a later operation in the same step (the
///         storage trie, then the account that commits its root) finds them. Mirrors the
///         TypeScript reference `PartialTrie` (vm/state/witness-trie.ts) rule for rule: leaf,
///         extension and branch nodes, hex-prefix paths, nodes under 32 bytes embedded in their
///         parent, a branch left with one entry merged into it. A node the witness lacks is
///         MissingNode(hash); a node that is not canonical is rejected, never guessed around.
library LibMPT {
    using LibRLP for LibRLP.Item;

    /// @dev keccak256(rlp("")): the root of the empty trie.
    bytes32 internal constant EMPTY_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;

    error MissingNode(bytes32 hash);
    /// @dev A list that is neither a leaf/extension (2 items) nor a branch (17), or a string where a list belongs.
    error MalformedNode();
    error BadHexPrefix();
    /// @dev A child reference that is neither empty, a 32-byte hash, nor an embedded node under 32 bytes.
    error BadChildRef();
    /// @dev A branch with fewer than two entries, a leaf without a value, an extension with an
    ///      empty path or not leading to a branch: shapes a canonical trie never has.
    error NonCanonicalNode();
    /// @dev Empty values are not stored; delete the key instead.
    error EmptyValue();

    /// @dev Preimages keyed by their keccak. `n` entries are in use; `update`/`remove` append the
    ///      nodes they create, growing the arrays when full, so `data[n0..n)` after an operation
    ///      are its new nodes (every node of the new trie that is referenced by hash, and the root).
    struct Store {
        bytes32[] hashes;
        bytes[] data;
        uint256 n;
        // The step witness's hash table over the entries it holds (MetisStepBase.Witness.slots),
        // or empty: a lookup probes it first and scans only when it misses.
        uint256[] slots;
    }

    uint8 internal constant NULL = 0;
    uint8 internal constant LEAF = 1;
    uint8 internal constant EXTENSION = 2;
    uint8 internal constant BRANCH = 3;

    /// @dev A decoded node: its encoding, the RLP items of that encoding, and for a leaf or an
    ///      extension its path as nibbles (one per byte).
    struct Node {
        uint8 kind;
        bytes enc;
        LibRLP.Item[] parts;
        bytes path;
    }

    // ---- the store ---------------------------------------------------------------------------

    /// @dev A store holding `preimages`, with room for `extra` more before it must grow.
    function newStore(bytes[] memory preimages, uint256 extra) internal pure returns (Store memory s) {
        s.hashes = new bytes32[](preimages.length + extra);
        s.data = new bytes[](preimages.length + extra);
        for (uint256 i = 0; i < preimages.length; i++) {
            s.hashes[i] = keccak256(preimages[i]);
            s.data[i] = preimages[i];
        }
        s.n = preimages.length;
    }

    function lookup(Store memory s, bytes32 h) internal pure returns (bytes memory data) {
        bytes32[] memory hashes = s.hashes;
        bytes[] memory all = s.data;
        uint256[] memory t = s.slots;
        uint256 n = s.n;
        uint256 idx = n;
        assembly ("memory-safe") {
            let p := add(hashes, 32)
            // A hit is checked against the entry's hash, so a table shared with the witness,
            // which goes on adding to it, can only miss: then the scan decides.
            if mload(t) {
                let mask := sub(mload(t), 1)
                let q := add(t, 32)
                for { let j := and(h, mask) } 1 { j := and(add(j, 1), mask) } {
                    let e := mload(add(q, shl(5, j)))
                    if iszero(e) { break }
                    if and(lt(sub(e, 1), n), eq(mload(add(p, shl(5, sub(e, 1)))), h)) {
                        idx := sub(e, 1)
                        break
                    }
                }
            }
            // A linear scan: the nodes this store added itself are in no table.
            if eq(idx, n) {
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    if eq(mload(add(p, mul(i, 32))), h) {
                        idx := i
                        break
                    }
                }
            }
        }
        if (idx == n) revert MissingNode(h);
        return all[idx];
    }

    /// @dev Adds `data` under its hash and returns the hash.
    function add(Store memory s, bytes memory data) internal pure returns (bytes32 h) {
        h = keccak256(data);
        if (s.n == s.hashes.length) {
            uint256 cap = 2 * s.n + 8;
            bytes32[] memory hs = new bytes32[](cap);
            bytes[] memory ds = new bytes[](cap);
            for (uint256 i = 0; i < s.n; i++) {
                hs[i] = s.hashes[i];
                ds[i] = s.data[i];
            }
            s.hashes = hs;
            s.data = ds;
        }
        s.hashes[s.n] = h;
        s.data[s.n] = data;
        s.n++;
    }

    // ---- operations --------------------------------------------------------------------------

    /// @dev The value at `key` (raw key bytes: a secure trie's caller passes keccak(key)).
    function get(Store memory s, bytes32 root, bytes memory key) internal pure returns (bool found, bytes memory value) {
        if (root == EMPTY_ROOT) return (false, "");
        bytes memory k = _nibbles(key);
        Node memory n = _decode(lookup(s, root));
        uint256 pos = 0;
        for (;;) {
            if (n.kind == LEAF) {
                if (n.path.length == k.length - pos && _common(n.path, 0, k, pos) == n.path.length) return (true, n.parts[1].toBytes());
                return (false, "");
            }
            if (n.kind == EXTENSION) {
                uint256 len = n.path.length;
                if (k.length - pos < len || _common(n.path, 0, k, pos) != len) return (false, "");
                pos += len;
                n = _decode(_resolve(s, n.parts[1]));
                if (n.kind != BRANCH) revert NonCanonicalNode();
                continue;
            }
            if (pos == k.length) {
                value = n.parts[16].toBytes();
                return (value.length != 0, value);
            }
            n = _decode(_resolve(s, n.parts[uint8(k[pos])]));
            pos++;
            if (n.kind == NULL) return (false, "");
        }
    }

    /// @dev The root after setting `key` to `value` (non-empty).
    function update(Store memory s, bytes32 root, bytes memory key, bytes memory value) internal pure returns (bytes32) {
        if (value.length == 0) revert EmptyValue();
        Writer memory w;
        w.value = value;
        return _write(s, root, key, w);
    }

    /// @dev What an insert stores at its key: `value`, or when that is empty what `fn` makes of
    ///      the value found there (`found` false: the key is absent) given `ctx`. `fn` runs when the
    ///      walk reaches the key, so a read-modify-write walks the path once.
    struct Writer {
        bytes value;
        function(Store memory, bool, bytes memory, bytes memory) internal pure returns (bytes memory) fn;
        bytes ctx;
    }

    function _write(Store memory s, bytes32 root, bytes memory key, Writer memory w) private pure returns (bytes32) {
        bytes memory rootEnc = root == EMPTY_ROOT ? bytes("") : lookup(s, root);
        return _commitRoot(s, _insert(s, rootEnc, _nibbles(key), 0, w));
    }

    function _valueFor(Store memory s, Writer memory w, bool found, bytes memory old) private pure returns (bytes memory v) {
        if (w.value.length != 0) return w.value;
        v = w.fn(s, found, old, w.ctx);
        if (v.length == 0) revert EmptyValue();
    }

    /// @dev The root after deleting `key`; the same root when the trie proves it absent.
    function remove(Store memory s, bytes32 root, bytes memory key) internal pure returns (bytes32) {
        if (root == EMPTY_ROOT) return root;
        (bool changed, bytes memory enc) = _remove(s, lookup(s, root), _nibbles(key), 0);
        if (!changed) return root;
        return _commitRoot(s, enc);
    }

    /// @dev Sets `key` to `value`, or deletes it when `value` is empty (as Ethereum's trie does).
    function put(Store memory s, bytes32 root, bytes memory key, bytes memory value) internal pure returns (bytes32) {
        return value.length == 0 ? remove(s, root, key) : update(s, root, key, value);
    }

    // ---- the Ethereum world state (DESIGN §3.3) --------------------------------------------------

    /// @dev keccak256(""): the code hash of an account without code.
    bytes32 internal constant KECCAK_EMPTY = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

    /// @dev An account leaf that is not rlp([nonce ≤ 8 bytes, balance, storageRoot, codeHash]).
    error BadAccount(address account);
    /// @dev A storage value that is not rlp(uint256).
    error BadStorageValue(address account, uint256 slot);
    /// @dev Storage is written only for an account that exists (the running contract always does).
    error NoAccount(address account);

    struct Account {
        bool exists;
        uint64 nonce;
        uint256 balance;
        bytes32 storageRoot;
        bytes32 codeHash;
    }

    /// @dev The account at `addr` under the state root; an absent one reads as empty
    ///      (exists false, empty storage root, empty code hash).
    function accountAt(Store memory s, bytes32 worldRoot, address addr) internal pure returns (Account memory a) {
        (bool found, bytes memory leaf) = get(s, worldRoot, _accountKey(addr));
        if (!found) return Account(false, 0, 0, EMPTY_ROOT, KECCAK_EMPTY);
        return _decodeAccount(leaf, addr);
    }

    /// @dev The value of storage slot `slot` of `addr` (zero when the account or the slot is absent).
    function storageAt(Store memory s, bytes32 worldRoot, address addr, uint256 slot) internal pure returns (uint256) {
        Account memory a = accountAt(s, worldRoot, addr);
        if (a.storageRoot == EMPTY_ROOT) return 0;
        (bool found, bytes memory v) = get(s, a.storageRoot, _slotKey(slot));
        if (!found) return 0;
        // Zero is never stored by Ethereum, but a trie that keeps rlp(0) (anvil's) reads as zero too.
        LibRLP.Item memory it = LibRLP.toItem(v);
        if (it.isList()) revert BadStorageValue(addr, slot);
        return it.toUint();
    }

    /// @dev The state root after storing `value` at `slot` of the existing account `addr`: the slot
    ///      deleted when zero, the storage trie's new root committed in the account.
    function setStorage(Store memory s, bytes32 worldRoot, address addr, uint256 slot, uint256 value) internal pure returns (bytes32) {
        Writer memory w;
        w.fn = _writeSlot;
        w.ctx = abi.encode(addr, slot, value);
        return _write(s, worldRoot, _accountKey(addr), w);
    }

    /// @dev The account leaf `leaf` of ctx's address with ctx's slot written into its storage trie.
    function _writeSlot(Store memory s, bool found, bytes memory leaf, bytes memory ctx) private pure returns (bytes memory) {
        (address addr, uint256 slot, uint256 value) = abi.decode(ctx, (address, uint256, uint256));
        if (!found) revert NoAccount(addr);
        Account memory a = _decodeAccount(leaf, addr);
        a.storageRoot = value == 0 ? remove(s, a.storageRoot, _slotKey(slot)) : update(s, a.storageRoot, _slotKey(slot), LibRLP.encodeUint(value));
        return _encodeAccount(a);
    }

    /// @dev The state root with `a` written at `addr` (whatever its emptiness: EIP-161 clearing is
    ///      the caller's decision, with deleteAccount).
    function putAccount(Store memory s, bytes32 worldRoot, address addr, Account memory a) internal pure returns (bytes32) {
        return update(s, worldRoot, _accountKey(addr), _encodeAccount(a));
    }

    function deleteAccount(Store memory s, bytes32 worldRoot, address addr) internal pure returns (bytes32) {
        return remove(s, worldRoot, _accountKey(addr));
    }

    /// @dev EIP-161 emptiness: no nonce, no balance, no code (storage does not count).
    function isEmpty(Account memory a) internal pure returns (bool) {
        return a.nonce == 0 && a.balance == 0 && a.codeHash == KECCAK_EMPTY;
    }

    function _slotKey(uint256 slot) private pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encode(slot)));
    }

    function _accountKey(address addr) private pure returns (bytes memory) {
        return abi.encodePacked(keccak256(abi.encodePacked(addr)));
    }

    /// @dev rlp([nonce, balance, storageRoot, codeHash]), checked as vm/trie/account.ts does.
    function _decodeAccount(bytes memory leaf, address addr) private pure returns (Account memory) {
        LibRLP.Item memory it = LibRLP.toItem(leaf);
        if (!it.isList()) revert BadAccount(addr);
        LibRLP.Item[] memory f = it.readList();
        if (f.length != 4 || f[0].isList() || f[1].isList()) revert BadAccount(addr);
        uint256 nonce = f[0].toUint();
        if (nonce > type(uint64).max) revert BadAccount(addr);
        return Account(true, uint64(nonce), f[1].toUint(), f[2].toBytes32(), f[3].toBytes32());
    }

    function _encodeAccount(Account memory a) private pure returns (bytes memory) {
        bytes[] memory f = new bytes[](4);
        f[0] = LibRLP.encodeUint(a.nonce);
        f[1] = LibRLP.encodeUint(a.balance);
        f[2] = LibRLP.encodeBytes32(a.storageRoot);
        f[3] = LibRLP.encodeBytes32(a.codeHash);
        return LibRLP.encodeList(f);
    }

    // ---- insert and delete -------------------------------------------------------------------

    function _insert(Store memory s, bytes memory enc, bytes memory k, uint256 pos, Writer memory w) private pure returns (bytes memory) {
        Node memory n = _decode(enc);
        if (n.kind == NULL) return _leaf(_slice(k, pos, k.length), _valueFor(s, w, false, ""));
        if (n.kind == BRANCH) {
            if (pos == k.length) {
                bytes memory old = n.parts[16].toBytes();
                return LibRLP.replaceItem(LibRLP.toItem(n.enc), n.parts, 16, LibRLP.encodeBytes(_valueFor(s, w, old.length != 0, old)));
            }
            uint8 i = uint8(k[pos]);
            bytes memory child = _insert(s, _resolve(s, n.parts[i]), k, pos + 1, w);
            return LibRLP.replaceItem(LibRLP.toItem(n.enc), n.parts, i, _ref(s, child));
        }
        uint256 c = _common(n.path, 0, k, pos);
        bytes memory branch;
        if (n.kind == LEAF) {
            if (c == n.path.length && c == k.length - pos) return _leaf(n.path, _valueFor(s, w, true, n.parts[1].toBytes()));
            branch = _twoEntryBranch(s, n, c, k, pos + c, _valueFor(s, w, false, ""));
        } else {
            if (c == n.path.length) {
                bytes memory below = _insert(s, _resolve(s, n.parts[1]), k, pos + c, w);
                return _extension(n.path, _ref(s, below));
            }
            branch = _splitExtension(s, n, c, k, pos + c, _valueFor(s, w, false, ""));
        }
        return c == 0 ? branch : _extension(_slice(k, pos, pos + c), _ref(s, branch));
    }

    /// @dev The branch where extension `n` and key k[from..] part, `c` nibbles into the extension:
    ///      the extension's remainder (or its child itself) hangs below it next to the new leaf.
    function _splitExtension(Store memory s, Node memory n, uint256 c, bytes memory k, uint256 from, bytes memory value)
        private
        pure
        returns (bytes memory)
    {
        bytes memory childRef = n.parts[1].toRaw();
        bytes[] memory refs = _emptyRefs();
        refs[uint8(n.path[c])] = c + 1 == n.path.length ? childRef : _ref(s, _extension(_slice(n.path, c + 1, n.path.length), childRef));
        if (from == k.length) refs[16] = LibRLP.encodeBytes(value);
        else refs[uint8(k[from])] = _ref(s, _leaf(_slice(k, from + 1, k.length), value));
        return LibRLP.encodeList(refs);
    }

    /// @dev A branch holding two diverging entries: leaf `n` from nibble `c` of its path, and the
    ///      new value at k[from..] (either may end at the branch and become its value).
    function _twoEntryBranch(Store memory s, Node memory n, uint256 c, bytes memory k, uint256 from, bytes memory value) private pure returns (bytes memory) {
        bytes[] memory refs = _emptyRefs();
        bytes memory a = n.path;
        if (c == a.length) refs[16] = LibRLP.encodeBytes(n.parts[1].toBytes());
        else refs[uint8(a[c])] = _ref(s, _leaf(_slice(a, c + 1, a.length), n.parts[1].toBytes()));
        if (from == k.length) refs[16] = LibRLP.encodeBytes(value);
        else refs[uint8(k[from])] = _ref(s, _leaf(_slice(k, from + 1, k.length), value));
        return LibRLP.encodeList(refs);
    }

    /// @dev (false, enc) when the key is absent, so untouched subtrees keep their references.
    function _remove(Store memory s, bytes memory enc, bytes memory k, uint256 pos) private pure returns (bool, bytes memory) {
        Node memory n = _decode(enc);
        if (n.kind == NULL) return (false, enc);
        if (n.kind == LEAF) {
            bool hit = n.path.length == k.length - pos && _common(n.path, 0, k, pos) == n.path.length;
            return hit ? (true, bytes("")) : (false, enc);
        }
        if (n.kind == EXTENSION) {
            uint256 len = n.path.length;
            if (k.length - pos < len || _common(n.path, 0, k, pos) != len) return (false, enc);
            (bool changed, bytes memory child) = _remove(s, _resolve(s, n.parts[1]), k, pos + len);
            if (!changed) return (false, enc);
            return (true, _prepend(s, n.path, child, ""));
        }
        return _removeFromBranch(s, n, k, pos);
    }

    /// @dev A branch drops its value (the key ends here) or the key from one child; left with a
    ///      single entry it merges into it.
    function _removeFromBranch(Store memory s, Node memory n, bytes memory k, uint256 pos) private pure returns (bool, bytes memory) {
        uint256 entry = 16;
        bytes memory newChild;
        if (pos == k.length) {
            if (n.parts[16].bytesLength() == 0) return (false, n.enc);
        } else {
            entry = uint8(k[pos]);
            bool changed;
            (changed, newChild) = _remove(s, _resolve(s, n.parts[entry]), k, pos + 1);
            if (!changed) return (false, n.enc);
        }
        (uint256 count, uint256 only) = _entriesAfter(n, entry, newChild.length != 0);
        if (count >= 2) {
            bytes memory item = entry == 16 ? bytes(hex"80") : _ref(s, newChild);
            return (true, LibRLP.replaceItem(LibRLP.toItem(n.enc), n.parts, entry, item));
        }
        if (count == 0) return (true, "");
        return (true, _collapse(s, n, only, only == entry ? newChild : bytes("")));
    }

    /// @dev Branch `n` reduced to its one entry `only`: a leaf for the value, else the child
    ///      merged under its nibble (the child's node must be read). `changed` is the child's new
    ///      encoding when it is the one just modified (empty: the stored child is unchanged).
    function _collapse(Store memory s, Node memory n, uint256 only, bytes memory changed) private pure returns (bytes memory) {
        if (only == 16) return _leaf("", n.parts[16].toBytes());
        bytes memory path = new bytes(1);
        path[0] = bytes1(uint8(only));
        if (changed.length != 0) return _prepend(s, path, changed, "");
        LibRLP.Item memory ref = n.parts[only];
        return _prepend(s, path, _resolve(s, ref), ref.toRaw());
    }

    /// @dev Entries (children and value) of branch `n` once entry `entry` is present or not; `only`
    ///      is the last one found (the one left when the count is 1).
    function _entriesAfter(Node memory n, uint256 entry, bool entryPresent) private pure returns (uint256 count, uint256 only) {
        LibRLP.Item[] memory parts = n.parts;
        assembly ("memory-safe") {
            only := 17
            for { let i := 0 } lt(i, 17) { i := add(i, 1) } {
                // An entry is present unless it is the empty string 0x80 (headers were checked by _decode).
                let present := iszero(eq(byte(0, mload(mload(mload(add(parts, mul(add(i, 1), 32)))))), 0x80))
                if eq(i, entry) { present := entryPresent }
                if present {
                    count := add(count, 1)
                    only := i
                }
            }
        }
    }

    /// @dev `path` followed by the node `childEnc`, merged into the canonical node. `childRef` is
    ///      the child's existing reference when it is unchanged (empty: make one).
    function _prepend(Store memory s, bytes memory path, bytes memory childEnc, bytes memory childRef) private pure returns (bytes memory) {
        Node memory c = _decode(childEnc);
        if (c.kind == NULL) return "";
        if (c.kind == BRANCH) return _extension(path, childRef.length != 0 ? childRef : _ref(s, childEnc));
        if (c.kind == LEAF) return _leaf(bytes.concat(path, c.path), c.parts[1].toBytes());
        return _extension(bytes.concat(path, c.path), c.parts[1].toRaw());
    }

    // ---- nodes -------------------------------------------------------------------------------

    /// @dev The root hash of a node (hashed even under 32 bytes), stored for later lookups.
    function _commitRoot(Store memory s, bytes memory enc) private pure returns (bytes32) {
        if (enc.length == 0) return EMPTY_ROOT;
        return add(s, enc);
    }

    /// @dev What a parent holds for a node: empty, the node itself under 32 bytes, else its hash
    ///      (and then the node goes into the store).
    function _ref(Store memory s, bytes memory enc) private pure returns (bytes memory) {
        if (enc.length == 0) return hex"80";
        if (enc.length < 32) return enc;
        return LibRLP.encodeBytes32(add(s, enc));
    }

    /// @dev The node a child reference stands for (empty bytes for an empty slot).
    function _resolve(Store memory s, LibRLP.Item memory ref) private pure returns (bytes memory) {
        if (ref.isList()) {
            if (ref.len >= 32) revert BadChildRef();
            return ref.toRaw();
        }
        uint256 len = ref.bytesLength();
        if (len == 0) return "";
        if (len != 32) revert BadChildRef();
        return lookup(s, ref.toBytes32());
    }

    function _decode(bytes memory enc) private pure returns (Node memory n) {
        n.enc = enc;
        if (enc.length == 0) return n;
        LibRLP.Item memory it = LibRLP.toItem(enc);
        if (!it.isList()) revert MalformedNode();
        n.parts = it.readList();
        if (n.parts.length == 17) {
            n.kind = BRANCH;
            _checkBranch(n.parts);
            return n;
        }
        if (n.parts.length != 2) revert MalformedNode();
        if (n.parts[0].isList()) revert MalformedNode();
        bool leaf;
        (n.path, leaf) = _decodeHexPrefix(n.parts[0]);
        if (leaf) {
            n.kind = LEAF;
            if (n.parts[1].isList()) revert MalformedNode();
            if (n.parts[1].bytesLength() == 0) revert NonCanonicalNode();
        } else {
            n.kind = EXTENSION;
            if (n.path.length == 0) revert NonCanonicalNode();
            LibRLP.Item memory c = n.parts[1];
            if (c.isList()) {
                if (c.len >= 32) revert BadChildRef();
                // An embedded child must be a branch: an extension onto a leaf or an extension is one node.
                if (LibRLP.readList(c).length != 17) revert NonCanonicalNode();
            } else if (c.bytesLength() != 32) {
                revert BadChildRef();
            }
        }
    }

    /// @dev Each child reference empty, a 32-byte hash or an embedded node under 32 bytes; the
    ///      value a byte string; at least two entries (a canonical trie never keeps a branch with
    ///      one: it would be a leaf or an extension).
    function _checkBranch(LibRLP.Item[] memory parts) private pure {
        uint256 err; // 1 bad child reference, 2 malformed value, 3 too few entries
        assembly ("memory-safe") {
            let entries := 0
            for { let i := 0 } lt(i, 16) { i := add(i, 1) } {
                let item := mload(add(parts, mul(add(i, 1), 32)))
                let b0 := byte(0, mload(mload(item)))
                switch iszero(lt(b0, 0xc0))
                case 1 {
                    if iszero(lt(mload(add(item, 32)), 32)) { err := 1 }
                    entries := add(entries, 1)
                }
                default {
                    if iszero(eq(b0, 0x80)) {
                        if iszero(eq(b0, 0xa0)) { err := 1 }
                        entries := add(entries, 1)
                    }
                }
            }
            let v := byte(0, mload(mload(mload(add(parts, mul(17, 32))))))
            if iszero(lt(v, 0xc0)) { err := 2 }
            if iszero(eq(v, 0x80)) { entries := add(entries, 1) }
            if and(iszero(err), lt(entries, 2)) { err := 3 }
        }
        if (err == 1) revert BadChildRef();
        if (err == 2) revert MalformedNode();
        if (err == 3) revert NonCanonicalNode();
    }

    function _leaf(bytes memory path, bytes memory value) private pure returns (bytes memory) {
        bytes[] memory parts = new bytes[](2);
        parts[0] = LibRLP.encodeBytes(_encodeHexPrefix(path, true));
        parts[1] = LibRLP.encodeBytes(value);
        return LibRLP.encodeList(parts);
    }

    function _extension(bytes memory path, bytes memory childRef) private pure returns (bytes memory) {
        bytes[] memory parts = new bytes[](2);
        parts[0] = LibRLP.encodeBytes(_encodeHexPrefix(path, false));
        parts[1] = childRef;
        return LibRLP.encodeList(parts);
    }

    /// @dev Sixteen empty child slots and an empty value, ready to fill.
    function _emptyRefs() private pure returns (bytes[] memory refs) {
        refs = new bytes[](17);
        for (uint256 i = 0; i < 17; i++) refs[i] = hex"80";
    }

    // ---- nibbles and hex-prefix --------------------------------------------------------------

    function _nibbles(bytes memory key) private pure returns (bytes memory out) {
        out = new bytes(key.length * 2);
        assembly ("memory-safe") {
            let src := add(key, 32)
            let dst := add(out, 32)
            for { let i := 0 } lt(i, mload(key)) { i := add(i, 1) } {
                let b := byte(0, mload(add(src, i)))
                mstore8(add(dst, mul(i, 2)), shr(4, b))
                mstore8(add(dst, add(mul(i, 2), 1)), and(b, 0x0f))
            }
        }
    }

    /// @dev Length of the common prefix of a[aFrom..] and b[bFrom..].
    function _common(bytes memory a, uint256 aFrom, bytes memory b, uint256 bFrom) private pure returns (uint256 c) {
        uint256 la = a.length - aFrom;
        uint256 lb = b.length - bFrom;
        uint256 m = la < lb ? la : lb;
        assembly ("memory-safe") {
            let pa := add(add(a, 32), aFrom)
            let pb := add(add(b, 32), bFrom)
            for {} lt(c, m) { c := add(c, 1) } {
                if iszero(eq(byte(0, mload(add(pa, c))), byte(0, mload(add(pb, c))))) { break }
            }
        }
    }

    function _slice(bytes memory b, uint256 from, uint256 to) private pure returns (bytes memory out) {
        uint256 src;
        assembly ("memory-safe") {
            src := add(add(b, 32), from)
        }
        out = LibRLP.copy(src, to - from);
    }

    /// @dev Hex-prefix (Yellow Paper appendix C): flag nibble 2*leaf + odd, then the path, with a
    ///      zero pad nibble when the path is even.
    function _decodeHexPrefix(LibRLP.Item memory it) private pure returns (bytes memory path, bool leaf) {
        (uint256 src, uint256 len) = it.payload();
        if (len == 0) revert BadHexPrefix();
        uint256 first;
        assembly ("memory-safe") {
            first := byte(0, mload(src))
        }
        uint256 flag = first >> 4;
        if (flag > 3) revert BadHexPrefix();
        uint256 odd = flag & 1;
        if (odd == 0 && first & 0x0f != 0) revert BadHexPrefix();
        leaf = flag >= 2;
        path = new bytes((len - 1) * 2 + odd);
        assembly ("memory-safe") {
            let dst := add(path, 32)
            if odd {
                mstore8(dst, and(first, 0x0f))
                dst := add(dst, 1)
            }
            for { let i := 1 } lt(i, len) { i := add(i, 1) } {
                let b := byte(0, mload(add(src, i)))
                mstore8(dst, shr(4, b))
                mstore8(add(dst, 1), and(b, 0x0f))
                dst := add(dst, 2)
            }
        }
    }

    function _encodeHexPrefix(bytes memory path, bool leaf) private pure returns (bytes memory out) {
        uint256 odd = path.length & 1;
        out = new bytes(path.length / 2 + 1);
        uint256 flag = ((leaf ? 2 : 0) + odd) << 4;
        assembly ("memory-safe") {
            let src := add(path, 32)
            let dst := add(out, 32)
            let i := 0
            if odd {
                flag := or(flag, byte(0, mload(src)))
                i := 1
            }
            mstore8(dst, flag)
            dst := add(dst, 1)
            for {} lt(i, mload(path)) { i := add(i, 2) } {
                mstore8(dst, or(shl(4, byte(0, mload(add(src, i)))), byte(0, mload(add(src, add(i, 1))))))
                dst := add(dst, 1)
            }
        }
    }
}
