// Whole games on the in-process referee with the alphabet VM: honest agents against scripted
// dishonest players (op-challenger's actors), against each other, and on the clock.
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import {
  combine,
  doNothing,
  exhaustive,
  playGame,
  randomStrategy,
  respondAll,
  respondLast,
  type ScriptedPlayer,
  type Strategy,
} from '../prover/game/actors.js';
import { GameAgent, inProcessContract } from '../prover/game/agent.js';
import { ALPHABET_ABSOLUTE_PRESTATE, AlphabetStepVerifier, alphabetOutputRoot, alphabetSplitAccessor } from '../prover/game/alphabet.js';
import { InProcessGame, ManualClock, geometricBonds, predictResolution } from '../prover/game/game.js';
import { GameSolver } from '../prover/game/solver.js';
import { rng } from './support/rng.js';
import { ZERO_ADDRESS, type Address, type GameParams, type Hex } from '../prover/game/types.js';

const HONEST: Address = '0x00000000000000000000000000000000000000a1';
const DISHONEST: Address = '0x00000000000000000000000000000000000000d1';
const OTHER: Address = '0x00000000000000000000000000000000000000b2';
const ANCHOR = 1000n;

/** A chain that agrees with the alphabet chain up to `forkBlock` and differs from it on. */
function forkedChain(forkBlock: bigint): (block: bigint) => Hex {
  return (block) => (block < forkBlock ? alphabetOutputRoot(block) : bytesToHex(keccak256(concatBytes(hexToBytes(alphabetOutputRoot(block)), new Uint8Array([1])))));
}

function makeParams(maxGameDepth: number, splitDepth: number, blocks: bigint, maxClockDuration = 3600n): GameParams {
  return {
    maxGameDepth,
    splitDepth,
    maxClockDuration,
    clockExtension: maxClockDuration / 12n,
    preimageChallengePeriod: 0n,
    absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    startingBlockNumber: ANCHOR,
    startingOutputRoot: alphabetOutputRoot(ANCHOR),
    l2BlockNumber: ANCHOR + blocks,
    bonds: geometricBonds(maxGameDepth),
  };
}

interface Setup {
  readonly game: InProcessGame;
  readonly clock: ManualClock;
  readonly params: GameParams;
  readonly programLength: number;
  agent(address: Address, chain?: (block: bigint) => Hex): GameAgent;
  scripted(address: Address, strategy: Strategy): ScriptedPlayer;
}

function setup(maxGameDepth: number, splitDepth: number, rootHonest: boolean, opts: { blocks?: bigint; programLength?: number; forkAt?: bigint; maxClock?: bigint } = {}): Setup {
  const blocks = opts.blocks ?? BigInt(Math.min(2 ** splitDepth, 6));
  const params = makeParams(maxGameDepth, splitDepth, blocks, opts.maxClock);
  const bottomLeaves = 2 ** Math.min(maxGameDepth - splitDepth - 1, 20);
  const programLength = opts.programLength ?? Math.max(1, Math.min(bottomLeaves - 1, 11));
  const wrong = forkedChain(ANCHOR + (opts.forkAt ?? 2n));
  const clock = new ManualClock();
  const root = rootHonest ? alphabetOutputRoot(params.l2BlockNumber) : wrong(params.l2BlockNumber);
  const game = new InProcessGame({ params, rootClaim: root, creator: rootHonest ? HONEST : DISHONEST, verifier: new AlphabetStepVerifier(programLength), time: clock });
  return {
    game,
    clock,
    params,
    programLength,
    agent: (address, chain = alphabetOutputRoot) =>
      new GameAgent(inProcessContract(game, address, clock), new GameSolver(alphabetSplitAccessor(params, programLength, chain))),
    scripted: (address, strategy) => ({ address, strategy, correct: alphabetSplitAccessor(params, programLength) }),
  };
}

function bondsBy(game: InProcessGame, address: Address): bigint {
  return game.view().claims.filter((c) => c.claimant === address).reduce((s, c) => s + c.bond, 0n);
}

/** After resolution: every bond posted is credited to someone, and the honest player lost nothing. */
function checkAccounting(game: InProcessGame, honest: Address): void {
  // The pure prediction from the final claims agrees with the referee's checkpointed resolution.
  const view = game.view();
  const predicted = predictResolution({ ...view, claims: view.claims.map((c) => ({ ...c, counteredBy: c.position.depth === view.params.maxGameDepth ? c.counteredBy : ZERO_ADDRESS })) });
  expect(predicted.status).toBe(game.status);
  expect(predicted.counteredBy).toEqual(view.claims.map((c) => c.counteredBy));
  expect(new Map([...predicted.credits].sort())).toEqual(new Map([...game.allCredits()].sort()));
  const credits = [...game.allCredits().values()].reduce((a, b) => a + b, 0n);
  expect(credits).toBe(game.bondsPosted);
  expect(game.bondsPosted).toBe(game.view().claims.reduce((s, c) => s + c.bond, 0n));
  expect(game.credit(honest)).toBeGreaterThanOrEqual(bondsBy(game, honest));
}

/** The game went down to the leaves; every wrong leaf was stepped on by the honest player, no honest one by anybody. */
function checkLeaves(game: InProcessGame, maxDepth: number): void {
  const leaves = game.view().claims.filter((c) => c.position.depth === maxDepth);
  expect(leaves.length).toBeGreaterThan(0);
  for (const leaf of leaves) expect(leaf.counteredBy).toBe(leaf.claimant === HONEST ? ZERO_ADDRESS : HONEST);
}

const strategies: Record<string, Strategy> = {
  doNothing,
  correctAttackLast: respondLast('attack', true),
  incorrectAttackLast: respondLast('attack', false),
  correctDefendLast: respondLast('defend', true),
  incorrectDefendLast: respondLast('defend', false),
  attackEverythingCorrect: respondAll('attack', true),
  attackEverythingIncorrect: respondAll('attack', false),
  defendEverythingCorrect: respondAll('defend', true),
  defendEverythingIncorrect: respondAll('defend', false),
};

const depths: [number, number][] = [
  [4, 2],
  [6, 2],
  [6, 3],
  [8, 4],
];

describe('honest challenger against a wrong root claim', () => {
  for (const [maxDepth, splitDepth] of depths) {
    for (const [name, strategy] of Object.entries(strategies)) {
      it(`${name}, depth ${maxDepth} split ${splitDepth}: challenger wins`, async () => {
        const s = setup(maxDepth, splitDepth, false);
        const report = await playGame({
          game: s.game,
          clock: s.clock,
          agents: [s.agent(HONEST)],
          players: [s.scripted(DISHONEST, strategy)],
          roundSeconds: 60n,
          scriptedRounds: 12,
        });
        expect(report.status).toBe('CHALLENGER_WINS');
        checkAccounting(s.game, HONEST);
        expect(report.agentRejections[0]).toEqual([]);
        // The root's bond went to the honest challenger.
        expect(s.game.credit(HONEST)).toBeGreaterThan(bondsBy(s.game, HONEST));
      });
    }
  }
});

describe('honest defender of a correct root claim', () => {
  for (const [maxDepth, splitDepth] of depths) {
    for (const [name, strategy] of Object.entries(strategies)) {
      it(`${name}, depth ${maxDepth} split ${splitDepth}: defender wins`, async () => {
        const s = setup(maxDepth, splitDepth, true);
        const report = await playGame({
          game: s.game,
          clock: s.clock,
          agents: [s.agent(HONEST)],
          players: [s.scripted(DISHONEST, strategy)],
          roundSeconds: 60n,
          scriptedRounds: 12,
        });
        expect(report.status).toBe('DEFENDER_WINS');
        checkAccounting(s.game, HONEST);
        expect(report.agentRejections[0]).toEqual([]);
        // Every claim the dishonest player made that the honest one countered cost it its bond.
        if (report.scriptedAccepted > 0 && name.includes('ncorrect')) expect(s.game.credit(DISHONEST)).toBeLessThan(bondsBy(s.game, DISHONEST));
      });
    }
  }
});

describe('the exhaustive dishonest player (every move, every step)', () => {
  for (const rootHonest of [false, true]) {
    for (const [maxDepth, splitDepth] of [
      [4, 2],
      [5, 2],
    ] as [number, number][]) {
      it(`depth ${maxDepth} split ${splitDepth}, root ${rootHonest ? 'correct' : 'wrong'}`, async () => {
        const s = setup(maxDepth, splitDepth, rootHonest);
        const report = await playGame({
          game: s.game,
          clock: s.clock,
          agents: [s.agent(HONEST)],
          players: [s.scripted(DISHONEST, exhaustive)],
          roundSeconds: 60n,
          scriptedRounds: 3,
        });
        expect(report.status).toBe(rootHonest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
        expect(report.scriptedAccepted).toBeGreaterThan(20);
        checkAccounting(s.game, HONEST);
        expect(report.agentRejections[0]).toEqual([]);
      });
    }
  }

  it('a freeloader mixing correct and wrong moves on every claim cannot flip the outcome', async () => {
    const s = setup(6, 3, false);
    const freeloader = combine(respondAll('attack', true), respondAll('defend', false), respondLast('defend', true));
    const report = await playGame({ game: s.game, clock: s.clock, agents: [s.agent(HONEST)], players: [s.scripted(DISHONEST, freeloader)], roundSeconds: 60n, scriptedRounds: 8 });
    expect(report.status).toBe('CHALLENGER_WINS');
    checkAccounting(s.game, HONEST);
    expect(report.agentRejections[0]).toEqual([]);
  });
});

describe('two agents with different traces', () => {
  for (const [maxDepth, splitDepth] of [
    [6, 2],
    [8, 3],
    [10, 4],
  ] as [number, number][]) {
    for (const forkAt of [1n, 2n, 3n]) {
      it(`depth ${maxDepth} split ${splitDepth}, chains fork at anchor+${forkAt}: the one matching the truth wins either way`, async () => {
        for (const rootHonest of [true, false]) {
          const s = setup(maxDepth, splitDepth, rootHonest, { forkAt, blocks: 4n });
          const wrongChain = forkedChain(ANCHOR + forkAt);
          const report = await playGame({
            game: s.game,
            clock: s.clock,
            agents: [s.agent(HONEST), s.agent(DISHONEST, wrongChain)],
            roundSeconds: 60n,
          });
          expect(report.status).toBe(rootHonest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
          checkAccounting(s.game, HONEST);
          expect(report.agentRejections[0]).toEqual([]);
          checkLeaves(s.game, maxDepth);
        }
      });
    }
  }

  it('two agents with the same (true) trace never dispute a correct root', async () => {
    const s = setup(6, 2, true);
    const report = await playGame({ game: s.game, clock: s.clock, agents: [s.agent(HONEST), s.agent(OTHER)], roundSeconds: 60n });
    expect(report.status).toBe('DEFENDER_WINS');
    expect(s.game.claimCount).toBe(1);
    expect(s.game.credit(HONEST)).toBe(s.params.bonds[0]);
  });
});

describe('OP mainnet depths (73, split 30) with a short trace', () => {
  it('an honest challenger bisects a wrong root down to one step against a wrong-chain agent', async () => {
    const s = setup(73, 30, false, { blocks: 5n, programLength: 10, forkAt: 3n, maxClock: 302_400n });
    const report = await playGame({
      game: s.game,
      clock: s.clock,
      agents: [s.agent(HONEST), s.agent(DISHONEST, forkedChain(ANCHOR + 3n))],
      roundSeconds: 600n,
    });
    expect(report.status).toBe('CHALLENGER_WINS');
    const claims = s.game.view().claims;
    expect(Math.max(...claims.map((c) => c.position.depth))).toBe(73);
    checkLeaves(s.game, 73);
    checkAccounting(s.game, HONEST);
    expect(report.agentRejections[0]).toEqual([]);
  });

  it('a million-step program over ten thousand blocks: the bisection meets inside the execution trace', async () => {
    const s = setup(73, 30, false, { blocks: 10_000n, programLength: 1_000_000, forkAt: 4321n, maxClock: 302_400n });
    const report = await playGame({
      game: s.game,
      clock: s.clock,
      agents: [s.agent(HONEST), s.agent(DISHONEST, forkedChain(ANCHOR + 4321n))],
      roundSeconds: 600n,
    });
    expect(report.status).toBe('CHALLENGER_WINS');
    checkLeaves(s.game, 73);
    checkAccounting(s.game, HONEST);
    expect(report.agentRejections[0]).toEqual([]);
    // The step was played in the execution subgame of the first block where the chains differ.
    const leaf = s.game.view().claims.find((c) => c.position.depth === 73)!;
    const context = s.game.localContext(leaf.index);
    expect(context.disputedL2BlockNumber).toBe(ANCHOR + 4321n);
    expect(context.startingOutputRoot).toBe(alphabetOutputRoot(ANCHOR + 4320n));
  });

  it('an honest defender against wrong attacks on the last claim', async () => {
    const s = setup(73, 30, true, { blocks: 5n, programLength: 10, maxClock: 302_400n });
    const report = await playGame({
      game: s.game,
      clock: s.clock,
      agents: [s.agent(HONEST)],
      players: [s.scripted(DISHONEST, respondLast('attack', false))],
      roundSeconds: 600n,
      scriptedRounds: 200,
    });
    expect(report.status).toBe('DEFENDER_WINS');
    expect(s.game.view().claims.some((c) => c.position.depth === 73)).toBe(true);
    checkAccounting(s.game, HONEST);
    expect(report.agentRejections[0]).toEqual([]);
  });
});

describe('clocks', () => {
  it('an unchallenged wrong root wins once its clock runs out', async () => {
    const s = setup(6, 2, false);
    const late = s.agent(HONEST);
    s.clock.advance(3600n);
    const tick = await late.tick();
    // Too late to attack: the solver leaves the move out, and resolution goes through.
    expect(tick.sent.map((a) => a.type)).toEqual(['resolveClaim', 'resolve']);
    expect(tick.status).toBe('DEFENDER_WINS');
    expect(s.game.claimCount).toBe(1);
  });

  it('an honest challenger that stops answering loses to a counter it left standing', async () => {
    const s = setup(6, 2, false);
    const honest = s.agent(HONEST);
    const dishonest = s.agent(DISHONEST, forkedChain(ANCHOR + 2n));
    await honest.tick();
    s.clock.advance(60n);
    await dishonest.tick();
    expect(s.game.claimCount).toBe(3);
    // The honest player goes offline; only the dishonest one keeps ticking.
    const report = await playGame({ game: s.game, clock: s.clock, agents: [dishonest], roundSeconds: 60n });
    expect(report.status).toBe('DEFENDER_WINS');
    expect(s.game.credit(DISHONEST)).toBe(s.game.bondsPosted);
  });

  it('the game cannot end before the clocks allow, and the agent resolves as soon as they do', async () => {
    const s = setup(4, 2, false);
    const honest = s.agent(HONEST);
    await honest.tick();
    s.clock.advance(3599n);
    expect((await honest.tick()).sent).toEqual([]);
    s.clock.advance(1n);
    const tick = await honest.tick();
    expect(tick.sent.map((a) => a.type)).toEqual(['resolveClaim', 'resolveClaim', 'resolve']);
    expect(tick.status).toBe('CHALLENGER_WINS');
  });
});

describe('random dishonest play (seeded)', () => {
  for (let seed = 1; seed <= 24; seed++) {
    it(`seed ${seed}: the honest player wins and bonds add up`, async () => {
      const random = rng(seed);
      const maxDepth = 4 + Math.floor(random() * 6); // 4..9
      const splitDepth = 2 + Math.floor(random() * (maxDepth - 3)); // 2..maxDepth-2
      const rootHonest = random() < 0.5;
      const s = setup(maxDepth, splitDepth, rootHonest, { forkAt: BigInt(1 + Math.floor(random() * 3)) });
      const report = await playGame({
        game: s.game,
        clock: s.clock,
        agents: [s.agent(HONEST)],
        players: [s.scripted(DISHONEST, randomStrategy(random, 6)), s.scripted(OTHER, randomStrategy(random, 3))],
        roundSeconds: 60n,
        scriptedRounds: 15,
      });
      expect(report.status).toBe(rootHonest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
      expect(report.scriptedAccepted).toBeGreaterThan(0);
      checkAccounting(s.game, HONEST);
      expect(report.agentRejections[0]).toEqual([]);
    });
  }
});
