// Small constructors shared by every precompile, so each module reads as its EIP does:
// price the call, refuse it if the price exceeds the gas given, then compute.
import type { PrecompileResult } from './types.js';

export const EMPTY: Uint8Array = new Uint8Array(0);

export function success(gasUsed: number, output: Uint8Array): PrecompileResult {
  return { ok: true, gasUsed, output };
}

export function failure(reason: string): PrecompileResult {
  return { ok: false, reason };
}

export function outOfGas(cost: number | bigint, gasLimit: number): PrecompileResult {
  return { ok: false, reason: `out of gas: needs ${cost}, has ${gasLimit}` };
}

/** Number of 32-byte words covering `length` bytes, as the linear-cost precompiles charge. */
export function wordCount(length: number): number {
  return Math.ceil(length / 32);
}

/** Charges a fixed or linear cost known to fit in a JS number, then runs `compute`. */
export function charged(cost: number, gasLimit: number, compute: () => PrecompileResult): PrecompileResult {
  if (cost > gasLimit) return outOfGas(cost, gasLimit);
  return compute();
}
