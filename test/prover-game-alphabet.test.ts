// The alphabet trace provider against its step verifier, and the split accessor's routing.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  ALPHABET_PRESTATE_PREIMAGE,
  AlphabetError,
  AlphabetStepVerifier,
  AlphabetTraceProvider,
  alphabetOutputRoot,
  alphabetSplitAccessor,
} from '../prover/game/alphabet.js';
import { geometricBonds, type LocalContext } from '../prover/game/game.js';
import { Position } from '../prover/game/position.js';
import { OutputRootTraceProvider } from '../prover/game/trace-provider.js';
import {
  NO_PARENT,
  VMStatus,
  ZERO_ADDRESS,
  equalIgnoringStatus,
  hashFromBigInt,
  statusOf,
  withStatus,
  type Claim,
  type GameParams,
  type GameView,
} from '../prover/game/types.js';

function context(block: bigint, disputed = alphabetOutputRoot(block)): LocalContext {
  return { uuid: hashFromBigInt(1n), startingOutputRoot: alphabetOutputRoot(block - 1n), disputedOutputRoot: disputed, disputedL2BlockNumber: block };
}

describe('status byte', () => {
  it('replaces and reads the top byte only', () => {
    const h = hashFromBigInt((1n << 255n) + 0x1234n);
    const v = withStatus(h, VMStatus.PANIC);
    expect(statusOf(v)).toBe(2);
    expect(v.slice(4)).toBe(h.slice(4));
    expect(equalIgnoringStatus(v, h)).toBe(true);
    expect(equalIgnoringStatus(v, hashFromBigInt(0x1234n + 1n))).toBe(false);
    expect(() => withStatus('0x1234', VMStatus.VALID)).toThrow();
  });
});

describe('alphabet trace', () => {
  const depth = 4;
  for (const programLength of [1, 5, 16]) {
    it(`every step from the provider's pre-state reproduces its claim (program length ${programLength})`, async () => {
      const block = 107n;
      const provider = new AlphabetTraceProvider({ depth, disputedBlock: block, disputedOutputRoot: alphabetOutputRoot(block), programLength });
      const vm = new AlphabetStepVerifier(programLength);
      const seen = new Set<string>();
      for (let i = 0n; i < 1n << BigInt(depth); i++) {
        const pos = Position.at(depth, i);
        const claim = await provider.get(pos);
        const { preState, proof } = await provider.getStepData(pos);
        expect(vm.step(preState, proof, context(block))).toBe(claim);
        // Running states are UNFINISHED; from the halt on the claim is the padded final state, VALID here.
        expect(statusOf(claim)).toBe(i + 1n >= BigInt(programLength) ? VMStatus.VALID : VMStatus.UNFINISHED);
        seen.add(claim);
      }
      expect(seen.size).toBe(programLength);
      // Inner positions commit to their rightmost leaf.
      expect(await provider.get(Position.root())).toBe(await provider.get(Position.at(depth, 15n)));
    });
  }

  it('starts from the absolute prestate, whose preimage is the word 0x60', async () => {
    expect(bytesToHex(ALPHABET_PRESTATE_PREIMAGE)).toBe(hashFromBigInt(0x60n));
    expect(equalIgnoringStatus(bytesToHex(keccak256(ALPHABET_PRESTATE_PREIMAGE)), ALPHABET_ABSOLUTE_PRESTATE)).toBe(true);
    expect(statusOf(ALPHABET_ABSOLUTE_PRESTATE)).toBe(VMStatus.UNFINISHED);
    const provider = new AlphabetTraceProvider({ depth: 3, disputedBlock: 5n, disputedOutputRoot: alphabetOutputRoot(5n), programLength: 8 });
    expect((await provider.getStepData(Position.at(3, 0n))).preState).toEqual(ALPHABET_PRESTATE_PREIMAGE);
    expect(await provider.absolutePrestateHash()).toBe(ALPHABET_ABSOLUTE_PRESTATE);
  });

  it('ends INVALID when the disputed output is not what the machine computes, and the verifier agrees', async () => {
    const wrong = hashFromBigInt(0xbadn);
    const provider = new AlphabetTraceProvider({ depth: 3, disputedBlock: 9n, disputedOutputRoot: wrong, programLength: 6 });
    const last = await provider.get(Position.root());
    expect(statusOf(last)).toBe(VMStatus.INVALID);
    const { preState } = await provider.getStepData(Position.at(3, 5n));
    expect(new AlphabetStepVerifier(6).step(preState, new Uint8Array(), context(9n, wrong))).toBe(await provider.get(Position.at(3, 5n)));
    // A player whose chain says `wrong` is the output ends VALID; the verifier (the truth) disagrees at that step.
    const believer = new AlphabetTraceProvider({ depth: 3, disputedBlock: 9n, disputedOutputRoot: wrong, programLength: 6, outputRootAt: () => wrong });
    expect(statusOf(await believer.get(Position.root()))).toBe(VMStatus.VALID);
    expect(await believer.get(Position.at(3, 4n))).toBe(await provider.get(Position.at(3, 4n)));
    expect(await believer.get(Position.at(3, 5n))).not.toBe(await provider.get(Position.at(3, 5n)));
  });

  it('traces of different blocks differ', async () => {
    const a = new AlphabetTraceProvider({ depth: 3, disputedBlock: 2n, disputedOutputRoot: alphabetOutputRoot(2n), programLength: 8 });
    const b = new AlphabetTraceProvider({ depth: 3, disputedBlock: 3n, disputedOutputRoot: alphabetOutputRoot(3n), programLength: 8 });
    expect(await a.get(Position.at(3, 0n))).not.toBe(await b.get(Position.at(3, 0n)));
  });

  it('rejects a program that cannot halt within the trace, and malformed states', () => {
    expect(() => new AlphabetTraceProvider({ depth: 2, disputedBlock: 1n, disputedOutputRoot: alphabetOutputRoot(1n), programLength: 5 })).toThrow(AlphabetError);
    expect(() => new AlphabetStepVerifier(4).step(new Uint8Array(63), new Uint8Array(), context(3n))).toThrow(AlphabetError);
  });
});

describe('split trace accessor', () => {
  const params: GameParams = {
    maxGameDepth: 6,
    splitDepth: 2,
    maxClockDuration: 1000n,
    clockExtension: 100n,
    preimageChallengePeriod: 0n,
    absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    startingBlockNumber: 10n,
    startingOutputRoot: alphabetOutputRoot(10n),
    l2BlockNumber: 13n,
    bonds: geometricBonds(6),
  };

  it('maps output positions to blocks, capped at the game block', () => {
    const top = new OutputRootTraceProvider(params, (b) => Promise.resolve(alphabetOutputRoot(b)));
    expect([0n, 1n, 2n, 3n].map((i) => top.blockAt(Position.at(2, i)))).toEqual([11n, 12n, 13n, 13n]);
    expect(top.blockAt(Position.root())).toBe(13n);
    expect(top.blockAt(Position.at(1, 0n))).toBe(12n);
  });

  it('routes below the split to the subgame between the right outputs', async () => {
    const claim = (index: number, parentIndex: number, gindex: bigint, value = alphabetOutputRoot(0n)): Claim => ({
      index,
      parentIndex,
      position: new Position(gindex),
      value,
      claimant: ZERO_ADDRESS,
      counteredBy: ZERO_ADDRESS,
      bond: 1n,
      clock: { duration: 0n, timestamp: 0n },
    });
    // root(1) <- attack(2, block 12) <- defend(6, block 13 capped); 2 <- attack(4, block 11)
    const claims = [
      claim(0, NO_PARENT, 1n, alphabetOutputRoot(13n)),
      claim(1, 0, 2n, alphabetOutputRoot(12n)),
      claim(2, 1, 6n, alphabetOutputRoot(13n)),
      claim(3, 1, 4n, alphabetOutputRoot(11n)),
    ];
    const game: GameView = { params, claims, status: 'IN_PROGRESS', resolved: claims.map(() => false) };
    const accessor = alphabetSplitAccessor(params, 8);
    // Attacking claim 3 (index 0 at the split): from the anchor to block 11.
    let sub = accessor.execSubgame(game, claims[3]!, claims[3]!.position.attack());
    expect([sub.pre, sub.post.index, sub.preBlock, sub.postBlock, sub.depth]).toEqual([undefined, 3, 10n, 11n, 3]);
    // Defending claim 3: from block 11 (claim 3) to block 12 (claim 1, the trace ancestor).
    sub = accessor.execSubgame(game, claims[3]!, claims[3]!.position.defend());
    expect([sub.pre?.index, sub.post.index, sub.preBlock, sub.postBlock]).toEqual([3, 1, 11n, 12n]);
    // Attacking claim 2 (index 2): from claim 1 to claim 2.
    sub = accessor.execSubgame(game, claims[2]!, claims[2]!.position.attack());
    expect([sub.pre?.index, sub.post.index, sub.preBlock, sub.postBlock]).toEqual([1, 2, 12n, 13n]);
    // Values below the split come from the alphabet trace of the disputed block.
    const expected = await new AlphabetTraceProvider({ depth: 3, disputedBlock: 13n, disputedOutputRoot: alphabetOutputRoot(13n), programLength: 8 }).get(Position.root());
    expect(await accessor.get(game, claims[2]!, claims[2]!.position.attack())).toBe(expected);
    expect(await accessor.get(game, claims[0]!, Position.at(2, 1n))).toBe(alphabetOutputRoot(12n));
  });
});
