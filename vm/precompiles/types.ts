// The contract every precompile implements. Precompiles are pure functions of
// their input: no state, no I/O, so the step machine can re-run one alone.
import type { ForkRules } from '../chain/forks.js';

export type PrecompileResult =
  | { readonly ok: true; readonly gasUsed: number; readonly output: Uint8Array }
  /** Out of gas or invalid input: the call fails and consumes all the gas it was given. */
  | { readonly ok: false; readonly reason: string };

export type Precompile = (input: Uint8Array, gasLimit: number, rules: ForkRules) => PrecompileResult;
