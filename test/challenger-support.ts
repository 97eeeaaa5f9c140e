// Shared by the challenger suites and their child-process runner: the alphabet dispute system as
// test/l1-game.test.ts deploys it, the honest accessor, and a pino logger into an array.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { parseEther, type Address, type Hex } from 'viem';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  alphabetGenesisOutput,
  deployAlphabetVerifier,
  deployDisputeSystem,
  type L1Clients,
} from '../contracts/deploy.js';
import type { ChallengerGame } from '../challenger/challenger.js';
import type { TraceAccessor } from '../prover/game/trace-provider.js';
import { alphabetChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';

export const GAME_TYPE = 7;
export const ANCHOR_BLOCK = 1000n;
export const ANCHOR_ROOT = alphabetGenesisOutput(ANCHOR_BLOCK, 'challenger anchor');
export const MAX_DEPTH = 6;
export const SPLIT_DEPTH = 3;
/** <= 2^(6 - 3 - 1) = 4 leaves per execution subgame. */
export const PROGRAM_STEPS = 3n;
export const MAX_CLOCK = 3_600n;
export const INIT_BOND = parseEther('0.01');
export const truth = alphabetChain(ANCHOR_ROOT, ANCHOR_BLOCK);

/** Verifier, factory and the game type, deployed by `deployer`. */
export async function deployAlphabetSystem(deployer: L1Clients): Promise<Address> {
  const verifier = await deployAlphabetVerifier(deployer, PROGRAM_STEPS);
  const sys = await deployDisputeSystem(deployer, {
    anchorRoot: ANCHOR_ROOT,
    anchorL2BlockNumber: ANCHOR_BLOCK,
    initBond: INIT_BOND,
    game: {
      gameType: GAME_TYPE,
      maxGameDepth: MAX_DEPTH,
      splitDepth: SPLIT_DEPTH,
      maxClockDuration: MAX_CLOCK,
      clockExtension: 300n,
      absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
      verifier,
      baseBond: parseEther('0.01'),
      topBond: parseEther('1'),
    },
  });
  return sys.factory;
}

/** The accessor of an honest challenger who knows the true alphabet chain. */
export function honestAccessorFor(outputAt: (block: bigint) => Hex = truth): (game: ChallengerGame) => Promise<TraceAccessor | null> {
  return (game) => Promise.resolve(l1AlphabetAccessor(game.params, PROGRAM_STEPS, outputAt));
}

/** A pino logger whose JSON lines land in `lines`. */
export function arrayLogger(lines: Record<string, unknown>[], level = 'debug'): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level }, sink);
}
