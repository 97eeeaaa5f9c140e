// Differential tests of MetisVM's precompiles against revm, as shipped in anvil.
//
// Each case runs in anvil through a probe contract (installed by eth_call state override)
// that STATICCALLs the precompile with an explicit gas stipend and reports the success flag,
// the gas the call consumed and the return data. The probe first makes an identical
// STATICCALL to an empty account (gas used 0) and reports both, so the precompile's own
// gas is the difference of the two measured deltas: every opcode, warm-access and memory
// cost of the probe cancels out exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { forkRules, type Fork, type ForkRules } from '../vm/chain/forks.js';
import { bigIntToBytes, bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import type { Address } from '../vm/util/address.js';
import { activePrecompiles, precompileAt } from '../vm/precompiles/index.js';
import type { PrecompileResult } from '../vm/precompiles/types.js';
import {
  addr,
  blake2fCases,
  bls12Cases,
  bn254Cases,
  ecrecoverCases,
  fuzzCases,
  hashCases,
  modexpCases,
  p256Cases,
  pointEvaluationCases,
  randomBytes,
  type Case,
} from './support/precompile-cases.js';

// ---------------------------------------------------------------- probe contract

const PROBE: Address = '0x00000000000000000000000000000000000c0de5';
const DUMMY: Address = '0x00000000000000000000000000000000c0ffee00';
const OUTER_GAS = 15_000_000;

/** Calldata: target (32) ‖ dummy (32) ‖ stipend (32) ‖ input. */
function asm(...parts: (number | number[])[]): string {
  return bytesToHex(Uint8Array.from(parts.flat()));
}
const PUSH1 = 0x60;
const CALLDATASIZE = 0x36;
const CALLDATALOAD = 0x35;
const SUB = 0x03;
const CALLDATACOPY = 0x37;
const BALANCE = 0x31;
const POP = 0x50;
const GAS = 0x5a;
const STATICCALL = 0xfa;
const MSTORE = 0x52;
const RETURNDATASIZE = 0x3d;
const RETURNDATACOPY = 0x3e;
const ADD = 0x01;
const RETURN = 0xf3;

/** GAS; STATICCALL(stipend, address from calldata word `addrWord`, input, no return buffer); GAS. */
function measuredCall(addrWord: number): number[] {
  return [
    GAS,
    PUSH1, 0, // retSize
    PUSH1, 0, // retOffset
    PUSH1, 0x60, CALLDATASIZE, SUB, // argsSize
    PUSH1, 0, // argsOffset
    PUSH1, addrWord, CALLDATALOAD, // address
    PUSH1, 0x40, CALLDATALOAD, // gas stipend
    STATICCALL,
    GAS,
  ];
}

const PROBE_CODE = asm(
  // Copy the input to memory 0 first so neither measured call expands memory.
  [PUSH1, 0x60, CALLDATASIZE, SUB, PUSH1, 0x60, PUSH1, 0, CALLDATACOPY],
  // Warm both accounts (an inactive precompile address is an ordinary, maybe cold, account).
  [PUSH1, 0, CALLDATALOAD, BALANCE, POP, PUSH1, 0x20, CALLDATALOAD, BALANCE, POP],
  measuredCall(0x20), // reference call to the empty account
  measuredCall(0x00), // the precompile
  // Stack (top last): g0 s0 g1 g2 s1 g3. Store as six words, then append the return data.
  [PUSH1, 0xa0, MSTORE, PUSH1, 0x80, MSTORE, PUSH1, 0x60, MSTORE, PUSH1, 0x40, MSTORE, PUSH1, 0x20, MSTORE, PUSH1, 0, MSTORE],
  [RETURNDATASIZE, PUSH1, 0, PUSH1, 0xc0, RETURNDATACOPY],
  [RETURNDATASIZE, PUSH1, 0xc0, ADD, PUSH1, 0, RETURN],
);


interface Observed {
  readonly success: boolean;
  readonly gasUsed: number;
  readonly output: Uint8Array;
  readonly referenceSuccess: boolean;
}

function calldata(c: Case): string {
  return bytesToHex(
    concatBytes(
      bigIntToBytes(BigInt(c.address), 32),
      bigIntToBytes(BigInt(DUMMY), 32),
      bigIntToBytes(BigInt(c.gas), 32),
      c.input,
    ),
  );
}

class RpcError extends Error {
  override readonly name = 'RpcError';
}

async function runInAnvil(node: AnvilNode, cases: readonly Case[]): Promise<Observed[]> {
  const out: Observed[] = [];
  const CHUNK = 40;
  for (let i = 0; i < cases.length; i += CHUNK) {
    const chunk = cases.slice(i, i + CHUNK);
    const body = chunk.map((c, j) => ({
      jsonrpc: '2.0',
      id: j,
      method: 'eth_call',
      params: [
        { to: PROBE, data: calldata(c), gas: `0x${OUTER_GAS.toString(16)}` },
        'latest',
        { [PROBE]: { code: PROBE_CODE } },
      ],
    }));
    const res = await fetch(node.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answers = (await res.json()) as { id: number; result?: string; error?: { message: string } }[];
    const byId = new Map(answers.map((a) => [a.id, a]));
    for (let j = 0; j < chunk.length; j++) {
      const a = byId.get(j);
      if (!a || a.result === undefined) throw new RpcError(`eth_call for ${chunk[j]!.name}: ${a?.error?.message ?? 'no answer'}`);
      const r = hexToBytes(a.result);
      const word = (k: number): bigint => bytesToBigInt(r.subarray(32 * k, 32 * k + 32));
      const [g0, s0, g1, g2, s1, g3] = [0, 1, 2, 3, 4, 5].map(word) as [bigint, bigint, bigint, bigint, bigint, bigint];
      out.push({
        referenceSuccess: s0 === 1n,
        success: s1 === 1n,
        gasUsed: Number(g2 - g3 - (g0 - g1)),
        output: r.slice(192),
      });
    }
  }
  return out;
}

/** What revm should observe if our precompile is right. */
function expected(c: Case, rules: ForkRules): { success: boolean; gasUsed: number; output: string } {
  const p = precompileAt(c.address, rules);
  if (!p) return { success: true, gasUsed: 0, output: '0x' };
  const r: PrecompileResult = p(c.input, c.gas, rules);
  if (!r.ok) return { success: false, gasUsed: c.gas, output: '0x' };
  return { success: true, gasUsed: r.gasUsed, output: bytesToHex(r.output) };
}

/** Adds, for every case our implementation accepts, the same call with exactly enough gas and with one less. */
function withGasEdges(cases: readonly Case[], rules: ForkRules): Case[] {
  const out: Case[] = [...cases];
  for (const c of cases) {
    const p = precompileAt(c.address, rules);
    if (!p) continue;
    const r = p(c.input, c.gas, rules);
    if (!r.ok) continue;
    out.push({ ...c, name: `${c.name} [gas = cost]`, gas: r.gasUsed });
    if (r.gasUsed > 0) out.push({ ...c, name: `${c.name} [gas = cost - 1]`, gas: r.gasUsed - 1 });
  }
  return out;
}

async function compare(node: AnvilNode, fork: Fork, cases: readonly Case[]): Promise<void> {
  const rules = forkRules(fork);
  const all = withGasEdges(cases, rules);
  const observed = await runInAnvil(node, all);
  const mismatches: string[] = [];
  let successes = 0;
  let failures = 0;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    const o = observed[i]!;
    expect(o.referenceSuccess, 'the reference call to an empty account succeeds').toBe(true);
    const want = expected(c, rules);
    const got = { success: o.success, gasUsed: o.gasUsed, output: bytesToHex(o.output) };
    if (got.success) successes++;
    else failures++;
    if (got.success !== want.success || got.gasUsed !== want.gasUsed || got.output !== want.output) {
      mismatches.push(`${fork} ${c.address} ${c.name}: revm ${JSON.stringify(got)} vs ours ${JSON.stringify(want)}`);
    }
  }
  expect(mismatches).toEqual([]);
  // Guard against a probe that silently never calls anything: every suite of an active
  // precompile includes inputs that must fail (bad input or one gas short).
  expect(successes).toBeGreaterThan(0);
  if (all.some((c) => precompileAt(c.address, rules) !== undefined)) expect(failures).toBeGreaterThan(0);
}

// ---------------------------------------------------------------- the suites

const FORKS: readonly Fork[] = ['osaka', 'prague', 'cancun'];

describe.each(FORKS)('precompiles vs revm (anvil --hardfork %s)', (fork) => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = fork === 'osaka' ? await startAnvil() : await startAnvil({ hardfork: fork });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('sha256, ripemd160, identity', async () => {
    await compare(node, fork, hashCases());
  });
  it('ecrecover', async () => {
    await compare(node, fork, ecrecoverCases());
  });
  it('modexp', async () => {
    await compare(node, fork, modexpCases());
  });
  it('bn254 add, mul, pairing', async () => {
    await compare(node, fork, bn254Cases());
  });
  it('blake2f', async () => {
    await compare(node, fork, blake2fCases());
  });
  it('point evaluation (including c-kzg verify_kzg_proof vectors)', async () => {
    await compare(node, fork, pointEvaluationCases());
  });
  it('BLS12-381 set (inactive before Prague)', async () => {
    await compare(node, fork, bls12Cases());
  });
  it('P256VERIFY (inactive before Osaka)', async () => {
    await compare(node, fork, p256Cases());
  });
  it('structured random inputs (random sizes, mixes, flipped bits)', async () => {
    await compare(node, fork, fuzzCases());
  });
  it('random inputs at every active address and just past the set', async () => {
    const rules = forkRules(fork);
    const cases: Case[] = [];
    const addrs = [...activePrecompiles(rules), addr(0x12), addr(0xff), addr(0x101)];
    for (const a of addrs) {
      for (const n of [0, 1, 32, 64, 96, 128, 160, 192, 213, 256, 384, 512]) {
        cases.push({ name: `random ${n}`, address: a, input: randomBytes(n), gas: 1_000_000 });
      }
    }
    await compare(node, fork, cases);
  });
});
