// The in-process referee's rules, one revert at a time, on games built move by move.
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { ALPHABET_ABSOLUTE_PRESTATE, ALPHABET_PRESTATE_PREIMAGE, AlphabetStepVerifier, alphabetOutputRoot, alphabetSplitAccessor } from '../prover/game/alphabet.js';
import {
  CannotDefendRootClaim,
  ClaimAlreadyExists,
  ClaimAlreadyResolved,
  ClockNotExpired,
  ClockTimeExceeded,
  DuplicateStep,
  GameDepthExceeded,
  GameNotInProgress,
  GameNotResolved,
  GameRevert,
  InProcessGame,
  IncorrectBondAmount,
  InvalidBondSchedule,
  InvalidClaimIndex,
  InvalidClaimValue,
  InvalidClockExtension,
  InvalidDisputedClaimIndex,
  InvalidParent,
  InvalidPrestate,
  InvalidSplitDepth,
  ManualClock,
  NoCreditToClaim,
  OutOfOrderResolution,
  StepReverted,
  UnexpectedRootClaim,
  ValidStep,
  geometricBonds,
  movePosition,
} from '../prover/game/game.js';
import { Position } from '../prover/game/position.js';
import { VMStatus, ZERO_ADDRESS, hashFromBigInt, statusOf, withStatus, type Address, type GameParams, type Hex } from '../prover/game/types.js';

const H: Address = '0x00000000000000000000000000000000000000a1';
const D: Address = '0x00000000000000000000000000000000000000d1';
const X: Address = '0x00000000000000000000000000000000000000e1';
const T0 = 1_700_000_000n;
const PROGRAM = 5;

function makeParams(over: Partial<GameParams> = {}): GameParams {
  return {
    maxGameDepth: 6,
    splitDepth: 2,
    maxClockDuration: 3600n,
    clockExtension: 300n,
    preimageChallengePeriod: 0n,
    absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    startingBlockNumber: 1000n,
    startingOutputRoot: alphabetOutputRoot(1000n),
    l2BlockNumber: 1004n,
    bonds: geometricBonds(over.maxGameDepth ?? 6),
    ...over,
  };
}

function junk(n: number, status: VMStatus = VMStatus.UNFINISHED): Hex {
  return withStatus(bytesToHex(keccak256(concatBytes(hexToBytes(hashFromBigInt(BigInt(n)))))), status);
}

function newGame(over: Partial<GameParams> = {}, root: Hex = junk(0), creator: Address = D) {
  const params = makeParams(over);
  const clock = new ManualClock(T0);
  const game = new InProcessGame({ params, rootClaim: root, creator, verifier: new AlphabetStepVerifier(PROGRAM), time: clock });
  const truth = alphabetSplitAccessor(params, PROGRAM);
  /** The correct value for a move against claims[parentIndex]. */
  const correct = (parentIndex: number, isAttack: boolean): Promise<Hex> => {
    const view = game.view();
    const parent = view.claims[parentIndex]!;
    return truth.get(view, parent, movePosition(parent.position, isAttack)!);
  };
  const move = (sender: Address, parentIndex: number, isAttack: boolean, value: Hex): number => {
    const parent = game.claim(parentIndex);
    const bond = game.getRequiredBond(movePosition(parent.position, isAttack) ?? Position.root());
    return game.move(sender, parent.value, parentIndex, value, isAttack, bond);
  };
  return { game, clock, params, truth, correct, move };
}

/**
 * root(D, wrong) <-1 H attack (pos 2) <-2 D attack (pos 4, wrong output) <-3 H attack (pos 8, exec root)
 * <-4 D attack (16, wrong) <-5 H attack (32) <-6 D attack (64, leaf, wrong) and <-7 D attack (64, leaf, correct).
 */
async function toLeaves() {
  const g = newGame();
  g.move(H, 0, true, await g.correct(0, true));
  g.move(D, 1, true, junk(2));
  g.move(H, 2, true, await g.correct(2, true));
  g.move(D, 3, true, junk(4));
  g.move(H, 4, true, await g.correct(4, true));
  g.move(D, 5, true, junk(6));
  g.move(D, 5, true, await g.correct(5, true));
  return g;
}

describe('game parameters', () => {
  it('rejects what the contract constructor rejects', () => {
    expect(() => newGame({ splitDepth: 1 })).toThrow(InvalidSplitDepth);
    expect(() => newGame({ splitDepth: 5 })).toThrow(InvalidSplitDepth);
    expect(() => newGame({ clockExtension: 1801n })).toThrow(InvalidClockExtension);
    expect(() => newGame({ bonds: [1n, 2n] })).toThrow(InvalidBondSchedule);
    expect(() => newGame({ l2BlockNumber: 1000n })).toThrow(UnexpectedRootClaim);
  });

  it('bonds grow with depth', () => {
    const bonds = geometricBonds(73);
    expect(bonds).toHaveLength(74);
    for (let d = 1; d < bonds.length; d++) expect(bonds[d]!).toBeGreaterThan(bonds[d - 1]!);
    expect(bonds[0]).toBe(80_000_000_000_000_000n);
    expect(bonds[73]).toBe(60_000_000_000_000_000_000n);
  });
});

describe('moves', () => {
  it('checks the disputed claim, the index, defences of roots, depth and bond', async () => {
    const g = newGame();
    const bond1 = g.params.bonds[1]!;
    expect(() => g.game.attack(H, junk(9), 0, junk(1), bond1)).toThrow(InvalidDisputedClaimIndex);
    expect(() => g.game.attack(H, junk(0), 5, junk(1), bond1)).toThrow(InvalidClaimIndex);
    expect(() => g.game.defend(H, junk(0), 0, junk(1), bond1)).toThrow(CannotDefendRootClaim);
    expect(() => g.game.attack(H, junk(0), 0, junk(1), bond1 - 1n)).toThrow(IncorrectBondAmount);
    expect(() => g.game.attack(H, junk(0), 0, '0x1234', bond1)).toThrow(InvalidClaimValue);
    expect(g.game.claimCount).toBe(1);
    const l = await toLeaves();
    // The execution subgame's root commits to the whole trace too.
    expect(() => l.move(D, 3, false, junk(11))).toThrow(CannotDefendRootClaim);
    expect(() => l.move(H, 6, true, junk(12))).toThrow(GameDepthExceeded);
    expect(l.game.claimCount).toBe(8);
  });

  it('allows one claim per (value, position, parent)', () => {
    const g = newGame();
    g.move(H, 0, true, junk(1));
    expect(() => g.move(X, 0, true, junk(1))).toThrow(ClaimAlreadyExists);
    // Another value at the same position, or the same value against another parent, is a new claim.
    g.move(X, 0, true, junk(2));
    g.move(D, 1, true, junk(1));
    expect(g.game.claimCount).toBe(4);
  });

  it('requires the execution root status that fits who disputes which output', async () => {
    const g = newGame();
    g.move(H, 0, true, await g.correct(0, true)); // 1: pos 2, block 1002
    g.move(D, 1, true, junk(2)); // 2: pos 4, block 1001 (wrong)
    const valid = withStatus(junk(3), VMStatus.VALID);
    // Attacking an output: the VM must end INVALID or PANIC.
    expect(() => g.move(H, 2, true, valid)).toThrow(UnexpectedRootClaim);
    g.move(H, 2, true, withStatus(junk(3), VMStatus.PANIC));
    g.move(X, 2, true, withStatus(junk(3), VMStatus.INVALID));
    // Defending claim 2 (block 1001) disputes the next output, claim 1 (block 1002) at depth 1: the same
    // side (odd depths) as the new execution root at depth 3, so the VM must end VALID.
    expect(() => g.move(D, 2, false, withStatus(junk(4), VMStatus.INVALID))).toThrow(UnexpectedRootClaim);
    const i = g.move(D, 2, false, withStatus(junk(4), VMStatus.VALID));
    expect(statusOf(g.game.claim(i).value)).toBe(VMStatus.VALID);
  });
});

describe('clocks', () => {
  it('charges each side the time it took, grandparent duration plus time since the parent', () => {
    const g = newGame();
    g.clock.advance(100n);
    const a = g.move(H, 0, true, junk(1));
    expect(g.game.claim(a).clock).toEqual({ duration: 100n, timestamp: T0 + 100n });
    g.clock.advance(200n);
    const b = g.move(D, a, true, junk(2));
    expect(g.game.claim(b).clock).toEqual({ duration: 200n, timestamp: T0 + 300n });
    g.clock.advance(50n);
    const c = g.move(H, b, true, junk(3, VMStatus.INVALID));
    expect(g.game.claim(c).clock.duration).toBe(150n);
    expect(g.game.getChallengerDuration(c)).toBe(200n);
  });

  it('extends a nearly spent clock, twice before the split and by the oracle period before a step', () => {
    const g = newGame({ preimageChallengePeriod: 120n });
    // Attack on the root lands at depth 1 = split - 1: double extension.
    g.clock.advance(3500n);
    const a = g.move(H, 0, true, junk(1));
    expect(g.game.claim(a).clock.duration).toBe(3600n - 600n);
    g.clock.advance(3500n);
    const b = g.move(D, a, true, junk(2)); // depth 2: normal extension
    expect(g.game.claim(b).clock.duration).toBe(3600n - 300n);
    const c = g.move(H, b, true, withStatus(junk(3), VMStatus.INVALID));
    const d = g.move(D, c, true, junk(4));
    // H's side has used 3000 (claim c inherited a's); 500 more would leave less than 420.
    expect(g.game.claim(c).clock.duration).toBe(3000n);
    g.clock.advance(500n);
    const e = g.move(H, d, true, junk(5)); // depth 5 = max - 1: extension + oracle period
    expect(g.game.claim(e).clock.duration).toBe(3600n - 420n);
  });

  it('rejects moves once the side to move has used its whole clock', () => {
    const g = newGame();
    g.clock.advance(3599n);
    g.move(H, 0, true, junk(1));
    g.clock.advance(3600n);
    expect(() => g.move(X, 0, true, junk(2))).toThrow(ClockTimeExceeded);
  });
});

describe('steps', () => {
  it('attack-steps a wrong leaf from the absolute prestate and defend-steps a right one', async () => {
    const g = await toLeaves();
    const view = g.game.view();
    const wrongLeaf = view.claims[6]!;
    const rightLeaf = view.claims[7]!;
    expect(rightLeaf.position.gindex).toBe(64n);
    // Leaf 64 is the first of its execution subgame: its attack step starts from the absolute prestate.
    const pre = await g.truth.getStepData(view, wrongLeaf, wrongLeaf.position);
    expect(pre.preState).toEqual(ALPHABET_PRESTATE_PREIMAGE);
    // A step that agrees with the claim it would counter is rejected.
    expect(() => g.game.step(H, 7, true, pre.preState, pre.proof)).toThrow(ValidStep);
    expect(() => g.game.step(H, 6, true, hexToBytes(hashFromBigInt(0x61n)), pre.proof)).toThrow(InvalidPrestate);
    g.game.step(H, 6, true, pre.preState, pre.proof);
    expect(g.game.claim(6).counteredBy).toBe(H);
    expect(() => g.game.step(X, 6, true, pre.preState, pre.proof)).toThrow(DuplicateStep);
    // The right leaf agrees with the trace, but from it the next step does not reach claim 5: defend.
    const next = await g.truth.getStepData(view, rightLeaf, new Position(rightLeaf.position.gindex + 1n));
    expect(() => g.game.step(H, 7, false, pre.preState, pre.proof)).toThrow(InvalidPrestate);
    g.game.step(H, 7, false, next.preState, next.proof);
    expect(g.game.claim(7).counteredBy).toBe(H);
    // Steps only at the leaves.
    expect(() => g.game.step(H, 5, true, pre.preState, pre.proof)).toThrow(InvalidParent);
    expect(g.game.resolvedAt).toBeUndefined();
  });

  it('a VM that reverts on the pre-state reverts the step', async () => {
    // D posts a leaf whose value is the hash of 5 bytes, so the "preimage" passes the pre-state check.
    const g = newGame();
    g.move(H, 0, true, await g.correct(0, true));
    g.move(D, 1, true, junk(2));
    g.move(H, 2, true, await g.correct(2, true));
    g.move(D, 3, true, junk(4));
    g.move(H, 4, true, await g.correct(4, true));
    const odd = new Uint8Array([1, 2, 3, 4, 5]);
    const leaf = g.move(D, 5, false, withStatus(bytesToHex(keccak256(odd)), VMStatus.UNFINISHED));
    expect(() => g.game.step(H, leaf, false, odd, new Uint8Array())).toThrow(StepReverted);
    expect(g.game.claim(leaf).counteredBy).toBe(ZERO_ADDRESS);
  });

  it('a dishonest step against an honest leaf is a ValidStep revert', async () => {
    // H defends a correct root; H plays the even depths, so the leaf (depth 6) is H's.
    const g = newGame({}, alphabetOutputRoot(1004n), H);
    g.move(D, 0, true, junk(1)); // pos 2
    g.move(H, 1, true, await g.correct(1, true)); // pos 4, block 1001
    g.move(D, 2, true, withStatus(junk(3), VMStatus.INVALID)); // pos 8, exec root
    g.move(H, 3, true, await g.correct(3, true)); // pos 16
    g.move(D, 4, true, junk(5)); // pos 32
    const leaf = g.move(H, 5, true, await g.correct(5, true)); // pos 64
    const view = g.game.view();
    for (const isAttack of [true, false]) {
      const claim = view.claims[leaf]!;
      const pos = isAttack ? claim.position : new Position(claim.position.gindex + 1n);
      const { preState, proof } = await g.truth.getStepData(view, claim, pos);
      expect(() => g.game.step(D, leaf, isAttack, preState, proof)).toThrow(ValidStep);
    }
    expect(g.game.claim(leaf).counteredBy).toBe(ZERO_ADDRESS);
  });
});

describe('resolution and bonds', () => {
  it('resolves bottom-up only after clocks run out, then pays the leftmost uncountered child', () => {
    const g = newGame();
    const a = g.move(H, 0, true, junk(1)); // pos 2
    const def = g.move(X, a, false, junk(2)); // pos 6, made first
    const att = g.move(D, a, true, junk(3)); // pos 4
    expect(() => g.game.resolveClaim(att)).toThrow(ClockNotExpired);
    g.clock.advance(3600n);
    expect(() => g.game.resolveClaim(a)).toThrow(OutOfOrderResolution);
    expect(() => g.game.resolve()).toThrow(OutOfOrderResolution);
    g.game.resolveClaim(def);
    g.game.resolveClaim(att);
    expect(() => g.game.resolveClaim(att)).toThrow(ClaimAlreadyResolved);
    // Children one at a time (the contract's checkpointed resolution).
    g.game.resolveClaim(a, 1);
    expect(g.game.view().resolved[a]).toBe(false);
    g.game.resolveClaim(a, 1);
    expect(g.game.view().resolved[a]).toBe(true);
    expect(g.game.claim(a).counteredBy).toBe(D);
    g.game.resolveClaim(0);
    expect(() => g.game.claimCredit(D)).toThrow(GameNotResolved);
    expect(g.game.resolve()).toBe('DEFENDER_WINS');
    expect(g.game.resolvedAt).toBe(g.clock.now());
    expect(() => g.game.resolve()).toThrow(GameNotInProgress);
    expect(() => g.move(H, 0, true, junk(9))).toThrow(GameNotInProgress);
    const bonds = g.params.bonds;
    // D: its own bond (uncountered) and H's (D is the leftmost counter of a) and its root bond back.
    expect(g.game.claimCredit(D)).toBe(bonds[0]! + bonds[1]! + bonds[2]!);
    expect(g.game.claimCredit(X)).toBe(bonds[2]!);
    expect(() => g.game.claimCredit(H)).toThrow(NoCreditToClaim);
    expect(() => g.game.claimCredit(D)).toThrow(NoCreditToClaim);
  });

  it('a stepped leaf pays the stepper, and the countered chain flips the root', async () => {
    const g = await toLeaves();
    const view = g.game.view();
    for (const i of [6, 7]) {
      const claim = view.claims[i]!;
      const isAttack = i === 6;
      const pos = isAttack ? claim.position : new Position(claim.position.gindex + 1n);
      const { preState, proof } = await g.truth.getStepData(view, claim, pos);
      g.game.step(H, i, isAttack, preState, proof);
    }
    g.clock.advance(3600n);
    for (let i = g.game.claimCount - 1; i >= 0; i--) g.game.resolveClaim(i);
    expect(g.game.resolve()).toBe('CHALLENGER_WINS');
    const total = [...g.game.allCredits().values()].reduce((s, v) => s + v, 0n);
    expect(total).toBe(g.game.bondsPosted);
    expect(g.game.credit(D)).toBe(0n);
    expect(g.game.credit(H)).toBe(g.game.bondsPosted);
  });
});
