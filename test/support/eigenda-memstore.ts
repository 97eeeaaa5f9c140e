// TEST DOUBLE: the devnet's EigenDA memstore proxy (devnet/eigenda-memstore.ts) with arithmetic
// deliberately independent of da/eigenda: a naive O(n²) inverse DFT with ω = 5^((r-1)/n), a
// naive double-and-add MSM and a separate payload encoder (certificates use viem's RLP encoder),
// so tests cross-check the library instead of echoing it. Fault injection (`behaviour`) is the
// devnet proxy's own.
import { bn254 } from '@noble/curves/bn254.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import type { G1Srs } from '../../da/eigenda/srs.js';
import {
  startEigenDAMemstore as startDevnetMemstore,
  type Memstore,
  type MemstoreArithmetic,
  type MemstoreOptions,
} from '../../devnet/eigenda-memstore.js';

export {
  encodeCertRlp,
  versionedCert,
  VERSION_BYTE,
  type CertFields,
  type CertVersion,
  type Memstore,
  type MemstoreBehaviour,
  type MemstoreOptions,
} from '../../devnet/eigenda-memstore.js';

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

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

/** The memstore's arithmetic done the naive way. */
export const REFERENCE_ARITHMETIC: MemstoreArithmetic = {
  encode: referenceEncode,
  commit: (srs, encoded) => {
    const coefficients = referenceInverseDft(symbolsOf(encoded));
    return { commitment: referenceCommit(srs, coefficients), lengthSymbols: coefficients.length };
  },
};

/** The devnet memstore with the reference arithmetic (unless the caller picks another). */
export function startEigenDAMemstore(opts: MemstoreOptions): Promise<Memstore> {
  return startDevnetMemstore({ arithmetic: REFERENCE_ARITHMETIC, ...opts });
}
