// 0x10 BLS12_MAP_FP_TO_G1 (EIP-2537): RFC 9380 map_to_curve (simplified SWU on the
// 11-isogenous curve, then the isogeny) followed by clear_cofactor.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import { FP_LENGTH, catchInput, decodeFp, encodeG1, type BlsG1Point } from './bls12-codec.js';

export const BLS12_MAP_FP_TO_G1_GAS = 5500;

// noble's hasher takes a bare bigint for G1 (m = 1) and returns the cleared point,
// although its shared type says bigint[] -> affine; pin the real shape here.
const mapToG1 = bls12_381.G1.mapToCurve as unknown as (u: bigint) => BlsG1Point;

export const bls12MapFpToG1: Precompile = (input, gasLimit) =>
  charged(BLS12_MAP_FP_TO_G1_GAS, gasLimit, () => {
    if (input.length !== FP_LENGTH) return failure('bls12 MAP_FP_TO_G1: input must be 64 bytes');
    return catchInput(() => success(BLS12_MAP_FP_TO_G1_GAS, encodeG1(mapToG1(decodeFp(input, 0)))), failure);
  });
