// Gas of one inference, a function of the model alone so it can be charged before running.
import { size, valueShapes, type IntModel } from './model.js';

/** Flat cost of a call (model lookup, input decoding, trace root). */
export const GAS_BASE = 20_000;
/** Per multiply-accumulate. */
export const GAS_PER_MAC = 2;
/** Per input byte (calldata-like copy into the evaluator). */
export const GAS_PER_INPUT_BYTE = 3;

/**
 * MACs: a gemm costs rows * N * K; a layernorm 4 per element (sum, square, divide, affine); every
 * other node 1 per output element (relu, add, max, lookup, reshape copy).
 */
export function macCount(m: IntModel): number {
  const shapes = valueShapes(m);
  let macs = 0;
  m.nodes.forEach((n, i) => {
    const out = size(shapes[i + 1]);
    if (n.op === 'gemm') macs += out * n.k;
    else if (n.op === 'layernorm') macs += 4 * out;
    else macs += out;
  });
  return macs;
}

/** gas = GAS_BASE + GAS_PER_MAC * macs + GAS_PER_INPUT_BYTE * inputBytes. */
export function inferenceGas(m: IntModel): bigint {
  return BigInt(GAS_BASE + GAS_PER_MAC * macCount(m) + GAS_PER_INPUT_BYTE * size(m.inputShape));
}
