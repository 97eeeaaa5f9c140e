// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMerkle} from "./LibMerkle.sol";

/// @notice The L1 checker of one output chunk of one node of a deterministic inference
///         (ai/DESIGN.md, "Dispute"), written from the design and checked against the TypeScript
///         twin (ai/dispute.ts verifyChunk) in differential tests. From the witness alone it proves
///         leaf 0 (the model commitment), the node's attributes against the model, the node's and
///         its inputs' leaves against the trace root and every chunk it reads against its root,
///         then recomputes the chunk with the exact integer semantics. The caller compares the
///         returned word with the claimed chunk (or, for a Gemm check stopping before its last
///         reduction block, with the claimed accumulator hash). A bad proof reverts with a typed error.
contract InferenceChunkVerifier {
    struct Leaf {
        uint32 index;
        uint8 op;
        bytes32 attrsHash;
        uint32[] shape;
        bytes32 tensorRoot;
        bytes32[] proof;
    }

    struct Attrs {
        uint8 op;
        uint32 scaleBits;
        uint32 in0;
        uint32 in1;
        uint32 n;
        uint32 k;
        uint32 mult;
        uint32 mult2;
        uint8 shift;
        uint32 eps;
        uint8 fn;
        bytes32 root1;
        bytes32 root2;
    }

    struct NodeLeaf {
        uint32 index;
        uint32[] shape;
        bytes32 tensorRoot;
        bytes32[] proof;
    }

    /// @dev An aligned range of chunks: a power-of-two count, start a multiple of it.
    struct Piece {
        uint256 start;
        bytes32[] chunks;
        bytes32[] proof;
    }

    struct Witness {
        bytes32 traceRoot;
        uint32 nodeCount;
        bytes32 attrsRoot;
        Leaf leaf0;
        bytes32[] attrsProof;
        Attrs attrs;
        NodeLeaf node;
        Leaf[] inputs;
        uint256 chunkIndex;
        Piece[] a;
        Piece[] b;
        Piece[] p1;
        Piece[] p2;
        bytes table;
        uint32 segFrom;
        uint32 segTo;
        int256[] accIn;
    }

    // Trees a piece can belong to (in errors).
    uint8 internal constant T_A = 0;
    uint8 internal constant T_B = 1;
    uint8 internal constant T_P1 = 2;
    uint8 internal constant T_P2 = 3;

    error BadNodeCount();
    error NotModelCommitment();
    error LeafOutOfRange(uint256 index);
    error BadProofLength(uint256 got, uint256 expected);
    error LeafNotInTrace(uint256 index);
    error AttrsNotInModel();
    error UnknownOp(uint8 op);
    error BadInputs();
    error ShapeMismatch();
    error ChunkOutOfRange(uint256 chunk);
    error BadRange(uint8 tree, uint256 start);
    error PieceNotUnderRoot(uint8 tree, uint256 start);
    error MissingChunk(uint8 tree, uint256 chunk);
    error BadTable();
    error BadBlocks();
    error BadAccumulators();

    uint8 internal constant OP_GEMM = 1;
    uint8 internal constant OP_RELU = 2;
    uint8 internal constant OP_ADD = 3;
    uint8 internal constant OP_MAX = 4;
    uint8 internal constant OP_RESHAPE = 5;
    uint8 internal constant OP_LUT = 6;
    uint8 internal constant OP_LAYERNORM = 7;
    uint256 internal constant TILE = 32;

    /// @dev Gemm parameters shared by the lane loops (a memory record keeps the stack shallow).
    struct G {
        uint256 n;
        uint256 k;
        uint256 kbs;
        uint256 nbs;
        uint256 j0;
        uint256 m;
        uint256 from;
        uint256 to;
        Set x;
        Set w;
    }

    function verifyChunk(Witness calldata w) external pure returns (bytes32) {
        _checkLeaves(w);
        uint256 total = _size(w.node.shape);
        if (w.chunkIndex * 32 >= total) revert ChunkOutOfRange(w.chunkIndex);
        uint8 op = w.attrs.op;
        if (op == OP_GEMM) return _gemm(w, total);
        if (op == OP_LAYERNORM) return _layerNorm(w, total);
        if (op == OP_ADD || op == OP_MAX) return _binary(w, total);
        return _unary(w, total);
    }

    // ------------------------------------------------------------------ commitments

    function _checkLeaves(Witness calldata w) internal pure {
        uint32 nc = w.nodeCount;
        if (nc == 0) revert BadNodeCount();
        Leaf calldata l0 = w.leaf0;
        if (l0.index != 0 || l0.op != 0 || l0.attrsHash != keccak256(abi.encodePacked(nc, w.attrsRoot))) revert NotModelCommitment();
        uint256 depth = _depth(uint256(nc) + 1);
        _checkLeaf(w.traceRoot, l0, depth);
        uint32 v = w.node.index;
        if (v == 0 || v > nc) revert LeafOutOfRange(v);
        uint8 op = w.attrs.op;
        if (op == 0 || op > OP_LAYERNORM) revert UnknownOp(op);
        bytes32 ah = _attrsHash(w.attrs);
        if (w.attrsProof.length != _depth(nc) || LibMerkle.climb(ah, v - 1, w.attrsProof) != w.attrsRoot) revert AttrsNotInModel();
        if (w.node.proof.length != depth) revert BadProofLength(w.node.proof.length, depth);
        if (LibMerkle.climb(_leafHash(v, op, ah, w.node.shape, w.node.tensorRoot), v, w.node.proof) != w.traceRoot) revert LeafNotInTrace(v);
        uint256 count = op == OP_ADD || op == OP_MAX ? 2 : 1;
        if (w.inputs.length != count) revert BadInputs();
        if (w.inputs[0].index != w.attrs.in0 || w.attrs.in0 >= v) revert BadInputs();
        _checkLeaf(w.traceRoot, w.inputs[0], depth);
        if (count == 2) {
            if (w.inputs[1].index != w.attrs.in1 || w.attrs.in1 >= v) revert BadInputs();
            _checkLeaf(w.traceRoot, w.inputs[1], depth);
        }
    }

    function _checkLeaf(bytes32 root, Leaf calldata l, uint256 depth) internal pure {
        if (l.proof.length != depth) revert BadProofLength(l.proof.length, depth);
        if (LibMerkle.climb(_leafHash(l.index, l.op, l.attrsHash, l.shape, l.tensorRoot), l.index, l.proof) != root) revert LeafNotInTrace(l.index);
    }

    function _leafHash(uint32 index, uint8 op, bytes32 ah, uint32[] calldata shape, bytes32 root) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, op, ah, uint8(shape.length), _dims(shape), root));
    }

    /// @dev u32 dims, big-endian, packed.
    function _dims(uint32[] calldata shape) internal pure returns (bytes memory dims) {
        dims = new bytes(4 * shape.length);
        for (uint256 i = 0; i < shape.length; i++) {
            uint32 d = shape[i];
            dims[4 * i] = bytes1(uint8(d >> 24));
            dims[4 * i + 1] = bytes1(uint8(d >> 16));
            dims[4 * i + 2] = bytes1(uint8(d >> 8));
            dims[4 * i + 3] = bytes1(uint8(d));
        }
    }

    function _attrsHash(Attrs calldata a) internal pure returns (bytes32) {
        bytes memory head = abi.encodePacked(a.op, a.scaleBits, a.in0, a.in1, a.n, a.k, a.mult);
        return keccak256(abi.encodePacked(head, a.mult2, a.shift, a.eps, a.fn, a.root1, a.root2));
    }

    function _depth(uint256 leafCount) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < leafCount) d++;
    }

    function _hashWord(bytes32 a) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            h := keccak256(0x00, 0x20)
        }
    }

    /// @dev Proven chunks copied to memory: piece i covers chunk indices [start[i], start[i] + count[i])
    ///      at flat[offset[i]...] (lookups stay in memory; calldata struct access is costly).
    struct Set {
        uint256[] start;
        uint256[] count;
        uint256[] offset;
        bytes32[] flat;
        uint8 tree;
    }

    /// @dev Checks every piece against `root` (a tree over `leafCount` chunk leaves) and copies it.
    function _pieces(Piece[] calldata ps, bytes32 root, uint256 leafCount, uint8 tree) internal pure returns (Set memory set) {
        uint256 depth = _depth(leafCount);
        uint256 n = ps.length;
        set.start = new uint256[](n);
        set.count = new uint256[](n);
        set.offset = new uint256[](n);
        set.tree = tree;
        uint256 total;
        for (uint256 i = 0; i < n; i++) {
            Piece calldata p = ps[i];
            uint256 cnt = p.chunks.length;
            if (cnt == 0 || cnt & (cnt - 1) != 0 || p.start % cnt != 0 || p.start + cnt > leafCount) revert BadRange(tree, p.start);
            uint256 lg = 0;
            while ((uint256(1) << lg) < cnt) lg++;
            if (p.proof.length + lg != depth) revert BadProofLength(p.proof.length, depth - lg);
            if (LibMerkle.climb(_subtree(p.chunks), p.start / cnt, p.proof) != root) revert PieceNotUnderRoot(tree, p.start);
            set.start[i] = p.start;
            set.count[i] = cnt;
            set.offset[i] = total;
            total += cnt;
        }
        set.flat = new bytes32[](total);
        for (uint256 i = 0; i < n; i++) {
            bytes32[] calldata cs = ps[i].chunks;
            uint256 o = set.offset[i];
            for (uint256 j = 0; j < cs.length; j++) set.flat[o + j] = cs[j];
        }
    }

    function _subtree(bytes32[] calldata chunks) internal pure returns (bytes32) {
        uint256 n = chunks.length;
        bytes32[] memory lv = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) lv[i] = _hashWord(chunks[i]);
        while (n > 1) {
            for (uint256 i = 0; i < n / 2; i++) lv[i] = LibMerkle.hashPair(lv[2 * i], lv[2 * i + 1]);
            n /= 2;
        }
        return lv[0];
    }

    function _chunk(Set memory set, uint256 ci) internal pure returns (bytes32) {
        unchecked {
            for (uint256 i = 0; i < set.start.length; i++) {
                uint256 s = set.start[i];
                if (ci >= s && ci < s + set.count[i]) return set.flat[set.offset[i] + ci - s];
            }
        }
        revert MissingChunk(set.tree, ci);
    }

    // ------------------------------------------------------------------ arithmetic (ai/DESIGN.md)

    function _i8(bytes32 c, uint256 i) internal pure returns (int256) {
        return int256(int8(uint8(c[i])));
    }

    function _i8At(Set memory set, uint256 flat) internal pure returns (int256) {
        return _i8(_chunk(set, flat / 32), flat % 32);
    }

    /// @dev int32 i (big-endian, 8 to a chunk).
    function _i32At(Set memory set, uint256 i) internal pure returns (int256) {
        bytes32 c = _chunk(set, i / 8);
        return int256(int32(uint32(bytes4(c << (32 * (i % 8))))));
    }

    function _roundShift(int256 p, uint256 s) internal pure returns (int256) {
        if (s == 0) return p;
        uint256 a = p < 0 ? uint256(-p) : uint256(p);
        int256 q = int256((a + (uint256(1) << (s - 1))) >> s);
        return p < 0 ? -q : q;
    }

    function _roundDiv(int256 a, int256 b) internal pure returns (int256) {
        int256 x = a < 0 ? -a : a;
        int256 q = (2 * x + b) / (2 * b);
        return a < 0 ? -q : q;
    }

    function _sat8(int256 v) internal pure returns (int256) {
        return v > 127 ? int256(127) : v < -128 ? int256(-128) : v;
    }

    function _requant(int256 acc, uint32 mult, uint8 shift) internal pure returns (int256) {
        return _sat8(_roundShift(acc * int256(uint256(mult)), shift));
    }

    function _isqrt(uint256 n) internal pure returns (uint256 x) {
        if (n == 0) return 0;
        x = n;
        uint256 y = (x + 1) / 2;
        while (y < x) {
            x = y;
            y = (x + n / x) / 2;
        }
    }

    /// @dev Sets byte l of the output word to the int8 y.
    function _put(uint256 out, uint256 l, int256 y) internal pure returns (uint256) {
        return out | (uint256(uint8(int8(y))) << (8 * (31 - l)));
    }

    function _size(uint32[] calldata shape) internal pure returns (uint256 s) {
        s = 1;
        for (uint256 i = 0; i < shape.length; i++) s *= shape[i];
    }

    function _sameShape(uint32[] calldata p, uint32[] calldata q) internal pure returns (bool) {
        if (p.length != q.length) return false;
        for (uint256 i = 0; i < p.length; i++) if (p[i] != q[i]) return false;
        return true;
    }

    function _lanes(uint256 chunkIndex, uint256 total) internal pure returns (uint256 j0, uint256 m) {
        j0 = chunkIndex * 32;
        m = total - j0 < 32 ? total - j0 : 32;
    }

    // ------------------------------------------------------------------ operators

    /// @dev Relu, LUT and Reshape: output chunk c reads input chunk c (Reshape keeps the bytes).
    function _unary(Witness calldata w, uint256 total) internal pure returns (bytes32) {
        Leaf calldata x = w.inputs[0];
        uint8 op = w.attrs.op;
        uint256 inSize = _size(x.shape);
        if (op == OP_RESHAPE ? inSize != total : !_sameShape(x.shape, w.node.shape)) revert ShapeMismatch();
        // A reshape's target shape is committed in root1 (keccak256(u8 rank ‖ u32 dims…)): no other shape verifies.
        if (op == OP_RESHAPE && keccak256(abi.encodePacked(uint8(w.node.shape.length), _dims(w.node.shape))) != w.attrs.root1) revert ShapeMismatch();
        bytes32 c = _chunk(_pieces(w.a, x.tensorRoot, (inSize + 31) / 32, T_A), w.chunkIndex);
        (, uint256 m) = _lanes(w.chunkIndex, total);
        // Bytes beyond the tensor are zero whatever the input chunk's padding holds.
        if (op == OP_RESHAPE) return m == 32 ? c : c & ~bytes32(type(uint256).max >> (8 * m));
        if (op == OP_LUT && (w.table.length != 256 || keccak256(w.table) != w.attrs.root1)) revert BadTable();
        uint256 out;
        for (uint256 l = 0; l < m; l++) {
            int256 v = _i8(c, l);
            int256 y = op == OP_RELU ? (v > 0 ? v : int256(0)) : int256(int8(uint8(w.table[uint256(v + 128)])));
            out = _put(out, l, y);
        }
        return bytes32(out);
    }

    /// @dev Add and Max: element-wise over chunk c of both inputs.
    function _binary(Witness calldata w, uint256 total) internal pure returns (bytes32) {
        if (!_sameShape(w.inputs[0].shape, w.node.shape) || !_sameShape(w.inputs[1].shape, w.node.shape)) revert ShapeMismatch();
        uint256 leaves = (total + 31) / 32;
        bytes32 ca = _chunk(_pieces(w.a, w.inputs[0].tensorRoot, leaves, T_A), w.chunkIndex);
        bytes32 cb = _chunk(_pieces(w.b, w.inputs[1].tensorRoot, leaves, T_B), w.chunkIndex);
        (, uint256 m) = _lanes(w.chunkIndex, total);
        Attrs calldata ats = w.attrs;
        uint256 out;
        for (uint256 l = 0; l < m; l++) {
            int256 x = _i8(ca, l);
            int256 y = _i8(cb, l);
            int256 r = ats.op == OP_MAX
                ? (x > y ? x : y)
                : _sat8(_roundShift(x * int256(uint256(ats.mult)) + y * int256(uint256(ats.mult2)), ats.shift));
            out = _put(out, l, r);
        }
        return bytes32(out);
    }

    /// @dev LayerNorm parameters and proven chunk sets (a memory record keeps the stack shallow).
    struct LN {
        uint256 len;
        uint256 j0;
        uint256 m;
        Set x;
        Set gamma;
        Set beta;
    }

    function _layerNorm(Witness calldata w, uint256 total) internal pure returns (bytes32) {
        LN memory ln = _lnSetup(w, total);
        uint256 row = type(uint256).max;
        int256 s;
        int256 sigma;
        uint256 out;
        for (uint256 l = 0; l < ln.m; l++) {
            uint256 j = ln.j0 + l;
            if (j / ln.len != row) {
                row = j / ln.len;
                (s, sigma) = _rowStats(ln.x, row, ln.len, w.attrs.eps);
            }
            out = _put(out, l, _lnLane(w, ln, j, s, sigma));
        }
        return bytes32(out);
    }

    function _lnSetup(Witness calldata w, uint256 total) internal pure returns (LN memory ln) {
        Attrs calldata ats = w.attrs;
        ln.len = ats.n;
        Leaf calldata x = w.inputs[0];
        if (ln.len == 0 || !_sameShape(x.shape, w.node.shape) || x.shape[x.shape.length - 1] != ln.len) revert ShapeMismatch();
        ln.x = _pieces(w.a, x.tensorRoot, (total + 31) / 32, T_A);
        ln.gamma = _pieces(w.p1, ats.root1, (ln.len + 31) / 32, T_P1);
        ln.beta = _pieces(w.p2, ats.root2, (ln.len + 7) / 8, T_P2);
        (ln.j0, ln.m) = _lanes(w.chunkIndex, total);
    }

    /// @dev y_j = requantize(roundDiv(d_j · 2^12, σ) · γ_col + β_col), d_j = L·x_j − s.
    function _lnLane(Witness calldata w, LN memory ln, uint256 j, int256 s, int256 sigma) internal pure returns (int256) {
        int256 d = int256(ln.len) * _i8At(ln.x, j) - s;
        int256 norm = _roundDiv(d * 4096, sigma); // 2^LN_FRAC_BITS
        uint256 col = j % ln.len;
        int256 acc = norm * _i8At(ln.gamma, col) + _i32At(ln.beta, col);
        return _requant(acc, w.attrs.mult, w.attrs.shift);
    }

    function _rowStats(Set memory x, uint256 row, uint256 len, uint32 eps) internal pure returns (int256 s, int256 sigma) {
        uint256 o = row * len;
        for (uint256 i = 0; i < len; i++) s += _i8At(x, o + i);
        uint256 q;
        for (uint256 i = 0; i < len; i++) {
            int256 d = int256(len) * _i8At(x, o + i) - s;
            q += uint256(d * d);
        }
        sigma = int256(_isqrt(q / len + eps));
    }

    /// @dev Gemm over reduction blocks [segFrom, segTo) from the accumulators accIn; after the
    ///      last block, bias and requantisation give the chunk, else the accumulator hash.
    function _gemm(Witness calldata w, uint256 total) internal pure returns (bytes32) {
        G memory g;
        g.n = w.attrs.n;
        g.k = w.attrs.k;
        _gemmShapes(w, g.n, g.k);
        g.kbs = (g.k + TILE - 1) / TILE;
        g.nbs = (g.n + TILE - 1) / TILE;
        (g.j0, g.m) = _lanes(w.chunkIndex, total);
        g.from = w.segFrom;
        g.to = w.segTo;
        if (g.from >= g.to || g.to > g.kbs) revert BadBlocks();
        if (w.accIn.length != g.m) revert BadAccumulators();
        if (g.from == 0) for (uint256 l = 0; l < g.m; l++) if (w.accIn[l] != 0) revert BadAccumulators();
        g.x = _pieces(w.a, w.inputs[0].tensorRoot, (_size(w.inputs[0].shape) + 31) / 32, T_A);
        g.w = _pieces(w.p1, w.attrs.root1, g.nbs * g.kbs * TILE, T_P1);
        int256[] memory acc = new int256[](g.m);
        for (uint256 l = 0; l < g.m; l++) acc[l] = w.accIn[l] + _laneSum(g, g.j0 + l);
        if (g.to < g.kbs) return keccak256(abi.encodePacked(acc));
        Set memory bias = _pieces(w.p2, w.attrs.root2, g.nbs * 4, T_P2);
        uint256 out;
        for (uint256 l = 0; l < g.m; l++) {
            int256 b = _i32At(bias, (g.j0 + l) % g.n);
            out = _put(out, l, _requant(acc[l] + b, w.attrs.mult, w.attrs.shift));
        }
        return bytes32(out);
    }

    function _gemmShapes(Witness calldata w, uint256 n, uint256 k) internal pure {
        uint32[] calldata xs = w.inputs[0].shape;
        uint32[] calldata ys = w.node.shape;
        if (n == 0 || k == 0 || xs.length == 0 || xs.length != ys.length || xs[xs.length - 1] != k || ys[ys.length - 1] != n) revert ShapeMismatch();
        for (uint256 i = 0; i + 1 < xs.length; i++) if (xs[i] != ys[i]) revert ShapeMismatch();
    }

    /// @dev Σ over the reduction blocks [from, to) of x[r, k] · w[n, k] for output element j.
    function _laneSum(G memory g, uint256 j) internal pure returns (int256 sum) {
        uint256 r = j / g.n;
        uint256 n = j % g.n;
        for (uint256 kb = g.from; kb < g.to; kb++) {
            bytes32 wc = _chunk(g.w, (((n / TILE) * g.kbs + kb) * TILE) + (n % TILE));
            uint256 cnt = g.k - kb * TILE < TILE ? g.k - kb * TILE : TILE;
            sum += _dot(_window(g.x, r * g.k + kb * TILE, cnt), wc, cnt);
        }
    }

    /// @dev The `cnt` input bytes from flat index `first`, left-aligned in one word (two chunks if they straddle).
    function _window(Set memory x, uint256 first, uint256 cnt) internal pure returns (bytes32) {
        uint256 o = first % 32;
        bytes32 c0 = _chunk(x, first / 32);
        if (o == 0) return c0;
        bytes32 v = c0 << (8 * o);
        if (o + cnt > 32) v |= _chunk(x, first / 32 + 1) >> (8 * (32 - o));
        return v;
    }

    /// @dev Σ_t int8(x[t]) · int8(y[t]) for t < cnt ≤ 32: |sum| ≤ 32 · 2^14, no overflow. A full
    ///      block is unrolled (the loop's bookkeeping cost as much as the products).
    function _dot(bytes32 x, bytes32 y, uint256 cnt) internal pure returns (int256 s) {
        if (cnt == 32) {
            assembly ("memory-safe") {
                s := add(s, mul(signextend(0, byte(0, x)), signextend(0, byte(0, y))))
                s := add(s, mul(signextend(0, byte(1, x)), signextend(0, byte(1, y))))
                s := add(s, mul(signextend(0, byte(2, x)), signextend(0, byte(2, y))))
                s := add(s, mul(signextend(0, byte(3, x)), signextend(0, byte(3, y))))
                s := add(s, mul(signextend(0, byte(4, x)), signextend(0, byte(4, y))))
                s := add(s, mul(signextend(0, byte(5, x)), signextend(0, byte(5, y))))
                s := add(s, mul(signextend(0, byte(6, x)), signextend(0, byte(6, y))))
                s := add(s, mul(signextend(0, byte(7, x)), signextend(0, byte(7, y))))
                s := add(s, mul(signextend(0, byte(8, x)), signextend(0, byte(8, y))))
                s := add(s, mul(signextend(0, byte(9, x)), signextend(0, byte(9, y))))
                s := add(s, mul(signextend(0, byte(10, x)), signextend(0, byte(10, y))))
                s := add(s, mul(signextend(0, byte(11, x)), signextend(0, byte(11, y))))
                s := add(s, mul(signextend(0, byte(12, x)), signextend(0, byte(12, y))))
                s := add(s, mul(signextend(0, byte(13, x)), signextend(0, byte(13, y))))
                s := add(s, mul(signextend(0, byte(14, x)), signextend(0, byte(14, y))))
                s := add(s, mul(signextend(0, byte(15, x)), signextend(0, byte(15, y))))
                s := add(s, mul(signextend(0, byte(16, x)), signextend(0, byte(16, y))))
                s := add(s, mul(signextend(0, byte(17, x)), signextend(0, byte(17, y))))
                s := add(s, mul(signextend(0, byte(18, x)), signextend(0, byte(18, y))))
                s := add(s, mul(signextend(0, byte(19, x)), signextend(0, byte(19, y))))
                s := add(s, mul(signextend(0, byte(20, x)), signextend(0, byte(20, y))))
                s := add(s, mul(signextend(0, byte(21, x)), signextend(0, byte(21, y))))
                s := add(s, mul(signextend(0, byte(22, x)), signextend(0, byte(22, y))))
                s := add(s, mul(signextend(0, byte(23, x)), signextend(0, byte(23, y))))
                s := add(s, mul(signextend(0, byte(24, x)), signextend(0, byte(24, y))))
                s := add(s, mul(signextend(0, byte(25, x)), signextend(0, byte(25, y))))
                s := add(s, mul(signextend(0, byte(26, x)), signextend(0, byte(26, y))))
                s := add(s, mul(signextend(0, byte(27, x)), signextend(0, byte(27, y))))
                s := add(s, mul(signextend(0, byte(28, x)), signextend(0, byte(28, y))))
                s := add(s, mul(signextend(0, byte(29, x)), signextend(0, byte(29, y))))
                s := add(s, mul(signextend(0, byte(30, x)), signextend(0, byte(30, y))))
                s := add(s, mul(signextend(0, byte(31, x)), signextend(0, byte(31, y))))
            }
            return s;
        }
        assembly ("memory-safe") {
            for { let t := 0 } lt(t, cnt) { t := add(t, 1) } {
                s := add(s, mul(signextend(0, byte(t, x)), signextend(0, byte(t, y))))
            }
        }
    }
}
