// 0x0b BLS12_G1ADD (EIP-2537): on-curve checks only, no subgroup check.
import type { Precompile } from './types.js';
import { charged, failure, success } from './result.js';
import { G1_LENGTH, catchInput, decodeG1, encodeG1 } from './bls12-codec.js';

export const BLS12_G1ADD_GAS = 375;

export const bls12G1Add: Precompile = (input, gasLimit) =>
  charged(BLS12_G1ADD_GAS, gasLimit, () => {
    if (input.length !== 2 * G1_LENGTH) return failure('bls12 G1ADD: input must be 256 bytes');
    return catchInput(
      () => success(BLS12_G1ADD_GAS, encodeG1(decodeG1(input, 0).add(decodeG1(input, G1_LENGTH)))),
      failure,
    );
  });
