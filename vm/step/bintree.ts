// Byte arrays (memory, calldata, return data, ancestor hashes) as fixed-depth binary Merkle trees
// over 32-byte chunks: a leaf is the chunk itself, an inner node keccak256(left ‖ right). Absent
// subtrees are the precomputed zero hashes, so an empty or sparse array costs nothing and a read
// or write touches one path of TREE_DEPTH nodes.
import { keccak256 } from '../util/hash.js';
import { equalBytes } from '../util/bytes.js';
import type { Preimages } from './preimages.js';

/** 2^24 chunks of 32 bytes (512 MiB): more than any memory or calldata gas can pay for. */
export const TREE_DEPTH = 24;
export const MAX_TREE_BYTES = 2 ** TREE_DEPTH * 32;

/** ZERO_HASHES[h] is the root of an all-zero subtree of height h (h = 0: a zero chunk). */
export const ZERO_HASHES: readonly Uint8Array[] = (() => {
  const out: Uint8Array[] = [new Uint8Array(32)];
  for (let h = 1; h <= TREE_DEPTH; h++) {
    const pair = new Uint8Array(64);
    pair.set(out[h - 1]!, 0);
    pair.set(out[h - 1]!, 32);
    out.push(keccak256(pair));
  }
  return out;
})();

export const EMPTY_TREE_ROOT = ZERO_HASHES[TREE_DEPTH]!;

export class TreeError extends Error {
  override readonly name = 'TreeError';
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** TREE_DEPTH) throw new TreeError(`chunk index ${index} is outside the tree`);
}

/** Chunk `index` of the tree under `root`. */
export function readChunk(pre: Preimages, root: Uint8Array, index: number): Uint8Array {
  checkIndex(index);
  let node = root;
  for (let h = TREE_DEPTH; h > 0; h--) {
    if (equalBytes(node, ZERO_HASHES[h]!)) return new Uint8Array(32);
    const pair = pre.preimage(node, 'tree node');
    if (pair.length !== 64) throw new TreeError(`tree node preimage is ${pair.length} bytes, not 64`);
    node = ((index >> (h - 1)) & 1) === 0 ? pair.subarray(0, 32) : pair.subarray(32, 64);
  }
  return node.slice();
}

/** The root after setting chunk `index` to `chunk`; new nodes are stored in `pre`. */
export function writeChunk(pre: Preimages, root: Uint8Array, index: number, chunk: Uint8Array): Uint8Array {
  checkIndex(index);
  if (chunk.length !== 32) throw new TreeError('a chunk is 32 bytes');
  const siblings: Uint8Array[] = new Array<Uint8Array>(TREE_DEPTH);
  let node = root;
  for (let h = TREE_DEPTH; h > 0; h--) {
    let left: Uint8Array;
    let right: Uint8Array;
    if (equalBytes(node, ZERO_HASHES[h]!)) {
      left = right = ZERO_HASHES[h - 1]!;
    } else {
      const pair = pre.preimage(node, 'tree node');
      if (pair.length !== 64) throw new TreeError(`tree node preimage is ${pair.length} bytes, not 64`);
      left = pair.subarray(0, 32);
      right = pair.subarray(32, 64);
    }
    const goRight = ((index >> (h - 1)) & 1) === 1;
    siblings[h - 1] = goRight ? left : right;
    node = goRight ? right : left;
  }
  let acc: Uint8Array = chunk.slice();
  for (let h = 1; h <= TREE_DEPTH; h++) {
    const sib = siblings[h - 1]!;
    const pair = new Uint8Array(64);
    if (((index >> (h - 1)) & 1) === 1) {
      pair.set(sib, 0);
      pair.set(acc, 32);
    } else {
      pair.set(acc, 0);
      pair.set(sib, 32);
    }
    acc = equalBytes(pair.subarray(0, 32), ZERO_HASHES[h - 1]!) && equalBytes(pair.subarray(32), ZERO_HASHES[h - 1]!) ? ZERO_HASHES[h]! : pre.put(pair);
  }
  return acc;
}

/** The root of `bytes` (zero-padded to whole chunks), storing every non-zero node. */
export function buildTree(pre: Preimages, bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_TREE_BYTES) throw new TreeError(`${bytes.length} bytes do not fit a tree of depth ${TREE_DEPTH}`);
  const n = Math.ceil(bytes.length / 32);
  let level: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const c = new Uint8Array(32);
    c.set(bytes.subarray(i * 32, Math.min(bytes.length, i * 32 + 32)));
    level.push(c);
  }
  for (let h = 1; h <= TREE_DEPTH; h++) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i]!;
      const r = level[i + 1] ?? ZERO_HASHES[h - 1]!;
      if (equalBytes(l, ZERO_HASHES[h - 1]!) && equalBytes(r, ZERO_HASHES[h - 1]!)) {
        next.push(ZERO_HASHES[h]!);
        continue;
      }
      const pair = new Uint8Array(64);
      pair.set(l, 0);
      pair.set(r, 32);
      next.push(pre.put(pair));
    }
    level = next.length === 0 ? [ZERO_HASHES[h]!] : next;
  }
  return level[0]!;
}

/** Chunk indices covering bytes [offset, offset + length). */
export function chunkSpan(offset: number, length: number): [number, number] {
  if (length <= 0) return [0, 0];
  return [Math.floor(offset / 32), Math.ceil((offset + length) / 32)];
}
