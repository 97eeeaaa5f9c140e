// The step machine over every precompile: each call (valid and invalid inputs of 0x01-0x11 and
// P256VERIFY, from the same deterministic cases the revm differential test uses) runs inside one
// CALL step, and every step of the calling transaction is re-run by the reference verifier from
// its witness alone. The call's result must be the precompile's own answer.
import { describe, expect, it } from 'vitest';
import { forkRules } from '../vm/chain/forks.js';
import { activePrecompiles, precompileAt } from '../vm/precompiles/index.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { verifyStep } from '../vm/step/execute.js';
import { stepCount, stepWitness } from '../vm/step/trace.js';
import { bigIntToBytes, bytesToHex, concatBytes } from '../vm/util/bytes.js';
import {
  blake2fCases,
  bls12Cases,
  bn254Cases,
  ecrecoverCases,
  fuzzCases,
  hashCases,
  modexpCases,
  p256Cases,
  pointEvaluationCases,
  type Case,
} from './support/precompile-cases.js';
import { CONTRACT, asm, callTx, stateWith, traceTx } from './support/step-traces.js';

const FORK = 'osaka';
const rules = forkRules(FORK);

/**
 * calldatacopy(0, 0, calldatasize); ok := staticcall(gas, address, 0, calldatasize, 0, 0);
 * mstore(0, ok); returndatacopy(32, 0, returndatasize); return(0, 32 + returndatasize)
 */
function probe(c: Case): Uint8Array {
  const address = bytesToHex(bigIntToBytes(BigInt(c.address), 20)).slice(2);
  const gas = bytesToHex(bigIntToBytes(BigInt(c.gas), 4)).slice(2);
  return asm(`36 6000 6000 37  6000 6000 36 6000 73${address} 63${gas} fa  6000 52  3d 6000 6020 3e  3d 6020 01 6000 f3`);
}

/** A spread of each family: per precompile address its first cases (valid encodings come first) and a few later ones. */
function sample(cases: readonly Case[], perAddress: number): Case[] {
  const byAddress = new Map<string, Case[]>();
  for (const c of cases) byAddress.set(c.address, [...(byAddress.get(c.address) ?? []), c]);
  return [...byAddress.values()].flatMap((cs) => {
    const step = Math.max(1, Math.floor(cs.length / perAddress));
    return cs.filter((_, i) => i < 2 || i % step === 0).slice(0, perAddress + 2);
  });
}

const FAMILIES: readonly [string, () => Case[]][] = [
  ['sha256, ripemd160, identity', hashCases],
  ['ecrecover', ecrecoverCases],
  ['modexp', modexpCases],
  ['bn254 add, mul, pairing', bn254Cases],
  ['blake2f', blake2fCases],
  ['point evaluation', pointEvaluationCases],
  ['BLS12-381', bls12Cases],
  ['P256VERIFY', p256Cases],
  ['structured random inputs', fuzzCases],
];

describe('step machine: every precompile inside one step', () => {
  const called = new Set<string>();
  it.each(FAMILIES)('%s: the call returns the precompile’s answer and every step is proven from its witness', (_name, build) => {
    const cases = sample(build(), 3);
    let calls = 0;
    for (const c of cases) {
      const p = precompileAt(c.address, rules);
      expect(p, `${c.name}: 0x${BigInt(c.address).toString(16)} is a precompile at ${FORK}`).toBeDefined();
      const t = traceTx(stateWith(probe(c)), callTx(CONTRACT, c.input, 16_000_000n), FORK);
      expect(t.outcome.success, c.name).toBe(true);
      const r = p!(c.input, c.gas, rules);
      const want = concatBytes(bigIntToBytes(r.ok ? 1n : 0n, 32), r.ok ? r.output : new Uint8Array());
      expect(bytesToHex(t.outcome.output), c.name).toBe(bytesToHex(want));
      const callStep = t.ops.indexOf(0xfa);
      expect(t.kinds[callStep], `${c.name}: the precompile call is one in-frame step`).toBe('instruction');
      for (let k = 0; k < stepCount(t); k++) {
        const w = stepWitness(t, k);
        const post = verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
        expect(bytesToHex(post), `${c.name}: step ${k} (op 0x${t.ops[k]!.toString(16)})`).toBe(bytesToHex(t.commitments[k + 1]!));
      }
      calls++;
      called.add(c.address.toLowerCase());
    }
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('the cases above called every precompile active at Osaka', () => {
    expect([...activePrecompiles(rules)].map((a) => a.toLowerCase()).filter((a) => !called.has(a))).toEqual([]);
  });
});
