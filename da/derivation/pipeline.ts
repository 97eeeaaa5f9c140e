// The convenience pipeline: L1 blocks' batcher payloads in, per-L2-block batches and drop events
// out. It follows op-node's stage order (frame queue → channel bank → channel reader → batches)
// and reads ready channels after every frame, as op-node's pull loop does. It stops before the
// batch queue: checking batches against the L2 safe head and L1 origins needs chain state.
import { decodeBatch, expandSpanBatch, readBatchData, singularToL2Block, type L2BlockBatch } from './batch.js';
import { ChannelBank, FJORD_MAX_CHANNEL_BANK_SIZE, MAX_CHANNEL_BANK_SIZE, type ReadyChannel } from './channel-bank.js';
import { decompressChannel, FJORD_MAX_RLP_BYTES_PER_CHANNEL, MAX_RLP_BYTES_PER_CHANNEL, type ChannelCompression } from './compression.js';
import { BatchDecodeError, CompressionError, FrameError, PipelineError } from './errors.js';
import type { DerivationEvent } from './events.js';
import { parseFrames } from './frame.js';

export interface DerivationConfig {
  /** CHANNEL_TIMEOUT in L1 blocks. */
  readonly channelTimeout: number;
  /** Fjord: brotli channels allowed, larger channel bank and decompression caps. */
  readonly fjord: boolean;
  /** Canyon: any ready channel is read, not only the oldest. Default true. */
  readonly canyon?: boolean;
  /** Holocene: strict frame order, one staging channel (batch-queue rules are not covered). Default false. */
  readonly holocene?: boolean;
  /** Delta: span batches accepted. Default true. */
  readonly delta?: boolean;
  /** Defaults to MAX_CHANNEL_BANK_SIZE for the fork. */
  readonly maxChannelBankSize?: number;
  /** Decompressed bytes kept per channel; defaults to MAX_RLP_BYTES_PER_CHANNEL for the fork. */
  readonly maxRlpBytesPerChannel?: number;
  readonly genesisTimestamp: bigint;
  /** L2 block time in seconds. */
  readonly blockTime: bigint;
  /** L2 chain id (span batches drop it from transactions). */
  readonly chainId: bigint;
}

export interface DerivedBatch extends L2BlockBatch {
  readonly channelId: string;
  /** The L1 block in which the channel became ready and was read. */
  readonly l1Block: number;
  readonly compression: ChannelCompression;
  /** Index of the batch within its channel. */
  readonly batchIndex: number;
}

export interface L1BlockResult {
  readonly batches: DerivedBatch[];
  readonly events: DerivationEvent[];
}

export class DerivationPipeline {
  private readonly bank: ChannelBank;
  private lastL1Block: number | null = null;
  private busy = false;
  private readonly maxRlpBytes: number;

  constructor(readonly config: DerivationConfig) {
    this.maxRlpBytes = config.maxRlpBytesPerChannel ?? (config.fjord ? FJORD_MAX_RLP_BYTES_PER_CHANNEL : MAX_RLP_BYTES_PER_CHANNEL);
    this.bank = new ChannelBank({
      channelTimeout: config.channelTimeout,
      canyon: config.canyon ?? true,
      maxChannelBankSize: config.maxChannelBankSize ?? (config.fjord ? FJORD_MAX_CHANNEL_BANK_SIZE : MAX_CHANNEL_BANK_SIZE),
      holocene: config.holocene ?? false,
      maxRlpBytesPerChannel: this.maxRlpBytes,
    });
  }

  /** Channels still buffered (incomplete, or waiting behind an older one before Canyon). */
  get pendingChannels(): number {
    return this.bank.channelCount;
  }

  /**
   * Feeds one L1 block's batcher-transaction payloads (already filtered to the batch inbox and
   * batcher, in transaction order). Blocks must come in increasing order; skipped numbers are
   * blocks without batcher transactions.
   */
  async addL1Block(l1BlockNumber: number, payloads: readonly Uint8Array[]): Promise<L1BlockResult> {
    if (!Number.isSafeInteger(l1BlockNumber) || l1BlockNumber < 0) throw new PipelineError(`bad L1 block number ${l1BlockNumber}`);
    if (this.lastL1Block !== null && l1BlockNumber <= this.lastL1Block) {
      throw new PipelineError(`L1 block ${l1BlockNumber} fed after ${this.lastL1Block}; blocks must increase`);
    }
    if (this.busy) throw new PipelineError('addL1Block called while the previous call is still running; await it first');
    this.lastL1Block = l1BlockNumber;
    this.busy = true;
    try {
      return await this.process(l1BlockNumber, payloads);
    } finally {
      this.busy = false;
    }
  }

  private async process(l1BlockNumber: number, payloads: readonly Uint8Array[]): Promise<L1BlockResult> {
    const result: L1BlockResult = { batches: [], events: [] };
    // A new L1 origin can time out channels before any new frame arrives.
    await this.drain(l1BlockNumber, result);
    for (let i = 0; i < payloads.length; i++) {
      let frames;
      try {
        frames = parseFrames(payloads[i]!);
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        result.events.push({ kind: 'payload-dropped', l1Block: l1BlockNumber, payloadIndex: i, reason: `${e.reason}: ${e.message}` });
        continue;
      }
      for (const frame of frames) {
        result.events.push(...this.bank.ingestFrame(frame, l1BlockNumber));
        await this.drain(l1BlockNumber, result);
      }
    }
    return result;
  }

  private async drain(l1Block: number, result: L1BlockResult): Promise<void> {
    for (;;) {
      const ch = this.bank.read(l1Block, result.events);
      if (ch === null) return;
      await this.readChannel(ch, l1Block, result);
    }
  }

  private async readChannel(ch: ReadyChannel, l1Block: number, result: L1BlockResult): Promise<void> {
    const drop = (code: 'unknown-compression' | 'decompression-failed' | 'size-cap' | 'bad-batch-rlp' | 'bad-batch', reason: string, kept: number): void => {
      result.events.push({ kind: 'channel-data-dropped', code, l1Block, channelId: ch.idHex, batchesKept: kept, reason });
    };
    let decompressed;
    try {
      decompressed = await decompressChannel(ch.data, { fjord: this.config.fjord, maxBytes: this.maxRlpBytes });
    } catch (e) {
      if (!(e instanceof CompressionError)) throw e;
      drop('unknown-compression', e.message, 0);
      return;
    }
    const { batches: datas, error } = readBatchData(decompressed.data);
    let kept = 0;
    for (let i = 0; i < datas.length; i++) {
      let blocks: L2BlockBatch[];
      try {
        const batch = decodeBatch(datas[i]!);
        if (batch.type === 'span') {
          if (this.config.delta === false) throw new BatchDecodeError('span batch before Delta');
          blocks = expandSpanBatch(batch, this.config);
        } else {
          blocks = [singularToL2Block(batch)];
        }
      } catch (e) {
        if (!(e instanceof BatchDecodeError)) throw e;
        // op-node skips the rest of the channel after an undecodable batch.
        drop('bad-batch', `batch ${i}: ${e.message}`, kept);
        return;
      }
      for (const b of blocks) {
        result.batches.push({ ...b, channelId: ch.idHex, l1Block, compression: decompressed.algorithm, batchIndex: i });
      }
      kept++;
    }
    const stop = decompressed.stopped;
    if (stop !== null) {
      // A stream that merely stops at a batch boundary lost nothing (op-batcher channels
      // usually end with a sync flush, not a final block); op-node only logs a warning there.
      if (stop.code === 'truncated' && error === null) return;
      const code = stop.code === 'truncated' ? 'decompression-failed' : stop.code;
      drop(code, stop.reason + (error === null ? '' : `; last batch incomplete: ${error}`), kept);
    } else if (error !== null) {
      drop('bad-batch-rlp', error, kept);
    }
  }
}
