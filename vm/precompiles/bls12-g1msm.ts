// 0x0c BLS12_G1MSM (EIP-2537): k (point, scalar) pairs of 160 bytes, every point
// subgroup-checked; scalars are any 256-bit value (reduced mod q, valid in the subgroup).
import { pippenger } from '@noble/curves/abstract/curve.js';
import type { Precompile } from './types.js';
import { bytesToBigInt } from '../util/bytes.js';
import { charged, failure, success } from './result.js';
import { BLS12_Q, BlsG1, G1_LENGTH, SCALAR_LENGTH, catchInput, decodeG1InSubgroup, encodeG1, type BlsG1Point } from './bls12-codec.js';
import { BLS12_G1MUL_GAS, G1_MSM_DISCOUNT, msmGas } from './bls12-msm-gas.js';

const PAIR_LENGTH = G1_LENGTH + SCALAR_LENGTH;

export const bls12G1Msm: Precompile = (input, gasLimit) => {
  const k = Math.floor(input.length / PAIR_LENGTH);
  const cost = msmGas(k, BLS12_G1MUL_GAS, G1_MSM_DISCOUNT);
  return charged(cost, gasLimit, () => {
    if (k === 0 || input.length % PAIR_LENGTH !== 0) return failure('bls12 G1MSM: input must be a positive multiple of 160 bytes');
    return catchInput(() => {
      const points: BlsG1Point[] = [];
      const scalars: bigint[] = [];
      for (let i = 0; i < k; i++) {
        const off = i * PAIR_LENGTH;
        const p = decodeG1InSubgroup(input, off);
        const s = bytesToBigInt(input.subarray(off + G1_LENGTH, off + PAIR_LENGTH)) % BLS12_Q;
        if (p.is0() || s === 0n) continue;
        points.push(p);
        scalars.push(s);
      }
      const sum = points.length === 0 ? BlsG1.ZERO : pippenger(BlsG1, points, scalars);
      return success(cost, encodeG1(sum));
    }, failure);
  });
};
