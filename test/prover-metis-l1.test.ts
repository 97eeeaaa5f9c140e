// MetisVM dispute games on anvil: the honest engine (output roots and block step traces of a real
// devnet L2 chain) against a coherent liar that executes one instruction wrongly, through the real
// BisectionGame and the on-chain MetisStepVerifier. The honest side must win whether it challenges
// the liar's proposal or defends its own proposal against the liar.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex, TestClient } from 'viem';
import type { AnvilNode } from '../cli/anvil.js';
import { deployMetisStepVerifier, type L1Clients } from '../contracts/deploy.js';
import { DEVNET_RULES } from '../devnet/chain.js';
import { LoadGenerator } from '../devnet/load.js';
import { Sequencer } from '../devnet/sequencer.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import type { MetisChainView } from '../prover/metis/chain-view.js';
import { dishonestAccessor, prepareLie, type CorruptedTrace } from '../prover/metis/dishonest.js';
import { metisAccessor, traceChainBlock } from '../prover/metis/trace-provider.js';
import { blockStepCount } from '../vm/step/block-steps.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { TRACE_DEPTH, deployMetisGames, expectLieFrom, playMetisGame, startGameL1 } from './support/metis-games.js';
import { rng } from './support/rng.js';

const GAME_TYPE = 1337;
const MAX_CLOCK = 3_600n;
const ORIGIN = { number: 1n, hash: new Uint8Array(32).fill(0x11) };

describe('MetisVM dispute games on anvil', () => {
  let node: AnvilNode;
  let dir: string;
  let seq: Sequencer;
  let view: MetisChainView;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let factory: Address;
  let testClient: TestClient;
  let lie: CorruptedTrace;
  const LIE_BLOCK = 2n;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metis-l1-'));
    seq = await Sequencer.open({ dataDir: join(dir, 'l2'), genesisTimestamp: 10_000n });
    const load = new LoadGenerator({ seed: 7, perBlock: [2, 3], hashRounds: [3, 12], storageSlots: [1, 3] });
    for (let i = 0; i < 3; i++) await seq.buildBlock(load.nextBlock().map((t) => t.raw), ORIGIN);
    view = { chain: DEVNET_RULES, block: (n) => seq.blockAt(n), preimage: (h) => seq.preimage(h) };
    const random = rng(99);
    lie = await prepareLie(view, LIE_BLOCK, (c) => c[Math.floor(random() * c.length)]!);

    ({ node, testClient, deployer, honest, liar } = await startGameL1());
    const verifier = await deployMetisStepVerifier(deployer);
    const genesis = (await seq.blockAt(0n))!;
    factory = await deployMetisGames(deployer, { anchorRoot: genesis.outputRoot, verifier, gameType: GAME_TYPE, maxClock: MAX_CLOCK });
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await seq?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the devnet blocks fit the execution subgame and the liar differs only from its corrupted step on', async () => {
    for (const n of [1n, 2n, 3n]) {
      const t = await traceChainBlock(view, n, (await view.block(n))!.outputRoot);
      expect(blockStepCount(t)).toBeLessThanOrEqual(2 ** TRACE_DEPTH);
      expect(t.status).toBe(0);
    }
    await expectLieFrom(view, LIE_BLOCK, lie);
  }, 300_000);

  const play = (agents: readonly GameAgent[], watch: L1GameContract) => playMetisGame(agents, watch, testClient, MAX_CLOCK);

  async function createGame(creator: L1Clients, root: Hex, block: bigint): Promise<Address> {
    return (await new L1Factory(creator, factory).createGame({ gameType: GAME_TYPE, rootClaim: root, l2BlockNumber: block })).address;
  }

  it("the honest challenger beats the liar's proposal with a step on L1", async () => {
    const address = await createGame(liar, bytesToHex(lie.outputRoot), LIE_BLOCK);
    const params = (await new L1GameContract(honest, address).view()).params;
    const liarAgent = new GameAgent(new L1GameContract(liar, address), new GameSolver(dishonestAccessor(params, view, { block: LIE_BLOCK, trace: lie })));
    const honestAgent = new GameAgent(new L1GameContract(honest, address), new GameSolver(metisAccessor(params, view)));
    const result = await play([honestAgent, liarAgent], new L1GameContract(honest, address));
    expect(result.status).toBe('CHALLENGER_WINS');
    expect(result.steps).toBeGreaterThanOrEqual(1);
  }, 600_000);

  it("the honest proposer survives the liar's challenge", async () => {
    const address = await createGame(honest, bytesToHex((await view.block(3n))!.outputRoot), 3n);
    const params = (await new L1GameContract(honest, address).view()).params;
    const liarAgent = new GameAgent(new L1GameContract(liar, address), new GameSolver(dishonestAccessor(params, view, { block: LIE_BLOCK, trace: lie })));
    const honestAgent = new GameAgent(new L1GameContract(honest, address), new GameSolver(metisAccessor(params, view)));
    const result = await play([liarAgent, honestAgent], new L1GameContract(honest, address));
    expect(result.status).toBe('DEFENDER_WINS');
  }, 600_000);
});
