// The block and transaction context an execution reads (execution-specs'
// BlockEnvironment and TransactionEnvironment).
import type { Address } from './util/address.js';
import type { ChainRules } from './chain/chain.js';
import type { ForkRules } from './chain/forks.js';

export interface BlockEnv {
  readonly chain: ChainRules;
  readonly rules: ForkRules;
  readonly number: bigint;
  readonly timestamp: bigint;
  readonly coinbase: Address;
  readonly gasLimit: bigint;
  readonly baseFee: bigint;
  /** PREVRANDAO (mix hash after the merge). */
  readonly prevRandao: bigint;
  readonly excessBlobGas: bigint;
  /** Hash of an ancestor for BLOCKHASH, or null when unknown/out of range. */
  readonly blockHash: (number: bigint) => bigint | null;
  /** EIP-4788 parent beacon block root, where the header carries one. */
  readonly parentBeaconBlockRoot?: Uint8Array;
}

export interface TxEnv {
  readonly origin: Address;
  /** Effective gas price (GASPRICE). */
  readonly gasPrice: bigint;
  /** EIP-4844 versioned hashes (BLOBHASH), as words. */
  readonly blobHashes: readonly bigint[];
}
