// A devnet L2 with the inference precompile (the devnet's rules with a model store holding the
// project's MLP), a contract that calls it and stores the hash of what it got, and a faulty
// proposer lying about one inference's output: it claims the wrong output in the L1 inference
// game and proposes the output root of a block executed with that output. The honest watcher
// wins through the inference bisection (its InferenceSettler challenges the lying claim and
// refutes it down to one chunk checked by InferenceChunkVerifier, then posts and settles the
// right claim), and then wins the output-root game by a step on L1 at the inference call, which
// MetisCallStep proves from the settled claim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestClient, http, parseEther, type Address, type Hex } from 'viem';
import { foundry } from 'viem/chains';
import { modelId, type IntModel } from '../ai/model.js';
import { buildFloatMlp, seededReals, MLP_INPUT } from '../ai/onnx/mlp.js';
import { quantizeInput, quantizeOnnx } from '../ai/quantize.js';
import { evaluate } from '../ai/reference.js';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployContract, deployMetisStepVerifier, l1Clients, METIS_STEP_PARTS, type L1Clients } from '../contracts/deploy.js';
import { DEVNET_CHAIN_ID, DEVNET_PRIVATE_KEYS, DEVNET_RULES } from '../devnet/chain.js';
import { createAddress, INFERENCE_CALLER_INITCODE } from '../devnet/load.js';
import { Sequencer } from '../devnet/sequencer.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import type { GameStatus } from '../prover/game/types.js';
import { InferenceGameContract, InferencePlayer, InferenceSettler, lyingEvaluation, registerModelCall, type InferenceState } from '../prover/inference/index.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import type { MetisChainView } from '../prover/metis/chain-view.js';
import { corruptInferenceOutput, dishonestAccessor, type CorruptedTrace } from '../prover/metis/dishonest.js';
import { metisAccessor, traceChainBlock } from '../prover/metis/trace-provider.js';
import type { ChainRules } from '../vm/chain/chain.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { decodeStepState } from '../vm/step/state.js';
import { addressOfPrivateKey, encodeTransaction, signTransaction } from '../vm/tx/index.js';
import { bytesToHex, concatBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { MAX_DEPTH, TRACE_DEPTH, deployMetisGames, expectLieFrom } from './support/metis-games.js';

const GAME_TYPE = 1338;
const MAX_CLOCK = 7_200n;
const INFERENCE_WINDOW = 600n;
const INFERENCE_CLOCK = 300n;
const ZERO = '0x0000000000000000000000000000000000000000';
const ORIGIN = { number: 1n, hash: new Uint8Array(32).fill(0x11) };
const LIE_BLOCK = 2n;


const i8 = (t: Int8Array): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.length);

describe('a faulty proposer lying about an inference output', () => {
  let dir: string;
  let seq: Sequencer;
  let view: MetisChainView;
  let node: AnvilNode;
  let testClient: ReturnType<typeof createTestClient>;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let factory: Address;
  let inferenceGame: Address;
  let mlp: IntModel;
  let input: Int8Array;
  let lie: CorruptedTrace;
  let lieOutput: Uint8Array;

  beforeAll(async () => {
    const corpus = Array.from({ length: 8 }, (_, i) => seededReals(100 + i, MLP_INPUT));
    mlp = (await quantizeOnnx(buildFloatMlp(), corpus)).model;
    input = quantizeInput(mlp, seededReals(5, MLP_INPUT));
    const chain: ChainRules = { ...DEVNET_RULES, inference: { address: INFERENCE_PRECOMPILE, models: new Map<Hex, IntModel>([[bytesToHex(modelId(mlp)), mlp]]) } };

    // L2: block 1 deploys the caller, block 2 calls it.
    dir = await mkdtemp(join(tmpdir(), 'inference-lie-'));
    seq = await Sequencer.open({ dataDir: join(dir, 'l2'), genesisTimestamp: 10_000n, chain });
    const key = DEVNET_PRIVATE_KEYS[0]!;
    const from = addressOfPrivateKey(key);
    const tx = (nonce: bigint, to: Address | null, data: Uint8Array) =>
      encodeTransaction(signTransaction({ type: 2, chainId: DEVNET_CHAIN_ID, nonce, to, value: 0n, data, gasLimit: 3_000_000n, maxPriorityFeePerGas: 100_000_000n, maxFeePerGas: 10_000_000_000n, accessList: [] }, key));
    const caller = createAddress(from, 0n);
    for (const raws of [[tx(0n, null, INFERENCE_CALLER_INITCODE)], [tx(1n, caller, concatBytes(modelId(mlp), i8(input)))]]) {
      const { rejected, receipts } = await seq.buildBlock(raws, ORIGIN);
      expect(rejected).toEqual([]);
      expect(receipts.every((r) => r.success)).toBe(true);
    }
    view = { chain, block: (n) => seq.blockAt(n), preimage: (h) => seq.preimage(h) };

    // The liar's execution of block 2: the inference call returns another output.
    const trace = await traceChainBlock(view, LIE_BLOCK, (await view.block(LIE_BLOCK))!.outputRoot, { fullState: true });
    const at = trace.ops.findIndex((op, k) => op === 0xfa && trace.kinds[k] === 'instruction');
    expect(at).toBeGreaterThan(0);
    const honestOut = i8(evaluate(mlp, input).output.data);
    expect(decodeStepState(trace.encodings[at + 1]!).frameHash).not.toEqual(new Uint8Array(32));
    lieOutput = honestOut.slice();
    lieOutput[0] ^= 1;
    lie = corruptInferenceOutput(trace, at, lieOutput);

    // L1: the inference game (the MLP registered), the step verifier reading it, the dispute system.
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    deployer = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 20 });
    honest = l1Clients(node.rpcUrl, node.privateKeys[1]!, { pollingIntervalMs: 20 });
    liar = l1Clients(node.rpcUrl, node.privateKeys[2]!, { pollingIntervalMs: 20 });
    const chunkVerifier = (await deployContract(deployer, contractArtifact('InferenceChunkVerifier'))).address;
    inferenceGame = (
      await deployContract(deployer, contractArtifact('InferenceGame'), [chunkVerifier, deployer.wallet.account.address, parseEther('1'), parseEther('0.4'), INFERENCE_WINDOW, INFERENCE_CLOCK, 2n])
    ).address;
    await new InferenceGameContract(deployer, inferenceGame).send(registerModelCall(mlp));
    const verifier = await deployMetisStepVerifier(deployer, METIS_STEP_PARTS, { inferenceResults: inferenceGame });
    const genesis = (await seq.blockAt(0n))!;
    factory = await deployMetisGames(deployer, { anchorRoot: genesis.outputRoot, verifier, gameType: GAME_TYPE, maxClock: MAX_CLOCK });
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await seq?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function advance(seconds: bigint): Promise<void> {
    await testClient.increaseTime({ seconds: Number(seconds) });
    await testClient.mine({ blocks: 1 });
  }

  it('the liar’s block differs from the chain only from the inference call on', async () => {
    await expectLieFrom(view, LIE_BLOCK, lie);
  }, 120_000);

  it('the watcher wins the inference bisection, settles the honest output, then beats the lying root by a step at the inference call', async () => {
    // The inference game: the liar claims its output; the watcher challenges with its own trace.
    const truth = evaluate(mlp, input);
    const lying = lyingEvaluation(truth, new Int8Array(lieOutput.buffer, lieOutput.byteOffset, lieOutput.length));
    const liarPlayer = new InferencePlayer(new InferenceGameContract(liar, inferenceGame), mlp, lying);
    const lyingClaim = await liarPlayer.post();
    // The watcher met this inference in block 2 (the call's input): it settles it.
    const settler = new InferenceSettler(new InferenceGameContract(honest, inferenceGame));
    const key = settler.need(mlp, input);
    let state: InferenceState = 'pending';
    for (let round = 0; round < 60 && state !== 'final'; round++) {
      const tick = await settler.tick();
      state = tick.states.get(key)!;
      expect(state).not.toBe('lost');
      expect(tick.refused).toEqual([]);
      let moved = tick.sent;
      const disputes = await liarPlayer.game.disputeCount();
      for (let id = 0n; id < disputes; id++) if (await liarPlayer.act(id)) moved++;
      // Nobody can move: a clock (or the window) runs; time passes.
      if (moved === 0) await advance(INFERENCE_CLOCK + 1n);
    }
    expect(state).toBe('final');
    expect(await settler.settled(key)).toBe(bytesToHex(keccak256(i8(truth.output.data))));
    // The lying claim fell in a dispute the watcher won through the bisection, not by a timeout alone.
    const c = await liarPlayer.game.claim(lyingClaim);
    expect(c.refuted).toBe(true);
    expect((await liarPlayer.game.dispute(0n)).phase).toBe('ChallengerWon');

    // The output-root game over block 2: the liar proposes, the watcher challenges.
    const address = (await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: bytesToHex(lie.outputRoot), l2BlockNumber: LIE_BLOCK })).address;
    const params = (await new L1GameContract(honest, address).view()).params;
    const liarAgent = new GameAgent(new L1GameContract(liar, address), new GameSolver(dishonestAccessor(params, view, { block: LIE_BLOCK, trace: lie })));
    const honestAgent = new GameAgent(new L1GameContract(honest, address), new GameSolver(metisAccessor(params, view)));
    const game = new L1GameContract(honest, address);
    let status: GameStatus = 'IN_PROGRESS';
    for (let round = 0; round < 400 && status === 'IN_PROGRESS'; round++) {
      let sent = 0;
      for (const a of [honestAgent, liarAgent]) sent += (await a.tick()).sent.length;
      status = (await game.view()).status;
      if (status === 'IN_PROGRESS' && sent === 0) await advance(MAX_CLOCK / 4n);
    }
    expect(status).toBe('CHALLENGER_WINS');
    // The game ended by a step: a leaf claim of the liar countered on L1.
    const { claims } = await game.view();
    const stepped = claims.filter((c) => c.position.depth === MAX_DEPTH && c.counteredBy !== ZERO);
    expect(stepped.length).toBeGreaterThanOrEqual(1);
    // At the inference call: the leaf claims state at + 1, whose pre-state both sides agree on.
    const leafIndex = (c: (typeof claims)[number]) => Number(c.position.traceIndex(MAX_DEPTH) % (1n << BigInt(TRACE_DEPTH)));
    expect(stepped.map(leafIndex)).toContain(lie.at);
  }, 900_000);

  it('a watched inference: the settler refutes a lying claim about it but posts no claim of its own', async () => {
    const other = quantizeInput(mlp, seededReals(77, MLP_INPUT));
    const truth = evaluate(mlp, other);
    const wrong = Int8Array.from(truth.output.data);
    wrong[1] = wrong[1]! ^ 2;
    const liarPlayer = new InferencePlayer(new InferenceGameContract(liar, inferenceGame), mlp, lyingEvaluation(truth, wrong));
    const settler = new InferenceSettler(new InferenceGameContract(honest, inferenceGame));
    const key = settler.watch(mlp, other);
    // Nothing claimed yet: a watched inference costs nothing and is not even followed.
    expect((await settler.tick()).states.has(key)).toBe(false);
    const before = await liarPlayer.game.claimCount();
    const lyingClaim = await liarPlayer.post();
    for (let round = 0; round < 60; round++) {
      const tick = await settler.tick();
      expect(tick.states.get(key)).not.toBe('lost');
      if ((await liarPlayer.game.claim(lyingClaim)).refuted && !tick.states.has(key)) break;
      let moved = tick.sent;
      const disputes = await liarPlayer.game.disputeCount();
      for (let id = 0n; id < disputes; id++) if (await liarPlayer.act(id)) moved++;
      if (moved === 0) await advance(INFERENCE_CLOCK + 1n);
    }
    expect((await liarPlayer.game.claim(lyingClaim)).refuted).toBe(true);
    // The watcher's only claim-side act was the challenge: no claim of its own was posted.
    const count = await liarPlayer.game.claimCount();
    expect(count).toBe(before + 1n);
    const final = await liarPlayer.game.finalOutput(liarPlayer.modelId, liarPlayer.inputHash);
    expect(final.final).toBe(false);
    // Asked to settle it now (a game got contested), it posts the right claim.
    settler.need(mlp, other);
    await settler.tick();
    expect(await liarPlayer.game.claimCount()).toBe(count + 1n);
    const posted = await liarPlayer.game.claim(count);
    expect(posted.claimant.toLowerCase()).toBe(honest.wallet.account.address.toLowerCase());
    expect(posted.outputHash).toBe(bytesToHex(keccak256(i8(truth.output.data))));
  }, 600_000);
});
