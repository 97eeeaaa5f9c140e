// Metis Andromeda's sequencer batch inbox calldata (MetisProtocol/mvm, data-transport-layer,
// handlers/sequencer-batch-inbox.ts). A 70-byte header, then a body whose meaning depends on
// the DA type:
//
//   [1: DA type] [1: compression] [32: batch index] [32: L2 start block] [4: block count]
//
//   DA 0 (L1 calldata): the body (zlib-compressed when compression is 11) is a run of blocks:
//     [3: tx count] [5: timestamp] [32: L1 block number] then per tx [1: kind]
//     kind 0 (sequencer): [3: length] [raw tx] [3: signature length] [sequencer signature]
//     kind 1 (enqueue):   [20: L1 origin] [16: queue index]
//   DA 1 (object store) and 2 (Celestia): the body names the data elsewhere; not derivable from
//     L1 alone, reported as such.
//   DA 3 (blobs): the body is a list of 32-byte hashes of blob transactions carrying OP frames.
import { inflateSync } from 'node:zlib';
import { addressFromBytes, type Address } from '../../vm/util/address.js';
import { bytesToHex, type Hex } from '../../vm/util/bytes.js';
import { MetisFormatError } from './errors.js';
import { ByteReader } from './reader.js';

export const METIS_INBOX_HEADER_SIZE = 70;

export type MetisDaType = 'calldata' | 'object-store' | 'celestia' | 'blobs';
const DA_TYPES: Readonly<Record<number, MetisDaType>> = { 0: 'calldata', 1: 'object-store', 2: 'celestia', 3: 'blobs' };

export type MetisCompression = 'none' | 'zlib';
const COMPRESSIONS: Readonly<Record<number, MetisCompression>> = { 0: 'none', 11: 'zlib' };

/** Decompressed inline bodies are capped like an OP channel (Fjord's max RLP bytes per channel). */
export const MAX_INLINE_BODY_BYTES = 100_000_000;

export interface MetisInboxBatch {
  readonly daType: MetisDaType;
  readonly compression: MetisCompression;
  readonly batchIndex: bigint;
  /** First L2 block of the batch (the data-transport layer stores it as index + 1). */
  readonly l2StartBlock: bigint;
  readonly blockCount: number;
  /** Bytes after the header, still compressed when `compression` is zlib. */
  readonly body: Uint8Array;
}

export function parseInboxCalldata(calldata: Uint8Array): MetisInboxBatch {
  if (calldata.length < METIS_INBOX_HEADER_SIZE) {
    throw new MetisFormatError('too-short', `metis inbox calldata is ${calldata.length} bytes, the header alone is ${METIS_INBOX_HEADER_SIZE}`);
  }
  const r = new ByteReader(calldata, 'metis inbox header');
  const daByte = r.uint(1, 'DA type');
  const daType = DA_TYPES[daByte];
  if (daType === undefined) throw new MetisFormatError('da-type', `metis inbox: unknown DA type ${daByte}`);
  const compressionByte = r.uint(1, 'compression');
  const compression = COMPRESSIONS[compressionByte];
  if (compression === undefined) throw new MetisFormatError('compression', `metis inbox: unknown compression type ${compressionByte}`);
  const batchIndex = r.bigUint(32, 'batch index');
  const l2StartBlock = r.bigUint(32, 'L2 start');
  const blockCount = r.uint(4, 'total blocks');
  return { daType, compression, batchIndex, l2StartBlock, blockCount, body: calldata.subarray(METIS_INBOX_HEADER_SIZE) };
}

/** DA type 3: the hashes of the blob transactions that carry this batch's frames, in order. */
export function blobTxHashes(batch: MetisInboxBatch): Hex[] {
  if (batch.daType !== 'blobs') throw new MetisFormatError('da-type', `metis inbox: DA type ${batch.daType} has no blob transaction hashes`);
  if (batch.body.length % 32 !== 0) {
    throw new MetisFormatError('truncated', `metis inbox: blob tx hash list is ${batch.body.length} bytes, not a multiple of 32`);
  }
  const out: Hex[] = [];
  for (let i = 0; i < batch.body.length; i += 32) out.push(bytesToHex(batch.body.subarray(i, i + 32)));
  return out;
}

export type MetisInlineTransaction =
  | { readonly kind: 'sequencer'; readonly raw: Hex; readonly sequencerSignature: Hex }
  | { readonly kind: 'enqueue'; readonly l1Origin: Address; readonly queueIndex: bigint };

export interface MetisInlineBlock {
  readonly l2BlockNumber: bigint;
  readonly timestamp: number;
  readonly l1BlockNumber: bigint;
  readonly transactions: readonly MetisInlineTransaction[];
}

function inflateCapped(body: Uint8Array): Uint8Array {
  try {
    // maxOutputLength makes zlib stop at the cap instead of inflating a bomb into memory.
    return inflateSync(body, { maxOutputLength: MAX_INLINE_BODY_BYTES });
  } catch (e) {
    throw new MetisFormatError('compression', `metis inbox: zlib body does not inflate within ${MAX_INLINE_BODY_BYTES} bytes: ${(e as Error).message}`);
  }
}

/** DA type 0: the blocks carried inline in the calldata. */
export function decodeInlineBlocks(batch: MetisInboxBatch): MetisInlineBlock[] {
  if (batch.daType !== 'calldata') throw new MetisFormatError('da-type', `metis inbox: DA type ${batch.daType} carries no inline blocks`);
  const body = batch.compression === 'zlib' ? inflateCapped(batch.body) : batch.body;
  const r = new ByteReader(body, 'metis inline batch');
  const blocks: MetisInlineBlock[] = [];
  while (r.remaining > 0) {
    const txCount = r.uint(3, 'tx count');
    const timestamp = r.uint(5, 'block timestamp');
    const l1BlockNumber = r.bigUint(32, 'L1 block number');
    const transactions: MetisInlineTransaction[] = [];
    for (let i = 0; i < txCount; i++) {
      const kind = r.uint(1, 'tx kind');
      if (kind === 0) {
        const raw = bytesToHex(r.take(r.uint(3, 'tx length'), 'raw tx'));
        const sequencerSignature = bytesToHex(r.take(r.uint(3, 'signature length'), 'sequencer signature'));
        transactions.push({ kind: 'sequencer', raw, sequencerSignature });
      } else if (kind === 1) {
        const l1Origin = addressFromBytes(r.take(20, 'L1 origin'));
        const queueIndex = r.bigUint(16, 'queue index');
        transactions.push({ kind: 'enqueue', l1Origin, queueIndex });
      } else {
        throw new MetisFormatError('transaction', `metis inline batch: unknown transaction kind ${kind} at offset ${r.offset - 1}`);
      }
    }
    blocks.push({ l2BlockNumber: batch.l2StartBlock + BigInt(blocks.length), timestamp, l1BlockNumber, transactions });
  }
  if (blocks.length !== batch.blockCount) {
    throw new MetisFormatError('truncated', `metis inline batch: header says ${batch.blockCount} blocks, body holds ${blocks.length}`);
  }
  return blocks;
}

/** Encodes an inbox batch (the devnet's Metis-style batcher and tests use it). */
export function encodeInboxCalldata(batch: Omit<MetisInboxBatch, 'body'> & { readonly body: Uint8Array }): Uint8Array {
  const daByte = Number(Object.entries(DA_TYPES).find(([, v]) => v === batch.daType)![0]);
  const cByte = batch.compression === 'zlib' ? 11 : 0;
  const out = new Uint8Array(METIS_INBOX_HEADER_SIZE + batch.body.length);
  out[0] = daByte;
  out[1] = cByte;
  const put = (value: bigint, offset: number, size: number): void => {
    for (let i = size - 1, v = value; i >= 0; i--, v >>= 8n) out[offset + i] = Number(v & 0xffn);
  };
  put(batch.batchIndex, 2, 32);
  put(batch.l2StartBlock, 34, 32);
  put(BigInt(batch.blockCount), 66, 4);
  out.set(batch.body, METIS_INBOX_HEADER_SIZE);
  return out;
}
