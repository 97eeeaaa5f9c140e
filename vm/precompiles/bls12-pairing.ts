// 0x0f BLS12_PAIRING_CHECK (EIP-2537): 384-byte (G1, G2) pairs, both subgroup-checked;
// returns 1 when the product of pairings is the identity. Priced 32600 * k + 37700.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import {
  G1_LENGTH,
  G2_LENGTH,
  catchInput,
  decodeG1InSubgroup,
  decodeG2InSubgroup,
  type BlsG1Point,
  type BlsG2Point,
} from './bls12-codec.js';

export const BLS12_PAIRING_BASE_GAS = 37700;
export const BLS12_PAIRING_PAIR_GAS = 32600;
const PAIR_LENGTH = G1_LENGTH + G2_LENGTH;

export const bls12PairingCheck: Precompile = (input, gasLimit) => {
  const k = Math.floor(input.length / PAIR_LENGTH);
  const cost = BLS12_PAIRING_PAIR_GAS * k + BLS12_PAIRING_BASE_GAS;
  return charged(cost, gasLimit, () => {
    if (k === 0 || input.length % PAIR_LENGTH !== 0) {
      return failure('bls12 PAIRING_CHECK: input must be a positive multiple of 384 bytes');
    }
    return catchInput(() => {
      const pairs: { g1: BlsG1Point; g2: BlsG2Point }[] = [];
      for (let i = 0; i < k; i++) {
        const g1 = decodeG1InSubgroup(input, i * PAIR_LENGTH);
        const g2 = decodeG2InSubgroup(input, i * PAIR_LENGTH + G1_LENGTH);
        // An infinity factor makes its pairing 1: it drops out of the product.
        if (!g1.is0() && !g2.is0()) pairs.push({ g1, g2 });
      }
      const { Fp12 } = bls12_381.fields;
      const out = new Uint8Array(32);
      if (pairs.length === 0 || Fp12.eql(bls12_381.pairingBatch(pairs), Fp12.ONE)) out[31] = 1;
      return success(cost, out);
    }, failure);
  });
};
