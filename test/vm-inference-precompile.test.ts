// The inference precompile inside MetisVM: a transaction calls it with a registered model's id and
// an int8 input; the output is the reference evaluator's, gas is charged by the documented
// formula before running, and unknown models, wrong input sizes and too little gas fail the call.
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceGas } from '../ai/gas.js';
import { modelId, type IntModel } from '../ai/model.js';
import { buildFloatMlp, seededReals, MLP_INPUT } from '../ai/onnx/mlp.js';
import { quantizeInput, quantizeOnnx } from '../ai/quantize.js';
import { evaluate } from '../ai/reference.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { applyTransaction } from '../vm/execution/transaction.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { WorldState } from '../vm/state/world.js';
import { bytesToHex, concatBytes, type Hex } from '../vm/util/bytes.js';
import { CONTRACT, asm, callTx, stateWith, stepBlockEnv } from './support/step-traces.js';

// Copies calldata to memory, STATICCALLs the precompile with it, returns (success ‖ output).
const CALLER = asm(`
  36 6000 6000 37
  6000 6000 36 6000 61 0a10 5a fa
  6000 52
  3d 6000 6020 3e
  3d 6020 01 6000 f3`);

let model: IntModel;
let input: Int8Array;

beforeAll(async () => {
  const q = await quantizeOnnx(buildFloatMlp(), Array.from({ length: 8 }, (_, i) => seededReals(100 + i, MLP_INPUT)));
  model = q.model;
  input = quantizeInput(model, seededReals(5, MLP_INPUT));
});

function run(data: Uint8Array, gasLimit = 3_000_000n) {
  const env = stepBlockEnv('prague');
  const chain = { ...ethereumRules('prague'), inference: { address: INFERENCE_PRECOMPILE, models: new Map<Hex, IntModel>([[bytesToHex(modelId(model)), model]]) } };
  const world = new WorldState(stateWith(CALLER));
  return applyTransaction(world, { ...env, chain }, callTx(CONTRACT, data, gasLimit));
}

describe('the inference precompile', () => {
  it('returns the reference output for a registered model, charging the documented gas', () => {
    const out = run(concatBytes(modelId(model), new Uint8Array(input.buffer, input.byteOffset, input.length)));
    expect(out.success).toBe(true);
    const expected = evaluate(model, input).output.data;
    expect(bytesToHex(out.output.subarray(0, 32))).toBe('0x' + '00'.repeat(31) + '01');
    expect(bytesToHex(out.output.subarray(32))).toBe(bytesToHex(new Uint8Array(expected.buffer, expected.byteOffset, expected.length)));
    // The same call with an unknown model costs far less: the difference is the inference's gas.
    const unknown = run(concatBytes(new Uint8Array(32).fill(7), new Uint8Array(input.buffer, input.byteOffset, input.length)));
    expect(unknown.output.subarray(0, 32)[31]).toBe(0);
    expect(out.gasUsed).toBeGreaterThan(inferenceGas(model));
  });

  it('fails the call for an unknown model, a wrong input size, or too little gas', () => {
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.length);
    const cases = [concatBytes(new Uint8Array(32).fill(7), bytes), concatBytes(modelId(model), bytes.subarray(1)), new Uint8Array(10)];
    for (const data of cases) {
      const r = run(data);
      expect(r.success).toBe(true);
      expect(r.output[31]).toBe(0);
    }
    const starved = run(concatBytes(modelId(model), bytes), 21_000n + 1000n + 16n * 60n);
    expect(starved.output.length === 0 || starved.output[31] === 0).toBe(true);
  });
});

describe('the inference precompile in the step machine', () => {
  it('a traced call to it is proven step by step; the model is read as the preimage of its id', async () => {
    const { WitnessState } = await import('../vm/state/witness.js');
    const { fullWitness } = await import('../vm/step/full-witness.js');
    const { storeFromWitness, traceTransaction, stepWitness, stepCount } = await import('../vm/step/trace.js');
    const { LayeredPreimages, PreimageStore } = await import('../vm/step/preimages.js');
    const { verifyStep } = await import('../vm/step/execute.js');
    const { encodeModel } = await import('../ai/model.js');
    const env = stepBlockEnv('prague');
    const chain = { ...ethereumRules('prague'), inference: { address: INFERENCE_PRECOMPILE, models: new Map<Hex, IntModel>([[bytesToHex(modelId(model)), model]]) } };
    const witness = fullWitness(stateWith(CALLER));
    const data = concatBytes(modelId(model), new Uint8Array(input.buffer, input.byteOffset, input.length));
    const t = traceTransaction(storeFromWitness(witness), witness, new WorldState(new WitnessState(witness)), { ...env, chain }, callTx(CONTRACT, data));
    expect(t.outcome.success).toBe(true);
    const callStep = t.ops.indexOf(0xfa);
    expect(callStep).toBeGreaterThan(0);
    const enc = bytesToHex(encodeModel(model));
    for (let k = 0; k < stepCount(t); k++) {
      const w = stepWitness(t, k);
      const post = verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
      expect(bytesToHex(post), `step ${k}`).toBe(bytesToHex(t.commitments[k + 1]!));
      if (k === callStep) expect(w.preimages.map(bytesToHex)).toContain(enc);
    }
    // Without the model in the witness, the inference step cannot be proven.
    const w = stepWitness(t, callStep);
    const without = w.preimages.filter((p) => bytesToHex(p) !== enc);
    expect(() => verifyStep(t.commitments[callStep]!, w, new LayeredPreimages(PreimageStore.of(without)))).toThrow(/incomplete|not in the witness/);
  });
});
