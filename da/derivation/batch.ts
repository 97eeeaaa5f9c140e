// Batches inside a decompressed channel (derivation spec "Batch Format", delta/span-batches.md):
// the channel is a stream of RLP byte strings, each `batch_type ++ content`.
//   type 0, singular: rlp([parent_hash, epoch_number, epoch_hash, timestamp, transaction_list])
//   type 1, span:     prefix ++ payload (binary, see decodeSpanBatch)
import { rlpDecode, rlpToBigInt, rlpToBytes, rlpToList, RlpError, type RlpItem } from '../../vm/rlp/rlp.js';
import { encodeTransaction } from '../../vm/tx/codec.js';
import type { AccessListEntry, Transaction } from '../../vm/tx/types.js';
import { TxDecodeError, TxEncodeError } from '../../vm/tx/types.js';
import { addressFromBytes, type Address } from '../../vm/util/address.js';
import { bytesToBigInt } from '../../vm/util/bytes.js';
import { BatchDecodeError } from './errors.js';
import { Reader, readBits, rlpSpanAt } from './wire.js';

export const SINGULAR_BATCH_TYPE = 0;
export const SPAN_BATCH_TYPE = 1;
/** MAX_SPAN_BATCH_ELEMENT_COUNT: cap on blocks, transactions per block and in total. */
export const MAX_SPAN_BATCH_ELEMENT_COUNT = 10_000_000;

export interface SingularBatch {
  readonly type: 'singular';
  readonly parentHash: Uint8Array;
  readonly epochNum: bigint;
  readonly epochHash: Uint8Array;
  readonly timestamp: bigint;
  /** Raw EIP-2718 transactions (legacy ones as their RLP list). */
  readonly transactions: readonly Uint8Array[];
}

/** One transaction of a span batch, as its columns store it (before the chain id is applied). */
export interface SpanBatchTx {
  readonly txType: 0 | 1 | 2;
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  readonly to: Address | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  /** Legacy: gasPrice; 1559: unused (0n). */
  readonly gasPrice: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly accessList: readonly AccessListEntry[];
  readonly yParity: 0 | 1;
  readonly r: bigint;
  readonly s: bigint;
  /** Legacy only: EIP-155 replay protected. */
  readonly protected: boolean;
}

/** A span batch as encoded: prefix, per-block origin bits and transaction counts, transactions. */
export interface RawSpanBatch {
  readonly type: 'span';
  readonly relTimestamp: bigint;
  readonly l1OriginNum: bigint;
  /** First 20 bytes of the first block's parent hash. */
  readonly parentCheck: Uint8Array;
  /** First 20 bytes of the last block's L1 origin hash. */
  readonly l1OriginCheck: Uint8Array;
  readonly blockCount: number;
  readonly originBits: readonly boolean[];
  readonly blockTxCounts: readonly number[];
  readonly txs: readonly SpanBatchTx[];
  /** The Metis Andromeda variant's extra fields (null for OP span batches). */
  readonly metis: MetisSpanExtras | null;
  /** Bytes left after the last field (ignored, as op-node does). */
  readonly trailingBytes: number;
}

/**
 * 'op': the OP Stack span batch. 'metis': Metis Andromeda's variant (MetisProtocol/mvm
 * data-transport-layer, da/blob/channel.ts): prefix l1_timestamp ++ l1_origin_num ++
 * l2_start_block ++ parent_check ++ l1_origin_check, and after protected_bits:
 * queue_origin_bits ++ seq_y_parity_bits ++ tx_seq_sigs ++ l1_tx_origins.
 */
export type SpanBatchFormat = 'op' | 'metis';

export interface MetisSpanExtras {
  /** Absolute L1 timestamp (stored where OP has rel_timestamp; relTimestamp holds the same value). */
  readonly l1Timestamp: bigint;
  /** L2 block number of the first block (in the Andromeda blob, l1_origin_num holds the last one's). */
  readonly l2StartBlock: bigint;
  /** Per transaction: true for an L1→L2 enqueued transaction (queue origin bit 0), false for a sequencer one. */
  readonly enqueued: readonly boolean[];
  /** Per transaction: the sequencer's signature over it. */
  readonly seqSigs: readonly { readonly yParity: 0 | 1; readonly r: bigint; readonly s: bigint }[];
  /** The L1 sender of each enqueued transaction, in order. */
  readonly l1TxOrigins: readonly Address[];
}

export type Batch = SingularBatch | RawSpanBatch;

/** Per-L2-block output: what one L2 block's batch says. */
export interface L2BlockBatch {
  readonly batchType: 'singular' | 'span';
  readonly timestamp: bigint;
  readonly epochNum: bigint;
  /** Full parent hash (singular batches only). */
  readonly parentHash: Uint8Array | null;
  /** First 20 bytes of the parent hash (singular batches, and the first block of a span batch). */
  readonly parentCheck: Uint8Array | null;
  /** Full L1 origin hash (singular batches only). */
  readonly epochHash: Uint8Array | null;
  /** First 20 bytes of the L1 origin hash (singular batches, and the last block of a span batch). */
  readonly epochCheck: Uint8Array | null;
  /** Raw transactions in order. */
  readonly transactions: readonly Uint8Array[];
}

export interface SpanBatchConfig {
  readonly genesisTimestamp: bigint;
  readonly blockTime: bigint;
  readonly chainId: bigint;
}

// --- channel → batch data -------------------------------------------------

export interface BatchReadResult {
  /** Each batch's `batch_type ++ content`. */
  readonly batches: Uint8Array[];
  /** Set when the stream ended in a malformed or truncated item (the rest is unreadable). */
  readonly error: string | null;
}

/** Splits a decompressed channel into batch data (RLP byte strings). */
export function readBatchData(channel: Uint8Array): BatchReadResult {
  const batches: Uint8Array[] = [];
  let pos = 0;
  while (pos < channel.length) {
    let span;
    try {
      span = rlpSpanAt(channel, pos);
    } catch (e) {
      if (e instanceof BatchDecodeError) return { batches, error: e.message };
      throw e;
    }
    if (span.isList) return { batches, error: `batch ${batches.length} is an RLP list, expected a byte string` };
    batches.push(channel.subarray(span.start, span.end));
    pos = span.end;
  }
  return { batches, error: null };
}

// --- decoding ---------------------------------------------------------------

function hash32(item: RlpItem, what: string): Uint8Array {
  const b = rlpToBytes(item, what);
  if (b.length !== 32) throw new BatchDecodeError(`${what} must be 32 bytes, got ${b.length}`);
  return b.slice();
}

export function decodeSingularBatch(content: Uint8Array): SingularBatch {
  try {
    const f = rlpToList(rlpDecode(content), 'singular batch');
    if (f.length !== 5) throw new BatchDecodeError(`singular batch must have 5 fields, got ${f.length}`);
    return {
      type: 'singular',
      parentHash: hash32(f[0]!, 'parent_hash'),
      epochNum: rlpToBigInt(f[1]!, 'epoch_number', 8),
      epochHash: hash32(f[2]!, 'epoch_hash'),
      timestamp: rlpToBigInt(f[3]!, 'timestamp', 8),
      transactions: rlpToList(f[4]!, 'transaction_list').map((t) => rlpToBytes(t, 'transaction').slice()),
    };
  } catch (e) {
    if (e instanceof RlpError) throw new BatchDecodeError(`singular batch: ${e.message}`);
    throw e;
  }
}

function decodeAccessList(item: RlpItem): AccessListEntry[] {
  return rlpToList(item, 'access_list').map((e) => {
    const pair = rlpToList(e, 'access list entry');
    if (pair.length !== 2) throw new BatchDecodeError(`access list entry must have 2 fields, got ${pair.length}`);
    const keys = rlpToList(pair[1]!, 'storage keys').map((k) => bytesToBigInt(hash32(k, 'storage key')));
    const addr = rlpToBytes(pair[0]!, 'access list address');
    if (addr.length !== 20) throw new BatchDecodeError(`access list address must be 20 bytes, got ${addr.length}`);
    return { address: addressFromBytes(addr), storageKeys: keys };
  });
}

interface TxDataFields {
  readonly txType: 0 | 1 | 2;
  readonly value: bigint;
  readonly gasPrice: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly data: Uint8Array;
  readonly accessList: readonly AccessListEntry[];
}

/** One tx_datas entry: legacy rlp([value, gas_price, data]), or type ++ rlp(...) for 2930/1559. */
function readTxData(r: Reader): TxDataFields {
  if (r.remaining === 0) throw new BatchDecodeError('tx_datas: truncated');
  let txType = 0;
  if (r.bytes[r.pos]! <= 0x7f) txType = r.take(1, 'tx type')[0]!;
  const span = rlpSpanAt(r.bytes, r.pos);
  if (!span.isList) throw new BatchDecodeError('tx_datas: tx RLP prefix type must be list');
  const body = r.take(span.end - r.pos, 'tx data');
  try {
    const f = rlpToList(rlpDecode(body), 'tx data');
    const expect = (n: number): void => {
      if (f.length !== n) throw new BatchDecodeError(`type ${txType} span tx data must have ${n} fields, got ${f.length}`);
    };
    switch (txType) {
      case 0:
        expect(3);
        return { txType: 0, value: rlpToBigInt(f[0]!, 'value'), gasPrice: rlpToBigInt(f[1]!, 'gas_price'), maxPriorityFeePerGas: 0n, maxFeePerGas: 0n, data: rlpToBytes(f[2]!, 'data').slice(), accessList: [] };
      case 1:
        expect(4);
        return { txType: 1, value: rlpToBigInt(f[0]!, 'value'), gasPrice: rlpToBigInt(f[1]!, 'gas_price'), maxPriorityFeePerGas: 0n, maxFeePerGas: 0n, data: rlpToBytes(f[2]!, 'data').slice(), accessList: decodeAccessList(f[3]!) };
      case 2:
        expect(5);
        return {
          txType: 2,
          value: rlpToBigInt(f[0]!, 'value'),
          gasPrice: 0n,
          maxPriorityFeePerGas: rlpToBigInt(f[1]!, 'max_priority_fee_per_gas'),
          maxFeePerGas: rlpToBigInt(f[2]!, 'max_fee_per_gas'),
          data: rlpToBytes(f[3]!, 'data').slice(),
          accessList: decodeAccessList(f[4]!),
        };
      default:
        throw new BatchDecodeError(`span batch transaction type ${txType} is not supported`);
    }
  } catch (e) {
    if (e instanceof RlpError) throw new BatchDecodeError(`tx_datas: ${e.message}`);
    throw e;
  }
}

/**
 * Decodes a span batch body (after the type byte):
 *   prefix  = rel_timestamp ++ l1_origin_num ++ parent_check ++ l1_origin_check
 *   payload = block_count ++ origin_bits ++ block_tx_counts ++ txs
 *   txs     = contract_creation_bits ++ y_parity_bits ++ tx_sigs ++ tx_tos ++ tx_datas
 *             ++ tx_nonces ++ tx_gases ++ protected_bits
 */
export function decodeSpanBatch(content: Uint8Array, format: SpanBatchFormat = 'op'): RawSpanBatch {
  const r = new Reader(content);
  // Metis Andromeda's variant carries an absolute L1 timestamp where OP has rel_timestamp,
  // and the L2 number of the first block after l1_origin_num.
  const relTimestamp = r.uvarint(format === 'metis' ? 'l1_timestamp' : 'rel_timestamp');
  const l1OriginNum = r.uvarint('l1_origin_num');
  const l2StartBlock = format === 'metis' ? r.uvarint('l2_start_block') : null;
  const parentCheck = r.take(20, 'parent_check').slice();
  const l1OriginCheck = r.take(20, 'l1_origin_check').slice();
  const blockCount = r.uvarintNumber('block_count', MAX_SPAN_BATCH_ELEMENT_COUNT);
  if (blockCount === 0) throw new BatchDecodeError('span batch has no blocks');
  const originBits = readBits(r, blockCount, 'origin_bits');
  const blockTxCounts: number[] = [];
  let total = 0;
  for (let i = 0; i < blockCount; i++) {
    const n = r.uvarintNumber('block_tx_count', MAX_SPAN_BATCH_ELEMENT_COUNT);
    total += n;
    if (total > MAX_SPAN_BATCH_ELEMENT_COUNT) throw new BatchDecodeError(`span batch holds more than ${MAX_SPAN_BATCH_ELEMENT_COUNT} transactions`);
    blockTxCounts.push(n);
  }
  const creation = readBits(r, total, 'contract_creation_bits');
  const yParity = readBits(r, total, 'y_parity_bits');
  const sigs: { r: bigint; s: bigint }[] = [];
  for (let i = 0; i < total; i++) {
    sigs.push({ r: bytesToBigInt(r.take(32, 'tx_sigs r')), s: bytesToBigInt(r.take(32, 'tx_sigs s')) });
  }
  const creations = creation.filter((b) => b).length;
  const tos: Address[] = [];
  for (let i = 0; i < total - creations; i++) tos.push(addressFromBytes(r.take(20, 'tx_tos').slice()));
  const datas: TxDataFields[] = [];
  for (let i = 0; i < total; i++) datas.push(readTxData(r));
  const nonces: bigint[] = [];
  for (let i = 0; i < total; i++) nonces.push(r.uvarint('tx_nonces'));
  const gases: bigint[] = [];
  for (let i = 0; i < total; i++) gases.push(r.uvarint('tx_gases'));
  const legacyCount = datas.filter((d) => d.txType === 0).length;
  const protectedBits = readBits(r, legacyCount, 'protected_bits');
  let metis: MetisSpanExtras | null = null;
  if (format === 'metis') {
    const queueOrigins = readBits(r, total, 'queue_origin_bits');
    const seqParity = readBits(r, total, 'seq_y_parity_bits');
    const seqSigs: MetisSpanExtras['seqSigs'][number][] = [];
    for (let i = 0; i < total; i++) {
      seqSigs.push({ yParity: seqParity[i] ? 1 : 0, r: bytesToBigInt(r.take(32, 'tx_seq_sigs r')), s: bytesToBigInt(r.take(32, 'tx_seq_sigs s')) });
    }
    // One L1 origin per enqueued transaction. Which bit value marks those is inferred from the
    // real Andromeda blob (all its transactions are signed sequencer ones, all bits are 1 and
    // no origins follow), against mvm's reader comment "0 for sequencer, 1 for enqueue".
    const enqueued = queueOrigins.map((b) => !b);
    const l1TxOrigins: Address[] = [];
    for (let i = 0; i < enqueued.filter((b) => b).length; i++) l1TxOrigins.push(addressFromBytes(r.take(20, 'l1_tx_origins').slice()));
    metis = { l1Timestamp: relTimestamp, l2StartBlock: l2StartBlock!, enqueued, seqSigs, l1TxOrigins };
  }
  // op-node does not reject bytes after the last field; they are only reported.
  const trailingBytes = r.remaining;
  const txs: SpanBatchTx[] = [];
  let toIdx = 0;
  let legacyIdx = 0;
  for (let i = 0; i < total; i++) {
    const d = datas[i]!;
    txs.push({
      ...d,
      nonce: nonces[i]!,
      gasLimit: gases[i]!,
      to: creation[i] ? null : tos[toIdx++]!,
      yParity: yParity[i] ? 1 : 0,
      r: sigs[i]!.r,
      s: sigs[i]!.s,
      protected: d.txType === 0 ? protectedBits[legacyIdx++]! : true,
    });
  }
  return { type: 'span', relTimestamp, l1OriginNum, parentCheck, l1OriginCheck, blockCount, originBits, blockTxCounts, txs, metis, trailingBytes };
}

/** Decodes one batch's data (`batch_type ++ content`). */
export function decodeBatch(data: Uint8Array, spanFormat: SpanBatchFormat = 'op'): Batch {
  if (data.length === 0) throw new BatchDecodeError('batch data is empty');
  const type = data[0]!;
  if (type === SINGULAR_BATCH_TYPE) return decodeSingularBatch(data.subarray(1));
  if (type === SPAN_BATCH_TYPE) return decodeSpanBatch(data.subarray(1), spanFormat);
  throw new BatchDecodeError(`unknown batch type ${type}`);
}

// --- span batch → L2 blocks -------------------------------------------------

/** The full signed transaction a span-batch entry stands for, under `chainId`. */
export function spanTxToTransaction(tx: SpanBatchTx, chainId: bigint): Transaction {
  const base = { nonce: tx.nonce, gasLimit: tx.gasLimit, value: tx.value, data: tx.data, to: tx.to };
  const parity = BigInt(tx.yParity);
  switch (tx.txType) {
    case 0:
      return {
        ...base,
        type: 0,
        chainId: tx.protected ? chainId : null,
        gasPrice: tx.gasPrice,
        signature: { v: tx.protected ? chainId * 2n + 35n + parity : 27n + parity, r: tx.r, s: tx.s },
      };
    case 1:
      return { ...base, type: 1, chainId, gasPrice: tx.gasPrice, accessList: tx.accessList, signature: { yParity: parity, r: tx.r, s: tx.s } };
    case 2:
      return {
        ...base,
        type: 2,
        chainId,
        maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
        maxFeePerGas: tx.maxFeePerGas,
        accessList: tx.accessList,
        signature: { yParity: parity, r: tx.r, s: tx.s },
      };
  }
}

/**
 * Expands a span batch into per-L2-block batches: block i has timestamp genesis + rel_timestamp
 * + i * blockTime; L1 origins count back from l1_origin_num on the last block, stepping down
 * one wherever block i (i > 0) has its origin bit set.
 */
export function expandSpanBatch(b: RawSpanBatch, cfg: SpanBatchConfig): L2BlockBatch[] {
  const origins = new Array<bigint>(b.blockCount);
  let origin = b.l1OriginNum;
  for (let i = b.blockCount - 1; i >= 0; i--) {
    origins[i] = origin;
    if (b.originBits[i] && i > 0) {
      if (origin === 0n) throw new BatchDecodeError('span batch origin bits step below L1 block 0');
      origin -= 1n;
    }
  }
  const out: L2BlockBatch[] = [];
  let txIdx = 0;
  for (let i = 0; i < b.blockCount; i++) {
    const txs: Uint8Array[] = [];
    for (let k = 0; k < b.blockTxCounts[i]!; k++) {
      try {
        txs.push(encodeTransaction(spanTxToTransaction(b.txs[txIdx++]!, cfg.chainId)));
      } catch (e) {
        if (e instanceof TxEncodeError || e instanceof TxDecodeError) throw new BatchDecodeError(`span batch tx ${txIdx - 1}: ${e.message}`);
        throw e;
      }
    }
    out.push({
      batchType: 'span',
      timestamp: cfg.genesisTimestamp + b.relTimestamp + BigInt(i) * cfg.blockTime,
      epochNum: origins[i]!,
      parentHash: null,
      parentCheck: i === 0 ? b.parentCheck : null,
      epochHash: null,
      epochCheck: i === b.blockCount - 1 ? b.l1OriginCheck : null,
      transactions: txs,
    });
  }
  return out;
}

export function singularToL2Block(b: SingularBatch): L2BlockBatch {
  return {
    batchType: 'singular',
    timestamp: b.timestamp,
    epochNum: b.epochNum,
    parentHash: b.parentHash,
    parentCheck: b.parentHash.subarray(0, 20),
    epochHash: b.epochHash,
    epochCheck: b.epochHash.subarray(0, 20),
    transactions: b.transactions,
  };
}

/**
 * Decodes `batch_type ++ content` records laid end to end inside one batch's data. The Metis
 * Andromeda blob packs several span batches into a single RLP string this way (each a superset
 * of the previous); OP batches hold exactly one record, for which this returns one element.
 */
export function decodeConcatenatedSpanBatches(data: Uint8Array, format: SpanBatchFormat): RawSpanBatch[] {
  const out: RawSpanBatch[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] !== SPAN_BATCH_TYPE) throw new BatchDecodeError(`record ${out.length} at offset ${pos}: batch type ${data[pos]}, expected ${SPAN_BATCH_TYPE}`);
    const b = decodeSpanBatch(data.subarray(pos + 1), format);
    out.push(b);
    pos = data.length - b.trailingBytes;
  }
  return out;
}
