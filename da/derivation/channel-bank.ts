// The channel bank of the derivation spec: frames from L1 are buffered per channel, channels are
// kept in first-seen order, time out `channelTimeout` L1 blocks after they open, and the oldest
// are pruned while the bank exceeds its maximum size. Pure state machine: no I/O, no logging.
import { Channel } from './channel.js';
import { channelIdToHex, type Frame } from './frame.js';
import type { DerivationEvent } from './events.js';

/** MAX_CHANNEL_BANK_SIZE before Fjord and from Fjord on. */
export const MAX_CHANNEL_BANK_SIZE = 100_000_000;
export const FJORD_MAX_CHANNEL_BANK_SIZE = 1_000_000_000;

export interface ChannelBankConfig {
  /** CHANNEL_TIMEOUT in L1 blocks (OP mainnet: 300 before Granite, 50 from Granite). */
  readonly channelTimeout: number;
  readonly maxChannelBankSize: number;
  /**
   * Canyon and later: any ready channel may be read, in first-seen order. Before Canyon only
   * the oldest channel can be read, so an unready head blocks the bank.
   */
  readonly canyon: boolean;
}

export interface ReadyChannel {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly openBlock: number;
  /** The L1 block whose frame completed the channel. */
  readonly highestL1InclusionBlock: number;
  readonly frameCount: number;
  /** The compressed channel data (frames' data in order). */
  readonly data: Uint8Array;
}

export class ChannelBank {
  private readonly channels = new Map<string, Channel>();
  /** Channel ids in first-seen order. */
  private queue: string[] = [];

  constructor(readonly config: ChannelBankConfig) {}

  get channelCount(): number {
    return this.queue.length;
  }

  /** Total accounted size (frame data + per-frame overhead) of all buffered channels. */
  get totalSize(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.size;
    return n;
  }

  private timedOut(ch: Channel, l1Block: number): boolean {
    return ch.openBlock + this.config.channelTimeout < l1Block;
  }

  private remove(idHex: string): void {
    this.channels.delete(idHex);
    this.queue = this.queue.filter((x) => x !== idHex);
  }

  /** Buffers one frame seen in L1 block `l1Block`; returns what was dropped on the way. */
  ingestFrame(frame: Frame, l1Block: number): DerivationEvent[] {
    const events: DerivationEvent[] = [];
    const idHex = channelIdToHex(frame.channelId);
    let ch = this.channels.get(idHex);
    if (ch === undefined) {
      ch = new Channel(frame.channelId, l1Block);
      this.channels.set(idHex, ch);
      this.queue.push(idHex);
    }
    if (this.timedOut(ch, l1Block)) {
      events.push({
        kind: 'frame-dropped',
        code: 'channel-timed-out',
        l1Block,
        channelId: idHex,
        frameNumber: frame.frameNumber,
        reason: `channel opened at L1 ${ch.openBlock} timed out after ${this.config.channelTimeout} blocks`,
      });
      return events;
    }
    const { rejected, evicted } = ch.addFrame(frame, l1Block);
    for (const f of evicted) {
      events.push({
        kind: 'frame-dropped',
        code: 'beyond-closing-frame',
        l1Block,
        channelId: idHex,
        frameNumber: f.frameNumber,
        reason: `removed: closing frame ${frame.frameNumber} arrived`,
      });
    }
    if (rejected !== null) {
      events.push({ kind: 'frame-dropped', code: rejected.code, l1Block, channelId: idHex, frameNumber: frame.frameNumber, reason: rejected.reason });
      return events;
    }
    this.prune(l1Block, events);
    return events;
  }

  private prune(l1Block: number, events: DerivationEvent[]): void {
    let total = this.totalSize;
    while (total > this.config.maxChannelBankSize && this.queue.length > 0) {
      const idHex = this.queue[0]!;
      const ch = this.channels.get(idHex)!;
      total -= ch.size;
      this.remove(idHex);
      events.push({
        kind: 'channel-pruned',
        l1Block,
        channelId: idHex,
        frames: ch.frameCount,
        reason: `channel bank size exceeds ${this.config.maxChannelBankSize} bytes; oldest channel evicted`,
      });
    }
  }

  /**
   * Reads the next channel, as op-node's ChannelBank.Read with the current L1 block `l1Block`:
   * a timed-out oldest channel is dropped (reported), then the first ready channel (only the
   * oldest before Canyon) is removed and returned. Returns null when nothing is ready.
   */
  read(l1Block: number, events: DerivationEvent[]): ReadyChannel | null {
    for (;;) {
      const headId = this.queue[0];
      if (headId === undefined) return null;
      const head = this.channels.get(headId)!;
      if (this.timedOut(head, l1Block)) {
        this.remove(headId);
        events.push({
          kind: 'channel-timed-out',
          l1Block,
          channelId: headId,
          openBlock: head.openBlock,
          frames: head.frameCount,
          reason: `opened at L1 ${head.openBlock}, not complete by L1 ${head.openBlock + this.config.channelTimeout}`,
        });
        continue;
      }
      const candidates = this.config.canyon ? this.queue : [headId];
      for (const id of candidates) {
        const ch = this.channels.get(id)!;
        if (this.timedOut(ch, l1Block) || !ch.isReady()) continue;
        this.remove(id);
        return {
          id: ch.id,
          idHex: id,
          openBlock: ch.openBlock,
          highestL1InclusionBlock: ch.highestL1InclusionBlock,
          frameCount: ch.frameCount,
          data: ch.assemble(),
        };
      }
      return null;
    }
  }
}
