// EIP-2537 encodings over BLS12-381: a field element is 64 bytes big-endian with
// its top 16 bytes zero and a value below p; a G1 point is x ‖ y (128 bytes), a G2
// point is x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1 (256 bytes); all zeros is the point at infinity.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import type { Fp2 } from '@noble/curves/abstract/tower.js';
import { bigIntToBytes, bytesToBigInt } from '../util/bytes.js';

export type BlsG1Point = WeierstrassPoint<bigint>;
export type BlsG2Point = WeierstrassPoint<Fp2>;

export class Bls12InputError extends Error {
  override readonly name = 'Bls12InputError';
}

export const FP_LENGTH = 64;
export const G1_LENGTH = 128;
export const G2_LENGTH = 256;
export const SCALAR_LENGTH = 32;

const { Fp, Fp2 } = bls12_381.fields;
export const BLS12_P: bigint = Fp.ORDER;
export const BLS12_Q: bigint = bls12_381.fields.Fr.ORDER;
export const BlsG1 = bls12_381.G1.Point;
export const BlsG2 = bls12_381.G2.Point;
// E1: y^2 = x^3 + 4; E2: y^2 = x^3 + 4(u + 1).
const B1 = 4n;
const B2 = BlsG2.CURVE().b;

/** Reads one 64-byte field element; the 16 padding bytes must be zero and the value below p. */
export function decodeFp(data: Uint8Array, offset: number): bigint {
  for (let i = 0; i < 16; i++) {
    if (data[offset + i] !== 0) throw new Bls12InputError('bls12-381: field element padding is not zero');
  }
  const v = bytesToBigInt(data.subarray(offset + 16, offset + FP_LENGTH));
  if (v >= BLS12_P) throw new Bls12InputError('bls12-381: field element not below the modulus');
  return v;
}

export function decodeFp2(data: Uint8Array, offset: number): Fp2 {
  return Fp2.fromBigTuple([decodeFp(data, offset), decodeFp(data, offset + FP_LENGTH)]);
}

function encodeFp(v: bigint, out: Uint8Array, offset: number): void {
  out.set(bigIntToBytes(v, 48), offset + 16);
}

/** A G1 point on the curve (or infinity); the subgroup check is left to the caller, as G1ADD skips it. */
export function decodeG1(data: Uint8Array, offset: number): BlsG1Point {
  const x = decodeFp(data, offset);
  const y = decodeFp(data, offset + FP_LENGTH);
  if (x === 0n && y === 0n) return BlsG1.ZERO;
  if (Fp.sqr(y) !== Fp.add(Fp.mul(Fp.sqr(x), x), B1)) throw new Bls12InputError('bls12-381: G1 point not on curve');
  return BlsG1.fromAffine({ x, y });
}

/** A G2 point on the twist (or infinity); no subgroup check. */
export function decodeG2(data: Uint8Array, offset: number): BlsG2Point {
  const x = decodeFp2(data, offset);
  const y = decodeFp2(data, offset + 2 * FP_LENGTH);
  if (Fp2.is0(x) && Fp2.is0(y)) return BlsG2.ZERO;
  if (!Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2))) throw new Bls12InputError('bls12-381: G2 point not on curve');
  return BlsG2.fromAffine({ x, y });
}

export function decodeG1InSubgroup(data: Uint8Array, offset: number): BlsG1Point {
  const p = decodeG1(data, offset);
  if (!p.isTorsionFree()) throw new Bls12InputError('bls12-381: G1 point not in the q-order subgroup');
  return p;
}

export function decodeG2InSubgroup(data: Uint8Array, offset: number): BlsG2Point {
  const p = decodeG2(data, offset);
  if (!p.isTorsionFree()) throw new Bls12InputError('bls12-381: G2 point not in the q-order subgroup');
  return p;
}

export function encodeG1(p: BlsG1Point): Uint8Array {
  const out = new Uint8Array(G1_LENGTH);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  encodeFp(x, out, 0);
  encodeFp(y, out, FP_LENGTH);
  return out;
}

export function encodeG2(p: BlsG2Point): Uint8Array {
  const out = new Uint8Array(G2_LENGTH);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  encodeFp(x.c0, out, 0);
  encodeFp(x.c1, out, FP_LENGTH);
  encodeFp(y.c0, out, 2 * FP_LENGTH);
  encodeFp(y.c1, out, 3 * FP_LENGTH);
  return out;
}

/** Runs `compute`, turning input errors into a failed call and letting real bugs through. */
export function catchInput<T>(compute: () => T, onError: (message: string) => T): T {
  try {
    return compute();
  } catch (e) {
    if (e instanceof Bls12InputError) return onError(e.message);
    throw e;
  }
}
