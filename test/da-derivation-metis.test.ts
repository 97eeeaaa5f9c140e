// The real Metis Andromeda blob through the derivation core. What it shows: the blob payload is
// plain OP derivation data (version 0, one closing frame, no extra header), the channel is
// brotli (Fjord-style 0x01 byte), and it holds one RLP batch of type 1 whose body is NOT an OP
// span batch but Metis's variant, with three span batches laid end to end inside it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBlob } from '../da/blob/codec.js';
import {
  BatchDecodeError,
  decodeBatch,
  decodeConcatenatedSpanBatches,
  decompressChannel,
  DerivationPipeline,
  expandSpanBatch,
  parseFrames,
  readBatchData,
} from '../da/derivation/index.js';
import { decodeTransaction, encodeTransaction, recoverSender } from '../vm/tx/index.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';

const ANDROMEDA = JSON.parse(readFileSync(new URL('../../shared/fixtures/metis/andromeda-l1-data.json', import.meta.url), 'utf8')) as {
  l1BlobData: string;
};
/** Metis Andromeda's L2 chain id. */
const METIS_CHAIN_ID = 1088n;

describe('Metis Andromeda blob', () => {
  const payload = decodeBlob(hexToBytes(ANDROMEDA.l1BlobData));
  const frames = parseFrames(payload);

  it('is a plain OP derivation payload: version 0 and one closing frame', () => {
    expect(payload.length).toBe(6295);
    expect(payload[0]).toBe(0);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.frameNumber).toBe(0);
    expect(frames[0]!.isLast).toBe(true);
    // 1 version byte + 23 bytes of frame overhead around the data: the frame fills the payload.
    expect(frames[0]!.data.length).toBe(6295 - 24);
  });

  it('carries a brotli channel with one type-1 batch that the OP span format rejects', async () => {
    const d = await decompressChannel(frames[0]!.data, { fjord: true, maxBytes: 100_000_000 });
    expect(d.algorithm).toBe('brotli');
    expect(d.stopped).toBeNull();
    const { batches, error } = readBatchData(d.data);
    expect(error).toBeNull();
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]).toBe(1);
    expect(() => decodeBatch(batches[0]!)).toThrow(BatchDecodeError);
    // Through the OP pipeline the channel is read and its batch reported as undecodable.
    const r = await new DerivationPipeline({ channelTimeout: 50, fjord: true, genesisTimestamp: 0n, blockTime: 2n, chainId: METIS_CHAIN_ID }).addL1Block(1, [payload]);
    expect(r.batches).toEqual([]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ kind: 'channel-data-dropped', code: 'bad-batch', channelId: bytesToHex(frames[0]!.channelId).slice(2) });
  });

  it('decodes in the Metis span layout: three cumulative span batches whose transactions agree', async () => {
    const d = await decompressChannel(frames[0]!.data, { fjord: true, maxBytes: 100_000_000 });
    const [data] = readBatchData(d.data).batches;
    const records = decodeConcatenatedSpanBatches(data!, 'metis');
    expect(records.length).toBeGreaterThan(1);
    expect(records[records.length - 1]!.trailingBytes).toBe(0);
    const expanded = records.map((b) => expandSpanBatch(b, { genesisTimestamp: 0n, blockTime: 0n, chainId: METIS_CHAIN_ID }));
    records.forEach((b, k) => {
      expect(b.metis).not.toBeNull();
      // Each record repeats the previous one's blocks and adds one more.
      expect(b.blockCount).toBe(k + 1);
      expect(b.metis!.l2StartBlock).toBe(records[0]!.metis!.l2StartBlock);
      expect(b.l1OriginNum).toBe(b.metis!.l2StartBlock + BigInt(k));
      expect(bytesToHex(b.parentCheck)).toBe(bytesToHex(records[0]!.parentCheck));
      if (k > 0) {
        expect(b.blockTxCounts.slice(0, k)).toEqual(records[k - 1]!.blockTxCounts);
        const prev = expanded[k - 1]!.flatMap((x) => x.transactions.map(bytesToHex));
        expect(expanded[k]!.flatMap((x) => x.transactions.map(bytesToHex)).slice(0, prev.length)).toEqual(prev);
      }
    });
    // Every transaction is a validly signed EIP-155 transaction for chain 1088.
    const last = expanded[expanded.length - 1]!;
    const txs = last.flatMap((x) => x.transactions);
    expect(txs.length).toBe(records[records.length - 1]!.txs.length);
    const senders = new Set<string>();
    for (const raw of txs) {
      const tx = decodeTransaction(raw);
      expect(tx.type).toBe(0);
      if (tx.type === 0) expect(tx.chainId).toBe(METIS_CHAIN_ID);
      expect(bytesToHex(encodeTransaction(tx))).toBe(bytesToHex(raw));
      senders.add(recoverSender(tx));
    }
    expect(senders.size).toBeGreaterThan(1);
    // No enqueued (L1→L2) transactions in this blob: no L1 origins follow the sequencer signatures.
    expect(records.every((b) => b.metis!.l1TxOrigins.length === 0)).toBe(true);
  });
});
