// Merkle-Patricia trie root of a complete key set (Yellow Paper appendix D), computed
// directly from the sorted keys: each subtree is one contiguous run of the sorted keys,
// so a recursion over ranges builds every node once and never needs a node store.
import { keccak256 } from '../util/hash.js';
import { rlpEncode } from '../rlp/rlp.js';

export class TrieError extends Error {
  override readonly name = 'TrieError';
}

/** keccak256(rlp('')): the root of the trie with no entries. */
export const EMPTY_TRIE_ROOT: Uint8Array = keccak256(Uint8Array.of(0x80));

export type TrieEntry = readonly [key: Uint8Array, value: Uint8Array];

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function nibble(key: Uint8Array, i: number): number {
  const b = key[i >> 1]!;
  return i & 1 ? b & 0x0f : b >> 4;
}

/** Writes an RLP string header for `len` bytes at `pos`; returns the new position. */
function putStringHeader(out: Uint8Array, pos: number, len: number): number {
  if (len < 56) {
    out[pos] = 0x80 + len;
    return pos + 1;
  }
  if (len < 0x100) {
    out[pos] = 0xb8;
    out[pos + 1] = len;
    return pos + 2;
  }
  if (len < 0x10000) {
    out[pos] = 0xb9;
    out[pos + 1] = len >> 8;
    out[pos + 2] = len & 0xff;
    return pos + 3;
  }
  out[pos] = 0xba;
  out[pos + 1] = (len >> 16) & 0xff;
  out[pos + 2] = (len >> 8) & 0xff;
  out[pos + 3] = len & 0xff;
  return pos + 4;
}

function stringSize(b: Uint8Array): number {
  if (b.length === 1 && b[0]! < 0x80) return 1;
  const len = b.length;
  return (len < 56 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 4) + len;
}

function putString(out: Uint8Array, pos: number, b: Uint8Array): number {
  if (b.length === 1 && b[0]! < 0x80) {
    out[pos] = b[0]!;
    return pos + 1;
  }
  pos = putStringHeader(out, pos, b.length);
  out.set(b, pos);
  return pos + b.length;
}

/** Wraps a list payload in its header. */
function list(payload: Uint8Array, payloadLen: number): Uint8Array {
  if (payloadLen < 56) {
    const out = new Uint8Array(1 + payloadLen);
    out[0] = 0xc0 + payloadLen;
    out.set(payload.subarray(0, payloadLen), 1);
    return out;
  }
  const ll = payloadLen < 0x100 ? 1 : payloadLen < 0x10000 ? 2 : 3;
  const out = new Uint8Array(1 + ll + payloadLen);
  out[0] = 0xf7 + ll;
  for (let i = ll; i >= 1; i--) out[i] = (payloadLen >> (8 * (ll - i))) & 0xff;
  out.set(payload.subarray(0, payloadLen), 1 + ll);
  return out;
}

/** Hex-prefix encoding (appendix C) of key nibbles [from, to) with the leaf flag. */
export function hexPrefix(key: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const n = to - from;
  const odd = n & 1;
  const out = new Uint8Array((n >> 1) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = from;
  let o = 1;
  if (odd) {
    out[0]! |= nibble(key, i);
    i++;
  }
  for (; i < to; i += 2, o++) out[o] = (nibble(key, i) << 4) | nibble(key, i + 1);
  return out;
}

/**
 * A node as its parent references it: the node's RLP itself if shorter than 32 bytes
 * (embedded, already an RLP item), else the RLP string of its keccak256.
 */
function reference(encoded: Uint8Array): Uint8Array {
  if (encoded.length < 32) return encoded;
  const out = new Uint8Array(33);
  out[0] = 0xa0;
  out.set(keccak256(encoded), 1);
  return out;
}

class Builder {
  constructor(
    private readonly keys: Uint8Array[],
    private readonly values: Uint8Array[],
  ) {}

  /** RLP of the node for keys[lo, hi), all of which share their first `depth` nibbles. */
  node(lo: number, hi: number, depth: number): Uint8Array {
    const keys = this.keys;
    const first = keys[lo]!;
    const firstLen = first.length * 2;
    if (hi - lo === 1) {
      const path = hexPrefix(first, depth, firstLen, true);
      const value = this.values[lo]!;
      const payloadLen = stringSize(path) + stringSize(value);
      const payload = new Uint8Array(payloadLen);
      putString(payload, putString(payload, 0, path), value);
      return list(payload, payloadLen);
    }
    // Sorted order: the prefix shared by the first and last key is shared by all.
    const last = keys[hi - 1]!;
    const limit = Math.min(firstLen, last.length * 2);
    let cp = depth;
    while (cp < limit && nibble(first, cp) === nibble(last, cp)) cp++;
    if (cp > depth) {
      const path = hexPrefix(first, depth, cp, false);
      const child = reference(this.node(lo, hi, cp));
      const payloadLen = stringSize(path) + child.length;
      const payload = new Uint8Array(payloadLen);
      payload.set(child, putString(payload, 0, path));
      return list(payload, payloadLen);
    }
    return this.branch(lo, hi, depth);
  }

  private branch(lo: number, hi: number, depth: number): Uint8Array {
    const keys = this.keys;
    let value: Uint8Array | null = null;
    // A key that ends here sorts first and becomes the branch's value.
    if (keys[lo]!.length * 2 === depth) {
      value = this.values[lo]!;
      lo++;
    }
    const refs: Uint8Array[] = [];
    let payloadLen = 0;
    let i = lo;
    for (let nib = 0; nib < 16; nib++) {
      let j = i;
      while (j < hi && nibble(keys[j]!, depth) === nib) j++;
      if (j === i) {
        refs.push(EMPTY_REF);
        payloadLen += 1;
      } else {
        const r = reference(this.node(i, j, depth + 1));
        refs.push(r);
        payloadLen += r.length;
      }
      i = j;
    }
    payloadLen += value === null ? 1 : stringSize(value);
    const payload = new Uint8Array(payloadLen);
    let pos = 0;
    for (const r of refs) {
      payload.set(r, pos);
      pos += r.length;
    }
    if (value === null) payload[pos] = 0x80;
    else putString(payload, pos, value);
    return list(payload, payloadLen);
  }
}

const EMPTY_REF = Uint8Array.of(0x80);

/**
 * Root hash of the trie holding `entries`. Empty values mean "absent" and are skipped;
 * keys must be distinct.
 */
export function trieRoot(entries: ReadonlyArray<readonly [key: Uint8Array, value: Uint8Array]>): Uint8Array {
  const present: (readonly [Uint8Array, Uint8Array])[] = [];
  for (const e of entries) if (e[1].length > 0) present.push(e);
  if (present.length === 0) return EMPTY_TRIE_ROOT.slice();
  present.sort((a, b) => compareBytes(a[0], b[0]));
  const keys: Uint8Array[] = new Array(present.length);
  const values: Uint8Array[] = new Array(present.length);
  for (let i = 0; i < present.length; i++) {
    keys[i] = present[i]![0];
    values[i] = present[i]![1];
    if (i > 0 && compareBytes(keys[i - 1]!, keys[i]!) === 0) throw new TrieError('duplicate trie key');
  }
  // The root is always hashed, even when its RLP is shorter than 32 bytes.
  return keccak256(new Builder(keys, values).node(0, keys.length, 0));
}

/** Root of the trie mapping rlp(i) to values[i]: transactions, receipts, withdrawals. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [rlpEncode(i), v] as const));
}
