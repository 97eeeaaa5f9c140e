// Frames, per the OP Stack derivation spec ("Frame Format"):
//   frame = channel_id (16 bytes) ++ frame_number (uint16 BE) ++ frame_data_length (uint32 BE)
//           ++ frame_data ++ is_last (uint8, 0 or 1)
// A batcher transaction's payload is derivation_version (one byte, 0) followed by one or more frames.
import { FrameError } from './errors.js';

/** The derivation version of frame payloads in calldata and blobs. */
export const DERIVATION_VERSION_0 = 0;
/** Derivation version of alt-DA commitments in calldata. */
export const ALT_DA_DERIVATION_VERSION = 1;
export const CHANNEL_ID_LENGTH = 16;
/** channel_id + frame_number + frame_data_length + is_last. */
export const FRAME_OVERHEAD = CHANNEL_ID_LENGTH + 2 + 4 + 1;
/** op-node's MaxFrameLen: a frame_data_length above this makes the whole payload invalid. */
export const MAX_FRAME_LEN = 1_000_000;

export interface Frame {
  /** 16 bytes. */
  readonly channelId: Uint8Array;
  /** uint16. */
  readonly frameNumber: number;
  readonly data: Uint8Array;
  readonly isLast: boolean;
}

export function channelIdToHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** Parses one frame at `offset`; returns it and the offset just after it. */
export function parseFrame(bytes: Uint8Array, offset: number): { frame: Frame; end: number } {
  const headerEnd = offset + CHANNEL_ID_LENGTH + 6;
  if (headerEnd > bytes.length) {
    throw new FrameError('truncated-frame', `frame header at offset ${offset} needs ${headerEnd - offset} bytes, ${bytes.length - offset} left`);
  }
  const channelId = bytes.slice(offset, offset + CHANNEL_ID_LENGTH);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameNumber = view.getUint16(offset + CHANNEL_ID_LENGTH, false);
  const dataLength = view.getUint32(offset + CHANNEL_ID_LENGTH + 2, false);
  if (dataLength > MAX_FRAME_LEN) {
    throw new FrameError('frame-too-large', `frame_data_length ${dataLength} exceeds ${MAX_FRAME_LEN}`);
  }
  const dataEnd = headerEnd + dataLength;
  if (dataEnd + 1 > bytes.length) {
    throw new FrameError('truncated-frame', `frame at offset ${offset} declares ${dataLength} data bytes, only ${Math.max(0, bytes.length - headerEnd - 1)} present before is_last`);
  }
  const isLastByte = bytes[dataEnd]!;
  if (isLastByte > 1) throw new FrameError('invalid-is-last', `is_last byte is ${isLastByte}, must be 0 or 1`);
  return {
    frame: { channelId, frameNumber, data: bytes.slice(headerEnd, dataEnd), isLast: isLastByte === 1 },
    end: dataEnd + 1,
  };
}

/**
 * Parses a batcher-transaction payload (version byte then frames). All-or-nothing: if any
 * frame fails to parse, the spec rejects every frame of the transaction, so this throws.
 */
export function parseFrames(payload: Uint8Array): Frame[] {
  if (payload.length === 0) throw new FrameError('empty-payload', 'batcher transaction payload is empty');
  if (payload[0] === ALT_DA_DERIVATION_VERSION) {
    // Alt-DA: the payload is a commitment to data held elsewhere; the caller resolves it first.
    throw new FrameError('alt-da-commitment', 'payload is an alt-DA commitment (version 0x01), not frames');
  }
  if (payload[0] !== DERIVATION_VERSION_0) {
    throw new FrameError('unknown-version', `derivation version byte 0x${payload[0]!.toString(16).padStart(2, '0')}, expected 0x00`);
  }
  const frames: Frame[] = [];
  let pos = 1;
  while (pos < payload.length) {
    const { frame, end } = parseFrame(payload, pos);
    frames.push(frame);
    pos = end;
  }
  if (frames.length === 0) throw new FrameError('no-frames', 'batcher transaction payload holds no frames');
  return frames;
}

export function encodeFrame(frame: Frame): Uint8Array {
  if (frame.channelId.length !== CHANNEL_ID_LENGTH) throw new RangeError(`channel id must be ${CHANNEL_ID_LENGTH} bytes`);
  if (!Number.isInteger(frame.frameNumber) || frame.frameNumber < 0 || frame.frameNumber > 0xffff) {
    throw new RangeError(`frame number ${frame.frameNumber} is not a uint16`);
  }
  const out = new Uint8Array(FRAME_OVERHEAD + frame.data.length);
  const view = new DataView(out.buffer);
  out.set(frame.channelId, 0);
  view.setUint16(CHANNEL_ID_LENGTH, frame.frameNumber, false);
  view.setUint32(CHANNEL_ID_LENGTH + 2, frame.data.length, false);
  out.set(frame.data, CHANNEL_ID_LENGTH + 6);
  out[out.length - 1] = frame.isLast ? 1 : 0;
  return out;
}

/** A batcher-transaction payload: derivation version 0 followed by the frames. */
export function encodeFramesPayload(frames: readonly Frame[]): Uint8Array {
  const parts = frames.map(encodeFrame);
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = DERIVATION_VERSION_0;
  let pos = 1;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
