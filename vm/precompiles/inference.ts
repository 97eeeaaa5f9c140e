// MetisVM's deterministic inference precompile (issue 8; the semantics are ai/DESIGN.md's exact
// integer evaluator). Input: a 32-byte model id (keccak256 of the model's canonical encoding,
// registered in the chain's model store) followed by the int8 input tensor, one byte per element.
// Output: the int8 output tensor. Gas: ai/gas.ts inferenceGas(model), charged before running.
import type { IntModel } from '../../ai/model.js';
import { inferenceGas } from '../../ai/gas.js';
import { evaluate } from '../../ai/reference.js';
import { ModelFormatError, size } from '../../ai/model.js';
import { bytesToHex, type Hex } from '../util/bytes.js';
import type { Address } from '../util/address.js';

/** Where chains that enable it put the inference precompile. */
export const INFERENCE_PRECOMPILE: Address = '0x0000000000000000000000000000000000000a10';

export interface InferenceConfig {
  readonly address: Address;
  /** Registered models by 0x-hex model id (a Map, or a committed store). */
  readonly models: { get(id: Hex): IntModel | undefined };
}

/** One run of the inference precompile: what the L1 inference game must settle before a step at it. */
export interface InferenceCall {
  /** 0x-hex model id. */
  readonly model: Hex;
  /** The int8 input tensor. */
  readonly input: Int8Array;
}

export type InferenceOutcome = { readonly ok: true; readonly gasUsed: number; readonly output: Uint8Array } | { readonly ok: false; readonly reason: string };

export function runInference(config: InferenceConfig, input: Uint8Array, gas: number): InferenceOutcome {
  if (input.length < 32) return { ok: false, reason: 'input shorter than a model id' };
  const id = bytesToHex(input.subarray(0, 32));
  const model = config.models.get(id);
  if (model === undefined) return { ok: false, reason: `model ${id} is not registered` };
  const cost = inferenceGas(model);
  if (BigInt(gas) < cost) return { ok: false, reason: 'out of gas' };
  const tensor = new Int8Array(input.buffer, input.byteOffset + 32, input.length - 32);
  if (tensor.length !== size(model.inputShape)) return { ok: false, reason: `input tensor has ${tensor.length} elements, the model takes ${size(model.inputShape)}` };
  try {
    const out = evaluate(model, Int8Array.from(tensor)).output.data;
    return { ok: true, gasUsed: Number(cost), output: new Uint8Array(out.buffer, out.byteOffset, out.length).slice() };
  } catch (e) {
    if (e instanceof ModelFormatError) return { ok: false, reason: e.message };
    throw e;
  }
}
