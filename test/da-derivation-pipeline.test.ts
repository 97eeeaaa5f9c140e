// Encoder → pipeline round trips and the derivation spec's frame and channel rules, observed
// through the public pipeline API (payloads per L1 block in, L2 block batches and drop events out).
import { constants as zlibConstants, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  buildBatcherPayloads,
  compressChannel,
  DerivationPipeline,
  encodeChannelData,
  encodeFramesPayload,
  encodeSingularBatch,
  encodeSpanBatch,
  formatEvent,
  splitIntoFrames,
  type DerivationConfig,
  type DerivationEvent,
  type Frame,
  type L2BlockInput,
} from '../da/derivation/index.js';
import { encodeTransaction, signTransaction, type Transaction } from '../vm/tx/index.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { pseudoRandomBytes } from './support/rng.js';

const CHAIN_ID = 901n;
const GENESIS = 1_700_000_000n;
const BLOCK_TIME = 2n;
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const TO = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

function config(over: Partial<DerivationConfig> = {}): DerivationConfig {
  return { channelTimeout: 50, fjord: true, genesisTimestamp: GENESIS, blockTime: BLOCK_TIME, chainId: CHAIN_ID, ...over };
}

function h32(tag: string): Uint8Array {
  return keccak256(new TextEncoder().encode(tag));
}

/** One signed transaction of each kind a span batch carries (legacy with/without EIP-155, 2930, 1559, creation). */
function signedTxs(nonce0: bigint, seed: number): Uint8Array[] {
  const data = pseudoRandomBytes(40 + (seed % 7), seed);
  const txs: Transaction[] = [
    { type: 0, chainId: CHAIN_ID, nonce: nonce0, gasPrice: 1_000_000_007n, gasLimit: 21_000n, to: TO, value: 5n, data: new Uint8Array(0) },
    { type: 0, chainId: null, nonce: nonce0 + 1n, gasPrice: 3n, gasLimit: 50_000n, to: TO, value: 0n, data },
    {
      type: 1,
      chainId: CHAIN_ID,
      nonce: nonce0 + 2n,
      gasPrice: 10n ** 9n,
      gasLimit: 60_000n,
      to: TO,
      value: 1n,
      data,
      accessList: [{ address: TO, storageKeys: [1n, 2n ** 255n] }],
    },
    {
      type: 2,
      chainId: CHAIN_ID,
      nonce: nonce0 + 3n,
      maxPriorityFeePerGas: 2n,
      maxFeePerGas: 2n * 10n ** 9n,
      gasLimit: 100_000n,
      to: null,
      value: 0n,
      data,
      accessList: [],
    },
  ];
  return txs.map((t) => encodeTxSigned(t));
}

/** The raw EIP-2718 envelope of `t` signed with KEY. */
function encodeTxSigned(t: Transaction): Uint8Array {
  return encodeTransaction(signTransaction(t, KEY));
}

/** `count` consecutive L2 blocks starting at L2 block `first` (timestamps GENESIS + 2 * n); epoch changes every 3 blocks. */
function l2Blocks(first: number, count: number, txsPerBlock: (i: number) => Uint8Array[] = (i) => signedTxs(BigInt(i * 4), i + 1)): L2BlockInput[] {
  const out: L2BlockInput[] = [];
  for (let n = first; n < first + count; n++) {
    const epoch = BigInt(100 + Math.floor(n / 3));
    out.push({
      parentHash: h32(`l2-${n - 1}`),
      epochNum: epoch,
      epochHash: h32(`l1-${epoch}`),
      timestamp: GENESIS + BigInt(n) * BLOCK_TIME,
      transactions: txsPerBlock(n),
    });
  }
  return out;
}

const CHANNEL_A = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const CHANNEL_B = Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i);

function kinds(events: readonly DerivationEvent[]): string[] {
  return events.map((e) => (e.kind === 'frame-dropped' || e.kind === 'channel-data-dropped' ? `${e.kind}:${e.code}` : e.kind));
}

describe('encoder → pipeline round trips', () => {
  it('singular batches, zlib, one channel in 4 frames over 3 L1 blocks', async () => {
    const blocks = l2Blocks(3, 5);
    const out = buildBatcherPayloads(blocks, { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_A, maxPayloadSize: 1 + 23 + 300 });
    expect(out.frames.length).toBeGreaterThanOrEqual(4);
    for (const p of out.payloads) expect(p.length).toBeLessThanOrEqual(1 + 23 + 300);
    const p = new DerivationPipeline(config({ fjord: false }));
    const n = out.payloads.length;
    const r1 = await p.addL1Block(200, out.payloads.slice(0, 2));
    const r2 = await p.addL1Block(201, out.payloads.slice(2, n - 1));
    expect(r1.batches).toEqual([]);
    expect(r2.batches).toEqual([]);
    expect(p.pendingChannels).toBe(1);
    const r3 = await p.addL1Block(203, out.payloads.slice(n - 1));
    expect(r1.events.concat(r2.events, r3.events)).toEqual([]);
    expect(p.pendingChannels).toBe(0);
    expect(r3.batches).toHaveLength(5);
    r3.batches.forEach((b, i) => {
      const src = blocks[i]!;
      expect(b.batchType).toBe('singular');
      expect(b.compression).toBe('zlib');
      expect(b.l1Block).toBe(203);
      expect(b.channelId).toBe(bytesToHex(CHANNEL_A).slice(2));
      expect(b.batchIndex).toBe(i);
      expect(b.timestamp).toBe(src.timestamp);
      expect(b.epochNum).toBe(src.epochNum);
      expect(b.parentHash).toEqual(src.parentHash);
      expect(b.epochHash).toEqual(src.epochHash);
      expect(b.transactions.map(bytesToHex)).toEqual(src.transactions.map(bytesToHex));
    });
  });

  for (const compression of ['brotli', 'zlib'] as const) {
    it(`span batch, ${compression}: every transaction type, epochs and checks come back`, async () => {
      const blocks = l2Blocks(7, 8);
      const span = { genesisTimestamp: GENESIS, blockTime: BLOCK_TIME, chainId: CHAIN_ID, firstOriginChanged: false };
      const out = buildBatcherPayloads(blocks, { batchType: 'span', compression, channelId: CHANNEL_B, maxPayloadSize: 600, span });
      expect(out.compressed[0]).toBe(compression === 'brotli' ? 0x01 : 0x78);
      const p = new DerivationPipeline(config());
      const results = [];
      // One frame per L1 block.
      for (let i = 0; i < out.payloads.length; i++) results.push(await p.addL1Block(300 + i, [out.payloads[i]!]));
      const all = results.flatMap((r) => r.batches);
      expect(results.flatMap((r) => r.events)).toEqual([]);
      expect(all).toHaveLength(8);
      all.forEach((b, i) => {
        const src = blocks[i]!;
        expect(b.batchType).toBe('span');
        expect(b.compression).toBe(compression);
        expect(b.l1Block).toBe(300 + out.payloads.length - 1);
        expect(b.timestamp).toBe(src.timestamp);
        expect(b.epochNum).toBe(src.epochNum);
        expect(b.parentHash).toBeNull();
        expect(b.epochHash).toBeNull();
        expect(b.parentCheck).toEqual(i === 0 ? src.parentHash.subarray(0, 20) : null);
        expect(b.epochCheck).toEqual(i === 7 ? src.epochHash.subarray(0, 20) : null);
        expect(b.transactions.map(bytesToHex)).toEqual(src.transactions.map(bytesToHex));
      });
    });
  }

  it('span batch with empty blocks and a first block that starts an epoch', async () => {
    const blocks = l2Blocks(9, 4, (n) => (n % 2 === 0 ? [] : signedTxs(BigInt(n * 4), n)));
    const span = { genesisTimestamp: GENESIS, blockTime: BLOCK_TIME, chainId: CHAIN_ID, firstOriginChanged: true };
    const out = buildBatcherPayloads(blocks, { batchType: 'span', compression: 'brotli', channelId: CHANNEL_A, maxPayloadSize: 130_044, span });
    expect(out.payloads).toHaveLength(1);
    const r = await new DerivationPipeline(config()).addL1Block(1, out.payloads);
    expect(r.batches.map((b) => b.transactions.length)).toEqual(blocks.map((b) => b.transactions.length));
    expect(r.batches.map((b) => b.epochNum)).toEqual([103n, 103n, 103n, 104n]);
  });

  it('several channels interleaved in one L1 block, several frames per payload', async () => {
    const a = buildBatcherPayloads(l2Blocks(0, 2), { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_A, maxPayloadSize: 200 });
    const b = buildBatcherPayloads(l2Blocks(2, 2), { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_B, maxPayloadSize: 200 });
    // Interleave the frames; pack two frames per payload.
    const frames: Frame[] = [];
    for (let i = 0; i < Math.max(a.frames.length, b.frames.length); i++) {
      if (b.frames[i]) frames.push(b.frames[i]!);
      if (a.frames[i]) frames.push(a.frames[i]!);
    }
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < frames.length; i += 2) payloads.push(encodeFramesPayload(frames.slice(i, i + 2)));
    const r = await new DerivationPipeline(config()).addL1Block(5, payloads);
    expect(r.events).toEqual([]);
    // Channels come out in the order they complete.
    const aDone = frames.findIndex((f) => f.isLast && f.channelId === CHANNEL_A);
    const bDone = frames.findIndex((f) => f.isLast && f.channelId === CHANNEL_B);
    const expected = aDone < bDone ? [0n, 2n, 4n, 6n] : [4n, 6n, 0n, 2n];
    expect(r.batches.map((x) => x.timestamp - GENESIS)).toEqual(expected);
  });
});

describe('frame rules', () => {
  const blocks = l2Blocks(0, 4);
  const ch = buildBatcherPayloads(blocks, { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_A, maxPayloadSize: 250 });
  const frames = ch.frames;
  const payload = (...fs: Frame[]): Uint8Array => encodeFramesPayload(fs);

  it('accepts frames out of order, within and across L1 blocks', async () => {
    expect(frames.length).toBeGreaterThanOrEqual(4);
    const rev = [...frames].reverse();
    const p = new DerivationPipeline(config());
    const r1 = await p.addL1Block(10, [payload(...rev.slice(0, 2))]);
    const r2 = await p.addL1Block(11, rev.slice(2).map((f) => payload(f)));
    expect(r1.batches).toEqual([]);
    expect([...r1.events, ...r2.events]).toEqual([]);
    expect(r2.batches.map((b) => b.timestamp)).toEqual(blocks.map((b) => b.timestamp));
  });

  it('drops duplicate frames, and reads the channel once', async () => {
    const p = new DerivationPipeline(config());
    const r1 = await p.addL1Block(10, [payload(frames[0]!), payload(frames[1]!, frames[0]!)]);
    expect(r1.events).toHaveLength(1);
    expect(r1.events[0]).toMatchObject({ kind: 'frame-dropped', code: 'duplicate-frame', frameNumber: 0, l1Block: 10, channelId: bytesToHex(CHANNEL_A).slice(2) });
    expect(formatEvent(r1.events[0]!)).toMatch(/dropped frame 0 of channel a0a1.*duplicate-frame.*already received/);
    const r2 = await p.addL1Block(11, frames.slice(1).map((f) => payload(f)));
    expect(kinds(r2.events)).toEqual(['frame-dropped:duplicate-frame']);
    expect(r2.batches).toHaveLength(4);
  });

  it('drops frames at or past the closing frame, and a second closing frame', async () => {
    const last = frames[frames.length - 1]!;
    const after: Frame = { ...frames[1]!, frameNumber: last.frameNumber + 1 };
    const secondClose: Frame = { ...frames[1]!, frameNumber: last.frameNumber + 2, isLast: true };
    const p = new DerivationPipeline(config());
    const r = await p.addL1Block(10, [payload(last, after, secondClose)]);
    expect(kinds(r.events)).toEqual(['frame-dropped:frame-after-closing-frame', 'frame-dropped:second-closing-frame']);
    const r2 = await p.addL1Block(11, frames.slice(0, -1).map((f) => payload(f)));
    expect(r2.events).toEqual([]);
    expect(r2.batches).toHaveLength(4);
  });

  it('a closing frame evicts higher frames already received', async () => {
    const last = frames[frames.length - 1]!;
    const beyond: Frame = { ...frames[0]!, frameNumber: last.frameNumber + 3, isLast: false };
    const p = new DerivationPipeline(config());
    const r = await p.addL1Block(10, [payload(beyond), payload(...frames)]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ kind: 'frame-dropped', code: 'beyond-closing-frame', frameNumber: last.frameNumber + 3 });
    expect(r.batches).toHaveLength(4);
  });

  it('drops a whole payload on a bad version byte, a truncated frame, a bad is_last or an oversize length', async () => {
    const good = payload(...frames);
    const badVersion = Uint8Array.from(good);
    badVersion[0] = 1;
    const truncated = good.subarray(0, good.length - 1);
    const badIsLast = Uint8Array.from(payload(frames[0]!));
    badIsLast[badIsLast.length - 1] = 2;
    const oversize = Uint8Array.from(payload(frames[0]!));
    new DataView(oversize.buffer).setUint32(1 + 18, 1_000_001, false);
    const p = new DerivationPipeline(config());
    const badVersion2 = Uint8Array.from(good);
    badVersion2[0] = 2;
    const r = await p.addL1Block(10, [badVersion, truncated, new Uint8Array(0), Uint8Array.of(0), badIsLast, oversize, badVersion2]);
    expect(r.batches).toEqual([]);
    expect(r.events.map((e) => (e.kind === 'payload-dropped' ? `${e.payloadIndex} ${e.reason.split(':')[0]}` : e.kind))).toEqual([
      '0 alt-da-commitment',
      '1 truncated-frame',
      '2 empty-payload',
      '3 no-frames',
      '4 invalid-is-last',
      '5 frame-too-large',
      '6 unknown-version',
    ]);
    // Nothing from the rejected payloads reached the channel bank.
    expect(p.pendingChannels).toBe(0);
    const ok = await p.addL1Block(11, [good]);
    expect(ok.batches).toHaveLength(4);
  });
});

describe('channel bank rules', () => {
  const blocks = l2Blocks(0, 3);
  const a = buildBatcherPayloads(blocks, { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_A, maxPayloadSize: 250 });
  const b = buildBatcherPayloads(l2Blocks(3, 1), { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_B, maxPayloadSize: 100_000 });

  it('times a channel out channelTimeout L1 blocks after it opened', async () => {
    const p = new DerivationPipeline(config({ channelTimeout: 3 }));
    await p.addL1Block(10, [a.payloads[0]!]);
    // 10 + 3 = 13 is the last block in which the channel may complete.
    const r13 = await p.addL1Block(13, a.payloads.slice(1, -1));
    expect(r13.events).toEqual([]);
    const r14 = await p.addL1Block(14, a.payloads.slice(-1));
    expect(r14.events[0]).toMatchObject({ kind: 'channel-timed-out', openBlock: 10, l1Block: 14, frames: a.payloads.length - 1 });
    expect(formatEvent(r14.events[0]!)).toContain('timed out');
    expect(r14.batches).toEqual([]);
    // The late closing frame opened a new channel under the same id, which cannot complete.
    expect(p.pendingChannels).toBe(1);
  });

  it('completes when the last frame lands exactly at the timeout block', async () => {
    const p = new DerivationPipeline(config({ channelTimeout: 3 }));
    await p.addL1Block(10, a.payloads.slice(0, -1));
    const r = await p.addL1Block(13, a.payloads.slice(-1));
    expect(r.events).toEqual([]);
    expect(r.batches).toHaveLength(3);
  });

  it('a timed-out channel is reported even in an L1 block without batcher data', async () => {
    const p = new DerivationPipeline(config({ channelTimeout: 2 }));
    await p.addL1Block(10, [a.payloads[0]!]);
    const r = await p.addL1Block(20, []);
    expect(kinds(r.events)).toEqual(['channel-timed-out']);
    expect(p.pendingChannels).toBe(0);
  });

  it('before Canyon an incomplete oldest channel blocks a complete younger one; from Canyon it does not', async () => {
    for (const canyon of [false, true]) {
      const p = new DerivationPipeline(config({ canyon, fjord: false }));
      const r1 = await p.addL1Block(10, [a.payloads[0]!, ...b.payloads]);
      expect(r1.batches.length).toBe(canyon ? 1 : 0);
      const r2 = await p.addL1Block(11, a.payloads.slice(1));
      expect(r2.batches.map((x) => x.channelId.slice(0, 2))).toEqual(canyon ? ['a0', 'a0', 'a0'] : ['a0', 'a0', 'a0', 'b0']);
    }
  });

  it('prunes the oldest channel when the bank exceeds its size', async () => {
    const p = new DerivationPipeline(config({ maxChannelBankSize: 1000 }));
    // Three 250-byte-ish frames of A plus 200 bytes overhead each exceed 1000 bytes.
    const r = await p.addL1Block(10, a.payloads.slice(0, -1));
    expect(kinds(r.events)).toContain('channel-pruned');
    expect(r.events.find((e) => e.kind === 'channel-pruned')).toMatchObject({ channelId: bytesToHex(CHANNEL_A).slice(2) });
  });

  it('rejects L1 blocks that do not increase', async () => {
    const p = new DerivationPipeline(config());
    await p.addL1Block(10, []);
    await expect(p.addL1Block(10, [])).rejects.toThrow(/blocks must increase/);
    await expect(p.addL1Block(9, [])).rejects.toThrow(/PipelineError|blocks must increase/);
  });

  it('refuses a second addL1Block before the first has finished', async () => {
    const p = new DerivationPipeline(config());
    const first = p.addL1Block(10, a.payloads);
    await expect(p.addL1Block(11, [])).rejects.toThrow(/still running/);
    expect((await first).batches).toHaveLength(3);
    expect((await p.addL1Block(11, [])).events).toEqual([]);
  });
});

describe('channel contents', () => {
  function channelPayload(channelData: Uint8Array, compression: 'zlib' | 'brotli', id = CHANNEL_A): Uint8Array[] {
    return splitIntoFrames(id, compressChannel(channelData, compression), 100_000).map((f) => encodeFramesPayload([f]));
  }

  it('keeps the batches that fit under MAX_RLP_BYTES_PER_CHANNEL and drops the rest', async () => {
    // Incompressible transactions so that sizes are predictable: ~1000 bytes per batch.
    const blocks = l2Blocks(0, 20, (n) => [pseudoRandomBytes(1000, n)]);
    const batches = blocks.map(encodeSingularBatch);
    const data = encodeChannelData(batches);
    const cap = 5500;
    let fit = 0;
    for (let used = 0; used + batches[fit]!.length + 3 <= cap; fit++) used += batches[fit]!.length + 3;
    expect(fit).toBe(5);
    for (const compression of ['zlib', 'brotli'] as const) {
      const r = await new DerivationPipeline(config({ maxRlpBytesPerChannel: cap })).addL1Block(1, channelPayload(data, compression));
      expect(r.batches).toHaveLength(fit);
      expect(r.batches.map((b) => b.transactions[0])).toEqual(blocks.slice(0, fit).map((b) => b.transactions[0]));
      expect(kinds(r.events)).toEqual(['channel-data-dropped:size-cap']);
      expect(r.events[0]).toMatchObject({ batchesKept: fit });
    }
  });

  it('keeps the batches before a corrupt stretch of compressed data', async () => {
    const blocks = l2Blocks(0, 20, (n) => [pseudoRandomBytes(3000, n)]);
    const compressed = compressChannel(encodeChannelData(blocks.map(encodeSingularBatch)), 'zlib');
    const cut = compressed.subarray(0, Math.floor(compressed.length * 0.6));
    const payloads = splitIntoFrames(CHANNEL_A, cut, 100_000).map((f) => encodeFramesPayload([f]));
    const r = await new DerivationPipeline(config()).addL1Block(1, payloads);
    expect(r.batches.length).toBeGreaterThan(5);
    expect(r.batches.length).toBeLessThan(20);
    expect(r.batches.map((b) => b.timestamp)).toEqual(blocks.slice(0, r.batches.length).map((b) => b.timestamp));
    expect(kinds(r.events)).toEqual(['channel-data-dropped:decompression-failed']);
  });

  it('a zlib stream that ends in a sync flush instead of a final block loses nothing', async () => {
    const blocks = l2Blocks(0, 6);
    const data = encodeChannelData(blocks.map(encodeSingularBatch));
    const flushed = new Uint8Array(deflateSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    expect(() => inflateSync(flushed)).toThrow(/unexpected end/);
    const payloads = splitIntoFrames(CHANNEL_A, flushed, 100_000).map((f) => encodeFramesPayload([f]));
    const r = await new DerivationPipeline(config()).addL1Block(1, payloads);
    expect(r.events).toEqual([]);
    expect(r.batches.map((b) => b.timestamp)).toEqual(blocks.map((b) => b.timestamp));
    // Cut inside the last batch, the same stream does lose data, and says so.
    const cut = splitIntoFrames(CHANNEL_A, flushed.subarray(0, flushed.length - 30), 100_000).map((f) => encodeFramesPayload([f]));
    const r2 = await new DerivationPipeline(config()).addL1Block(1, cut);
    expect(kinds(r2.events)).toEqual(['channel-data-dropped:decompression-failed']);
    expect(r2.batches.length).toBeLessThan(6);
  });

  it('brotli is Fjord-only; an unknown compression byte is rejected', async () => {
    const data = encodeChannelData(l2Blocks(0, 2).map(encodeSingularBatch));
    const pre = await new DerivationPipeline(config({ fjord: false })).addL1Block(1, channelPayload(data, 'brotli'));
    expect(pre.batches).toEqual([]);
    expect(kinds(pre.events)).toEqual(['channel-data-dropped:decompression-failed']);
    const bogus = compressChannel(data, 'brotli');
    bogus[0] = 0x02;
    const payloads = splitIntoFrames(CHANNEL_A, bogus, 100_000).map((f) => encodeFramesPayload([f]));
    const post = await new DerivationPipeline(config()).addL1Block(1, payloads);
    expect(kinds(post.events)).toEqual(['channel-data-dropped:unknown-compression']);
    expect(post.events[0]!.reason).toContain('0x02');
  });

  it('stops reading a channel at an undecodable batch, keeping the ones before', async () => {
    const blocks = l2Blocks(0, 3);
    const batches = blocks.map(encodeSingularBatch);
    batches.splice(2, 0, Uint8Array.of(7, 1, 2, 3));
    const r = await new DerivationPipeline(config()).addL1Block(1, channelPayload(encodeChannelData(batches), 'zlib'));
    expect(r.batches).toHaveLength(2);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ kind: 'channel-data-dropped', code: 'bad-batch', batchesKept: 2 });
    expect(r.events[0]!.reason).toContain('unknown batch type 7');
  });

  it('span batches are refused before Delta', async () => {
    const span = encodeSpanBatch(l2Blocks(0, 2), { genesisTimestamp: GENESIS, blockTime: BLOCK_TIME, chainId: CHAIN_ID });
    const r = await new DerivationPipeline(config({ delta: false, fjord: false })).addL1Block(1, channelPayload(encodeChannelData([span]), 'zlib'));
    expect(r.batches).toEqual([]);
    expect(r.events[0]!.reason).toContain('before Delta');
  });
});

describe('Holocene frame rules', () => {
  const blocksA = l2Blocks(0, 3);
  const a = buildBatcherPayloads(blocksA, { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_A, maxPayloadSize: 250 });
  const b = buildBatcherPayloads(l2Blocks(3, 3), { batchType: 'singular', compression: 'zlib', channelId: CHANNEL_B, maxPayloadSize: 250 });
  const holo = (): DerivationPipeline => new DerivationPipeline(config({ holocene: true, channelTimeout: 5 }));
  const one = (f: Frame): Uint8Array => encodeFramesPayload([f]);

  it('drops out-of-order and duplicate frames at once; in-order resends complete the channel', async () => {
    const [f0, f1, f2] = a.frames;
    expect(a.frames.length).toBeGreaterThanOrEqual(4);
    const p = holo();
    const r1 = await p.addL1Block(10, [one(f0!), one(f2!), one(f1!), one(f1!)]);
    expect(kinds(r1.events)).toEqual(['frame-dropped:out-of-order-frame', 'frame-dropped:out-of-order-frame']);
    expect(r1.events[0]).toMatchObject({ frameNumber: 2 });
    const r2 = await p.addL1Block(11, a.frames.slice(2).map(one));
    expect(r2.events).toEqual([]);
    expect(r2.batches.map((x) => x.timestamp)).toEqual(blocksA.map((x) => x.timestamp));
    // The same out-of-order arrival is buffered before Holocene.
    const pre = new DerivationPipeline(config());
    const reversed = await pre.addL1Block(10, [...a.frames].reverse().map(one));
    expect(reversed.batches).toHaveLength(3);
  });

  it('a first frame replaces an unfinished staging channel; other channels’ frames are dropped', async () => {
    const p = holo();
    const r = await p.addL1Block(10, [one(a.frames[0]!), one(b.frames[1]!), one(b.frames[0]!), ...b.frames.slice(1).map(one), one(a.frames[1]!)]);
    expect(kinds(r.events)).toEqual(['frame-dropped:wrong-channel', 'channel-pruned', 'frame-dropped:no-staging-channel']);
    expect(r.events[1]).toMatchObject({ channelId: bytesToHex(CHANNEL_A).slice(2), frames: 1 });
    expect(r.batches.map((x) => x.channelId.slice(0, 2))).toEqual(['b0', 'b0', 'b0']);
  });

  it('times out the staging channel', async () => {
    const p = holo();
    await p.addL1Block(10, [one(a.frames[0]!)]);
    const r = await p.addL1Block(16, a.frames.slice(1).map(one));
    expect(kinds(r.events)[0]).toBe('channel-timed-out');
    expect(kinds(r.events).slice(1).every((k) => k === 'frame-dropped:no-staging-channel')).toBe(true);
    expect(r.batches).toEqual([]);
  });
});
