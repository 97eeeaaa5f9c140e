// A bounds-checked cursor over a byte string: big-endian fixed-width integers, Go-style
// unsigned varints (span batches) and big-endian bit lists (span batch bitfields).
import { MetisFormatError } from './errors.js';

export class ByteReader {
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** What is being read, for error messages. */
    readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(n: number, field: string): Uint8Array {
    if (n > this.remaining) {
      throw new MetisFormatError('truncated', `${this.what}: ${field} needs ${n} bytes at offset ${this.offset}, ${this.remaining} left`);
    }
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Big-endian unsigned integer of `n` bytes (n <= 6 keeps it exact as a number). */
  uint(n: number, field: string): number {
    const b = this.take(n, field);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  }

  bigUint(n: number, field: string): bigint {
    let v = 0n;
    for (const x of this.take(n, field)) v = (v << 8n) | BigInt(x);
    return v;
  }

  /** Go's binary.Uvarint: 7 bits per byte, low group first, at most 10 bytes / 64 bits. */
  uvarint(field: string): bigint {
    let x = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.remaining === 0) throw new MetisFormatError('truncated', `${this.what}: ${field} varint runs past the end at offset ${this.offset}`);
      const b = this.bytes[this.offset++]!;
      if (b < 0x80) {
        if (i === 9 && b > 1) break;
        return x | (BigInt(b) << BigInt(7 * i));
      }
      x |= BigInt(b & 0x7f) << BigInt(7 * i);
    }
    throw new MetisFormatError('varint', `${this.what}: ${field} varint overflows 64 bits at offset ${this.offset}`);
  }

  /** A uvarint that must fit a count; `limit` bounds allocations driven by untrusted data. */
  count(field: string, limit: number): number {
    const v = this.uvarint(field);
    if (v > BigInt(limit)) throw new MetisFormatError('limit', `${this.what}: ${field} ${v} is over the limit ${limit}`);
    return Number(v);
  }

  /** A bit list of `n` bits stored big-endian in ceil(n/8) bytes; bit i is (value >> i) & 1. */
  bits(n: number, field: string): bigint {
    const bytes = this.take(Math.ceil(n / 8), field);
    let v = 0n;
    for (const x of bytes) v = (v << 8n) | BigInt(x);
    if (v >> BigInt(n) !== 0n) throw new MetisFormatError('limit', `${this.what}: ${field} has bits set past its ${n} entries`);
    return v;
  }
}

export function bitAt(bits: bigint, i: number): number {
  return Number((bits >> BigInt(i)) & 1n);
}

export function popCount(bits: bigint): number {
  let n = 0;
  for (let v = bits; v > 0n; v >>= 1n) n += Number(v & 1n);
  return n;
}
