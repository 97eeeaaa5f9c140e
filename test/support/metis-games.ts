// What the MetisVM dispute-game tests on anvil share (test/prover-metis-l1, test/devnet-inference-lie):
// the game shape for devnet blocks, the dispute system over a step verifier, and the checks
// that a liar differs from the chain only from its corrupted step on.
import { createTestClient, http, parseEther, type Address, type TestClient } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../../cli/anvil.js';
import { expect } from 'vitest';
import { deployDisputeSystem, l1Clients, type L1Clients } from '../../contracts/deploy.js';
import type { GameAgent } from '../../prover/game/agent.js';
import type { Claim, GameStatus } from '../../prover/game/types.js';
import type { L1GameContract } from '../../prover/l1/game-contract.js';
import type { MetisChainView } from '../../prover/metis/chain-view.js';
import type { CorruptedTrace } from '../../prover/metis/dishonest.js';
import { traceChainBlock } from '../../prover/metis/trace-provider.js';
import { ABSOLUTE_PRESTATE } from '../../vm/step/boundary.js';
import { bytesToHex } from '../../vm/util/bytes.js';

/** Two output-root levels (four blocks), then 2^15 steps of one block. */
export const SPLIT_DEPTH = 2;
export const TRACE_DEPTH = 15;
export const MAX_DEPTH = SPLIT_DEPTH + 1 + TRACE_DEPTH;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** The factory of a dispute system for MetisVM games over `verifier`, anchored at `anchorRoot` (block 0), reading block inputs from `inputs`. */
export async function deployMetisGames(deployer: L1Clients, o: { anchorRoot: Uint8Array; verifier: Address; gameType: number; maxClock: bigint; inputs?: Address }): Promise<Address> {
  const sys = await deployDisputeSystem(deployer, {
    anchorRoot: bytesToHex(o.anchorRoot),
    anchorL2BlockNumber: 0n,
    initBond: parseEther('0.01'),
    game: {
      gameType: o.gameType,
      maxGameDepth: MAX_DEPTH,
      splitDepth: SPLIT_DEPTH,
      maxClockDuration: o.maxClock,
      clockExtension: 300n,
      absolutePrestate: bytesToHex(ABSOLUTE_PRESTATE),
      verifier: o.verifier,
      ...(o.inputs === undefined ? {} : { inputs: o.inputs }),
      baseBond: parseEther('0.01'),
      topBond: parseEther('0.5'),
    },
  });
  return sys.factory;
}

/** The liar's trace equals the chain's up to its corrupted step, differs right after it, ends valid against its own (wrong) root. */
export async function expectLieFrom(view: MetisChainView, block: bigint, lie: CorruptedTrace): Promise<void> {
  const b = (await view.block(block))!;
  const honestTrace = await traceChainBlock(view, block, b.outputRoot);
  for (let k = 0; k <= lie.at; k++) expect(bytesToHex(lie.commitments[k]!)).toBe(bytesToHex(honestTrace.commitments[k]!));
  expect(bytesToHex(lie.commitments[lie.at + 1]!)).not.toBe(bytesToHex(honestTrace.commitments[lie.at + 1]!));
  expect(bytesToHex(lie.outputRoot)).not.toBe(bytesToHex(b.outputRoot));
  // Valid against its own root: its exec subgame root carries status 0.
  expect(lie.commitments.at(-1)![0]).toBe(0);
}

/**
 * Ticks `agents` until the game `watch` reads is resolved, warping anvil a quarter clock when
 * nobody moved; returns the status and the leaves countered by a step on L1 (with their positions).
 */
export async function playMetisGame(
  agents: readonly GameAgent[],
  watch: L1GameContract,
  testClient: TestClient,
  maxClock: bigint,
): Promise<{ status: GameStatus; steps: number; stepped: readonly Claim[] }> {
  for (let round = 0; round < 400; round++) {
    let sent = 0;
    for (const a of agents) {
      const t = await a.tick();
      sent += t.sent.length;
      if (process.env.DEBUG_GAME) for (const r of t.rejected) console.log('rejected', r.action.type, r.error.name, r.error.message.slice(0, 200));
    }
    const { status, claims } = await watch.view();
    if (process.env.DEBUG_GAME && status !== 'IN_PROGRESS') for (const c of claims) console.log(c.index, c.parentIndex, c.position.depth, c.claimant.slice(0, 6), c.value.slice(0, 10), c.counteredBy.slice(0, 6));
    // A leaf is countered only by a step on L1.
    if (status !== 'IN_PROGRESS') {
      const stepped = claims.filter((c) => c.position.depth === MAX_DEPTH && c.counteredBy !== ZERO_ADDRESS);
      return { status, steps: stepped.length, stepped };
    }
    if (sent === 0) {
      await testClient.increaseTime({ seconds: Number(maxClock / 4n) });
      await testClient.mine({ blocks: 1 });
    }
  }
  throw new Error('the game did not resolve');
}

/** An anvil L1 (Prague) with a test client and three players: deployer, honest, liar. */
export async function startGameL1(): Promise<{ node: AnvilNode; testClient: TestClient; deployer: L1Clients; honest: L1Clients; liar: L1Clients }> {
  const node = await startAnvil({ hardfork: 'prague' });
  const testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
  const [deployer, honest, liar] = [0, 1, 2].map((i) => l1Clients(node.rpcUrl, node.privateKeys[i]!, { pollingIntervalMs: 20 }));
  return { node, testClient, deployer: deployer!, honest: honest!, liar: liar! };
}
