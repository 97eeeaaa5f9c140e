// Drop events: the core never logs. Everything the spec discards is reported as one of these,
// with a human-readable reason, and the caller (CLI, lead's L1 side) logs it.

interface EventBase {
  /** The L1 block being processed when the drop happened. */
  readonly l1Block: number;
  readonly reason: string;
}

/** A whole batcher-transaction payload rejected (the spec drops all frames of a bad payload). */
export interface PayloadDroppedEvent extends EventBase {
  readonly kind: 'payload-dropped';
  /** Index of the payload among those given for this L1 block. */
  readonly payloadIndex: number;
}

export type FrameDropReason =
  | 'channel-timed-out'
  | 'duplicate-frame'
  | 'second-closing-frame'
  | 'frame-after-closing-frame'
  | 'beyond-closing-frame'
  // Holocene only:
  | 'no-staging-channel'
  | 'wrong-channel'
  | 'out-of-order-frame';

/** A parsed frame the channel bank refused (or removed when a lower closing frame arrived). */
export interface FrameDroppedEvent extends EventBase {
  readonly kind: 'frame-dropped';
  readonly code: FrameDropReason;
  readonly channelId: string;
  readonly frameNumber: number;
}

export interface ChannelTimedOutEvent extends EventBase {
  readonly kind: 'channel-timed-out';
  readonly channelId: string;
  readonly openBlock: number;
  readonly frames: number;
}

/**
 * A channel evicted unfinished: the oldest one when the bank grew past its maximum size, or
 * (Holocene) the staging channel replaced by a new first frame or grown past the size cap.
 */
export interface ChannelPrunedEvent extends EventBase {
  readonly kind: 'channel-pruned';
  readonly channelId: string;
  readonly frames: number;
}

/**
 * A ready channel whose data did not fully decode: unknown compression, a corrupt or truncated
 * compressed stream, the decompressed size cap, or an undecodable batch. Batches read before
 * the problem are kept, as in op-node; the rest of the channel is dropped.
 */
export interface ChannelDataDroppedEvent extends EventBase {
  readonly kind: 'channel-data-dropped';
  readonly code: 'unknown-compression' | 'decompression-failed' | 'size-cap' | 'bad-batch-rlp' | 'bad-batch';
  readonly channelId: string;
  /** Batches successfully read from the channel before the drop. */
  readonly batchesKept: number;
}

export type DerivationEvent =
  | PayloadDroppedEvent
  | FrameDroppedEvent
  | ChannelTimedOutEvent
  | ChannelPrunedEvent
  | ChannelDataDroppedEvent;

/** One log line for an event (the caller decides where it goes). */
export function formatEvent(e: DerivationEvent): string {
  switch (e.kind) {
    case 'payload-dropped':
      return `L1 ${e.l1Block}: dropped batcher payload #${e.payloadIndex}: ${e.reason}`;
    case 'frame-dropped':
      return `L1 ${e.l1Block}: dropped frame ${e.frameNumber} of channel ${e.channelId} (${e.code}): ${e.reason}`;
    case 'channel-timed-out':
      return `L1 ${e.l1Block}: channel ${e.channelId} opened at L1 ${e.openBlock} timed out with ${e.frames} frame(s): ${e.reason}`;
    case 'channel-pruned':
      return `L1 ${e.l1Block}: channel ${e.channelId} pruned with ${e.frames} frame(s): ${e.reason}`;
    case 'channel-data-dropped':
      return `L1 ${e.l1Block}: rest of channel ${e.channelId} dropped after ${e.batchesKept} batch(es) (${e.code}): ${e.reason}`;
  }
}
