// 0x0d BLS12_G2ADD (EIP-2537): on-curve checks only, no subgroup check.
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import { G2_LENGTH, catchInput, decodeG2, encodeG2 } from './bls12-codec.js';

export const BLS12_G2ADD_GAS = 600;

export const bls12G2Add: Precompile = (input, gasLimit) =>
  charged(BLS12_G2ADD_GAS, gasLimit, () => {
    if (input.length !== 2 * G2_LENGTH) return failure('bls12 G2ADD: input must be 512 bytes');
    return catchInput(
      () => success(BLS12_G2ADD_GAS, encodeG2(decodeG2(input, 0).add(decodeG2(input, G2_LENGTH)))),
      failure,
    );
  });
