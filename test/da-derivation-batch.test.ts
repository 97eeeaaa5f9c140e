// Batch formats and channel decompression in isolation: varints, span-batch bitlists, span batch
// field layout and its strictness, singular batches, the batch stream, and the decompression cap.
import { brotliCompressSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BatchDecodeError,
  ChannelBank,
  decodeBatch,
  decodeSingularBatch,
  decodeSpanBatch,
  decompressChannel,
  encodeChannelData,
  encodeSingularBatch,
  encodeSpanBatch,
  expandSpanBatch,
  readBatchData,
  readBits,
  Reader,
  writeBits,
  writeUvarint,
  type L2BlockInput,
  type RawSpanBatch,
} from '../da/derivation/index.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { encodeTransaction, signTransaction, type Transaction } from '../vm/tx/index.js';
import { bytesToHex, concatBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const CHAIN_ID = 10n;
const TO = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';

function h32(tag: string): Uint8Array {
  return keccak256(new TextEncoder().encode(tag));
}

function sign(t: Transaction): Uint8Array {
  return encodeTransaction(signTransaction(t, KEY));
}

describe('uvarint', () => {
  it('encodes like protobuf / Go binary.AppendUvarint', () => {
    const enc = (v: bigint): string => {
      const out: number[] = [];
      writeUvarint(out, v);
      return Buffer.from(out).toString('hex');
    };
    expect(enc(0n)).toBe('00');
    expect(enc(127n)).toBe('7f');
    expect(enc(128n)).toBe('8001');
    expect(enc(300n)).toBe('ac02');
    expect(enc(2n ** 64n - 1n)).toBe('ffffffffffffffffff01');
    expect(() => enc(2n ** 64n)).toThrow(RangeError);
  });

  it('decodes its own output and rejects overflow and truncation', () => {
    for (const v of [0n, 1n, 255n, 16384n, 1_700_000_000n, 2n ** 63n, 2n ** 64n - 1n]) {
      const out: number[] = [];
      writeUvarint(out, v);
      const r = new Reader(Uint8Array.from(out));
      expect(r.uvarint('x')).toBe(v);
      expect(r.remaining).toBe(0);
    }
    expect(() => new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])).uvarint('x')).toThrow(/overflows/);
    expect(() => new Reader(Uint8Array.from([0x80, 0x80])).uvarint('x')).toThrow(/truncated/);
  });
});

describe('span-batch bitlists', () => {
  it('are big-endian integers with bit i the i-th least significant', () => {
    const bits = new Array<boolean>(16).fill(false);
    for (const i of [1, 6, 8, 15]) bits[i] = true;
    const out: number[] = [];
    writeBits(out, bits);
    expect(out).toEqual([0b1000_0001, 0b0100_0010]);
    expect(readBits(new Reader(Uint8Array.from(out)), 16, 'b')).toEqual(bits);
    // 3 bits take one byte: bit 0 and bit 2 set is 0b101.
    const three: number[] = [];
    writeBits(three, [true, false, true]);
    expect(three).toEqual([5]);
  });

  it('reject set bits beyond the declared length', () => {
    expect(() => readBits(new Reader(Uint8Array.of(0b1000)), 3, 'origin_bits')).toThrow(/more than 3 bits/);
    expect(readBits(new Reader(Uint8Array.of(0b0100)), 3, 'origin_bits')).toEqual([false, false, true]);
  });
});

function blocks(): L2BlockInput[] {
  const tx = (nonce: bigint, over: Partial<Transaction> & Pick<Transaction, 'type'>): Uint8Array =>
    sign({ nonce, gasLimit: 90_000n + nonce, value: nonce * 3n, data: Uint8Array.of(1, 2, Number(nonce)), to: TO, ...over } as Transaction);
  return [
    { parentHash: h32('p0'), epochNum: 7n, epochHash: h32('e7'), timestamp: 1010n, transactions: [tx(0n, { type: 0, chainId: CHAIN_ID, gasPrice: 5n })] },
    { parentHash: h32('p1'), epochNum: 8n, epochHash: h32('e8'), timestamp: 1012n, transactions: [] },
    {
      parentHash: h32('p2'),
      epochNum: 8n,
      epochHash: h32('e8'),
      timestamp: 1014n,
      transactions: [
        tx(1n, { type: 2, chainId: CHAIN_ID, maxPriorityFeePerGas: 1n, maxFeePerGas: 9n, accessList: [], to: null }),
        tx(2n, { type: 0, chainId: null, gasPrice: 6n }),
        tx(3n, { type: 1, chainId: CHAIN_ID, gasPrice: 7n, accessList: [{ address: TO, storageKeys: [5n] }] }),
      ],
    },
  ];
}
const SPAN = { genesisTimestamp: 1000n, blockTime: 2n, chainId: CHAIN_ID };

describe('span batches', () => {
  it('lay out prefix, payload and transaction columns as the spec says', () => {
    const bs = blocks();
    const enc = encodeSpanBatch(bs, { ...SPAN, firstOriginChanged: true });
    expect(enc[0]).toBe(1);
    // rel_timestamp 10, l1_origin_num 8, then the 20-byte checks.
    expect(enc[1]).toBe(10);
    expect(enc[2]).toBe(8);
    expect(bytesToHex(enc.subarray(3, 23))).toBe(bytesToHex(bs[0]!.parentHash.subarray(0, 20)));
    expect(bytesToHex(enc.subarray(23, 43))).toBe(bytesToHex(bs[2]!.epochHash.subarray(0, 20)));
    // block_count 3, origin_bits 0b011 (first block starts an epoch, second moves to epoch 8), counts 1, 0, 3.
    expect([...enc.subarray(43, 48)]).toEqual([3, 0b011, 1, 0, 3]);
    // contract_creation_bits: tx 1 (the 1559 one) creates.
    expect(enc[48]).toBe(0b0010);
    const raw = decodeSpanBatch(enc.subarray(1));
    expect(raw.relTimestamp).toBe(10n);
    expect(raw.blockTxCounts).toEqual([1, 0, 3]);
    expect(raw.txs.map((t) => t.txType)).toEqual([0, 2, 0, 1]);
    expect(raw.txs.map((t) => t.protected)).toEqual([true, true, false, true]);
    expect(raw.txs[1]!.to).toBeNull();
    expect(raw.trailingBytes).toBe(0);
    const out = expandSpanBatch(raw, SPAN);
    expect(out.map((b) => b.timestamp)).toEqual([1010n, 1012n, 1014n]);
    expect(out.map((b) => b.epochNum)).toEqual([7n, 8n, 8n]);
    expect(out.flatMap((b) => b.transactions).map(bytesToHex)).toEqual(bs.flatMap((b) => b.transactions).map(bytesToHex));
  });

  it('every truncation of a span batch is rejected', () => {
    const enc = encodeSpanBatch(blocks(), SPAN).subarray(1);
    for (let n = 0; n < enc.length; n++) expect(() => decodeSpanBatch(enc.subarray(0, n)), `prefix ${n}`).toThrow(BatchDecodeError);
  });

  it('rejects an empty span, an unsupported transaction type and a tx_data that is not a list', () => {
    const prefix = (): number[] => {
      const out: number[] = [];
      writeUvarint(out, 0n);
      writeUvarint(out, 1n);
      out.push(...new Array<number>(40).fill(0));
      return out;
    };
    expect(() => decodeSpanBatch(Uint8Array.from([...prefix(), 0]))).toThrow(/no blocks/);
    // One block, one tx: bits, zero signature, to, then the tx data.
    const oneTx = (txData: Uint8Array): Uint8Array =>
      concatBytes(Uint8Array.from([...prefix(), 1, 0, 1, 0, 0]), new Uint8Array(64 + 20), txData, Uint8Array.of(0, 0));
    const blobData = concatBytes(Uint8Array.of(3), rlpEncode([0n, 1n, 1n, new Uint8Array(0), [], 1n, []]));
    expect(() => decodeSpanBatch(oneTx(blobData))).toThrow(/type 3 is not supported/);
    expect(() => decodeSpanBatch(oneTx(rlpEncode(new Uint8Array(3))))).toThrow(/must be list/);
    expect(() => decodeSpanBatch(oneTx(rlpEncode([0n, 1n])))).toThrow(/must have 3 fields/);
    // A legacy tx needs one more byte: the protected_bits.
    const legacy = oneTx(rlpEncode([0n, 1n, new Uint8Array(0)]));
    expect(() => decodeSpanBatch(legacy)).toThrow(/protected_bits/);
    expect(decodeSpanBatch(concatBytes(legacy, Uint8Array.of(1))).txs[0]).toMatchObject({ txType: 0, protected: true, gasPrice: 1n });
  });

  it('the encoder refuses what a span batch cannot hold', () => {
    const bs = blocks();
    expect(() => encodeSpanBatch([], SPAN)).toThrow(/at least one block/);
    expect(() => encodeSpanBatch([bs[0]!, { ...bs[1]!, timestamp: 1013n }], SPAN)).toThrow(/timestamp/);
    expect(() => encodeSpanBatch([bs[0]!, { ...bs[1]!, epochNum: 9n }], SPAN)).toThrow(/moves by 2/);
    expect(() => encodeSpanBatch(bs, { ...SPAN, chainId: 11n })).toThrow(/chain 10/);
  });
});

describe('singular batches and the batch stream', () => {
  const b = blocks()[2]!;

  it('round-trip and reject malformed fields', () => {
    const enc = encodeSingularBatch(b);
    const dec = decodeBatch(enc);
    expect(dec.type).toBe('singular');
    if (dec.type === 'singular') {
      expect(dec.epochNum).toBe(8n);
      expect(dec.timestamp).toBe(1014n);
      expect(dec.transactions.map(bytesToHex)).toEqual(b.transactions.map(bytesToHex));
    }
    expect(() => decodeSingularBatch(rlpEncode([b.parentHash, 1n, b.epochHash, 1n]))).toThrow(/5 fields/);
    expect(() => decodeSingularBatch(rlpEncode([b.parentHash.subarray(1), 1n, b.epochHash, 1n, []]))).toThrow(/parent_hash must be 32 bytes/);
    expect(() => decodeSingularBatch(rlpEncode([b.parentHash, Uint8Array.of(0, 1), b.epochHash, 1n, []]))).toThrow(BatchDecodeError);
    expect(() => decodeBatch(new Uint8Array(0))).toThrow(/empty/);
  });

  it('reads RLP byte strings and stops at a list or a truncated item', () => {
    const one = encodeSingularBatch(b);
    const data = encodeChannelData([one, one]);
    expect(readBatchData(data)).toEqual({ batches: [one, one], error: null });
    expect(readBatchData(concatBytes(encodeChannelData([one]), rlpEncode([1n])))).toMatchObject({ batches: [one], error: expect.stringMatching(/RLP list/) });
    expect(readBatchData(data.subarray(0, data.length - 1))).toMatchObject({ batches: [one], error: expect.stringMatching(/truncated/) });
  });
});

describe('channel decompression cap', () => {
  it('stops inflating a zlib bomb at the cap', async () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(64 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    const r = await decompressChannel(bomb, { fjord: false, maxBytes: 1_000_000 });
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(r.data.length).toBe(1_000_000);
    expect(r.stopped?.code).toBe('size-cap');
    // Far below the 64 MiB the bomb expands to.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  it('stops a brotli bomb at the cap too, and accepts output of exactly the cap', async () => {
    const zeros = new Uint8Array(32 * 1024 * 1024);
    const bomb = concatBytes(Uint8Array.of(1), brotliCompressSync(zeros));
    const r = await decompressChannel(bomb, { fjord: true, maxBytes: 123_457 });
    expect(r).toMatchObject({ algorithm: 'brotli', stopped: { code: 'size-cap' } });
    expect(r.data.length).toBe(123_457);
    const exact = await decompressChannel(new Uint8Array(deflateSync(zeros.subarray(0, 5000))), { fjord: true, maxBytes: 5000 });
    expect(exact.stopped).toBeNull();
    expect(exact.data.length).toBe(5000);
  });
});

describe('channel bank (direct)', () => {
  it('drops a frame for a buffered channel that has timed out', () => {
    const bank = new ChannelBank({ channelTimeout: 5, maxChannelBankSize: 1e9, canyon: true });
    const id = new Uint8Array(16).fill(7);
    expect(bank.ingestFrame({ channelId: id, frameNumber: 0, data: Uint8Array.of(1), isLast: false }, 10)).toEqual([]);
    const ev = bank.ingestFrame({ channelId: id, frameNumber: 1, data: Uint8Array.of(2), isLast: true }, 16);
    expect(ev).toEqual([expect.objectContaining({ kind: 'frame-dropped', code: 'channel-timed-out', frameNumber: 1, l1Block: 16 })]);
    const events: Parameters<ChannelBank['read']>[1] = [];
    expect(bank.read(16, events)).toBeNull();
    expect(events.map((e) => e.kind)).toEqual(['channel-timed-out']);
    expect(bank.channelCount).toBe(0);
  });

  it('accounts 200 bytes of overhead per frame toward the bank size', () => {
    const bank = new ChannelBank({ channelTimeout: 5, maxChannelBankSize: 1e9, canyon: true });
    bank.ingestFrame({ channelId: new Uint8Array(16), frameNumber: 0, data: new Uint8Array(50), isLast: false }, 1);
    bank.ingestFrame({ channelId: new Uint8Array(16), frameNumber: 2, data: new Uint8Array(70), isLast: false }, 1);
    expect(bank.totalSize).toBe(50 + 70 + 400);
    // A closing frame 1 evicts frame 2 and its size.
    bank.ingestFrame({ channelId: new Uint8Array(16), frameNumber: 1, data: new Uint8Array(5), isLast: true }, 1);
    expect(bank.totalSize).toBe(50 + 5 + 400);
  });
});

// Keeps the RawSpanBatch import honest for readers: the decoded shape is part of the API.
export type _Raw = RawSpanBatch;
