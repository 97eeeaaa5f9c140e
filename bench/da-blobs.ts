// EIP-4844 blob throughput: fetch + KZG verification through anvil's beacon API, and the OP blob codec.
// References: fetch+verify beside a naive client (JSON route, viem's blob helpers); decode beside a naive
// byte-at-a-time decoder written here from the spec (its output is checked equal to ours); encode and the
// bare commitment check have no reference.
import { performance } from 'node:perf_hooks';
import { blobsToCommitments, commitmentsToVersionedHashes, createPublicClient, hexToBytes, http, type Hex } from 'viem';
import type { BenchRow } from './report.js';
import { startAnvil } from '../cli/anvil.js';
import { BlobFetcher, MAX_BLOB_DATA_SIZE, decodeBlob, encodeBlob, verifyBlob } from '../da/blob/index.js';
import { ckzg } from '../da/blob/kzg.js';
import { equalBytes } from '../vm/util/bytes.js';
import { sendBlobTransaction } from '../test/support/blobs.js';
import { pseudoRandomBytes as pseudoRandom } from '../test/support/rng.js';

export class DaBlobBenchMismatchError extends Error {
  override readonly name = 'DaBlobBenchMismatchError';
}

export interface DaBlobBenchOptions {
  /** Timed runs per workload (median reported); default 5. */
  readonly runs?: number;
  /** Blobs in the block fetched; default 6. */
  readonly blobs?: number;
}


async function medianMs(runs: number, work: () => unknown): Promise<number> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await work();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The obvious decoder: one output byte at a time, tracking the 6-bit pieces per round. */
function naiveDecode(blob: Uint8Array): Uint8Array {
  const length = (blob[2]! << 16) | (blob[3]! << 8) | blob[4]!;
  const stream: number[] = [];
  for (let r = 0; r < 1024 && stream.length < length + 4; r++) {
    const e = [0, 1, 2, 3].map((k) => blob[(r * 4 + k) * 32]!);
    const split = [
      (e[0]! & 0x3f) | ((e[1]! & 0x30) << 2),
      (e[1]! & 0x0f) | ((e[3]! & 0x0f) << 4),
      (e[2]! & 0x3f) | ((e[3]! & 0x30) << 2),
    ];
    for (let k = 0; k < 4; k++) {
      for (let j = 1; j < 32; j++) stream.push(blob[(r * 4 + k) * 32 + j]!);
      if (k < 3) stream.push(split[k]!);
    }
  }
  return Uint8Array.from(stream.slice(4, 4 + length));
}

export async function runDaBlobBench(options: DaBlobBenchOptions = {}): Promise<BenchRow[]> {
  const runs = options.runs ?? 5;
  const count = options.blobs ?? 6;
  const rows: BenchRow[] = [];

  // Codec on a full blob.
  const payload = pseudoRandom(MAX_BLOB_DATA_SIZE, 42);
  const blob = encodeBlob(payload);
  if (!equalBytes(decodeBlob(blob), payload) || !equalBytes(naiveDecode(blob), payload)) {
    throw new DaBlobBenchMismatchError('decoders disagree on the benchmark blob');
  }
  const mb = payload.length / 1e6;
  const decodeMs = await medianMs(runs * 4, () => decodeBlob(blob));
  const naiveMs = await medianMs(runs, () => naiveDecode(blob));
  const encodeMs = await medianMs(runs * 4, () => encodeBlob(payload));
  rows.push(
    { suite: 'da-blobs', workload: 'op-blob-decode-130044B', unit: 'MB/s', ours: mb / (decodeMs / 1000), reference: mb / (naiveMs / 1000), referenceName: 'naive byte-at-a-time decoder', higherIsBetter: true },
    { suite: 'da-blobs', workload: 'op-blob-encode-130044B', unit: 'MB/s', ours: mb / (encodeMs / 1000), reference: null, referenceName: null, higherIsBetter: true },
  );

  // KZG commitment recomputation alone: the floor under fetch+verify.
  ckzg();
  const vh = commitmentsToVersionedHashes({ commitments: [ckzg().blobToKzgCommitment(blob)], to: 'hex' })[0]!;
  const verifyMs = await medianMs(runs, () => verifyBlob(blob, vh));
  rows.push({ suite: 'da-blobs', workload: 'kzg-verify-blob', unit: 'blobs/s', ours: 1000 / verifyMs, reference: null, referenceName: null, higherIsBetter: true, note: 'c-kzg blob_to_kzg_commitment + versioned hash' });

  // Fetch + verify the blobs of one real anvil block.
  const anvil = await startAnvil();
  try {
    const blobs = Array.from({ length: count }, (_, i) => encodeBlob(pseudoRandom(100_000, 1000 + i)));
    const sent = await sendBlobTransaction(anvil.rpcUrl, anvil.privateKeys[0]!, blobs);
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    const block = await client.getBlock({ blockNumber: sent.blockNumber });
    const ref = { number: block.number, timestamp: block.timestamp };
    const fetcher = new BlobFetcher({ endpoints: [{ url: anvil.rpcUrl, kind: 'beacon', blockId: 'execution-number' }] });
    const kzg = ckzg();
    const naiveFetch = async (): Promise<Uint8Array[]> => {
      const res = await fetch(`${anvil.rpcUrl}/eth/v1/beacon/blobs/${sent.blockNumber}?versioned_hashes=${sent.versionedHashes.join(',')}`);
      const body = (await res.json()) as { data: Hex[] };
      const got = body.data.map((h) => hexToBytes(h));
      const commitments = blobsToCommitments({ blobs: got, kzg: { blobToKzgCommitment: (b) => kzg.blobToKzgCommitment(b) } });
      const hashes = commitmentsToVersionedHashes({ commitments, to: 'hex' });
      if (hashes.join() !== sent.versionedHashes.join()) throw new DaBlobBenchMismatchError('naive fetch returned other blobs');
      return got;
    };
    const ours = await fetcher.fetchBlobs(ref, sent.versionedHashes);
    const theirs = await naiveFetch();
    if (ours.some((v, i) => !equalBytes(v.blob, theirs[i]!) || !equalBytes(v.blob, blobs[i]!))) {
      throw new DaBlobBenchMismatchError('fetched blobs differ from the posted ones');
    }
    const fetchMs = await medianMs(runs, () => fetcher.fetchBlobs(ref, sent.versionedHashes));
    const naiveFetchMs = await medianMs(runs, naiveFetch);
    rows.push({
      suite: 'da-blobs',
      workload: `fetch-verify-${count}-blobs-anvil`,
      unit: 'blobs/s',
      ours: count / (fetchMs / 1000),
      reference: count / (naiveFetchMs / 1000),
      referenceName: 'naive: JSON route + viem blob helpers',
      higherIsBetter: true,
      note: 'anvil beacon API on loopback; ours asks for SSZ',
    });
  } finally {
    await anvil.stop();
  }
  return rows;
}
