// 0x04 IDENTITY (Frontier): returns its input; 15 + 3 per word.
import type { Precompile } from './types.js';
import { charged, success, wordCount } from './result.js';

export const IDENTITY_BASE_GAS = 15;
export const IDENTITY_WORD_GAS = 3;

export const identity: Precompile = (input, gasLimit) =>
  charged(IDENTITY_BASE_GAS + IDENTITY_WORD_GAS * wordCount(input.length), gasLimit, () =>
    success(IDENTITY_BASE_GAS + IDENTITY_WORD_GAS * wordCount(input.length), input.slice()),
  );
