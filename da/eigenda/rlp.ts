// Minimal strict RLP decoder for certificates (canonical lengths, no trailing bytes).
import { EigenDACertParseError } from './errors.js';

export type RlpItem = Uint8Array | RlpItem[];

export function rlpDecode(data: Uint8Array): RlpItem {
  const [item, end] = decodeAt(data, 0, 0);
  if (end !== data.length) throw new EigenDACertParseError(`${data.length - end} trailing bytes after the RLP item`);
  return item;
}

const MAX_DEPTH = 16;

function decodeAt(data: Uint8Array, pos: number, depth: number): [RlpItem, number] {
  if (depth > MAX_DEPTH) throw new EigenDACertParseError('RLP nesting too deep');
  if (pos >= data.length) throw new EigenDACertParseError('RLP input ended early');
  const b = data[pos]!;
  if (b < 0x80) return [data.slice(pos, pos + 1), pos + 1];
  if (b < 0xb8) {
    const len = b - 0x80;
    const end = need(data, pos + 1, len);
    if (len === 1 && data[pos + 1]! < 0x80) throw new EigenDACertParseError('non-canonical RLP: single byte below 0x80 wrapped as a string');
    return [data.slice(pos + 1, end), end];
  }
  if (b < 0xc0) {
    const [len, start] = longLength(data, pos, b - 0xb7);
    const end = need(data, start, len);
    return [data.slice(start, end), end];
  }
  let start: number;
  let len: number;
  if (b < 0xf8) {
    len = b - 0xc0;
    start = pos + 1;
  } else {
    [len, start] = longLength(data, pos, b - 0xf7);
  }
  const end = need(data, start, len);
  const items: RlpItem[] = [];
  let p = start;
  while (p < end) {
    const [item, next] = decodeAt(data.subarray(0, end), p, depth + 1);
    items.push(item);
    p = next;
  }
  return [items, end];
}

function longLength(data: Uint8Array, pos: number, lenOfLen: number): [number, number] {
  const start = need(data, pos + 1, lenOfLen);
  if (data[pos + 1] === 0) throw new EigenDACertParseError('non-canonical RLP: length with a leading zero');
  let len = 0;
  for (let i = pos + 1; i < start; i++) len = len * 256 + data[i]!;
  if (len < 56) throw new EigenDACertParseError('non-canonical RLP: long form for a short item');
  return [len, start];
}

function need(data: Uint8Array, start: number, len: number): number {
  const end = start + len;
  if (!Number.isSafeInteger(end) || end > data.length) throw new EigenDACertParseError('RLP item runs past the end of the input');
  return end;
}
