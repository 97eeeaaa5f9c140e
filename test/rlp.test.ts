// RLP: differential against viem's encoder/decoder on random nested items, spec examples,
// and rejection of every class of non-canonical or malformed input.
import { describe, expect, it } from 'vitest';
import { fromRlp, toRlp, type Hex as ViemHex } from 'viem';
import {
  rlpDecode,
  rlpEncode,
  rlpToAddress,
  rlpToBigInt,
  rlpToBytes,
  rlpToList,
  RlpError,
  type RlpInput,
  type RlpItem,
} from '../vm/rlp/rlp.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { rng } from './support/rng.js';


function randomBytes(r: () => number): Uint8Array {
  const kind = r();
  // Lengths around the 55/56 short/long boundary and single bytes around 0x80 matter most.
  const len = kind < 0.3 ? Math.floor(r() * 2) : kind < 0.6 ? 50 + Math.floor(r() * 12) : kind < 0.95 ? Math.floor(r() * 40) : 250 + Math.floor(r() * 300);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function randomItem(r: () => number, depth: number): RlpItem {
  if (depth > 3 || r() < 0.55) return randomBytes(r);
  const n = Math.floor(r() * (r() < 0.1 ? 70 : 6));
  return Array.from({ length: n }, () => randomItem(r, depth + 1));
}

type ViemItem = readonly (ViemHex | ViemItem)[];
function toViem(item: RlpItem): ViemItem | ViemHex {
  return item instanceof Uint8Array ? bytesToHex(item) : item.map(toViem);
}

describe('rlpEncode / rlpDecode', () => {
  it('matches viem on 2000 random nested items and round-trips', () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const item = randomItem(r, 0);
      const enc = rlpEncode(item);
      expect(bytesToHex(enc)).toBe(toRlp(toViem(item) as ViemItem));
      const dec = rlpDecode(enc);
      expect(toViem(dec)).toEqual(toViem(item));
      expect(fromRlp(bytesToHex(enc), 'hex')).toEqual(toViem(item));
    }
  });

  it('encodes the Yellow Paper / wiki examples', () => {
    const dog = new TextEncoder().encode('dog');
    const cat = new TextEncoder().encode('cat');
    expect(bytesToHex(rlpEncode(dog))).toBe('0x83646f67');
    expect(bytesToHex(rlpEncode([cat, dog]))).toBe('0xc88363617483646f67');
    expect(bytesToHex(rlpEncode(new Uint8Array(0)))).toBe('0x80');
    expect(bytesToHex(rlpEncode([]))).toBe('0xc0');
    expect(bytesToHex(rlpEncode(0))).toBe('0x80');
    expect(bytesToHex(rlpEncode(0n))).toBe('0x80');
    expect(bytesToHex(rlpEncode(15))).toBe('0x0f');
    expect(bytesToHex(rlpEncode(1024))).toBe('0x820400');
    expect(bytesToHex(rlpEncode([[], [[]], [[], [[]]]]))).toBe('0xc7c0c1c0c3c0c1c0');
  });

  it('encodes integers as minimal big-endian byte strings (same as viem on the hex)', () => {
    const r = rng(11);
    for (let i = 0; i < 500; i++) {
      let v = 0n;
      const bytes = Math.floor(r() * 33);
      for (let j = 0; j < bytes; j++) v = (v << 8n) | BigInt(Math.floor(r() * 256));
      const hex = v === 0n ? '0x' : v.toString(16).length % 2 ? `0x0${v.toString(16)}` : `0x${v.toString(16)}`;
      expect(bytesToHex(rlpEncode(v))).toBe(toRlp(hex as ViemHex));
      expect(rlpToBigInt(rlpDecode(rlpEncode(v)))).toBe(v);
      if (v <= BigInt(Number.MAX_SAFE_INTEGER)) expect(rlpEncode(Number(v))).toEqual(rlpEncode(v));
    }
  });

  it('rejects inputs it cannot encode unambiguously', () => {
    expect(() => rlpEncode(-1n)).toThrow(RlpError);
    expect(() => rlpEncode(-1)).toThrow(RlpError);
    expect(() => rlpEncode(1.5)).toThrow(RlpError);
    expect(() => rlpEncode('0x12' as unknown as RlpInput)).toThrow(RlpError);
  });

  const bad: Array<[string, string]> = [
    ['empty input', '0x'],
    ['single byte below 0x80 as a string', '0x8105'],
    ['single byte 0x00 as a string', '0x8100'],
    ['long string form for a short string', '0xb80161'],
    ['long string length with leading zero', '0xb90038' + '61'.repeat(56)],
    ['long list form for a short list', '0xf80180'],
    ['list length with leading zero', '0xf90038' + '80'.repeat(56)],
    ['truncated string', '0x83646f'],
    ['truncated long-string length', '0xb9'],
    ['truncated list', '0xc3808080'.slice(0, 8)],
    ['trailing bytes', '0x8080'],
    ['list item overruns its list', '0xc28364'],
    ['truncated list payload', '0xc58363617483'],
  ];
  for (const [name, hex] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => rlpDecode(hexToBytes(hex))).toThrow(RlpError);
    });
  }
});

describe('typed field readers', () => {
  it('reads integers strictly', () => {
    expect(rlpToBigInt(rlpDecode(hexToBytes('0x820400')))).toBe(1024n);
    expect(rlpToBigInt(rlpDecode(hexToBytes('0x80')))).toBe(0n);
    expect(() => rlpToBigInt(rlpDecode(hexToBytes('0x820004')))).toThrow(RlpError);
    expect(() => rlpToBigInt(rlpDecode(hexToBytes('0x00')))).toThrow(RlpError);
    expect(() => rlpToBigInt(rlpDecode(hexToBytes('0xc0')))).toThrow(RlpError);
    expect(() => rlpToBigInt(rlpDecode(rlpEncode(new Uint8Array(33).fill(1))))).toThrow(RlpError);
    expect(() => rlpToBigInt(rlpDecode(rlpEncode(1n << 64n)), 'nonce', 8)).toThrow(/nonce/);
  });

  it('reads bytes, lists and addresses', () => {
    const addr = hexToBytes('0x00000000000000000000000000000000000000ff');
    const item = rlpDecode(rlpEncode([addr, [new Uint8Array(3)]]));
    const [a, l] = rlpToList(item);
    expect(rlpToAddress(a!)).toBe('0x00000000000000000000000000000000000000ff');
    expect(rlpToList(l!)).toHaveLength(1);
    expect(() => rlpToBytes(l!)).toThrow(RlpError);
    expect(() => rlpToList(a!)).toThrow(RlpError);
    expect(() => rlpToAddress(rlpToList(l!)[0]!)).toThrow(RlpError);
  });
});
