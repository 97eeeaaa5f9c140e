// Recovering trie nodes that a stateless post-state root needs but no pre-state
// proof carries. Deleting a key can collapse a branch onto its remaining child,
// whose type and content then matter, while the proofs of the keys the block
// touched only name that child's hash. Any key whose hashed path runs through
// the child has a proof that contains it, so we search for one: a storage slot
// or an address whose keccak starts with the child's path. Each extra nibble
// multiplies the search by 16, which bounds the depth we can reach.
import { keccak256 } from '../util/hash.js';
import { addressFromBytes, type Address } from '../util/address.js';
import { word32 } from '../interpreter/instructions/words.js';

/** Deepest path searched: 16^5 ≈ 10^6 hashes at most, about a second. */
export const MAX_SEARCH_NIBBLES = 5;

export class SiblingSearchError extends Error {
  override readonly name = 'SiblingSearchError';
}

function startsWith(hash: Uint8Array, nibbles: readonly number[]): boolean {
  for (let i = 0; i < nibbles.length; i++) {
    const b = hash[i >> 1]!;
    if ((i & 1 ? b & 15 : b >> 4) !== nibbles[i]) return false;
  }
  return true;
}

function parsePath(path: string): number[] {
  if (!/^[0-9a-f]*$/.test(path)) throw new SiblingSearchError(`not a nibble path: ${path}`);
  return [...path].map((c) => parseInt(c, 16));
}

/** A storage slot whose keccak256(slot32) starts with `path` (hex nibbles). */
export function slotUnderPath(path: string): bigint {
  const nibbles = parsePath(path);
  if (nibbles.length > MAX_SEARCH_NIBBLES) throw new SiblingSearchError(`path '${path}' is too deep to search for a key`);
  const limit = 64 * 16 ** nibbles.length;
  for (let slot = 0n; slot < BigInt(limit); slot++) if (startsWith(keccak256(word32(slot)), nibbles)) return slot;
  throw new SiblingSearchError(`no slot under path '${path}' within ${limit} candidates`);
}

/** An address whose keccak256 starts with `path` (hex nibbles). */
export function addressUnderPath(path: string): Address {
  const nibbles = parsePath(path);
  if (nibbles.length > MAX_SEARCH_NIBBLES) throw new SiblingSearchError(`path '${path}' is too deep to search for a key`);
  const limit = 64 * 16 ** nibbles.length;
  const bytes = new Uint8Array(20);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < limit; i++) {
    view.setUint32(16, i);
    if (startsWith(keccak256(bytes), nibbles)) return addressFromBytes(bytes.slice());
  }
  throw new SiblingSearchError(`no address under path '${path}' within ${limit} candidates`);
}
