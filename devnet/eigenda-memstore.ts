// The devnet's EigenDA proxy: an in-memory stand-in for eigenda-proxy in memstore mode, on
// 127.0.0.1 only. It serves the proxy's REST routes (/health, POST /put, GET /get/…), keeps every
// payload in memory and mints real certificates: the blob commitment is a KZG commitment over
// the SRS it is given, so the watcher's commitment check is a real one. Every other certificate
// field is filler (no disperser, no signatures, no chain): certificates are only meaningful to
// this process, and stored data is gone when it stops. Nothing is fetched from outside.
//
// Fault injection (`behaviour`) lets drills and tests play an unavailable or lying proxy.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toRlp, type Hex } from 'viem';
import { bn254 } from '@noble/curves/bn254.js';
import { encodePayload, encodedPayloadToCoefficients } from '../da/eigenda/codec.js';
import { commitToCoefficients, type G1Affine } from '../da/eigenda/commitment.js';
import type { G1Srs } from '../da/eigenda/srs.js';
import { keccak256 } from '../vm/util/hash.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';

/** What the proxy does to requests; settable while it runs. */
export type MemstoreBehaviour =
  | { readonly kind: 'honest' }
  /** GET returns the stored encoded payload with one payload byte changed. */
  | { readonly kind: 'tamper-data' }
  /** PUT returns a certificate committing to different data. */
  | { readonly kind: 'wrong-cert' }
  /** Every /get and /put answers with this status. */
  | { readonly kind: 'status'; readonly status: number };

export type CertVersion = 2 | 3 | 4;

/** How payloads are encoded and committed to; replaceable so tests can cross-check the library. */
export interface MemstoreArithmetic {
  /** PayloadEncodingVersion0: the encoded payload (evaluation form, power-of-two symbols). */
  encode(payload: Uint8Array): Uint8Array;
  /** The KZG commitment to an encoded payload's blob (its coefficients) and its length in symbols. */
  commit(srs: G1Srs, encoded: Uint8Array): { readonly commitment: G1Affine; readonly lengthSymbols: number };
}

/** da/eigenda's codec, inverse FFT and Pippenger MSM: fast enough for every devnet channel. */
export const LIBRARY_ARITHMETIC: MemstoreArithmetic = {
  encode: encodePayload,
  commit: (srs, encoded) => {
    const coefficients = encodedPayloadToCoefficients(encoded);
    return { commitment: commitToCoefficients(srs, coefficients), lengthSymbols: coefficients.length };
  },
};

export interface MemstoreOptions {
  readonly srs: G1Srs;
  readonly certVersion?: CertVersion;
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  readonly arithmetic?: MemstoreArithmetic;
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

export class MemstoreError extends Error {
  override readonly name = 'MemstoreError';
}

// ---- certificates: go-ethereum RLP of the Solidity structs, written as nested lists ---------
// Encoded with viem's RLP, not da/eigenda's parser's counterpart, so the two check each other.

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
  const arith = opts.arithmetic ?? LIBRARY_ARITHMETIC;
  let counter = 0;

  const mint = (payload: Uint8Array, commitTo: Uint8Array): Uint8Array => {
    const { commitment, lengthSymbols } = arith.commit(opts.srs, arith.encode(commitTo));
    counter++;
    const cert = versionedCert({
      version: certVersion,
      commitment,
      lengthSymbols,
      referenceBlockNumber: 1000 + counter,
      // Distinct per PUT, so two equal payloads get two certificates, as with a real disperser.
      batchRoot: keccak256(Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)),
    });
    store.set(bytesToHex(cert), arith.encode(payload));
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
      let cert: Uint8Array;
      try {
        cert = mint(body, b.kind === 'wrong-cert' ? other : body);
      } catch (e) {
        // Too large for the SRS, typically: the proxy's answer to an oversized blob.
        return send(400, `cannot disperse: ${e instanceof Error ? e.message : String(e)}`);
      }
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new MemstoreError(`cannot listen on 127.0.0.1:${opts.port ?? 0}: ${e.message}`)));
    // Loopback only: certificates are filler, nothing outside this machine should trust them.
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(ms, {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients keep connections alive; without this, close waits for their idle timeout.
        server.closeAllConnections();
      }),
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
