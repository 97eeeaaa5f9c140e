// Decoding and encoding of alt_bn128 (bn254) points as EIP-196/197 lay them out:
// 32-byte big-endian coordinates, (0, 0) for the point at infinity, and G2
// coordinates as Fp2 elements with the imaginary part first.
import { bn254 } from '@noble/curves/bn254.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import type { Fp2 } from '@noble/curves/abstract/tower.js';
import { bigIntToBytes, bytesToBigInt } from '../util/bytes.js';

export type G1Point = WeierstrassPoint<bigint>;
export type G2Point = WeierstrassPoint<Fp2>;

export class Bn254InputError extends Error {
  override readonly name = 'Bn254InputError';
}

const { Fp, Fp2 } = bn254.fields;
export const BN254_P: bigint = Fp.ORDER;
export const BN254_R: bigint = bn254.fields.Fr.ORDER;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
// E: y^2 = x^3 + 3; the twist: y^2 = x^3 + 3/(u+9).
const B1 = 3n;
const B2 = G2.CURVE().b;

function coordinate(data: Uint8Array, offset: number): bigint {
  const v = bytesToBigInt(data.subarray(offset, offset + 32));
  if (v >= BN254_P) throw new Bn254InputError('bn254: coordinate not below the field modulus');
  return v;
}

/** Reads a G1 point from 64 bytes; it must be on the curve or (0, 0). The curve has cofactor 1. */
export function decodeG1(data: Uint8Array, offset: number): G1Point {
  const x = coordinate(data, offset);
  const y = coordinate(data, offset + 32);
  if (x === 0n && y === 0n) return G1.ZERO;
  if (Fp.sqr(y) !== Fp.add(Fp.mul(Fp.sqr(x), x), B1)) throw new Bn254InputError('bn254: G1 point not on curve');
  return G1.fromAffine({ x, y });
}

export function encodeG1(p: G1Point): Uint8Array {
  const out = new Uint8Array(64);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  out.set(bigIntToBytes(x, 32), 0);
  out.set(bigIntToBytes(y, 32), 32);
  return out;
}

/** Reads a G2 point from 128 bytes (x_im, x_re, y_im, y_re); on the twist and in the r-torsion subgroup, or zero. */
export function decodeG2(data: Uint8Array, offset: number): G2Point {
  const xi = coordinate(data, offset);
  const xr = coordinate(data, offset + 32);
  const yi = coordinate(data, offset + 64);
  const yr = coordinate(data, offset + 96);
  if (xi === 0n && xr === 0n && yi === 0n && yr === 0n) return G2.ZERO;
  const x = Fp2.fromBigTuple([xr, xi]);
  const y = Fp2.fromBigTuple([yr, yi]);
  if (!Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2))) throw new Bn254InputError('bn254: G2 point not on curve');
  const p = G2.fromAffine({ x, y });
  // The twist has a large cofactor; EIP-197 demands points of order r.
  if (!p.isTorsionFree()) throw new Bn254InputError('bn254: G2 point not in the r-order subgroup');
  return p;
}

export { G1 as Bn254G1, G2 as Bn254G2 };
