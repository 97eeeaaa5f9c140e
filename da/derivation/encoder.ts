// The batcher side, for devnets and round-trip tests: L2 blocks → singular or span batches →
// one compressed channel → frames no larger than a maximum size → batcher-transaction payloads.
import { rlpEncode, rlpEncodeBytes, type RlpInput } from '../../vm/rlp/rlp.js';
import { decodeTransaction } from '../../vm/tx/codec.js';
import type { AccessListEntry } from '../../vm/tx/types.js';
import { addressToBytes } from '../../vm/util/address.js';
import { bigIntToBytes, concatBytes } from '../../vm/util/bytes.js';
import { SINGULAR_BATCH_TYPE, SPAN_BATCH_TYPE, MAX_SPAN_BATCH_ELEMENT_COUNT, type SpanBatchConfig } from './batch.js';
import { compressChannel, type ChannelCompression } from './compression.js';
import { BatchEncodeError } from './errors.js';
import { CHANNEL_ID_LENGTH, FRAME_OVERHEAD, MAX_FRAME_LEN, encodeFramesPayload, type Frame } from './frame.js';
import { writeBits, writeUvarint } from './wire.js';

/** An L2 block as the batcher sees it. */
export interface L2BlockInput {
  readonly parentHash: Uint8Array;
  readonly epochNum: bigint;
  readonly epochHash: Uint8Array;
  readonly timestamp: bigint;
  /** Raw signed transactions (no deposits: those are derived from L1, never batched). */
  readonly transactions: readonly Uint8Array[];
}

function need32(b: Uint8Array, what: string): Uint8Array {
  if (b.length !== 32) throw new BatchEncodeError(`${what} must be 32 bytes, got ${b.length}`);
  return b;
}

export function encodeSingularBatch(block: L2BlockInput): Uint8Array {
  const body = rlpEncode([
    need32(block.parentHash, 'parent_hash'),
    block.epochNum,
    need32(block.epochHash, 'epoch_hash'),
    block.timestamp,
    [...block.transactions],
  ]);
  return concatBytes(Uint8Array.of(SINGULAR_BATCH_TYPE), body);
}

function accessListRlp(list: readonly AccessListEntry[]): RlpInput {
  return list.map((e) => [addressToBytes(e.address), e.storageKeys.map((k) => bigIntToBytes(k, 32))]);
}

export interface SpanEncodeOptions extends SpanBatchConfig {
  /**
   * Whether the first block starts a new L1 origin relative to its parent (sequence number 0).
   * Only the first block's bit cannot be inferred from the blocks themselves.
   */
  readonly firstOriginChanged?: boolean;
}

/** Encodes consecutive L2 blocks as one span batch (`0x01 ++ prefix ++ payload`). */
export function encodeSpanBatch(blocks: readonly L2BlockInput[], opts: SpanEncodeOptions): Uint8Array {
  if (blocks.length === 0) throw new BatchEncodeError('a span batch needs at least one block');
  if (blocks.length > MAX_SPAN_BATCH_ELEMENT_COUNT) throw new BatchEncodeError('too many blocks for one span batch');
  const first = blocks[0]!;
  const last = blocks[blocks.length - 1]!;
  if (first.timestamp < opts.genesisTimestamp) throw new BatchEncodeError('first block is older than L2 genesis');
  const originBits: boolean[] = [];
  blocks.forEach((b, i) => {
    if (b.timestamp !== first.timestamp + BigInt(i) * opts.blockTime) {
      throw new BatchEncodeError(`block ${i} timestamp ${b.timestamp} is not ${first.timestamp} + ${i} * ${opts.blockTime}`);
    }
    if (i === 0) {
      originBits.push(opts.firstOriginChanged ?? false);
      return;
    }
    const step = b.epochNum - blocks[i - 1]!.epochNum;
    if (step !== 0n && step !== 1n) throw new BatchEncodeError(`block ${i} L1 origin moves by ${step}; span batches allow 0 or 1`);
    originBits.push(step === 1n);
  });

  const out: number[] = [SPAN_BATCH_TYPE];
  writeUvarint(out, first.timestamp - opts.genesisTimestamp);
  writeUvarint(out, last.epochNum);
  out.push(...need32(first.parentHash, 'parent_hash').subarray(0, 20));
  out.push(...need32(last.epochHash, 'epoch_hash').subarray(0, 20));
  writeUvarint(out, BigInt(blocks.length));
  writeBits(out, originBits);
  for (const b of blocks) writeUvarint(out, BigInt(b.transactions.length));

  const creation: boolean[] = [];
  const parity: boolean[] = [];
  const sigs: Uint8Array[] = [];
  const tos: Uint8Array[] = [];
  const datas: Uint8Array[] = [];
  const nonces: bigint[] = [];
  const gases: bigint[] = [];
  const protectedBits: boolean[] = [];
  for (const raw of blocks.flatMap((b) => b.transactions)) {
    const tx = decodeTransaction(raw);
    if (tx.signature === undefined) throw new BatchEncodeError('span batches carry signed transactions only');
    let yParity: bigint;
    if (tx.type === 0) {
      const v = tx.signature.v;
      const isProtected = tx.chainId !== null;
      if (isProtected && tx.chainId !== opts.chainId) throw new BatchEncodeError(`legacy tx for chain ${tx.chainId}, span batch is for ${opts.chainId}`);
      yParity = isProtected ? v - 35n - 2n * opts.chainId : v - 27n;
      protectedBits.push(isProtected);
      datas.push(rlpEncode([tx.value, tx.gasPrice, tx.data]));
    } else if (tx.type === 1 || tx.type === 2) {
      if (tx.chainId !== opts.chainId) throw new BatchEncodeError(`type ${tx.type} tx for chain ${tx.chainId}, span batch is for ${opts.chainId}`);
      yParity = tx.signature.yParity;
      const fields: RlpInput[] =
        tx.type === 1
          ? [tx.value, tx.gasPrice, tx.data, accessListRlp(tx.accessList)]
          : [tx.value, tx.maxPriorityFeePerGas, tx.maxFeePerGas, tx.data, accessListRlp(tx.accessList)];
      datas.push(concatBytes(Uint8Array.of(tx.type), rlpEncode(fields)));
    } else {
      throw new BatchEncodeError(`transaction type ${tx.type} cannot go in a span batch`);
    }
    if (yParity !== 0n && yParity !== 1n) throw new BatchEncodeError(`signature y parity ${yParity} is not 0 or 1`);
    parity.push(yParity === 1n);
    sigs.push(concatBytes(bigIntToBytes(tx.signature.r, 32), bigIntToBytes(tx.signature.s, 32)));
    creation.push(tx.to === null);
    if (tx.to !== null) tos.push(addressToBytes(tx.to));
    nonces.push(tx.nonce);
    gases.push(tx.gasLimit);
  }
  writeBits(out, creation);
  writeBits(out, parity);
  const head = Uint8Array.from(out);
  const tail: number[] = [];
  for (const n of nonces) writeUvarint(tail, n);
  for (const g of gases) writeUvarint(tail, g);
  writeBits(tail, protectedBits);
  return concatBytes(head, ...sigs, ...tos, ...datas, Uint8Array.from(tail));
}

/** The decompressed channel: each batch as an RLP byte string, concatenated. */
export function encodeChannelData(batches: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...batches.map(rlpEncodeBytes));
}

/** Splits compressed channel data into frames of at most `maxFrameSize` encoded bytes each. */
export function splitIntoFrames(channelId: Uint8Array, data: Uint8Array, maxFrameSize: number): Frame[] {
  if (channelId.length !== CHANNEL_ID_LENGTH) throw new BatchEncodeError(`channel id must be ${CHANNEL_ID_LENGTH} bytes`);
  const perFrame = Math.min(maxFrameSize - FRAME_OVERHEAD, MAX_FRAME_LEN);
  if (perFrame < 1) throw new BatchEncodeError(`max frame size ${maxFrameSize} leaves no room past the ${FRAME_OVERHEAD}-byte frame overhead`);
  const count = Math.max(1, Math.ceil(data.length / perFrame));
  if (count > 0x10000) throw new BatchEncodeError(`channel needs ${count} frames, frame numbers are uint16`);
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    frames.push({ channelId, frameNumber: i, data: data.subarray(i * perFrame, (i + 1) * perFrame), isLast: i === count - 1 });
  }
  return frames;
}

export interface BatcherOptions {
  readonly batchType: 'singular' | 'span';
  readonly compression: ChannelCompression;
  readonly channelId: Uint8Array;
  /** Largest batcher-transaction payload (version byte + one frame), e.g. a blob's 130044 bytes. */
  readonly maxPayloadSize: number;
  /** Needed for span batches. */
  readonly span?: SpanEncodeOptions;
}

export interface BatcherOutput {
  readonly channelData: Uint8Array;
  readonly compressed: Uint8Array;
  readonly frames: readonly Frame[];
  /** One payload per batcher transaction: derivation version 0 and one frame. */
  readonly payloads: readonly Uint8Array[];
}

/** Everything a devnet batcher posts for `blocks`, as one channel. */
export function buildBatcherPayloads(blocks: readonly L2BlockInput[], opts: BatcherOptions): BatcherOutput {
  let batches: Uint8Array[];
  if (opts.batchType === 'span') {
    if (opts.span === undefined) throw new BatchEncodeError('span batches need span options (genesis timestamp, block time, chain id)');
    batches = [encodeSpanBatch(blocks, opts.span)];
  } else {
    batches = blocks.map(encodeSingularBatch);
  }
  const channelData = encodeChannelData(batches);
  const compressed = compressChannel(channelData, opts.compression);
  // The payload's version byte comes on top of the frame.
  const frames = splitIntoFrames(opts.channelId, compressed, opts.maxPayloadSize - 1);
  return { channelData, compressed, frames, payloads: frames.map((f) => encodeFramesPayload([f])) };
}
