// 0x0a POINT_EVALUATION (EIP-4844): verifies a KZG proof that the blob behind
// `versioned_hash` evaluates to y at z, via c-kzg and the mainnet trusted setup.
import { createRequire } from 'node:module';
import type { Precompile } from './types.js';
import { bigIntToBytes, concatBytes, equalBytes } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { charged, failure, success } from './result.js';

export const POINT_EVALUATION_GAS = 50000;
export const FIELD_ELEMENTS_PER_BLOB = 4096n;
export const BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
export const VERSIONED_HASH_VERSION_KZG = 0x01;
const INPUT_LENGTH = 192;

/** The constant success output: FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS, two 32-byte words. */
const RETURN_VALUE = concatBytes(bigIntToBytes(FIELD_ELEMENTS_PER_BLOB, 32), bigIntToBytes(BLS_MODULUS, 32));

interface CKzg {
  loadTrustedSetup(precompute: number, filePath?: string): void;
  verifyKzgProof(commitment: Uint8Array, z: Uint8Array, y: Uint8Array, proof: Uint8Array): boolean;
}

let kzg: CKzg | undefined;

/** c-kzg is a native CommonJS addon: loaded on first use, with its bundled mainnet setup loaded once. */
function ckzg(): CKzg {
  if (kzg) return kzg;
  const lib = createRequire(import.meta.url)('c-kzg') as CKzg;
  try {
    lib.loadTrustedSetup(0);
  } catch (e) {
    // Another module of this process may have loaded it first; the native setup is process-wide.
    if (!(e instanceof Error) || !/already loaded/i.test(e.message)) throw e;
  }
  kzg = lib;
  return lib;
}

/** kzg_to_versioned_hash: the version byte followed by sha256(commitment)[1:]. */
export function kzgToVersionedHash(commitment: Uint8Array): Uint8Array {
  const h = sha256(commitment);
  h[0] = VERSIONED_HASH_VERSION_KZG;
  return h;
}

export const pointEvaluation: Precompile = (input, gasLimit) =>
  charged(POINT_EVALUATION_GAS, gasLimit, () => {
    if (input.length !== INPUT_LENGTH) return failure('point evaluation: input must be exactly 192 bytes');
    const versionedHash = input.subarray(0, 32);
    const z = input.slice(32, 64);
    const y = input.slice(64, 96);
    const commitment = input.slice(96, 144);
    const proof = input.slice(144, 192);
    if (!equalBytes(kzgToVersionedHash(commitment), versionedHash)) {
      return failure('point evaluation: versioned hash does not match the commitment');
    }
    let valid: boolean;
    try {
      valid = ckzg().verifyKzgProof(commitment, z, y, proof);
    } catch (e) {
      // c-kzg throws on non-canonical field elements and on bytes that are not G1 points.
      return failure(`point evaluation: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!valid) return failure('point evaluation: proof does not verify');
    return success(POINT_EVALUATION_GAS, RETURN_VALUE.slice());
  });
