// OP Stack batch derivation core: pure parsing and assembly of batcher data (no I/O, no logging).
export * from './errors.js';
export * from './events.js';
export * from './frame.js';
export { Channel, CHANNEL_FRAME_SIZE_OVERHEAD, frameBankSize, type FrameRejection } from './channel.js';
export * from './channel-bank.js';
export * from './compression.js';
export * from './batch.js';
export * from './encoder.js';
export * from './pipeline.js';
export { readBits, writeBits, writeUvarint, rlpSpanAt, Reader } from './wire.js';
