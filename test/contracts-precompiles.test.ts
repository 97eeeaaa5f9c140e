// MetisPrecompiles (the step verifier's precompile runner) against MetisVM's own precompiles: for
// every deterministic case (valid and invalid inputs of 0x01-0x11 and P256VERIFY) and every L2
// fork, on an L1 that has P256VERIFY (Osaka) and one that has not (Prague), the contract gives
// the interpreter's answer (success, gas used, output), with the exact price and one gas short,
// or refuses with Unprovable where L1's precompile cannot answer for the L2 fork.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { forkRules, type Fork } from '../vm/chain/forks.js';
import { MODEXP_MAX_INPUT_LENGTH } from '../vm/precompiles/modexp.js';
import { precompileAt } from '../vm/precompiles/index.js';
import { bytesToBigInt, bytesToHex, sliceZeroPadded } from '../vm/util/bytes.js';
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

const L2_FORKS: readonly Fork[] = ['cancun', 'prague', 'osaka'];
const FORK_CODE: Record<string, number> = { cancun: 0, prague: 1, osaka: 2 };

type Answer = { kind: 'result'; ok: boolean; gasUsed: number; output: Hex } | { kind: 'revert'; error: string };

interface L1 {
  readonly node: AnvilNode;
  readonly clients: L1Clients;
  readonly address: Hex;
  readonly hasP256: boolean;
  readonly hasBls: boolean;
  readonly modexpBounded: boolean;
}

const abi = () => contractArtifact('MetisPrecompiles').abi;

async function deploy(hardfork: 'prague' | undefined): Promise<L1> {
  const node = hardfork === undefined ? await startAnvil() : await startAnvil({ hardfork });
  const clients = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 50 });
  const { address } = await deployContract(clients, contractArtifact('MetisPrecompiles'));
  const read = (functionName: 'L1_HAS_P256' | 'L1_HAS_BLS' | 'L1_MODEXP_BOUNDED') => clients.public.readContract({ address, abi: abi(), functionName }) as Promise<boolean>;
  return { node, clients, address, hasP256: await read('L1_HAS_P256'), hasBls: await read('L1_HAS_BLS'), modexpBounded: await read('L1_MODEXP_BOUNDED') };
}

async function onChain(l1: L1, c: Case, fork: Fork): Promise<Answer> {
  try {
    const [ok, gasUsed, output] = (await l1.clients.public.readContract({
      address: l1.address,
      abi: abi(),
      functionName: 'run',
      args: [BigInt(c.address), BigInt(FORK_CODE[fork]!), bytesToHex(c.input), BigInt(c.gas)],
    })) as [boolean, bigint, Hex];
    return { kind: 'result', ok, gasUsed: Number(gasUsed), output };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return { kind: 'revert', error: revert.data?.errorName ?? revert.shortMessage };
    throw e;
  }
}

function modexpOverBound(input: Uint8Array): boolean {
  const len = (i: number): bigint => bytesToBigInt(sliceZeroPadded(input, 32 * i, 32));
  return [0, 1, 2].some((i) => len(i) > MODEXP_MAX_INPUT_LENGTH);
}

/** What the contract must answer: the interpreter's result, or Unprovable where L1 cannot know it. */
function expected(l1: L1, c: Case, fork: Fork): Answer {
  const rules = forkRules(fork);
  const p = precompileAt(c.address, rules);
  if (p === undefined) return { kind: 'revert', error: 'Unprovable' };
  const target = BigInt(c.address);
  if (target === 0x100n && !l1.hasP256) return { kind: 'revert', error: 'Unprovable' };
  if (target >= 0x0bn && target <= 0x11n && !l1.hasBls) return { kind: 'revert', error: 'Unprovable' };
  const r = p(c.input, c.gas, rules);
  if (target === 0x05n && r.ok && fork !== 'osaka' && l1.modexpBounded && modexpOverBound(c.input)) return { kind: 'revert', error: 'Unprovable' };
  if (!r.ok) return { kind: 'result', ok: false, gasUsed: c.gas, output: '0x' };
  return { kind: 'result', ok: true, gasUsed: r.gasUsed, output: bytesToHex(r.output) };
}

/** Each case, and for every case the interpreter accepts, the same with exactly its price and one gas less. */
function withGasEdges(cases: readonly Case[], fork: Fork): Case[] {
  const rules = forkRules(fork);
  const out: Case[] = [...cases];
  for (const c of cases) {
    const r = precompileAt(c.address, rules)?.(c.input, c.gas, rules);
    if (r === undefined || !r.ok || r.gasUsed === 0) continue;
    out.push({ ...c, name: `${c.name} (exact gas)`, gas: r.gasUsed }, { ...c, name: `${c.name} (one gas short)`, gas: r.gasUsed - 1 });
  }
  return out;
}

const FAMILIES: readonly [string, () => Case[]][] = [
  ['sha256, ripemd160, identity', hashCases],
  ['ecrecover', ecrecoverCases],
  ['modexp', modexpCases],
  ['bn254', bn254Cases],
  ['blake2f', blake2fCases],
  ['point evaluation', pointEvaluationCases],
  ['BLS12-381', bls12Cases],
  ['P256VERIFY', p256Cases],
  ['structured random inputs', fuzzCases],
];

describe.each([
  ['Osaka L1', undefined],
  ['Prague L1', 'prague'],
] as const)('MetisPrecompiles on an %s', (_label, hardfork) => {
  let l1: L1;
  beforeAll(async () => {
    l1 = await deploy(hardfork);
  });
  afterAll(async () => {
    await l1?.node.stop();
  });

  it('knows what its L1 has', () => {
    expect(l1.hasP256).toBe(hardfork === undefined);
    expect(l1.hasBls).toBe(true);
    expect(l1.modexpBounded).toBe(hardfork === undefined);
  });

  it.each(FAMILIES)('%s: the interpreter’s answer for every L2 fork, or Unprovable', async (name, build) => {
    const counts = { agreed: 0, unprovable: 0 };
    for (const fork of L2_FORKS) {
      for (const c of withGasEdges(build(), fork)) {
        const want = expected(l1, c, fork);
        expect(await onChain(l1, c, fork), `${c.name} at 0x${BigInt(c.address).toString(16)}, L2 ${fork}`).toEqual(want);
        if (want.kind === 'revert') counts.unprovable++;
        else counts.agreed++;
      }
    }
    // Without P256VERIFY on L1 every such call is Unprovable; every other family is answered.
    if (name === 'P256VERIFY' && !l1.hasP256) expect(counts.agreed).toBe(0);
    else expect(counts.agreed).toBeGreaterThan(0);
  });
});
