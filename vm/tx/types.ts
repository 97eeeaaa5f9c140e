// Transaction types MetisVM executes, named after their EIPs' fields.
// Numeric fields are bigint; a transaction without `signature` is unsigned.
import type { Address } from '../util/address.js';

export interface AccessListEntry {
  readonly address: Address;
  /** Storage slots as 256-bit words (the interpreter keys storage by bigint). */
  readonly storageKeys: readonly bigint[];
}

/** Legacy signature: v is 27/28, or chainId * 2 + 35/36 under EIP-155. */
export interface LegacySignature {
  readonly v: bigint;
  readonly r: bigint;
  readonly s: bigint;
}

/** Typed-transaction signature (EIP-2718 envelopes). Valid only when yParity is 0 or 1. */
export interface TypedSignature {
  readonly yParity: bigint;
  readonly r: bigint;
  readonly s: bigint;
}

interface TxBase {
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  readonly value: bigint;
  readonly data: Uint8Array;
}

export interface LegacyTx extends TxBase {
  readonly type: 0;
  /** EIP-155 chain id, or null for a pre-EIP-155 (replayable) transaction. */
  readonly chainId: bigint | null;
  readonly gasPrice: bigint;
  /** null creates a contract. */
  readonly to: Address | null;
  readonly signature?: LegacySignature;
}

/** EIP-2930. */
export interface AccessListTx extends TxBase {
  readonly type: 1;
  readonly chainId: bigint;
  readonly gasPrice: bigint;
  readonly to: Address | null;
  readonly accessList: readonly AccessListEntry[];
  readonly signature?: TypedSignature;
}

/** EIP-1559. */
export interface FeeMarketTx extends TxBase {
  readonly type: 2;
  readonly chainId: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly to: Address | null;
  readonly accessList: readonly AccessListEntry[];
  readonly signature?: TypedSignature;
}

/** EIP-4844 (canonical form, without the network wrapper of blobs and proofs). */
export interface BlobTx extends TxBase {
  readonly type: 3;
  readonly chainId: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly to: Address;
  readonly accessList: readonly AccessListEntry[];
  readonly maxFeePerBlobGas: bigint;
  /** 32-byte versioned hashes (0x01 || sha256(commitment)[1:]). */
  readonly blobVersionedHashes: readonly Uint8Array[];
  readonly signature?: TypedSignature;
}

/** EIP-7702 authorization tuple. yParity, r and s are kept raw: a bad one is skipped, not fatal. */
export interface SetCodeAuthorization {
  readonly chainId: bigint;
  readonly address: Address;
  readonly nonce: bigint;
  readonly yParity: bigint;
  readonly r: bigint;
  readonly s: bigint;
}

/** EIP-7702. */
export interface SetCodeTx extends TxBase {
  readonly type: 4;
  readonly chainId: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly to: Address;
  readonly accessList: readonly AccessListEntry[];
  readonly authorizationList: readonly SetCodeAuthorization[];
  readonly signature?: TypedSignature;
}

export type Transaction = LegacyTx | AccessListTx | FeeMarketTx | BlobTx | SetCodeTx;
export type TxType = Transaction['type'];

export class TxDecodeError extends Error {
  override readonly name = 'TxDecodeError';
}

export class TxEncodeError extends Error {
  override readonly name = 'TxEncodeError';
}

export class TxSignatureError extends Error {
  override readonly name = 'TxSignatureError';
}
