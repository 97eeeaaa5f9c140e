// The honest solver's answer to given game states (op-challenger's TestCalculateNextActions
// cases on a split game), each answer checked against the referee's rules by applying it.
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { ALPHABET_ABSOLUTE_PRESTATE, ALPHABET_PRESTATE_PREIMAGE, AlphabetStepVerifier, alphabetOutputRoot, alphabetSplitAccessor } from '../prover/game/alphabet.js';
import { InProcessGame, ManualClock, geometricBonds, movePosition } from '../prover/game/game.js';
import { Position } from '../prover/game/position.js';
import { GameSolver, resolutionActions } from '../prover/game/solver.js';
import { VMStatus, hashFromBigInt, withStatus, type Action, type Address, type GameParams, type Hex } from '../prover/game/types.js';

const H: Address = '0x00000000000000000000000000000000000000a1';
const D: Address = '0x00000000000000000000000000000000000000d1';
const PROGRAM = 5;

function junk(n: number, status: VMStatus = VMStatus.UNFINISHED): Hex {
  return withStatus(bytesToHex(keccak256(concatBytes(hexToBytes(hashFromBigInt(BigInt(n) + 77n))))), status);
}

function build(rootCorrect: boolean, maxGameDepth = 6, splitDepth = 2) {
  const params: GameParams = {
    maxGameDepth,
    splitDepth,
    maxClockDuration: 3600n,
    clockExtension: 300n,
    preimageChallengePeriod: 0n,
    absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    startingBlockNumber: 1000n,
    startingOutputRoot: alphabetOutputRoot(1000n),
    l2BlockNumber: 1004n,
    bonds: geometricBonds(maxGameDepth),
  };
  const clock = new ManualClock();
  const root = rootCorrect ? alphabetOutputRoot(1004n) : junk(0);
  const game = new InProcessGame({ params, rootClaim: root, creator: rootCorrect ? H : D, verifier: new AlphabetStepVerifier(PROGRAM), time: clock });
  const truth = alphabetSplitAccessor(params, PROGRAM);
  const solver = new GameSolver(truth);
  const correct = (parentIndex: number, isAttack: boolean): Promise<Hex> => {
    const view = game.view();
    const parent = view.claims[parentIndex]!;
    return truth.get(view, parent, movePosition(parent.position, isAttack)!);
  };
  const move = (sender: Address, parentIndex: number, isAttack: boolean, value: Hex): number => {
    const parent = game.claim(parentIndex);
    return game.move(sender, parent.value, parentIndex, value, isAttack, game.getRequiredBond(movePosition(parent.position, isAttack)!));
  };
  const expectMove = async (parentIndex: number, isAttack: boolean): Promise<Action> => {
    const parent = game.claim(parentIndex);
    return {
      type: isAttack ? 'attack' : 'defend',
      parentIndex,
      disputed: parent.value,
      value: await correct(parentIndex, isAttack),
      bond: game.getRequiredBond(movePosition(parent.position, isAttack)!),
    };
  };
  /** The solver's actions, each then sent to the referee, which must accept it. */
  const actions = async (): Promise<Action[]> => {
    const out = await solver.nextActions(game.view(), clock.now());
    for (const a of out) expect(() => game.apply(a, H)).not.toThrow();
    return out;
  };
  return { game, clock, params, truth, solver, correct, move, expectMove, actions };
}

describe('solver: next actions', () => {
  it('attacks a wrong root claim', async () => {
    const b = build(false);
    expect(await b.actions()).toEqual([await b.expectMove(0, true)]);
  });

  it('leaves a correct root claim alone', async () => {
    const b = build(true);
    expect(await b.solver.agreeWithRoot(b.game.view())).toBe(true);
    expect(await b.actions()).toEqual([]);
  });

  it('does not repeat a move already in the game', async () => {
    const b = build(false);
    b.move(D, 0, true, await b.correct(0, true));
    expect(await b.actions()).toEqual([]);
  });

  it('responds to every claim against an honest claim: defends correct values, attacks wrong ones', async () => {
    const b = build(false, 8, 4);
    const honest = b.move(H, 0, true, await b.correct(0, true));
    const attackCorrect = b.move(D, honest, true, await b.correct(honest, true));
    const defendCorrect = b.move(D, honest, false, await b.correct(honest, false));
    const attackWrong1 = b.move(D, honest, true, junk(1));
    const attackWrong2 = b.move(D, honest, true, junk(2));
    const defendWrong1 = b.move(D, honest, false, junk(3));
    const defendWrong2 = b.move(D, honest, false, junk(4));
    const got = await b.actions();
    const want = [
      await b.expectMove(attackCorrect, false),
      await b.expectMove(defendCorrect, false),
      await b.expectMove(attackWrong1, true),
      await b.expectMove(attackWrong2, true),
      await b.expectMove(defendWrong1, true),
      await b.expectMove(defendWrong2, true),
    ];
    expect(got).toEqual(want);
  });

  it('steps at the max depth: attack on a wrong leaf, defend on a correct one', async () => {
    const b = build(false);
    b.move(H, 0, true, await b.correct(0, true));
    b.move(D, 1, true, junk(2));
    b.move(H, 2, true, await b.correct(2, true));
    b.move(D, 3, true, junk(4));
    b.move(H, 4, true, await b.correct(4, true));
    const right = b.move(D, 5, true, await b.correct(5, true));
    const wrong = b.move(D, 5, true, junk(6));
    const got = await b.actions();
    expect(got.map((a) => (a.type === 'step' ? [a.claimIndex, a.isAttack] : a.type))).toEqual([
      [right, false],
      [wrong, true],
    ]);
    // The wrong leaf is the first of its execution subgame: the attack starts from the absolute prestate.
    const attack = got[1]!;
    expect(attack.type === 'step' && attack.preState).toEqual(ALPHABET_PRESTATE_PREIMAGE);
    // Stepped leaves are countered: nothing left to do.
    expect(await b.actions()).toEqual([]);
  });

  it('no longer steps once the stepper clock has run out (the contract refuses it), nor on a resolved leaf', async () => {
    const b = build(false);
    b.move(H, 0, true, await b.correct(0, true));
    b.move(D, 1, true, junk(2));
    b.move(H, 2, true, await b.correct(2, true));
    b.move(D, 3, true, junk(4));
    b.move(H, 4, true, await b.correct(4, true));
    const first = b.move(D, 5, true, junk(6));
    const second = b.move(D, 5, false, junk(7));
    b.clock.advance(3600n);
    b.game.resolveClaim(second);
    const got = await b.actions();
    expect(got.filter((a) => a.type === 'step')).toEqual([]);
    expect(b.game.claim(first).counteredBy).not.toBe(H);
  });

  it('ignores a poisoned path the dishonest side builds under its own claims', async () => {
    const b = build(false);
    const poison = withStatus(hashFromBigInt(0x01aan << 240n), VMStatus.UNFINISHED);
    const honest = b.move(H, 0, true, await b.correct(0, true));
    const dishonest = b.move(D, honest, true, poison);
    const own = b.move(D, dishonest, false, withStatus(poison, VMStatus.VALID)); // an execution root
    b.move(D, own, true, poison);
    // Only the winning move: attack the claim against the honest one. The defence of its own claim is
    // right of the honest counter, and everything under it is ignored.
    expect(await b.actions()).toEqual([await b.expectMove(dishonest, true)]);
  });

  it('counters claims left of its own counter and ignores those right of it', async () => {
    const b = build(false, 8, 4);
    const honest = b.move(H, 0, true, await b.correct(0, true));
    const c = b.move(D, honest, true, await b.correct(honest, true)); // correct value: the honest player defends it
    expect(await b.actions()).toEqual([await b.expectMove(c, false)]);
    const left = b.move(D, c, true, junk(10)); // attack of c: left of the honest defence
    const same = b.move(D, c, false, junk(11)); // at the honest defence's position
    expect(await b.actions()).toEqual([await b.expectMove(left, true), await b.expectMove(same, true)]);

    // If the honest player attacks c instead (it disagrees), a defence of c is to its right: ignored.
    const b2 = build(false, 8, 4);
    const h2 = b2.move(H, 0, true, await b2.correct(0, true));
    const c2 = b2.move(D, h2, true, junk(12));
    b2.move(H, c2, true, await b2.correct(c2, true));
    b2.move(D, c2, false, junk(13));
    expect(await b2.actions()).toEqual([]);
  });

  it('attacks an execution subgame root that disputes an honest output', async () => {
    // The honest trace under a correct output ends VALID; an attack on that output must post INVALID.
    const b = build(true);
    b.move(D, 0, true, junk(1));
    b.move(H, 1, true, await b.correct(1, true));
    const execRoot = b.move(D, 2, true, withStatus(junk(3), VMStatus.INVALID));
    expect(await b.actions()).toEqual([await b.expectMove(execRoot, true)]);
  });

  it('leaves out moves whose clock has run out, but resolves', async () => {
    const b = build(false);
    b.clock.advance(3600n);
    expect(await b.solver.nextActions(b.game.view(), b.clock.now())).toEqual([]);
    // Without a time the answer is the same as op-challenger's: attack.
    expect(await b.solver.nextActions(b.game.view())).toHaveLength(1);
    expect(resolutionActions(b.game.view(), b.clock.now())).toEqual([{ type: 'resolveClaim', claimIndex: 0, numToResolve: 0 }, { type: 'resolve' }]);
  });
});

describe('solver: resolution order', () => {
  it('resolves children before parents, only claims whose clocks ran out', async () => {
    const b = build(false);
    const a = b.move(H, 0, true, await b.correct(0, true));
    b.clock.advance(1000n);
    const c = b.move(D, a, true, junk(2));
    const d = b.move(D, a, false, junk(3));
    b.clock.advance(2700n);
    // a's counter clock (D's side) has run out (3700s), but c and d can still be countered by H (0 + 2700s):
    // a waits for its children, the root for a.
    expect(resolutionActions(b.game.view(), b.clock.now())).toEqual([]);
    b.clock.advance(900n);
    const later = resolutionActions(b.game.view(), b.clock.now());
    expect(later).toEqual([
      { type: 'resolveClaim', claimIndex: d, numToResolve: 0 },
      { type: 'resolveClaim', claimIndex: c, numToResolve: 0 },
      { type: 'resolveClaim', claimIndex: a, numToResolve: 0 },
      { type: 'resolveClaim', claimIndex: 0, numToResolve: 0 },
      { type: 'resolve' },
    ]);
    for (const action of later) b.game.apply(action, H);
    expect(b.game.status).toBe('DEFENDER_WINS');
  });
});

