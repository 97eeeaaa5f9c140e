// What block replay needs from the outside world. The RPC implementation lives
// in vm/rpc; tests and the devnet can supply their own.
import type { BlockHeader } from '../block/header.js';
import type { Withdrawal } from '../block/execute.js';
import type { MissingStateError } from '../state/backend.js';
import type { Address } from '../util/address.js';

export interface SourceBlock {
  readonly header: BlockHeader;
  /** The hash the source claims for the block (checked against the header). */
  readonly hash: Uint8Array;
  readonly transactions: readonly Uint8Array[];
  readonly withdrawals?: readonly Withdrawal[];
}

export interface SourceReceipt {
  readonly success: boolean;
  readonly cumulativeGasUsed: bigint;
  readonly logCount: number;
}

export interface PreStateNodes {
  /** RLP trie nodes (account and storage tries), each proven by hash from the parent state root. */
  readonly nodes: readonly Uint8Array[];
  readonly codes: readonly Uint8Array[];
}

export interface ReplaySource {
  block(number: bigint): Promise<SourceBlock>;
  /** A header alone (the parent's, for its state root and the header checks). */
  header(number: bigint): Promise<{ readonly header: BlockHeader; readonly hash: Uint8Array }>;
  /** The receipts the source reports, to name the first diverging transaction. */
  receipts(number: bigint): Promise<readonly SourceReceipt[]>;
  /** Trie nodes and codes covering what block `number` reads, against the parent's state root. */
  preState(number: bigint): Promise<PreStateNodes>;
  /** More nodes for something execution touched that the pre-state did not cover. */
  missing(number: bigint, err: MissingStateError): Promise<PreStateNodes>;
  /**
   * For chains whose trie keeps zero-valued storage leaves (anvil): which of these
   * zero-valued slots have an explicit leaf after block `number`. Only the trie
   * representation is taken from the source; every value is still ours.
   */
  zeroLeaves?(number: bigint, candidates: ReadonlyMap<Address, readonly bigint[]>): Promise<ReadonlyMap<Address, ReadonlySet<bigint>>>;
  /** Likewise: which of these accounts, deleted by execution, the source's trie keeps as empty leaves. */
  emptyAccountLeaves?(number: bigint, candidates: readonly Address[]): Promise<ReadonlySet<Address>>;
  /** Hashes of ancestors (BLOCKHASH). */
  blockHashes(numbers: readonly bigint[]): Promise<ReadonlyMap<bigint, Uint8Array>>;
}
