// A transaction as the executor needs it: decoded, its sender recovered.
// Decoding and signatures live in vm/tx; this is the normalised view.
import type { Address } from '../util/address.js';
import type { Transaction } from '../tx/types.js';
import { recoverAuthority, recoverSender } from '../tx/index.js';

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


/** The executor's view of a decoded transaction: recovers the sender and each authority. */
export function toTxRequest(tx: Transaction, sender: Address = recoverSender(tx)): TxRequest {
  const price = tx.type === 0 || tx.type === 1 ? tx.gasPrice : 0n;
  return {
    type: tx.type,
    sender,
    nonce: tx.nonce,
    gasLimit: tx.gasLimit,
    to: tx.to,
    value: tx.value,
    data: tx.data,
    gasPrice: price,
    maxFeePerGas: tx.type >= 2 ? (tx as { maxFeePerGas: bigint }).maxFeePerGas : price,
    maxPriorityFeePerGas: tx.type >= 2 ? (tx as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas : price,
    accessList: tx.type === 0 ? [] : tx.accessList,
    blobVersionedHashes: tx.type === 3 ? tx.blobVersionedHashes : [],
    maxFeePerBlobGas: tx.type === 3 ? tx.maxFeePerBlobGas : 0n,
    authorizationList:
      tx.type === 4
        ? tx.authorizationList.map((a) => ({ chainId: a.chainId, address: a.address, nonce: a.nonce, authority: recoverAuthority(a) }))
        : [],
  };
}
