// Low-level readers/writers for the batch formats: unsigned varints (protobuf/Go uvarint),
// span-batch bitlists, and RLP item boundaries in a stream of concatenated items.
import { BatchDecodeError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;

/** A cursor over bytes; every read throws BatchDecodeError when it would run past the end. */
export class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.remaining) throw new BatchDecodeError(`${what}: need ${n} bytes, ${this.remaining} left`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Go's binary.ReadUvarint: at most 10 bytes, value within uint64. */
  uvarint(what: string): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) throw new BatchDecodeError(`${what}: truncated varint`);
      const b = this.bytes[this.pos++]!;
      if (i === 9 && b > 1) throw new BatchDecodeError(`${what}: varint overflows uint64`);
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
      shift += 7n;
    }
    throw new BatchDecodeError(`${what}: varint overflows uint64`);
  }

  /** A uvarint that must fit a safe JS integer no larger than `max`. */
  uvarintNumber(what: string, max: number): number {
    const v = this.uvarint(what);
    if (v > BigInt(max)) throw new BatchDecodeError(`${what}: ${v} exceeds ${max}`);
    return Number(v);
  }
}

export function writeUvarint(out: number[], value: bigint): void {
  if (value < 0n || value > U64_MAX) throw new RangeError(`uvarint out of range: ${value}`);
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/**
 * A span-batch bitlist of `bitLength` bits: a big-endian integer in ceil(bitLength/8) bytes,
 * bit i being the i-th least significant. Bits beyond `bitLength` must be zero.
 */
export function readBits(r: Reader, bitLength: number, what: string): boolean[] {
  const byteLength = Math.ceil(bitLength / 8);
  const raw = r.take(byteLength, what);
  const bits = new Array<boolean>(bitLength);
  for (let i = 0; i < bitLength; i++) bits[i] = ((raw[byteLength - 1 - (i >> 3)]! >> (i & 7)) & 1) === 1;
  // The padding bits of the top byte must be clear (op-node: "bitfield has too many bits").
  if (bitLength % 8 !== 0 && raw[0]! >> (bitLength % 8) !== 0) throw new BatchDecodeError(`${what}: bitfield has more than ${bitLength} bits`);
  return bits;
}

export function writeBits(out: number[], bits: readonly boolean[]): void {
  const byteLength = Math.ceil(bits.length / 8);
  const buf = new Array<number>(byteLength).fill(0);
  bits.forEach((b, i) => {
    if (b) buf[byteLength - 1 - (i >> 3)]! |= 1 << (i & 7);
  });
  out.push(...buf);
}

export interface RlpSpan {
  readonly isList: boolean;
  /** Offset of the payload (after the header). */
  readonly start: number;
  /** Offset just after the item. */
  readonly end: number;
}

/** Bounds of the canonical RLP item at `pos` (header only; the payload is not descended into). */
export function rlpSpanAt(bytes: Uint8Array, pos: number): RlpSpan {
  if (pos >= bytes.length) throw new BatchDecodeError('truncated RLP: missing item');
  const b0 = bytes[pos]!;
  if (b0 < 0x80) return { isList: false, start: pos, end: pos + 1 };
  const isList = b0 >= 0xc0;
  const base = isList ? 0xc0 : 0x80;
  let len: number;
  let start: number;
  if (b0 - base <= 55) {
    len = b0 - base;
    start = pos + 1;
    if (!isList && len === 1 && start < bytes.length && bytes[start]! < 0x80) {
      throw new BatchDecodeError('non-canonical RLP: single byte below 0x80 encoded as a string');
    }
  } else {
    const ll = b0 - base - 55;
    if (pos + 1 + ll > bytes.length) throw new BatchDecodeError('truncated RLP length');
    if (bytes[pos + 1] === 0) throw new BatchDecodeError('non-canonical RLP: length with leading zero');
    len = 0;
    for (let i = 0; i < ll; i++) len = len * 256 + bytes[pos + 1 + i]!;
    if (len < 56) throw new BatchDecodeError('non-canonical RLP: long form for a length below 56');
    start = pos + 1 + ll;
  }
  const end = start + len;
  if (end > bytes.length) throw new BatchDecodeError(`truncated RLP ${isList ? 'list' : 'string'}: needs ${end - pos} bytes, ${bytes.length - pos} left`);
  return { isList, start, end };
}
