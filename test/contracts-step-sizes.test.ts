// The steps that are one step however many bytes they touch (prover/DESIGN.md §7: LOG data, the
// transaction's calldata, its receipt, CREATE's init code and code deposit; CALL's arguments and
// RETURN's output, windows of memory that no longer grow) against the TypeScript reference on a
// real anvil, at sizes up to 64 KiB. Each must be proven (the trace's next commitment) and its gas, recorded by size,
// must stay under EIP-7825's cap on one L1 transaction (2^24 gas, from Osaka) at the sizes the
// design states as fitting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hyperionRules } from '../vm/chain/chain.js';
import { blockStepWitness, type BlockStepTrace } from '../vm/step/block-steps.js';
import { stepWitness, type StepTrace } from '../vm/step/trace.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import { MemoryState } from '../vm/state/memory.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 as keccak_256 } from '../vm/util/keccak.js';
import { FIXTURE_COINBASE, fixtureBlockTrace } from './support/block-fixture.js';
import { startStepVerifier, type OnChainStepVerifier } from './support/onchain-step.js';
import { CONTRACT, OTHER, asm, callTx, stateWith, traceTx } from './support/step-traces.js';

/** EIP-7825: the most gas one L1 transaction may use (Osaka on). */
const TX_GAS_CAP = 2 ** 24;
const SIZES = [1024, 8192, 32_768, 65_536] as const;
/** The largest size of each class the design states as fitting under TX_GAS_CAP (DESIGN §7). */
const FITS: Record<string, number> = {
  LOG0: 65_536,
  'transaction begin': 65_536,
  'transaction end': 65_536,
  // Windows of memory (DESIGN §3.2): none of the bytes is read, so every size fits.
  'top-level RETURN': 65_536,
  CALL: 65_536,
  'callee RETURN': 65_536,
  // Bounded by EIP-3860 and EIP-170: every size fits.
  CREATE: 49_152,
  'code deposit': 24_576,
};

let v: OnChainStepVerifier;
const table: Record<string, number> = {};

beforeAll(async () => {
  v = await startStepVerifier();
}, 120_000);

afterAll(async () => {
  process.stdout.write(`gas of steps that grow with their data: ${JSON.stringify(table)}\n`);
  await v?.stop();
});

/**
 * Pseudo-random bytes: no two chunks alike, so no subtree repeats and every node of every tree
 * they land in is its own preimage in the witness (periodic data would share them: the witness
 * of a 64 KiB range shrinks to a few dozen nodes and understates its calldata by ~40 gas a byte).
 */
function data(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i * 32 < n; i++) out.set(keccak_256(Uint8Array.of(i >> 24, i >> 16, i >> 8, i)).subarray(0, Math.min(32, n - i * 32)), i * 32);
  return out;
}

// Copies the calldata into memory at 0 (split into pieces: DESIGN §2.9).
const LOAD = '36 5f 5f 37';

type Trace = StepTrace | BlockStepTrace;

/** Proves the first step of `kind` (and `op`, if given) and records its gas under `name`. */
async function measure(t: Trace, name: string, size: number, kind: Trace['kinds'][number], op?: number): Promise<void> {
  const k = t.kinds.findIndex((x, i) => x === kind && (op === undefined || t.ops[i] === op));
  expect(k, `${name}: no ${kind} step`).toBeGreaterThanOrEqual(0);
  const w = 'local' in t ? blockStepWitness(t, k) : stepWitness(t, k);
  expect(await v.verify(w.state, w.preimages), name).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
  const gas = await v.estimateGas(w.state, w.preimages);
  table[`${name} ${size}`] = gas;
  if (size <= FITS[name]!) expect(gas, `${name} of ${size} bytes`).toBeLessThan(TX_GAS_CAP);
}

/** A step whose data is a window of memory: at 64 KiB it costs what it does at 1 KiB, give or take its memory's gas. */
function expectFlat(name: string): void {
  const small = table[`${name} ${SIZES[0]}`]!;
  const large = table[`${name} ${SIZES[SIZES.length - 1]}`]!;
  expect(large, `${name}: ${small} gas at ${SIZES[0]} bytes, ${large} at ${SIZES[SIZES.length - 1]}`).toBeLessThan(small + 60_000);
}

describe('steps that grow with their data, by size', () => {
  it('LOG0 of its data, the transaction begin with that calldata, and the end with its receipt', async () => {
    const key = ('0x' + '22'.repeat(32)) as `0x${string}`;
    const chainId = 133717n;
    for (const n of SIZES) {
      const state = new MemoryState();
      state.put(addressOfPrivateKey(key), { balance: 10n ** 21n });
      state.put(CONTRACT, { code: asm(`${LOAD} 36 5f a0 00`) });
      const signed = signTransaction({ type: 2, chainId, nonce: 0n, maxPriorityFeePerGas: 1n, maxFeePerGas: 1000n, gasLimit: 15_000_000n, to: CONTRACT, value: 0n, data: data(n), accessList: [] }, key);
      const t = fixtureBlockTrace([encodeTransaction(signed)], hyperionRules(chainId, 'prague'), FIXTURE_COINBASE, state);
      await measure(t, 'LOG0', n, 'instruction', 0xa0);
      await measure(t, 'transaction begin', n, 'tx-begin');
      await measure(t, 'transaction end', n, 'tx-end');
    }
  }, 600_000);

  it('RETURN of the top-level call', async () => {
    for (const n of SIZES) {
      const t = traceTx(stateWith(asm(`${LOAD} 36 5f f3`)), callTx(CONTRACT, data(n), 15_000_000n));
      expect(t.outcome.output.length).toBe(n);
      await measure(t, 'top-level RETURN', n, 'end', 0xf3);
    }
    expectFlat('top-level RETURN');
  }, 600_000);

  it('CALL with its arguments, and the callee RETURN of as many bytes into the caller memory', async () => {
    // The callee copies its calldata into memory and returns it; the caller passes all of its
    // own and takes the output back over the same range.
    const callee = asm(`${LOAD} 36 5f f3`);
    const caller = asm(`${LOAD} 36 5f 36 5f 5f 73${OTHER.slice(2)} 5a f1 00`);
    for (const n of SIZES) {
      const t = traceTx(stateWith(caller, (s) => s.put(OTHER, { code: callee })), callTx(CONTRACT, data(n), 15_000_000n));
      expect(t.outcome.success).toBe(true);
      await measure(t, 'CALL', n, 'enter', 0xf1);
      await measure(t, 'callee RETURN', n, 'return', 0xf3);
    }
    expectFlat('CALL');
    expectFlat('callee RETURN');
  }, 600_000);

  it('CREATE of init code up to EIP-3860 (49,152 bytes) and its code deposit up to EIP-170 (24,576)', async () => {
    for (const n of [1024, 8192, 32_768, 49_152]) {
      // The init code is the calldata; it copies its own first min(n, 24,576) bytes into memory
      // and returns them as the code (which starts with PUSH3, not EIP-3541's 0xef).
      const init = data(n);
      const runtime = Math.min(n, 24_576);
      const size = `62${runtime.toString(16).padStart(6, '0')}`;
      init.set(asm(`${size} 5f 5f 39 ${size} 5f f3`), 0);
      const t = traceTx(stateWith(asm(`${LOAD} 36 5f 5f f0 00`)), callTx(CONTRACT, init, 15_000_000n));
      expect(t.outcome.success).toBe(true);
      await measure(t, 'CREATE', n, 'enter', 0xf0);
      await measure(t, 'code deposit', runtime, 'return', 0xf3);
    }
  }, 600_000);
});
