// Recursive Length Prefix (RLP) serialization, per the Ethereum Yellow Paper appendix B.
// Decoding is strict: only the canonical encoding of an item is accepted, so that one
// item has exactly one byte string (hashes of transactions and trie nodes depend on it).
import { addressFromBytes, type Address } from '../util/address.js';
import { bytesToBigInt } from '../util/bytes.js';

/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/**
 * What `rlpEncode` accepts. Integers encode as minimal big-endian byte strings (0 is the
 * empty string). Strings are deliberately not accepted: "0x12" could mean bytes or text.
 */
export type RlpInput = Uint8Array | bigint | number | readonly RlpInput[];

export class RlpError extends Error {
  override readonly name = 'RlpError';
}

const EMPTY = new Uint8Array(0);

function intToBytes(value: bigint | number): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RlpError(`cannot RLP-encode number ${value}`);
    if (value === 0) return EMPTY;
    if (value < 0x100) return Uint8Array.of(value);
    value = BigInt(value);
  }
  if (value < 0n) throw new RlpError('cannot RLP-encode a negative integer');
  if (value === 0n) return EMPTY;
  let hex = value.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Number of bytes in the big-endian form of a length (lengths are < 2^53 here). */
function lengthOfLength(n: number): number {
  let k = 0;
  while (n > 0) {
    k++;
    n = Math.floor(n / 256);
  }
  return k;
}

/** Size of the header that prefixes a payload of `len` bytes. */
function headerSize(len: number): number {
  return len < 56 ? 1 : 1 + lengthOfLength(len);
}

function writeHeader(out: Uint8Array, pos: number, len: number, shortBase: number): number {
  if (len < 56) {
    out[pos] = shortBase + len;
    return pos + 1;
  }
  const ll = lengthOfLength(len);
  out[pos] = shortBase + 55 + ll;
  for (let i = ll; i >= 1; i--) {
    out[pos + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return pos + 1 + ll;
}

// Encoding runs in two passes over a normalized tree: sizes first, then one write into a
// single buffer, so nested lists do not allocate and copy at every level.
type Norm = { bytes: Uint8Array; size: number } | { items: Norm[]; payload: number; size: number };

function normalize(input: RlpInput): Norm {
  if (input instanceof Uint8Array) {
    const size = input.length === 1 && input[0]! < 0x80 ? 1 : headerSize(input.length) + input.length;
    return { bytes: input, size };
  }
  if (Array.isArray(input)) {
    const items: Norm[] = [];
    let payload = 0;
    for (const x of input as readonly RlpInput[]) {
      const n = normalize(x);
      items.push(n);
      payload += n.size;
    }
    return { items, payload, size: headerSize(payload) + payload };
  }
  if (typeof input === 'bigint' || typeof input === 'number') return normalize(intToBytes(input));
  throw new RlpError(`cannot RLP-encode a value of type ${typeof input}`);
}

function write(n: Norm, out: Uint8Array, pos: number): number {
  if ('bytes' in n) {
    const b = n.bytes;
    if (b.length === 1 && b[0]! < 0x80) {
      out[pos] = b[0]!;
      return pos + 1;
    }
    pos = writeHeader(out, pos, b.length, 0x80);
    out.set(b, pos);
    return pos + b.length;
  }
  pos = writeHeader(out, pos, n.payload, 0xc0);
  for (const it of n.items) pos = write(it, out, pos);
  return pos;
}

export function rlpEncode(item: RlpInput): Uint8Array {
  const n = normalize(item);
  const out = new Uint8Array(n.size);
  write(n, out, 0);
  return out;
}

/** RLP of a byte string alone (the hot path of trie hashing). */
export function rlpEncodeBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0]! < 0x80) return Uint8Array.of(b[0]!);
  const out = new Uint8Array(headerSize(b.length) + b.length);
  out.set(b, writeHeader(out, 0, b.length, 0x80));
  return out;
}

/** Header of a list whose items' encodings total `payloadLength` bytes. */
export function rlpListHeader(payloadLength: number): Uint8Array {
  const out = new Uint8Array(headerSize(payloadLength));
  writeHeader(out, 0, payloadLength, 0xc0);
  return out;
}

interface Decoded {
  readonly item: RlpItem;
  readonly end: number;
}

/** Reads a big-endian length of `ll` bytes at `pos`, rejecting leading zeros (non-canonical). */
function readLength(bytes: Uint8Array, pos: number, ll: number): number {
  if (pos + ll > bytes.length) throw new RlpError('truncated RLP length');
  if (bytes[pos] === 0) throw new RlpError('non-canonical RLP: length with leading zero');
  let len = 0;
  for (let i = 0; i < ll; i++) len = len * 256 + bytes[pos + i]!;
  if (len < 56) throw new RlpError('non-canonical RLP: long form for a length below 56');
  if (!Number.isSafeInteger(len)) throw new RlpError('RLP length too large');
  return len;
}

function decodeAt(bytes: Uint8Array, pos: number, depth: number): Decoded {
  if (depth > 1024) throw new RlpError('RLP nesting too deep');
  if (pos >= bytes.length) throw new RlpError('truncated RLP: missing item');
  const b0 = bytes[pos]!;
  if (b0 < 0x80) return { item: bytes.subarray(pos, pos + 1), end: pos + 1 };
  if (b0 < 0xc0) {
    let start: number;
    let len: number;
    if (b0 <= 0xb7) {
      len = b0 - 0x80;
      start = pos + 1;
      if (len === 1 && start < bytes.length && bytes[start]! < 0x80) {
        throw new RlpError('non-canonical RLP: single byte below 0x80 encoded as a string');
      }
    } else {
      const ll = b0 - 0xb7;
      len = readLength(bytes, pos + 1, ll);
      start = pos + 1 + ll;
    }
    const end = start + len;
    if (end > bytes.length) throw new RlpError('truncated RLP string');
    return { item: bytes.subarray(start, end), end };
  }
  let start: number;
  let len: number;
  if (b0 <= 0xf7) {
    len = b0 - 0xc0;
    start = pos + 1;
  } else {
    const ll = b0 - 0xf7;
    len = readLength(bytes, pos + 1, ll);
    start = pos + 1 + ll;
  }
  const end = start + len;
  if (end > bytes.length) throw new RlpError('truncated RLP list');
  const items: RlpItem[] = [];
  let p = start;
  while (p < end) {
    const d = decodeAt(bytes, p, depth + 1);
    if (d.end > end) throw new RlpError('RLP list item overruns its list');
    items.push(d.item);
    p = d.end;
  }
  return { item: items, end };
}

/**
 * Decodes exactly one canonical RLP item spanning all of `bytes`. Byte strings in the
 * result are views into `bytes` (no copies).
 */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  const d = decodeAt(bytes, 0, 0);
  if (d.end !== bytes.length) throw new RlpError(`trailing bytes after RLP item (${bytes.length - d.end})`);
  return d.item;
}

/**
 * Decodes one canonical RLP item starting at `offset` and says where it ends: for streams of
 * concatenated items (an OP channel's batches, span batch transaction payloads).
 */
export function rlpDecodePrefix(bytes: Uint8Array, offset = 0): { item: RlpItem; end: number } {
  return decodeAt(bytes, offset, 0);
}

function fieldName(what: string | undefined): string {
  return what === undefined ? 'RLP item' : what;
}

export function rlpToBytes(item: RlpItem, what?: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new RlpError(`${fieldName(what)}: expected a byte string, got a list`);
  return item;
}

export function rlpToList(item: RlpItem, what?: string): RlpItem[] {
  if (item instanceof Uint8Array) throw new RlpError(`${fieldName(what)}: expected a list, got a byte string`);
  return item;
}

/** An RLP scalar: minimal big-endian (no leading zeros), optionally at most `maxBytes` long. */
export function rlpToBigInt(item: RlpItem, what?: string, maxBytes = 32): bigint {
  const b = rlpToBytes(item, what);
  if (b.length > 0 && b[0] === 0) throw new RlpError(`${fieldName(what)}: integer with leading zero byte`);
  if (b.length > maxBytes) throw new RlpError(`${fieldName(what)}: integer longer than ${maxBytes} bytes`);
  return bytesToBigInt(b);
}

/** A 20-byte address field. */
export function rlpToAddress(item: RlpItem, what?: string): Address {
  const b = rlpToBytes(item, what);
  if (b.length !== 20) throw new RlpError(`${fieldName(what)}: address must be 20 bytes, got ${b.length}`);
  return addressFromBytes(b);
}
