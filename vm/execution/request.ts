// A transaction as the executor needs it: decoded, its sender recovered.
// Decoding and signatures live in vm/tx; this is the normalised view.
import type { Address } from '../util/address.js';

export interface AccessListEntry {
  readonly address: Address;
  readonly storageKeys: readonly bigint[];
}

export interface Authorization {
  readonly chainId: bigint;
  readonly address: Address;
  readonly nonce: bigint;
  /** The recovered signer, or null when the signature is invalid (EIP-7702: skip it). */
  readonly authority: Address | null;
}

export interface TxRequest {
  readonly type: 0 | 1 | 2 | 3 | 4;
  readonly sender: Address;
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  readonly to: Address | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  /** Legacy and EIP-2930 price. */
  readonly gasPrice: bigint;
  /** EIP-1559 fields (types 2, 3, 4); for types 0 and 1 both equal gasPrice. */
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly accessList: readonly AccessListEntry[];
  readonly blobVersionedHashes: readonly Uint8Array[];
  readonly maxFeePerBlobGas: bigint;
  readonly authorizationList: readonly Authorization[];
}
