// 256-bit words to and from big-endian bytes, without going through strings where it matters.

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The 32 bytes at data[offset..offset+32) as a word (the range must be in bounds). */
export function bytesToWord(data: Uint8Array, offset: number): bigint {
  // Four 64-bit limbs through DataView keep this allocation-light.
  const view = new DataView(data.buffer, data.byteOffset + offset, 32);
  return (
    (view.getBigUint64(0) << 192n) | (view.getBigUint64(8) << 128n) | (view.getBigUint64(16) << 64n) | view.getBigUint64(24)
  );
}

/** Writes `word` big-endian into out[offset..offset+32). */
export function wordToBytes(word: bigint, out: Uint8Array, offset: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 32);
  view.setBigUint64(0, word >> 192n);
  view.setBigUint64(8, (word >> 128n) & 0xffffffffffffffffn);
  view.setBigUint64(16, (word >> 64n) & 0xffffffffffffffffn);
  view.setBigUint64(24, word & 0xffffffffffffffffn);
}

export function word32(word: bigint): Uint8Array {
  const out = new Uint8Array(32);
  wordToBytes(word, out, 0);
  return out;
}

/** Big-endian bytes of any length as a word (for PUSHn with n < 32 and short data). */
export function shortBytesToWord(data: Uint8Array, offset: number, length: number): bigint {
  if (length <= 6) {
    let v = 0;
    for (let i = 0; i < length; i++) v = v * 256 + (data[offset + i] ?? 0);
    return BigInt(v);
  }
  let hex = '0x';
  for (let i = 0; i < length; i++) hex += HEX[data[offset + i] ?? 0];
  return BigInt(hex);
}
