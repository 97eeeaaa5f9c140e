// Disputing an inference down to one output chunk (format in ai/DESIGN.md, "Dispute"):
// bisection over the trace's node leaves, then over the chunks of the first disputed node's output
// (and, for Gemm, over the reduction blocks of that chunk's accumulators), then a witness from
// which one chunk is recomputed with the exact integer semantics of ai/reference.ts, every input
// proven against roots committed in the trace. verifyChunk is the TypeScript twin of
// contracts/src/InferenceChunkVerifier.sol.
import { keccak256 } from '../vm/util/hash.js';
import { isqrt, LN_FRAC_BITS, size, type IntModel } from './model.js';
import type { Evaluation } from './reference.js';
import {
  attrsHash, CHUNK_BYTES, commitModel, commitTrace, leafHash, merkleLevels, modelCommitment, paramChunks, rangeProof,
  rangeRootFromProof, shapeHash, TILE, tensorChunks, treeDepth, type NodeAttrs, type TraceCommitment,
} from './trace.js';

export class DisputeError extends Error {
  override readonly name = 'DisputeError';
}
/** A witness that does not prove what it claims (bad proof, wrong shape, missing chunk, bad range). */
export class ChunkWitnessError extends Error {
  override readonly name = 'ChunkWitnessError';
}

const OP = { gemm: 1, relu: 2, add: 3, max: 4, reshape: 5, lut: 6, layernorm: 7 } as const;

const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------- Merkle proofs of node leaves

/** Proof of leaf i (value i: 0 the input, i the output of node i − 1) against the trace root. */
export function nodeLeafProof(trace: TraceCommitment, i: number): Uint8Array[] {
  if (!Number.isInteger(i) || i < 0 || i >= trace.leaves.length) throw new DisputeError(`no leaf ${i} in a trace of ${trace.leaves.length}`);
  return rangeProof(merkleLevels(trace.leaves), i);
}

/** Whether `leaf` is leaf i under `root`; the depth is the proof's length (leaf preimages are never 64 bytes). */
export function verifyNodeLeaf(root: Uint8Array, i: number, leaf: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isInteger(i) || i < 0 || i >= 2 ** proof.length) return false;
  return eq(rangeRootFromProof(i, [leaf], proof), root);
}

// ---------------------------------------------------------------- bisection

export interface Bisection {
  /** The first leaf where the two trees differ. */
  readonly index: number;
  /** Moves of the game: one per tree level. */
  readonly rounds: number;
}

/**
 * The first differing leaf of two equally long leaf lists, found the way the game finds it: from
 * the root down, at each level into the left child if the two left children differ, else the right.
 * Null when the roots agree.
 */
export function bisectTrees(a: readonly Uint8Array[], b: readonly Uint8Array[]): Bisection | null {
  if (a.length !== b.length || a.length === 0) throw new DisputeError(`bisection needs two equally long, non-empty leaf lists (${a.length} vs ${b.length})`);
  const la = merkleLevels(a), lb = merkleLevels(b);
  const top = la.length - 1;
  if (eq(la[top][0], lb[top][0])) return null;
  let idx = 0, rounds = 0;
  for (let l = top - 1; l >= 0; l--) {
    rounds++;
    idx = eq(la[l][2 * idx], lb[l][2 * idx]) ? 2 * idx + 1 : 2 * idx;
  }
  return { index: idx, rounds };
}

/** First disputed value of two traces of the same model and input: leaf index, node = leaf − 1 (−1: the input). */
export function bisectNodes(a: TraceCommitment, b: TraceCommitment): { leafIndex: number; nodeIndex: number; rounds: number } | null {
  const r = bisectTrees(a.leaves, b.leaves);
  return r && { leafIndex: r.index, nodeIndex: r.index - 1, rounds: r.rounds };
}

/** First disputed 32-byte chunk of two versions of one tensor. */
export function bisectChunks(a: Int8Array, b: Int8Array): { chunkIndex: number; rounds: number } | null {
  if (a.length !== b.length) throw new DisputeError(`tensors differ in size (${a.length} vs ${b.length}): the node leaves' shapes are the dispute`);
  const r = bisectTrees(tensorChunks(a).map((c) => keccak256(c)), tensorChunks(b).map((c) => keccak256(c)));
  return r && { chunkIndex: r.index, rounds: r.rounds };
}

/**
 * Binary search over claims c[0..S] (c[0] agreed, c[S] disputed): the first s with a[s] ≠ b[s];
 * the one-step check is then the step from s − 1 to s.
 */
export function bisectClaims(a: readonly Uint8Array[], b: readonly Uint8Array[]): { index: number; rounds: number } {
  if (a.length !== b.length || a.length < 2) throw new DisputeError('claims: two equally long lists of at least two');
  if (!eq(a[0], b[0])) throw new DisputeError('claims: the first claim must be agreed');
  if (eq(a[a.length - 1], b[b.length - 1])) throw new DisputeError('claims: the last claim must be disputed');
  let lo = 0, hi = a.length - 1, rounds = 0; // a[lo] agreed, a[hi] disputed
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    rounds++;
    if (eq(a[mid], b[mid])) lo = mid; else hi = mid;
  }
  return { index: hi, rounds };
}

// ---------------------------------------------------------------- Gemm accumulators

const tensorLeafCount = (shape: readonly number[]): number => Math.ceil(size(shape) / CHUNK_BYTES);

/** Reduction blocks of a Gemm node: ceil(K / 32); a chunk's check can be split at block boundaries. */
export function gemmBlocks(model: IntModel, nodeIndex: number): number {
  const n = model.nodes[nodeIndex];
  if (n?.op !== 'gemm') throw new DisputeError(`node ${nodeIndex} is not a gemm`);
  return Math.ceil(n.k / TILE);
}

/** Accumulators of the chunk's outputs after the first `blocks` reduction blocks (no bias). */
export function accumulatorLanes(model: IntModel, ev: Evaluation, nodeIndex: number, chunkIndex: number, blocks: number): number[] {
  const n = model.nodes[nodeIndex];
  if (n?.op !== 'gemm') throw new DisputeError(`node ${nodeIndex} is not a gemm`);
  const x = ev.values[n.input].data;
  const total = size(ev.values[nodeIndex + 1].shape);
  const kEnd = Math.min(n.k, blocks * TILE);
  const lanes: number[] = [];
  for (let j = chunkIndex * CHUNK_BYTES; j < Math.min(total, chunkIndex * CHUNK_BYTES + CHUNK_BYTES); j++) {
    const r = Math.floor(j / n.n), o = j % n.n;
    let acc = 0;
    for (let k = 0; k < kEnd; k++) acc += x[r * n.k + k] * n.weights[o * n.k + k];
    lanes.push(acc);
  }
  return lanes;
}

/** keccak256 of the lanes as 32-byte big-endian two's-complement words (Solidity's abi.encodePacked(int256[])). */
export function accumulatorHash(lanes: readonly (number | bigint)[]): Uint8Array {
  const b = new Uint8Array(32 * lanes.length);
  lanes.forEach((v, i) => {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 256n;
    for (let k = 31; k >= 0; k--) { b[32 * i + k] = Number(x & 0xffn); x >>= 8n; }
  });
  return keccak256(b);
}

// ---------------------------------------------------------------- witness

/** A leaf of the trace opened: its fields and its proof against the trace root. */
export interface LeafOpening {
  readonly index: number;
  readonly op: number;
  readonly attrsHash: Uint8Array;
  readonly shape: readonly number[];
  readonly tensorRoot: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** An aligned range of chunks (count a power of two, start a multiple of it) with its proof. */
export interface Piece {
  readonly start: number;
  readonly chunks: readonly Uint8Array[];
  readonly proof: readonly Uint8Array[];
}

export interface ChunkWitness {
  readonly traceRoot: Uint8Array;
  readonly nodeCount: number;
  readonly attrsRoot: Uint8Array;
  /** Leaf 0 (the input); its attributes hash is the model commitment. */
  readonly leaf0: LeafOpening;
  /** The node's attributes hash at position index − 1 under attrsRoot. */
  readonly attrsProof: readonly Uint8Array[];
  readonly attrs: NodeAttrs;
  /** The disputed node's leaf: index (= node + 1), shape, the claimed tensor root and proof. */
  readonly node: { readonly index: number; readonly shape: readonly number[]; readonly tensorRoot: Uint8Array; readonly proof: readonly Uint8Array[] };
  /** The leaves of the values the node reads (in0, then in1 for add/max). */
  readonly inputs: readonly LeafOpening[];
  readonly chunkIndex: number;
  /** Chunks of input 0 and input 1, and of the parameter trees root1 and root2. */
  readonly a: readonly Piece[];
  readonly b: readonly Piece[];
  readonly p1: readonly Piece[];
  readonly p2: readonly Piece[];
  /** LUT: the 256 table bytes (their keccak256 is root1); empty otherwise. */
  readonly table: Uint8Array;
  /** Gemm: the reduction blocks [segFrom, segTo) this check covers and the accumulators before them. */
  readonly segFrom: number;
  readonly segTo: number;
  readonly accIn: readonly number[];
}

export interface WitnessOptions {
  /** Gemm only: reduction blocks [from, to); default all (the whole chunk in one check). */
  readonly blocks?: readonly [number, number];
  /** A trace commitment of (model, evaluation) already computed. */
  readonly trace?: TraceCommitment;
}

const unique = (xs: number[]): number[] => [...new Set(xs)].sort((p, q) => p - q);

function pieces(chunks: readonly Uint8Array[], indices: readonly number[], count = 1): Piece[] {
  const levels = merkleLevels(chunks.map((c) => keccak256(c)));
  return unique(indices.map((i) => i - (i % count))).map((start) => ({
    start, chunks: chunks.slice(start, start + count), proof: rangeProof(levels, start, count),
  }));
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** Everything verifyChunk needs to recompute output chunk `chunkIndex` of node `nodeIndex` (0-based in model.nodes). */
export function chunkWitness(model: IntModel, ev: Evaluation, nodeIndex: number, chunkIndex: number, opts: WitnessOptions = {}): ChunkWitness {
  const node = model.nodes[nodeIndex];
  if (node === undefined) throw new DisputeError(`model has no node ${nodeIndex}`);
  if (ev.values.length !== model.nodes.length + 1) throw new DisputeError('evaluation does not belong to the model');
  const v = nodeIndex + 1;
  const out = ev.values[v];
  const total = size(out.shape);
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex * CHUNK_BYTES >= total) throw new DisputeError(`node ${nodeIndex} has no chunk ${chunkIndex}`);
  const trace = opts.trace ?? commitTrace(model, ev);
  const mc = commitModel(model);
  const traceLevels = merkleLevels(trace.leaves);
  const open = (u: number): LeafOpening => ({
    index: u, op: u === 0 ? 0 : mc.attrs[u - 1].op, attrsHash: u === 0 ? mc.commitment : mc.attrsHashes[u - 1],
    shape: ev.values[u].shape, tensorRoot: trace.tensorRoots[u], proof: rangeProof(traceLevels, u),
  });
  const attrs = mc.attrs[nodeIndex];
  const ins = node.op === 'add' || node.op === 'max' ? [node.a, node.b] : [node.input];
  const j0 = chunkIndex * CHUNK_BYTES, j1 = Math.min(total, j0 + CHUNK_BYTES); // the chunk's elements [j0, j1)
  const inChunks = (u: number): Uint8Array[] => tensorChunks(ev.values[u].data);
  let a: Piece[] = [], b: Piece[] = [], p1: Piece[] = [], p2: Piece[] = [];
  let table = new Uint8Array(0), segFrom = 0, segTo = 0, accIn: number[] = [];
  const { p1: c1, p2: c2 } = paramChunks(node);
  switch (node.op) {
    case 'relu': case 'lut': case 'reshape':
      a = pieces(inChunks(node.input), [chunkIndex]);
      if (node.op === 'lut') table = new Uint8Array(node.table.buffer, node.table.byteOffset, 256).slice();
      break;
    case 'add': case 'max':
      a = pieces(inChunks(node.a), [chunkIndex]);
      b = pieces(inChunks(node.b), [chunkIndex]);
      break;
    case 'layernorm': {
      const len = node.gamma.length;
      const r0 = Math.floor(j0 / len), r1 = Math.floor((j1 - 1) / len);
      a = pieces(inChunks(node.input), range(Math.floor((r0 * len) / 32), Math.floor(((r1 + 1) * len - 1) / 32) + 1));
      const cols = range(j0, j1).map((j) => j % len);
      p1 = pieces(c1, cols.map((c) => Math.floor(c / 32)));
      p2 = pieces(c2, cols.map((c) => Math.floor(c / 8)));
      break;
    }
    case 'gemm': {
      const kbs = Math.ceil(node.k / TILE);
      [segFrom, segTo] = opts.blocks ?? [0, kbs];
      if (!(Number.isInteger(segFrom) && Number.isInteger(segTo) && segFrom >= 0 && segFrom < segTo && segTo <= kbs)) {
        throw new DisputeError(`gemm node ${nodeIndex}: bad reduction blocks [${segFrom}, ${segTo}) of ${kbs}`);
      }
      const lanes = range(j0, j1);
      const rows = unique(lanes.map((j) => Math.floor(j / node.n)));
      const nbs = unique(lanes.map((j) => Math.floor((j % node.n) / TILE)));
      const xs: number[] = [];
      for (const r of rows) for (const kb of range(segFrom, segTo)) {
        const from = r * node.k + kb * TILE, to = r * node.k + Math.min(node.k, kb * TILE + TILE);
        xs.push(...range(Math.floor(from / 32), Math.floor((to - 1) / 32) + 1));
      }
      a = pieces(inChunks(node.input), xs);
      const tiles: number[] = [];
      for (const nb of nbs) for (const kb of range(segFrom, segTo)) tiles.push((nb * kbs + kb) * TILE);
      p1 = pieces(c1, tiles, TILE);
      if (segTo === kbs) p2 = pieces(c2, nbs.map((nb) => nb * 4), 4);
      accIn = segFrom === 0 ? lanes.map(() => 0) : accumulatorLanes(model, ev, nodeIndex, chunkIndex, segFrom);
      break;
    }
  }
  return {
    traceRoot: trace.root, nodeCount: model.nodes.length, attrsRoot: mc.attrsRoot, leaf0: open(0),
    attrsProof: rangeProof(mc.attrsLevels, nodeIndex), attrs,
    node: { index: v, shape: out.shape, tensorRoot: trace.tensorRoots[v], proof: rangeProof(traceLevels, v) },
    inputs: ins.map(open), chunkIndex, a, b, p1, p2, table, segFrom, segTo, accIn,
  };
}

// ---------------------------------------------------------------- verification

function fail(msg: string): never {
  throw new ChunkWitnessError(msg);
}

function checkLeaf(root: Uint8Array, l: LeafOpening, leafCount: number, what: string): void {
  if (l.proof.length !== treeDepth(leafCount)) fail(`${what}: proof has ${l.proof.length} levels, the tree has ${treeDepth(leafCount)}`);
  if (!Number.isInteger(l.index) || l.index < 0 || l.index >= leafCount) fail(`${what}: leaf index ${l.index} out of range`);
  const leaf = leafHash(l.index, l.op, l.attrsHash, l.shape, l.tensorRoot);
  if (!eq(rangeRootFromProof(l.index, [leaf], l.proof), root)) fail(`${what}: leaf ${l.index} is not under the trace root`);
}

/** The proven chunks of one tree, by chunk index. */
function provenChunks(ps: readonly Piece[], root: Uint8Array, leafCount: number, what: string): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  const depth = treeDepth(leafCount);
  for (const p of ps) {
    const cnt = p.chunks.length;
    if (cnt === 0 || (cnt & (cnt - 1)) !== 0 || p.start % cnt !== 0 || p.start + cnt > leafCount) fail(`${what}: bad range of ${cnt} chunks at ${p.start}`);
    if (p.proof.length !== depth - Math.log2(cnt)) fail(`${what}: proof length ${p.proof.length}, expected ${depth - Math.log2(cnt)}`);
    if (p.chunks.some((c) => c.length !== CHUNK_BYTES)) fail(`${what}: chunks are 32 bytes`);
    if (!eq(rangeRootFromProof(p.start, p.chunks.map((c) => keccak256(c)), p.proof), root)) fail(`${what}: chunks at ${p.start} are not under their root`);
    p.chunks.forEach((c, i) => m.set(p.start + i, c));
  }
  return m;
}

function i8At(m: Map<number, Uint8Array>, flat: number, what: string): number {
  const c = m.get(Math.floor(flat / 32)) ?? fail(`${what}: chunk ${Math.floor(flat / 32)} missing`);
  const v = c[flat % 32];
  return v > 127 ? v - 256 : v;
}
function i32At(m: Map<number, Uint8Array>, i: number, what: string): number {
  const c = m.get(Math.floor(i / 8)) ?? fail(`${what}: chunk ${Math.floor(i / 8)} missing`);
  const o = (i % 8) * 4;
  return new DataView(c.buffer, c.byteOffset + o, 4).getInt32(0, false);
}

// BigInt mirrors of the integer semantics: exact whatever the witness holds (the contract's int256).
function roundShiftB(p: bigint, s: number): bigint {
  if (s === 0) return p;
  const a = p < 0n ? -p : p;
  const q = (a + (1n << BigInt(s - 1))) >> BigInt(s);
  return p < 0n ? -q : q;
}
const sat8B = (v: bigint): number => Number(v > 127n ? 127n : v < -128n ? -128n : v);
const requantB = (acc: bigint, mult: number, shift: number): number => sat8B(roundShiftB(acc * BigInt(mult), shift));
function roundDivB(a: bigint, b: bigint): bigint {
  const x = a < 0n ? -a : a;
  const q = (2n * x + b) / (2n * b);
  return a < 0n ? -q : q;
}
function isqrtB(n: bigint): bigint {
  if (n < 2n ** 52n) return BigInt(isqrt(Number(n)));
  let x = n, y = (x + 1n) / 2n;
  while (y < x) { x = y; y = (x + n / x) / 2n; }
  return x;
}

const isUint = (x: number, bits: number): boolean => Number.isInteger(x) && x >= 0 && x < 2 ** bits;

/** Every field fits the width it is hashed with (the hashes would otherwise wrap and differ from the contract's). */
function checkFieldRanges(w: ChunkWitness): void {
  const at = w.attrs;
  const u32s = [w.nodeCount, w.node.index, at.scaleBits, at.in0, at.in1, at.n, at.k, at.mult, at.mult2, at.eps, w.segFrom, w.segTo];
  const leaves = [w.leaf0, ...w.inputs];
  for (const l of leaves) u32s.push(l.index, ...l.shape);
  u32s.push(...w.node.shape);
  if (!u32s.every((x) => isUint(x, 32))) fail('a u32 field is out of range');
  if (![at.op, at.shift, at.fn, ...leaves.map((l) => l.op)].every((x) => isUint(x, 8))) fail('a u8 field is out of range');
  if (![w.node.shape, ...leaves.map((l) => l.shape)].every((s) => s.length < 256)) fail('a shape has more than 255 dimensions');
  if (!w.accIn.every((x) => Number.isSafeInteger(x))) fail('accumulators must be safe integers');
  if (!Number.isSafeInteger(w.chunkIndex) || w.chunkIndex < 0) fail('bad chunk index');
}

const sameShape = (p: readonly number[], q: readonly number[]): boolean => p.length === q.length && p.every((d, i) => d === q[i]);

/**
 * Recomputes output chunk `chunkIndex` of the node from the witness alone, after checking every
 * proof: leaf 0 and the model commitment, the node's attributes and leaf, its input leaves, and every
 * chunk read. Returns the 32-byte chunk (elements beyond the tensor are zero) — or, for a Gemm check
 * that stops before the last reduction block, accumulatorHash of the accumulators after it.
 * The caller compares the result with the claim. Throws ChunkWitnessError on any bad proof.
 */
export function verifyChunk(w: ChunkWitness): Uint8Array {
  checkFieldRanges(w);
  const nc = w.nodeCount;
  if (!Number.isInteger(nc) || nc < 1) fail('node count must be at least 1');
  const l0 = w.leaf0;
  if (l0.index !== 0 || l0.op !== 0 || !eq(l0.attrsHash, modelCommitment(nc, w.attrsRoot))) fail('leaf 0 does not carry the model commitment');
  checkLeaf(w.traceRoot, l0, nc + 1, 'leaf 0');
  const v = w.node.index;
  if (!Number.isInteger(v) || v < 1 || v > nc) fail(`node leaf ${v} out of range`);
  const at = w.attrs;
  if (!Number.isInteger(at.op) || at.op < 1 || at.op > 7) fail(`unknown op ${at.op}`);
  const ah = attrsHash(at);
  if (w.attrsProof.length !== treeDepth(nc) || !eq(rangeRootFromProof(v - 1, [ah], w.attrsProof), w.attrsRoot)) fail('attributes are not the model\'s');
  checkLeaf(w.traceRoot, { index: v, op: at.op, attrsHash: ah, shape: w.node.shape, tensorRoot: w.node.tensorRoot, proof: w.node.proof }, nc + 1, 'node');
  const ins = at.op === OP.add || at.op === OP.max ? [at.in0, at.in1] : [at.in0];
  if (w.inputs.length !== ins.length) fail(`expected ${ins.length} input leaves`);
  w.inputs.forEach((l, i) => {
    if (l.index !== ins[i] || l.index >= v) fail(`input ${i} must be value ${ins[i]} (< ${v})`);
    checkLeaf(w.traceRoot, l, nc + 1, `input ${i}`);
  });
  const outShape = w.node.shape, inShape = w.inputs[0].shape;
  const total = size(outShape);
  const c = w.chunkIndex;
  if (!Number.isInteger(c) || c < 0 || c * CHUNK_BYTES >= total) fail(`chunk ${c} out of range`);
  const j0 = c * CHUNK_BYTES, m = Math.min(CHUNK_BYTES, total - j0);
  const A = provenChunks(w.a, w.inputs[0].tensorRoot, tensorLeafCount(inShape), 'input a');
  const out = new Uint8Array(CHUNK_BYTES);
  const put = (l: number, y: number): void => { out[l] = y & 0xff; };
  switch (at.op) {
    case OP.relu: case OP.lut: case OP.reshape: {
      if (at.op === OP.reshape ? size(inShape) !== total : !sameShape(inShape, outShape)) fail('shapes do not match the op');
      if (at.op === OP.reshape && !eq(shapeHash(outShape), at.root1)) fail('reshape target shape is not the committed one');
      if (at.op === OP.lut && (w.table.length !== 256 || !eq(keccak256(w.table), at.root1))) fail('table is not the committed one');
      for (let l = 0; l < m; l++) {
        const x = i8At(A, j0 + l, 'input a');
        put(l, at.op === OP.relu ? Math.max(x, 0) : at.op === OP.lut ? w.table[x + 128] : x);
      }
      return out;
    }
    case OP.add: case OP.max: {
      if (!sameShape(inShape, outShape) || !sameShape(w.inputs[1].shape, outShape)) fail('shapes do not match the op');
      const B = provenChunks(w.b, w.inputs[1].tensorRoot, tensorLeafCount(outShape), 'input b');
      for (let l = 0; l < m; l++) {
        const x = i8At(A, j0 + l, 'input a'), y = i8At(B, j0 + l, 'input b');
        put(l, at.op === OP.max ? Math.max(x, y) : sat8B(roundShiftB(BigInt(x) * BigInt(at.mult) + BigInt(y) * BigInt(at.mult2), at.shift)));
      }
      return out;
    }
    case OP.layernorm: {
      const len = at.n;
      if (len < 1 || !sameShape(inShape, outShape) || inShape[inShape.length - 1] !== len) fail('shapes do not match the op');
      const G = provenChunks(w.p1, at.root1, Math.ceil(len / 32), 'gamma');
      const Bt = provenChunks(w.p2, at.root2, Math.ceil(len / 8), 'beta');
      let row = -1, s = 0n, sigma = 1n;
      for (let l = 0; l < m; l++) {
        const j = j0 + l, r = Math.floor(j / len), col = j % len;
        if (r !== row) {
          row = r; s = 0n;
          for (let i = 0; i < len; i++) s += BigInt(i8At(A, r * len + i, 'input a'));
          let q = 0n;
          for (let i = 0; i < len; i++) { const d = BigInt(len) * BigInt(i8At(A, r * len + i, 'input a')) - s; q += d * d; }
          sigma = isqrtB(q / BigInt(len) + BigInt(at.eps));
        }
        const d = BigInt(len) * BigInt(i8At(A, j, 'input a')) - s;
        const norm = roundDivB(d << BigInt(LN_FRAC_BITS), sigma);
        put(l, requantB(norm * BigInt(i8At(G, col, 'gamma')) + BigInt(i32At(Bt, col, 'beta')), at.mult, at.shift));
      }
      return out;
    }
    case OP.gemm: {
      const N = at.n, K = at.k;
      if (N < 1 || K < 1 || inShape[inShape.length - 1] !== K || !sameShape(outShape, [...inShape.slice(0, -1), N])) fail('shapes do not match the op');
      const kbs = Math.ceil(K / TILE), nbs = Math.ceil(N / TILE);
      if (!(Number.isInteger(w.segFrom) && Number.isInteger(w.segTo) && w.segFrom >= 0 && w.segFrom < w.segTo && w.segTo <= kbs)) fail('bad reduction blocks');
      if (w.accIn.length !== m) fail(`expected ${m} accumulators`);
      if (w.segFrom === 0 && w.accIn.some((x) => x !== 0)) fail('accumulators start at zero');
      const W = provenChunks(w.p1, at.root1, nbs * kbs * TILE, 'weights');
      const acc = w.accIn.map((x) => BigInt(x));
      for (let l = 0; l < m; l++) {
        const j = j0 + l, r = Math.floor(j / N), n = j % N, nb = Math.floor(n / TILE);
        let sum = 0;
        for (let kb = w.segFrom; kb < w.segTo; kb++) {
          const tileRow = ((nb * kbs + kb) * TILE + (n % TILE)) * 32;
          for (let k = kb * TILE; k < Math.min(K, kb * TILE + TILE); k++) {
            sum += i8At(A, r * K + k, 'input a') * i8At(W, tileRow + (k - kb * TILE), 'weights');
          }
        }
        acc[l] += BigInt(sum);
      }
      if (w.segTo < kbs) return accumulatorHash(acc);
      const Bs = provenChunks(w.p2, at.root2, nbs * 4, 'bias');
      for (let l = 0; l < m; l++) put(l, requantB(acc[l] + BigInt(i32At(Bs, (j0 + l) % N, 'bias')), at.mult, at.shift));
      return out;
    }
    default: return fail(`unknown op ${at.op}`);
  }
}

// ---------------------------------------------------------------- the contract's ABI shape

type Hex = `0x${string}`;
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;

export interface SolidityLeaf { index: number; op: number; attrsHash: Hex; shape: number[]; tensorRoot: Hex; proof: Hex[] }
export interface SolidityPiece { start: bigint; chunks: Hex[]; proof: Hex[] }
export interface SolidityWitness {
  traceRoot: Hex; nodeCount: number; attrsRoot: Hex; leaf0: SolidityLeaf; attrsProof: Hex[];
  attrs: {
    op: number; scaleBits: number; in0: number; in1: number; n: number; k: number; mult: number; mult2: number;
    shift: number; eps: number; fn: number; root1: Hex; root2: Hex;
  };
  node: { index: number; shape: number[]; tensorRoot: Hex; proof: Hex[] };
  inputs: SolidityLeaf[]; chunkIndex: bigint; a: SolidityPiece[]; b: SolidityPiece[]; p1: SolidityPiece[]; p2: SolidityPiece[];
  table: Hex; segFrom: number; segTo: number; accIn: bigint[];
}

/** The witness as InferenceChunkVerifier.verifyChunk's `Witness` struct argument (viem's encoding of it). */
export function toSolidityWitness(w: ChunkWitness): SolidityWitness {
  const leaf = (l: LeafOpening): SolidityLeaf => ({ index: l.index, op: l.op, attrsHash: hex(l.attrsHash), shape: [...l.shape], tensorRoot: hex(l.tensorRoot), proof: l.proof.map(hex) });
  const piece = (p: Piece): SolidityPiece => ({ start: BigInt(p.start), chunks: p.chunks.map(hex), proof: p.proof.map(hex) });
  const at = w.attrs;
  return {
    traceRoot: hex(w.traceRoot), nodeCount: w.nodeCount, attrsRoot: hex(w.attrsRoot), leaf0: leaf(w.leaf0), attrsProof: w.attrsProof.map(hex),
    attrs: { op: at.op, scaleBits: at.scaleBits, in0: at.in0, in1: at.in1, n: at.n, k: at.k, mult: at.mult, mult2: at.mult2, shift: at.shift, eps: at.eps, fn: at.fn, root1: hex(at.root1), root2: hex(at.root2) },
    node: { index: w.node.index, shape: [...w.node.shape], tensorRoot: hex(w.node.tensorRoot), proof: w.node.proof.map(hex) },
    inputs: w.inputs.map(leaf), chunkIndex: BigInt(w.chunkIndex), a: w.a.map(piece), b: w.b.map(piece), p1: w.p1.map(piece), p2: w.p2.map(piece),
    table: hex(w.table), segFrom: w.segFrom, segTo: w.segTo, accIn: w.accIn.map((x) => BigInt(x)),
  };
}
