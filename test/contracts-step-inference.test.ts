// A call of the inference precompile (0x…0a10) proven on L1 (contracts/src/MetisCallStep.sol):
// the step verifier reads the model's gas and input size and the final output from the L1
// inference game (contracts/src/InferenceGame.sol, through IInferenceResults) instead of running
// the model, and must give the commitment the TypeScript reference computes by running it. On a
// real anvil with the real game: before a claim settles the step reverts InferenceNotFinal;
// after the window it is proven; every failure of the precompile (short input, unknown model,
// too little gas, wrong input size) is proven as the reference fails it; a model the L1 game
// does not know reverts ModelNotOnL1; the output is a preimage the witness must carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEther, type Hex } from 'viem';
import { inferenceGas } from '../ai/gas.js';
import { modelId, type IntModel } from '../ai/model.js';
import { buildFloatMlp, seededReals, MLP_INPUT } from '../ai/onnx/mlp.js';
import { quantizeInput, quantizeOnnx } from '../ai/quantize.js';
import { evaluate } from '../ai/reference.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployContract } from '../contracts/deploy.js';
import { InferenceGameContract, InferencePlayer, inputHashOf, registerModelCall } from '../prover/inference/index.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { WitnessState } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { stepWitness, storeFromWitness, traceTransaction, type StepTrace } from '../vm/step/trace.js';
import { bytesToHex, concatBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { startStepVerifier, type OnChainStepVerifier } from './support/onchain-step.js';
import { CONTRACT, asm, callTx, stateWith, stepBlockEnv } from './support/step-traces.js';

const WINDOW = 3_600n;

// Copies calldata to memory, STATICCALLs the precompile with it (gas from the first calldata
// word's place is not used: all gas), keeps the output in memory and returns it.
const CALLER = asm('36 6000 6000 37 6020 6000 36 6000 61 0a10 5a fa 3d 6000 6000 3e 3d 6000 f3');
// The same with a fixed gas for the call (too little for the model).
const STINGY = (gas: number) => asm(`36 6000 6000 37 6020 6000 36 6000 61 0a10 62${gas.toString(16).padStart(6, '0')} fa 3d 6000 6000 3e 3d 6000 f3`);

let v: OnChainStepVerifier;
let game: InferenceGameContract;
let mlp: IntModel;
let other: IntModel; // registered on the L2, not on L1
let input: Int8Array;

async function rpc(method: string, params: unknown[]): Promise<void> {
  const res = await fetch(v.anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
}

beforeAll(async () => {
  const corpus = Array.from({ length: 8 }, (_, i) => seededReals(100 + i, MLP_INPUT));
  mlp = (await quantizeOnnx(buildFloatMlp(), corpus)).model;
  other = (await quantizeOnnx(buildFloatMlp(8), corpus)).model;
  expect(bytesToHex(modelId(other))).not.toBe(bytesToHex(modelId(mlp)));
  input = quantizeInput(mlp, seededReals(5, MLP_INPUT));
  v = await startStepVerifier(undefined, async (clients) => {
    const verifier = (await deployContract(clients, contractArtifact('InferenceChunkVerifier'))).address;
    const args = [verifier, clients.wallet.account.address, parseEther('1'), parseEther('0.4'), WINDOW, 1_800n, 2n];
    const { address } = await deployContract(clients, contractArtifact('InferenceGame'), args);
    game = new InferenceGameContract(clients, address);
    await game.send(registerModelCall(mlp));
    return { inferenceResults: address };
  });
}, 180_000);

afterAll(async () => {
  await v?.stop();
});

/** A call of the precompile with `data`, on a chain that has `mlp` and `other` registered. */
function traceCall(code: Uint8Array, data: Uint8Array): StepTrace {
  const models = new Map<Hex, IntModel>([
    [bytesToHex(modelId(mlp)), mlp],
    [bytesToHex(modelId(other)), other],
  ]);
  const chain = { ...ethereumRules('prague'), inference: { address: INFERENCE_PRECOMPILE, models } };
  const witness = fullWitness(stateWith(code));
  return traceTransaction(storeFromWitness(witness), witness, new WorldState(new WitnessState(witness)), { ...stepBlockEnv('prague'), chain }, callTx(CONTRACT, data, 5_000_000n));
}

const tensorBytes = (t: Int8Array): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.length);

/** The call step of a trace and its witness. */
function callStep(t: StepTrace) {
  const k = t.ops.indexOf(0xfa);
  expect(k).toBeGreaterThan(0);
  return { k, w: stepWitness(t, k), post: bytesToHex(t.commitments[k + 1]!) };
}

describe('the inference precompile on L1, through the inference game', () => {
  it('reverts InferenceNotFinal until a claim of (model, input) is final; then proves the call with the settled output', async () => {
    const t = traceCall(CALLER, concatBytes(modelId(mlp), tensorBytes(input)));
    expect(t.outcome.success).toBe(true);
    const expected = evaluate(mlp, input).output.data;
    expect(bytesToHex(t.outcome.output)).toBe(bytesToHex(tensorBytes(expected)));
    const { w, post } = callStep(t);
    const out = await v.verify(w.state, w.preimages);
    expect(out).toEqual({ ok: false, error: 'InferenceNotFinal' });

    // The honest claim, unchallenged past its window.
    const player = new InferencePlayer(game, mlp, evaluate(mlp, input));
    const claimId = await player.post();
    expect(player.inputHash).toBe(inputHashOf(input));
    expect(await v.verify(w.state, w.preimages)).toEqual({ ok: false, error: 'InferenceNotFinal' });
    await rpc('evm_increaseTime', [Number(WINDOW) + 1]);
    await rpc('evm_mine', []);
    expect(await game.isFinal(claimId)).toBe(true);
    expect(await v.verify(w.state, w.preimages)).toEqual({ ok: true, post });
    process.stdout.write(`inference call step (MLP, ${input.length}-byte input): ${await v.estimateGas(w.state, w.preimages)} gas\n`);

    // The output is a preimage the witness carries: without it the step cannot be proven.
    const outHash = bytesToHex(keccak256(tensorBytes(expected)));
    const without = w.preimages.filter((p) => bytesToHex(keccak256(p)) !== outHash);
    expect(without.length).toBe(w.preimages.length - 1);
    expect(await v.verify(w.state, without)).toEqual({ ok: false, error: 'MissingPreimage' });
  }, 300_000);

  it('proves the precompile failing: a short input, an unknown model, too little gas, a wrong input size', async () => {
    const cases: [string, Uint8Array, Uint8Array][] = [
      ['a short input', CALLER, modelId(mlp).subarray(0, 31)],
      ['an unknown model', CALLER, concatBytes(keccak256(Uint8Array.of(1)), tensorBytes(input))],
      ['too little gas', STINGY(Number(inferenceGas(mlp)) - 1), concatBytes(modelId(mlp), tensorBytes(input))],
      ['a wrong input size', CALLER, concatBytes(modelId(mlp), tensorBytes(input), Uint8Array.of(0))],
    ];
    for (const [label, code, data] of cases) {
      const t = traceCall(code, data);
      expect(t.outcome.success, label).toBe(true);
      // The caller returns empty return data: the call failed.
      expect(t.outcome.output.length, label).toBe(0);
      const { w, post } = callStep(t);
      expect(await v.verify(w.state, w.preimages), label).toEqual({ ok: true, post });
    }
  }, 300_000);

  it('reverts ModelNotOnL1 for a model the L2 registered and the L1 game does not know', async () => {
    const t = traceCall(CALLER, concatBytes(modelId(other), tensorBytes(quantizeInput(other, seededReals(5, MLP_INPUT)))));
    expect(t.outcome.success).toBe(true);
    const { w } = callStep(t);
    expect(await v.verify(w.state, w.preimages)).toEqual({ ok: false, error: 'ModelNotOnL1' });
  }, 300_000);
});
