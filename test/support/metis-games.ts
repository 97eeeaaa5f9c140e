// What the MetisVM dispute-game tests on anvil share (test/prover-metis-l1, test/devnet-inference-lie):
// the game shape for devnet blocks, the dispute system over a step verifier, and the checks
// that a liar differs from the chain only from its corrupted step on.
import { parseEther, type Address } from 'viem';
import { expect } from 'vitest';
import { deployDisputeSystem, type L1Clients } from '../../contracts/deploy.js';
import type { MetisChainView } from '../../prover/metis/chain-view.js';
import type { CorruptedTrace } from '../../prover/metis/dishonest.js';
import { traceChainBlock } from '../../prover/metis/trace-provider.js';
import { ABSOLUTE_PRESTATE } from '../../vm/step/boundary.js';
import { bytesToHex } from '../../vm/util/bytes.js';

/** Two output-root levels (four blocks), then 2^15 steps of one block. */
export const SPLIT_DEPTH = 2;
export const TRACE_DEPTH = 15;
export const MAX_DEPTH = SPLIT_DEPTH + 1 + TRACE_DEPTH;

/** The factory of a dispute system for MetisVM games over `verifier`, anchored at `anchorRoot` (block 0). */
export async function deployMetisGames(deployer: L1Clients, o: { anchorRoot: Uint8Array; verifier: Address; gameType: number; maxClock: bigint }): Promise<Address> {
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
