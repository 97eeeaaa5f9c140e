// The committed Keccak sponge (vm/step/sponge.ts) against @noble/hashes' keccak_256: whole, and
// absorbed in pieces with its state encoded and decoded between them, as split KECCAK256 steps do.
import { describe, expect, it } from 'vitest';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { KECCAK_RATE, absorbBlocks, decodeSponge, emptySponge, encodeSponge, finishSponge } from '../vm/step/sponge.js';

const data = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * seed + 5) & 0xff);

describe('committed Keccak sponge', () => {
  it('hashes as keccak256 at every padding edge', () => {
    for (const n of [0, 1, 31, 32, 135, 136, 137, 271, 272, 273, 500, 4080, 4081, 10_000]) {
      expect(bytesToHex(finishSponge(emptySponge(), data(n, 31))), `${n} bytes`).toBe(bytesToHex(keccak_256(data(n, 31))));
    }
  });

  it('absorbs in pieces through its 7-word encoding', () => {
    for (const n of [272, 273, 4080 * 3 + 17, 20_000]) {
      const d = data(n, 7);
      let words = encodeSponge(emptySponge());
      let at = 0;
      for (; n - at > 30 * KECCAK_RATE; at += 30 * KECCAK_RATE) {
        const s = decodeSponge(words);
        absorbBlocks(s, d.subarray(at, at + 30 * KECCAK_RATE));
        words = encodeSponge(s);
        expect(words.every((w) => w < 1n << 256n)).toBe(true);
      }
      expect(bytesToHex(finishSponge(decodeSponge(words), d.subarray(at)))).toBe(bytesToHex(keccak_256(d)));
    }
  });

  it('refuses a partial block and a sponge word 6 with bits below lane 24', () => {
    expect(() => absorbBlocks(emptySponge(), new Uint8Array(100))).toThrow(/whole/);
    const words = encodeSponge(emptySponge());
    words[6] = 1n;
    expect(() => decodeSponge(words)).toThrow(/lane 24/);
  });
});
