// Keccak-256 as Ethereum uses it (the original Keccak padding, not SHA3's), tuned for V8.
//
// Layout: keccak-f[1600]'s 25 64-bit lanes are held as 50 int32 values (never BigInt).
// Lane (x, y) has index i = x + 5y and lives in a{2i} (its even-numbered bits) and
// a{2i+1} (its odd-numbered bits): the bit-interleaved form of the Keccak team's
// implementation notes. It makes every 64-bit lane rotation two 32-bit rotations,
// and V8 compiles `(v << k) | (v >>> (32 - k))` to a single rotate instruction,
// where plain lo/hi halves need six shifts and ors. The cost is moving bits in and
// out of that form when absorbing and squeezing, a few percent of the work.
//
// Lane complementing (same notes): keeping lanes 1, 2, 6, 11, 17, 22 inverted inside
// the permutation lets chi's `b0 ^ (~b1 & b2)` be written with and/or on the stored
// values and needs one NOT per row instead of five. The row formulas below were
// derived by exhaustive search over the complemented set and checked by the tests.
//
// One round is written out in full (theta with rho and pi fused, chi, iota); the 24
// rounds loop over it, which keeps the function small enough for V8 to optimise
// (fully unrolling all 24 rounds makes TurboFan give up on it).
//
// The sponge state is one preallocated Int32Array shared by every call. That is safe
// because JavaScript runs one call at a time per isolate and nothing here yields;
// every hash starts by zeroing it, so nothing carries over from one call to the next.
// Worker threads load their own copy of this module and so have their own scratch.

/** Bytes absorbed per permutation: (1600 - 2 * 256) / 8. */
export const KECCAK256_RATE = 136;
/** Digest length in bytes. */
export const KECCAK256_LENGTH = 32;

/** Raised for arguments that are not byte arrays, or ranges and offsets that fall outside them. */
export class KeccakInputError extends Error {
  override readonly name = 'KeccakInputError';
}

// Round constants RC[0..23], interleaved like the lanes. Bit 2^j - 1 of RC[i] is
// rc(j + 7i), the output of the spec's LFSR x^8 + x^6 + x^5 + x^4 + 1; bit position
// p lands in the even word at p / 2 when p is even, else in the odd word at (p - 1) / 2.
const RC = ((): Int32Array => {
  const rc = new Int32Array(48);
  let lfsr = 1;
  for (let i = 0; i < 24; i++) {
    for (let j = 0; j < 7; j++) {
      const bit = lfsr & 1;
      lfsr = lfsr & 0x80 ? ((lfsr << 1) ^ 0x71) & 0xff : lfsr << 1;
      if (bit === 0) continue;
      const p = (1 << j) - 1;
      rc[2 * i + (p & 1)] |= 1 << (p >>> 1);
    }
  }
  return rc;
})();

// Scratch (see the note at the top): the sponge state, and the digest as bytes for keccak256Word.
const state = new Int32Array(50);
const digest = new Uint8Array(KECCAK256_LENGTH);
const digestView = new DataView(digest.buffer);

/** keccak-f[1600] on `s` (interleaved lanes, none complemented), in place. */
function keccakF1600(s: Int32Array): void {
  let a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6], a7 = s[7], a8 = s[8], a9 = s[9];
  let a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14], a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19];
  let a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24], a25 = s[25], a26 = s[26], a27 = s[27], a28 = s[28], a29 = s[29];
  let a30 = s[30], a31 = s[31], a32 = s[32], a33 = s[33], a34 = s[34], a35 = s[35], a36 = s[36], a37 = s[37], a38 = s[38], a39 = s[39];
  let a40 = s[40], a41 = s[41], a42 = s[42], a43 = s[43], a44 = s[44], a45 = s[45], a46 = s[46], a47 = s[47], a48 = s[48], a49 = s[49];
  let b0: number, b1: number, b2: number, b3: number, b4: number, b5: number, b6: number, b7: number, b8: number, b9: number;
  let b10: number, b11: number, b12: number, b13: number, b14: number, b15: number, b16: number, b17: number, b18: number, b19: number;
  let b20: number, b21: number, b22: number, b23: number, b24: number, b25: number, b26: number, b27: number, b28: number, b29: number;
  let b30: number, b31: number, b32: number, b33: number, b34: number, b35: number, b36: number, b37: number, b38: number, b39: number;
  let b40: number, b41: number, b42: number, b43: number, b44: number, b45: number, b46: number, b47: number, b48: number, b49: number;
  let c0: number, c1: number, c2: number, c3: number, c4: number, c5: number, c6: number, c7: number, c8: number, c9: number;
  let d0: number, d1: number, e: number, f: number, n: number;
  // Into the complemented form.
  a2 = ~a2; a3 = ~a3; a4 = ~a4; a5 = ~a5; a12 = ~a12; a13 = ~a13; a22 = ~a22; a23 = ~a23; a34 = ~a34; a35 = ~a35; a44 = ~a44; a45 = ~a45;
  for (let round = 0; round < 48; round += 2) {
    // theta: c = column parities; per column x, d = c[x-1] ^ rot(c[x+1], 1) and every lane
    // gets a ^= d, fused with rho (rotate lane (x, y) by r[x][y]) and pi (it moves to (y, 2x + 3y)).
    c0 = a0 ^ a10 ^ a20 ^ a30 ^ a40;
    c1 = a1 ^ a11 ^ a21 ^ a31 ^ a41;
    c2 = a2 ^ a12 ^ a22 ^ a32 ^ a42;
    c3 = a3 ^ a13 ^ a23 ^ a33 ^ a43;
    c4 = a4 ^ a14 ^ a24 ^ a34 ^ a44;
    c5 = a5 ^ a15 ^ a25 ^ a35 ^ a45;
    c6 = a6 ^ a16 ^ a26 ^ a36 ^ a46;
    c7 = a7 ^ a17 ^ a27 ^ a37 ^ a47;
    c8 = a8 ^ a18 ^ a28 ^ a38 ^ a48;
    c9 = a9 ^ a19 ^ a29 ^ a39 ^ a49;
    d0 = c8 ^ ((c3 << 1) | (c3 >>> 31));
    d1 = c9 ^ c2;
    b0 = a0 ^ d0;
    b1 = a1 ^ d1;
    e = a10 ^ d0;
    f = a11 ^ d1;
    b32 = (e << 18) | (e >>> 14);
    b33 = (f << 18) | (f >>> 14);
    e = a20 ^ d0;
    f = a21 ^ d1;
    b14 = (f << 2) | (f >>> 30);
    b15 = (e << 1) | (e >>> 31);
    e = a30 ^ d0;
    f = a31 ^ d1;
    b46 = (f << 21) | (f >>> 11);
    b47 = (e << 20) | (e >>> 12);
    e = a40 ^ d0;
    f = a41 ^ d1;
    b28 = (e << 9) | (e >>> 23);
    b29 = (f << 9) | (f >>> 23);
    d0 = c0 ^ ((c5 << 1) | (c5 >>> 31));
    d1 = c1 ^ c4;
    e = a2 ^ d0;
    f = a3 ^ d1;
    b20 = (f << 1) | (f >>> 31);
    b21 = e;
    e = a12 ^ d0;
    f = a13 ^ d1;
    b2 = (e << 22) | (e >>> 10);
    b3 = (f << 22) | (f >>> 10);
    e = a22 ^ d0;
    f = a23 ^ d1;
    b34 = (e << 5) | (e >>> 27);
    b35 = (f << 5) | (f >>> 27);
    e = a32 ^ d0;
    f = a33 ^ d1;
    b16 = (f << 23) | (f >>> 9);
    b17 = (e << 22) | (e >>> 10);
    e = a42 ^ d0;
    f = a43 ^ d1;
    b48 = (e << 1) | (e >>> 31);
    b49 = (f << 1) | (f >>> 31);
    d0 = c2 ^ ((c7 << 1) | (c7 >>> 31));
    d1 = c3 ^ c6;
    e = a4 ^ d0;
    f = a5 ^ d1;
    b40 = (e << 31) | (e >>> 1);
    b41 = (f << 31) | (f >>> 1);
    e = a14 ^ d0;
    f = a15 ^ d1;
    b22 = (e << 3) | (e >>> 29);
    b23 = (f << 3) | (f >>> 29);
    e = a24 ^ d0;
    f = a25 ^ d1;
    b4 = (f << 22) | (f >>> 10);
    b5 = (e << 21) | (e >>> 11);
    e = a34 ^ d0;
    f = a35 ^ d1;
    b36 = (f << 8) | (f >>> 24);
    b37 = (e << 7) | (e >>> 25);
    e = a44 ^ d0;
    f = a45 ^ d1;
    b18 = (f << 31) | (f >>> 1);
    b19 = (e << 30) | (e >>> 2);
    d0 = c4 ^ ((c9 << 1) | (c9 >>> 31));
    d1 = c5 ^ c8;
    e = a6 ^ d0;
    f = a7 ^ d1;
    b10 = (e << 14) | (e >>> 18);
    b11 = (f << 14) | (f >>> 18);
    e = a16 ^ d0;
    f = a17 ^ d1;
    b42 = (f << 28) | (f >>> 4);
    b43 = (e << 27) | (e >>> 5);
    e = a26 ^ d0;
    f = a27 ^ d1;
    b24 = (f << 13) | (f >>> 19);
    b25 = (e << 12) | (e >>> 20);
    e = a36 ^ d0;
    f = a37 ^ d1;
    b6 = (f << 11) | (f >>> 21);
    b7 = (e << 10) | (e >>> 22);
    e = a46 ^ d0;
    f = a47 ^ d1;
    b38 = (e << 28) | (e >>> 4);
    b39 = (f << 28) | (f >>> 4);
    d0 = c6 ^ ((c1 << 1) | (c1 >>> 31));
    d1 = c7 ^ c0;
    e = a8 ^ d0;
    f = a9 ^ d1;
    b30 = (f << 14) | (f >>> 18);
    b31 = (e << 13) | (e >>> 19);
    e = a18 ^ d0;
    f = a19 ^ d1;
    b12 = (e << 10) | (e >>> 22);
    b13 = (f << 10) | (f >>> 22);
    e = a28 ^ d0;
    f = a29 ^ d1;
    b44 = (f << 20) | (f >>> 12);
    b45 = (e << 19) | (e >>> 13);
    e = a38 ^ d0;
    f = a39 ^ d1;
    b26 = (e << 4) | (e >>> 28);
    b27 = (f << 4) | (f >>> 28);
    e = a48 ^ d0;
    f = a49 ^ d1;
    b8 = (e << 7) | (e >>> 25);
    b9 = (f << 7) | (f >>> 25);
    // chi, row by row: a[x] = b[x] ^ (~b[x+1] & b[x+2]) rewritten for the complemented lanes;
    // n holds the one inverted b the row needs.
    n = ~b4;
    a0 = b0 ^ (b2 | b4);
    a2 = b2 ^ (n | b6);
    a4 = b4 ^ (b6 & b8);
    a6 = b6 ^ (b8 | b0);
    a8 = b8 ^ (b0 & b2);
    n = ~b5;
    a1 = b1 ^ (b3 | b5);
    a3 = b3 ^ (n | b7);
    a5 = b5 ^ (b7 & b9);
    a7 = b7 ^ (b9 | b1);
    a9 = b9 ^ (b1 & b3);
    n = ~b14;
    a10 = b10 ^ (b12 | b14);
    a12 = b12 ^ (n | b16);
    a14 = n ^ (b16 & b18);
    a16 = b16 ^ (b18 | b10);
    a18 = b18 ^ (b10 & b12);
    n = ~b15;
    a11 = b11 ^ (b13 | b15);
    a13 = b13 ^ (n | b17);
    a15 = n ^ (b17 & b19);
    a17 = b17 ^ (b19 | b11);
    a19 = b19 ^ (b11 & b13);
    n = ~b24;
    a20 = b20 ^ (b22 & n);
    a22 = b22 ^ (b24 & b26);
    a24 = b24 ^ (b26 | b28);
    a26 = b26 ^ (b28 & b20);
    a28 = b28 ^ (b20 | b22);
    n = ~b25;
    a21 = b21 ^ (b23 & n);
    a23 = b23 ^ (b25 & b27);
    a25 = b25 ^ (b27 | b29);
    a27 = b27 ^ (b29 & b21);
    a29 = b29 ^ (b21 | b23);
    n = ~b36;
    a30 = b30 ^ (b32 & b34);
    a32 = b32 ^ (b34 | n);
    a34 = b34 ^ (b36 | b38);
    a36 = b36 ^ (b38 & b30);
    a38 = b38 ^ (b30 | b32);
    n = ~b37;
    a31 = b31 ^ (b33 & b35);
    a33 = b33 ^ (b35 | n);
    a35 = b35 ^ (b37 | b39);
    a37 = b37 ^ (b39 & b31);
    a39 = b39 ^ (b31 | b33);
    n = ~b46;
    a40 = b40 ^ (b42 & b44);
    a42 = b42 ^ (b44 | b46);
    a44 = b44 ^ (n | b48);
    a46 = n ^ (b48 & b40);
    a48 = b48 ^ (b40 | b42);
    n = ~b47;
    a41 = b41 ^ (b43 & b45);
    a43 = b43 ^ (b45 | b47);
    a45 = b45 ^ (n | b49);
    a47 = n ^ (b49 & b41);
    a49 = b49 ^ (b41 | b43);
    // iota
    a0 ^= RC[round];
    a1 ^= RC[round + 1];
  }
  // Out of the complemented form.
  a2 = ~a2; a3 = ~a3; a4 = ~a4; a5 = ~a5; a12 = ~a12; a13 = ~a13; a22 = ~a22; a23 = ~a23; a34 = ~a34; a35 = ~a35; a44 = ~a44; a45 = ~a45;
  s[0] = a0; s[1] = a1; s[2] = a2; s[3] = a3; s[4] = a4; s[5] = a5; s[6] = a6; s[7] = a7; s[8] = a8; s[9] = a9;
  s[10] = a10; s[11] = a11; s[12] = a12; s[13] = a13; s[14] = a14; s[15] = a15; s[16] = a16; s[17] = a17; s[18] = a18; s[19] = a19;
  s[20] = a20; s[21] = a21; s[22] = a22; s[23] = a23; s[24] = a24; s[25] = a25; s[26] = a26; s[27] = a27; s[28] = a28; s[29] = a29;
  s[30] = a30; s[31] = a31; s[32] = a32; s[33] = a33; s[34] = a34; s[35] = a35; s[36] = a36; s[37] = a37; s[38] = a38; s[39] = a39;
  s[40] = a40; s[41] = a41; s[42] = a42; s[43] = a43; s[44] = a44; s[45] = a45; s[46] = a46; s[47] = a47; s[48] = a48; s[49] = a49;
}

// 32-bit "unshuffle": even-numbered bits to the low half, odd-numbered bits to the high half
// (four delta swaps, Hacker's Delight 7-2); shuffle32 undoes it.
function unshuffle32(x: number): number {
  let t = (x ^ (x >>> 1)) & 0x22222222;
  x ^= t ^ (t << 1);
  t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
  x ^= t ^ (t << 2);
  t = (x ^ (x >>> 4)) & 0x00f000f0;
  x ^= t ^ (t << 4);
  t = (x ^ (x >>> 8)) & 0x0000ff00;
  return x ^ t ^ (t << 8);
}

function shuffle32(x: number): number {
  let t = (x ^ (x >>> 8)) & 0x0000ff00;
  x ^= t ^ (t << 8);
  t = (x ^ (x >>> 4)) & 0x00f000f0;
  x ^= t ^ (t << 4);
  t = (x ^ (x >>> 2)) & 0x0c0c0c0c;
  x ^= t ^ (t << 2);
  t = (x ^ (x >>> 1)) & 0x22222222;
  return x ^ t ^ (t << 1);
}

/** XORs the 64-bit lane hi:lo (plain little-endian halves) into lane `i` of `s`, interleaving it. */
function xorLane(s: Int32Array, i: number, lo: number, hi: number): void {
  lo = unshuffle32(lo);
  hi = unshuffle32(hi);
  s[2 * i] ^= (lo & 0xffff) | (hi << 16);
  s[2 * i + 1] ^= (lo >>> 16) | (hi & 0xffff0000);
}

/** Little-endian 32-bit word at data[p]. */
function word(data: Uint8Array, p: number): number {
  return data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
}

/** Absorbs data[start, start + length) with Keccak's padding; the digest is then lanes 0..3 of `state`. */
function sponge(data: Uint8Array, start: number, length: number): void {
  const s = state;
  s.fill(0);
  let p = start;
  const end = start + length;
  while (end - p >= KECCAK256_RATE) {
    for (let i = 0; i < KECCAK256_RATE / 8; i++, p += 8) xorLane(s, i, word(data, p), word(data, p + 4));
    keccakF1600(s);
  }
  // The last block holds the rest (all of it for inputs under 136 bytes, the common case), then
  // pad10*1 with Keccak's domain byte: 0x01 straight after the message, 0x80 in the block's last byte.
  const rem = end - p;
  const lanes = rem >>> 3;
  for (let i = 0; i < lanes; i++, p += 8) xorLane(s, i, word(data, p), word(data, p + 4));
  const tail = rem & 7;
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < tail; j++) {
    if (j < 4) lo |= data[p + j] << (8 * j);
    else hi |= data[p + j] << (8 * (j - 4));
  }
  if (tail < 4) lo |= 1 << (8 * tail);
  else hi |= 1 << (8 * (tail - 4));
  xorLane(s, lanes, lo, hi);
  // Byte 135 is the top byte of lane 16; its bit 7 is lane bit 63, odd word bit 31.
  s[33] ^= 0x80000000 | 0;
  keccakF1600(s);
}

/** Writes the 32-byte digest (lanes 0..3 of `state`, de-interleaved) to out[o, o + 32). */
function squeezeInto(out: Uint8Array, o: number): void {
  const s = state;
  for (let i = 0; i < 8; i += 2, o += 8) {
    const even = s[i];
    const odd = s[i + 1];
    const lo = shuffle32((even & 0xffff) | (odd << 16));
    const hi = shuffle32((even >>> 16) | (odd & 0xffff0000));
    out[o] = lo;
    out[o + 1] = lo >>> 8;
    out[o + 2] = lo >>> 16;
    out[o + 3] = lo >>> 24;
    out[o + 4] = hi;
    out[o + 5] = hi >>> 8;
    out[o + 6] = hi >>> 16;
    out[o + 7] = hi >>> 24;
  }
}

function checkBytes(v: unknown, what: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new KeccakInputError(`${what} must be a Uint8Array, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return typeof v;
}

/** keccak-256 of `data`, as a new 32-byte array. */
export function keccak256(data: Uint8Array): Uint8Array {
  checkBytes(data, 'data');
  const out = new Uint8Array(KECCAK256_LENGTH);
  sponge(data, 0, data.length);
  squeezeInto(out, 0);
  return out;
}

/** Writes keccak-256 of `data` to out[outOffset, outOffset + 32), touching nothing else and allocating nothing. */
export function keccak256Into(data: Uint8Array, out: Uint8Array, outOffset: number): void {
  checkBytes(data, 'data');
  checkBytes(out, 'out');
  if (!Number.isSafeInteger(outOffset) || outOffset < 0 || outOffset + KECCAK256_LENGTH > out.length) {
    throw new KeccakInputError(`out[${outOffset}, +32) does not fit in a ${out.length}-byte buffer`);
  }
  sponge(data, 0, data.length);
  squeezeInto(out, outOffset);
}

/**
 * keccak-256 of data[offset, offset + length) read as a big-endian 256-bit word: the value
 * the KECCAK256 opcode pushes, without a subarray view or a digest array per call.
 */
export function keccak256Word(data: Uint8Array, offset = 0, length?: number): bigint {
  checkBytes(data, 'data');
  length ??= data.length - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > data.length) {
    throw new KeccakInputError(`range [${offset}, ${offset} + ${length}) is outside the ${data.length}-byte input`);
  }
  sponge(data, offset, length);
  squeezeInto(digest, 0);
  // Four 64-bit reads make 7 BigInt operations instead of 15 for eight 32-bit words.
  const v = digestView;
  return (
    (v.getBigUint64(0) << 192n) |
    (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) |
    v.getBigUint64(24)
  );
}
