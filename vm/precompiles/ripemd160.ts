// 0x03 RIPEMD160 (Frontier): 600 + 120 per word; the 20-byte digest is left-padded to a word.
import { ripemd160 as ripemd160Hash } from '@noble/hashes/legacy.js';
import type { Precompile } from './types.js';
import { charged, success, wordCount } from './result.js';

export const RIPEMD160_BASE_GAS = 600;
export const RIPEMD160_WORD_GAS = 120;

export const ripemd160: Precompile = (input, gasLimit) => {
  const cost = RIPEMD160_BASE_GAS + RIPEMD160_WORD_GAS * wordCount(input.length);
  return charged(cost, gasLimit, () => {
    const out = new Uint8Array(32);
    out.set(ripemd160Hash(input), 12);
    return success(cost, out);
  });
};
