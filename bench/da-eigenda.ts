// EigenDA commitment check for a 2048-symbol blob: inverse FFT + Pippenger MSM against the SRS,
// beside a naive MSM (one scalar multiplication per SRS point) on the same coefficients.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { bn254 } from '@noble/curves/bn254.js';
import type { BenchRow } from './report.js';
import {
  encodePayload,
  encodedPayloadToCoefficients,
  loadSrs,
  parseCertRlp,
  verifyEncodedPayload,
  type EigenDACert,
  type G1Srs,
} from '../da/eigenda/index.js';
import { toAffine } from '../da/eigenda/commitment.js';

const SYMBOLS = 2048;
const RUNS = 5;

export async function runDaEigendaBench(): Promise<BenchRow[]> {
  const srsPath = fixtureSrsPath();
  const srs = await loadSrs(srsPath, SYMBOLS);
  // A payload that fills 2048 symbols exactly: 2047 body symbols of 31 bytes.
  const payload = new Uint8Array((SYMBOLS - 1) * 31);
  let s = 0x9e3779b9;
  for (let i = 0; i < payload.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    payload[i] = s >>> 24;
  }
  const encoded = encodePayload(payload);

  // Reference first: its result is the commitment the certificate claims.
  const t0 = performance.now();
  const coefficients = encodedPayloadToCoefficients(encoded);
  const naive = naiveMsm(srs, coefficients);
  const referenceMs = performance.now() - t0;
  const cert = certWith(naive, SYMBOLS);

  verifyEncodedPayload(cert, encoded, srs); // warm-up (and correctness: throws on mismatch)
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    verifyEncodedPayload(cert, encoded, srs);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const ifftTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    encodedPayloadToCoefficients(encoded);
    ifftTimes.push(performance.now() - t);
  }
  ifftTimes.sort((x, y) => x - y);
  return [
    {
      suite: 'da-eigenda',
      workload: `commitment-check-${SYMBOLS}-symbols`,
      unit: 'ms',
      ours: round(times[Math.floor(RUNS / 2)]!),
      reference: round(referenceMs),
      referenceName: 'naive MSM (one scalar mult per point) + same IFFT',
      higherIsBetter: false,
      note: `IFFT + Pippenger G1 MSM + compare + decode, median of ${RUNS}; SRS ${srsPath}`,
    },
    {
      suite: 'da-eigenda',
      workload: `ifft-${SYMBOLS}-symbols`,
      unit: 'ms',
      ours: round(ifftTimes[Math.floor(RUNS / 2)]!),
      reference: null,
      referenceName: null,
      higherIsBetter: false,
      note: `the inverse-FFT share of the check, median of ${RUNS}`,
    },
  ];
}

function naiveMsm(srs: G1Srs, coefficients: readonly bigint[]): { x: bigint; y: bigint } {
  let acc = bn254.G1.Point.ZERO;
  for (let i = 0; i < coefficients.length; i++) {
    if (coefficients[i]! !== 0n) acc = acc.add(srs.points[i]!.multiply(coefficients[i]!));
  }
  return toAffine(acc);
}

// Only the blob commitment matters to the check; the rest of the certificate is empty filler.
function certWith(commitment: { x: bigint; y: bigint }, length: number): EigenDACert {
  const parsed = parseCertRlp(3, FILLER_CERT_V3);
  const header = parsed.blobInclusionInfo.blobCertificate.blobHeader;
  return {
    ...parsed,
    blobInclusionInfo: {
      ...parsed.blobInclusionInfo,
      blobCertificate: {
        ...parsed.blobInclusionInfo.blobCertificate,
        blobHeader: { ...header, commitment: { ...header.commitment, commitment, length } },
      },
    },
  };
}

// RLP of a CertV3 with zero/empty fields and blob length 1: [[root, 0], [[[0, quorums, [g1, g2, g2, 1], hash], sig, []], 0, proof], nonSigner, quorums].
const FILLER_CERT_V3 = ((): Uint8Array => {
  const str = (b: Uint8Array): number[] => (b.length === 1 && b[0]! < 0x80 ? [b[0]!] : [0x80 + b.length, ...b]);
  const list = (...items: number[][]): number[] => {
    const body = items.flat();
    return body.length < 56 ? [0xc0 + body.length, ...body] : [0xf7 + 1, body.length, ...body];
  };
  const zero = [0x80];
  const h32 = str(new Uint8Array(32));
  const g1 = list(zero, zero);
  const g2 = list(list(zero, zero), list(zero, zero));
  const commitment = list(g1, g2, g2, [0x01]);
  const blobHeader = list(zero, zero, commitment, h32);
  const blobCert = list(blobHeader, zero, list());
  const inclusion = list(blobCert, zero, zero);
  const batchHeader = list(h32, zero);
  const nonSigner = list(list(), list(), list(), g2, g1, list(), list(), list());
  return Uint8Array.from(list(batchHeader, inclusion, nonSigner, zero));
})();

function fixtureSrsPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return resolve(dir, '..', 'shared', 'fixtures', 'eigenda', 'g1.point.3000');
    dir = dirname(dir);
  }
  throw new Error('package root not found for the EigenDA SRS fixture');
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
