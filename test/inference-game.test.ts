// The L1 inference game (contracts/src/InferenceGame.sol) on a real anvil, played by the
// prover/inference players with the real InferenceChunkVerifier: an unchallenged honest claim
// becomes final after its window; a lying claimant and a lying challenger each lose through node,
// chunk and (hello_deepa's 2400-wide Gemm) accumulator bisection down to the one-chunk check, a
// wrong leaf shape is settled by a witness (Header) and a trace of another input at leaf 0 (Input);
// a silent party loses on its clock; bad moves revert with typed errors; bonds are credited to the
// winner and withdrawn; IInferenceResults gives each model's gas and input size. Gas per call and
// per dispute (eth_estimateGas) is printed as tables at the end.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEther, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { compiledContracts, contractArtifact } from '../contracts/artifacts.js';
import { contractNamed } from '../contracts/solc.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { quantizeOnnx } from '../ai/quantize.js';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { modelId, size, type IntModel } from '../ai/model.js';
import { evaluate, type Evaluation } from '../ai/reference.js';
import { defaultCorpus } from '../ai/fast-path.js';
import { chunkWitness, ChunkWitnessError, gemmBlocks, toSolidityWitness, verifyChunk } from '../ai/dispute.js';
import { inferenceGas } from '../ai/gas.js';
import { commitModel, modelCommitment, outputHash } from '../ai/trace.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import {
  CHALLENGER, CLAIMANT, INFERENCE_GAME_ABI, InferenceGameContract, InferenceGameRevert, InferencePlayer, inputHashOf, PHASES, playDispute,
  registerModelCall, type DisputeRecord, type GameCall,
} from '../prover/inference/index.js';

const DEEPA = 'node_modules/openwakeword-js/models/hello_deepa.onnx';
const CLAIM_BOND = parseEther('1');
const CHALLENGE_BOND = parseEther('0.4');
const WINDOW = 3_600n;
const MAX_CLOCK = 1_800n;
/** hello_deepa's K = 2400 Gemm (75 blocks) goes through the accumulator bisection; the MLP's (1 block) does not. */
const MAX_WHOLE_BLOCKS = 2;

let anvil: AnvilNode;
let accounts: L1Clients[];
let verifier: Address;
let mlp: IntModel;
let deepa: IntModel;

/** Gas rows: "call (context)" -> eth_estimateGas of every such call sent. */
const gas = new Map<string, number[]>();
let gasContext = '';
/** Per dispute (game/disputeId): the sum of its moves' estimates after the challenge, labelled by the context of its first move. */
const disputeGas = new Map<string, { label: string; total: number; calls: number }>();
const DISPUTE_CALLS: readonly string[] = ['bisect', 'openLeaf', 'postAccumulator', 'check', 'checkInput', 'timeout'];

/** The game with every sent call's eth_estimateGas recorded first (in the table under `gasContext`). */
class MeteredGame extends InferenceGameContract {
  override async send(call: GameCall): Promise<{ receipt: TransactionReceipt; result: bigint | undefined }> {
    let estimate: bigint | undefined;
    let label: string = call.fn;
    // A move on a real chain comes at least a second after the last one, so the clock fields it
    // writes change; anvil estimates at the latest block's timestamp, about 2k gas lower when the
    // move would land in the same second.
    if (DISPUTE_CALLS.includes(call.fn)) await advance(1n);
    try {
      estimate = await this.estimateGas(call);
      if (call.fn === 'bisect' || call.fn === 'openLeaf' || call.fn === 'postAccumulator') {
        // The claimant's half of a round stores the pending values, the challenger's clears them.
        const d = await this.dispute(call.args[0]);
        label = `${call.fn} ${d.turn === CLAIMANT ? 'claimant' : 'challenger'}`;
      }
      if (gasContext && ['post', 'challenge', 'bisect', 'openLeaf', 'postAccumulator', 'check'].includes(call.fn)) label += ` (${gasContext})`;
    } catch {
      // The send below reverts with the typed error.
    }
    const r = await super.send(call);
    if (estimate !== undefined) {
      const key = label;
      gas.set(key, [...(gas.get(key) ?? []), Number(estimate)]);
      if (DISPUTE_CALLS.includes(call.fn)) {
        const id = `${this.address}/${String(call.args[0])}`;
        const t = disputeGas.get(id) ?? { label: gasContext, total: 0, calls: 0 };
        disputeGas.set(id, { label: t.label, total: t.total + Number(estimate), calls: t.calls + 1 });
      }
    }
    return r;
  }
}

interface Game {
  readonly address: Address;
  readonly registrar: MeteredGame;
  readonly alice: MeteredGame;
  readonly bob: MeteredGame;
  readonly carol: MeteredGame;
}

async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function advance(seconds: bigint): Promise<void> {
  await rpc('evm_increaseTime', [Number(seconds)]);
  await rpc('evm_mine', []);
}

async function deployGame(models: readonly IntModel[]): Promise<Game> {
  const { address } = await deployContract(accounts[0], contractArtifact('InferenceGame'), [verifier, accounts[0].wallet.account.address, CLAIM_BOND, CHALLENGE_BOND, WINDOW, MAX_CLOCK, MAX_WHOLE_BLOCKS]);
  const at = (i: number): MeteredGame => new MeteredGame(accounts[i], address);
  const g = { address, registrar: at(0), alice: at(1), bob: at(2), carol: at(3) };
  gasContext = '';
  for (const m of models) await g.registrar.send(registerModelCall(m));
  return g;
}

/** The revert's custom error name (InferenceGameRevert), or a failure if the promise resolved. */
async function revertOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InferenceGameRevert) return e.errorName;
    throw e;
  }
  throw new Error('expected a revert');
}

const inputOf = (m: IntModel, i: number): Int8Array => defaultCorpus(m, 12, 23)[3 + i];

/** A copy of `ev` with value `v` byte `e` changed (and, when given, the same byte of the values in `alsoIn`, e.g. a reshape of it). */
function tampered(ev: Evaluation, v: number, e: number, alsoIn: readonly number[] = []): Evaluation {
  const values = ev.values.map((t, u) => {
    if (u !== v && !alsoIn.includes(u)) return t;
    const data = t.data.slice();
    data[e] = data[e] === 7 ? 8 : 7;
    return { shape: t.shape, data };
  });
  return { values, output: values[values.length - 1] };
}

async function balance(a: Address): Promise<bigint> {
  return accounts[0].public.getBalance({ address: a });
}

/** Withdraw through `game`'s wallet: the amount credited arrives, less the fee; the credit is gone. */
async function withdrawAll(game: MeteredGame, expected: bigint): Promise<void> {
  const who = game.account;
  expect(await game.credit(who)).toBe(expected);
  const before = await balance(who);
  const { receipt } = await game.send({ fn: 'withdraw', args: [] });
  expect((await balance(who)) - before).toBe(expected - receipt.gasUsed * receipt.effectiveGasPrice);
  expect(await game.credit(who)).toBe(0n);
  expect(await revertOf(game.send({ fn: 'withdraw', args: [] }))).toBe('NoCredit');
}

/** Phases the dispute passed through, read from its Moved events. */
async function phasesMoved(game: Game, disputeId: bigint): Promise<string[]> {
  const logs = await accounts[0].public.getContractEvents({ address: game.address, abi: INFERENCE_GAME_ABI, eventName: 'Moved', args: { disputeId }, fromBlock: 0n });
  return [...new Set(logs.map((l) => PHASES[l.args.phase ?? 0]))];
}

async function finished(game: MeteredGame, disputeId: bigint): Promise<DisputeRecord> {
  const d = await game.dispute(disputeId);
  expect(['ClaimantWon', 'ChallengerWon']).toContain(d.phase);
  return d;
}

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague', gasLimit: 200_000_000n });
  accounts = [0, 1, 2, 3].map((i) => l1Clients(anvil.rpcUrl, anvil.privateKeys[i]!, { pollingIntervalMs: 50 }));
  verifier = (await deployContract(accounts[0], contractArtifact('InferenceChunkVerifier'))).address;
  mlp = (await quantizeOnnx(buildFloatMlp(), Array.from({ length: 48 }, (_, i) => seededReals(100 + i, MLP_INPUT, 2)))).model;
  deepa = (await quantizeOnnx(new Uint8Array(readFileSync(DEEPA)), Array.from({ length: 12 }, (_, i) => seededReals(300 + i, 2400, 3)))).model;
}, 300_000);

afterAll(async () => {
  await anvil?.stop();
  const rows = [...gas.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([k, g]) => `  ${k.padEnd(52)} ${String(Math.min(...g)).padStart(9)} ${String(Math.max(...g)).padStart(9)}  (${g.length})`);
  console.log(`InferenceGame gas per call (eth_estimateGas incl. 21000 + calldata; min, max, count):\n${rows.join('\n')}`);
  const totals = [...disputeGas.values()].map((t) => `  ${t.label.padEnd(40)} ${String(t.total).padStart(9)}  (${t.calls} calls)`);
  console.log(`InferenceGame gas per dispute, the moves after the challenge:\n${totals.join('\n')}`);
});

describe('prover/inference ABI', () => {
  it('the hand-written ABI matches the compiled InferenceGame (every function, event and error, outputs included) and the verifier errors', () => {
    type Param = { type: string; components?: readonly Param[] };
    const ty = (p: Param): string => (p.components ? `(${p.components.map(ty).join(',')})${p.type.slice('tuple'.length)}` : p.type);
    const sig = (e: Abi[number]): string => {
      if (e.type === 'function') return `function ${e.name}(${e.inputs.map(ty).join(',')}) ${e.stateMutability} returns (${e.outputs.map(ty).join(',')})`;
      if (e.type === 'event') return `event ${e.name}(${e.inputs.map((i) => `${ty(i)}${i.indexed ? ' indexed' : ''}`).join(',')})`;
      if (e.type === 'error') return `error ${e.name}(${e.inputs.map(ty).join(',')})`;
      return e.type;
    };
    const compiled = [...contractArtifact('InferenceGame').abi, ...contractArtifact('InferenceChunkVerifier').abi.filter((e) => e.type === 'error')]
      .filter((e) => e.type !== 'constructor').map(sig).sort();
    expect(INFERENCE_GAME_ABI.map(sig).sort()).toEqual([...new Set(compiled)]);
  });
});

describe('InferenceGame: models and unchallenged claims', () => {
  it('registers a model; an honest claim nobody challenges is final only after the window, and its bond comes back', async () => {
    const game = await deployGame([]);
    const call = registerModelCall(mlp);
    expect(await revertOf(game.alice.send(call))).toBe('NotRegistrar');
    gasContext = 'MLP';
    await game.registrar.send(call);
    const rec = await game.alice.model(bytesToHex(modelId(mlp)));
    const mc = commitModel(mlp);
    expect(rec.nodeCount).toBe(mlp.nodes.length);
    expect(rec.commitment).toBe(bytesToHex(modelCommitment(mlp.nodes.length, mc.attrsRoot)));
    expect(await revertOf(game.registrar.send(call))).toBe('ModelAlreadyRegistered');
    expect(rec.gas).toBe(inferenceGas(mlp));
    expect(rec.inputSize).toBe(size(mlp.inputShape));
    if (call.fn !== 'registerModel') throw new Error('registerModelCall');
    const deepaCall = registerModelCall(deepa);
    if (deepaCall.fn !== 'registerModel') throw new Error('registerModelCall');
    expect(await revertOf(game.registrar.send({ fn: 'registerModel', args: [deepaCall.args[0], deepaCall.args[1], deepaCall.args[2], deepaCall.args[3], 0n] }))).toBe('BadConfig');

    const ev = evaluate(mlp, inputOf(mlp, 0));
    const honest = new InferencePlayer(game.alice, mlp, ev);
    const post = await honest.postCall();
    if (post.fn !== 'post') throw new Error('postCall');
    expect(await revertOf(game.alice.send({ ...post, value: CLAIM_BOND - 1n }))).toBe('IncorrectBond');
    const unknown = registerModelCall(deepa).args[0] as Hex;
    expect(await revertOf(game.alice.send({ ...post, args: [unknown, post.args[1], post.args[2], post.args[3], post.args[4]] }))).toBe('UnknownModel');
    // Another output than the trace's last leaf.
    const wrongOut = ev.output.data.slice();
    wrongOut[0] ^= 1;
    expect(await revertOf(game.alice.send({ ...post, args: [post.args[0], post.args[1], bytesToHex(new Uint8Array(wrongOut.buffer)), post.args[3], post.args[4]] }))).toBe('BadOutputLeaf');
    expect(await revertOf(game.alice.send({ ...post, args: [post.args[0], post.args[1], '0x00', post.args[3], post.args[4]] }))).toBe('OutputMismatch');

    const claimId = await honest.post();
    expect(claimId).toBe(0n);
    const c = await game.alice.claim(claimId);
    expect(c.outputHash).toBe(bytesToHex(keccak256(new Uint8Array(ev.output.data.buffer))));
    expect(c.inputHash).toBe(inputHashOf(inputOf(mlp, 0)));
    // A second claim of the same (model, input), by anyone, while this one stands.
    expect(await revertOf(new InferencePlayer(game.bob, mlp, ev).post())).toBe('ClaimExists');
    expect(await game.alice.finalOutput(honest.modelId, honest.inputHash)).toEqual({ final: false, outputHash: `0x${'0'.repeat(64)}` });
    expect(await game.alice.isFinal(claimId)).toBe(false);
    expect(await revertOf(game.alice.send({ fn: 'releaseBond', args: [claimId] }))).toBe('NotFinal');
    expect(await revertOf(game.alice.send({ fn: 'releaseBond', args: [5n] }))).toBe('UnknownClaim');
    expect(await revertOf(game.alice.isFinal(5n))).toBe('UnknownClaim');

    await advance(WINDOW + 1n);
    expect(await game.bob.finalOutput(honest.modelId, honest.inputHash)).toEqual({ final: true, outputHash: bytesToHex(outputHash(ev.output)) });
    // Another input of the same model has no final output.
    expect((await game.bob.finalOutput(honest.modelId, inputHashOf(inputOf(mlp, 1)))).final).toBe(false);
    const liar = new InferencePlayer(game.bob, mlp, tampered(ev, 7, 3, []));
    expect(await revertOf(liar.challenge(claimId))).toBe('ChallengeWindowClosed');
    // Anyone may release a final claim's bond; it is credited to the claimant once.
    await game.carol.send({ fn: 'releaseBond', args: [claimId] });
    expect(await revertOf(game.carol.send({ fn: 'releaseBond', args: [claimId] }))).toBe('BondAlreadyReleased');
    expect(await game.carol.credit(game.carol.account)).toBe(0n);
    await withdrawAll(game.alice, CLAIM_BOND);
  });
});

/** A claimant that claims `claimed` as its input but evaluated another: it cannot open leaf 0 against the claim. */
class InputLiar extends InferencePlayer {
  override readonly inputHash: Hex;
  inputRevert: string | undefined;

  constructor(game: InferenceGameContract, model: IntModel, ev: Evaluation, claimed: Int8Array) {
    super(game, model, ev);
    this.inputHash = inputHashOf(claimed);
  }

  override async nextCall(disputeId: bigint): Promise<GameCall | null> {
    const call = await super.nextCall(disputeId);
    if (call?.fn !== 'checkInput') return call;
    // Its own input is not the claimed one: the proof it would send reverts.
    this.inputRevert = await revertOf(this.game.send(call));
    return null;
  }
}

describe('InferenceGame: disputes on the MLP', () => {
  it('a lying claimant (wrong output) loses to an honest challenger through the bisection and the one-chunk Gemm check', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 0));
    // The liar's last Gemm (node 5) is wrong in lane 4, and the Flatten after it copies the wrong byte: a consistent wrong output.
    const bad = tampered(ev, 6, 4, [7]);
    expect(outputHash(bad.output)).not.toEqual(outputHash(ev.output));
    const liar = new InferencePlayer(game.alice, mlp, bad);
    const honest = new InferencePlayer(game.bob, mlp, ev);
    gasContext = 'MLP';
    const claimId = await liar.post();
    expect(await revertOf(game.bob.send({ fn: 'challenge', args: [claimId, honest.traceRoot], value: CHALLENGE_BOND + 1n }))).toBe('IncorrectBond');
    expect(await revertOf(game.bob.send({ fn: 'challenge', args: [claimId, liar.traceRoot], value: CHALLENGE_BOND }))).toBe('SameTraceRoot');
    expect(await revertOf(game.bob.send({ fn: 'challenge', args: [9n, honest.traceRoot], value: CHALLENGE_BOND }))).toBe('UnknownClaim');
    const disputeId = await honest.challenge(claimId);
    expect(await revertOf(honest.challenge(claimId))).toBe('DuplicateChallenge');
    // The claimant moves first; the challenger and a third party may not.
    const first = await liar.nextCall(disputeId);
    expect(first?.fn).toBe('bisect');
    expect(await honest.nextCall(disputeId)).toBeNull();
    if (first?.fn !== 'bisect') throw new Error('bisect');
    expect(await revertOf(game.bob.send(first))).toBe('NotYourTurn');
    expect(await revertOf(game.carol.send(first))).toBe('NotAParty');
    expect(await revertOf(game.alice.send({ fn: 'bisect', args: [disputeId, first.args[2], first.args[1]] }))).toBe('BadChildren');
    expect(await revertOf(game.alice.send({ fn: 'postAccumulator', args: [disputeId, first.args[1]] }))).toBe('WrongPhase');
    expect(await revertOf(game.alice.send({ fn: 'timeout', args: [disputeId] }))).toBe('ClockNotExpired');

    gasContext = 'MLP Gemm K=32';
    const r = await playDispute([liar, honest], disputeId);
    expect(r.over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ChallengerWon');
    expect(d.leaf).toBe(6); // node 5, the Gemm
    expect(d.index).toBe(0n);
    expect(await phasesMoved(game, disputeId)).toEqual(['Nodes', 'Leaf']);
    expect(await revertOf(game.alice.send(first))).toBe('WrongPhase');
    const c = await game.alice.claim(claimId);
    expect(c.refuted).toBe(true);
    expect(c.openDisputes).toBe(0);
    expect(await game.alice.credit(game.alice.account)).toBe(0n);
    expect(await revertOf(game.carol.send({ fn: 'challenge', args: [claimId, bytesToHex(keccak256(Uint8Array.of(1)))], value: CHALLENGE_BOND }))).toBe('ClaimAlreadyRefuted');
    await withdrawAll(game.bob, CLAIM_BOND + CHALLENGE_BOND);
    // The refuted claim never becomes final; the honest output may now be claimed and does.
    await advance(WINDOW + 1n);
    expect((await game.alice.finalOutput(liar.modelId, liar.inputHash)).final).toBe(false);
    expect(await revertOf(game.alice.send({ fn: 'releaseBond', args: [claimId] }))).toBe('NotFinal');
    gasContext = 'MLP';
    await honest.post();
    await advance(WINDOW + 1n);
    expect(await game.alice.finalOutput(honest.modelId, honest.inputHash)).toEqual({ final: true, outputHash: honest.outputHash });
  });

  it('a lying challenger loses against an honest claimant (the LUT node), who keeps its claim and takes the challenge bond', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 1));
    const honest = new InferencePlayer(game.alice, mlp, ev);
    const liar = new InferencePlayer(game.bob, mlp, tampered(ev, 4, 17)); // node 3, the tanh table lookup
    gasContext = 'MLP';
    const claimId = await honest.post();
    const disputeId = await liar.challenge(claimId);
    gasContext = 'MLP LUT';
    expect((await playDispute([honest, liar], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ClaimantWon');
    expect(d.leaf).toBe(4);
    const c = await game.alice.claim(claimId);
    expect(c.refuted).toBe(false);
    expect(c.openDisputes).toBe(0);
    expect(await game.alice.credit(game.bob.account)).toBe(0n);
    await advance(WINDOW + 1n);
    expect(await game.alice.finalOutput(honest.modelId, honest.inputHash)).toEqual({ final: true, outputHash: honest.outputHash });
    gasContext = '';
    await game.alice.send({ fn: 'releaseBond', args: [claimId] });
    await withdrawAll(game.alice, CLAIM_BOND + CHALLENGE_BOND);
  });

  it('a claim challenged at the end of its window is not final while the dispute runs past it, and is once the claimant wins', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 8));
    const honest = new InferencePlayer(game.alice, mlp, ev);
    const liar = new InferencePlayer(game.bob, mlp, tampered(ev, 3, 1)); // node 2, the second Gemm
    gasContext = 'MLP';
    const claimId = await honest.post();
    await advance(WINDOW - 30n);
    const disputeId = await liar.challenge(claimId);
    await advance(60n);
    expect(await game.carol.isFinal(claimId)).toBe(false);
    expect((await game.carol.finalOutput(honest.modelId, honest.inputHash)).final).toBe(false);
    expect(await revertOf(game.carol.send({ fn: 'releaseBond', args: [claimId] }))).toBe('NotFinal');
    gasContext = 'MLP Gemm K=32 (node 2)';
    expect((await playDispute([honest, liar], disputeId)).over).toBe(true);
    expect((await finished(game.alice, disputeId)).phase).toBe('ClaimantWon');
    expect(await game.carol.finalOutput(honest.modelId, honest.inputHash)).toEqual({ final: true, outputHash: honest.outputHash });
    gasContext = '';
    await game.carol.send({ fn: 'releaseBond', args: [claimId] });
    // The player withdraws its whole credit: its bond back and the liar's.
    const before = await balance(game.alice.account);
    expect(await honest.withdraw()).toBe(CLAIM_BOND + CHALLENGE_BOND);
    expect(await balance(game.alice.account)).toBeGreaterThan(before + CLAIM_BOND + CHALLENGE_BOND - parseEther('0.01'));
    expect(await honest.withdraw()).toBe(0n);
    expect(await liar.withdraw()).toBe(0n);
  });

  it('with two challengers, the first to win takes the claim bond, a second winner its own bond back', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 2));
    const liar = new InferencePlayer(game.alice, mlp, tampered(ev, 1, 9)); // node 0, the first Gemm (K = 16)
    const honestB = new InferencePlayer(game.bob, mlp, ev);
    const otherLiar = new InferencePlayer(game.carol, mlp, tampered(ev, 2, 9));
    gasContext = 'MLP';
    const claimId = await liar.post();
    const d1 = await honestB.challenge(claimId);
    // Carol's trace is wrong too (node 1), but it differs from the claim's first at node 0, where the claim is wrong.
    const d2 = await otherLiar.challenge(claimId);
    gasContext = 'MLP Gemm K=16';
    expect((await playDispute([liar, honestB], d1)).over).toBe(true);
    expect((await finished(game.alice, d1)).phase).toBe('ChallengerWon');
    expect((await game.alice.claim(claimId)).openDisputes).toBe(1);
    expect((await playDispute([liar, otherLiar], d2)).over).toBe(true);
    expect((await finished(game.alice, d2)).phase).toBe('ChallengerWon');
    expect(await game.alice.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);
    expect(await game.alice.credit(game.carol.account)).toBe(CHALLENGE_BOND);
    expect(await game.alice.credit(game.alice.account)).toBe(0n);
  });

  it('a leaf opened with the wrong shape is settled by a witness of the right one (Header)', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 5));
    // The liar's Relu output (value 2) claims shape [32, 1]; Relu keeps its input's [1, 32].
    const values = ev.values.map((t, u) => (u === 2 ? { shape: [32, 1], data: t.data } : t));
    const liar = new InferencePlayer(game.alice, mlp, { values, output: values[values.length - 1] });
    const honest = new InferencePlayer(game.bob, mlp, ev);
    gasContext = 'MLP';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    gasContext = 'MLP Header Relu';
    expect((await playDispute([liar, honest], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ChallengerWon');
    expect(d.leaf).toBe(2);
    expect(d.headerA).not.toBe(d.headerB);
    expect(await game.alice.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);
  });

  it('a claimant whose trace starts from another input than the one it claims loses at leaf 0 (Input)', async () => {
    const game = await deployGame([mlp]);
    const claimed = inputOf(mlp, 6);
    const ev = evaluate(mlp, claimed);
    const liar = new InputLiar(game.alice, mlp, evaluate(mlp, inputOf(mlp, 7)), claimed);
    const honest = new InferencePlayer(game.bob, mlp, ev);
    expect(liar.inputHash).toBe(honest.inputHash);
    gasContext = 'MLP';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    gasContext = 'MLP Input';
    expect((await playDispute([liar, honest], disputeId)).over).toBe(true);
    expect(liar.inputRevert).toBe('InputMismatch');
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ChallengerWon');
    expect(d.leaf).toBe(0);
    expect(await game.alice.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);
  });

  it('a silent claimant loses on its clock, and so does a silent challenger', async () => {
    const game = await deployGame([mlp]);
    const ev = evaluate(mlp, inputOf(mlp, 3));
    const liar = new InferencePlayer(game.alice, mlp, tampered(ev, 7, 0, [6]));
    const honest = new InferencePlayer(game.bob, mlp, ev);
    gasContext = 'MLP';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    gasContext = 'MLP silent claimant';
    expect(await revertOf(game.bob.send({ fn: 'timeout', args: [disputeId] }))).toBe('ClockNotExpired');
    expect(await honest.nextCall(disputeId)).toBeNull();
    await advance(MAX_CLOCK + 1n);
    expect(await game.bob.used(disputeId, CLAIMANT)).toBeGreaterThan(MAX_CLOCK);
    expect(await game.bob.used(disputeId, CHALLENGER)).toBe(0n);
    // Too late to move; the challenger's player claims the timeout by itself.
    const late = await liar.nextCall(disputeId);
    if (late === null) throw new Error('the claimant had a move');
    expect(await revertOf(game.alice.send(late))).toBe('ClockTimeExceeded');
    expect((await honest.nextCall(disputeId))?.fn).toBe('timeout');
    expect(await honest.act(disputeId)).toBe(true);
    expect((await finished(game.bob, disputeId)).phase).toBe('ChallengerWon');
    expect(await game.bob.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);

    // An honest claimant answers; the lying challenger then stays silent.
    const ev2 = evaluate(mlp, inputOf(mlp, 4));
    const claimant = new InferencePlayer(game.carol, mlp, ev2);
    const silent = new InferencePlayer(game.alice, mlp, tampered(ev2, 3, 2));
    const claim2 = await claimant.post();
    const dispute2 = await silent.challenge(claim2);
    gasContext = 'MLP silent challenger';
    expect(await claimant.act(dispute2)).toBe(true);
    expect(await claimant.nextCall(dispute2)).toBeNull();
    await advance(MAX_CLOCK / 2n);
    expect(await revertOf(game.carol.send({ fn: 'timeout', args: [dispute2] }))).toBe('ClockNotExpired');
    await advance(MAX_CLOCK / 2n + 1n);
    expect(await claimant.act(dispute2)).toBe(true);
    expect((await finished(game.carol, dispute2)).phase).toBe('ClaimantWon');
    expect(await game.carol.credit(game.carol.account)).toBe(CHALLENGE_BOND);
    expect(await revertOf(game.carol.send({ fn: 'timeout', args: [dispute2] }))).toBe('WrongPhase');
    expect(await revertOf(game.carol.send({ fn: 'timeout', args: [7n] }))).toBe('UnknownDispute');
  });
});

/** A liar whose accumulator claims are off from block `from` on (its Gemm output is wrong, and it says so consistently). */
class AccumulatorLiar extends InferencePlayer {
  constructor(game: InferenceGameContract, model: IntModel, ev: Evaluation, private readonly from: number) {
    super(game, model, ev);
  }

  override async nextCall(disputeId: bigint): Promise<GameCall | null> {
    const call = await super.nextCall(disputeId);
    if (call?.fn !== 'postAccumulator') return call;
    const d = await this.game.dispute(disputeId);
    if (Math.floor((d.lo + d.hi) / 2) < this.from) return call;
    const wrong = keccak256(new TextEncoder().encode(`acc ${d.lo} ${d.hi}`));
    return { fn: 'postAccumulator', args: [disputeId, bytesToHex(wrong)] };
  }
}

describe('InferenceGame: disputes on hello_deepa', () => {
  it('a lying claimant about the 2400-element Flatten loses through 7 levels of chunk bisection', async () => {
    const game = await deployGame([deepa]);
    const ev = evaluate(deepa, inputOf(deepa, 0));
    const liar = new InferencePlayer(game.alice, deepa, tampered(ev, 1, 2000));
    const honest = new InferencePlayer(game.bob, deepa, ev);
    gasContext = 'hello_deepa';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    gasContext = 'hello_deepa Reshape';
    expect((await playDispute([liar, honest], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ChallengerWon');
    expect(d.leaf).toBe(1);
    expect(d.chunks).toBe(75);
    expect(d.index).toBe(BigInt(Math.floor(2000 / 32)));
    expect(await phasesMoved(game, disputeId)).toEqual(['Nodes', 'Leaf', 'Chunks']);
  });

  it('a lying challenger about the K = 2400 Gemm loses through the accumulator bisection and a one-block check', async () => {
    const game = await deployGame([deepa]);
    const ev = evaluate(deepa, inputOf(deepa, 1));
    const honest = new InferencePlayer(game.alice, deepa, ev);
    const liar = new InferencePlayer(game.bob, deepa, tampered(ev, 2, 5));
    const kbs = gemmBlocks(deepa, 1);
    expect(kbs).toBe(75);
    gasContext = 'hello_deepa';
    const claimId = await honest.post();
    const disputeId = await liar.challenge(claimId);
    gasContext = 'hello_deepa Gemm K=2400 1 block';
    expect((await playDispute([honest, liar], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ClaimantWon');
    expect(d.leaf).toBe(2);
    expect(d.kbs).toBe(kbs);
    // The liar's accumulators are right (only its output chunk is not): agreed up to the last block.
    expect([d.lo, d.hi]).toEqual([kbs - 1, kbs]);
    expect(await phasesMoved(game, disputeId)).toEqual(['Nodes', 'Leaf', 'Acc']);
    expect(await game.alice.credit(game.alice.account)).toBe(CHALLENGE_BOND);
  });

  it('a lying claimant whose accumulators go wrong from block 20 loses at the first block it lied about', async () => {
    const game = await deployGame([deepa]);
    const ev = evaluate(deepa, inputOf(deepa, 2));
    const liar = new AccumulatorLiar(game.alice, deepa, tampered(ev, 2, 30), 20);
    const honest = new InferencePlayer(game.bob, deepa, ev);
    gasContext = 'hello_deepa';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    gasContext = 'hello_deepa Gemm K=2400 1 block';
    expect((await playDispute([liar, honest], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.phase).toBe('ChallengerWon');
    // Probes 37 (wrong), 18 (agreed), 27, 22, 20 (wrong), 19 (agreed): the check is block 19 → 20.
    expect([d.lo, d.hi]).toEqual([19, 20]);
    expect(await game.alice.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);
  });
});

describe('IInferenceResults', () => {
  it('InferenceGame answers a step verifier through the interface: each model\'s inference gas and input size, and final outputs', async () => {
    const game = await deployGame([mlp, deepa]);
    const iface = contractNamed(compiledContracts(), 'IInferenceResults').abi;
    const read = async (functionName: 'inferenceOf' | 'finalOutput', args: readonly Hex[]): Promise<readonly unknown[]> =>
      (await accounts[3].public.readContract({ address: game.address, abi: iface, functionName, args })) as readonly unknown[];
    for (const m of [mlp, deepa]) {
      const id = bytesToHex(modelId(m));
      // Gas by ai/gas.ts, which the precompile charges; hello_deepa's is dominated by its K = 2400 Gemm.
      expect(await read('inferenceOf', [id])).toEqual([true, inferenceGas(m), BigInt(size(m.inputShape))]);
      expect(await game.carol.inferenceOf(id)).toEqual({ registered: true, gas: inferenceGas(m), inputSize: BigInt(size(m.inputShape)) });
    }
    expect(inferenceGas(deepa)).not.toBe(inferenceGas(mlp));
    expect(await read('inferenceOf', [bytesToHex(keccak256(Uint8Array.of(9)))])).toEqual([false, 0n, 0n]);

    const ev = evaluate(deepa, inputOf(deepa, 3));
    const honest = new InferencePlayer(game.alice, deepa, ev);
    gasContext = 'hello_deepa';
    await honest.post();
    expect(await read('finalOutput', [honest.modelId, honest.inputHash])).toEqual([false, `0x${'0'.repeat(64)}`]);
    await advance(WINDOW + 1n);
    expect(await read('finalOutput', [honest.modelId, honest.inputHash])).toEqual([true, bytesToHex(outputHash(ev.output))]);
  });
});

describe('InferenceGame: a Reshape shape is committed', () => {
  // A Reshape's target shape is in its attributes (root1 = keccak256(u8 rank ‖ u32 dims…)), so a
  // leaf opened with another shape of the same element count does not verify: a claimant that
  // reshapes hello_deepa's input to [2400, 1] (and says anything after it) loses at that leaf.
  it('a claimant lying about a Reshape shape (and everything after it) loses to an honest challenger', async () => {
    const game = await deployGame([deepa]);
    const ev = evaluate(deepa, inputOf(deepa, 4));
    const last = ev.values.length - 1;
    const values = ev.values.map((t, u) => (u === 1 ? { shape: [2400, 1], data: t.data } : u === last ? { shape: t.shape, data: t.data.map((x) => (x === 5 ? 6 : 5)) } : t));
    const liar = new InferencePlayer(game.alice, deepa, { values, output: values[last] });
    const honest = new InferencePlayer(game.bob, deepa, ev);
    expect(liar.outputHash).not.toBe(honest.outputHash);
    gasContext = 'hello_deepa Header Reshape';
    const claimId = await liar.post();
    const disputeId = await honest.challenge(claimId);
    expect((await playDispute([liar, honest], disputeId)).over).toBe(true);
    const d = await finished(game.alice, disputeId);
    expect(d.leaf).toBe(1);
    expect(await phasesMoved(game, disputeId)).toEqual(['Nodes', 'Leaf']);
    expect(d.headerA).not.toBe(d.headerB);
    expect(d.phase).toBe('ChallengerWon');
    expect(await game.alice.credit(game.bob.account)).toBe(CLAIM_BOND + CHALLENGE_BOND);
    // The liar's own witness of that leaf is rejected by both checkers.
    const w = chunkWitness(deepa, { values, output: values[last] }, 0, 0, { trace: liar.trace });
    expect(() => verifyChunk(w)).toThrow(ChunkWitnessError);
    const onChain = accounts[0].public.readContract({ address: verifier, abi: contractArtifact('InferenceChunkVerifier').abi, functionName: 'verifyChunk', args: [toSolidityWitness(w)] });
    await expect(onChain).rejects.toThrow(/ShapeMismatch/);
  });
});
