// Metis Andromeda batch formats, against the real mainnet calldata in ../shared/fixtures/metis.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MetisFormatError,
  blobTxHashes,
  decodeAppendSequencerBatch,
  decodeAppendStateBatch,
  decodeInlineBlocks,
  encodeInboxCalldata,
  parseInboxCalldata,
} from '../da/metis/index.js';
import { bytesToHex, concatBytes, hexToBytes, type Hex } from '../vm/util/bytes.js';

interface AndromedaFixture {
  l1TransactionData: Hex;
  l1StateBatchData: Hex;
  l1BlobData: Hex;
}
const fixture = JSON.parse(readFileSync('../shared/fixtures/metis/andromeda-l1-data.json', 'utf8')) as AndromedaFixture;

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MetisFormatError) return e.reason;
    throw e;
  }
  return 'no error';
}

describe('legacy CTC appendSequencerBatch (Andromeda mainnet)', () => {
  const batch = decodeAppendSequencerBatch(hexToBytes(fixture.l1TransactionData));

  it('reads the header and contexts', () => {
    expect(batch.shouldStartAtElement).toBe(73677n);
    expect(batch.totalElementsToAppend).toBe(101);
    expect(batch.contexts).toEqual([
      { numSequencedTransactions: 25, numSubsequentQueueTransactions: 0, timestamp: 1614694242, l1BlockNumber: 11959268 },
      { numSequencedTransactions: 12, numSubsequentQueueTransactions: 2, timestamp: 1614695151, l1BlockNumber: 11959341 },
      { numSequencedTransactions: 60, numSubsequentQueueTransactions: 0, timestamp: 1614695426, l1BlockNumber: 11959370 },
      { numSequencedTransactions: 2, numSubsequentQueueTransactions: 0, timestamp: 1614696327, l1BlockNumber: 11959447 },
    ]);
  });

  it('lays out 99 sequenced and 2 queue elements in chain order, consuming every byte', () => {
    expect(batch.elements).toHaveLength(101);
    const kinds = batch.elements.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'sequencer')).toHaveLength(99);
    expect(kinds.slice(37, 39)).toEqual(['queue', 'queue']);
    expect(batch.elements.map((e) => e.index)).toEqual(Array.from({ length: 101 }, (_, i) => 73677n + BigInt(i)));
    const first = batch.elements[0]!;
    expect(first.kind === 'sequencer' && first.raw.length).toBe(2 + 2 * 99);
    // The sum of the length-prefixed transactions is exactly the calldata after the contexts.
    const txBytes = batch.elements.reduce((n, e) => n + (e.kind === 'sequencer' ? 3 + (e.raw.length - 2) / 2 : 0), 0);
    expect(15 + 16 * 4 + txBytes).toBe(hexToBytes(fixture.l1TransactionData).length);
  });

  it('rejects truncation, another selector and a context count that disagrees with the header', () => {
    const data = hexToBytes(fixture.l1TransactionData);
    expect(reasonOf(() => decodeAppendSequencerBatch(data.subarray(0, data.length - 10)))).toBe('truncated');
    const other = data.slice();
    other[0] = 0;
    expect(reasonOf(() => decodeAppendSequencerBatch(other))).toBe('batch-type');
    const wrongTotal = data.slice();
    wrongTotal[11] = 0x64; // 100 instead of 101
    expect(reasonOf(() => decodeAppendSequencerBatch(wrongTotal))).toBe('truncated');
  });
});

describe('legacy SCC appendStateBatch (Andromeda mainnet)', () => {
  it('decodes the state roots and the start element', () => {
    const s = decodeAppendStateBatch(fixture.l1StateBatchData);
    expect(s.shouldStartAtElement).toBe(96000n);
    // 16804 bytes = selector + offset + start + length + n roots.
    expect(s.stateRoots.length).toBe((16804 - 4 - 3 * 32) / 32);
    expect(s.stateRoots.every((r) => /^0x[0-9a-f]{64}$/.test(r))).toBe(true);
  });

  it('rejects other calls', () => {
    expect(reasonOf(() => decodeAppendStateBatch(fixture.l1TransactionData))).toBe('batch-type');
  });
});

describe('sequencer batch inbox calldata', () => {
  const hashes = [0x11, 0x22].map((b) => new Uint8Array(32).fill(b));

  it('DA type 3: the 70-byte header, then blob transaction hashes', () => {
    const data = encodeInboxCalldata({ daType: 'blobs', compression: 'none', batchIndex: 7n, l2StartBlock: 18812189n, blockCount: 3, body: concatBytes(...hashes) });
    expect(data.length).toBe(70 + 64);
    expect(data[0]).toBe(3);
    const b = parseInboxCalldata(data);
    expect(b).toMatchObject({ daType: 'blobs', compression: 'none', batchIndex: 7n, l2StartBlock: 18812189n, blockCount: 3 });
    expect(blobTxHashes(b)).toEqual(hashes.map(bytesToHex));
    expect(reasonOf(() => blobTxHashes(parseInboxCalldata(data.subarray(0, data.length - 1))))).toBe('truncated');
    expect(reasonOf(() => decodeInlineBlocks(b))).toBe('da-type');
  });

  function inlineBody(): Uint8Array {
    const u = (v: bigint | number, n: number): Uint8Array => hexToBytes('0x' + BigInt(v).toString(16).padStart(2 * n, '0'));
    const rawTx = new Uint8Array([0xf8, 0x01, 0x02, 0x03]);
    const sig = new Uint8Array(65).fill(0xab);
    const block1 = concatBytes(u(2, 3), u(1700000000, 5), u(21000000n, 32), u(0, 1), u(rawTx.length, 3), rawTx, u(sig.length, 3), sig, u(1, 1), new Uint8Array(20).fill(0xee), u(42, 16));
    const block2 = concatBytes(u(0, 3), u(1700000002, 5), u(21000001n, 32));
    return concatBytes(block1, block2);
  }

  it('DA type 0: inline blocks with sequencer and enqueued transactions, plain and zlib', () => {
    for (const compression of ['none', 'zlib'] as const) {
      const raw = inlineBody();
      const body = compression === 'zlib' ? deflateSync(raw) : raw;
      const b = parseInboxCalldata(encodeInboxCalldata({ daType: 'calldata', compression, batchIndex: 1n, l2StartBlock: 100n, blockCount: 2, body }));
      const blocks = decodeInlineBlocks(b);
      expect(blocks.map((x) => [x.l2BlockNumber, x.timestamp, x.l1BlockNumber, x.transactions.length])).toEqual([
        [100n, 1700000000, 21000000n, 2],
        [101n, 1700000002, 21000001n, 0],
      ]);
      expect(blocks[0]!.transactions[0]).toEqual({ kind: 'sequencer', raw: '0xf8010203', sequencerSignature: bytesToHex(new Uint8Array(65).fill(0xab)) });
      expect(blocks[0]!.transactions[1]).toEqual({ kind: 'enqueue', l1Origin: '0x' + 'ee'.repeat(20), queueIndex: 42n });
    }
  });

  it('rejects short calldata, unknown DA or compression types, a wrong block count and bad zlib', () => {
    expect(reasonOf(() => parseInboxCalldata(new Uint8Array(69)))).toBe('too-short');
    const good = encodeInboxCalldata({ daType: 'calldata', compression: 'none', batchIndex: 1n, l2StartBlock: 100n, blockCount: 2, body: inlineBody() });
    const badDa = good.slice();
    badDa[0] = 9;
    expect(reasonOf(() => parseInboxCalldata(badDa))).toBe('da-type');
    const badCompression = good.slice();
    badCompression[1] = 5;
    expect(reasonOf(() => parseInboxCalldata(badCompression))).toBe('compression');
    const wrongCount = good.slice();
    wrongCount[69] = 3;
    expect(reasonOf(() => decodeInlineBlocks(parseInboxCalldata(wrongCount)))).toBe('truncated');
    expect(reasonOf(() => decodeInlineBlocks(parseInboxCalldata(good.subarray(0, good.length - 5))))).toBe('truncated');
    const notZlib = encodeInboxCalldata({ daType: 'calldata', compression: 'zlib', batchIndex: 1n, l2StartBlock: 100n, blockCount: 2, body: inlineBody() });
    expect(reasonOf(() => decodeInlineBlocks(parseInboxCalldata(notZlib)))).toBe('compression');
  });
});
