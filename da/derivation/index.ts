// OP Stack batch derivation core: pure parsing and assembly of batcher data (no I/O, no logging).
//
//   const p = new DerivationPipeline({ channelTimeout: 50, fjord: true, genesisTimestamp, blockTime: 2n, chainId });
//   for (const block of l1Blocks) {
//     const { batches, events } = await p.addL1Block(block.number, batcherPayloads(block));
//     for (const e of events) log(formatEvent(e));   // every drop, with its reason
//     for (const b of batches) ...                    // per L2 block: timestamp, epoch, raw txs
//   }
//
// Payloads are what the L1 side found for the batch inbox: calldata, or decoded blobs. Metis's
// span-batch variant is decoded by decodeSpanBatch(…, 'metis') / decodeConcatenatedSpanBatches.
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
