// The channel bank of the derivation spec: frames from L1 are buffered per channel, channels are
// kept in first-seen order, time out `channelTimeout` L1 blocks after they open, and the oldest
// are pruned while the bank exceeds its maximum size. Pure state machine: no I/O, no logging.
import { Channel } from './channel.js';
import { channelIdToHex, type Frame } from './frame.js';
import type { DerivationEvent, FrameDropReason } from './events.js';

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
  /**
   * Holocene: frames must arrive in order and the bank holds a single staging channel; a first
   * frame replaces an unfinished staging channel, anything out of order is dropped at once.
   */
  readonly holocene?: boolean;
  /** Holocene drops a staging channel whose accounted size exceeds this (MAX_RLP_BYTES_PER_CHANNEL). */
  readonly maxRlpBytesPerChannel?: number;
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
    if (this.config.holocene) return this.ingestFrameHolocene(frame, l1Block);
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

  /** The staging channel under Holocene (the only entry of the queue, if any). */
  private staging(): Channel | undefined {
    const id = this.queue[0];
    return id === undefined ? undefined : this.channels.get(id);
  }

  private dropStaging(l1Block: number, events: DerivationEvent[], kind: 'channel-timed-out' | 'channel-pruned', reason: string): void {
    const ch = this.staging();
    if (ch === undefined) return;
    this.remove(ch.idHex);
    if (kind === 'channel-timed-out') {
      events.push({ kind, l1Block, channelId: ch.idHex, openBlock: ch.openBlock, frames: ch.frameCount, reason });
    } else {
      events.push({ kind, l1Block, channelId: ch.idHex, frames: ch.frameCount, reason });
    }
  }

  private timeOutStaging(l1Block: number, events: DerivationEvent[]): void {
    const ch = this.staging();
    if (ch !== undefined && this.timedOut(ch, l1Block)) {
      this.dropStaging(l1Block, events, 'channel-timed-out', `opened at L1 ${ch.openBlock}, not complete by L1 ${ch.openBlock + this.config.channelTimeout}`);
    }
  }

  // Holocene's frame queue and channel bank rules, applied frame by frame (op-node's
  // ChannelAssembler re-checks the frame queue's ordering, so checking once here is equivalent).
  private ingestFrameHolocene(frame: Frame, l1Block: number): DerivationEvent[] {
    const events: DerivationEvent[] = [];
    const idHex = channelIdToHex(frame.channelId);
    const drop = (code: FrameDropReason, reason: string): DerivationEvent[] => {
      events.push({ kind: 'frame-dropped', code, l1Block, channelId: idHex, frameNumber: frame.frameNumber, reason });
      return events;
    };
    this.timeOutStaging(l1Block, events);
    if (frame.frameNumber === 0) {
      const old = this.staging();
      if (old !== undefined) this.dropStaging(l1Block, events, 'channel-pruned', `first frame of channel ${idHex} replaces the unfinished staging channel`);
      const ch = new Channel(frame.channelId, l1Block);
      this.channels.set(idHex, ch);
      this.queue = [idHex];
    }
    const ch = this.staging();
    if (ch === undefined) return drop('no-staging-channel', 'non-first frame while no channel is open');
    if (ch.idHex !== idHex) return drop('wrong-channel', `staging channel is ${ch.idHex}`);
    if (frame.frameNumber !== ch.frameCount) return drop('out-of-order-frame', `expected frame ${ch.frameCount}`);
    ch.addFrame(frame, l1Block);
    const max = this.config.maxRlpBytesPerChannel;
    if (max !== undefined && ch.size > max) this.dropStaging(l1Block, events, 'channel-pruned', `channel size ${ch.size} exceeds ${max} bytes`);
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
    if (this.config.holocene) this.timeOutStaging(l1Block, events);
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
