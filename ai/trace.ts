// Inference trace commitment (layout in ai/DESIGN.md): per tensor a Merkle root over 32-byte
// chunks, per node a leaf binding index, op, attributes hash, shape and tensor root, and a trace
// root over the leaves. Leaf 0 is the input tensor, so bisection can start from committed data.
import { keccak256 } from '../vm/util/hash.js';
import { encodeNode, OP_CODES, type IntModel } from './model.js';
import type { Evaluation, Tensor } from './reference.js';

export const CHUNK_BYTES = 32;
const ZERO32 = new Uint8Array(32);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Binary Merkle root with keccak256(left ‖ right); leaves padded with zero words to a power of two. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return keccak256(new Uint8Array(0));
  let level = [...leaves];
  while (level.length & (level.length - 1)) level.push(ZERO32);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak256(concat(level[i], level[i + 1])));
    level = next;
  }
  return level[0];
}

/** Chunk i is bytes [32i, 32i+32) of the int8 data (two's complement), the last zero-padded. */
export function tensorChunks(data: Int8Array): Uint8Array[] {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += CHUNK_BYTES) {
    const c = new Uint8Array(CHUNK_BYTES);
    c.set(bytes.subarray(o, Math.min(o + CHUNK_BYTES, bytes.length)));
    out.push(c);
  }
  return out;
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

/** keccak256(u32 index ‖ u8 op ‖ attrsHash ‖ u8 rank ‖ u32 dims… ‖ tensorRoot), big-endian. */
export function nodeLeaf(index: number, op: number, attrsHash: Uint8Array, t: Tensor, root = tensorRoot(t.data)): Uint8Array {
  return keccak256(concat(u32be(index), Uint8Array.of(op), attrsHash, Uint8Array.of(t.shape.length), ...t.shape.map(u32be), root));
}

export interface TraceCommitment {
  readonly tensorRoots: readonly Uint8Array[];
  readonly leaves: readonly Uint8Array[];
  readonly root: Uint8Array;
}

export function commitTrace(m: IntModel, ev: Evaluation): TraceCommitment {
  const tensorRoots = ev.values.map((v) => tensorRoot(v.data));
  // Leaf 0: the input, op 0, attributes hash = keccak of the model input scale-free header (zero word).
  const leaves = ev.values.map((v, i) =>
    i === 0
      ? nodeLeaf(0, 0, ZERO32, v, tensorRoots[0])
      : nodeLeaf(i, OP_CODES[m.nodes[i - 1].op], keccak256(encodeNode(m.nodes[i - 1])), v, tensorRoots[i]),
  );
  return { tensorRoots, leaves, root: merkleRoot(leaves) };
}

/** Hash of the output tensor as printed by `ai infer`: keccak256 of its int8 bytes. */
export function outputHash(t: Tensor): Uint8Array {
  return keccak256(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length));
}
