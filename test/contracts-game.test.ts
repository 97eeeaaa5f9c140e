// The BisectionGame on a real anvil: move/step rules and their reverts on a small game
// (MAX_GAME_DEPTH 6, SPLIT_DEPTH 2), then full alphabet games at OP's depths (73/30) played by
// scripted honest and dishonest actors down to a step, resolved bottom-up, credits paid out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, http, parseEventLogs, type Address, type Hex } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { bisectionGameArtifact, disputeGameFactoryArtifact } from '../contracts/artifacts.js';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  DEFAULT_GAME_PARAMS,
  GAME_STATUSES,
  VM_STATUS,
  alphabetGenesisOutput,
  alphabetOutputAfter,
  alphabetStateData,
  alphabetStateHash,
  alphabetVerdict,
  createGame,
  deployAlphabetVerifier,
  deployBlockInputsInbox,
  deployDisputeSystem,
  l1Clients,
  sendCall,
  withStatus,
  type GameParams,
  type L1Clients,
} from '../contracts/deploy.js';
import { Position } from '../prover/game/position.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { BLOCK_INPUTS_INBOX_ABI, committedInputsHash, nextUncommittedBlock } from '../prover/l1/inputs-inbox.js';
import { bytesToHex } from '../vm/util/bytes.js';

const gameAbi = bisectionGameArtifact().abi;
const factoryAbi = disputeGameFactoryArtifact().abi;
const ANCHOR_BLOCK = 100n;
const ANCHOR_ROOT = alphabetGenesisOutput(ANCHOR_BLOCK, 'anchor');

/** The honest alphabet chain: out(n) from the anchor. */
function honestOutput(n: bigint): Hex {
  let root = ANCHOR_ROOT;
  for (let b = ANCHOR_BLOCK + 1n; b <= n; b++) root = alphabetOutputAfter(root, b);
  return root;
}

interface Claim {
  readonly index: number;
  readonly parentIndex: number;
  readonly counteredBy: Address;
  readonly claimant: Address;
  readonly bond: bigint;
  readonly value: Hex;
  readonly position: Position;
  readonly clock: bigint;
}

type RawClaim = readonly [number, Address, Address, bigint, Hex, bigint, bigint];

class GameHandle {
  constructor(
    readonly address: Address,
    private readonly pub: L1Clients['public'],
  ) {}

  read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.pub.readContract({ address: this.address, abi: gameAbi, functionName, args }) as Promise<T>;
  }

  async claim(index: number): Promise<Claim> {
    const c = await this.read<RawClaim>('claimData', [BigInt(index)]);
    return {
      index,
      parentIndex: c[0],
      counteredBy: c[1],
      claimant: c[2],
      bond: c[3],
      value: c[4],
      position: new Position(c[5]),
      clock: c[6],
    };
  }

  async claims(): Promise<Claim[]> {
    const n = Number(await this.read<bigint>('claimDataLen'));
    return Promise.all(Array.from({ length: n }, (_, i) => this.claim(i)));
  }

  send(clients: L1Clients, functionName: string, args: readonly unknown[], value?: bigint) {
    return sendCall(clients, { address: this.address, abi: gameAbi, functionName, args, value });
  }

  async move(clients: L1Clients, parent: Claim, value: Hex, isAttack: boolean, bondDelta = 0n) {
    const next = isAttack ? parent.position.attack() : parent.position.defend();
    const bond = await this.read<bigint>('getRequiredBond', [next.gindex]);
    return this.send(clients, 'move', [parent.value, BigInt(parent.index), value, isAttack], bond + bondDelta);
  }
}

function trailingOnes(x: bigint): bigint {
  let n = 0n;
  while ((x >> n) & 1n) n++;
  return n;
}

/** The claim on `path` (root first) at the trace ancestor of gindex `g` (OP's traceAncestor). */
function traceAncestorOnPath(path: readonly Claim[], g: bigint): Claim {
  const target = g >> trailingOnes(g) || 1n;
  const found = path.find((c) => c.position.gindex === target);
  if (!found) throw new Error(`no claim at ${target} on the path`);
  return found;
}

/** BisectionGame.localContext as viem decodes the struct. */
interface LocalContextView {
  readonly startingOutputRoot: Hex;
  readonly disputedOutputRoot: Hex;
  readonly l2BlockNumber: bigint;
  readonly startingBlockNumber: bigint;
  readonly inputsHash: Hex;
}
const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

interface ExecContext {
  readonly starting: Hex;
  readonly disputed: Hex;
  readonly l2BlockNumber: bigint;
  readonly startingBlockNumber: bigint;
}

interface Rules {
  readonly maxDepth: number;
  readonly splitDepth: number;
  readonly programSteps: bigint;
  readonly l2BlockNumber: bigint;
}

/** Starting/disputed outputs for a claim at `pos` below the split whose ancestors are `path`. */
function execContext(rules: Rules, path: readonly Claim[], pos: Position): ExecContext {
  const output = path.find((c) => c.position.depth === rules.splitDepth);
  if (!output) throw new Error('no output claim at the split depth on the path');
  const execRoot = new Position(pos.gindex >> BigInt(pos.depth - rules.splitDepth - 1));
  const outputPos = output.position;
  let starting: Hex;
  let disputed: Claim;
  if (execRoot.parent().equals(outputPos)) {
    starting = outputPos.indexAtDepth > 0n ? traceAncestorOnPath(path, outputPos.gindex - 1n).value : ANCHOR_ROOT;
    disputed = output;
  } else {
    starting = output.value;
    disputed = traceAncestorOnPath(path, outputPos.gindex + 1n);
  }
  const startingBlock = ANCHOR_BLOCK + disputed.position.traceIndex(rules.splitDepth);
  const min = (a: bigint): bigint => (a < rules.l2BlockNumber ? a : rules.l2BlockNumber);
  return { starting, disputed: disputed.value, l2BlockNumber: min(startingBlock + 1n), startingBlockNumber: min(startingBlock) };
}

/** An actor's view of the truth: its output chain and its run of the alphabet program. */
interface Actor {
  readonly name: string;
  readonly clients: L1Clients;
  output(block: bigint): Hex;
  verdict(ctx: ExecContext): number;
}

function valueAt(rules: Rules, actor: Actor, path: readonly Claim[], pos: Position): Hex {
  if (pos.depth <= rules.splitDepth) {
    const block = ANCHOR_BLOCK + pos.traceIndex(rules.splitDepth) + 1n;
    return actor.output(block < rules.l2BlockNumber ? block : rules.l2BlockNumber);
  }
  const ctx = execContext(rules, path, pos);
  const leaves = 1n << BigInt(rules.maxDepth - rules.splitDepth - 1);
  const k = pos.traceIndex(rules.maxDepth) % leaves;
  const steps = k + 1n < rules.programSteps ? k + 1n : rules.programSteps;
  const status = steps < rules.programSteps ? VM_STATUS.UNFINISHED : actor.verdict(ctx);
  return alphabetStateHash(steps, ctx.l2BlockNumber, status);
}

const honestActor = (clients: L1Clients): Actor => ({
  name: 'honest',
  clients,
  output: honestOutput,
  verdict: (ctx) => alphabetVerdict(ctx.starting, ctx.disputed, ctx.l2BlockNumber),
});

/** Agrees with the honest chain below `divergeAt`, makes up outputs from there on. */
const dishonestActor = (clients: L1Clients, divergeAt: bigint): Actor => {
  const output = (n: bigint): Hex => (n < divergeAt ? honestOutput(n) : alphabetGenesisOutput(n, `lie ${n}`));
  return {
    name: 'dishonest',
    clients,
    output,
    verdict: (ctx) => (BigInt(ctx.disputed) === BigInt(output(ctx.l2BlockNumber)) ? VM_STATUS.VALID : VM_STATUS.INVALID),
  };
};

/** Who answers a claim at `depth`: even depths are the proposer's, odd the challenger's. */
const responderFor = (depth: number, proposer: Actor, challenger: Actor): Actor => (depth % 2 === 0 ? challenger : proposer);

interface PlayedGame {
  readonly path: Claim[];
  /** The actor that countered the leaf with a step, if any. */
  readonly stepper?: Actor;
  /** The actor whose step at the leaf the game refused (the leaf was right). */
  readonly refusedStep?: Actor;
  readonly moves: number;
}

/**
 * Plays one line of the game: each actor in turn counters the latest claim the way
 * op-challenger does (attack a claim whose value it disagrees with, defend one it agrees
 * with, step at MAX_GAME_DEPTH), until someone has no move left.
 */
async function playLine(
  g: GameHandle,
  rules: Rules,
  proposer: Actor,
  challenger: Actor,
  onGas: (kind: 'move' | 'step', gasUsed: bigint) => void,
): Promise<PlayedGame> {
  const path: Claim[] = [await g.claim(0)];
  let moves = 0;
  for (;;) {
    const last = path[path.length - 1];
    const me = responderFor(last.position.depth, proposer, challenger);
    const agree = BigInt(valueAt(rules, me, path, last.position)) === BigInt(last.value);
    if (last.position.depth === rules.maxDepth) {
      const leaves = 1n << BigInt(rules.maxDepth - rules.splitDepth - 1);
      const k = last.position.traceIndex(rules.maxDepth) % leaves;
      const ctx = execContext(rules, path, last.position);
      // The contract derives the same starting/disputed outputs from the tree.
      // No inputs inbox: the inputs hash is zero.
      expect(await g.read<LocalContextView>('localContext', [BigInt(last.index)])).toEqual({
        startingOutputRoot: ctx.starting,
        disputedOutputRoot: ctx.disputed,
        l2BlockNumber: ctx.l2BlockNumber,
        startingBlockNumber: ctx.startingBlockNumber,
        inputsHash: ZERO_HASH,
      });
      const steps = (n: bigint): bigint => (n < rules.programSteps ? n : rules.programSteps);
      // Attack: prove the leaf's state wrong from the state before it; defend: from the leaf.
      const stateData = agree
        ? alphabetStateData(steps(k + 1n), ctx.l2BlockNumber)
        : k === 0n
          ? alphabetStateData(0n, 0n)
          : alphabetStateData(steps(k), ctx.l2BlockNumber);
      try {
        const r = await g.send(me.clients, 'step', [BigInt(last.index), !agree, stateData, '0x']);
        onGas('step', r.gasUsed);
      } catch (e) {
        // A step that would prove the leaf right is no move at all.
        if (!/ValidStep/.test(String(e))) throw e;
        return { path, moves, refusedStep: me };
      }
      path[path.length - 1] = await g.claim(last.index);
      return { path, stepper: me, moves };
    }
    const isAttack = !agree;
    if (agree && (last.position.isRoot() || last.position.depth === rules.splitDepth + 1)) return { path, moves };
    const next = isAttack ? last.position.attack() : last.position.defend();
    const r = await g.move(me.clients, last, valueAt(rules, me, path, next), isAttack);
    onGas('move', r.gasUsed);
    moves++;
    path.push(await g.claim(Number(await g.read<bigint>('claimDataLen')) - 1));
  }
}

/** Bottom-up resolution of a single line, as the contract must do it: who gets which bond. */
function expectedCredits(path: readonly Claim[]): { credits: Map<Address, bigint>; rootCountered: boolean } {
  const credits = new Map<Address, bigint>();
  const add = (a: Address, v: bigint) => credits.set(a, (credits.get(a) ?? 0n) + v);
  const zero = '0x0000000000000000000000000000000000000000';
  let childClaimant: Address = zero;
  let countered = false;
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i];
    if (i === path.length - 1) {
      // The leaf: countered only by a step.
      countered = c.counteredBy !== zero;
      add(countered ? c.counteredBy : c.claimant, c.bond);
    } else {
      // Countered iff its only child stands.
      countered = !countered;
      add(countered ? childClaimant : c.claimant, c.bond);
    }
    childClaimant = c.claimant;
  }
  return { credits, rootCountered: countered };
}

describe('BisectionGame', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let alice: L1Clients;
  let bob: L1Clients;
  let carol: L1Clients;
  let testClient: ReturnType<typeof createTestClient>;
  const gas: Record<string, bigint[]> = { move: [], step: [], resolveClaim: [], resolve: [], claimCredit: [], create: [] };

  const advance = async (seconds: bigint): Promise<void> => {
    await testClient.increaseTime({ seconds: Number(seconds) });
    await testClient.mine({ blocks: 1 });
  };

  async function system(game: Partial<GameParams> & { programSteps: bigint; gameType: number }) {
    const verifier = await deployAlphabetVerifier(deployer, game.programSteps);
    const params: GameParams = {
      ...DEFAULT_GAME_PARAMS,
      absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
      verifier,
      ...game,
    };
    const sys = await deployDisputeSystem(deployer, {
      anchorRoot: ANCHOR_ROOT,
      anchorL2BlockNumber: ANCHOR_BLOCK,
      game: params,
      initBond: params.baseBond,
    });
    return { ...sys, params, verifier };
  }

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    [deployer, alice, bob, carol] = [0, 1, 2, 3].map((i) => l1Clients(node.rpcUrl, node.privateKeys[i], { pollingIntervalMs: 50 }));
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
  });
  afterAll(async () => {
    await node?.stop();
    for (const [name, values] of Object.entries(gas)) {
      if (values.length === 0) continue;
      const min = values.reduce((a, b) => (a < b ? a : b));
      const max = values.reduce((a, b) => (a > b ? a : b));
      const avg = values.reduce((a, b) => a + b) / BigInt(values.length);
      console.log(`gas ${name}: n=${values.length} min=${min} avg=${avg} max=${max}`);
    }
  });

  describe('move and step rules (MAX_GAME_DEPTH 6, SPLIT_DEPTH 2, clock 1000 s, extension 100 s)', () => {
    const rules: Rules = { maxDepth: 6, splitDepth: 2, programSteps: 3n, l2BlockNumber: 104n };
    let sys: Awaited<ReturnType<typeof system>>;
    let root: Hex;

    beforeAll(async () => {
      sys = await system({ gameType: 7, maxGameDepth: 6, splitDepth: 2, maxClockDuration: 1000n, clockExtension: 100n, programSteps: 3n });
      root = honestOutput(104n);
    });

    const newGame = async (rootClaim: Hex = root, l2 = 104n): Promise<GameHandle> => {
      const { address } = await createGame(alice, sys.factory, { gameType: 7, rootClaim, l2BlockNumber: l2 });
      return new GameHandle(address, deployer.public);
    };

    it('takes exactly the required bond', async () => {
      const g = await newGame(withStatus(root, 0xaa));
      const rootClaim = await g.claim(0);
      await expect(g.move(bob, rootClaim, honestOutput(102n), true, 1n)).rejects.toThrow(/IncorrectBondAmount/);
      await expect(g.move(bob, rootClaim, honestOutput(102n), true, -1n)).rejects.toThrow(/IncorrectBondAmount/);
      const r = await g.move(bob, rootClaim, honestOutput(102n), true);
      gas.move.push(r.gasUsed);
      const c = await g.claim(1);
      expect(c.position.gindex).toBe(2n);
      expect(c.claimant).toBe(bob.wallet.account.address);
      expect(c.bond).toBe(await g.read<bigint>('getRequiredBond', [2n]));
      expect(c.parentIndex).toBe(0);
      const [ev] = parseEventLogs({ abi: gameAbi, logs: r.logs, eventName: 'Move' });
      expect(ev.args).toMatchObject({ parentIndex: 0n, claim: honestOutput(102n), claimant: bob.wallet.account.address });
      // The game holds every bond it was paid.
      expect(await deployer.public.getBalance({ address: g.address })).toBe(rootClaim.bond + c.bond);
    });

    it('checks the disputed claim, refuses defending the root, duplicates and moves below MAX_GAME_DEPTH', async () => {
      const g = await newGame(withStatus(root, 0xab));
      const rootClaim = await g.claim(0);
      await expect(
        g.send(bob, 'move', [honestOutput(104n), 0n, honestOutput(102n), true], await g.read<bigint>('getRequiredBond', [2n])),
      ).rejects.toThrow(/InvalidDisputedClaim/);
      await expect(
        g.send(bob, 'move', [rootClaim.value, 0n, honestOutput(102n), false], await g.read<bigint>('getRequiredBond', [3n])),
      ).rejects.toThrow(/CannotDefendRootClaim/);
      await expect(g.send(bob, 'move', [rootClaim.value, 5n, honestOutput(102n), true], 0n)).rejects.toThrow(/InvalidParent/);
      await g.move(bob, rootClaim, honestOutput(102n), true);
      await expect(g.move(carol, rootClaim, honestOutput(102n), true)).rejects.toThrow(/ClaimAlreadyExists/);
      // The same position with another value is a different claim.
      await g.move(carol, rootClaim, honestOutput(103n), true);
      expect(await g.read<bigint>('claimDataLen')).toBe(3n);
      expect(await g.read<readonly bigint[]>('subgameChildren', [0n])).toEqual([1n, 2n]);
    });

    it('checks the VM status byte of an execution subgame root against its stance', async () => {
      const g = await newGame(withStatus(root, 0xac));
      await g.move(bob, await g.claim(0), honestOutput(102n), true); // 1: depth 1, block 102
      await g.move(alice, await g.claim(1), honestOutput(101n), true); // 2: depth 2 (split), block 101
      const output = await g.claim(2);
      const exec = alphabetStateHash(3n, 101n, VM_STATUS.VALID);
      // Attacking an output disputes it: the trace must end INVALID or PANIC.
      await expect(g.move(bob, output, exec, true)).rejects.toThrow(/UnexpectedRootClaim/);
      await expect(g.move(bob, output, withStatus(exec, VM_STATUS.UNFINISHED), true)).rejects.toThrow(/UnexpectedRootClaim/);
      await g.move(bob, output, withStatus(exec, VM_STATUS.INVALID), true);
      await g.move(carol, output, withStatus(exec, VM_STATUS.PANIC), true);
      // Defending output 101 (Alice's, depth 2) disputes its right neighbour 102 (Bob's, depth
      // 1). The defence (depth 3) is made for Bob's side, which wrote 102: its trace says VALID.
      await expect(g.move(carol, output, withStatus(exec, VM_STATUS.INVALID), false)).rejects.toThrow(/UnexpectedRootClaim/);
      await g.move(carol, output, withStatus(exec, VM_STATUS.VALID), false);
      // Defending an output whose right neighbour is the other side's (here the root, depth 0,
      // on the right edge of the tree) disputes it: INVALID or PANIC.
      const g2 = await newGame(withStatus(root, 0xad));
      await g2.move(bob, await g2.claim(0), honestOutput(102n), true); // depth 1, block 102
      await g2.move(alice, await g2.claim(1), honestOutput(103n), false); // depth 2, block 103
      const out103 = await g2.claim(2);
      await expect(g2.move(carol, out103, withStatus(exec, VM_STATUS.VALID), false)).rejects.toThrow(/UnexpectedRootClaim/);
      await g2.move(carol, out103, withStatus(exec, VM_STATUS.INVALID), false);
      // Defending the depth-2 output 101 under Bob's 102 disputes Bob's own output: VALID.
      await g2.move(alice, await g2.claim(1), honestOutput(101n), true); // 4: depth 2, block 101
      const out101 = await g2.claim(4);
      await expect(g2.move(bob, out101, withStatus(exec, VM_STATUS.INVALID), false)).rejects.toThrow(/UnexpectedRootClaim/);
      await g2.move(bob, out101, withStatus(exec, VM_STATUS.VALID), false);
    });

    it('refuses defending an execution subgame root, moves past the leaves and steps above them', async () => {
      const g = await newGame(withStatus(root, 0xae));
      await g.move(bob, await g.claim(0), honestOutput(102n), true); // 1
      await g.move(alice, await g.claim(1), honestOutput(101n), true); // 2 (split)
      await g.move(bob, await g.claim(2), alphabetStateHash(3n, 101n, VM_STATUS.INVALID), true); // 3 (exec root, depth 3)
      const execRoot = await g.claim(3);
      await expect(g.move(alice, execRoot, alphabetStateHash(2n, 101n, 3), false)).rejects.toThrow(/CannotDefendRootClaim/);
      await expect(g.send(alice, 'step', [3n, true, alphabetStateData(0n, 0n), '0x'])).rejects.toThrow(/InvalidParent/);
      await g.move(alice, execRoot, alphabetStateHash(2n, 101n, 3), true); // 4: depth 4
      await g.move(bob, await g.claim(4), alphabetStateHash(1n, 101n, 3), true); // 5: depth 5
      await g.move(alice, await g.claim(5), alphabetStateHash(1n, 101n, 3), true); // 6: depth 6 = MAX
      const leaf = await g.claim(6);
      expect(leaf.position.depth).toBe(6);
      await expect(g.move(bob, leaf, alphabetStateHash(0n, 0n, 3), true)).rejects.toThrow(/GameDepthExceeded/);
      // The leaf at trace index 0 is the state after one step from the absolute prestate:
      // hashing the wrong pre-state data is refused, the right data proves the leaf correct.
      await expect(g.send(bob, 'step', [6n, true, alphabetStateData(1n, 101n), '0x'])).rejects.toThrow(/InvalidPrestate/);
      await expect(g.send(bob, 'step', [6n, true, alphabetStateData(0n, 0n), '0x'])).rejects.toThrow(/ValidStep/);
      // The subgame attacked Alice's output 101 (the first block): it starts from the anchor.
      const ctx = await g.read<LocalContextView>('localContext', [6n]);
      expect(ctx).toEqual({ startingOutputRoot: ANCHOR_ROOT, disputedOutputRoot: honestOutput(101n), l2BlockNumber: 101n, startingBlockNumber: ANCHOR_BLOCK, inputsHash: ZERO_HASH });
      // A wrong state at the same leaf (claim 7) is countered by a step from the absolute prestate.
      await g.move(carol, await g.claim(5), alphabetStateHash(7n, 101n, 3), true); // 7
      const r = await g.send(bob, 'step', [7n, true, alphabetStateData(0n, 0n), '0x']);
      gas.step.push(r.gasUsed);
      expect((await g.claim(7)).counteredBy).toBe(bob.wallet.account.address);
      const [ev] = parseEventLogs({ abi: gameAbi, logs: r.logs, eventName: 'Stepped' });
      expect(ev.args).toMatchObject({ claimIndex: 7n, isAttack: true, counteredBy: bob.wallet.account.address });
      await expect(g.send(alice, 'step', [7n, true, alphabetStateData(0n, 0n), '0x'])).rejects.toThrow(/DuplicateStep/);
    });

    it('counters a leaf by a defence step when the next state, claimed by the same side, is wrong', async () => {
      const g = await newGame(withStatus(root, 0xb2));
      await g.move(bob, await g.claim(0), withStatus(honestOutput(102n), 0x42), true); // 1: pos 2
      await g.move(alice, await g.claim(1), honestOutput(101n), true); // 2: pos 4, block 101
      await g.move(bob, await g.claim(2), alphabetStateHash(3n, 101n, VM_STATUS.INVALID), true); // 3: pos 8
      // Carol claims a wrong state at trace index 3 (pos 16); Bob puts the right state after
      // 2 steps at index 1 (pos 32); Carol defends it at index 2 (pos 66) with the right halted
      // state, which commits her side to index 3 being the same halted state.
      await g.move(carol, await g.claim(3), alphabetStateHash(7n, 101n, VM_STATUS.UNFINISHED), true); // 4: pos 16
      await g.move(bob, await g.claim(4), alphabetStateHash(2n, 101n, VM_STATUS.UNFINISHED), true); // 5: pos 32
      await g.move(carol, await g.claim(5), alphabetStateHash(3n, 101n, VM_STATUS.VALID), false); // 6: pos 66
      const leaf = await g.claim(6);
      expect(leaf.position.gindex).toBe(66n);
      // Attacking the leaf fails (it is right: 2 steps -> 3 steps, halted, VALID)...
      await expect(g.send(bob, 'step', [6n, true, alphabetStateData(2n, 101n), '0x'])).rejects.toThrow(/ValidStep/);
      // ...but stepping on from it reproduces the halted state, not Carol's claim 4.
      const r = await g.send(bob, 'step', [6n, false, alphabetStateData(3n, 101n), '0x']);
      gas.step.push(r.gasUsed);
      expect((await g.claim(6)).counteredBy).toBe(bob.wallet.account.address);
      // Once the stepper's clock has run out, no step is accepted any more.
      await g.move(alice, await g.claim(5), alphabetStateHash(1n, 101n, VM_STATUS.UNFINISHED), true); // 7: pos 64, right
      await g.move(carol, await g.claim(5), alphabetStateHash(5n, 101n, VM_STATUS.UNFINISHED), true); // 8: pos 64, wrong
      await advance(1001n);
      await expect(g.send(bob, 'step', [8n, true, alphabetStateData(0n, 0n), '0x'])).rejects.toThrow(/ClockTimeExceeded/);
    });

    it('runs chess clocks: extension near the deadline, doubled before the split, refusal when out of time', async () => {
      const g = await newGame(withStatus(root, 0xaf));
      const rootClaim = await g.claim(0);
      // Bob spends 950 s of his 1000: less than the 100 s extension would be left, so his claim
      // (depth 1 = SPLIT_DEPTH - 1: his next reply roots an execution subgame) records 1000 - 200.
      await advance(950n);
      await g.move(bob, rootClaim, honestOutput(102n), true);
      expect((await g.claim(1)).clock >> 64n).toBe(800n);
      // Alice replies after 920 s: at depth 2 the extension is the plain 100 s.
      await advance(920n);
      await g.move(alice, await g.claim(1), honestOutput(101n), true);
      expect((await g.claim(2)).clock >> 64n).toBe(900n);
      // Bob has 200 s left (1000 - 800); a reply after 150 s keeps his accumulated 950 s... but
      // that exceeds 900, so he too is extended to 900.
      await advance(150n);
      await g.move(bob, await g.claim(2), alphabetStateHash(3n, 101n, VM_STATUS.INVALID), true);
      expect((await g.claim(3)).clock >> 64n).toBe(900n);
      // Alice has 100 s; after 101 s her clock is out.
      await advance(101n);
      await expect(g.move(alice, await g.claim(3), alphabetStateHash(2n, 101n, 3), true)).rejects.toThrow(/ClockTimeExceeded/);
      expect(await g.read<bigint>('getChallengerDuration', [3n])).toBe(1000n);
      // An early move keeps the real accumulated time: a fresh game, 10 s.
      const g2 = await newGame(withStatus(root, 0xb0));
      await advance(10n);
      await g2.move(bob, await g2.claim(0), honestOutput(102n), true);
      const d = (await g2.claim(1)).clock >> 64n;
      expect(d >= 10n && d <= 12n).toBe(true);
    });

    it('resolves bottom-up with pagination; the leftmost uncountered child takes the bond', async () => {
      const g = await newGame(withStatus(root, 0xb1));
      const rootClaim = await g.claim(0);
      // Three counters of the root at the same position (different values), in this order.
      await g.move(bob, rootClaim, honestOutput(102n), true); // 1
      await g.move(carol, rootClaim, withStatus(honestOutput(102n), 0x77), true); // 2
      await g.move(deployer, rootClaim, withStatus(honestOutput(102n), 0x78), true); // 3
      // Claim 1 is countered by Alice (her claim 4 then stands uncountered).
      await g.move(alice, await g.claim(1), honestOutput(101n), true); // 4
      await expect(g.send(carol, 'resolveClaim', [4n, 0n])).rejects.toThrow(/ClockNotExpired/);
      await advance(1001n);
      await expect(g.send(carol, 'resolveClaim', [0n, 0n])).rejects.toThrow(/OutOfOrderResolution/);
      await expect(g.send(carol, 'resolve', [])).rejects.toThrow(/OutOfOrderResolution/);
      for (const i of [4n, 3n, 2n, 1n]) gas.resolveClaim.push((await g.send(carol, 'resolveClaim', [i, 0n])).gasUsed);
      await expect(g.send(carol, 'resolveClaim', [1n, 0n])).rejects.toThrow(/ClaimAlreadyResolved/);
      // Root: one child per call.
      for (let k = 0; k < 3; k++) {
        expect(await g.read<boolean>('resolvedSubgames', [0n])).toBe(false);
        gas.resolveClaim.push((await g.send(carol, 'resolveClaim', [0n, 1n])).gasUsed);
      }
      expect(await g.read<boolean>('resolvedSubgames', [0n])).toBe(true);
      const claims = await g.claims();
      // Claim 1 lost to 4; 2 and 3 stand, 2 is leftmost (same position, earlier) so Carol
      // takes the root's bond.
      expect(claims[1].counteredBy).toBe(alice.wallet.account.address);
      expect(claims[0].counteredBy).toBe(carol.wallet.account.address);
      expect(await g.read<bigint>('credit', [alice.wallet.account.address])).toBe(claims[1].bond + claims[4].bond);
      expect(await g.read<bigint>('credit', [carol.wallet.account.address])).toBe(claims[0].bond + claims[2].bond);
      expect(await g.read<bigint>('credit', [deployer.wallet.account.address])).toBe(claims[3].bond);
      expect(await g.read<bigint>('credit', [bob.wallet.account.address])).toBe(0n);
      await g.send(carol, 'resolve', []);
      expect(GAME_STATUSES[await g.read<number>('status')]).toBe('CHALLENGER_WINS');
      await expect(g.send(carol, 'resolve', [])).rejects.toThrow(/GameNotInProgress/);
      await expect(g.move(bob, claims[4], honestOutput(101n), true)).rejects.toThrow(/GameNotInProgress/);
    });
  });
  describe('the inputs inbox: the local context of a step', () => {
    const h = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
    let inbox: Address;
    let sys: Awaited<ReturnType<typeof system>>;

    beforeAll(async () => {
      // Alice is the batcher; the first block after the anchor is the first to commit.
      inbox = await deployBlockInputsInbox(deployer, alice.wallet.account.address, ANCHOR_BLOCK + 1n);
      sys = await system({ gameType: 9, maxGameDepth: 6, splitDepth: 2, maxClockDuration: 1000n, clockExtension: 100n, programSteps: 3n, inputs: inbox });
    });

    const commit = (who: L1Clients, first: bigint, hashes: readonly Hex[]) =>
      sendCall(who, { address: inbox, abi: BLOCK_INPUTS_INBOX_ABI, functionName: 'commit', args: [first, hashes] });

    it('takes commitments from the batcher only, contiguous, never zero, never rewritten', async () => {
      await expect(commit(bob, 101n, [h(1)])).rejects.toThrow(/NotBatcher/);
      await expect(commit(alice, 102n, [h(2)])).rejects.toThrow(/OutOfOrder/);
      await expect(commit(alice, 101n, [])).rejects.toThrow(/EmptyCommit/);
      await expect(commit(alice, 101n, [h(1), ZERO_HASH])).rejects.toThrow(/ZeroInputsHash/);
      const r = await commit(alice, 101n, [h(0x101), h(0x102)]);
      const [ev] = parseEventLogs({ abi: BLOCK_INPUTS_INBOX_ABI, logs: r.logs, eventName: 'InputsCommitted' });
      expect(ev!.args).toEqual({ firstBlock: 101n, count: 2n });
      await expect(commit(alice, 101n, [h(0xbad)])).rejects.toThrow(/OutOfOrder/);
      expect(bytesToHex(await committedInputsHash(deployer.public, inbox, 101n))).toBe(h(0x101));
      expect(bytesToHex(await committedInputsHash(deployer.public, inbox, 102n))).toBe(h(0x102));
      expect(bytesToHex(await committedInputsHash(deployer.public, inbox, 103n))).toBe(ZERO_HASH);
      expect(await nextUncommittedBlock(deployer.public, inbox)).toBe(103n);
    });

    it('hands each execution subgame the inputs committed for its disputed block', async () => {
      const root = honestOutput(104n);
      const { address } = await createGame(alice, sys.factory, { gameType: 9, rootClaim: withStatus(root, 0xc1), l2BlockNumber: 104n });
      const g = new GameHandle(address, deployer.public);
      const exec = alphabetStateHash(3n, 101n, VM_STATUS.INVALID);
      await g.move(bob, await g.claim(0), honestOutput(102n), true); // 1: block 102
      await g.move(alice, await g.claim(1), honestOutput(101n), true); // 2: block 101 (split)
      await g.move(bob, await g.claim(2), exec, true); // 3: attacks 101, from the anchor
      expect(await g.read<LocalContextView>('localContext', [3n])).toEqual({
        startingOutputRoot: ANCHOR_ROOT,
        disputedOutputRoot: honestOutput(101n),
        l2BlockNumber: 101n,
        startingBlockNumber: ANCHOR_BLOCK,
        inputsHash: h(0x101),
      });
      await g.move(bob, await g.claim(2), withStatus(exec, VM_STATUS.VALID), false); // 4: defends 101, disputes 102
      expect(await g.read<LocalContextView>('localContext', [4n])).toMatchObject({ startingOutputRoot: honestOutput(101n), disputedOutputRoot: honestOutput(102n), l2BlockNumber: 102n, startingBlockNumber: 101n, inputsHash: h(0x102) });
      // The binding reads the same inbox through the game.
      const contract = new L1GameContract({ public: deployer.public }, address);
      expect((await contract.inputsInbox())?.toLowerCase()).toBe(inbox.toLowerCase());
      expect(bytesToHex(await contract.committedInputs(102n))).toBe(h(0x102));
      expect(bytesToHex(await contract.committedInputs(104n))).toBe(ZERO_HASH);
    });

    it("gives a zero inputs hash past the game's block, and none without an inbox", async () => {
      // The proposal is for block 102: the output trace is padded with it past block 102.
      const { address } = await createGame(alice, sys.factory, { gameType: 9, rootClaim: withStatus(honestOutput(102n), 0xc2), l2BlockNumber: 102n });
      const g = new GameHandle(address, deployer.public);
      await g.move(bob, await g.claim(0), honestOutput(102n), true); // 1: output index 1 (block 102)
      await g.move(alice, await g.claim(1), honestOutput(102n), false); // 2: index 2, past block 102
      await g.move(bob, await g.claim(2), withStatus(alphabetStateHash(3n, 102n, 3), VM_STATUS.INVALID), false); // 3: disputes index 3 (the root)
      expect(await g.read<LocalContextView>('localContext', [3n])).toMatchObject({ l2BlockNumber: 102n, startingBlockNumber: 102n, inputsHash: ZERO_HASH });
      // A game without an inbox: no inputs for any block.
      const plain = await system({ gameType: 10, maxGameDepth: 6, splitDepth: 2, maxClockDuration: 1000n, clockExtension: 100n, programSteps: 3n });
      const { address: a2 } = await createGame(alice, plain.factory, { gameType: 10, rootClaim: withStatus(honestOutput(104n), 0xc3), l2BlockNumber: 104n });
      const c2 = new L1GameContract({ public: deployer.public }, a2);
      expect(await c2.inputsInbox()).toBeNull();
      expect(bytesToHex(await c2.committedInputs(101n))).toBe(ZERO_HASH);
    });
  });

  describe('full alphabet games at OP depths (MAX_GAME_DEPTH 73, SPLIT_DEPTH 30)', () => {
    const PROGRAM_STEPS = 1000n;
    let sys: Awaited<ReturnType<typeof system>>;
    const onGas = (kind: 'move' | 'step', used: bigint) => gas[kind].push(used);

    beforeAll(async () => {
      sys = await system({ gameType: 1, programSteps: PROGRAM_STEPS });
    });

    async function resolveLine(g: GameHandle, path: readonly Claim[], caller: L1Clients): Promise<void> {
      await advance(DEFAULT_GAME_PARAMS.maxClockDuration + 1n);
      for (let i = path.length - 1; i >= 0; i--) {
        gas.resolveClaim.push((await g.send(caller, 'resolveClaim', [BigInt(path[i].index), 0n])).gasUsed);
      }
      gas.resolve.push((await g.send(caller, 'resolve', [])).gasUsed);
    }

    /** Credits as the contract computed them equal the line's bottom-up result; paid out once. */
    async function checkCredits(g: GameHandle, path: readonly Claim[], honest: Actor, dishonest: Actor): Promise<void> {
      const { credits } = expectedCredits(path);
      const total = path.reduce((a, c) => a + c.bond, 0n);
      const honestAddr = honest.clients.wallet.account.address;
      const dishonestAddr = dishonest.clients.wallet.account.address;
      expect(credits.get(honestAddr)).toBe(total);
      expect(await g.read<bigint>('credit', [honestAddr])).toBe(total);
      expect(await g.read<bigint>('credit', [dishonestAddr])).toBe(0n);
      expect(await deployer.public.getBalance({ address: g.address })).toBe(total);
      // Carol pays the gas, so the honest actor's balance moves by exactly its credit.
      const before = await deployer.public.getBalance({ address: honestAddr });
      const r = await g.send(carol, 'claimCredit', [honestAddr]);
      gas.claimCredit.push(r.gasUsed);
      expect((await deployer.public.getBalance({ address: honestAddr })) - before).toBe(total);
      expect(await g.read<bigint>('credit', [honestAddr])).toBe(0n);
      expect(await deployer.public.getBalance({ address: g.address })).toBe(0n);
      await expect(g.send(carol, 'claimCredit', [honestAddr])).rejects.toThrow(/NoCreditToClaim/);
      await expect(g.send(carol, 'claimCredit', [dishonestAddr])).rejects.toThrow(/NoCreditToClaim/);
    }

    it('a false proposal (lies from block 105 of 110) is bisected to one step and the challenger wins', async () => {
      const honest = honestActor(bob);
      const liar = dishonestActor(alice, 105n);
      const rules: Rules = { maxDepth: 73, splitDepth: 30, programSteps: PROGRAM_STEPS, l2BlockNumber: 110n };
      const rootClaim = liar.output(110n);
      expect(rootClaim).not.toBe(honestOutput(110n));
      const { address, receipt } = await createGame(alice, sys.factory, { gameType: 1, rootClaim, l2BlockNumber: 110n });
      gas.create.push(receipt.gasUsed);
      const g = new GameHandle(address, deployer.public);
      const { path, stepper, refusedStep, moves } = await playLine(g, rules, liar, honest, onGas);
      expect(moves).toBe(73);
      // This line ends on the honest side's leaf (the state after 999 of 1000 steps): the liar's
      // defence step would reproduce the honest final state, so the game refuses it.
      expect(stepper).toBeUndefined();
      expect(refusedStep?.name).toBe('dishonest');
      const leaf = path[path.length - 1];
      expect(leaf.position.depth).toBe(73);
      expect(leaf.claimant).toBe(bob.wallet.account.address);
      expect(leaf.counteredBy).toBe('0x0000000000000000000000000000000000000000');
      // The execution subgame that decided it is the one for block 105 (first lie).
      const ctx = await g.read<LocalContextView>('localContext', [BigInt(leaf.index)]);
      expect(ctx).toMatchObject({ startingOutputRoot: honestOutput(104n), disputedOutputRoot: liar.output(105n), l2BlockNumber: 105n, startingBlockNumber: 104n });
      // Both sides used attacks and defences on the way down.
      const defences = path.slice(1).filter((c) => c.position.gindex !== path[c.parentIndex].position.gindex * 2n).length;
      expect(defences).toBeGreaterThan(0);
      await expect(g.send(carol, 'resolveClaim', [BigInt(leaf.index), 0n])).rejects.toThrow(/ClockNotExpired/);
      await resolveLine(g, path, carol);
      expect(expectedCredits(path).rootCountered).toBe(true);
      expect(GAME_STATUSES[await g.read<number>('status')]).toBe('CHALLENGER_WINS');
      await checkCredits(g, path, honest, liar);
      // A lost game leaves the anchor where it was.
      expect(await deployer.public.readContract({ address: sys.factory, abi: factoryAbi, functionName: 'anchors', args: [1] })).toEqual([
        ANCHOR_ROOT,
        ANCHOR_BLOCK,
      ]);
    }, 300_000);

    it('a true proposal attacked from the first block stands, and moves the anchor', async () => {
      const honest = honestActor(alice);
      const liar = dishonestActor(bob, 101n);
      const rules: Rules = { maxDepth: 73, splitDepth: 30, programSteps: PROGRAM_STEPS, l2BlockNumber: 103n };
      const { address } = await createGame(alice, sys.factory, { gameType: 1, rootClaim: honestOutput(103n), l2BlockNumber: 103n });
      const g = new GameHandle(address, deployer.public);
      const { path, stepper } = await playLine(g, rules, honest, liar, onGas);
      // Here the liar holds the last leaf and the honest side counters it with a step.
      expect(stepper?.name).toBe('honest');
      const leaf = path[path.length - 1];
      expect(leaf.position.depth).toBe(73);
      expect(leaf.counteredBy).toBe(alice.wallet.account.address);
      // Disputing block 101 starts from the anchor itself.
      const ctx = await g.read<LocalContextView>('localContext', [BigInt(leaf.index)]);
      expect(ctx).toMatchObject({ startingOutputRoot: ANCHOR_ROOT, l2BlockNumber: 101n, startingBlockNumber: ANCHOR_BLOCK });
      await resolveLine(g, path, carol);
      expect(expectedCredits(path).rootCountered).toBe(false);
      expect(GAME_STATUSES[await g.read<number>('status')]).toBe('DEFENDER_WINS');
      await checkCredits(g, path, honest, liar);
      expect(await deployer.public.readContract({ address: sys.factory, abi: factoryAbi, functionName: 'anchors', args: [1] })).toEqual([
        honestOutput(103n),
        103n,
      ]);
      // New games start from the new anchor and must be above it.
      await expect(createGame(alice, sys.factory, { gameType: 1, rootClaim: honestOutput(103n), l2BlockNumber: 102n })).rejects.toThrow(
        /UnexpectedRootClaim/,
      );
      const next = await createGame(alice, sys.factory, { gameType: 1, rootClaim: honestOutput(104n), l2BlockNumber: 104n });
      const g2 = new GameHandle(next.address, deployer.public);
      expect(await g2.read<bigint>('startingBlockNumber')).toBe(103n);
      expect(await g2.read<Hex>('startingRootHash')).toBe(honestOutput(103n));
    }, 300_000);
  });
});
