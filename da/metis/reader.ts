// A bounds-checked cursor over a byte string of big-endian fixed-width fields (Metis's packed
// inbox and CTC formats).
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
}
