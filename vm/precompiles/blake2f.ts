// 0x09 BLAKE2F (EIP-152): the BLAKE2b compression function F (RFC 7693 §3.2)
// with a caller-chosen round count; gas is one per round. The 64-bit words are
// held as (lo, hi) uint32 pairs: plain numbers keep long round counts fast.
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';

export const BLAKE2F_INPUT_LENGTH = 213;
export const BLAKE2F_GAS_PER_ROUND = 1;

// RFC 7693 IV as (lo, hi) pairs.
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

// RFC 7693 message schedule SIGMA; round i uses row i mod 10.
const SIGMA: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

const TWO_32 = 0x100000000;

/** v[a] += v[b] + m[x] (64-bit, wrapping). */
function add3(v: Uint32Array, a: number, b: number, m: Uint32Array, x: number): void {
  const lo = v[2 * a] + v[2 * b] + m[2 * x];
  const carry = Math.floor(lo / TWO_32);
  v[2 * a] = lo;
  v[2 * a + 1] = v[2 * a + 1] + v[2 * b + 1] + m[2 * x + 1] + carry;
}

/** v[a] += v[b] (64-bit, wrapping). */
function add2(v: Uint32Array, a: number, b: number): void {
  const lo = v[2 * a] + v[2 * b];
  const carry = lo >= TWO_32 ? 1 : 0;
  v[2 * a] = lo;
  v[2 * a + 1] = v[2 * a + 1] + v[2 * b + 1] + carry;
}

/** v[d] = rotr64(v[d] ^ v[a], n) for n in 16, 24, 32, 63. */
function xorRotr(v: Uint32Array, d: number, a: number, n: number): void {
  const lo = v[2 * d] ^ v[2 * a];
  const hi = v[2 * d + 1] ^ v[2 * a + 1];
  if (n === 32) {
    v[2 * d] = hi;
    v[2 * d + 1] = lo;
  } else if (n === 63) {
    // rotr 63 is rotl 1
    v[2 * d] = (lo << 1) | (hi >>> 31);
    v[2 * d + 1] = (hi << 1) | (lo >>> 31);
  } else {
    v[2 * d] = (lo >>> n) | (hi << (32 - n));
    v[2 * d + 1] = (hi >>> n) | (lo << (32 - n));
  }
}

function mix(v: Uint32Array, a: number, b: number, c: number, d: number, m: Uint32Array, x: number, y: number): void {
  add3(v, a, b, m, x);
  xorRotr(v, d, a, 32);
  add2(v, c, d);
  xorRotr(v, b, c, 24);
  add3(v, a, b, m, y);
  xorRotr(v, d, a, 16);
  add2(v, c, d);
  xorRotr(v, b, c, 63);
}

/**
 * BLAKE2b F: compresses message block `m` (16 words) into state `h` (8 words) with
 * offset counter `t` (2 words) over `rounds` rounds. Words are little-endian (lo, hi) pairs;
 * `h` is updated in place.
 */
export function blake2bCompress(rounds: number, h: Uint32Array, m: Uint32Array, t: Uint32Array, final: boolean): void {
  const v = new Uint32Array(32);
  v.set(h, 0);
  v.set(IV, 16);
  v[24] ^= t[0];
  v[25] ^= t[1];
  v[26] ^= t[2];
  v[27] ^= t[3];
  if (final) {
    v[28] = ~v[28];
    v[29] = ~v[29];
  }
  for (let i = 0; i < rounds; i++) {
    const s = SIGMA[i % 10];
    mix(v, 0, 4, 8, 12, m, s[0], s[1]);
    mix(v, 1, 5, 9, 13, m, s[2], s[3]);
    mix(v, 2, 6, 10, 14, m, s[4], s[5]);
    mix(v, 3, 7, 11, 15, m, s[6], s[7]);
    mix(v, 0, 5, 10, 15, m, s[8], s[9]);
    mix(v, 1, 6, 11, 12, m, s[10], s[11]);
    mix(v, 2, 7, 8, 13, m, s[12], s[13]);
    mix(v, 3, 4, 9, 14, m, s[14], s[15]);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i] ^ v[i] ^ v[i + 16];
}

/** Reads `count` little-endian uint32s starting at `offset`. */
function readWords(input: Uint8Array, offset: number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(offset + 4 * i, true);
  return out;
}

export const blake2f: Precompile = (input, gasLimit) => {
  if (input.length !== BLAKE2F_INPUT_LENGTH) return failure('blake2f: input must be exactly 213 bytes');
  const rounds = new DataView(input.buffer, input.byteOffset, input.byteLength).getUint32(0, false);
  const cost = rounds * BLAKE2F_GAS_PER_ROUND;
  return charged(cost, gasLimit, () => {
    const f = input[212];
    if (f !== 0 && f !== 1) return failure('blake2f: final block flag must be 0 or 1');
    const h = readWords(input, 4, 16);
    const m = readWords(input, 68, 32);
    const t = readWords(input, 196, 4);
    blake2bCompress(rounds, h, m, t, f === 1);
    const out = new Uint8Array(64);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 16; i++) view.setUint32(4 * i, h[i], true);
    return success(cost, out);
  });
};
