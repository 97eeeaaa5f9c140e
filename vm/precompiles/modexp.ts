// 0x05 MODEXP: EIP-198 semantics, EIP-2565 pricing, and from Osaka the EIP-7823
// length bounds and EIP-7883 repricing. Lengths are 256-bit words, so every size
// and price is computed in bigint and refused before anything is allocated.
import type { ForkRules } from '../chain/forks.js';
import type { Precompile } from './types.js';
import { bigIntToBytes, bytesToBigInt, sliceZeroPadded } from '../util/bytes.js';
import { EMPTY, failure, outOfGas, success } from './result.js';

/** EIP-7823: base, exponent and modulus lengths are each at most 1024 bytes. */
export const MODEXP_MAX_INPUT_LENGTH = 1024n;

const HEADER_LENGTH = 96n;

/** The gas EIP-2565 (and from Osaka EIP-7883) charges; a bigint because lengths may be huge. */
export function modexpGas(
  baseLength: bigint,
  expLength: bigint,
  modLength: bigint,
  expHead: bigint,
  rules: ForkRules,
): bigint {
  const maxLength = baseLength > modLength ? baseLength : modLength;
  const words = (maxLength + 7n) / 8n;
  const osaka = rules.isEip7883;
  const multComplexity = osaka ? (maxLength > 32n ? 2n * words * words : 16n) : words * words;
  // expHead holds the exponent's first min(expLength, 32) bytes.
  const headBits = BigInt(expHead === 0n ? 0 : expHead.toString(2).length);
  let iterations: bigint;
  if (expLength <= 32n) iterations = expHead === 0n ? 0n : headBits - 1n;
  else iterations = (osaka ? 16n : 8n) * (expLength - 32n) + (headBits > 0n ? headBits - 1n : 0n);
  if (iterations < 1n) iterations = 1n;
  if (osaka) {
    const gas = multComplexity * iterations;
    return gas > 500n ? gas : 500n;
  }
  const gas = (multComplexity * iterations) / 3n;
  return gas > 200n ? gas : 200n;
}

/** Reads `length` bytes at a bigint `offset` of the input, zero-filling past its end. */
function readPadded(input: Uint8Array, offset: bigint, length: number): Uint8Array {
  if (offset >= BigInt(input.length)) return new Uint8Array(length);
  return sliceZeroPadded(input, Number(offset), length);
}

/**
 * base^exp mod mod, scanning the exponent's bytes from the most significant bit.
 * The exponent stays a byte array: shifting a multi-megabyte bigint once per bit
 * (exponents that long are affordable before Osaka) would be quadratic.
 */
export function modPow(base: bigint, exp: Uint8Array, mod: bigint): bigint {
  if (mod <= 1n) return 0n;
  const b = base % mod;
  let result = 1n;
  let started = false;
  for (let i = 0; i < exp.length; i++) {
    const byte = exp[i];
    for (let bit = 7; bit >= 0; bit--) {
      if (started) result = (result * result) % mod;
      if ((byte >> bit) & 1) {
        result = (result * b) % mod;
        started = true;
      }
    }
  }
  return result;
}

export const modexp: Precompile = (input, gasLimit, rules) => {
  const baseLength = bytesToBigInt(readPadded(input, 0n, 32));
  const expLength = bytesToBigInt(readPadded(input, 32n, 32));
  const modLength = bytesToBigInt(readPadded(input, 64n, 32));
  if (
    rules.isEip7883 &&
    (baseLength > MODEXP_MAX_INPUT_LENGTH || expLength > MODEXP_MAX_INPUT_LENGTH || modLength > MODEXP_MAX_INPUT_LENGTH)
  ) {
    return failure('modexp: base, exponent and modulus lengths must each be at most 1024 bytes (EIP-7823)');
  }
  const headLength = expLength < 32n ? Number(expLength) : 32;
  const expHead = bytesToBigInt(readPadded(input, HEADER_LENGTH + baseLength, headLength));
  const cost = modexpGas(baseLength, expLength, modLength, expHead, rules);
  if (cost > BigInt(gasLimit)) return outOfGas(cost, gasLimit);
  const gasUsed = Number(cost);
  // With an empty modulus the output is empty whatever the other lengths are: nothing to read.
  if (modLength === 0n) return success(gasUsed, EMPTY);
  // The price bounds the lengths now: max(base, mod)^2 and the exponent's length both drive it.
  const base = bytesToBigInt(readPadded(input, HEADER_LENGTH, Number(baseLength)));
  const mod = bytesToBigInt(readPadded(input, HEADER_LENGTH + baseLength + expLength, Number(modLength)));
  if (mod <= 1n) return success(gasUsed, new Uint8Array(Number(modLength)));
  const exp = readPadded(input, HEADER_LENGTH + baseLength, Number(expLength));
  return success(gasUsed, bigIntToBytes(modPow(base, exp, mod), Number(modLength)));
};
