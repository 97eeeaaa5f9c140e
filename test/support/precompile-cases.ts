// Deterministic precompile inputs for differential tests: valid and invalid encodings of every
// precompile's input (hash lengths, signatures, modexp sizes, curve points on and off the curve
// and subgroup, EIP-152 and c-kzg vectors, EIP-2537 and EIP-7951 cases) and structured random ones.
// A seeded generator: every run builds the same cases.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { bn254 } from '@noble/curves/bn254.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { bigIntToBytes, bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from '../../vm/util/bytes.js';
import type { Address } from '../../vm/util/address.js';
import { kzgToVersionedHash } from '../../vm/precompiles/point-evaluation.js';

/** One precompile call: the address, its input and the gas given to it. */
export interface Case {
  readonly name: string;
  readonly address: Address;
  readonly input: Uint8Array;
  readonly gas: number;
}

// ---------------------------------------------------------------- deterministic inputs

let seed = 0;
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 32) {
    const block = nobleSha256(bigIntToBytes(BigInt(++seed), 32));
    out.set(block.subarray(0, Math.min(32, n - off)), off);
  }
  return out;
}
function randomScalar(order: bigint): bigint {
  return (bytesToBigInt(randomBytes(48)) % (order - 1n)) + 1n;
}
const w = (v: bigint): Uint8Array => bigIntToBytes(v, 32);
const fp64 = (v: bigint): Uint8Array => bigIntToBytes(v, 64);
export const addr = (n: number): Address => `0x${n.toString(16).padStart(40, '0')}`;
const DEFAULT_GAS = 10_000_000;
export function mk(address: number, name: string, input: Uint8Array, gas = DEFAULT_GAS): Case {
  return { name, address: addr(address), input, gas };
}

export function hashCases(): Case[] {
  const cases: Case[] = [];
  for (const a of [0x02, 0x03, 0x04]) {
    for (const n of [0, 1, 31, 32, 33, 64, 65, 200, 1024]) cases.push(mk(a, `len ${n}`, randomBytes(n)));
    cases.push(mk(a, 'zero gas', randomBytes(10), 0));
  }
  return cases;
}

export function ecrecoverCases(): Case[] {
  const cases: Case[] = [];
  const N = secp256k1.Point.CURVE().n;
  for (let i = 0; i < 4; i++) {
    const key = secp256k1.utils.randomSecretKey(randomBytes(48));
    const hash = randomBytes(32);
    const sig = secp256k1.Signature.fromBytes(secp256k1.sign(hash, key, { prehash: false, format: 'recovered' }), 'recovered');
    const r = w(sig.r);
    const s = w(sig.s);
    const v = BigInt(27 + sig.recovery!);
    cases.push(mk(0x01, `valid ${i}`, concatBytes(hash, w(v), r, s)));
    cases.push(mk(0x01, `other v ${i}`, concatBytes(hash, w(v ^ 1n), r, s)));
    cases.push(mk(0x01, `high s ${i}`, concatBytes(hash, w(v ^ 1n), r, w(N - bytesToBigInt(s)))));
    cases.push(mk(0x01, `v=${v} with high bits ${i}`, concatBytes(hash, w(v + (1n << 200n)), r, s)));
    cases.push(mk(0x01, `truncated ${i}`, concatBytes(hash, w(v), r, s).subarray(0, 100)));
    cases.push(mk(0x01, `extended ${i}`, concatBytes(hash, w(v), r, s, randomBytes(40))));
  }
  const h = randomBytes(32);
  const r = randomBytes(32);
  const s = randomBytes(32);
  cases.push(mk(0x01, 'v=0', concatBytes(h, w(0n), r, s)));
  cases.push(mk(0x01, 'v=29', concatBytes(h, w(29n), r, s)));
  cases.push(mk(0x01, 'r=0', concatBytes(h, w(27n), w(0n), s)));
  cases.push(mk(0x01, 's=0', concatBytes(h, w(27n), r, w(0n))));
  cases.push(mk(0x01, 'r=n', concatBytes(h, w(27n), w(N), s)));
  cases.push(mk(0x01, 's=n', concatBytes(h, w(28n), r, w(N))));
  cases.push(mk(0x01, 'r=n-1', concatBytes(h, w(28n), w(N - 1n), s)));
  cases.push(mk(0x01, 'random r,s', concatBytes(h, w(27n), r, s)));
  cases.push(mk(0x01, 'empty', new Uint8Array(0)));
  cases.push(mk(0x01, 'gas 2999', concatBytes(h, w(27n), r, s), 2999));
  return cases;
}

function modexpInput(b: Uint8Array, e: Uint8Array, m: Uint8Array): Uint8Array {
  return concatBytes(w(BigInt(b.length)), w(BigInt(e.length)), w(BigInt(m.length)), b, e, m);
}

export function modexpCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, input: Uint8Array, gas = DEFAULT_GAS): void => void cases.push(mk(0x05, name, input, gas));
  add('3^5 mod 7', modexpInput(Uint8Array.of(3), Uint8Array.of(5), Uint8Array.of(7)));
  add('empty input', new Uint8Array(0));
  add('e = 0', modexpInput(randomBytes(32), new Uint8Array(32), randomBytes(32)));
  add('m = 0', modexpInput(randomBytes(32), randomBytes(32), new Uint8Array(32)));
  add('m = 1', modexpInput(randomBytes(32), randomBytes(32), Uint8Array.of(1)));
  add('m length 0', modexpInput(randomBytes(32), randomBytes(32), new Uint8Array(0)));
  add('b length 0', modexpInput(new Uint8Array(0), randomBytes(3), randomBytes(20)));
  for (const [bl, el, ml] of [
    [1, 1, 1],
    [32, 32, 32],
    [33, 33, 33],
    [64, 8, 64],
    [128, 64, 128],
    [256, 40, 256],
    [512, 3, 512],
    [1024, 32, 1024],
    [1024, 1024, 1],
    [1, 100, 1],
    [20, 1, 300],
  ] as const) {
    add(`random ${bl}/${el}/${ml}`, modexpInput(randomBytes(bl), randomBytes(el), randomBytes(ml)));
  }
  add('exponent head zero, long exponent', modexpInput(randomBytes(16), concatBytes(new Uint8Array(40), randomBytes(8)), randomBytes(16)));
  add('base over 1024 bytes', modexpInput(randomBytes(1025), randomBytes(2), randomBytes(16)));
  add('modulus over 1024 bytes', modexpInput(randomBytes(16), randomBytes(2), randomBytes(1025)));
  add('exponent over 1024 bytes', modexpInput(randomBytes(16), randomBytes(1025), randomBytes(16)));
  add('20000-byte exponent (affordable before Osaka)', modexpInput(randomBytes(32), randomBytes(20000), randomBytes(32)));
  // Lengths the input does not hold: the missing bytes read as zero.
  add('truncated body', modexpInput(randomBytes(64), randomBytes(64), randomBytes(64)).subarray(0, 96 + 100));
  add('header only', concatBytes(w(32n), w(32n), w(32n)));
  add('huge base length', concatBytes(w(1n << 255n), w(1n), w(1n), Uint8Array.of(2, 3, 5)));
  add('huge exponent length, empty modulus', concatBytes(w(0n), w(1n << 64n), w(0n)));
  add('huge modulus length', concatBytes(w(1n), w(1n), w((1n << 256n) - 1n)));
  add('low gas', modexpInput(randomBytes(64), randomBytes(64), randomBytes(64)), 300);
  add('zero gas', modexpInput(Uint8Array.of(3), Uint8Array.of(5), Uint8Array.of(7)), 0);
  return cases;
}

// ---- bn254

const BN_P = bn254.fields.Fp.ORDER;
const BN_R = bn254.fields.Fr.ORDER;
function bnG1(p: InstanceType<typeof bn254.G1.Point>): Uint8Array {
  if (p.is0()) return new Uint8Array(64);
  const { x, y } = p.toAffine();
  return concatBytes(w(x), w(y));
}
function bnG2(p: InstanceType<typeof bn254.G2.Point>): Uint8Array {
  if (p.is0()) return new Uint8Array(128);
  const { x, y } = p.toAffine();
  return concatBytes(w(x.c1), w(x.c0), w(y.c1), w(y.c0));
}

/** A point on the bn254 twist outside the r-torsion subgroup (the twist's cofactor is huge). */
function bnTwistPointOffSubgroup(): Uint8Array {
  const { Fp2 } = bn254.fields;
  const b = bn254.G2.Point.CURVE().b;
  for (let i = 1n; ; i++) {
    const x = Fp2.fromBigTuple([i, 1n]);
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    if (!Fp2.eql(Fp2.sqr(y), rhs)) continue;
    const p = bn254.G2.Point.fromAffine({ x, y });
    if (p.isTorsionFree()) continue;
    return concatBytes(w(x.c1), w(x.c0), w(y.c1), w(y.c0));
  }
}

export function bn254Cases(): Case[] {
  const cases: Case[] = [];
  const G = bn254.G1.Point.BASE;
  const H = bn254.G2.Point.BASE;
  const P1 = G.multiply(randomScalar(BN_R));
  const P2 = G.multiply(randomScalar(BN_R));
  // add
  cases.push(mk(0x06, 'P1 + P2', concatBytes(bnG1(P1), bnG1(P2))));
  cases.push(mk(0x06, 'P + P', concatBytes(bnG1(P1), bnG1(P1))));
  cases.push(mk(0x06, 'P + -P', concatBytes(bnG1(P1), bnG1(P1.negate()))));
  cases.push(mk(0x06, 'P + O', concatBytes(bnG1(P1), new Uint8Array(64))));
  cases.push(mk(0x06, 'empty', new Uint8Array(0)));
  cases.push(mk(0x06, 'one point, short', bnG1(P1)));
  cases.push(mk(0x06, 'extra bytes', concatBytes(bnG1(P1), bnG1(P2), randomBytes(50))));
  cases.push(mk(0x06, 'not on curve', concatBytes(w(1n), w(3n), bnG1(P2))));
  cases.push(mk(0x06, 'x >= p', concatBytes(w(BN_P + 1n), w(2n), bnG1(P2))));
  cases.push(mk(0x06, 'random', randomBytes(128)));
  cases.push(mk(0x06, 'gas 149', concatBytes(bnG1(P1), bnG1(P2)), 149));
  // mul
  for (const [name, k] of [
    ['0', 0n],
    ['1', 1n],
    ['r', BN_R],
    ['r + 1', BN_R + 1n],
    ['2^256 - 1', (1n << 256n) - 1n],
    ['random', randomScalar(BN_R)],
  ] as const) {
    cases.push(mk(0x07, `P * ${name}`, concatBytes(bnG1(P1), w(k))));
  }
  cases.push(mk(0x07, 'O * k', concatBytes(new Uint8Array(64), w(5n))));
  cases.push(mk(0x07, 'short scalar', concatBytes(bnG1(P1), Uint8Array.of(7))));
  cases.push(mk(0x07, 'not on curve', concatBytes(w(1n), w(1n), w(2n))));
  cases.push(mk(0x07, 'y >= p', concatBytes(w(1n), w(BN_P + 2n), w(2n))));
  cases.push(mk(0x07, 'empty', new Uint8Array(0)));
  cases.push(mk(0x07, 'gas 5999', concatBytes(bnG1(P1), w(3n)), 5999));
  // pairing: e(aP, bQ) · e(-abP, Q) = 1
  const a = randomScalar(BN_R);
  const b = randomScalar(BN_R);
  const identityPairs = concatBytes(
    bnG1(G.multiply(a)),
    bnG2(H.multiply(b)),
    bnG1(G.multiply((a * b) % BN_R).negate()),
    bnG2(H),
  );
  cases.push(mk(0x08, 'empty', new Uint8Array(0)));
  cases.push(mk(0x08, 'product is one', identityPairs));
  cases.push(mk(0x08, 'product is not one', concatBytes(bnG1(G), bnG2(H))));
  cases.push(mk(0x08, 'infinity pair', concatBytes(new Uint8Array(64), bnG2(H))));
  cases.push(mk(0x08, 'G2 infinity', concatBytes(bnG1(G), new Uint8Array(128))));
  cases.push(mk(0x08, 'G2 off subgroup', concatBytes(bnG1(G), bnTwistPointOffSubgroup())));
  cases.push(mk(0x08, 'G2 not on twist', concatBytes(bnG1(G), w(1n), w(2n), w(3n), w(4n))));
  cases.push(mk(0x08, 'G2 coordinate >= p', concatBytes(bnG1(G), w(BN_P), bnG2(H).subarray(32))));
  cases.push(mk(0x08, 'length 191', identityPairs.subarray(0, 191)));
  cases.push(mk(0x08, 'length 193', concatBytes(identityPairs.subarray(0, 192), Uint8Array.of(0))));
  cases.push(mk(0x08, 'gas short by one pair', identityPairs, 45000 + 34000));
  return cases;
}

// ---- blake2f: the EIP-152 test vectors' input fields

const EIP152_H =
  '48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b';
const EIP152_M = '6162630000000000000000000000000000000000000000000000000000000000'.padEnd(256, '0');
const EIP152_T = '03000000000000000000000000000000';
function blake2fInput(rounds: number, f: number, h = EIP152_H, m = EIP152_M, t = EIP152_T): Uint8Array {
  return concatBytes(bigIntToBytes(BigInt(rounds), 4), hexToBytes(h), hexToBytes(m), hexToBytes(t), Uint8Array.of(f));
}

export function blake2fCases(): Case[] {
  const cases: Case[] = [];
  cases.push(mk(0x09, 'eip-152 #4 (0 rounds)', blake2fInput(0, 1)));
  cases.push(mk(0x09, 'eip-152 #5 (12 rounds)', blake2fInput(12, 1)));
  cases.push(mk(0x09, 'eip-152 #6 (f = 0)', blake2fInput(12, 0)));
  cases.push(mk(0x09, 'eip-152 #7 (1 round)', blake2fInput(1, 1)));
  cases.push(mk(0x09, '100000 rounds', blake2fInput(100000, 1)));
  cases.push(mk(0x09, 'random state, 30 rounds', blake2fInput(30, 1, bytesToHex(randomBytes(64)).slice(2), bytesToHex(randomBytes(128)).slice(2), 'ffffffffffffffffffffffffffffffff')));
  cases.push(mk(0x09, 'f = 2', blake2fInput(12, 2)));
  cases.push(mk(0x09, '212 bytes', blake2fInput(12, 1).subarray(1)));
  cases.push(mk(0x09, '214 bytes', concatBytes(blake2fInput(12, 1), Uint8Array.of(0))));
  cases.push(mk(0x09, 'empty', new Uint8Array(0)));
  cases.push(mk(0x09, '2^32 - 1 rounds', blake2fInput(0xffffffff, 1)));
  return cases;
}

// ---- point evaluation

interface CKzgForTests {
  loadTrustedSetup(precompute: number): void;
  blobToKzgCommitment(blob: Uint8Array): Uint8Array;
  computeKzgProof(blob: Uint8Array, z: Uint8Array): [Uint8Array, Uint8Array];
}
const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

function kzg(): CKzgForTests {
  const lib = createRequire(import.meta.url)('c-kzg') as CKzgForTests;
  try {
    lib.loadTrustedSetup(0);
  } catch (e) {
    if (!(e instanceof Error) || !/already loaded/i.test(e.message)) throw e;
  }
  return lib;
}

function pointEvaluationInput(commitment: Uint8Array, z: Uint8Array, y: Uint8Array, proof: Uint8Array): Uint8Array {
  return concatBytes(kzgToVersionedHash(commitment), z, y, commitment, proof);
}

interface KzgVector {
  readonly name: string;
  readonly commitment: Uint8Array;
  readonly z: Uint8Array;
  readonly y: Uint8Array;
  readonly proof: Uint8Array;
  readonly output: boolean | null;
}

/** c-kzg's verify_kzg_proof YAML: four quoted hex fields under `input:` and `output: true|false|null`. */
function loadKzgVectors(): KzgVector[] {
  const dir = new URL('../../../shared/fixtures/kzg/verify_kzg_proof/kzg-mainnet/', import.meta.url);
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const text = readFileSync(new URL(`${name}/data.yaml`, dir), 'utf8');
      const field = (key: string): Uint8Array => {
        const m = new RegExp(`^\\s+${key}: '(0x[0-9a-fA-F]*)'`, 'm').exec(text);
        if (!m) throw new Error(`${name}: no ${key}`);
        return hexToBytes(m[1]!);
      };
      const out = /^output: (true|false|null)\s*$/m.exec(text);
      if (!out) throw new Error(`${name}: no output`);
      return {
        name,
        commitment: field('commitment'),
        z: field('z'),
        y: field('y'),
        proof: field('proof'),
        output: out[1] === 'null' ? null : out[1] === 'true',
      };
    });
}

export function pointEvaluationCases(): Case[] {
  const lib = kzg();
  const cases: Case[] = [];
  const blob = new Uint8Array(131072);
  for (let i = 0; i < 4096; i++) blob.set(w(bytesToBigInt(randomBytes(32)) % BLS_MODULUS), 32 * i);
  const commitment = lib.blobToKzgCommitment(blob);
  const z = w(bytesToBigInt(randomBytes(32)) % BLS_MODULUS);
  const [proof, y] = lib.computeKzgProof(blob, z);
  const valid = pointEvaluationInput(commitment, z, y, proof);
  cases.push(mk(0x0a, 'valid proof of a random blob', valid));
  cases.push(mk(0x0a, 'wrong y', pointEvaluationInput(commitment, z, w((bytesToBigInt(y) + 1n) % BLS_MODULUS), proof)));
  const badHash = valid.slice();
  badHash[0] = 0x02;
  cases.push(mk(0x0a, 'versioned hash with version 2', badHash));
  cases.push(mk(0x0a, 'z = modulus', pointEvaluationInput(commitment, w(BLS_MODULUS), y, proof)));
  cases.push(mk(0x0a, '191 bytes', valid.subarray(0, 191)));
  cases.push(mk(0x0a, '193 bytes', concatBytes(valid, Uint8Array.of(0))));
  cases.push(mk(0x0a, 'empty', new Uint8Array(0)));
  cases.push(mk(0x0a, 'gas 49999', valid, 49999));
  for (const v of loadKzgVectors()) {
    cases.push(mk(0x0a, `c-kzg ${v.name}`, pointEvaluationInput(v.commitment, v.z, v.y, v.proof)));
  }
  return cases;
}

// ---- BLS12-381 (EIP-2537)

const BLS_P = bls12_381.fields.Fp.ORDER;
const BLS_Q = bls12_381.fields.Fr.ORDER;
type BlsP1 = InstanceType<typeof bls12_381.G1.Point>;
type BlsP2 = InstanceType<typeof bls12_381.G2.Point>;
function blsG1(p: BlsP1): Uint8Array {
  if (p.is0()) return new Uint8Array(128);
  const { x, y } = p.toAffine();
  return concatBytes(fp64(x), fp64(y));
}
function blsG2(p: BlsP2): Uint8Array {
  if (p.is0()) return new Uint8Array(256);
  const { x, y } = p.toAffine();
  return concatBytes(fp64(x.c0), fp64(x.c1), fp64(y.c0), fp64(y.c1));
}
function blsG1OffSubgroup(): Uint8Array {
  const { Fp } = bls12_381.fields;
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
    let y: bigint;
    try {
      y = Fp.sqrt(rhs);
    } catch {
      continue;
    }
    if (Fp.sqr(y) !== rhs) continue;
    const p = bls12_381.G1.Point.fromAffine({ x, y });
    if (!p.isTorsionFree()) return concatBytes(fp64(x), fp64(y));
  }
}
function blsG2OffSubgroup(): Uint8Array {
  const { Fp2 } = bls12_381.fields;
  const b = bls12_381.G2.Point.CURVE().b;
  for (let i = 1n; ; i++) {
    const x = Fp2.fromBigTuple([i, 1n]);
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    if (!Fp2.eql(Fp2.sqr(y), rhs)) continue;
    const p = bls12_381.G2.Point.fromAffine({ x, y });
    if (!p.isTorsionFree()) return concatBytes(fp64(x.c0), fp64(x.c1), fp64(y.c0), fp64(y.c1));
  }
}

export function bls12Cases(): Case[] {
  const cases: Case[] = [];
  const G = bls12_381.G1.Point.BASE;
  const H = bls12_381.G2.Point.BASE;
  const p1 = G.multiply(randomScalar(BLS_Q));
  const p2 = G.multiply(randomScalar(BLS_Q));
  const q1 = H.multiply(randomScalar(BLS_Q));
  const q2 = H.multiply(randomScalar(BLS_Q));
  const g1Off = blsG1OffSubgroup();
  const g2Off = blsG2OffSubgroup();
  const badPad = blsG1(p1);
  badPad[0] = 1;
  const overP = concatBytes(fp64(BLS_P), blsG1(p1).subarray(64));
  // G1ADD
  cases.push(mk(0x0b, 'P1 + P2', concatBytes(blsG1(p1), blsG1(p2))));
  cases.push(mk(0x0b, 'P + P', concatBytes(blsG1(p1), blsG1(p1))));
  cases.push(mk(0x0b, 'P + -P', concatBytes(blsG1(p1), blsG1(p1.negate()))));
  cases.push(mk(0x0b, 'O + O', new Uint8Array(256)));
  cases.push(mk(0x0b, 'off-subgroup points add', concatBytes(g1Off, blsG1(p2))));
  cases.push(mk(0x0b, 'not on curve', concatBytes(fp64(1n), fp64(1n), blsG1(p2))));
  cases.push(mk(0x0b, 'nonzero padding', concatBytes(badPad, blsG1(p2))));
  cases.push(mk(0x0b, 'x >= p', concatBytes(overP, blsG1(p2))));
  cases.push(mk(0x0b, '255 bytes', concatBytes(blsG1(p1), blsG1(p2)).subarray(1)));
  cases.push(mk(0x0b, 'empty', new Uint8Array(0)));
  cases.push(mk(0x0b, 'gas 374', concatBytes(blsG1(p1), blsG1(p2)), 374));
  // G2ADD
  cases.push(mk(0x0d, 'Q1 + Q2', concatBytes(blsG2(q1), blsG2(q2))));
  cases.push(mk(0x0d, 'Q + Q', concatBytes(blsG2(q1), blsG2(q1))));
  cases.push(mk(0x0d, 'Q + O', concatBytes(blsG2(q1), new Uint8Array(256))));
  cases.push(mk(0x0d, 'off-subgroup points add', concatBytes(g2Off, blsG2(q2))));
  cases.push(mk(0x0d, 'not on twist', concatBytes(fp64(1n), fp64(1n), fp64(1n), fp64(1n), blsG2(q2))));
  cases.push(mk(0x0d, '513 bytes', concatBytes(blsG2(q1), blsG2(q2), Uint8Array.of(0))));
  cases.push(mk(0x0d, 'gas 599', concatBytes(blsG2(q1), blsG2(q2)), 599));
  // G1MSM / G2MSM
  const g1Pairs = (k: number): Uint8Array =>
    concatBytes(...Array.from({ length: k }, () => concatBytes(blsG1(G.multiply(randomScalar(BLS_Q))), randomBytes(32))));
  const g2Pairs = (k: number): Uint8Array =>
    concatBytes(...Array.from({ length: k }, () => concatBytes(blsG2(H.multiply(randomScalar(BLS_Q))), randomBytes(32))));
  for (const k of [1, 2, 3, 8, 33, 128, 129]) cases.push(mk(0x0c, `k = ${k}`, g1Pairs(k)));
  for (const k of [1, 2, 3, 17, 130]) cases.push(mk(0x0e, `k = ${k}`, g2Pairs(k)));
  cases.push(mk(0x0c, 'scalar 0', concatBytes(blsG1(p1), w(0n))));
  cases.push(mk(0x0c, 'scalar q', concatBytes(blsG1(p1), w(BLS_Q))));
  cases.push(mk(0x0c, 'scalar 2^256 - 1', concatBytes(blsG1(p1), w((1n << 256n) - 1n))));
  cases.push(mk(0x0c, 'infinity point', concatBytes(new Uint8Array(128), w(5n))));
  cases.push(mk(0x0c, 'P and -P cancel', concatBytes(blsG1(p1), w(7n), blsG1(p1.negate()), w(7n))));
  cases.push(mk(0x0c, 'off subgroup', concatBytes(g1Off, w(1n))));
  cases.push(mk(0x0c, 'off subgroup, scalar 0', concatBytes(g1Off, w(0n))));
  cases.push(mk(0x0c, 'empty', new Uint8Array(0)));
  cases.push(mk(0x0c, '161 bytes', concatBytes(blsG1(p1), w(3n), Uint8Array.of(0))));
  cases.push(mk(0x0c, '159 bytes', concatBytes(blsG1(p1), w(3n)).subarray(1)));
  cases.push(mk(0x0e, 'scalar q', concatBytes(blsG2(q1), w(BLS_Q))));
  cases.push(mk(0x0e, 'off subgroup', concatBytes(g2Off, w(1n))));
  cases.push(mk(0x0e, 'empty', new Uint8Array(0)));
  cases.push(mk(0x0e, '287 bytes', concatBytes(blsG2(q1), w(3n)).subarray(1)));
  // PAIRING_CHECK: e(aP, bQ) · e(-abP, Q) = 1
  const a = randomScalar(BLS_Q);
  const b = randomScalar(BLS_Q);
  const one = concatBytes(blsG1(G.multiply(a)), blsG2(H.multiply(b)), blsG1(G.multiply((a * b) % BLS_Q).negate()), blsG2(H));
  cases.push(mk(0x0f, 'product is one', one));
  cases.push(mk(0x0f, 'product is not one', concatBytes(blsG1(G), blsG2(H))));
  cases.push(mk(0x0f, 'infinity G1', concatBytes(new Uint8Array(128), blsG2(H))));
  cases.push(mk(0x0f, 'infinity G2', concatBytes(blsG1(G), new Uint8Array(256))));
  cases.push(mk(0x0f, 'G1 off subgroup', concatBytes(g1Off, blsG2(H))));
  cases.push(mk(0x0f, 'G2 off subgroup', concatBytes(blsG1(G), g2Off)));
  cases.push(mk(0x0f, 'empty', new Uint8Array(0)));
  cases.push(mk(0x0f, '383 bytes', one.subarray(0, 383)));
  cases.push(mk(0x0f, 'gas short', one, 2 * 32600 + 37700 - 1));
  // MAP_FP_TO_G1 / MAP_FP2_TO_G2
  for (const [name, v] of [
    ['0', 0n],
    ['1', 1n],
    ['p - 1', BLS_P - 1n],
    ['random', bytesToBigInt(randomBytes(48)) % BLS_P],
  ] as const) {
    cases.push(mk(0x10, `u = ${name}`, fp64(v)));
    cases.push(mk(0x11, `u = (${name}, random)`, concatBytes(fp64(v), fp64(bytesToBigInt(randomBytes(48)) % BLS_P))));
  }
  cases.push(mk(0x10, 'u = p', fp64(BLS_P)));
  cases.push(mk(0x10, 'nonzero padding', concatBytes(Uint8Array.of(1), new Uint8Array(63))));
  cases.push(mk(0x10, '65 bytes', new Uint8Array(65)));
  cases.push(mk(0x10, 'gas 5499', fp64(5n), 5499));
  cases.push(mk(0x11, 'c1 = p', concatBytes(fp64(1n), fp64(BLS_P))));
  cases.push(mk(0x11, '64 bytes', fp64(1n)));
  cases.push(mk(0x11, 'gas 23799', concatBytes(fp64(1n), fp64(2n)), 23799));
  return cases;
}

// ---- P256VERIFY (EIP-7951)

export function p256Cases(): Case[] {
  const cases: Case[] = [];
  const { n: N, p: P } = p256.Point.CURVE();
  for (let i = 0; i < 3; i++) {
    const key = p256.utils.randomSecretKey(randomBytes(48));
    const pub = p256.getPublicKey(key, false);
    const hash = randomBytes(32);
    const sig = p256.sign(hash, key, { prehash: false, lowS: false });
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32, 64);
    const q = pub.subarray(1);
    cases.push(mk(0x100, `valid ${i}`, concatBytes(hash, r, s, q)));
    cases.push(mk(0x100, `valid with s -> n - s ${i}`, concatBytes(hash, r, w(N - bytesToBigInt(s)), q)));
    const tampered = hash.slice();
    tampered[5] ^= 1;
    cases.push(mk(0x100, `wrong hash ${i}`, concatBytes(tampered, r, s, q)));
  }
  const key = p256.utils.randomSecretKey(randomBytes(48));
  const pub = p256.getPublicKey(key, false).subarray(1);
  const hash = randomBytes(32);
  const sig = p256.sign(hash, key, { prehash: false });
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  cases.push(mk(0x100, 'hash above n', concatBytes(w((1n << 256n) - 1n), r, s, pub)));
  cases.push(mk(0x100, 'r = 0', concatBytes(hash, w(0n), s, pub)));
  cases.push(mk(0x100, 's = n', concatBytes(hash, r, w(N), pub)));
  cases.push(mk(0x100, 'qx = p', concatBytes(hash, r, s, w(P), pub.subarray(32))));
  cases.push(mk(0x100, 'not on curve', concatBytes(hash, r, s, pub.subarray(0, 32), w(1n))));
  cases.push(mk(0x100, 'infinity key', concatBytes(hash, r, s, new Uint8Array(64))));
  cases.push(mk(0x100, '159 bytes', concatBytes(hash, r, s, pub).subarray(1)));
  cases.push(mk(0x100, '161 bytes', concatBytes(hash, r, s, pub, Uint8Array.of(0))));
  cases.push(mk(0x100, 'empty', new Uint8Array(0)));
  cases.push(mk(0x100, 'random', randomBytes(160)));
  cases.push(mk(0x100, 'gas 6899', concatBytes(hash, r, s, pub), 6899));
  return cases;
}

// ---- structured random inputs: valid encodings with random sizes, mixed and lightly corrupted

function randomInt(n: number): number {
  return Number(bytesToBigInt(randomBytes(4)) % BigInt(n));
}
/** Flips one random bit of a copy of `data`. */
function flipBit(data: Uint8Array): Uint8Array {
  const out = data.slice();
  const i = randomInt(out.length * 8);
  out[i >> 3] ^= 1 << (i & 7);
  return out;
}

export function fuzzCases(): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < 40; i++) {
    const [bl, el, ml] = [randomInt(70), randomInt(70), randomInt(70)];
    const input = modexpInput(randomBytes(bl), randomBytes(el), randomBytes(ml));
    cases.push(mk(0x05, `modexp ${bl}/${el}/${ml}`, i % 4 === 0 ? input.subarray(0, randomInt(input.length + 1)) : input));
  }
  for (let i = 0; i < 12; i++) {
    cases.push(mk(0x01, `ecrecover random r,s ${i}`, concatBytes(randomBytes(32), w(BigInt(27 + (i & 1))), randomBytes(64))));
  }
  const G = bn254.G1.Point.BASE;
  for (let i = 0; i < 12; i++) {
    const input = concatBytes(bnG1(G.multiply(randomScalar(BN_R))), bnG1(G.multiply(randomScalar(BN_R))));
    cases.push(mk(0x06, `bn254 add, bit flipped ${i}`, flipBit(input)));
    cases.push(mk(0x07, `bn254 mul, random scalar ${i}`, concatBytes(input.subarray(0, 64), randomBytes(32))));
  }
  const B = bls12_381.G1.Point.BASE;
  const B2 = bls12_381.G2.Point.BASE;
  for (let i = 0; i < 6; i++) {
    const k = 1 + randomInt(6);
    const pairs: Uint8Array[] = [];
    for (let j = 0; j < k; j++) {
      const point = randomInt(4) === 0 ? new Uint8Array(128) : blsG1(B.multiply(randomScalar(BLS_Q)));
      const scalar = randomInt(4) === 0 ? new Uint8Array(32) : randomBytes(32);
      pairs.push(concatBytes(point, scalar));
    }
    const input = concatBytes(...pairs);
    cases.push(mk(0x0c, `G1MSM mixed k=${k} ${i}`, input));
    cases.push(mk(0x0c, `G1MSM bit flipped k=${k} ${i}`, flipBit(input)));
    const q = concatBytes(blsG2(B2.multiply(randomScalar(BLS_Q))), blsG2(B2.multiply(randomScalar(BLS_Q))));
    cases.push(mk(0x0d, `G2ADD bit flipped ${i}`, flipBit(q)));
    cases.push(mk(0x0e, `G2MSM ${i}`, concatBytes(q.subarray(0, 256), randomBytes(32))));
  }
  for (let i = 0; i < 8; i++) {
    const key = p256.utils.randomSecretKey(randomBytes(48));
    const hash = randomBytes(32);
    const input = concatBytes(hash, p256.sign(hash, key, { prehash: false, lowS: false }), p256.getPublicKey(key, false).subarray(1));
    cases.push(mk(0x100, `P256 bit flipped ${i}`, flipBit(input)));
  }
  return cases;
}

