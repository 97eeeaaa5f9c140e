// What the differential tests of the step verifier's parts share (test/contracts-step-calls and
// test/contracts-step-creates): assembling helpers, checking every step of a trace against the
// on-chain verifier by class, tracing ethereum/tests state tests, and the tampered-witness check.
import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { parseFork } from '../../vm/chain/forks.js';
import { MemoryState } from '../../vm/state/memory.js';
import { WitnessState } from '../../vm/state/witness.js';
import { WorldState } from '../../vm/state/world.js';
import { fullWitness } from '../../vm/step/full-witness.js';
import { stepCount, stepWitness, storeFromWitness, traceTransaction, type StepTrace } from '../../vm/step/trace.js';
import { parseStateTestFile, type StateTestCase } from '../../vm/statetest/fixture.js';
import { stateTestBlockEnv, stateTestTransaction } from '../../vm/statetest/runner.js';
import type { Address } from '../../vm/util/address.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import type { OnChainStepVerifier } from './onchain-step.js';

// ---- assembling ------------------------------------------------------------------------------

/** The shortest PUSH of `v`. */
export function push(v: bigint | number): string {
  const n = BigInt(v);
  if (n === 0n) return '5f';
  let h = n.toString(16);
  if (h.length % 2 === 1) h = '0' + h;
  return (0x5f + h.length / 2).toString(16) + h;
}

export const pushAddr = (a: Address): string => '73' + a.slice(2);

/** Stores `data` at memory `at`, a word at a time (the tail of the last word zero). */
export function mstoreAll(data: Uint8Array, at = 0): string {
  let out = '';
  for (let i = 0; i < data.length; i += 32) {
    const word = new Uint8Array(32);
    word.set(data.subarray(i, i + 32));
    out += ` 7f${bytesToHex(word).slice(2)} ${push(at + i)} 52`;
  }
  return out;
}

// ---- checking --------------------------------------------------------------------------------

export interface PartRules<C extends string> {
  /** The class of step k if the part (or the verifier through it) must prove it, else null. */
  classOf(t: StepTrace, k: number): C | null;
  /** For a step outside classOf that the verifier answers: the part's class it counts as (a halt the verifier judged and the part ended), else null. */
  answeredAs(t: StepTrace, k: number): C | null;
  /** Whether a revert of step k is acceptable (a step no deployed part proves yet). */
  mayRevert(t: StepTrace, k: number): boolean;
  /** The gas table's row for a measured step (default: its class). */
  gasRow?(t: StepTrace, k: number, cls: C): string;
}

export interface PartCheck<C extends string> {
  proven: number;
  mine: number;
  skipped: number;
  classes: Set<C>;
}

/**
 * Every step of `t` (that `only` picks) on chain: the part's classes must give the trace's next
 * commitment; any other step gives it too or reverts where the rules allow, never another
 * answer. With `gas`, the worst gas per row is recorded.
 */
export async function checkPartTrace<C extends string>(
  v: OnChainStepVerifier,
  t: StepTrace,
  rules: PartRules<C>,
  gas: Map<string, number> | null,
  only: (k: number) => boolean = () => true,
): Promise<PartCheck<C>> {
  const r: PartCheck<C> = { proven: 0, mine: 0, skipped: 0, classes: new Set() };
  const measure = async (k: number, cls: C, w: ReturnType<typeof stepWitness>) => {
    if (gas === null) return;
    const row = rules.gasRow?.(t, k, cls) ?? cls;
    gas.set(row, Math.max(gas.get(row) ?? 0, await v.estimateGas(w.state, w.preimages)));
  };
  for (let k = 0; k < stepCount(t); k++) {
    if (!only(k)) continue;
    const w = stepWitness(t, k);
    const out = await v.verify(w.state, w.preimages);
    const op = t.ops[k]!;
    const expected = bytesToHex(t.commitments[k + 1]!);
    const cls = rules.classOf(t, k);
    const label = `step ${k} op 0x${op.toString(16)} (${t.kinds[k]})`;
    if (cls !== null) {
      expect(out, label).toEqual({ ok: true, post: expected });
      r.proven++;
      r.mine++;
      r.classes.add(cls);
      await measure(k, cls, w);
    } else if (out.ok) {
      expect(out.post, `${label} must not be answered differently`).toBe(expected);
      r.proven++;
      const as = rules.answeredAs(t, k);
      if (as !== null) {
        r.mine++;
        r.classes.add(as);
        await measure(k, as, w);
      }
    } else {
      expect(rules.mayRevert(t, k), `${label}: ${out.error}`).toBe(true);
      r.skipped++;
    }
  }
  return r;
}

// ---- ethereum/tests ---------------------------------------------------------------------------

const STATE_TESTS = new URL('../../../shared/fixtures/ethereum-tests/GeneralStateTests/', import.meta.url);

/** Up to `perDir` valid Cancun-or-later cases of each directory, spread over its files and variants. */
export function stateTestCases(dirs: readonly string[], perDir: number): StateTestCase[] {
  const cases: StateTestCase[] = [];
  for (const dir of dirs) {
    const inDir: StateTestCase[] = [];
    for (const file of readdirSync(new URL(dir, STATE_TESTS)).filter((f) => f.endsWith('.json')).sort()) {
      const all = parseStateTestFile(JSON.parse(readFileSync(new URL(`${dir}/${file}`, STATE_TESTS), 'utf8')));
      inDir.push(...all.filter((c) => c.expectException === null && c.index.gas === 0 && ['cancun', 'prague', 'osaka'].includes(c.fork.toLowerCase())));
    }
    const stride = Math.ceil(inDir.length / perDir);
    cases.push(...inDir.filter((_, i) => i % stride === 0));
  }
  return cases;
}

/** The committed step trace of a state test's transaction. */
export function traceStateTest(c: StateTestCase): StepTrace {
  const fork = parseFork(c.fork);
  const state = new MemoryState();
  for (const [address, a] of c.pre) state.put(address, a);
  const witness = fullWitness(state);
  return traceTransaction(storeFromWitness(witness), witness, new WorldState(new WitnessState(witness)), stateTestBlockEnv(c, fork), stateTestTransaction(c));
}

/**
 * The part's steps of each state test's trace (the first 12 that `rules` names, proven or
 * answered: some tests loop over one pattern), checked on chain: the cases traced, the part's
 * steps proven and the classes seen.
 */
export async function checkStateTests<C extends string>(
  v: OnChainStepVerifier,
  cases: readonly StateTestCase[],
  rules: PartRules<C>,
): Promise<{ traced: number; mine: number; seen: Set<C> }> {
  let traced = 0;
  let mine = 0;
  const seen = new Set<C>();
  for (const c of cases) {
    const trace = traceStateTest(c);
    traced++;
    const picked = new Set(trace.ops.flatMap((_, k) => (rules.classOf(trace, k) !== null || rules.answeredAs(trace, k) !== null ? [k] : [])).slice(0, 12));
    const r = await checkPartTrace(v, trace, rules, null, (k) => picked.has(k));
    mine += r.mine;
    for (const cls of r.classes) seen.add(cls);
  }
  return { traced, mine, seen };
}

// ---- tampering -------------------------------------------------------------------------------

/**
 * For each step k that `picked` selects: every preimage flipped in its last byte, and every
 * preimage dropped, reverts or gives the honest post-state; another pre-state never gives it.
 * Returns how many steps were tried and how many variants reverted.
 */
export async function tamperEachPreimage(v: OnChainStepVerifier, t: StepTrace, picked: (k: number) => boolean): Promise<{ steps: number; reverted: number }> {
  let reverted = 0;
  let steps = 0;
  for (let k = 0; k < stepCount(t); k++) {
    if (!picked(k)) continue;
    steps++;
    const w = stepWitness(t, k);
    const honest = bytesToHex(t.commitments[k + 1]!);
    for (let i = 0; i < w.preimages.length; i++) {
      const tampered = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
      const dropped = w.preimages.filter((_, j) => j !== i);
      for (const bad of [tampered, dropped]) {
        const r = await v.verify(w.state, bad);
        if (r.ok) expect(r.post, `step ${k} preimage ${i}`).toBe(honest);
        else reverted++;
      }
    }
    const state = w.state.slice();
    state[state.length - 1] ^= 1; // another pre-state: another post-state (or a revert)
    const other = await v.verify(state, w.preimages);
    if (other.ok) expect(other.post).not.toBe(honest);
  }
  return { steps, reverted };
}
