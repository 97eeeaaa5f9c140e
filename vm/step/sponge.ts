// Keccak-256 as a sponge whose state can be committed between steps (FIPS 202's Keccak-f[1600]
// with the original Keccak padding, as the EVM's KECCAK256): a long KECCAK256 absorbs its input a
// piece per step (prover/DESIGN.md §2.9), and the on-chain verifier runs the same permutation.

/** Bytes absorbed per permutation: 1088 bits of rate for a 256-bit output. */
export const KECCAK_RATE = 136;

const MASK = (1n << 64n) - 1n;

const ROUND_CONSTANTS: readonly bigint[] = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];

/** ρ offsets by lane index x + 5y. */
const ROTATIONS: readonly number[] = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

/** π: lane x + 5y moves to y + 5((2x + 3y) mod 5). */
const PI: readonly number[] = Array.from({ length: 25 }, (_, i) => {
  const x = i % 5;
  const y = Math.floor(i / 5);
  return y + 5 * ((2 * x + 3 * y) % 5);
});

function rotl(v: bigint, n: number): bigint {
  if (n === 0) return v;
  return ((v << BigInt(n)) | (v >> BigInt(64 - n))) & MASK;
}

/** Keccak-f[1600] on 25 lanes (index x + 5y), in place. */
export function keccakF(a: bigint[]): void {
  const c = new Array<bigint>(5);
  const b = new Array<bigint>(25);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) c[x] = a[x]! ^ a[x + 5]! ^ a[x + 10]! ^ a[x + 15]! ^ a[x + 20]!;
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5]! ^ rotl(c[(x + 1) % 5]!, 1);
      for (let y = 0; y < 25; y += 5) a[x + y] = a[x + y]! ^ d;
    }
    for (let i = 0; i < 25; i++) b[PI[i]!] = rotl(a[i]!, ROTATIONS[i]!);
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) a[x + y] = b[x + y]! ^ (~b[((x + 1) % 5) + y]! & MASK & b[((x + 2) % 5) + y]!);
    }
    a[0] = a[0]! ^ ROUND_CONSTANTS[round]!;
  }
}

/** The empty sponge. */
export function emptySponge(): bigint[] {
  return new Array<bigint>(25).fill(0n);
}

function laneOf(block: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(block[8 * i + j]!);
  return v;
}

/** Absorbs whole blocks of KECCAK_RATE bytes. */
export function absorbBlocks(state: bigint[], data: Uint8Array): void {
  if (data.length % KECCAK_RATE !== 0) throw new Error(`absorbBlocks takes whole ${KECCAK_RATE}-byte blocks, got ${data.length} bytes`);
  for (let o = 0; o < data.length; o += KECCAK_RATE) {
    const block = data.subarray(o, o + KECCAK_RATE);
    for (let i = 0; i < KECCAK_RATE / 8; i++) state[i] = state[i]! ^ laneOf(block, i);
    keccakF(state);
  }
}

/** Absorbs `tail` (any length: its whole blocks, then the rest with Keccak padding) and squeezes 32 bytes. */
export function finishSponge(state: bigint[], tail: Uint8Array): Uint8Array {
  const whole = tail.length - (tail.length % KECCAK_RATE);
  absorbBlocks(state, tail.subarray(0, whole));
  const last = new Uint8Array(KECCAK_RATE);
  last.set(tail.subarray(whole));
  last[tail.length - whole] = last[tail.length - whole]! ^ 0x01;
  last[KECCAK_RATE - 1] = last[KECCAK_RATE - 1]! ^ 0x80;
  absorbBlocks(state, last);
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) out[8 * i + j] = Number((state[i]! >> BigInt(8 * j)) & 0xffn);
  return out;
}

/** The sponge as 7 words: lanes 4j..4j+3 in word j, lane 4j in its top 64 bits (lane 24 alone in word 6). */
export function encodeSponge(state: readonly bigint[]): bigint[] {
  const words: bigint[] = [];
  for (let j = 0; j < 7; j++) {
    let w = 0n;
    for (let k = 0; k < 4; k++) w = (w << 64n) | (state[4 * j + k] ?? 0n);
    words.push(w);
  }
  return words;
}

export function decodeSponge(words: readonly bigint[]): bigint[] {
  if (words.length !== 7) throw new Error('a sponge is 7 words');
  const state: bigint[] = [];
  for (let j = 0; j < 7; j++) for (let k = 0; k < 4; k++) if (4 * j + k < 25) state.push((words[j]! >> BigInt(64 * (3 - k))) & MASK);
  if ((words[6]! & ((1n << 192n) - 1n)) !== 0n) throw new Error('sponge word 6 holds only lane 24');
  return state;
}
