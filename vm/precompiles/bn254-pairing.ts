// 0x08 ECPAIRING on alt_bn128 (EIP-197), priced by EIP-1108: 45000 + 34000 per pair.
import { bn254 } from '@noble/curves/bn254.js';
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import { Bn254InputError, decodeG1, decodeG2, type G1Point, type G2Point } from './bn254-codec.js';

export const BN254_PAIRING_BASE_GAS = 45000;
export const BN254_PAIRING_PAIR_GAS = 34000;
const PAIR_LENGTH = 192;

export const bn254Pairing: Precompile = (input, gasLimit) => {
  const k = Math.floor(input.length / PAIR_LENGTH);
  const cost = BN254_PAIRING_BASE_GAS + BN254_PAIRING_PAIR_GAS * k;
  return charged(cost, gasLimit, () => {
    if (input.length % PAIR_LENGTH !== 0) return failure('bn254 pairing: input length is not a multiple of 192');
    const pairs: { g1: G1Point; g2: G2Point }[] = [];
    try {
      for (let i = 0; i < k; i++) {
        const g1 = decodeG1(input, i * PAIR_LENGTH);
        const g2 = decodeG2(input, i * PAIR_LENGTH + 64);
        // A pair with an infinity factor contributes 1 to the product.
        if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
      }
    } catch (e) {
      if (e instanceof Bn254InputError) return failure(e.message);
      throw e;
    }
    const out = new Uint8Array(32);
    const { Fp12 } = bn254.fields;
    if (pairs.length === 0 || Fp12.eql(bn254.pairingBatch(pairs), Fp12.ONE)) out[31] = 1;
    return success(cost, out);
  });
};
