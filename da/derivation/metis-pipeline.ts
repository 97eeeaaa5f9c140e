// Metis Andromeda inbox batches → per-L2-block output, in the shape the OP pipeline gives.
// Two sources: DA type 0 batches carry their blocks inline (number, timestamp, L1 block and the
// sequencer's raw transactions); DA type 3 batches point at blobs holding ordinary OP frames whose
// channel holds one type-1 batch made of Metis span batches laid end to end, each repeating the
// previous one's blocks and adding one (so the last record is the whole batch). Metis span
// batches store the L1 timestamp and the first L2 block number, not per-block timestamps or L1
// origins, so those stay null here rather than guessed.
import { decodeConcatenatedSpanBatches, expandSpanBatch, readBatchData, type RawSpanBatch } from './batch.js';
import { ChannelBank, FJORD_MAX_CHANNEL_BANK_SIZE, MAX_CHANNEL_BANK_SIZE, type ReadyChannel } from './channel-bank.js';
import { decompressChannel, FJORD_MAX_RLP_BYTES_PER_CHANNEL, MAX_RLP_BYTES_PER_CHANNEL, type ChannelCompression } from './compression.js';
import { BatchDecodeError, CompressionError, FrameError, PipelineError } from './errors.js';
import type { DerivationEvent } from './events.js';
import { parseFrames } from './frame.js';
import type { MetisInlineBlock } from '../metis/index.js';
import { hexToBytes, type Hex } from '../../vm/util/bytes.js';

export interface MetisDerivationConfig {
  readonly channelTimeout: number;
  readonly fjord: boolean;
  /** Metis L2 chain id (1088 on Andromeda): span batches leave it out of transactions. */
  readonly chainId: bigint;
}

/** What one Metis inbox transaction handed over (the retrieval layer's MetisBatchData fits). */
export interface MetisBatchInput {
  readonly txHash: Hex;
  /** DA type 3: frame payloads of the referenced blobs, in order. */
  readonly payloads: readonly { readonly data: Uint8Array }[];
  /** DA type 0: the inline blocks. */
  readonly inlineBlocks: readonly MetisInlineBlock[];
}

export interface MetisDerivedBlock {
  readonly source: 'span' | 'inline';
  /** L1 block of the inbox transaction (inline) or where the channel completed (span). */
  readonly l1Block: number;
  readonly channelId: string | null;
  readonly compression: ChannelCompression | null;
  readonly l2BlockNumber: bigint;
  /** Inline blocks carry their timestamp; span batches only the batch's L1 timestamp. */
  readonly timestamp: bigint | null;
  /** The span batch's L1 timestamp (null for inline blocks). */
  readonly l1Timestamp: bigint | null;
  /** Inline blocks name their L1 block; span batches do not say per block. */
  readonly epochNum: bigint | null;
  readonly parentCheck: Uint8Array | null;
  readonly epochCheck: Uint8Array | null;
  /** Sequencer transactions, raw, in order. */
  readonly transactions: readonly Uint8Array[];
  /** L1→L2 (enqueued) transactions in the block: their content is on L1, not in the batch. */
  readonly enqueued: number;
}

export interface MetisBlockResult {
  readonly blocks: MetisDerivedBlock[];
  readonly events: DerivationEvent[];
}

export class MetisDerivation {
  private readonly bank: ChannelBank;
  private readonly maxRlpBytes: number;
  private lastL1Block: number | null = null;

  constructor(readonly config: MetisDerivationConfig) {
    this.maxRlpBytes = config.fjord ? FJORD_MAX_RLP_BYTES_PER_CHANNEL : MAX_RLP_BYTES_PER_CHANNEL;
    this.bank = new ChannelBank({
      channelTimeout: config.channelTimeout,
      canyon: true,
      maxChannelBankSize: config.fjord ? FJORD_MAX_CHANNEL_BANK_SIZE : MAX_CHANNEL_BANK_SIZE,
    });
  }

  get pendingChannels(): number {
    return this.bank.channelCount;
  }

  /** One L1 block's Metis inbox batches, in transaction order; blocks must increase. */
  async addL1Block(l1Block: number, batches: readonly MetisBatchInput[]): Promise<MetisBlockResult> {
    if (this.lastL1Block !== null && l1Block <= this.lastL1Block) throw new PipelineError(`L1 block ${l1Block} fed after ${this.lastL1Block}; blocks must increase`);
    this.lastL1Block = l1Block;
    const result: MetisBlockResult = { blocks: [], events: [] };
    await this.drain(l1Block, result);
    let payloadIndex = 0;
    for (const b of batches) {
      for (const ib of b.inlineBlocks) result.blocks.push(inlineBlock(ib, l1Block));
      for (const p of b.payloads) {
        let frames;
        try {
          frames = parseFrames(p.data);
        } catch (e) {
          if (!(e instanceof FrameError)) throw e;
          result.events.push({ kind: 'payload-dropped', l1Block, payloadIndex, reason: `${e.reason}: ${e.message}` });
          payloadIndex++;
          continue;
        }
        payloadIndex++;
        for (const f of frames) {
          result.events.push(...this.bank.ingestFrame(f, l1Block));
          await this.drain(l1Block, result);
        }
      }
    }
    return result;
  }

  private async drain(l1Block: number, result: MetisBlockResult): Promise<void> {
    for (;;) {
      const ch = this.bank.read(l1Block, result.events);
      if (ch === null) return;
      await this.readChannel(ch, l1Block, result);
    }
  }

  private async readChannel(ch: ReadyChannel, l1Block: number, result: MetisBlockResult): Promise<void> {
    const drop = (code: 'unknown-compression' | 'decompression-failed' | 'size-cap' | 'bad-batch-rlp' | 'bad-batch', reason: string, kept: number): void =>
      void result.events.push({ kind: 'channel-data-dropped', code, l1Block, channelId: ch.idHex, batchesKept: kept, reason });
    let d;
    try {
      d = await decompressChannel(ch.data, { fjord: this.config.fjord, maxBytes: this.maxRlpBytes });
    } catch (e) {
      if (!(e instanceof CompressionError)) throw e;
      drop('unknown-compression', e.message, 0);
      return;
    }
    const { batches, error } = readBatchData(d.data);
    let kept = 0;
    for (let i = 0; i < batches.length; i++) {
      let last: RawSpanBatch;
      let blocks;
      try {
        const records = decodeConcatenatedSpanBatches(batches[i]!, 'metis');
        last = records[records.length - 1]!;
        // The records are cumulative: a shorter last one means the data is not what we think.
        if (records.some((r, k) => k > 0 && r.blockCount < records[k - 1]!.blockCount)) {
          throw new BatchDecodeError(`Metis span records are not cumulative (block counts ${records.map((r) => r.blockCount).join(', ')})`);
        }
        // Block time 0 and genesis 0: the timestamps expandSpanBatch computes are not used.
        blocks = expandSpanBatch(last, { genesisTimestamp: 0n, blockTime: 0n, chainId: this.config.chainId });
      } catch (e) {
        if (!(e instanceof BatchDecodeError)) throw e;
        drop('bad-batch', `batch ${i}: ${e.message}`, kept);
        return;
      }
      const extras = last.metis!;
      let txIdx = 0;
      blocks.forEach((b, k) => {
        const count = last.blockTxCounts[k]!;
        const enqueued = extras.enqueued.slice(txIdx, txIdx + count).filter((x) => x).length;
        txIdx += count;
        result.blocks.push({
          source: 'span',
          l1Block,
          channelId: ch.idHex,
          compression: d.algorithm,
          l2BlockNumber: extras.l2StartBlock + BigInt(k),
          timestamp: null,
          l1Timestamp: extras.l1Timestamp,
          epochNum: null,
          parentCheck: b.parentCheck,
          epochCheck: null,
          transactions: b.transactions,
          enqueued,
        });
      });
      kept++;
    }
    if (d.stopped !== null && !(d.stopped.code === 'truncated' && error === null)) {
      drop(d.stopped.code === 'truncated' ? 'decompression-failed' : d.stopped.code, d.stopped.reason + (error === null ? '' : `; last batch incomplete: ${error}`), kept);
    } else if (d.stopped === null && error !== null) {
      drop('bad-batch-rlp', error, kept);
    }
  }
}

function inlineBlock(b: MetisInlineBlock, l1Block: number): MetisDerivedBlock {
  const seq = b.transactions.filter((t) => t.kind === 'sequencer');
  return {
    source: 'inline',
    l1Block,
    channelId: null,
    compression: null,
    l2BlockNumber: b.l2BlockNumber,
    timestamp: BigInt(b.timestamp),
    l1Timestamp: null,
    epochNum: b.l1BlockNumber,
    parentCheck: null,
    epochCheck: null,
    transactions: seq.map((t) => hexToBytes(t.raw)),
    enqueued: b.transactions.length - seq.length,
  };
}
