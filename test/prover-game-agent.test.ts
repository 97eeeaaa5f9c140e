// The agent's tick against the referee behind the GameContract interface: races, outages,
// and resolution on or off.
import { describe, expect, it } from 'vitest';
import { GameAgent, inProcessContract, type GameContract } from '../prover/game/agent.js';
import { ALPHABET_ABSOLUTE_PRESTATE, AlphabetStepVerifier, alphabetOutputRoot, alphabetSplitAccessor } from '../prover/game/alphabet.js';
import { ClaimAlreadyExists, InProcessGame, ManualClock, geometricBonds } from '../prover/game/game.js';
import { GameSolver } from '../prover/game/solver.js';
import { hashFromBigInt, type Address, type GameParams } from '../prover/game/types.js';

const H: Address = '0x00000000000000000000000000000000000000a1';
const D: Address = '0x00000000000000000000000000000000000000d1';
const X: Address = '0x00000000000000000000000000000000000000e1';

function setup() {
  const params: GameParams = {
    maxGameDepth: 6,
    splitDepth: 2,
    maxClockDuration: 3600n,
    clockExtension: 300n,
    preimageChallengePeriod: 0n,
    absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    startingBlockNumber: 50n,
    startingOutputRoot: alphabetOutputRoot(50n),
    l2BlockNumber: 53n,
    bonds: geometricBonds(6),
  };
  const clock = new ManualClock();
  const game = new InProcessGame({ params, rootClaim: hashFromBigInt(0xdeadn), creator: D, verifier: new AlphabetStepVerifier(4), time: clock });
  const solver = new GameSolver(alphabetSplitAccessor(params, 4));
  return { params, clock, game, solver };
}

describe('GameAgent', () => {
  it('reports a move someone else made first as rejected, and does not retry it', async () => {
    const { clock, game, solver } = setup();
    const inner = inProcessContract(game, H, clock);
    let raced = false;
    const racing: GameContract = {
      ...inner,
      send: async (action) => {
        // Another honest player lands the same move between our read and our send.
        if (!raced && action.type === 'attack') {
          raced = true;
          game.apply(action, X);
        }
        await inner.send(action);
      },
    };
    const agent = new GameAgent(racing, solver);
    const first = await agent.tick();
    expect(first.sent).toEqual([]);
    expect(first.rejected).toHaveLength(1);
    expect(first.rejected[0]!.error).toBeInstanceOf(ClaimAlreadyExists);
    expect(game.claimCount).toBe(2);
    const second = await agent.tick();
    expect(second.sent).toEqual([]);
    expect(second.rejected).toEqual([]);
    // X's claim is the honest one; the agent resolves in X's favour when the clock runs out.
    clock.advance(3600n);
    const last = await agent.tick();
    expect(last.status).toBe('CHALLENGER_WINS');
    expect(game.credit(X)).toBe(game.bondsPosted);
  });

  it('lets errors other than the game rejecting an action through', async () => {
    const { clock, game, solver } = setup();
    const down: GameContract = { ...inProcessContract(game, H, clock), send: () => Promise.reject(new Error('connection refused')) };
    await expect(new GameAgent(down, solver).tick()).rejects.toThrow('connection refused');
  });

  it('only plays when resolution is turned off', async () => {
    const { clock, game, solver } = setup();
    const agent = new GameAgent(inProcessContract(game, H, clock), solver, { resolve: false });
    expect((await agent.tick()).sent.map((a) => a.type)).toEqual(['attack']);
    clock.advance(3600n);
    const tick = await agent.tick();
    expect(tick.sent).toEqual([]);
    expect(tick.status).toBe('IN_PROGRESS');
    const resolver = new GameAgent(inProcessContract(game, H, clock), solver);
    expect((await resolver.tick()).status).toBe('CHALLENGER_WINS');
  });
});
