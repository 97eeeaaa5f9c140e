// State root of an in-memory world: the secure MPT of RLP accounts, each with
// the secure MPT root of its storage.
import { keccak256 } from '../util/hash.js';
import { hexToBytes } from '../util/bytes.js';
import { rlpEncode } from '../rlp/rlp.js';
import { trieRoot, encodeAccount } from '../trie/index.js';
import type { MemoryState, MemoryAccount } from './memory.js';
import type { AccountChange } from './world.js';
import type { Address } from '../util/address.js';
import { word32 } from '../interpreter/instructions/words.js';

export function storageRoot(storage: ReadonlyMap<bigint, bigint>): Uint8Array {
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of storage) if (v !== 0n) entries.push([keccak256(word32(k)), rlpEncode(v)]);
  return trieRoot(entries);
}

export function stateRoot(state: MemoryState): Uint8Array {
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const [address, a] of state.accounts) {
    entries.push([
      keccak256(hexToBytes(address)),
      encodeAccount({ nonce: a.nonce, balance: a.balance, storageRoot: storageRoot(a.storage), codeHash: a.codeHash }),
    ]);
  }
  return trieRoot(entries);
}

/** Applies a WorldState change set to an in-memory state. */
export function applyChanges(state: MemoryState, changes: ReadonlyMap<Address, AccountChange>): void {
  for (const [address, c] of changes) {
    if (c.account === null) {
      state.accounts.delete(address);
      continue;
    }
    const prev = state.accounts.get(address);
    const storage = c.storageCleared || prev === undefined ? new Map<bigint, bigint>() : prev.storage;
    for (const [k, v] of c.storage) {
      if (v === 0n) storage.delete(k);
      else storage.set(k, v);
    }
    const next: MemoryAccount = {
      nonce: c.account.nonce,
      balance: c.account.balance,
      code: c.account.code,
      codeHash: c.account.codeHash,
      storage,
    };
    state.accounts.set(address, next);
  }
}
