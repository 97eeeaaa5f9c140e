// Verification of Merkle-Patricia inclusion/exclusion proofs as eth_getProof returns them:
// the RLP of every hashed node on the path from the root, in order. Nodes shorter than
// 32 bytes are embedded in their parent and so never appear on their own.
import { keccak256 } from '../util/hash.js';
import { equalBytes } from '../util/bytes.js';
import { rlpDecode, rlpEncode, RlpError, type RlpItem } from '../rlp/rlp.js';
import { EMPTY_TRIE_ROOT } from './root.js';

export class MptProofError extends Error {
  override readonly name = 'MptProofError';
}

function keyNibbles(key: Uint8Array): number[] {
  const out: number[] = new Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 0x0f;
  }
  return out;
}

/** Decodes a hex-prefix path (appendix C) into its nibbles and leaf flag. */
function decodeHexPrefix(path: Uint8Array): { nibbles: number[]; leaf: boolean } {
  if (path.length === 0) throw new MptProofError('malformed node: empty hex-prefix path');
  const flag = path[0]! >> 4;
  if (flag > 3) throw new MptProofError(`malformed node: hex-prefix flag ${flag}`);
  const odd = (flag & 1) === 1;
  if (!odd && (path[0]! & 0x0f) !== 0) throw new MptProofError('malformed node: non-zero hex-prefix padding');
  const nibbles: number[] = [];
  if (odd) nibbles.push(path[0]! & 0x0f);
  for (let i = 1; i < path.length; i++) nibbles.push(path[i]! >> 4, path[i]! & 0x0f);
  return { nibbles, leaf: flag >= 2 };
}

function bytes(item: RlpItem, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new MptProofError(`malformed node: ${what} is a list`);
  return item;
}

type Ref = { kind: 'hash'; hash: Uint8Array } | { kind: 'inline'; node: RlpItem[]; encoded: Uint8Array };

/** A child reference: empty (absent), a 32-byte hash, or an embedded node under 32 bytes. */
function childRef(item: RlpItem): Ref | null {
  if (item instanceof Uint8Array) {
    if (item.length === 0) return null;
    if (item.length !== 32) throw new MptProofError(`malformed node: child reference of ${item.length} bytes`);
    return { kind: 'hash', hash: item };
  }
  const encoded = rlpEncode(item);
  if (encoded.length >= 32) throw new MptProofError('malformed node: embedded node of 32 bytes or more');
  return { kind: 'inline', node: item, encoded };
}

/**
 * Walks `proof` from `root` along `key`. Returns the value stored at `key`, or null when
 * the proof shows that the key is absent. Throws `MptProofError` when the proof does
 * not hash-link to the root, is malformed, incomplete, or carries unused nodes.
 */
export function verifyMptProof(root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | null {
  if (root.length !== 32) throw new MptProofError(`root must be 32 bytes, got ${root.length}`);
  if (proof.length === 0) {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return null;
    throw new MptProofError('empty proof for a non-empty trie');
  }
  const nibbles = keyNibbles(key);
  let pos = 0;
  let used = 0;
  let ref: Ref = { kind: 'hash', hash: root };
  const done = (value: Uint8Array | null): Uint8Array | null => {
    if (used !== proof.length) throw new MptProofError(`proof has ${proof.length - used} unused node(s)`);
    return value;
  };
  for (;;) {
    let node: RlpItem;
    if (ref.kind === 'hash') {
      const encoded = proof[used];
      if (encoded === undefined) throw new MptProofError('proof is incomplete: missing node');
      if (!equalBytes(keccak256(encoded), ref.hash)) {
        throw new MptProofError(`proof node ${used} does not match its hash`);
      }
      used++;
      try {
        node = rlpDecode(encoded);
      } catch (e) {
        if (e instanceof RlpError) throw new MptProofError(`proof node ${used - 1}: ${e.message}`);
        throw e;
      }
      // rlp('') is the empty trie's root node.
      if (node instanceof Uint8Array) {
        if (node.length === 0 && used === 1) return done(null);
        throw new MptProofError('malformed node: byte string');
      }
    } else {
      node = ref.node;
      // geth and reth leave embedded nodes out of proofs; @ethereumjs/mpt repeats them.
      const repeated = proof[used];
      if (repeated !== undefined && equalBytes(repeated, ref.encoded)) used++;
    }
    if (node.length === 17) {
      if (pos === nibbles.length) {
        const v = bytes(node[16]!, 'branch value');
        return done(v.length === 0 ? null : v);
      }
      const next = childRef(node[nibbles[pos]!]!);
      pos++;
      if (next === null) return done(null);
      ref = next;
      continue;
    }
    if (node.length === 2) {
      const { nibbles: path, leaf } = decodeHexPrefix(bytes(node[0]!, 'path'));
      let matches = pos + path.length <= nibbles.length;
      for (let i = 0; matches && i < path.length; i++) if (nibbles[pos + i] !== path[i]) matches = false;
      if (leaf) {
        if (!matches || pos + path.length !== nibbles.length) return done(null);
        const v = bytes(node[1]!, 'leaf value');
        if (v.length === 0) throw new MptProofError('malformed node: leaf with empty value');
        return done(v);
      }
      if (path.length === 0) throw new MptProofError('malformed node: extension with empty path');
      if (!matches) return done(null);
      pos += path.length;
      const next = childRef(node[1]!);
      if (next === null) throw new MptProofError('malformed node: extension without child');
      ref = next;
      continue;
    }
    throw new MptProofError(`malformed node: list of ${node.length} items`);
  }
}
