// MetisVM dispute games on anvil decided at a block's boundary: a proposer that executes honestly
// but claims a wrong output root loses at the block-end step; a challenger whose trace goes wrong
// at the block's start loses at the block-start step; a block whose inputs the batcher never committed
// on L1 is invalid whatever its proposer traced. Every step runs the real MetisStepVerifier with
// its BLOCKS part, on the local context the real BisectionGame builds from its BlockInputsInbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex, TestClient } from 'viem';
import type { AnvilNode } from '../cli/anvil.js';
import { deployBlockInputsInbox, deployMetisStepVerifier, type L1Clients } from '../contracts/deploy.js';
import { commitBlockInputs } from '../devnet/inputs.js';
import { LoadGenerator } from '../devnet/load.js';
import { Sequencer, sequencerView } from '../devnet/sequencer.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import type { MetisChainView } from '../prover/metis/chain-view.js';
import { dishonestAccessor, garbageOutput, wrongStartTrace, wrongRootTrace } from '../prover/metis/dishonest.js';
import { MetisTraceProvider, blockSubgameTrace, metisAccessor, traceChainBlock } from '../prover/metis/trace-provider.js';
import { Position } from '../prover/game/position.js';
import { bisectionGameArtifact, contractArtifact } from '../contracts/artifacts.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { MAX_DEPTH, TRACE_DEPTH, deployMetisGames, playMetisGame, startGameL1 } from './support/metis-games.js';

const GAME_TYPE = 4242;
const MAX_CLOCK = 3_600n;
const ZERO = '0x0000000000000000000000000000000000000000';
const gameAbi = bisectionGameArtifact().abi;
const verifierAbi = contractArtifact('MetisStepVerifier').abi;
const ORIGIN = { number: 1n, hash: new Uint8Array(32).fill(0x22) };

describe('MetisVM games decided at block start and block end on anvil', () => {
  let node: AnvilNode;
  let dir: string;
  let seq: Sequencer;
  let view: MetisChainView;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let factory: Address;
  let inbox: Address;
  let verifier: Address;
  let testClient: TestClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metis-l1-blocks-'));
    seq = await Sequencer.open({ dataDir: join(dir, 'l2'), genesisTimestamp: 20_000n });
    const load = new LoadGenerator({ seed: 5, perBlock: [1, 2], hashRounds: [2, 6], storageSlots: [1, 2] });
    for (let i = 0; i < 3; i++) await seq.buildBlock(load.nextBlock().map((t) => t.raw), ORIGIN);
    view = sequencerView(seq);

    ({ node, testClient, deployer, honest, liar } = await startGameL1());
    verifier = await deployMetisStepVerifier(deployer);
    // The deployer is the batcher: blocks 1 and 2 are committed, block 3 never is.
    inbox = await deployBlockInputsInbox(deployer, deployer.wallet.account.address, 1n);
    await commitBlockInputs(deployer, inbox, view, 1n, 2n);
    const genesis = (await seq.blockAt(0n))!;
    factory = await deployMetisGames(deployer, { anchorRoot: genesis.outputRoot, verifier, gameType: GAME_TYPE, maxClock: MAX_CLOCK, inputs: inbox });
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await seq?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const createGame = async (creator: L1Clients, root: Hex, block: bigint): Promise<Address> =>
    (await new L1Factory(creator, factory).createGame({ gameType: GAME_TYPE, rootClaim: root, l2BlockNumber: block })).address;

  /** The honest player: its chain, judged on the inputs the game's inbox holds. */
  const honestSolver = async (address: Address) => {
    const contract = new L1GameContract(honest, address);
    const params = (await contract.view()).params;
    return { params, solver: new GameSolver(metisAccessor(params, view, { committedInputs: (b) => contract.committedInputs(b) })) };
  };

  /** The leaf's step index within its execution subgame. */
  const stepIndex = (indexAtMaxDepth: bigint): bigint => indexAtMaxDepth % (1n << BigInt(TRACE_DEPTH));

  it('a proposer that executes block 2 faithfully but claims another root loses at the block-end step', async () => {
    const b = (await view.block(2n))!;
    const honestTrace = await traceChainBlock(view, 2n, b.outputRoot);
    const lie = wrongRootTrace(honestTrace, hexToBytes(garbageOutput(2n, 'wrong-root')));
    const address = await createGame(liar, bytesToHex(lie.outputRoot), 2n);
    const { params, solver } = await honestSolver(address);
    const liarAgent = new GameAgent(new L1GameContract(liar, address), new GameSolver(dishonestAccessor(params, view, { block: 2n, trace: lie })));
    const result = await playMetisGame([new GameAgent(new L1GameContract(honest, address), solver), liarAgent], new L1GameContract(honest, address), testClient, MAX_CLOCK);
    expect(result.status).toBe('CHALLENGER_WINS');
    expect(result.steps).toBeGreaterThanOrEqual(1);
    // The traces agree up to the last state: the only step that can counter the liar is block end.
    const last = BigInt(honestTrace.steps - 1);
    for (const c of result.stepped) expect(stepIndex(c.position.indexAtDepth)).toBeGreaterThanOrEqual(last - 1n);
  }, 600_000);

  it('a challenger that goes wrong at the start of valid block 2 loses at the block-start step', async () => {
    const b = (await view.block(2n))!;
    const honestTrace = await traceChainBlock(view, 2n, b.outputRoot);
    const lie = wrongStartTrace(honestTrace, hexToBytes(garbageOutput(2n, 'wrong-start')));
    const address = await createGame(honest, bytesToHex(b.outputRoot), 2n);
    const { params, solver } = await honestSolver(address);
    const liarAgent = new GameAgent(new L1GameContract(liar, address), new GameSolver(dishonestAccessor(params, view, { block: 2n, trace: lie })));
    const result = await playMetisGame([liarAgent, new GameAgent(new L1GameContract(honest, address), solver)], new L1GameContract(honest, address), testClient, MAX_CLOCK);
    expect(result.status).toBe('DEFENDER_WINS');
    // The traces part after the boot state: the leaf the game ends on is the honest state after
    // block start, which the liar's steps could not counter (the verifier computes it: ValidStep).
    const { claims } = await new L1GameContract(honest, address).view();
    const leaf = claims.find((c) => c.position.depth === MAX_DEPTH)!;
    expect(stepIndex(leaf.position.indexAtDepth)).toBe(0n);
    expect(leaf.counteredBy).toBe(ZERO);
    expect(leaf.value).toBe(bytesToHex(honestTrace.commitments[1]!));
    // The block-start step on L1, on the local context the game builds from its inbox.
    const local = await honest.public.readContract({ address, abi: gameAbi, functionName: 'localContext', args: [BigInt(leaf.index)] });
    const { preState, proof } = await new MetisTraceProvider(blockSubgameTrace(honestTrace), TRACE_DEPTH).getStepData(Position.at(TRACE_DEPTH, 0n));
    const post = await honest.public.readContract({ address: verifier, abi: verifierAbi, functionName: 'step', args: [bytesToHex(preState), bytesToHex(proof), local] });
    expect(post).toBe(bytesToHex(honestTrace.commitments[1]!));
  }, 600_000);

  it('block 3, whose inputs were never committed, is invalid on L1 whatever its proposer traced', async () => {
    const b = (await view.block(3n))!;
    const address = await createGame(liar, bytesToHex(b.outputRoot), 3n);
    const params = (await new L1GameContract(liar, address).view()).params;
    // The proposer traces the block from its own inputs, ignoring what L1 holds.
    const proposer = new GameAgent(new L1GameContract(liar, address), new GameSolver(metisAccessor(params, view)));
    const { solver } = await honestSolver(address);
    const result = await playMetisGame([proposer, new GameAgent(new L1GameContract(honest, address), solver)], new L1GameContract(honest, address), testClient, MAX_CLOCK);
    expect(result.status).toBe('CHALLENGER_WINS');
    expect(result.stepped.map((c) => stepIndex(c.position.indexAtDepth))).toContain(0n);
  }, 600_000);
});
