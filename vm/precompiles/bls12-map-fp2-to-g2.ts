// 0x11 BLS12_MAP_FP2_TO_G2 (EIP-2537): RFC 9380 map_to_curve (simplified SWU on the
// 3-isogenous twist, then the isogeny) followed by clear_cofactor.
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import { FP_LENGTH, catchInput, decodeFp, encodeG2, type BlsG2Point } from './bls12-codec.js';

export const BLS12_MAP_FP2_TO_G2_GAS = 23800;

// noble's hasher takes [c0, c1] for G2 (m = 2) and returns the cleared point; pin that shape.
const mapToG2 = bls12_381.G2.mapToCurve as unknown as (u: [bigint, bigint]) => BlsG2Point;

export const bls12MapFp2ToG2: Precompile = (input, gasLimit) =>
  charged(BLS12_MAP_FP2_TO_G2_GAS, gasLimit, () => {
    if (input.length !== 2 * FP_LENGTH) return failure('bls12 MAP_FP2_TO_G2: input must be 128 bytes');
    return catchInput(
      () => success(BLS12_MAP_FP2_TO_G2_GAS, encodeG2(mapToG2([decodeFp(input, 0), decodeFp(input, FP_LENGTH)]))),
      failure,
    );
  });
