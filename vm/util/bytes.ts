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

export function hexToBytes(hex: string): Uint8Array {
  let s = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (s.length % 2 === 1) s = '0' + s;
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new HexError(`invalid hex string: ${hex.slice(0, 42)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** Big-endian unsigned integer of the bytes; empty bytes are zero. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(bytesToHex(bytes));
}

/** Big-endian bytes of `value` left-padded to `length` (default 32). Throws if it does not fit. */
export function bigIntToBytes(value: bigint, length = 32): Uint8Array {
  if (value < 0n) throw new RangeError('negative value');
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
