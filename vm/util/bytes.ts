// Byte, hex and 256-bit word conversions shared by every part of the VM.

export type Hex = `0x${string}`;

const HEX_CHARS = '0123456789abcdef';
const HEX_TABLE: string[] = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

export class HexError extends Error {
  override readonly name = 'HexError';
}

export function bytesToHex(bytes: Uint8Array): Hex {
  let s = '0x';
  for (let i = 0; i < bytes.length; i++) s += HEX_TABLE[bytes[i]!];
  return s as Hex;
}

// Nibble value per char code (-1: not a hex digit).
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

export function hexToBytes(hex: string): Uint8Array {
  const start = hex.length >= 2 && hex.charCodeAt(0) === 48 && (hex.charCodeAt(1) === 120 || hex.charCodeAt(1) === 88) ? 2 : 0;
  const digits = hex.length - start;
  const odd = digits % 2;
  const out = new Uint8Array((digits + odd) / 2);
  let j = start;
  let i = 0;
  if (odd === 1) {
    const c = hex.charCodeAt(j++);
    const v = c < 128 ? NIBBLE[c]! : -1;
    if (v < 0) throw new HexError(`invalid hex string: ${hex.slice(0, 42)}`);
    out[i++] = v;
  }
  for (; i < out.length; i++, j += 2) {
    const c1 = hex.charCodeAt(j);
    const c2 = hex.charCodeAt(j + 1);
    const hi = c1 < 128 ? NIBBLE[c1]! : -1;
    const lo = c2 < 128 ? NIBBLE[c2]! : -1;
    if (hi < 0 || lo < 0) throw new HexError(`invalid hex string: ${hex.slice(0, 42)}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Big-endian unsigned integer of the bytes; empty bytes are zero. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  if (bytes.length === 32) {
    // The common case (words, hashes): four 64-bit limbs, no string.
    const v = new DataView(bytes.buffer, bytes.byteOffset, 32);
    return (v.getBigUint64(0) << 192n) | (v.getBigUint64(8) << 128n) | (v.getBigUint64(16) << 64n) | v.getBigUint64(24);
  }
  return BigInt(bytesToHex(bytes));
}

/** Big-endian bytes of `value` left-padded to `length` (default 32). Throws if it does not fit. */
export function bigIntToBytes(value: bigint, length = 32): Uint8Array {
  if (value < 0n) throw new RangeError('negative value');
  if (length === 32) {
    if (value >> 256n !== 0n) throw new RangeError('value does not fit in 32 bytes');
    const out = new Uint8Array(32);
    const v = new DataView(out.buffer);
    v.setBigUint64(0, value >> 192n);
    v.setBigUint64(8, (value >> 128n) & 0xffffffffffffffffn);
    v.setBigUint64(16, (value >> 64n) & 0xffffffffffffffffn);
    v.setBigUint64(24, value & 0xffffffffffffffffn);
    return out;
  }
  const hex = value.toString(16);
  if (hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`);
  return hexToBytes(hex.padStart(length * 2, '0'));
}

/** Minimal big-endian bytes (no leading zeros; zero is empty), as RLP integers want. */
export function bigIntToMinimalBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('negative value');
  if (value === 0n) return new Uint8Array(0);
  return hexToBytes(value.toString(16));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Copies `data[offset, offset+length)` into a new array, zero-filling past the end of data. */
export function sliceZeroPadded(data: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (offset < data.length) out.set(data.subarray(offset, Math.min(data.length, offset + length)));
  return out;
}
