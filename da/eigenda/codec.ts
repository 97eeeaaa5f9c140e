// EigenDA payload encoding (PayloadEncodingVersion0) and the blob <-> encoded payload maps.
//
// Encoded payload = 32-byte header [0x00, version 0x00, uint32 BE payload length, 26 zero bytes]
// followed by the payload in 31-byte chunks, each behind a 0x00 byte so that every 32-byte
// symbol is a canonical BN254 scalar, zero-padded to a power-of-two number of symbols.
// The encoded payload is read as polynomial evaluations; the blob is its coefficients (IFFT).
import { EigenDACodecError } from './errors.js';
import { FR_MODULUS, fft, ifft, isPowerOfTwo } from './field.js';

export const BYTES_PER_SYMBOL = 32;
export const ENCODED_PAYLOAD_HEADER_BYTES = 32;
export const PAYLOAD_ENCODING_VERSION_0 = 0;
/** Payload bytes carried per symbol: one byte of each symbol is the 0x00 guard. */
export const BYTES_PER_CHUNK = 31;
const MAX_PAYLOAD_BYTES = 0xffffffff;

/** Number of symbols of the encoded payload (and blob) for a payload of `payloadLength` bytes. */
export function encodedPayloadSymbols(payloadLength: number): number {
  const symbols = 1 + Math.ceil(payloadLength / BYTES_PER_CHUNK);
  let n = 1;
  while (n < symbols) n *= 2;
  return n;
}

/** Encodes a payload into its encoded-payload bytes (evaluation form, power-of-two symbols). */
export function encodePayload(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new EigenDACodecError(`payload of ${payload.length} bytes exceeds the uint32 length field`);
  const symbols = encodedPayloadSymbols(payload.length);
  const out = new Uint8Array(symbols * BYTES_PER_SYMBOL);
  out[0] = 0x00;
  out[1] = PAYLOAD_ENCODING_VERSION_0;
  new DataView(out.buffer).setUint32(2, payload.length, false);
  for (let src = 0, sym = 1; src < payload.length; src += BYTES_PER_CHUNK, sym++) {
    // out[sym*32] stays 0x00: the guard byte keeps the symbol below the field modulus.
    out.set(payload.subarray(src, Math.min(payload.length, src + BYTES_PER_CHUNK)), sym * BYTES_PER_SYMBOL + 1);
  }
  return out;
}

/** Decodes encoded-payload bytes back into the payload, checking length, header and guard bytes. */
export function decodePayload(encoded: Uint8Array): Uint8Array {
  checkSymbolLength(encoded, 'encoded payload');
  if (encoded[0] !== 0x00) throw new EigenDACodecError(`encoded payload header must start with 0x00, got 0x${hexByte(encoded[0]!)}`);
  if (encoded[1] !== PAYLOAD_ENCODING_VERSION_0) {
    throw new EigenDACodecError(`unknown encoded payload version 0x${hexByte(encoded[1]!)}`);
  }
  const length = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength).getUint32(2, false);
  const bodySymbols = encoded.length / BYTES_PER_SYMBOL - 1;
  const capacity = bodySymbols * BYTES_PER_CHUNK;
  if (length > capacity) {
    throw new EigenDACodecError(`header claims ${length} payload bytes, the body holds at most ${capacity}`);
  }
  const out = new Uint8Array(length);
  for (let sym = 1, dst = 0; dst < length; sym++, dst += BYTES_PER_CHUNK) {
    const off = sym * BYTES_PER_SYMBOL;
    if (encoded[off] !== 0x00) throw new EigenDACodecError(`symbol ${sym} does not start with the 0x00 guard byte`);
    out.set(encoded.subarray(off + 1, off + 1 + Math.min(BYTES_PER_CHUNK, length - dst)), dst);
  }
  return out;
}

/** Splits bytes into 32-byte big-endian scalars, rejecting any that is not below the Fr modulus. */
export function bytesToFieldElements(data: Uint8Array): bigint[] {
  checkSymbolLength(data, 'blob');
  const n = data.length / BYTES_PER_SYMBOL;
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++) {
    let v = 0n;
    const off = i * BYTES_PER_SYMBOL;
    for (let j = 0; j < BYTES_PER_SYMBOL; j++) v = (v << 8n) | BigInt(data[off + j]!);
    if (v >= FR_MODULUS) throw new EigenDACodecError(`symbol ${i} is not a canonical BN254 scalar`);
    out[i] = v;
  }
  return out;
}

export function fieldElementsToBytes(elements: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(elements.length * BYTES_PER_SYMBOL);
  for (let i = 0; i < elements.length; i++) {
    let v = elements[i]!;
    for (let j = BYTES_PER_SYMBOL - 1; j >= 0; j--) {
      out[i * BYTES_PER_SYMBOL + j] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return out;
}

/** Encoded payload (evaluations) to blob coefficients: the inverse FFT. */
export function encodedPayloadToCoefficients(encoded: Uint8Array): bigint[] {
  return ifft(bytesToFieldElements(encoded));
}

/** Blob coefficients to encoded payload (evaluations): the forward FFT. */
export function coefficientsToEncodedPayload(coefficients: readonly bigint[]): Uint8Array {
  if (!isPowerOfTwo(coefficients.length)) throw new EigenDACodecError(`blob must have a power-of-two number of symbols, got ${coefficients.length}`);
  return fieldElementsToBytes(fft(coefficients));
}

function checkSymbolLength(data: Uint8Array, what: string): void {
  if (data.length === 0 || data.length % BYTES_PER_SYMBOL !== 0 || !isPowerOfTwo(data.length / BYTES_PER_SYMBOL)) {
    throw new EigenDACodecError(`${what} must be a power-of-two number of 32-byte symbols, got ${data.length} bytes`);
  }
}

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}
