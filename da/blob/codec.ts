// The OP Stack blob encoding, version 0 (op-service eth/blob.go): data is packed into the 4096 field
// elements of a blob in 1024 rounds of four elements. Each round carries 127 bytes: 31 in the low bytes
// of each element, plus 3 bytes split into 6-bit pieces stored in the elements' first bytes, so no
// element ever reaches the BLS modulus. The first round begins with the version byte and a 3-byte
// big-endian length.

export const FIELD_ELEMENTS_PER_BLOB = 4096;
export const BYTES_PER_FIELD_ELEMENT = 32;
export const BYTES_PER_BLOB = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT;
export const BLOB_ENCODING_VERSION = 0;
/** Field elements per round and bytes a round carries (4 x 31 + 3). */
const ROUNDS = 1024;
const BYTES_PER_ROUND = 4 * 31 + 3;
/** Version byte and uint24 length at the start of round 0. */
const HEADER_SIZE = 4;
/** The largest payload a blob holds: 1024 rounds of 127 bytes less the header. */
export const MAX_BLOB_DATA_SIZE = ROUNDS * BYTES_PER_ROUND - HEADER_SIZE; // 130044

export type BlobDecodeReason = 'size' | 'version' | 'length' | 'field-element' | 'trailing-data';

export class BlobDecodeError extends Error {
  override readonly name = 'BlobDecodeError';
  constructor(
    readonly reason: BlobDecodeReason,
    message: string,
  ) {
    super(message);
  }
}

export class BlobEncodeError extends Error {
  override readonly name = 'BlobEncodeError';
}

/** Rounds that carry `length` payload bytes (at least one: round 0 holds the header). */
function roundsFor(length: number): number {
  return Math.max(1, Math.ceil((length + HEADER_SIZE) / BYTES_PER_ROUND));
}

/** Encodes up to MAX_BLOB_DATA_SIZE bytes as one blob (131072 bytes, zero past the data). */
export function encodeBlob(data: Uint8Array): Uint8Array {
  if (data.length > MAX_BLOB_DATA_SIZE) {
    throw new BlobEncodeError(`data is ${data.length} bytes, a blob holds at most ${MAX_BLOB_DATA_SIZE}`);
  }
  const blob = new Uint8Array(BYTES_PER_BLOB);
  const rounds = roundsFor(data.length);
  // The byte stream the rounds carry: header then data, zero-padded to whole rounds.
  const stream = new Uint8Array(rounds * BYTES_PER_ROUND);
  stream[0] = BLOB_ENCODING_VERSION;
  stream[1] = (data.length >>> 16) & 0xff;
  stream[2] = (data.length >>> 8) & 0xff;
  stream[3] = data.length & 0xff;
  stream.set(data, HEADER_SIZE);
  for (let r = 0; r < rounds; r++) {
    const s = r * BYTES_PER_ROUND;
    const b = r * 4 * BYTES_PER_FIELD_ELEMENT;
    // Stream layout of a round: 31 bytes, x, 31 bytes, y, 31 bytes, z, 31 bytes.
    const x = stream[s + 31]!;
    const y = stream[s + 63]!;
    const z = stream[s + 95]!;
    blob[b] = x & 0x3f;
    blob.set(stream.subarray(s, s + 31), b + 1);
    blob[b + 32] = (y & 0x0f) | ((x & 0xc0) >> 2);
    blob.set(stream.subarray(s + 32, s + 63), b + 33);
    blob[b + 64] = z & 0x3f;
    blob.set(stream.subarray(s + 64, s + 95), b + 65);
    blob[b + 96] = ((z & 0xc0) >> 2) | ((y & 0xf0) >> 4);
    blob.set(stream.subarray(s + 96, s + 127), b + 97);
  }
  return blob;
}

/** Decodes an OP-encoded blob to its payload; throws BlobDecodeError on anything the encoder cannot produce. */
export function decodeBlob(blob: Uint8Array): Uint8Array {
  if (blob.length !== BYTES_PER_BLOB) {
    throw new BlobDecodeError('size', `blob is ${blob.length} bytes, expected ${BYTES_PER_BLOB}`);
  }
  if (blob[1] !== BLOB_ENCODING_VERSION) {
    throw new BlobDecodeError('version', `blob encoding version ${blob[1]}, expected ${BLOB_ENCODING_VERSION}`);
  }
  const length = (blob[2]! << 16) | (blob[3]! << 8) | blob[4]!;
  if (length > MAX_BLOB_DATA_SIZE) {
    throw new BlobDecodeError('length', `declared length ${length} exceeds the maximum ${MAX_BLOB_DATA_SIZE}`);
  }
  // Every element's top two bits are zero in a valid encoding, used rounds or not.
  for (let i = 0; i < BYTES_PER_BLOB; i += BYTES_PER_FIELD_ELEMENT) {
    if ((blob[i]! & 0xc0) !== 0) {
      throw new BlobDecodeError('field-element', `field element ${i / BYTES_PER_FIELD_ELEMENT} has a high bit set in its first byte`);
    }
  }
  const rounds = roundsFor(length);
  const stream = new Uint8Array(rounds * BYTES_PER_ROUND);
  for (let r = 0; r < rounds; r++) {
    const s = r * BYTES_PER_ROUND;
    const b = r * 4 * BYTES_PER_FIELD_ELEMENT;
    const e0 = blob[b]!;
    const e1 = blob[b + 32]!;
    const e2 = blob[b + 64]!;
    const e3 = blob[b + 96]!;
    stream.set(blob.subarray(b + 1, b + 32), s);
    stream[s + 31] = (e0 & 0x3f) | ((e1 & 0x30) << 2);
    stream.set(blob.subarray(b + 33, b + 64), s + 32);
    stream[s + 63] = (e1 & 0x0f) | ((e3 & 0x0f) << 4);
    stream.set(blob.subarray(b + 65, b + 96), s + 64);
    stream[s + 95] = (e2 & 0x3f) | ((e3 & 0x30) << 2);
    stream.set(blob.subarray(b + 97, b + 128), s + 96);
  }
  // The encoder writes zeros past the data, inside the last used round and in every unused element.
  for (let i = HEADER_SIZE + length; i < stream.length; i++) {
    if (stream[i] !== 0) {
      throw new BlobDecodeError('trailing-data', `non-zero byte at payload offset ${i - HEADER_SIZE}, past the declared length ${length}`);
    }
  }
  for (let i = rounds * 4 * BYTES_PER_FIELD_ELEMENT; i < BYTES_PER_BLOB; i++) {
    if (blob[i] !== 0) {
      throw new BlobDecodeError('trailing-data', `non-zero byte at blob offset ${i}, past the last used round`);
    }
  }
  return stream.slice(HEADER_SIZE, HEADER_SIZE + length);
}
