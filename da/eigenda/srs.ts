// The EigenDA structured reference string: G1 points [τ^i]G1, stored gnark-compressed.
import { open } from 'node:fs/promises';
import { bn254 } from '@noble/curves/bn254.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { EigenDASrsError } from './errors.js';

export type G1 = WeierstrassPoint<bigint>;
export const G1Point = bn254.G1.Point;

/** BN254 base-field modulus (G1 coordinates). */
export const FP_MODULUS = bn254.G1.Point.Fp.ORDER;

/** gnark serialises a compressed G1 point in 32 bytes. */
export const G1_COMPRESSED_SIZE = 32;

// gnark's flag bits in the top two bits of the first byte.
const FLAG_MASK = 0xc0;
const FLAG_COMPRESSED_SMALLEST = 0x80;
const FLAG_COMPRESSED_LARGEST = 0xc0;
const FLAG_COMPRESSED_INFINITY = 0x40;

/** The first `points.length` SRS points, in order. */
export interface G1Srs {
  readonly points: readonly G1[];
}

/**
 * Decompresses one gnark-compressed G1 point: big-endian x with flags 0x80 (y is the
 * lexicographically smaller root, y ≤ (p-1)/2), 0xC0 (larger root) or 0x40 (infinity).
 */
export function decompressG1(bytes: Uint8Array): G1 {
  if (bytes.length !== G1_COMPRESSED_SIZE) {
    throw new EigenDASrsError(`compressed G1 point must be ${G1_COMPRESSED_SIZE} bytes, got ${bytes.length}`);
  }
  const flag = bytes[0]! & FLAG_MASK;
  let x = 0n;
  for (let i = 0; i < 32; i++) x = (x << 8n) | BigInt(i === 0 ? bytes[0]! & ~FLAG_MASK & 0xff : bytes[i]!);
  if (flag === FLAG_COMPRESSED_INFINITY) {
    if (x !== 0n) throw new EigenDASrsError('infinity flag set on a non-zero x');
    return G1Point.ZERO;
  }
  if (flag !== FLAG_COMPRESSED_SMALLEST && flag !== FLAG_COMPRESSED_LARGEST) {
    throw new EigenDASrsError(`not a compressed point: flag bits 0x${flag.toString(16).padStart(2, '0')}`);
  }
  if (x >= FP_MODULUS) throw new EigenDASrsError('x is not a canonical field element');
  const Fp = G1Point.Fp;
  const y2 = Fp.add(Fp.mul(Fp.sqr(x), x), 3n); // y² = x³ + 3
  let y: bigint;
  try {
    y = Fp.sqrt(y2);
  } catch {
    throw new EigenDASrsError(`x = 0x${x.toString(16)} is not on the curve`);
  }
  const largest = y > (FP_MODULUS - 1n) / 2n;
  if (largest !== (flag === FLAG_COMPRESSED_LARGEST)) y = Fp.neg(y);
  const p = G1Point.fromAffine({ x, y });
  p.assertValidity();
  return p;
}

/** Parses `count` (default: all) consecutive compressed points from a byte buffer. */
export function srsFromBytes(data: Uint8Array, count?: number): G1Srs {
  if (data.length % G1_COMPRESSED_SIZE !== 0) {
    throw new EigenDASrsError(`SRS data of ${data.length} bytes is not a whole number of 32-byte points`);
  }
  const available = data.length / G1_COMPRESSED_SIZE;
  const n = count ?? available;
  if (!Number.isSafeInteger(n) || n < 0) throw new EigenDASrsError(`invalid SRS point count ${String(count)}`);
  if (n > available) throw new EigenDASrsError(`SRS holds ${available} points, ${n} requested`);
  const points: G1[] = new Array<G1>(n);
  for (let i = 0; i < n; i++) {
    const off = i * G1_COMPRESSED_SIZE;
    try {
      points[i] = decompressG1(data.subarray(off, off + G1_COMPRESSED_SIZE));
    } catch (err) {
      throw new EigenDASrsError(`SRS point ${i}: ${(err as Error).message}`);
    }
  }
  return { points };
}

/**
 * Loads the first `count` points (default: the whole file) of a gnark-compressed G1 SRS file.
 * Only the needed prefix is read, so a production SRS can be loaded partially.
 */
export async function loadSrs(path: string, count?: number): Promise<G1Srs> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new EigenDASrsError(`cannot open SRS file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    if (size % G1_COMPRESSED_SIZE !== 0) {
      throw new EigenDASrsError(`SRS file ${path} has ${size} bytes, not a whole number of 32-byte points`);
    }
    const available = size / G1_COMPRESSED_SIZE;
    const n = count ?? available;
    if (!Number.isSafeInteger(n) || n < 0) throw new EigenDASrsError(`invalid SRS point count ${String(count)}`);
    if (n > available) throw new EigenDASrsError(`SRS file ${path} holds ${available} points, ${n} requested`);
    const buf = new Uint8Array(n * G1_COMPRESSED_SIZE);
    let read = 0;
    while (read < buf.length) {
      const r = await fh.read(buf, read, buf.length - read, read);
      if (r.bytesRead === 0) throw new EigenDASrsError(`SRS file ${path} ended early`);
      read += r.bytesRead;
    }
    return srsFromBytes(buf, n);
  } finally {
    await fh.close();
  }
}
