// What the VM reads world state from. Reads are synchronous so the interpreter
// never awaits: a backend that lacks data throws MissingStateError and the caller
// (an async edge) fetches it and re-runs. Nothing is ever silently zero.
import type { Address } from '../util/address.js';

export interface AccountData {
  readonly nonce: bigint;
  readonly balance: bigint;
  /** keccak256 of the code; KECCAK_EMPTY for accounts without code. */
  readonly codeHash: Uint8Array;
}

export interface StateReader {
  /** The account, or null when it does not exist. */
  getAccount(address: Address): AccountData | null;
  /** The code whose hash the account carries. */
  getCode(address: Address, codeHash: Uint8Array): Uint8Array;
  /** A storage slot of an existing account (zero when unset). */
  getStorage(address: Address, slot: bigint): bigint;
  /** Whether the account has any non-zero storage (EIP-7610 address collisions). */
  hasStorage(address: Address): boolean;
}

export class MissingStateError extends Error {
  override readonly name = 'MissingStateError';
  constructor(
    readonly what: 'account' | 'storage' | 'code',
    readonly address: Address,
    readonly slot?: bigint,
  ) {
    super(
      what === 'storage'
        ? `state witness lacks storage slot 0x${(slot ?? 0n).toString(16)} of ${address}`
        : `state witness lacks the ${what} of ${address}`,
    );
  }
}
