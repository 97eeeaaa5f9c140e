// 0x100 P256VERIFY (EIP-7951, Osaka): ECDSA verification over secp256r1 of a prehashed
// message. Any rejection is a successful call with empty output; 6900 gas either way.
import { p256 } from '@noble/curves/nist.js';
import type { Precompile } from './types.js';
import { bytesToBigInt } from '../util/bytes.js';
import { EMPTY, charged, success } from './result.js';

export const P256VERIFY_GAS = 6900;
const INPUT_LENGTH = 160;

const Point = p256.Point;
const { n: N, p: P, a: A, b: B } = Point.CURVE();
const Fn = Point.Fn;

/** True when (h, r, s) is a valid signature for public key (qx, qy), all as EIP-7951 bounds them. */
export function p256Verify(h: bigint, r: bigint, s: bigint, qx: bigint, qy: bigint): boolean {
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  if (qx >= P || qy >= P) return false;
  // (0, 0) is not on the curve (b != 0), so this also rules out the point at infinity.
  if ((qy * qy - (qx * qx * qx + A * qx + B)) % P !== 0n) return false;
  const q = Point.fromAffine({ x: qx, y: qy });
  const sInv = Fn.inv(s);
  const u1 = Fn.create(h * sInv);
  const u2 = Fn.create(r * sInv);
  const rPoint = Point.BASE.multiplyUnsafe(u1).add(q.multiplyUnsafe(u2));
  if (rPoint.is0()) return false;
  return rPoint.toAffine().x % N === r;
}

const SUCCESS = (() => {
  const out = new Uint8Array(32);
  out[31] = 1;
  return out;
})();

export const p256verify: Precompile = (input, gasLimit) =>
  charged(P256VERIFY_GAS, gasLimit, () => {
    if (input.length !== INPUT_LENGTH) return success(P256VERIFY_GAS, EMPTY);
    const word = (i: number): bigint => bytesToBigInt(input.subarray(32 * i, 32 * i + 32));
    const valid = p256Verify(word(0), word(1), word(2), word(3), word(4));
    return success(P256VERIFY_GAS, valid ? SUCCESS.slice() : EMPTY);
  });
