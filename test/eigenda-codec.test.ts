// EigenDA codec and FFT: checked against spec facts and the test double's independent naive arithmetic.
import { describe, expect, it } from 'vitest';
import {
  bytesToFieldElements,
  coefficientsToEncodedPayload,
  decodePayload,
  encodePayload,
  encodedPayloadSymbols,
  encodedPayloadToCoefficients,
  EigenDACodecError,
  fft,
  FR_MODULUS,
  ifft,
  rootOfUnity,
} from '../da/eigenda/index.js';
import { referenceEncode, referenceInverseDft, symbolsOf } from './support/eigenda-memstore.js';

// Deterministic pseudo-random bytes (xorshift) so failures reproduce.
function prng(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

function randomScalars(n: number, seed: number): bigint[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => BigInt('0x' + Buffer.from(rnd(32)).toString('hex')) % FR_MODULUS);
}

describe('Fr roots of unity and FFT', () => {
  it('uses EigenDA’s roots of unity', () => {
    // Re-typed from EigenDA's Scale2RootOfUnity table (encoding/constants.go): scales 1 and 2.
    expect(rootOfUnity(2)).toBe(FR_MODULUS - 1n);
    expect(rootOfUnity(4)).toBe(21888242871839275217838484774961031246007050428528088939761107053157389710902n);
    expect(rootOfUnity(8)).toBe(19540430494807482326159819597004422086093766032135589407132600596362845576832n);
    expect(() => rootOfUnity(3)).toThrow(RangeError);
    expect(() => rootOfUnity(2 ** 29)).toThrow(RangeError);
  });

  it('ifft matches a naive inverse DFT and fft inverts it', () => {
    for (const n of [1, 2, 4, 8, 32, 64]) {
      const evals = randomScalars(n, n + 7);
      const coeffs = ifft(evals);
      expect(coeffs).toEqual(referenceInverseDft(evals));
      expect(fft(coeffs)).toEqual(evals);
    }
  });

  it('rejects non-canonical inputs and bad sizes', () => {
    expect(() => fft([FR_MODULUS, 0n])).toThrow(RangeError);
    expect(() => ifft([1n, 2n, 3n])).toThrow(RangeError);
  });
});

describe('payload encoding (PayloadEncodingVersion0)', () => {
  it('lays out header and 31-byte chunks as the spec describes', () => {
    const payload = new TextEncoder().encode('hello');
    const enc = encodePayload(payload);
    // Header [0x00, version 0, uint32 BE length 5, zeros], then one chunk 0x00 'hello' zeros: 2 symbols.
    const expected = new Uint8Array(64);
    expected[5] = 5;
    expected.set(payload, 33);
    expect(enc).toEqual(expected);
    expect(decodePayload(enc)).toEqual(payload);
  });

  it('pads to a power of two symbols and matches the independent encoder', () => {
    const rnd = prng(99);
    const cases: [number, number][] = [
      [0, 1],
      [1, 2],
      [31, 2],
      [32, 4],
      [93, 4],
      [94, 8],
      [1000, 64],
      [2047 * 31, 2048],
      [2047 * 31 + 1, 4096],
    ];
    for (const [len, symbols] of cases) {
      const payload = rnd(len);
      const enc = encodePayload(payload);
      expect(encodedPayloadSymbols(len)).toBe(symbols);
      expect(enc.length).toBe(symbols * 32);
      expect(enc).toEqual(referenceEncode(payload));
      expect(decodePayload(enc)).toEqual(payload);
    }
  });

  it('round-trips through blob coefficients', () => {
    const payload = prng(5)(500);
    const enc = encodePayload(payload);
    const coeffs = encodedPayloadToCoefficients(enc);
    expect(coeffs).toEqual(referenceInverseDft(symbolsOf(enc)));
    expect(coefficientsToEncodedPayload(coeffs)).toEqual(enc);
  });

  it('rejects malformed encoded payloads with EigenDACodecError', () => {
    const good = encodePayload(prng(3)(100));
    const bad = (mutate: (b: Uint8Array) => Uint8Array): void => {
      expect(() => decodePayload(mutate(good.slice()))).toThrow(EigenDACodecError);
    };
    bad((b) => ((b[0] = 1), b)); // header's first byte
    bad((b) => ((b[1] = 1), b)); // unknown version
    bad((b) => ((b[5] = 250), b)); // claims 250 bytes, 7 body symbols hold 217
    bad((b) => ((b[64] = 1), b)); // guard byte of symbol 2
    bad((b) => b.subarray(0, 96)); // 3 symbols: not a power of two
    bad(() => new Uint8Array(0));
    bad((b) => b.subarray(0, 33)); // not whole symbols
    expect(() => bytesToFieldElements(new Uint8Array(32).fill(0xff))).toThrow(EigenDACodecError);
  });
});
