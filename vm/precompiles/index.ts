// Precompile lookup per fork. The interpreter calls `precompileAt` on every CALL-family
// opcode, so each fork's table is a Map built once at module load.
import type { ForkRules } from '../chain/forks.js';
import type { Address } from '../util/address.js';
import type { Precompile } from './types.js';
import { ecrecover } from './ecrecover.js';
import { sha256 } from './sha256.js';
import { ripemd160 } from './ripemd160.js';
import { identity } from './identity.js';
import { modexp } from './modexp.js';
import { bn254Add } from './bn254-add.js';
import { bn254Mul } from './bn254-mul.js';
import { bn254Pairing } from './bn254-pairing.js';
import { blake2f } from './blake2f.js';
import { pointEvaluation } from './point-evaluation.js';
import { bls12G1Add } from './bls12-g1add.js';
import { bls12G1Msm } from './bls12-g1msm.js';
import { bls12G2Add } from './bls12-g2add.js';
import { bls12G2Msm } from './bls12-g2msm.js';
import { bls12PairingCheck } from './bls12-pairing.js';
import { bls12MapFpToG1 } from './bls12-map-fp-to-g1.js';
import { bls12MapFp2ToG2 } from './bls12-map-fp2-to-g2.js';
import { p256verify } from './p256verify.js';

export type { Precompile, PrecompileResult } from './types.js';

function addr(n: number): Address {
  return `0x${n.toString(16).padStart(40, '0')}`;
}

export const ECRECOVER_ADDRESS = addr(0x01);
export const SHA256_ADDRESS = addr(0x02);
export const RIPEMD160_ADDRESS = addr(0x03);
export const IDENTITY_ADDRESS = addr(0x04);
export const MODEXP_ADDRESS = addr(0x05);
export const BN254_ADD_ADDRESS = addr(0x06);
export const BN254_MUL_ADDRESS = addr(0x07);
export const BN254_PAIRING_ADDRESS = addr(0x08);
export const BLAKE2F_ADDRESS = addr(0x09);
export const POINT_EVALUATION_ADDRESS = addr(0x0a);
export const BLS12_G1ADD_ADDRESS = addr(0x0b);
export const BLS12_G1MSM_ADDRESS = addr(0x0c);
export const BLS12_G2ADD_ADDRESS = addr(0x0d);
export const BLS12_G2MSM_ADDRESS = addr(0x0e);
export const BLS12_PAIRING_CHECK_ADDRESS = addr(0x0f);
export const BLS12_MAP_FP_TO_G1_ADDRESS = addr(0x10);
export const BLS12_MAP_FP2_TO_G2_ADDRESS = addr(0x11);
export const P256VERIFY_ADDRESS = addr(0x100);

const CANCUN_SET: readonly (readonly [Address, Precompile])[] = [
  [ECRECOVER_ADDRESS, ecrecover],
  [SHA256_ADDRESS, sha256],
  [RIPEMD160_ADDRESS, ripemd160],
  [IDENTITY_ADDRESS, identity],
  [MODEXP_ADDRESS, modexp],
  [BN254_ADD_ADDRESS, bn254Add],
  [BN254_MUL_ADDRESS, bn254Mul],
  [BN254_PAIRING_ADDRESS, bn254Pairing],
  [BLAKE2F_ADDRESS, blake2f],
  [POINT_EVALUATION_ADDRESS, pointEvaluation],
];

const EIP2537_SET: readonly (readonly [Address, Precompile])[] = [
  [BLS12_G1ADD_ADDRESS, bls12G1Add],
  [BLS12_G1MSM_ADDRESS, bls12G1Msm],
  [BLS12_G2ADD_ADDRESS, bls12G2Add],
  [BLS12_G2MSM_ADDRESS, bls12G2Msm],
  [BLS12_PAIRING_CHECK_ADDRESS, bls12PairingCheck],
  [BLS12_MAP_FP_TO_G1_ADDRESS, bls12MapFpToG1],
  [BLS12_MAP_FP2_TO_G2_ADDRESS, bls12MapFp2ToG2],
];

const EIP7951_SET: readonly (readonly [Address, Precompile])[] = [[P256VERIFY_ADDRESS, p256verify]];

interface Table {
  readonly map: ReadonlyMap<Address, Precompile>;
  readonly addresses: readonly Address[];
}

// Keyed by the feature flags rather than the fork name, so custom rules sets resolve too.
const tables = new Map<number, Table>();

function tableKey(rules: ForkRules): number {
  return (rules.isEip2537 ? 1 : 0) | (rules.isEip7951 ? 2 : 0);
}

function buildTable(key: number): Table {
  const entries = [...CANCUN_SET];
  if (key & 1) entries.push(...EIP2537_SET);
  if (key & 2) entries.push(...EIP7951_SET);
  entries.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
  return { map: new Map(entries), addresses: Object.freeze(entries.map(([a]) => a)) };
}

for (const key of [0, 1, 2, 3]) {
  tables.set(key, buildTable(key));
}

function tableFor(rules: ForkRules): Table {
  return tables.get(tableKey(rules))!;
}

/** The precompile at `address` under `rules`, or undefined when none is active there. */
export function precompileAt(address: Address, rules: ForkRules): Precompile | undefined {
  return tableFor(rules).map.get(address);
}

/** Active precompile addresses in ascending order: warm from the start of every transaction (EIP-2929). */
export function activePrecompiles(rules: ForkRules): readonly Address[] {
  return tableFor(rules).addresses;
}
