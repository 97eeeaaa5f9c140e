// Precompile tests that need no node: the per-fork address tables, the EIP-152 BLAKE2F
// vectors (re-typed from the EIP), and the point-evaluation precompile against c-kzg's
// own verify_kzg_proof vectors, read in place from shared/fixtures.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { forkRules } from '../vm/chain/forks.js';
import type { Address } from '../vm/util/address.js';
import { bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { activePrecompiles, precompileAt, P256VERIFY_ADDRESS, IDENTITY_ADDRESS } from '../vm/precompiles/index.js';
import { blake2f } from '../vm/precompiles/blake2f.js';
import { BLS_MODULUS, kzgToVersionedHash, pointEvaluation } from '../vm/precompiles/point-evaluation.js';

const cancun = forkRules('cancun');
const prague = forkRules('prague');
const osaka = forkRules('osaka');
const a = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;

describe('precompile tables', () => {
  it('lists the active addresses per fork in ascending order', () => {
    const range = (lo: number, hi: number): string[] => Array.from({ length: hi - lo + 1 }, (_, i) => a(lo + i));
    expect(activePrecompiles(cancun)).toEqual(range(1, 0x0a));
    expect(activePrecompiles(prague)).toEqual(range(1, 0x11));
    expect(activePrecompiles(osaka)).toEqual([...range(1, 0x11), a(0x100)]);
  });

  it('resolves only active addresses', () => {
    expect(precompileAt(a(0), osaka)).toBeUndefined();
    expect(precompileAt(a(0x12), osaka)).toBeUndefined();
    expect(precompileAt(a(0x0b), cancun)).toBeUndefined();
    expect(precompileAt(a(0x0b), prague)).toBeTypeOf('function');
    expect(precompileAt(P256VERIFY_ADDRESS, prague)).toBeUndefined();
    expect(precompileAt(P256VERIFY_ADDRESS, osaka)).toBeTypeOf('function');
    expect(precompileAt(IDENTITY_ADDRESS, cancun)).toBe(precompileAt(IDENTITY_ADDRESS, osaka));
  });
});

describe('blake2f (EIP-152 test vectors)', () => {
  const h =
    '48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b';
  const m = '6162630000000000000000000000000000000000000000000000000000000000'.padEnd(256, '0');
  const t = '03000000000000000000000000000000';
  const input = (rounds: string, f: string): Uint8Array => hexToBytes(rounds + h + m + t + f);
  const vectors: [string, string, string, string][] = [
    [
      '#4',
      '00000000',
      '01',
      '0x08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b',
    ],
    [
      '#5',
      '0000000c',
      '01',
      '0xba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    ],
    [
      '#6',
      '0000000c',
      '00',
      '0x75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735',
    ],
    [
      '#7',
      '00000001',
      '01',
      '0xb63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421',
    ],
  ];
  it.each(vectors)('vector %s', (_name, rounds, f, expected) => {
    const r = blake2f(input(rounds, f), 1_000_000, osaka);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(bytesToHex(r.output)).toBe(expected);
    expect(r.gasUsed).toBe(parseInt(rounds, 16));
  });

  it('rejects the EIP-152 invalid vectors', () => {
    expect(blake2f(new Uint8Array(0), 1_000_000, osaka).ok).toBe(false); // #0
    expect(blake2f(input('0000000c', '01').subarray(1), 1_000_000, osaka).ok).toBe(false); // #1: 212 bytes
    expect(blake2f(concatBytes(input('0000000c', '01'), Uint8Array.of(0)), 1_000_000, osaka).ok).toBe(false); // #2
    expect(blake2f(input('0000000c', '02'), 1_000_000, osaka).ok).toBe(false); // #3: bad flag
    expect(blake2f(input('0000000c', '01'), 11, osaka).ok).toBe(false); // out of gas
  });
});

describe('point evaluation vs c-kzg verify_kzg_proof vectors', () => {
  const dir = new URL('../../shared/fixtures/kzg/verify_kzg_proof/kzg-mainnet/', import.meta.url);
  const names = readdirSync(dir).sort();
  const expectedOutput = concatBytes(new Uint8Array(30), Uint8Array.of(0x10, 0x00), hexToBytes(BLS_MODULUS.toString(16)));

  it('has the fixture set', () => {
    expect(names.length).toBeGreaterThan(100);
  });

  it.each(names)('%s', (name) => {
    const text = readFileSync(new URL(`${name}/data.yaml`, dir), 'utf8');
    const field = (key: string): Uint8Array => {
      const m = new RegExp(`^\\s+${key}: '(0x[0-9a-fA-F]*)'`, 'm').exec(text);
      if (!m) throw new Error(`${name}: no ${key}`);
      return hexToBytes(m[1]!);
    };
    const out = /^output: (true|false|null)\s*$/m.exec(text);
    if (!out) throw new Error(`${name}: no output`);
    const commitment = field('commitment');
    const input = concatBytes(kzgToVersionedHash(commitment), field('z'), field('y'), commitment, field('proof'));
    const r = pointEvaluation(input, 50_000, cancun);
    expect(r.ok).toBe(out[1] === 'true');
    if (r.ok) {
      expect(r.gasUsed).toBe(50_000);
      expect(bytesToHex(r.output)).toBe(bytesToHex(expectedOutput));
      expect(bytesToBigInt(r.output.subarray(0, 32))).toBe(4096n);
    }
  });
});
