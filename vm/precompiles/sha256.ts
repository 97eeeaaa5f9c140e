// 0x02 SHA256 (Frontier): 60 + 12 per word.
import type { Precompile } from './types.js';
import { sha256 as sha256Hash } from '../util/hash.js';
import { charged, success, wordCount } from './result.js';

export const SHA256_BASE_GAS = 60;
export const SHA256_WORD_GAS = 12;

export const sha256: Precompile = (input, gasLimit) => {
  const cost = SHA256_BASE_GAS + SHA256_WORD_GAS * wordCount(input.length);
  return charged(cost, gasLimit, () => success(cost, sha256Hash(input)));
};
