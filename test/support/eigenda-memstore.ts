// TEST DOUBLE: an in-memory stand-in for eigenda-proxy (its "memstore" backend) on 127.0.0.1.
// It serves the proxy's REST routes and mints real certificates: the blob commitment is
// computed from the SRS, but every other certificate field is filler (no disperser, no
// signatures, no chain). Its arithmetic is deliberately independent of da/eigenda: a naive
// O(n²) inverse DFT with ω = 5^((r-1)/n) and a naive double-and-add MSM, a separate payload
// encoder, and viem's RLP encoder, so tests cross-check the library instead of echoing it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toRlp, type Hex } from 'viem';
import { bn254 } from '@noble/curves/bn254.js';
import { keccak256 } from '../../vm/util/hash.js';
import { bytesToHex, hexToBytes } from '../../vm/util/bytes.js';
import type { G1Srs } from '../../da/eigenda/srs.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** What the double does to requests, settable between tests. */
export type MemstoreBehaviour =
  | { readonly kind: 'honest' }
  /** GET returns the stored encoded payload with one payload byte changed. */
  | { readonly kind: 'tamper-data' }
  /** PUT returns a certificate committing to different data. */
  | { readonly kind: 'wrong-cert' }
  /** Every /get and /put answers with this status. */
  | { readonly kind: 'status'; readonly status: number };

export type CertVersion = 2 | 3 | 4;

export interface MemstoreOptions {
  readonly srs: G1Srs;
  readonly certVersion?: CertVersion;
}

export interface Memstore {
  readonly url: string;
  behaviour: MemstoreBehaviour;
  /** Requests seen, e.g. "GET /get/0x0100…" (path without query). */
  readonly requests: string[];
  /** Stores data under a versioned cert directly (for hand-made certificates). */
  storeRaw(versionedCert: Uint8Array, encodedPayload: Uint8Array): void;
  stop(): Promise<void>;
}

export interface CertFields {
  readonly version: CertVersion;
  readonly commitment: { readonly x: bigint; readonly y: bigint };
  readonly lengthSymbols: number;
  readonly referenceBlockNumber?: number;
  readonly batchRoot?: Uint8Array;
  readonly offchainDerivationVersion?: number;
}

/** Version byte the proxy puts before each certificate version. */
export const VERSION_BYTE: Record<CertVersion, number> = { 2: 0x01, 3: 0x02, 4: 0x03 };

// ---- independent arithmetic --------------------------------------------------------------

function powR(b: bigint, e: bigint): bigint {
  let x = 1n;
  b %= R;
  while (e > 0n) {
    if (e & 1n) x = (x * b) % R;
    b = (b * b) % R;
    e >>= 1n;
  }
  return x;
}

/** Encodes a payload per EigenDA PayloadEncodingVersion0 (written separately from da/eigenda/codec). */
export function referenceEncode(payload: Uint8Array): Uint8Array {
  const chunks = Math.ceil(payload.length / 31);
  let symbols = 1;
  while (symbols < chunks + 1) symbols <<= 1;
  const out = new Uint8Array(32 * symbols);
  out[2] = (payload.length >>> 24) & 0xff;
  out[3] = (payload.length >>> 16) & 0xff;
  out[4] = (payload.length >>> 8) & 0xff;
  out[5] = payload.length & 0xff;
  for (let i = 0; i < payload.length; i++) out[32 + Math.floor(i / 31) * 32 + 1 + (i % 31)] = payload[i]!;
  return out;
}

/** Naive inverse DFT: c_j = n⁻¹ Σ_i e_i ω^(-ij), ω = 5^((r-1)/n). */
export function referenceInverseDft(evals: readonly bigint[]): bigint[] {
  const n = BigInt(evals.length);
  const omegaInv = powR(powR(5n, (R - 1n) / n), R - 2n);
  const nInv = powR(n, R - 2n);
  return evals.map((_, j) => {
    let acc = 0n;
    const step = powR(omegaInv, BigInt(j));
    let w = 1n;
    for (const e of evals) {
      acc = (acc + e * w) % R;
      w = (w * step) % R;
    }
    return (acc * nInv) % R;
  });
}

/** Naive MSM: Σ c_i·P_i one scalar multiplication at a time. */
export function referenceCommit(srs: G1Srs, coefficients: readonly bigint[]): { x: bigint; y: bigint } {
  let acc = bn254.G1.Point.ZERO;
  coefficients.forEach((c, i) => {
    if (c !== 0n) acc = acc.add(srs.points[i]!.multiply(c));
  });
  if (acc.is0()) return { x: 0n, y: 0n };
  const a = acc.toAffine();
  return { x: a.x, y: a.y };
}

export function symbolsOf(encoded: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < encoded.length; i += 32) out.push(BigInt(bytesToHex(encoded.subarray(i, i + 32))));
  return out;
}

// ---- certificates: go-ethereum RLP of the Solidity structs, written as nested lists ---------

// go-ethereum RLP integers: minimal big-endian bytes, zero as the empty string.
const int = (v: bigint | number): Hex => {
  const h = BigInt(v).toString(16);
  return v === 0n || v === 0 ? '0x' : (`0x${h.length % 2 ? '0' + h : h}` as Hex);
};
const bytes = (b: Uint8Array): Hex => bytesToHex(b);
const G2_FILLER = bn254.G2.Point.BASE.toAffine();
// Solidity BN254.G2Point order: imaginary part first.
const g2 = (): Hex[][] => [
  [int(G2_FILLER.x.c1), int(G2_FILLER.x.c0)],
  [int(G2_FILLER.y.c1), int(G2_FILLER.y.c0)],
];

/** RLP body (no version byte) of a certificate with the given commitment and filler elsewhere. */
export function encodeCertRlp(f: CertFields): Uint8Array {
  const blobHeader = [
    int(0), // blob version
    bytes(Uint8Array.of(0, 1)), // quorum numbers
    [[int(f.commitment.x), int(f.commitment.y)], g2(), g2(), int(f.lengthSymbols)],
    bytes(new Uint8Array(32).fill(0x77)), // payment header hash
  ];
  const blobCertificate = [blobHeader, bytes(new Uint8Array(65).fill(0x11)), [int(0), int(7)]];
  const inclusion = [blobCertificate, int(3), bytes(new Uint8Array(64).fill(0x22))];
  const batchHeader = [bytes(f.batchRoot ?? new Uint8Array(32).fill(0x33)), int(f.referenceBlockNumber ?? 1234)];
  const g1 = bn254.G1.Point.BASE;
  const nonSigner = [
    [int(1)],
    [[int(g1.x), int(g1.y)]],
    [
      [int(g1.x), int(g1.y)],
      [int(g1.x), int(g1.y)],
    ],
    g2(),
    [int(g1.x), int(g1.y)],
    [int(5), int(6)],
    [int(8), int(9)],
    [[int(10)], []],
  ];
  const signedQuorums = bytes(Uint8Array.of(0, 1));
  const fields: unknown[] =
    f.version === 2 ? [inclusion, batchHeader, nonSigner, signedQuorums] : [batchHeader, inclusion, nonSigner, signedQuorums];
  if (f.version === 4) fields.push(int(f.offchainDerivationVersion ?? 0));
  return hexToBytes(toRlp(fields as Parameters<typeof toRlp>[0]));
}

export function versionedCert(f: CertFields): Uint8Array {
  const body = encodeCertRlp(f);
  const out = new Uint8Array(1 + body.length);
  out[0] = VERSION_BYTE[f.version];
  out.set(body, 1);
  return out;
}

// ---- the server ----------------------------------------------------------------------------

export async function startEigenDAMemstore(opts: MemstoreOptions): Promise<Memstore> {
  const store = new Map<string, Uint8Array>(); // versioned cert hex (or 00‖keccak hex) -> encoded payload / raw data
  const certVersion = opts.certVersion ?? 3;
  let counter = 0;

  const mint = (payload: Uint8Array, commitTo: Uint8Array): Uint8Array => {
    const encoded = referenceEncode(commitTo);
    const coeffs = referenceInverseDft(symbolsOf(encoded));
    const commitment = referenceCommit(opts.srs, coeffs);
    counter++;
    const cert = versionedCert({
      version: certVersion,
      commitment,
      lengthSymbols: coeffs.length,
      referenceBlockNumber: 1000 + counter,
      batchRoot: keccak256(Uint8Array.of(counter)),
    });
    store.set(bytesToHex(cert), referenceEncode(payload));
    return cert;
  };

  const ms: Memstore = {
    url: '',
    behaviour: { kind: 'honest' },
    requests: [],
    storeRaw(cert, encoded) {
      store.set(bytesToHex(cert), encoded);
    },
    stop: async () => {},
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    ms.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, data: Uint8Array | string): void => {
      res.writeHead(status, { 'content-type': typeof data === 'string' ? 'text/plain' : 'application/octet-stream' });
      res.end(data);
    };
    if (req.method === 'GET' && url.pathname === '/health') return send(200, 'ok');
    const b = ms.behaviour;
    if (b.kind === 'status') return send(b.status, `memstore configured to answer ${b.status}`);
    const standard = url.searchParams.get('commitment_mode') === 'standard';
    const wantEncoded = ['', 'true', '1'].includes((url.searchParams.get('return_encoded_payload') ?? 'false').toLowerCase());

    if (req.method === 'POST' && url.pathname.startsWith('/put')) {
      const keccakKey = /^\/put\/0x00([0-9a-fA-F]{64})$/.exec(url.pathname);
      if (keccakKey) {
        if (bytesToHex(keccak256(body)).slice(2) !== keccakKey[1]!.toLowerCase()) return send(400, 'keccak mismatch');
        store.set(`0x00${keccakKey[1]!.toLowerCase()}`, body);
        return send(200, '');
      }
      if (url.pathname !== '/put' && url.pathname !== '/put/') return send(404, 'no route');
      const other = Uint8Array.of(...body, 0xee); // data a wrong certificate commits to
      const cert = mint(body, b.kind === 'wrong-cert' ? other : body);
      if (standard) return send(200, cert);
      const op = new Uint8Array(2 + cert.length);
      op.set([0x01, 0x00]);
      op.set(cert, 2);
      return send(200, op);
    }

    if (req.method === 'GET' && url.pathname.startsWith('/get/')) {
      const hex = url.pathname.slice(5).replace(/^0x/i, '').toLowerCase();
      let key: string;
      let isKeccak = false;
      if (standard) key = `0x${hex}`;
      else if (hex.startsWith('00') && hex.length === 66) {
        key = `0x${hex}`;
        isKeccak = true;
      } else if (hex.startsWith('0100')) key = `0x${hex.slice(4)}`;
      else return send(400, 'unsupported commitment type');
      const stored = store.get(key);
      if (!stored) return send(404, 'not found');
      if (isKeccak) return send(200, stored);
      let encoded = stored;
      if (b.kind === 'tamper-data') {
        encoded = stored.slice();
        encoded[33] = encoded[33]! ^ 0x01; // first payload byte
      }
      if (wantEncoded) return send(200, encoded);
      const len = (encoded[2]! << 24) | (encoded[3]! << 16) | (encoded[4]! << 8) | encoded[5]!;
      const payload = new Uint8Array(len);
      for (let i = 0; i < len; i++) payload[i] = encoded[32 + Math.floor(i / 31) * 32 + 1 + (i % 31)]!;
      return send(200, payload);
    }
    return send(404, 'no route');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(ms, {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
  });
}
