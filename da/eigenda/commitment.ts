// KZG commitment of a blob: the G1 multi-scalar multiplication Σ c_i·[τ^i]G1 of its coefficients.
import { pippenger } from '@noble/curves/abstract/curve.js';
import { EigenDASrsError } from './errors.js';
import { FR_MODULUS } from './field.js';
import { G1Point, type G1, type G1Srs } from './srs.js';

/** Affine (x, y) of a G1 point; the point at infinity is (0, 0), as in Solidity's BN254 library. */
export interface G1Affine {
  readonly x: bigint;
  readonly y: bigint;
}

/** Commits to `coefficients` with the first coefficients.length SRS points (Pippenger MSM). */
export function commitToCoefficients(srs: G1Srs, coefficients: readonly bigint[]): G1Affine {
  const n = coefficients.length;
  if (n > srs.points.length) {
    throw new EigenDASrsError(`blob of ${n} symbols needs ${n} SRS points, only ${srs.points.length} loaded (pass a larger SRS)`);
  }
  for (let i = 0; i < n; i++) {
    const c = coefficients[i]!;
    if (c < 0n || c >= FR_MODULUS) throw new RangeError(`coefficient ${i} is not a canonical Fr element`);
  }
  if (n === 0) return toAffine(G1Point.ZERO);
  const p = pippenger(G1Point, srs.points.slice(0, n) as G1[], coefficients as bigint[]);
  return toAffine(p);
}

export function toAffine(p: G1): G1Affine {
  if (p.is0()) return { x: 0n, y: 0n };
  const a = p.toAffine();
  return { x: a.x, y: a.y };
}

export function equalG1(a: G1Affine, b: G1Affine): boolean {
  return a.x === b.x && a.y === b.y;
}
