// A plain in-memory world state: the backend of state tests, `vm run` and the
// sequencer's own state. Accounts iterate in insertion order; anything that
// hashes them sorts first.
import type { Address } from '../util/address.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import type { AccountData, StateReader } from './backend.js';

export interface MemoryAccount {
  nonce: bigint;
  balance: bigint;
  code: Uint8Array;
  codeHash: Uint8Array;
  storage: Map<bigint, bigint>;
}

export class MemoryState implements StateReader {
  readonly accounts = new Map<Address, MemoryAccount>();

  getAccount(address: Address): AccountData | null {
    return this.accounts.get(address) ?? null;
  }

  getCode(address: Address): Uint8Array {
    return this.accounts.get(address)?.code ?? new Uint8Array(0);
  }

  getStorage(address: Address, slot: bigint): bigint {
    return this.accounts.get(address)?.storage.get(slot) ?? 0n;
  }

  hasStorage(address: Address): boolean {
    const a = this.accounts.get(address);
    if (!a) return false;
    for (const v of a.storage.values()) if (v !== 0n) return true;
    return false;
  }

  /** Creates or replaces an account (zero storage values are dropped). */
  put(
    address: Address,
    account: { nonce?: bigint; balance?: bigint; code?: Uint8Array; storage?: Iterable<readonly [bigint, bigint]> },
  ): void {
    const code = account.code ?? new Uint8Array(0);
    const storage = new Map<bigint, bigint>();
    for (const [k, v] of account.storage ?? []) if (v !== 0n) storage.set(k, v);
    this.accounts.set(address, {
      nonce: account.nonce ?? 0n,
      balance: account.balance ?? 0n,
      code,
      codeHash: code.length === 0 ? KECCAK_EMPTY : keccak256(code),
      storage,
    });
  }
}
