// The on-chain MetisVM step verifier against the TypeScript reference, on a real anvil: for every
// step of generated programs whose instruction the contract covers, the contract's post-state
// commitment equals the trace's next commitment; every other step reverts (never a wrong answer);
// a tampered witness never reaches the honest post-state. Gas per instruction class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { stepCount, stepWitness, type StepTrace } from '../vm/step/trace.js';
import { generateProgram } from './support/bytecode-gen.js';
import { CONTRACT, asm, callTx, stateWith, traceTx } from './support/step-traces.js';

let anvil: AnvilNode;
let clients: L1Clients;
let verifier: Hex;
const abi = () => contractArtifact('MetisStepVerifier').abi;

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  verifier = (await deployContract(clients, contractArtifact('MetisStepVerifier'))).address;
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
});

type Outcome = { ok: true; post: Hex } | { ok: false; error: string };

async function onChain(state: Uint8Array, preimages: readonly Uint8Array[]): Promise<Outcome> {
  try {
    const post = (await clients.public.readContract({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(state), preimages.map(bytesToHex)] })) as Hex;
    return { ok: true, post };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return { ok: false, error: revert.data?.errorName ?? revert.shortMessage };
    throw e;
  }
}

// The instructions the contract covers (contracts/src/MetisStepVerifier.sol).
const COVERED = new Set<number>([
  ...range(0x01, 0x0b), ...range(0x10, 0x1d), 0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3a, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48,
  0x50, 0x51, 0x52, 0x53, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, ...range(0x5f, 0x9f),
]);
function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

async function checkTrace(t: StepTrace, gas: Map<string, number>): Promise<{ proven: number; unsupported: number }> {
  let proven = 0;
  let unsupported = 0;
  for (let k = 0; k < stepCount(t); k++) {
    const w = stepWitness(t, k);
    const r = await onChain(w.state, w.preimages);
    const op = t.ops[k]!;
    const expected = bytesToHex(t.commitments[k + 1]!);
    if (COVERED.has(op) && t.kinds[k] === 'instruction') {
      expect(r, `step ${k} op 0x${op.toString(16)}`).toEqual({ ok: true, post: expected });
      proven++;
      const cls = opClass(op);
      if (!gas.has(cls) || Math.random() < 0.05) {
        const g = await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account });
        gas.set(cls, Math.max(gas.get(cls) ?? 0, Number(g)));
      }
    } else if (t.kinds[k] === 'end') {
      // The end of the top-level call: proven, unless it is an exceptional halt (then it reverts).
      if (r.ok) {
        expect(r.post, `end step ${k} op 0x${op.toString(16)}`).toBe(expected);
        proven++;
        gas.set('end', Math.max(gas.get('end') ?? 0, Number(await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account }))));
      } else unsupported++;
    } else {
      // Not covered on chain, or an exceptional halt: a revert, never another answer.
      if (r.ok) expect(r.post, `uncovered step ${k} op 0x${op.toString(16)} must not be answered differently`).toBe(expected);
      else unsupported++;
    }
  }
  return { proven, unsupported };
}

function opClass(op: number): string {
  if (op >= 0x60 && op <= 0x7f) return 'PUSH';
  if (op >= 0x80 && op <= 0x8f) return 'DUP';
  if (op >= 0x90 && op <= 0x9f) return 'SWAP';
  if (op <= 0x0b) return 'arithmetic';
  if (op <= 0x1d) return 'logic';
  if (op >= 0x51 && op <= 0x53) return 'memory';
  if (op === 0x56 || op === 0x57) return 'jump';
  if (op === 0x35) return 'calldata';
  return 'context';
}

describe('MetisStepVerifier against the reference verifier', () => {
  const gas = new Map<string, number>();

  it('agrees on every covered step of a hand-written program, including memory writes across chunks', async () => {
    const code = asm(`
      6002 6003 01 6005 02 600a 0a 6001 0b 6003 6007 08
      7fff00000000000000000000000000000000000000000000000000000000000001 6021 52
      6023 51 6000 53 6040 51 59 5a 30 33 34 36 38 32 3a 41 42 43 44 45 46 48
      6004 35 6001 6000 13 6003 1d 601f 1a 80 91 50 50 50
      6001 6041 57 00 5b 6000 6000 f3`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, asm('deadbeef'.repeat(10))));
    const r = await checkTrace(t, gas);
    expect(r.proven).toBeGreaterThan(50);
  }, 120_000);

  it('proves exceptional halts of the top-level call: INVALID, stack underflow and overflow, invalid jump, out of gas', async () => {
    const halts = [
      asm('6001 6000 55 fe'), // INVALID after a write (restored)
      asm('6001 6000 55 01'), // ADD with one item
      asm('6001 6000 55 6005 56 00 00'), // JUMP to a non-JUMPDEST
      asm('6001 6000 55' + ' 5f'.repeat(1025)), // PUSH0 past 1024 items
      asm('6001 6000 55 5b 6001 01 6003 56'), // an endless loop until out of gas
    ];
    for (const code of halts) {
      const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array(), 200_000n));
      expect(t.outcome.success).toBe(false);
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages), `halt of ${bytesToHex(code).slice(0, 20)}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('proves the end of a call by STOP, RETURN and REVERT (the revert restoring the frame snapshot)', async () => {
    const ends = [asm('6001 6000 55 00'), asm('6001 6000 55 602a 6003 52 6005 601e f3'), asm('6001 6000 55 6004 6000 fd')];
    for (const code of ends) {
      const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array()));
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('agrees on every covered step of generated programs, and reverts on the rest', async () => {
    let proven = 0;
    let unsupported = 0;
    for (let seed = 100; seed < 112; seed++) {
      const p = generateProgram(seed);
      if (p.fork !== 'prague' && p.fork !== 'osaka') continue;
      const t = traceTx(stateWith(p.code), callTx(CONTRACT, p.input, p.gas + 100_000n), p.fork);
      if (stepCount(t) > 400) continue;
      const r = await checkTrace(t, gas);
      proven += r.proven;
      unsupported += r.unsupported;
    }
    expect(proven).toBeGreaterThan(200);
    expect(unsupported).toBeGreaterThan(0);
    process.stdout.write(`step verifier gas (worst seen per class): ${JSON.stringify(Object.fromEntries(gas))}\n`);
  }, 600_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    // The post-state is a function of the pre-state: a preimage that is changed is a different
    // preimage (under another hash), so the verifier either misses what it needs or did not need it.
    const code = asm(`6002 6003 01 6000 52 6020 6000 51 6001 57 00`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array()));
    let reverted = 0;
    for (let k = 0; k < stepCount(t); k++) {
      if (!COVERED.has(t.ops[k]!) || t.kinds[k] !== 'instruction') continue;
      const w = stepWitness(t, k);
      const honest = bytesToHex(t.commitments[k + 1]!);
      for (let i = 0; i < w.preimages.length; i++) {
        const bad = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
        const r = await onChain(w.state, bad);
        if (r.ok) expect(r.post).toBe(honest);
        else reverted++;
      }
      const state = w.state.slice();
      state[state.length - 1] ^= 1; // another pre-state: another post-state (or a revert)
      const other = await onChain(state, w.preimages);
      if (other.ok) expect(other.post).not.toBe(honest);
    }
    expect(reverted).toBeGreaterThan(5);
  }, 120_000);
});
