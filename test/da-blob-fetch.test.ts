// BlobFetcher and BeaconClient against a real anvil (real type-3 transactions, its beacon blob API) and
// small misbehaving HTTP servers on 127.0.0.1: failover, retries, tampering, malformed answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http } from 'viem';
import { startAnvil, freePort, type AnvilNode } from '../cli/anvil.js';
import {
  BeaconClient,
  BeaconHttpError,
  BlobFetcher,
  BlobNotFoundError,
  BlobRequestError,
  BlobVerificationError,
  MAX_BLOB_DATA_SIZE,
  computeVersionedHash,
  decodeBlob,
  encodeBlob,
  parseBlobSidecarsJson,
  type BeaconEndpoint,
  type L1BlockRef,
} from '../da/blob/index.js';
import { bytesToHex, type Hex } from '../vm/util/bytes.js';
import { sendBlobTransaction } from './support/blobs.js';
import { pseudoRandomBytes as pseudoRandom } from './support/rng.js';

interface FakeServer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<FakeServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    Promise.resolve(handler(req, res)).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}


const beacon = (url: string): BeaconEndpoint => ({ url, kind: 'beacon', blockId: 'execution-number' });
const archiver = (url: string): BeaconEndpoint => ({ url, kind: 'archiver', blockId: 'execution-number' });

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

let anvil: AnvilNode;
const payloads = [pseudoRandom(5000, 1), pseudoRandom(MAX_BLOB_DATA_SIZE, 2), pseudoRandom(77, 3)];
let blockA: L1BlockRef;
let hashesA: readonly Hex[];
let blockB: L1BlockRef;
let hashesB: readonly Hex[];
const servers: FakeServer[] = [];

async function fake(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<FakeServer> {
  const s = await serve(handler);
  servers.push(s);
  return s;
}

/** An endpoint that proxies anvil's blobs route as JSON, letting the test rewrite the blobs. */
function proxyTo(rewrite: (blobs: string[]) => string[]) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const upstream = await fetch(anvil.rpcUrl + (req.url ?? ''), { headers: { accept: 'application/json' } });
    const body = (await upstream.json()) as { data?: string[] };
    if (upstream.status !== 200 || !body.data) return json(res, upstream.status, body);
    json(res, 200, { ...body, data: rewrite(body.data) });
  };
}

beforeAll(async () => {
  anvil = await startAnvil();
  const client = createPublicClient({ transport: http(anvil.rpcUrl, { timeout: 120_000 }) });
  const a = await sendBlobTransaction(anvil.rpcUrl, anvil.privateKeys[0]!, [encodeBlob(payloads[0]!), encodeBlob(payloads[1]!)]);
  const b = await sendBlobTransaction(anvil.rpcUrl, anvil.privateKeys[1]!, [encodeBlob(payloads[2]!)]);
  const ba = await client.getBlock({ blockNumber: a.blockNumber });
  const bb = await client.getBlock({ blockNumber: b.blockNumber });
  blockA = { number: ba.number, timestamp: ba.timestamp };
  blockB = { number: bb.number, timestamp: bb.timestamp };
  hashesA = a.versionedHashes;
  hashesB = b.versionedHashes;
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await anvil?.stop();
});

describe('BlobFetcher against anvil', () => {
  it('posted two blob transactions in two blocks', () => {
    expect(hashesA.length).toBe(2);
    expect(hashesB.length).toBe(1);
    expect(blockA.number).not.toBe(blockB.number);
  });

  it('fetches, verifies and decodes blobs to the exact bytes posted, in the order requested', async () => {
    const fetcher = new BlobFetcher({ endpoints: [beacon(anvil.rpcUrl)] });
    const got = await fetcher.fetchBlobs(blockA, [hashesA[1]!, hashesA[0]!]);
    expect(got.map((g) => g.versionedHash)).toEqual([hashesA[1], hashesA[0]]);
    expect(decodeBlob(got[0]!.blob)).toEqual(payloads[1]);
    expect(decodeBlob(got[1]!.blob)).toEqual(payloads[0]);
    for (const g of got) expect(computeVersionedHash(g.commitment)).toBe(g.versionedHash);
    const [only] = await fetcher.fetchBlobs(blockB, hashesB);
    expect(decodeBlob(only!.blob)).toEqual(payloads[2]);
    expect(await fetcher.fetchBlobs(blockB, [])).toEqual([]);
  });

  it('reads anvil answers in SSZ and in JSON alike; the sidecar route answers 410', async () => {
    const ssz = await new BeaconClient(anvil.rpcUrl, { preferSsz: true }).getBlobs(blockA.number.toString(), hashesA);
    const js = await new BeaconClient(anvil.rpcUrl, { preferSsz: false }).getBlobs(blockA.number.toString(), hashesA);
    expect(ssz.length).toBe(2);
    expect(ssz).toEqual(js);
    const client = new BeaconClient(anvil.rpcUrl);
    expect(typeof (await client.getGenesisTime())).toBe('bigint');
    expect(await client.getSecondsPerSlot()).toBeUndefined(); // anvil has no /eth/v1/config/spec
    const gone = await rejection(client.getBlobSidecars(blockA.number.toString()));
    expect(gone).toBeInstanceOf(BeaconHttpError);
    expect((gone as BeaconHttpError).status).toBe(410);
  });

  it('falls over past a down node, a 404 node and a 410-only node to the next endpoint', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const notFound = await fake((_req, res) => json(res, 404, { code: 404, message: 'Block not found' }));
    const deprecated = await fake((req, res) =>
      req.url?.includes('/blob_sidecars/') ? json(res, 410, { code: 410, message: 'deprecated' }) : json(res, 404, { code: 404, message: 'no route' }),
    );
    const fetcher = new BlobFetcher({ endpoints: [beacon(down), beacon(notFound.url), archiver(deprecated.url), archiver(anvil.rpcUrl)], backoffMs: 1 });
    const got = await fetcher.fetchBlobs(blockA, hashesA);
    expect(decodeBlob(got[0]!.blob)).toEqual(payloads[0]);
    expect(notFound.hits.length).toBe(2); // blobs, then the older sidecar route
    expect(deprecated.hits.some((u) => u.includes('/blob_sidecars/'))).toBe(true);
  });

  it('asks beacon nodes before archivers, whatever the order given', async () => {
    const arch = await fake((_req, res) => json(res, 404, { code: 404, message: 'not found' }));
    const got = await new BlobFetcher({ endpoints: [archiver(arch.url), beacon(anvil.rpcUrl)] }).fetchBlobs(blockB, hashesB);
    expect(decodeBlob(got[0]!.blob)).toEqual(payloads[2]);
    expect(arch.hits.length).toBe(0);
  });

  it('retries missing blobs with backoff, then reports BlobNotFoundError', async () => {
    const notFound = await fake((_req, res) => json(res, 404, { code: 404, message: 'Block not found' }));
    const down = `http://127.0.0.1:${await freePort()}`;
    const fetcher = new BlobFetcher({ endpoints: [beacon(notFound.url), beacon(down)], retries: 2, backoffMs: 1 });
    const err = await rejection(fetcher.fetchBlobs(blockA, hashesA));
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect((err as BlobNotFoundError).missing).toEqual(hashesA);
    expect(notFound.hits.length).toBe(3 * 2); // three rounds, two routes each
  });

  it('rejects a tampered blob as invalid and never asks that endpoint again', async () => {
    const tamper = await fake(
      proxyTo((blobs) => blobs.map((b) => b.slice(0, 202) + (b[202] === '1' ? '2' : '1') + b.slice(203))),
    );
    const notFound = await fake((_req, res) => json(res, 404, { code: 404, message: 'Block not found' }));
    const fetcher = new BlobFetcher({ endpoints: [archiver(tamper.url), beacon(notFound.url)], retries: 2, backoffMs: 1 });
    const err = await rejection(fetcher.fetchBlobs(blockA, hashesA));
    expect(err).toBeInstanceOf(BlobVerificationError);
    expect(tamper.hits.length).toBe(1);
    expect(notFound.hits.length).toBe(3 * 2);
    // With an honest node behind it, the honest node's blobs are used.
    const recovered = await new BlobFetcher({ endpoints: [beacon(tamper.url), beacon(anvil.rpcUrl)] }).fetchBlobs(blockA, hashesA);
    expect(decodeBlob(recovered[1]!.blob)).toEqual(payloads[1]);
    expect(tamper.hits.length).toBe(2);
  });

  it('rejects a valid blob served for the wrong versioned hash', async () => {
    const other = await new BeaconClient(anvil.rpcUrl, { preferSsz: false }).getBlobs(blockB.number.toString(), hashesB);
    const wrong = await fake(proxyTo(() => [bytesToHex(other[0]!)]));
    const err = await rejection(new BlobFetcher({ endpoints: [archiver(wrong.url)], retries: 3, backoffMs: 1 }).fetchBlobs(blockA, [hashesA[0]!]));
    expect(err).toBeInstanceOf(BlobVerificationError);
    expect(err.message).toMatch(/match none of the requested/);
    expect(wrong.hits.length).toBe(1);
  });

  it('treats malformed JSON and wrong-size blobs as invalid answers', async () => {
    const malformed = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"data":["0x00');
    });
    const short = await fake((_req, res) => json(res, 200, { data: [`0x${'00'.repeat(1000)}`] }));
    const ssz = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(131072 + 5));
    });
    for (const s of [malformed, short, ssz]) {
      const err = await rejection(new BlobFetcher({ endpoints: [beacon(s.url)], retries: 2, backoffMs: 1 }).fetchBlobs(blockA, hashesA));
      expect(err).toBeInstanceOf(BlobVerificationError);
      expect(s.hits.length).toBe(1);
    }
    const err = await rejection(new BlobFetcher({ endpoints: [beacon(malformed.url)], retries: 0 }).fetchBlobs(blockA, hashesA));
    expect(err.message).toMatch(/malformed JSON/);
  });

  it('counts a node that goes away mid-answer as missing and moves on', async () => {
    const dying = await fake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '300000' });
      res.write('{"data":["0x0000');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const got = await new BlobFetcher({ endpoints: [beacon(dying.url), beacon(anvil.rpcUrl)], backoffMs: 1 }).fetchBlobs(blockB, hashesB);
    expect(decodeBlob(got[0]!.blob)).toEqual(payloads[2]);
    const err = await rejection(new BlobFetcher({ endpoints: [beacon(dying.url)], retries: 1, backoffMs: 1 }).fetchBlobs(blockB, hashesB));
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect((err as BlobNotFoundError).failures[0]!.reason).toMatch(/connection lost|terminated|socket/i);
  });

  it('rejects a malformed versioned hash or an empty endpoint list', async () => {
    expect(() => new BlobFetcher({ endpoints: [] })).toThrow(BlobRequestError);
    const err = await rejection(new BlobFetcher({ endpoints: [beacon(anvil.rpcUrl)] }).fetchBlobs(blockA, ['0x02' as Hex]));
    expect(err).toBeInstanceOf(BlobRequestError);
  });
});

describe('BlobFetcher by slot, against the real goerli sidecars of slot 7422094', () => {
  const FIX = new URL('../../shared/fixtures/beacon/', import.meta.url);
  const sidecarsText = readFileSync(new URL('eth_v1_beacon_blob_sidecars_7422094_goerli.json', FIX), 'utf8');
  const genesisText = readFileSync(new URL('eth_v1_beacon_genesis_goerli.json', FIX), 'utf8');
  const specText = readFileSync(new URL('eth_v1_config_spec_goerli.json', FIX), 'utf8');
  const sidecars = parseBlobSidecarsJson(JSON.parse(sidecarsText));
  const hashes = sidecars.map((s) => computeVersionedHash(s.commitment));
  const genesisTime = BigInt((JSON.parse(genesisText) as { data: { genesis_time: string } }).data.genesis_time);
  // An execution block of that slot: its timestamp is genesis + slot * SECONDS_PER_SLOT (12 on goerli).
  const block: L1BlockRef = { number: 9_800_000n, timestamp: genesisTime + 7422094n * 12n };

  /** A pre-blobs-route beacon node: only genesis, spec (unless withSpec is false) and blob_sidecars by slot. */
  function oldNode(opts: { withSpec: boolean; sidecars?: string }) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const path = (req.url ?? '').split('?')[0];
      res.setHeader('content-type', 'application/json');
      if (path === '/eth/v1/beacon/genesis') return void res.end(genesisText);
      if (path === '/eth/v1/config/spec' && opts.withSpec) return void res.end(specText);
      if (path === '/eth/v1/beacon/blob_sidecars/7422094') return void res.end(opts.sidecars ?? sidecarsText);
      res.statusCode = 404;
      res.end(JSON.stringify({ code: 404, message: 'not found' }));
    };
  }

  it('computes the slot from genesis and the spec, and verifies the sidecars with their proofs', async () => {
    const node = await fake(oldNode({ withSpec: true }));
    const fetcher = new BlobFetcher({ endpoints: [{ url: node.url, kind: 'beacon', blockId: 'slot' }] });
    const got = await fetcher.fetchBlobs(block, [hashes[4]!, hashes[0]!, hashes[2]!]);
    expect(got.map((g) => g.versionedHash)).toEqual([hashes[4], hashes[0], hashes[2]]);
    expect(got[0]!.blob).toEqual(sidecars[4]!.blob);
    expect(node.hits).toContain('/eth/v1/beacon/blob_sidecars/7422094');
  });

  it('uses the given SECONDS_PER_SLOT when the node has no spec route, and fails clearly without it', async () => {
    const node = await fake(oldNode({ withSpec: false }));
    const ep: BeaconEndpoint = { url: node.url, kind: 'beacon', blockId: 'slot' };
    const got = await new BlobFetcher({ endpoints: [ep], secondsPerSlot: 12 }).fetchBlobs(block, [hashes[1]!]);
    expect(got[0]!.blob).toEqual(sidecars[1]!.blob);
    const err = await rejection(new BlobFetcher({ endpoints: [ep], retries: 0 }).fetchBlobs(block, [hashes[1]!]));
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect(err.message).toMatch(/SECONDS_PER_SLOT/);
    const offSlot = await rejection(
      new BlobFetcher({ endpoints: [ep], secondsPerSlot: 12, retries: 0 }).fetchBlobs({ ...block, timestamp: block.timestamp + 5n }, [hashes[1]!]),
    );
    expect(offSlot.message).toMatch(/slot boundary/);
  });

  it('rejects sidecars whose proofs do not verify', async () => {
    const body = JSON.parse(sidecarsText) as { data: { kzg_proof: string }[] };
    [body.data[0]!.kzg_proof, body.data[1]!.kzg_proof] = [body.data[1]!.kzg_proof, body.data[0]!.kzg_proof];
    const node = await fake(oldNode({ withSpec: true, sidecars: JSON.stringify(body) }));
    const err = await rejection(
      new BlobFetcher({ endpoints: [{ url: node.url, kind: 'archiver', blockId: 'slot' }], retries: 2, backoffMs: 1 }).fetchBlobs(block, [hashes[0]!]),
    );
    expect(err).toBeInstanceOf(BlobVerificationError);
    expect(err.message).toMatch(/proof/);
    expect(node.hits.filter((u) => u.includes('blob_sidecars')).length).toBe(1);
  });
});
