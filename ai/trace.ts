// Inference trace commitment (layout in ai/DESIGN.md): per tensor a Merkle root over 32-byte
// chunks, per node a leaf binding index, op, attributes hash, shape and tensor root, and a trace
// root over the leaves. Leaf 0 is the input tensor and carries the model commitment (node count
// and the root of every node's attributes hash), so bisection starts from committed data. Node
// parameters (weights, bias, γ, β) are committed as Merkle roots inside the attributes, laid out
// so that the few chunks one output chunk depends on can be proven on their own (ai/dispute.ts).
import { keccak256 } from '../vm/util/hash.js';
import { LUT_FUNCTIONS, OP_CODES, type IntModel, type IntNode } from './model.js';
import type { Evaluation, Tensor } from './reference.js';

export const CHUNK_BYTES = 32;
/** Gemm weights are committed in tiles of 32 output rows × 32 reduction columns (32 chunks). */
export const TILE = 32;
const ZERO32 = new Uint8Array(32);

export class MerkleProofError extends Error {
  override readonly name = 'MerkleProofError';
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const hashPair = (a: Uint8Array, b: Uint8Array): Uint8Array => keccak256(concat(a, b));

/** ceil(log2(n)) for n ≥ 1: the depth of the tree over n leaves. */
export function treeDepth(leafCount: number): number {
  let d = 0;
  while (2 ** d < leafCount) d++;
  return d;
}

/** Every level of the tree, leaves (padded with zero words to a power of two) first, root last. */
export function merkleLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) return [[keccak256(new Uint8Array(0))]];
  let level = [...leaves];
  while (level.length & (level.length - 1)) level.push(ZERO32);
  const levels = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1]));
    levels.push(next);
    level = next;
  }
  return levels;
}

/** Binary Merkle root with keccak256(left ‖ right); leaves padded with zero words to a power of two. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const levels = merkleLevels(leaves);
  return levels[levels.length - 1][0];
}

/**
 * Proof of the aligned range of `count` leaves (a power of two) starting at `start` (a multiple of
 * `count`): the siblings from the level where the range is one subtree up to the root, bottom first.
 * count = 1 is an ordinary leaf proof.
 */
export function rangeProof(levels: readonly Uint8Array[][], start: number, count = 1): Uint8Array[] {
  const a = Math.log2(count);
  if (!Number.isInteger(a) || start % count !== 0 || start + count > levels[0].length) {
    throw new MerkleProofError(`no aligned range of ${count} leaves at ${start} in a tree of ${levels[0].length}`);
  }
  const proof: Uint8Array[] = [];
  let idx = start / count;
  for (let l = a; l < levels.length - 1; l++) { proof.push(levels[l][idx ^ 1]); idx >>= 1; }
  return proof;
}

/** Root implied by an aligned range of leaves and its proof (see rangeProof). */
export function rangeRootFromProof(start: number, leaves: readonly Uint8Array[], proof: readonly Uint8Array[]): Uint8Array {
  const count = leaves.length;
  if (count === 0 || (count & (count - 1)) !== 0 || start % count !== 0) throw new MerkleProofError(`range of ${count} leaves at ${start} is not aligned`);
  let level = [...leaves];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1]));
    level = next;
  }
  let h = level[0];
  let idx = start / count;
  for (const s of proof) { h = idx & 1 ? hashPair(s, h) : hashPair(h, s); idx = Math.floor(idx / 2); }
  if (idx !== 0) throw new MerkleProofError(`range start ${start} lies beyond a tree of depth ${proof.length + Math.log2(count)}`);
  return h;
}

/** Chunk i is bytes [32i, 32i+32) of the data (two's complement), the last zero-padded. */
export function byteChunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += CHUNK_BYTES) {
    const c = new Uint8Array(CHUNK_BYTES);
    c.set(bytes.subarray(o, Math.min(o + CHUNK_BYTES, bytes.length)));
    out.push(c);
  }
  return out;
}

/** Chunk i is bytes [32i, 32i+32) of the int8 data (two's complement), the last zero-padded. */
export function tensorChunks(data: Int8Array): Uint8Array[] {
  return byteChunks(new Uint8Array(data.buffer, data.byteOffset, data.length));
}

/** Tensor root: Merkle root over keccak256(chunk) leaves. */
export function tensorRoot(data: Int8Array): Uint8Array {
  return merkleRoot(tensorChunks(data).map((c) => keccak256(c)));
}

function u32be(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, false);
  return b;
}

/** int32 values big-endian, 8 to a chunk, padded with zeros to `padTo` values. */
export function i32Chunks(values: Int32Array, padTo = values.length): Uint8Array[] {
  const b = new Uint8Array(Math.max(padTo, values.length) * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setInt32(4 * i, v, false));
  return byteChunks(b);
}

/**
 * Gemm weight chunks in tile order: tile (nb, kb) holds rows nb·32 … nb·32+31, columns kb·32 …
 * kb·32+31, one chunk per row (zero beyond N or K); leaf ((nb·KB + kb)·32 + i).
 */
export function weightTileChunks(weights: Int8Array, n: number, k: number): Uint8Array[] {
  const nbs = Math.ceil(n / TILE), kbs = Math.ceil(k / TILE);
  const out: Uint8Array[] = [];
  for (let nb = 0; nb < nbs; nb++) {
    for (let kb = 0; kb < kbs; kb++) {
      for (let i = 0; i < TILE; i++) {
        const c = new Uint8Array(CHUNK_BYTES);
        const row = nb * TILE + i;
        if (row < n) {
          const from = row * k + kb * TILE;
          c.set(new Uint8Array(weights.buffer, weights.byteOffset + from, Math.min(TILE, k - kb * TILE)));
        }
        out.push(c);
      }
    }
  }
  return out;
}

/** The parameter chunk lists a node commits (root1, root2 in its attributes); empty for others. */
export function paramChunks(n: IntNode): { p1: Uint8Array[]; p2: Uint8Array[] } {
  switch (n.op) {
    case 'gemm': return { p1: weightTileChunks(n.weights, n.n, n.k), p2: i32Chunks(n.bias, Math.ceil(n.n / TILE) * TILE) };
    case 'layernorm': return { p1: tensorChunks(n.gamma), p2: i32Chunks(n.beta) };
    default: return { p1: [], p2: [] };
  }
}

const f32bits = (v: number): number => { const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, v, false); return b.getUint32(0, false); };

/** The uniform attribute record of a node (ai/DESIGN.md, "Attributes"); unused fields are zero. */
export interface NodeAttrs {
  readonly op: number; readonly scaleBits: number;
  readonly in0: number; readonly in1: number;
  readonly n: number; readonly k: number;
  readonly mult: number; readonly mult2: number; readonly shift: number;
  readonly eps: number; readonly fn: number;
  readonly root1: Uint8Array; readonly root2: Uint8Array;
}

export function nodeAttrs(node: IntNode): NodeAttrs {
  const base = { op: OP_CODES[node.op], scaleBits: f32bits(node.scale), in0: 0, in1: 0, n: 0, k: 0, mult: 0, mult2: 0, shift: 0, eps: 0, fn: 0, root1: ZERO32, root2: ZERO32 };
  const { p1, p2 } = paramChunks(node);
  const root = (cs: Uint8Array[]): Uint8Array => merkleRoot(cs.map((c) => keccak256(c)));
  switch (node.op) {
    case 'gemm': return { ...base, in0: node.input, n: node.n, k: node.k, mult: node.rq.mult, shift: node.rq.shift, root1: root(p1), root2: root(p2) };
    case 'relu': return { ...base, in0: node.input };
    // The target shape is committed: otherwise a leaf with another shape of the same size would verify too.
    case 'reshape': return { ...base, in0: node.input, root1: shapeHash(node.shape) };
    case 'add': return { ...base, in0: node.a, in1: node.b, mult: node.ma, mult2: node.mb, shift: node.shift };
    case 'max': return { ...base, in0: node.a, in1: node.b };
    case 'lut': return { ...base, in0: node.input, fn: LUT_FUNCTIONS.indexOf(node.fn), root1: keccak256(new Uint8Array(node.table.buffer, node.table.byteOffset, 256)) };
    case 'layernorm': return { ...base, in0: node.input, n: node.gamma.length, eps: node.eps, mult: node.rq.mult, shift: node.rq.shift, root1: root(p1), root2: root(p2) };
  }
}

/** 99 bytes, big-endian: op u8, scale bits u32, in0, in1, n, k, mult, mult2 u32, shift u8, eps u32, fn u8, root1, root2. */
export function attrsPreimage(a: NodeAttrs): Uint8Array {
  return concat(
    Uint8Array.of(a.op), u32be(a.scaleBits), u32be(a.in0), u32be(a.in1), u32be(a.n), u32be(a.k), u32be(a.mult), u32be(a.mult2),
    Uint8Array.of(a.shift), u32be(a.eps), Uint8Array.of(a.fn), a.root1, a.root2,
  );
}

export const attrsHash = (a: NodeAttrs): Uint8Array => keccak256(attrsPreimage(a));

/** keccak256(u8 rank ‖ u32 dims…), big-endian: a reshape's root1. */
export function shapeHash(shape: readonly number[]): Uint8Array {
  return keccak256(concat(Uint8Array.of(shape.length), ...shape.map(u32be)));
}

/** Model commitment (leaf 0's attributes hash): keccak256(u32 node count ‖ attrsRoot). */
export function modelCommitment(nodeCount: number, attrsRoot: Uint8Array): Uint8Array {
  return keccak256(concat(u32be(nodeCount), attrsRoot));
}

/** keccak256(u32 index ‖ u8 op ‖ attrsHash ‖ u8 rank ‖ u32 dims… ‖ tensorRoot), big-endian. */
export function nodeLeaf(index: number, op: number, attrsHashValue: Uint8Array, t: { readonly shape: readonly number[]; readonly data: Int8Array }, root = tensorRoot(t.data)): Uint8Array {
  return leafHash(index, op, attrsHashValue, t.shape, root);
}

export function leafHash(index: number, op: number, attrsHashValue: Uint8Array, shape: readonly number[], root: Uint8Array): Uint8Array {
  return keccak256(concat(u32be(index), Uint8Array.of(op), attrsHashValue, Uint8Array.of(shape.length), ...shape.map(u32be), root));
}

export interface ModelCommitment {
  readonly attrs: readonly NodeAttrs[];
  readonly attrsHashes: readonly Uint8Array[];
  readonly attrsLevels: readonly Uint8Array[][];
  readonly attrsRoot: Uint8Array;
  /** keccak256(u32 node count ‖ attrsRoot): leaf 0's attributes hash. */
  readonly commitment: Uint8Array;
}

const modelCache = new WeakMap<IntModel, ModelCommitment>();

/** The model's attribute commitments (cached per model object: the weight trees are the costly part). */
export function commitModel(m: IntModel): ModelCommitment {
  const hit = modelCache.get(m);
  if (hit) return hit;
  const attrs = m.nodes.map(nodeAttrs);
  const attrsHashes = attrs.map(attrsHash);
  const attrsLevels = merkleLevels(attrsHashes);
  const attrsRoot = attrsLevels[attrsLevels.length - 1][0];
  const c = { attrs, attrsHashes, attrsLevels, attrsRoot, commitment: modelCommitment(m.nodes.length, attrsRoot) };
  modelCache.set(m, c);
  return c;
}

export interface TraceCommitment {
  readonly tensorRoots: readonly Uint8Array[];
  readonly leaves: readonly Uint8Array[];
  readonly root: Uint8Array;
}

export function commitTrace(m: IntModel, ev: Evaluation): TraceCommitment {
  const mc = commitModel(m);
  const tensorRoots = ev.values.map((v) => tensorRoot(v.data));
  const leaves = ev.values.map((v, i) =>
    i === 0
      ? nodeLeaf(0, 0, mc.commitment, v, tensorRoots[0])
      : nodeLeaf(i, OP_CODES[m.nodes[i - 1].op], mc.attrsHashes[i - 1], v, tensorRoots[i]),
  );
  return { tensorRoots, leaves, root: merkleRoot(leaves) };
}

/** Hash of the output tensor as printed by `ai infer`: keccak256 of its int8 bytes. */
export function outputHash(t: Tensor): Uint8Array {
  return keccak256(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length));
}
