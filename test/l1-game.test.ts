// The engine's honest GameAgent playing real BisectionGames on anvil through L1GameContract:
// against a dishonest agent with a wrong view of the alphabet chain (as proposer and as
// challenger), against a proposer that stays silent, with the contract's bonds, clocks and
// credits checked against the chain and the engine's predicted resolution.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, http, parseEther, type Abi, type AbiFunction, type Address, type Hex } from 'viem';
import { formatAbiItem } from 'viem/utils';
import { alphabetVerifierArtifact, bisectionGameArtifact, contractArtifact, disputeGameFactoryArtifact } from '../contracts/artifacts.js';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  alphabetGenesisOutput,
  deployAlphabetVerifier,
  deployDisputeSystem,
  deployGameImplementation,
  registerGameType,
  l1Clients,
  type L1Clients,
} from '../contracts/deploy.js';
import { GameAgent } from '../prover/game/agent.js';
import { CannotDefendRootClaim, GameRevert, IncorrectBondAmount, NoCreditToClaim, predictResolution } from '../prover/game/game.js';
import { Position } from '../prover/game/position.js';
import { GameSolver } from '../prover/game/solver.js';
import type { GameStatus, GameView } from '../prover/game/types.js';
import { alphabetChain, beliefVerdict, divergentChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';
import { DISPUTE_GAME_FACTORY_ABI, L1Factory } from '../prover/l1/factory.js';
import { BISECTION_GAME_ABI, InvalidDisputedClaim, L1GameContract } from '../prover/l1/game-contract.js';
import { BLOCK_INPUTS_INBOX_ABI } from '../prover/l1/inputs-inbox.js';

const GAME_TYPE = 7;
/** A second game type on the same factory with an odd max depth: the proposer's side makes the leaves. */
const ODD_GAME_TYPE = 8;
const ANCHOR_BLOCK = 1000n;
const ANCHOR_ROOT = alphabetGenesisOutput(ANCHOR_BLOCK, 'l1-game anchor');
const MAX_DEPTH = 8;
const SPLIT_DEPTH = 4;
const PROGRAM_STEPS = 6n; // <= 2^(8 - 4 - 1) = 8 leaves per execution subgame
const MAX_CLOCK = 3_600n;
const INIT_BOND = parseEther('0.01');
const ZERO = '0x0000000000000000000000000000000000000000';
const truth = alphabetChain(ANCHOR_ROOT, ANCHOR_BLOCK);

describe('dispute games on anvil played by the engine through L1GameContract', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let factory: Address;
  let testClient: ReturnType<typeof createTestClient>;
  const nextBlock = new Map<number, bigint>([
    [GAME_TYPE, ANCHOR_BLOCK + 4n],
    [ODD_GAME_TYPE, ANCHOR_BLOCK + 4n],
  ]);

  const advance = async (seconds: bigint): Promise<void> => {
    await testClient.increaseTime({ seconds: Number(seconds) });
    await testClient.mine({ blocks: 1 });
  };

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    const keys = node.privateKeys;
    deployer = l1Clients(node.rpcUrl, keys[0]!, { pollingIntervalMs: 20 });
    honest = l1Clients(node.rpcUrl, keys[1]!, { pollingIntervalMs: 20 });
    liar = l1Clients(node.rpcUrl, keys[2]!, { pollingIntervalMs: 20 });
    const verifier = await deployAlphabetVerifier(deployer, PROGRAM_STEPS);
    const game = {
      gameType: GAME_TYPE,
      maxGameDepth: MAX_DEPTH,
      splitDepth: SPLIT_DEPTH,
      maxClockDuration: MAX_CLOCK,
      clockExtension: 300n,
      absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
      verifier,
      baseBond: parseEther('0.01'),
      topBond: parseEther('1'),
    };
    const sys = await deployDisputeSystem(deployer, { anchorRoot: ANCHOR_ROOT, anchorL2BlockNumber: ANCHOR_BLOCK, initBond: INIT_BOND, game });
    factory = sys.factory;
    const odd = await deployGameImplementation(deployer, factory, { ...game, gameType: ODD_GAME_TYPE, maxGameDepth: 7, splitDepth: 3 });
    await registerGameType(deployer, factory, ODD_GAME_TYPE, odd, INIT_BOND);
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  });

  /** A fresh game (a new block each time, so uuids differ) created by `creator` over `root(block)`. */
  async function newGame(creator: L1Clients, root: (block: bigint) => Hex, gameType = GAME_TYPE): Promise<{ address: Address; block: bigint }> {
    const block = nextBlock.get(gameType)! + 1n;
    nextBlock.set(gameType, block);
    const { address } = await new L1Factory(creator, factory).createGame({ gameType, rootClaim: root(block), l2BlockNumber: block });
    return { address, block };
  }

  function agentFor(clients: L1Clients, game: Address, view: GameView, outputAt: (b: bigint) => Hex, resolve: boolean, honestVm: boolean) {
    const accessor = honestVm
      ? l1AlphabetAccessor(view.params, PROGRAM_STEPS, outputAt)
      : l1AlphabetAccessor(view.params, PROGRAM_STEPS, outputAt, beliefVerdict(outputAt));
    return new GameAgent(new L1GameContract(clients, game), new GameSolver(accessor), { resolve });
  }

  /** Rounds of agent ticks; when nobody moves, a quarter of the clock passes. */
  async function play(agents: readonly GameAgent[], watch: L1GameContract): Promise<{ status: GameStatus; rounds: number; rejected: string[] }> {
    const rejected: string[] = [];
    for (let round = 0; round < 200; round++) {
      let sent = 0;
      for (const agent of agents) {
        const tick = await agent.tick();
        sent += tick.sent.length;
        rejected.push(...tick.rejected.map((r) => r.error.name));
      }
      const { status } = await watch.view();
      if (status !== 'IN_PROGRESS') return { status, rounds: round + 1, rejected };
      if (sent === 0) await advance(MAX_CLOCK / 4n);
    }
    throw new Error('game did not resolve in 200 rounds');
  }

  async function balance(a: Address): Promise<bigint> {
    return deployer.public.getBalance({ address: a });
  }

  /** Every credit equals the engine's prediction; claiming pays it out exactly (balance + credit - gas). */
  async function checkCredits(game: L1GameContract, view: GameView, players: readonly L1Clients[]): Promise<Map<Address, bigint>> {
    const predicted = predictResolution(view);
    const totalBonds = view.claims.reduce((s, c) => s + c.bond, 0n);
    expect([...predicted.credits.values()].reduce((a, b) => a + b, 0n)).toBe(totalBonds);
    expect(await balance(game.address)).toBe(totalBonds);
    const credits = new Map<Address, bigint>();
    for (const p of players) {
      const who = p.wallet.account.address;
      const credit = await game.credit(who);
      expect(credit).toBe(predicted.credits.get(who.toLowerCase()) ?? 0n);
      credits.set(who, credit);
      const asPlayer = new L1GameContract(p, game.address);
      if (credit === 0n) {
        await expect(asPlayer.claimCredit(who)).rejects.toBeInstanceOf(NoCreditToClaim);
        continue;
      }
      const before = await balance(who);
      const receipt = await asPlayer.claimCredit(who);
      expect(await balance(who)).toBe(before + credit - receipt.gasUsed * receipt.effectiveGasPrice);
      expect(await game.credit(who)).toBe(0n);
    }
    expect(await balance(game.address)).toBe(0n);
    return credits;
  }

  it('the binding\'s hand-written ABIs match the compiled contracts, and cover every custom error', () => {
    const compiled = (abi: Abi) => new Map(abi.filter((i) => i.type !== 'constructor').map((i) => [formatAbiItem(i), i]));
    const game = compiled(bisectionGameArtifact().abi);
    const fac = compiled(disputeGameFactoryArtifact().abi);
    const verifier = compiled(alphabetVerifierArtifact().abi);
    const all = new Map([...game, ...fac, ...verifier]);
    for (const item of [...BISECTION_GAME_ABI, ...DISPUTE_GAME_FACTORY_ABI]) {
      const sig = formatAbiItem(item);
      expect(all.has(sig), sig).toBe(true);
      if (item.type === 'function') expect((all.get(sig) as AbiFunction).stateMutability, sig).toBe(item.stateMutability);
    }
    const mine = new Set(BISECTION_GAME_ABI.filter((i) => i.type === 'error').map((i) => formatAbiItem(i)));
    for (const [sig, item] of all) if (item.type === 'error') expect(mine.has(sig), sig).toBe(true);
    // The inputs inbox binding: exactly the compiled contract's functions, events and errors.
    const inbox = compiled(contractArtifact('BlockInputsInbox').abi);
    expect(new Set(BLOCK_INPUTS_INBOX_ABI.map((i) => formatAbiItem(i)))).toEqual(new Set(inbox.keys()));
  });

  it('reads parameters from the contract: bonds per depth from getRequiredBond, clocks, anchor', async () => {
    const { address, block } = await newGame(honest, truth);
    const game = new L1GameContract(honest, address);
    const view = await game.view();
    expect(view.params).toMatchObject({
      maxGameDepth: MAX_DEPTH,
      splitDepth: SPLIT_DEPTH,
      maxClockDuration: MAX_CLOCK,
      startingBlockNumber: ANCHOR_BLOCK,
      startingOutputRoot: ANCHOR_ROOT,
      l2BlockNumber: block,
      absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
    });
    expect(view.params.bonds).toHaveLength(MAX_DEPTH + 1);
    for (let d = 0; d <= MAX_DEPTH; d++) expect(view.params.bonds[d]).toBe(await game.requiredBond(Position.at(d, BigInt(d > 0 ? 1 : 0))));
    expect(view.params.bonds[0]).toBe(parseEther('0.01'));
    expect(view.claims).toHaveLength(1);
    expect(view.claims[0]).toMatchObject({ parentIndex: 0xffffffff, value: truth(block), bond: INIT_BOND, claimant: honest.wallet.account.address });
    expect(view.status).toBe('IN_PROGRESS');
    expect(view.resolved).toEqual([false]);

    // Reverts arrive as the engine's typed errors, named after the custom error.
    const root = view.claims[0]!;
    const attack = { type: 'attack' as const, parentIndex: 0, disputed: root.value, value: truth(block), bond: view.params.bonds[1]! };
    const asLiar = new L1GameContract(liar, address);
    await expect(asLiar.send({ ...attack, bond: attack.bond - 1n })).rejects.toBeInstanceOf(IncorrectBondAmount);
    await expect(asLiar.send({ ...attack, disputed: truth(block - 1n) })).rejects.toBeInstanceOf(InvalidDisputedClaim);
    await expect(asLiar.send({ ...attack, type: 'defend' })).rejects.toBeInstanceOf(CannotDefendRootClaim);
    const err = await asLiar.send({ ...attack, bond: 0n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GameRevert);
    expect((err as Error).message).toMatch(/IncorrectBondAmount/);
    expect(await game.view().then((v) => v.claims.length)).toBe(1);
  }, 60_000);

  it.each([
    { gameType: GAME_TYPE, maxDepth: MAX_DEPTH },
    { gameType: ODD_GAME_TYPE, maxDepth: 7 },
  ])('an honest challenger beats a dishonest proposer that defends its wrong root to the step (max depth $maxDepth)', async ({ gameType, maxDepth }) => {
    const lie = divergentChain(truth, ANCHOR_BLOCK + 4n, 'proposer');
    const { address } = await newGame(liar, lie, gameType);
    const game = new L1GameContract(honest, address);
    const view = await game.view();
    const good = agentFor(honest, address, view, truth, true, true);
    const bad = agentFor(liar, address, view, lie, false, false);
    const result = await play([bad, good], game);
    expect(result.status).toBe('CHALLENGER_WINS');
    const final = await game.view();
    // The game went all the way down to a step.
    const leaves = final.claims.filter((c) => c.position.depth === maxDepth);
    expect(leaves.length).toBeGreaterThan(0);
    if (maxDepth % 2 === 0) {
      // Even depths are the proposer's: its leaf was countered by the honest step.
      expect(leaves.some((c) => c.claimant === liar.wallet.account.address && c.counteredBy === honest.wallet.account.address)).toBe(true);
    } else {
      // Odd depths are the challenger's: the liar's step against the honest leaf was refused.
      expect(leaves.every((c) => c.claimant === honest.wallet.account.address && c.counteredBy === ZERO)).toBe(true);
      expect(result.rejected).toContain('ValidStep');
    }
    expect(final.resolved.every(Boolean)).toBe(true);
    expect(final.claims[0]!.counteredBy).toBe(honest.wallet.account.address);
    const credits = await checkCredits(game, final, [honest, liar]);
    const posted = (who: Address) => final.claims.filter((c) => c.claimant === who).reduce((s, c) => s + c.bond, 0n);
    // The root's bond is paid when claim 0 resolves: to the honest challenger here.
    expect(credits.get(honest.wallet.account.address)!).toBeGreaterThanOrEqual(posted(honest.wallet.account.address) + INIT_BOND);
    expect(credits.get(liar.wallet.account.address)!).toBeLessThan(posted(liar.wallet.account.address));
    // The anchor did not move to a rejected root.
    expect((await new L1Factory(honest, factory).anchor(GAME_TYPE)).root).toBe(ANCHOR_ROOT);
  }, 180_000);

  it('an honest proposer defends a right root against a dishonest challenger and moves the anchor', async () => {
    const lie = divergentChain(truth, ANCHOR_BLOCK + 3n, 'challenger');
    const { address, block } = await newGame(honest, truth);
    const game = new L1GameContract(honest, address);
    const view = await game.view();
    const good = agentFor(honest, address, view, truth, true, true);
    const bad = agentFor(liar, address, view, lie, false, false);
    const result = await play([bad, good], game);
    expect(result.status).toBe('DEFENDER_WINS');
    const final = await game.view();
    expect(final.claims.length).toBeGreaterThan(3);
    expect(final.claims[0]!.counteredBy).toBe(ZERO);
    const credits = await checkCredits(game, final, [honest, liar]);
    const posted = (who: Address) => final.claims.filter((c) => c.claimant === who).reduce((s, c) => s + c.bond, 0n);
    expect(credits.get(honest.wallet.account.address)!).toBeGreaterThan(posted(honest.wallet.account.address));
    expect(credits.get(liar.wallet.account.address)!).toBeLessThan(posted(liar.wallet.account.address));
    expect(await new L1Factory(honest, factory).anchor(GAME_TYPE)).toEqual({ root: truth(block), l2BlockNumber: block });
  }, 180_000);

  it('once the stepper clock has run out the agent does not send a step the contract would refuse, and the leaf stands', async () => {
    const lie = divergentChain(truth, ANCHOR_BLOCK + 2n, 'late');
    const { address } = await newGame(liar, lie);
    const game = new L1GameContract(honest, address);
    const view = await game.view();
    const good = agentFor(honest, address, view, truth, true, true);
    const bad = agentFor(liar, address, view, lie, false, false);
    // Play until the liar has made a leaf claim, then let the honest side miss its turn.
    let leaf: number | undefined;
    for (let round = 0; round < 50 && leaf === undefined; round++) {
      await bad.tick();
      const v = await game.view();
      leaf = v.claims.find((c) => c.position.depth === MAX_DEPTH && c.claimant === liar.wallet.account.address)?.index;
      if (leaf === undefined) await good.tick();
    }
    expect(leaf).toBeDefined();
    await advance(MAX_CLOCK);
    expect(await game.challengerDuration(leaf!)).toBe(MAX_CLOCK);
    const late = await good.tick();
    // The solver follows the contract's clock rule for steps: nothing is sent, nothing rejected.
    expect(late.rejected.filter((r) => r.action.type === 'step')).toEqual([]);
    const after = await game.view();
    expect(after.claims[leaf!]!.counteredBy).toBe(ZERO);
    // The uncountered leaf resolves in the liar's favour: its bond goes back to it.
    expect(after.resolved[leaf!]).toBe(true);
  }, 180_000);

  it('a proposer that stays silent loses on the clock; the honest challenger gets the root bond', async () => {
    const lie = divergentChain(truth, ANCHOR_BLOCK + 1n, 'silent');
    const { address } = await newGame(liar, lie);
    const game = new L1GameContract(honest, address);
    const view = await game.view();
    const good = agentFor(honest, address, view, truth, true, true);
    const first = await good.tick();
    expect(first.sent.map((a) => a.type)).toEqual(['attack']);
    // Nothing resolves before the clocks run out.
    const early = await good.tick();
    expect(early.sent).toEqual([]);
    expect(early.status).toBe('IN_PROGRESS');
    const result = await play([good], game);
    expect(result.status).toBe('CHALLENGER_WINS');
    const final = await game.view();
    expect(final.claims).toHaveLength(2);
    const credits = await checkCredits(game, final, [honest, liar]);
    expect(credits.get(honest.wallet.account.address)).toBe(INIT_BOND + final.params.bonds[1]!);
    expect(credits.get(liar.wallet.account.address)).toBe(0n);
  }, 120_000);
});
