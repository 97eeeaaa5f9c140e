// One channel being assembled from frames, with the frame validity rules of the derivation
// spec (and op-node's channel.go): no duplicate frame numbers, one closing frame, nothing at or
// past the closing frame number; a closing frame evicts higher frames already received.
import { channelIdToHex, type Frame } from './frame.js';
import type { FrameDropReason } from './events.js';

/** Per-frame bookkeeping overhead counted toward the channel bank size (op-node frameOverhead). */
export const CHANNEL_FRAME_SIZE_OVERHEAD = 200;

export function frameBankSize(frame: Frame): number {
  return frame.data.length + CHANNEL_FRAME_SIZE_OVERHEAD;
}

export interface FrameRejection {
  readonly code: FrameDropReason;
  readonly reason: string;
}

export class Channel {
  readonly idHex: string;
  private readonly inputs = new Map<number, Frame>();
  private closed = false;
  private endFrameNumber = 0;
  private highestFrameNumber = 0;
  private sizeBytes = 0;
  private highestInclusion: number;

  constructor(
    readonly id: Uint8Array,
    /** The L1 block in which the channel's first frame was seen: the timeout counts from it. */
    readonly openBlock: number,
  ) {
    this.idHex = channelIdToHex(id);
    this.highestInclusion = openBlock;
  }

  get size(): number {
    return this.sizeBytes;
  }

  get frameCount(): number {
    return this.inputs.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The highest L1 block that contributed a frame. */
  get highestL1InclusionBlock(): number {
    return this.highestInclusion;
  }

  /**
   * Adds a frame. Returns the rejection if the frame is dropped, plus any frames it evicted
   * (a closing frame removes already-received frames with higher numbers).
   */
  addFrame(frame: Frame, l1Block: number): { rejected: FrameRejection | null; evicted: Frame[] } {
    // The order of these checks is the spec's (op-node channel.go); it decides the reason reported.
    if (frame.isLast && this.closed) {
      return { rejected: { code: 'second-closing-frame', reason: `channel already closed at frame ${this.endFrameNumber}` }, evicted: [] };
    }
    if (this.inputs.has(frame.frameNumber)) {
      return { rejected: { code: 'duplicate-frame', reason: `frame ${frame.frameNumber} already received` }, evicted: [] };
    }
    if (this.closed && frame.frameNumber >= this.endFrameNumber) {
      return {
        rejected: { code: 'frame-after-closing-frame', reason: `frame number ${frame.frameNumber} >= closing frame number ${this.endFrameNumber}` },
        evicted: [],
      };
    }
    const evicted: Frame[] = [];
    if (frame.isLast) {
      this.closed = true;
      this.endFrameNumber = frame.frameNumber;
      if (this.highestFrameNumber > frame.frameNumber) {
        for (const [n, f] of this.inputs) {
          if (n > frame.frameNumber) {
            this.inputs.delete(n);
            this.sizeBytes -= frameBankSize(f);
            evicted.push(f);
          }
        }
        this.highestFrameNumber = frame.frameNumber;
      }
    }
    if (frame.frameNumber > this.highestFrameNumber) this.highestFrameNumber = frame.frameNumber;
    if (l1Block > this.highestInclusion) this.highestInclusion = l1Block;
    this.inputs.set(frame.frameNumber, frame);
    this.sizeBytes += frameBankSize(frame);
    return { rejected: null, evicted };
  }

  /** Closed, and every frame from 0 to the closing one is present. */
  isReady(): boolean {
    if (!this.closed || this.inputs.size !== this.endFrameNumber + 1) return false;
    for (let i = 0; i <= this.endFrameNumber; i++) if (!this.inputs.has(i)) return false;
    return true;
  }

  /** The channel's compressed data: frame data concatenated in frame-number order. */
  assemble(): Uint8Array {
    let len = 0;
    for (let i = 0; i <= this.endFrameNumber; i++) len += this.inputs.get(i)?.data.length ?? 0;
    const out = new Uint8Array(len);
    let pos = 0;
    for (let i = 0; i <= this.endFrameNumber; i++) {
      const f = this.inputs.get(i);
      if (f === undefined) throw new Error(`channel ${this.idHex} assembled without frame ${i}`);
      out.set(f.data, pos);
      pos += f.data.length;
    }
    return out;
  }
}
