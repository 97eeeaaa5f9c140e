// OP blob codec (version 0): round trips, a hand-derived layout vector, the real Metis Andromeda blob, rejections.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BYTES_PER_BLOB,
  BlobDecodeError,
  BlobEncodeError,
  MAX_BLOB_DATA_SIZE,
  decodeBlob,
  encodeBlob,
} from '../da/blob/index.js';
import { hexToBytes } from '../vm/util/bytes.js';
import { pseudoRandomBytes as pseudoRandom } from './support/rng.js';

const ANDROMEDA = JSON.parse(readFileSync(new URL('../../shared/fixtures/metis/andromeda-l1-data.json', import.meta.url), 'utf8')) as {
  l1BlobData: string;
};


function decodeError(blob: Uint8Array): BlobDecodeError {
  try {
    decodeBlob(blob);
  } catch (e) {
    if (e instanceof BlobDecodeError) return e;
    throw e;
  }
  throw new Error('blob decoded but should not have');
}

describe('OP blob codec', () => {
  it('has the spec constants: 131072-byte blobs, 130044-byte payloads', () => {
    expect(BYTES_PER_BLOB).toBe(4096 * 32);
    expect(MAX_BLOB_DATA_SIZE).toBe((4 * 31 + 3) * 1024 - 4);
  });

  it('round-trips lengths across round boundaries, including the maximum', () => {
    for (const len of [0, 1, 26, 27, 28, 31, 32, 123, 124, 127, 128, 250, 251, 4096, 100_000, MAX_BLOB_DATA_SIZE - 1, MAX_BLOB_DATA_SIZE]) {
      const data = pseudoRandom(len, len + 7);
      const blob = encodeBlob(data);
      expect(blob.length).toBe(BYTES_PER_BLOB);
      expect(decodeBlob(blob)).toEqual(data);
    }
    const ones = new Uint8Array(MAX_BLOB_DATA_SIZE).fill(0xff);
    expect(decodeBlob(encodeBlob(ones))).toEqual(ones);
  });

  it('lays out round 0 as the spec says (hand-derived vector)', () => {
    // 28 bytes of 0xff: element 0 holds the header and 27 bytes; the 28th byte x=0xff is split into
    // its low 6 bits (element 0, byte 0) and its top 2 bits (element 1, byte 0, bits 4-5).
    const blob = encodeBlob(new Uint8Array(28).fill(0xff));
    expect(blob[0]).toBe(0x3f);
    expect([...blob.subarray(1, 5)]).toEqual([0x00, 0x00, 0x00, 28]);
    expect(blob.subarray(5, 32).every((b) => b === 0xff)).toBe(true);
    expect(blob[32]).toBe(0x30);
    expect(blob.subarray(33).every((b) => b === 0)).toBe(true);
    // Every element stays below 2^254, so each is a canonical BLS12-381 scalar.
    for (let i = 0; i < BYTES_PER_BLOB; i += 32) expect(blob[i]! & 0xc0).toBe(0);
  });

  it('decodes the real Metis Andromeda blob to one derivation-version-0 frame, and re-encodes it exactly', () => {
    const blob = hexToBytes(ANDROMEDA.l1BlobData);
    expect(blob.length).toBe(BYTES_PER_BLOB);
    const data = decodeBlob(blob);
    expect(data.length).toBe(6295);
    expect(data[0]).toBe(0); // derivation version 0
    // frame = channel_id(16) ++ frame_number(u16) ++ frame_data_length(u32) ++ frame_data ++ is_last(u8)
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    expect(view.getUint16(17)).toBe(0);
    const frameDataLength = view.getUint32(19);
    expect(1 + 16 + 2 + 4 + frameDataLength + 1).toBe(data.length);
    expect(data[data.length - 1]).toBe(1); // is_last
    expect(encodeBlob(data)).toEqual(blob);
  });

  it('rejects a wrong size, a wrong version and a length over the maximum', () => {
    expect(decodeError(new Uint8Array(BYTES_PER_BLOB - 1)).reason).toBe('size');
    const v1 = encodeBlob(new Uint8Array([1, 2, 3]));
    v1[1] = 1;
    expect(decodeError(v1).reason).toBe('version');
    const long = encodeBlob(new Uint8Array(0));
    const tooLong = MAX_BLOB_DATA_SIZE + 1;
    long[2] = tooLong >> 16;
    long[3] = (tooLong >> 8) & 0xff;
    long[4] = tooLong & 0xff;
    expect(decodeError(long).reason).toBe('length');
  });

  it('rejects a high bit set in any field element, used or not', () => {
    const data = pseudoRandom(500, 1);
    for (const element of [0, 1, 3, 4095]) {
      for (const bit of [0x80, 0x40]) {
        const blob = encodeBlob(data);
        blob[element * 32] |= bit;
        expect(decodeError(blob).reason).toBe('field-element');
      }
    }
  });

  it('rejects non-zero bytes past the declared length', () => {
    const data = pseudoRandom(500, 2);
    const inRound = encodeBlob(data);
    // 500 bytes + 4 header = 504 < 508 = 4 rounds: stream offset 506 is payload offset 502, inside the last used round (element 15).
    inRound[15 * 32 + 31] = 1;
    expect(decodeError(inRound).reason).toBe('trailing-data');
    // 400 bytes: the last round (elements 12-15) carries z at payload offset 472, past the end;
    // z's low 6 bits live in element 14's first byte.
    const hiddenSplitByte = encodeBlob(data.subarray(0, 400));
    hiddenSplitByte[14 * 32] = 0x01;
    expect(decodeError(hiddenSplitByte).reason).toBe('trailing-data');
    const later = encodeBlob(data);
    later[BYTES_PER_BLOB - 1] = 1;
    expect(decodeError(later).reason).toBe('trailing-data');
  });

  it('refuses to encode more than the maximum', () => {
    expect(() => encodeBlob(new Uint8Array(MAX_BLOB_DATA_SIZE + 1))).toThrow(BlobEncodeError);
  });
});
