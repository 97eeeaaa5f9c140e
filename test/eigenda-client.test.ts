// EigenDAClient against the in-repo eigenda-proxy test double on 127.0.0.1: real HTTP,
// certificates committing to the real SRS, independent arithmetic in the double.
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  blobCommitmentOf,
  EigenDAClient,
  EigenDAInvalidCertError,
  EigenDARequestError,
  EigenDASrsError,
  EigenDAUnavailableError,
  encodedPayloadSymbols,
  loadSrs,
  parseCertificate,
  type G1Srs,
} from '../da/eigenda/index.js';
import { keccak256 } from '../vm/util/hash.js';
import {
  referenceCommit,
  referenceEncode,
  referenceInverseDft,
  startEigenDAMemstore,
  symbolsOf,
  versionedCert,
  type Memstore,
} from './support/eigenda-memstore.js';

const SRS_PATH = fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url));

function bytesOf(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 3)) & 0xff);
}

let srs: G1Srs;
let a: Memstore;
let b: Memstore;

beforeAll(async () => {
  srs = await loadSrs(SRS_PATH, 256);
  a = await startEigenDAMemstore({ srs });
  b = await startEigenDAMemstore({ srs });
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});
afterEach(() => {
  for (const m of [a, b]) {
    m.behaviour = { kind: 'honest' };
    m.requests.length = 0;
  }
});

const client = (urls: string[], retries = 1): EigenDAClient => new EigenDAClient({ proxyUrls: urls, srs, retries, backoffMs: 5 });

describe('EigenDAClient against the memstore double', () => {
  it('puts and gets an OP generic commitment, verifying the blob', async () => {
    const payload = bytesOf(1000, 1);
    const c = client([a.url]);
    const commitment = await c.put(payload);
    expect(Array.from(commitment.subarray(0, 3))).toEqual([0x01, 0x00, 0x02]); // OP generic, EigenDA, CertV3
    const cert = parseCertificate(commitment);
    expect(blobCommitmentOf(cert).length).toBe(encodedPayloadSymbols(payload.length));
    expect(await c.get(commitment)).toEqual(payload);
    expect(a.requests.at(-1)).toMatch(/^GET \/get\/0x010002/);
  });

  it('supports standard-mode and OP keccak commitments', async () => {
    const c = client([a.url]);
    const payload = bytesOf(77, 2);
    const std = await c.put(payload, { mode: 'standard' });
    expect(std[0]).toBe(0x02);
    expect(await c.get(std)).toEqual(payload);
    const kc = await c.put(payload, { mode: 'op-keccak' });
    expect(kc).toEqual(Uint8Array.from([0x00, ...keccak256(payload)]));
    expect(await c.get(kc)).toEqual(payload);
  });

  for (const certVersion of [2, 4] as const) {
    it(`verifies CertV${certVersion} certificates`, async () => {
      const m = await startEigenDAMemstore({ srs, certVersion });
      try {
        const c = client([m.url]);
        const payload = bytesOf(300, certVersion);
        const commitment = await c.put(payload);
        expect(commitment[2]).toBe(certVersion - 1);
        const got = await c.getVerified(commitment);
        expect(got.payload).toEqual(payload);
        expect(got.cert?.certVersion).toBe(certVersion);
      } finally {
        await m.stop();
      }
    });
  }

  it('rejects tampered data as an invalid certificate', async () => {
    const c = client([a.url]);
    const commitment = await c.put(bytesOf(200, 3));
    a.behaviour = { kind: 'tamper-data' };
    const err = await c.get(commitment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EigenDAInvalidCertError);
    expect((err as EigenDAInvalidCertError).reason).toBe('commitment-mismatch');
  });

  it('rejects a certificate that commits to other data (on put and on get)', async () => {
    const c = client([a.url]);
    a.behaviour = { kind: 'wrong-cert' };
    const err = await c.put(bytesOf(64, 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EigenDAInvalidCertError);
    // A certificate whose commitment is for data X, served with data Y.
    a.behaviour = { kind: 'honest' };
    const x = bytesOf(100, 5);
    const y = bytesOf(100, 6);
    const cx = referenceCommit(srs, referenceInverseDft(symbolsOf(referenceEncode(x))));
    const cert = versionedCert({ version: 3, commitment: cx, lengthSymbols: 8 });
    a.storeRaw(cert, referenceEncode(y));
    const e2 = await c.get(Uint8Array.from([0x01, 0x00, ...cert])).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(EigenDAInvalidCertError);
    expect((e2 as EigenDAInvalidCertError).reason).toBe('commitment-mismatch');
    // Same certificate with data X verifies: the rejection was about the data.
    a.storeRaw(cert, referenceEncode(x));
    expect(await c.get(Uint8Array.from([0x01, 0x00, ...cert]))).toEqual(x);
    // A length that disagrees with the certificate is rejected too.
    const wrongLen = versionedCert({ version: 3, commitment: cx, lengthSymbols: 16 });
    a.storeRaw(wrongLen, referenceEncode(x));
    await expect(c.get(wrongLen)).rejects.toMatchObject({ name: 'EigenDAInvalidCertError', reason: 'length-mismatch' });
  });

  it('rejects data that does not hash to an OP keccak commitment', async () => {
    const c = client([a.url]);
    const key = Uint8Array.from([0x00, ...keccak256(Uint8Array.of(1, 2, 3))]);
    a.storeRaw(key, Uint8Array.of(1, 2, 4));
    await expect(c.get(key)).rejects.toMatchObject({ name: 'EigenDAInvalidCertError', reason: 'keccak-mismatch' });
  });

  it('does not retry or fail over on 418', async () => {
    const c = client([a.url, b.url], 3);
    const commitment = await c.put(bytesOf(50, 7));
    a.requests.length = 0;
    a.behaviour = { kind: 'status', status: 418 };
    const err = await c.get(commitment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EigenDAInvalidCertError);
    expect((err as EigenDAInvalidCertError).reason).toBe('proxy-418');
    expect(a.requests.length).toBe(1);
    expect(b.requests.length).toBe(0);
  });

  it('fails over to the second proxy on 503 and 429', async () => {
    const payload = bytesOf(120, 8);
    const commitment = await client([b.url]).put(payload);
    for (const status of [503, 429]) {
      a.requests.length = 0;
      b.requests.length = 0;
      a.behaviour = { kind: 'status', status };
      const got = await client([a.url, b.url]).getVerified(commitment);
      expect(got.payload).toEqual(payload);
      expect(got.proxyUrl).toBe(b.url);
      expect(a.requests.length).toBe(1);
      expect(b.requests.length).toBe(1);
    }
    // Dispersal fails over too.
    b.requests.length = 0;
    const put = await client([a.url, b.url]).put(bytesOf(10, 9));
    expect(await client([b.url]).get(put)).toEqual(bytesOf(10, 9));
  });

  it('retries with backoff, then reports EigenDAUnavailableError', async () => {
    const commitment = await client([a.url]).put(bytesOf(40, 10));
    a.requests.length = 0;
    a.behaviour = { kind: 'status', status: 503 };
    b.behaviour = { kind: 'status', status: 503 };
    const err = await client([a.url, b.url], 2).get(commitment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EigenDAUnavailableError);
    expect((err as EigenDAUnavailableError).attempts.length).toBe(6);
    expect(a.requests.length).toBe(3);
    expect(b.requests.length).toBe(3);
  });

  it('fails over past an unreachable proxy and reports health', async () => {
    const dead = await closedPortUrl();
    const payload = bytesOf(33, 11);
    const commitment = await client([dead, a.url]).put(payload);
    expect(await client([dead, a.url]).get(commitment)).toEqual(payload);
    expect(await client([dead, a.url]).health()).toBe(true);
    expect(await client([dead]).health()).toBe(false);
  });

  it('reports other 4xx answers as request errors', async () => {
    a.behaviour = { kind: 'status', status: 400 };
    await expect(client([a.url, b.url]).put(bytesOf(5, 12))).rejects.toBeInstanceOf(EigenDARequestError);
    expect(b.requests.length).toBe(0);
  });

  it('refuses a blob larger than the loaded SRS', async () => {
    const payload = bytesOf(40 * 31, 13); // 64 symbols
    const commitment = await client([a.url]).put(payload);
    const small = new EigenDAClient({ proxyUrls: [a.url], srs: { points: srs.points.slice(0, 32) } });
    await expect(small.get(commitment)).rejects.toBeInstanceOf(EigenDASrsError);
    await expect(small.get(commitment)).rejects.toThrow(/64 symbols exceeds the 32-point SRS/);
  });
});

async function closedPortUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
