// 0x0e BLS12_G2MSM (EIP-2537): k (point, scalar) pairs of 288 bytes, every point
// subgroup-checked; scalars are any 256-bit value (reduced mod q, valid in the subgroup).
import { pippenger } from '@noble/curves/abstract/curve.js';
import type { Precompile } from './types.js';
import { bytesToBigInt } from '../util/bytes.js';
import { charged, failure, success } from './result.js';
import { BLS12_Q, BlsG2, G2_LENGTH, SCALAR_LENGTH, catchInput, decodeG2InSubgroup, encodeG2, type BlsG2Point } from './bls12-codec.js';
import { BLS12_G2MUL_GAS, G2_MSM_DISCOUNT, msmGas } from './bls12-msm-gas.js';

const PAIR_LENGTH = G2_LENGTH + SCALAR_LENGTH;

export const bls12G2Msm: Precompile = (input, gasLimit) => {
  const k = Math.floor(input.length / PAIR_LENGTH);
  const cost = msmGas(k, BLS12_G2MUL_GAS, G2_MSM_DISCOUNT);
  return charged(cost, gasLimit, () => {
    if (k === 0 || input.length % PAIR_LENGTH !== 0) return failure('bls12 G2MSM: input must be a positive multiple of 288 bytes');
    return catchInput(() => {
      const points: BlsG2Point[] = [];
      const scalars: bigint[] = [];
      for (let i = 0; i < k; i++) {
        const off = i * PAIR_LENGTH;
        const p = decodeG2InSubgroup(input, off);
        const s = bytesToBigInt(input.subarray(off + G2_LENGTH, off + PAIR_LENGTH)) % BLS12_Q;
        if (p.is0() || s === 0n) continue;
        points.push(p);
        scalars.push(s);
      }
      const sum = points.length === 0 ? BlsG2.ZERO : pippenger(BlsG2, points, scalars);
      return success(cost, encodeG2(sum));
    }, failure);
  });
};
