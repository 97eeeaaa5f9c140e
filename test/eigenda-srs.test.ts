// SRS decompression and the commitment MSM, against the shared fixture and naive arithmetic.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bn254 } from '@noble/curves/bn254.js';
import {
  commitToCoefficients,
  decompressG1,
  EigenDASrsError,
  FR_MODULUS,
  loadSrs,
  srsFromBytes,
} from '../da/eigenda/index.js';
import { referenceCommit } from './support/eigenda-memstore.js';

const SRS_PATH = fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url));
const P = bn254.G1.Point.Fp.ORDER;

describe('gnark-compressed G1 SRS', () => {
  it('loads all 3000 fixture points, starting at the generator', async () => {
    const srs = await loadSrs(SRS_PATH);
    expect(srs.points.length).toBe(3000);
    // τ^0·G1 is the BN254 generator (1, 2).
    expect(srs.points[0]!.toAffine()).toEqual({ x: 1n, y: 2n });
    expect(srs.points[1]!.equals(srs.points[0]!)).toBe(false);
    // Every point decompressed on the curve (assertValidity ran) and honours its flag.
    const raw = readFileSync(SRS_PATH);
    for (let i = 0; i < 3000; i++) {
      const { x, y } = srs.points[i]!.toAffine();
      const flag = raw[i * 32]! & 0xc0;
      expect(flag === 0xc0 ? y > (P - 1n) / 2n : y <= (P - 1n) / 2n).toBe(true);
      expect(x.toString(16).padStart(64, '0')).toBe(
        Buffer.from(raw.subarray(i * 32, i * 32 + 32)).toString('hex').replace(/^./, (c) => (parseInt(c, 16) & 3).toString(16)),
      );
    }
  });

  it('reads only a prefix when asked', async () => {
    const full = await loadSrs(SRS_PATH);
    const part = await loadSrs(SRS_PATH, 16);
    expect(part.points.length).toBe(16);
    part.points.forEach((p, i) => expect(p.equals(full.points[i]!)).toBe(true));
  });

  it('flips y between the smallest and largest flags; decodes infinity', () => {
    const raw = readFileSync(SRS_PATH).subarray(32, 64);
    const a = decompressG1(Uint8Array.from(raw));
    const flipped = Uint8Array.from(raw);
    flipped[0] = flipped[0]! ^ 0x40; // 0x80 <-> 0xC0
    expect(decompressG1(flipped).equals(a.negate())).toBe(true);
    const inf = new Uint8Array(32);
    inf[0] = 0x40;
    expect(decompressG1(inf).is0()).toBe(true);
  });

  it('rejects malformed points and files with EigenDASrsError', async () => {
    const raw = Uint8Array.from(readFileSync(SRS_PATH).subarray(0, 64));
    const uncompressed = raw.slice(0, 32);
    uncompressed[0] = uncompressed[0]! & 0x3f;
    expect(() => decompressG1(uncompressed)).toThrow(EigenDASrsError);
    const offCurve = new Uint8Array(32);
    offCurve[0] = 0x80;
    offCurve[31] = 4; // 4³ + 3 = 67 is a non-residue mod p
    expect(() => decompressG1(offCurve)).toThrow(EigenDASrsError);
    const bigX = new Uint8Array(32).fill(0xff);
    bigX[0] = 0xbf;
    expect(() => decompressG1(bigX)).toThrow(EigenDASrsError);
    expect(() => srsFromBytes(raw.subarray(0, 40))).toThrow(EigenDASrsError);
    expect(() => srsFromBytes(raw, 3)).toThrow(EigenDASrsError);
    await expect(loadSrs(SRS_PATH + '.missing')).rejects.toThrow(EigenDASrsError);
    await expect(loadSrs(SRS_PATH, 3001)).rejects.toThrow(/3000 points, 3001 requested/);
  });
});

describe('blob commitment (G1 MSM)', () => {
  it('equals a naive sum of scalar multiplications', async () => {
    const srs = await loadSrs(SRS_PATH, 64);
    let seed = 12345n;
    const coeffs = Array.from({ length: 64 }, () => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 256n;
      return seed % FR_MODULUS;
    });
    expect(commitToCoefficients(srs, coeffs)).toEqual(referenceCommit(srs, coeffs));
    // c_0 = 1, rest 0 commits to the generator.
    expect(commitToCoefficients(srs, [1n, 0n, 0n, 0n])).toEqual({ x: 1n, y: 2n });
    expect(commitToCoefficients(srs, [0n, 0n])).toEqual({ x: 0n, y: 0n });
  });

  it('refuses a blob longer than the SRS', async () => {
    const srs = await loadSrs(SRS_PATH, 8);
    expect(() => commitToCoefficients(srs, new Array<bigint>(16).fill(1n))).toThrow(EigenDASrsError);
  });
});
