// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Record words every part of the MetisVM step verifier reads (prover/DESIGN.md §2.1, §2.2).
uint256 constant S_WORLD = 3;
uint256 constant S_TX_START = 4;
uint256 constant S_ACCESS = 5;
uint256 constant S_TRANSIENT = 6;
uint256 constant S_CREATED = 7;
uint256 constant S_LOGS = 9;
uint256 constant S_LOG_COUNT = 10;
uint256 constant F_STATIC = 1;
uint256 constant F_ADDRESS = 6;
uint256 constant F_GAS = 13;
uint256 constant F_REFUND = 20;

/// @notice A part of the MetisVM step verifier: a verifier of one class of steps, given what
///         MetisStepVerifier.verify is given (the pre-state record and the witness's preimages).
interface IMetisStepPart {
    /// @return The post-state commitment of the step (status in the top byte); reverts on a bad
    ///         witness or a step outside the part's class.
    function verify(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32);

    /// @notice The running frame, which is not the top-level call (a child frame or a creation),
    ///         halts exceptionally at this step: it ends with failure (no gas left, no output, its
    ///         snapshot restored) and its caller, if any, resumes. Only meaningful from
    ///         MetisStepVerifier, which has judged the halt; the part does not judge it again.
    function verifyHalt(bytes calldata stateData, bytes[] calldata preimages) external view returns (bytes32);
}

/// @dev Words of a frame record (DESIGN §2.2), file-level for the parts that do not inherit the base.
uint256 constant FRAME_WORDS = 27;

/// @notice What every part of the on-chain MetisVM step verifier shares: the witness (preimages
///         keyed by their hashes), the step state and frame records, hash chains, byte trees and
///         the post-state commitment (prover/DESIGN.md §1-§3). MetisStepVerifier proves in-frame
///         instructions with it; the parts it routes other step classes to inherit it too.
abstract contract MetisStepBase {
    error UnsupportedStep(uint8 op);
    error MissingPreimage(bytes32 hash);
    error BadPreimage(bytes32 hash);
    error BadStateData();

    /// @dev Block start, transaction begin and end, block end (frameHash = 0): not provable on L1 yet.
    error BoundaryStep();

    uint256 internal constant TREE_DEPTH = 24;
    uint8 internal constant STATUS_UNFINISHED = 3;
    bytes32 internal constant KECCAK_EMPTY = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

    // State record word indices (DESIGN §2.1).
    uint256 internal constant S_STATUS = 0;
    uint256 internal constant S_BLOCK = 1;
    uint256 internal constant S_TX = 2;
    uint256 internal constant S_SELFDESTRUCTS = 8;
    uint256 internal constant S_FRAME_STACK = 11;
    uint256 internal constant S_FRAME_COUNT = 12;
    uint256 internal constant S_FRAME = 13;
    uint256 internal constant S_RESULT = 14;
    uint256 internal constant S_INPUTS = 15;
    uint256 internal constant S_TX_INDEX = 16;
    uint256 internal constant S_GAS_USED = 17;

    /// @dev Number.MAX_SAFE_INTEGER: the reference decodes counters, sizes and gas as safe integers.
    uint256 internal constant SAFE_MAX = 2 ** 53 - 1;
    /// @dev Execution gas the reference traces at most.
    uint256 internal constant MAX_EXEC_GAS = 2 ** 52;
    /// @dev BlockContext.chainKind of Hyperion (the coinbase is paid the full effective price).
    uint256 internal constant CHAIN_HYPERION = 1;

    // Frame record word indices (DESIGN §2.2).
    uint256 internal constant F_KIND = 0;
    uint256 internal constant F_SNAPSHOT = 23;
    uint256 internal constant F_CALLER = 5;
    uint256 internal constant F_VALUE = 8;
    uint256 internal constant F_CODE = 9;
    uint256 internal constant F_CALLDATA_ROOT = 10;
    uint256 internal constant F_CALLDATA_SIZE = 11;
    uint256 internal constant F_PC = 12;
    uint256 internal constant F_STACK = 14;
    uint256 internal constant F_STACK_SIZE = 15;
    uint256 internal constant F_MEMORY_ROOT = 16;
    uint256 internal constant F_MEMORY_SIZE = 17;
    uint256 internal constant F_RETURNDATA_ROOT = 18;
    uint256 internal constant F_RETURNDATA_SIZE = 19;
    /// @dev keccak of the frame's pending record (a split copy or KECCAK256, DESIGN §2.9), zero when none.
    uint256 internal constant F_PENDING = 24;
    /// @dev Calldata and return data are windows (root, offset, size) of a byte tree: a call's
    ///      input lies in its caller's memory, a frame's output in its own (DESIGN §3.2).
    uint256 internal constant F_CALLDATA_OFFSET = 25;
    uint256 internal constant F_RETURNDATA_OFFSET = 26;
    /// @dev Bytes one copy step moves at most: a longer copy is split into pieces (DESIGN §2.9).
    uint256 internal constant COPY_CHUNK = 2048;
    /// @dev A copy's source offset past which every source reads zero (clamped to it in the record).
    uint256 internal constant SOURCE_OFFSET_CAP = 2 ** 40;
    /// @dev Bytes one KECCAK256 piece absorbs: 15 blocks of the sponge's 136-byte rate.
    uint256 internal constant HASH_PIECE = 15 * 136;

    /// @dev The witness's preimages, keyed by their hashes (computed once).
    struct Witness {
        bytes32[] hashes;
        bytes[] data;
        uint256 n; // entries in use: the witness's, then nodes this step creates (read back by later writes)
        bytes32[] zero; // ZERO[h] of the byte trees, h = 0..TREE_DEPTH
        // Open addressing over hashes[0..n): slot (h mod length) on, entry index + 1, 0 empty.
        // Its length is a power of two above 1.5 times hashes.length, so a probe always ends and
        // the table stays at most two-thirds full (its memory is paid for by the square).
        uint256[] slots;
    }

    /// @dev Room first made for the tree nodes one step creates (two chunk writes); copies grow it.
    uint256 internal constant SCRATCH = 2 * TREE_DEPTH;

    /// @dev The frame being stepped, and the stack items the instruction reads.
    struct Ctx {
        uint256[22] s; // the 22-word state record (DESIGN §2.1)
        uint256[FRAME_WORDS] f; // the frame record (DESIGN §2.2)
        bytes code;
        uint8 op;
        uint256[] items; // items[0] is the top
        bytes32 below; // chain head below the items read
        uint256 gasCost;
        uint256[] pushes; // values pushed, in push order
        uint256 nextPc;
        bool halt; // an exceptional halt found while executing (top-level call only)
        bool top; // an exceptional halt of the running frame is provable (verify ends the frame with it)
    }

    function _restore(Witness memory w, Ctx memory c) internal pure {
        bytes memory snap = _get(w, bytes32(c.f[F_SNAPSHOT]));
        if (snap.length != 6 * 32) revert BadPreimage(bytes32(c.f[F_SNAPSHOT]));
        uint256[6] memory r = abi.decode(snap, (uint256[6]));
        c.s[3] = r[0];
        c.s[5] = r[1];
        c.s[6] = r[2];
        c.s[8] = r[3];
        c.s[9] = r[4];
        c.s[10] = r[5];
    }

    /// @dev The commitment of an unfinished state: only the block-end step sets a final status.
    function _sealed(Ctx memory c) internal pure returns (bytes32) {
        c.s[S_STATUS] = STATUS_UNFINISHED;
        return bytes32((uint256(keccak256(abi.encode(c.s))) & ~(uint256(0xff) << 248)) | (uint256(STATUS_UNFINISHED) << 248));
    }

    /// @dev `len` bytes of a byte tree from `offset` (zero past `size`).
    function _readBytes(Witness memory w, bytes32 root, uint256 size, uint256 offset, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        if (len == 0) return out;
        _readRange(w, Span(offset, size, out), root, TREE_DEPTH, 0);
    }

    /// @dev `len` bytes from `src` of the window [off, off + size) of a byte tree, zero past the
    ///      window's end whatever the tree holds there (pending.ts readWindow): only the bytes
    ///      inside are read.
    function _readWindow(Witness memory w, bytes32 root, uint256 off, uint256 size, uint256 src, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        if (src >= size || len == 0) return out;
        uint256 n = size - src < len ? size - src : len;
        // Read the n bytes inside into out's prefix (its length cut for the walk, then restored).
        assembly ("memory-safe") {
            mstore(out, n)
        }
        _readRange(w, Span(off + src, off + size, out), root, TREE_DEPTH, 0);
        assembly ("memory-safe") {
            mstore(out, len)
        }
    }

    /// @dev A byte range of a tree: where it starts, the tree's data size, the bytes.
    struct Span {
        uint256 offset;
        uint256 size;
        bytes data;
    }

    /// @dev Reads the chunks of `s` under `node` (height h, first chunk lo) into s.data, walking
    ///      each node of the range's paths once; chunks at or past the data size read as zero.
    function _readRange(Witness memory w, Span memory s, bytes32 node, uint256 h, uint256 lo) internal pure {
        uint256 base = lo * 32;
        uint256 from = s.offset > base ? s.offset : base;
        // The part under this node starts past the data: zeros, and the witness has no path there.
        if (node == w.zero[h] || from >= s.size) return;
        if (h == 0) {
            uint256 end = s.offset + s.data.length;
            uint256 to = end < base + 32 ? end : base + 32;
            _place(s.data, from - s.offset, node, from - base, to - from);
            return;
        }
        (bytes32 l, bytes32 r) = _pair(w, node);
        uint256 mid = lo + (1 << (h - 1));
        if (s.offset / 32 < mid) _readRange(w, s, l, h - 1, lo);
        if ((s.offset + s.data.length - 1) / 32 >= mid) _readRange(w, s, r, h - 1, mid);
    }

    /// @dev Whether the part of the range under the subtree (height h, first chunk lo) starts at or
    ///      past the old size s.size and writes only zeros.
    function _zerosPastSize(Span memory s, uint256 lo, uint256 h) internal pure returns (bool) {
        uint256 base = lo * 32;
        uint256 from = s.offset > base ? s.offset : base;
        if (from < s.size) return false;
        uint256 end = s.offset + s.data.length;
        uint256 top = base + (32 << h);
        uint256 to = end < top ? end : top;
        return !_anyNonzero(s.data, from - s.offset, to - from);
    }

    /// @dev The hash of a pending copy record (DESIGN §2.9; state.ts encodePendingCopy): a `src`
    ///      past SOURCE_OFFSET_CAP is recorded as the cap (all zero beyond).
    /// @dev The pending copy from the window [off, off + size) of a tree, in tree positions
    ///      (pending.ts windowCopy): `src` from the window's start, the size its end.
    function _pendingWindowHash(uint256 op, uint256 dst, uint256 src, uint256 remaining, bytes32 root, uint256 off, uint256 size) internal pure returns (uint256) {
        if (src > SOURCE_OFFSET_CAP) src = SOURCE_OFFSET_CAP;
        return _pendingCopyHash(op, dst, off + src, remaining, root, off + size);
    }

    function _pendingCopyHash(uint256 op, uint256 dst, uint256 src, uint256 remaining, bytes32 root, uint256 size) internal pure returns (uint256) {
        if (src > SOURCE_OFFSET_CAP) src = SOURCE_OFFSET_CAP;
        return uint256(keccak256(abi.encode(op, dst, src, remaining, root, size)));
    }

    /// @dev keccak(l ‖ r) in the scratch space: abi.encodePacked would allocate 96 bytes a node
    ///      that are never freed, and a range's memory cost grows with their square.
    function _hash2(bytes32 l, bytes32 r) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, l)
            mstore(0x20, r)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @dev Bytes [at, at+n) of `chunk` into `out` from `to`, through scratch memory (MCOPY):
    ///      a byte loop here was most of a long range's gas.
    function _place(bytes memory out, uint256 to, bytes32 chunk, uint256 at, uint256 n) internal pure {
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            mstore(scratch, chunk)
            mcopy(add(add(out, 32), to), add(scratch, at), n)
        }
    }

    /// @dev Whether bytes [from, from+n) of `data` hold a nonzero byte, a word at a time.
    function _anyNonzero(bytes memory data, uint256 from, uint256 n) internal pure returns (bool nz) {
        assembly ("memory-safe") {
            let p := add(add(data, 32), from)
            let e := add(p, n)
            for {} lt(add(p, 31), e) { p := add(p, 32) } {
                if mload(p) {
                    nz := 1
                    break
                }
            }
            // The last part word: only its first e - p bytes are the range's.
            if and(iszero(nz), lt(p, e)) { nz := iszero(iszero(shr(shl(3, sub(32, sub(e, p))), mload(p)))) }
        }
    }

    /// @dev The root after writing s.data at s.offset into the tree under `node` (height h, first
    ///      chunk lo): each node of the range's paths is read and rehashed once; chunks the range
    ///      covers in part keep their other bytes.
    function _writeRange(Witness memory w, Span memory s, bytes32 node, uint256 h, uint256 lo) internal pure returns (bytes32) {
        // Zeros written past the old size (s.size) change nothing, and the witness has no path
        // there (the reference walks only to the chunks that change).
        if (_zerosPastSize(s, lo, h)) return node;
        if (h == 0) {
            uint256 base = lo * 32;
            uint256 from = s.offset > base ? s.offset : base;
            uint256 end = s.offset + s.data.length;
            uint256 to = end < base + 32 ? end : base + 32;
            bytes memory data = s.data;
            uint256 src = from - s.offset;
            uint256 n = to - from;
            bytes32 out;
            assembly ("memory-safe") {
                let scratch := mload(0x40)
                mstore(scratch, node)
                mcopy(add(scratch, sub(from, base)), add(add(data, 32), src), n)
                out := mload(scratch)
            }
            return out;
        }
        bytes32 l;
        bytes32 r;
        if (node == w.zero[h]) {
            l = w.zero[h - 1];
            r = l;
        } else (l, r) = _pair(w, node);
        uint256 mid = lo + (1 << (h - 1));
        if (s.offset / 32 < mid) l = _writeRange(w, s, l, h - 1, lo);
        if ((s.offset + s.data.length - 1) / 32 >= mid) r = _writeRange(w, s, r, h - 1, mid);
        return _hash2(l, r);
    }

    /// @dev The byte tree root of `data` (DESIGN §3.2).
    function _buildTree(Witness memory w, bytes memory data) internal pure returns (bytes32) {
        uint256 n = (data.length + 31) / 32;
        if (n == 0) return w.zero[TREE_DEPTH];
        bytes32[] memory level = new bytes32[](n);
        uint256 len = data.length;
        for (uint256 i = 0; i < n; i++) {
            bytes32 chunk;
            assembly ("memory-safe") {
                chunk := mload(add(add(data, 32), shl(5, i)))
                // The last chunk of a length not a multiple of 32: the bytes past the end are zero.
                let k := sub(len, shl(5, i))
                if lt(k, 32) { chunk := and(chunk, not(sub(shl(shl(3, sub(32, k)), 1), 1))) }
            }
            level[i] = chunk;
        }
        for (uint256 h = 1; h <= TREE_DEPTH; h++) {
            uint256 m = (n + 1) / 2;
            for (uint256 i = 0; i < m; i++) {
                bytes32 l = level[2 * i];
                bytes32 r = 2 * i + 1 < n ? level[2 * i + 1] : w.zero[h - 1];
                level[i] = _hash2(l, r);
            }
            n = m;
        }
        return level[0];
    }

    /// @dev The witness of a step: the preimages are copied into memory in one block (the ABI
    ///      decoder's element-by-element copy was ~1.4k gas a preimage), each one's `bytes` its
    ///      length word and data in that block, hashed and indexed.
    function _witness(bytes[] calldata preimages) internal pure returns (Witness memory w) {
        uint256 n = preimages.length;
        w.data = new bytes[](n + SCRATCH);
        w.hashes = new bytes32[](n + SCRATCH);
        bytes[] memory data = w.data;
        bytes32[] memory hashes = w.hashes;
        bool bad;
        assembly ("memory-safe") {
            // Every element lies past the offsets (an offset is unsigned, from their start), so
            // the block from there to the end of calldata holds them all.
            let from := preimages.offset
            let size := sub(calldatasize(), from)
            let blob := mload(0x40)
            calldatacopy(blob, from, size)
            mstore(0x40, add(blob, and(add(size, 31), not(31))))
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let rel := calldataload(add(from, shl(5, i)))
                // An element whose head or data runs past the block is malformed (rel is checked
                // alone first: rel + 32 could wrap, and the entry then point into live memory).
                if or(gt(rel, size), gt(add(rel, 32), size)) { bad := 1 break }
                let len := mload(add(blob, rel))
                if gt(len, sub(size, add(rel, 32))) { bad := 1 break }
                let ptr := add(blob, rel)
                mstore(add(add(data, 32), shl(5, i)), ptr)
                mstore(add(add(hashes, 32), shl(5, i)), keccak256(add(ptr, 32), len))
            }
        }
        if (bad) revert BadStateData();
        w.n = n;
        _reindex(w);
        w.zero = new bytes32[](TREE_DEPTH + 1);
        for (uint256 h = 1; h <= TREE_DEPTH; h++) w.zero[h] = _hash2(w.zero[h - 1], w.zero[h - 1]);
    }

    /// @dev A fresh table for hashes' room, holding entries 0..n.
    function _reindex(Witness memory w) internal pure {
        uint256 size = 1;
        while (size <= w.hashes.length + w.hashes.length / 2) size <<= 1;
        w.slots = new uint256[](size);
        for (uint256 i = 0; i < w.n; i++) _index(w, i);
    }

    /// @dev Puts entry i in the table. Hashes are keccak outputs, so their low bits spread well.
    function _index(Witness memory w, uint256 i) internal pure {
        uint256[] memory t = w.slots;
        bytes32 h = w.hashes[i];
        assembly ("memory-safe") {
            let mask := sub(mload(t), 1)
            let p := add(t, 32)
            let s := and(h, mask)
            for {} mload(add(p, shl(5, s))) {} { s := and(add(s, 1), mask) }
            mstore(add(p, shl(5, s)), add(i, 1))
        }
    }

    function _get(Witness memory w, bytes32 h) internal pure returns (bytes memory) {
        uint256[] memory t = w.slots;
        bytes32[] memory hashes = w.hashes;
        uint256 e;
        // A hashed lookup, not a scan: byte-tree walks call this 24 times per chunk, and a copy
        // piece creates ~1,500 nodes that its later walks read back.
        assembly ("memory-safe") {
            let mask := sub(mload(t), 1)
            let p := add(t, 32)
            let q := add(hashes, 32)
            for { let s := and(h, mask) } 1 { s := and(add(s, 1), mask) } {
                e := mload(add(p, shl(5, s)))
                if iszero(e) { break }
                if eq(mload(add(q, shl(5, sub(e, 1)))), h) { break }
            }
        }
        if (e == 0) revert MissingPreimage(h);
        return w.data[e - 1];
    }

    /// @dev `size` bytes of `code` from `src`, zero past its end.
    function _slice(bytes memory code, uint256 src, uint256 size) internal pure returns (bytes memory out) {
        out = new bytes(size);
        if (src >= code.length) return out;
        uint256 n = code.length - src < size ? code.length - src : size;
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(code, 32), src), n)
        }
    }

    /// @dev The two words of a 64-byte preimage (a tree node or a chain link).
    function _pair(Witness memory w, bytes32 h) internal pure returns (bytes32 l, bytes32 r) {
        bytes memory pair = _get(w, h);
        if (pair.length != 64) revert BadPreimage(h);
        assembly ("memory-safe") {
            l := mload(add(pair, 32))
            r := mload(add(pair, 64))
        }
    }

    function _link(Witness memory w, bytes32 head) internal pure returns (bytes32 below, uint256 item) {
        bytes32 v;
        (below, v) = _pair(w, head);
        item = uint256(v);
    }

    function _readChunk(Witness memory w, bytes32 root, uint256 index) internal pure returns (bytes32) {
        bytes32 node = root;
        for (uint256 h = TREE_DEPTH; h > 0; h--) {
            if (node == w.zero[h]) return bytes32(0);
            (bytes32 l, bytes32 r) = _pair(w, node);
            node = ((index >> (h - 1)) & 1) == 0 ? l : r;
        }
        return node;
    }

    function _writeChunk(Witness memory w, bytes32 root, uint256 index, bytes32 chunk) internal pure returns (bytes32) {
        bytes32[] memory sib = new bytes32[](TREE_DEPTH);
        bytes32 node = root;
        for (uint256 h = TREE_DEPTH; h > 0; h--) {
            bytes32 l;
            bytes32 r;
            if (node == w.zero[h]) {
                l = w.zero[h - 1];
                r = l;
            } else (l, r) = _pair(w, node);
            bool right = ((index >> (h - 1)) & 1) == 1;
            sib[h - 1] = right ? l : r;
            node = right ? r : l;
        }
        bytes32 acc = chunk;
        for (uint256 h = 1; h <= TREE_DEPTH; h++) {
            bytes memory pair = ((index >> (h - 1)) & 1) == 1 ? abi.encodePacked(sib[h - 1], acc) : abi.encodePacked(acc, sib[h - 1]);
            acc = keccak256(pair);
            if (w.n == w.hashes.length) _grow(w);
            w.hashes[w.n] = acc;
            w.data[w.n] = pair;
            _index(w, w.n);
            w.n++;
        }
        return acc;
    }

    /// @dev Doubles the room for created nodes: a copy writes TREE_DEPTH nodes per chunk.
    function _grow(Witness memory w) internal pure {
        uint256 cap = 2 * w.hashes.length + TREE_DEPTH;
        bytes32[] memory hashes = new bytes32[](cap);
        bytes[] memory data = new bytes[](cap);
        for (uint256 i = 0; i < w.n; i++) {
            hashes[i] = w.hashes[i];
            data[i] = w.data[i];
        }
        w.hashes = hashes;
        w.data = data;
        _reindex(w);
    }

    /// @dev 32 bytes of a byte tree at `offset` (zero past `size`); only chunks below `size` are read.
    function _readWord(Witness memory w, bytes32 root, uint256 size, uint256 offset) internal pure returns (uint256) {
        uint256 c = offset / 32;
        uint256 shift = (offset % 32) * 8;
        uint256 a = c * 32 < size ? uint256(_readChunk(w, root, c)) : 0;
        if (shift == 0) return a;
        uint256 b = (c + 1) * 32 < size ? uint256(_readChunk(w, root, c + 1)) : 0;
        return (a << shift) | (b >> (256 - shift));
    }

    function _pop(Witness memory w, Ctx memory c, uint256 n) internal pure {
        if (c.f[F_STACK_SIZE] < n) revert UnsupportedStep(c.op); // stack underflow: an exceptional halt
        c.items = new uint256[](n);
        bytes32 h = bytes32(c.f[F_STACK]);
        for (uint256 i = 0; i < n; i++) (h, c.items[i]) = _link(w, h);
        c.below = h;
    }

    function _push1(Ctx memory c, uint256 v) internal pure {
        c.pushes = new uint256[](1);
        c.pushes[0] = v;
    }

    function _memCost(uint256 words) internal pure returns (uint256) {
        return 3 * words + (words * words) / 512;
    }

    /// @dev Charges memory expansion to cover [offset, offset+size) and grows the committed size.
    function _expand(Ctx memory c, uint256 offset, uint256 size) internal pure {
        if (size == 0) return;
        if (offset > 0xffffffff || size > 0xffffffff) revert UnsupportedStep(c.op); // out of gas
        uint256 end = offset + size;
        uint256 words = (end + 31) / 32;
        uint256 old = c.f[F_MEMORY_SIZE] / 32;
        if (words > old) {
            c.gasCost += _memCost(words) - _memCost(old);
            c.f[F_MEMORY_SIZE] = words * 32;
        }
    }

    /// @dev A JUMPDEST byte that is not PUSH data (the code is at most 49,152 bytes).
    function _isJumpdest(bytes memory code, uint256 dest) internal pure returns (bool) {
        if (dest >= code.length || uint8(code[dest]) != 0x5b) return false;
        uint256 i = 0;
        while (i < dest) {
            uint8 b = uint8(code[i]);
            i += (b >= 0x60 && b <= 0x7f) ? b - 0x5e : 1;
        }
        return i == dest;
    }

    uint256 internal constant GAS_LOG = 375;
    uint256 internal constant GAS_LOG_DATA = 8;
    uint256 internal constant MEMORY_LIMIT = 0xffffffff;

    /// @dev The post-state of an instruction within the frame: it needs no new preimages on chain.
    function _commit(Ctx memory c) internal pure returns (bytes32) {
        uint256 popped = c.items.length;
        uint256 size = c.f[F_STACK_SIZE] - popped + c.pushes.length;
        if (size > 1024) revert UnsupportedStep(c.op); // stack overflow: an exceptional halt
        if (c.f[F_GAS] < c.gasCost) revert UnsupportedStep(c.op); // out of gas: an exceptional halt
        bytes32 head = popped == 0 ? bytes32(c.f[F_STACK]) : c.below;
        for (uint256 i = 0; i < c.pushes.length; i++) head = keccak256(abi.encodePacked(head, c.pushes[i]));
        c.f[F_STACK] = uint256(head);
        c.f[F_STACK_SIZE] = size;
        c.f[F_GAS] -= c.gasCost;
        c.f[F_PC] = c.nextPc;
        c.s[S_FRAME] = uint256(keccak256(abi.encode(c.f)));
        c.s[S_STATUS] = STATUS_UNFINISHED;
        bytes32 h = keccak256(abi.encode(c.s));
        return bytes32((uint256(h) & ~(uint256(0xff) << 248)) | (uint256(STATUS_UNFINISHED) << 248));
    }

}
