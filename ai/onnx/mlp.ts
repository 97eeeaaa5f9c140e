// A small float MLP written as ONNX, so tests and benchmarks own a float model without downloads:
// x[1,16] → Gemm(32) → Relu → h1; h1 → Gemm(32) → Tanh → h2; Add(h1, h2) → MatMul(10) + bias →
// Flatten → logits[1,10]. Weights come from a seeded generator (deterministic).
import { DT, node, writeModel, type OnnxTensor } from './onnx.js';

export const MLP_INPUT = 16;
export const MLP_OUTPUT = 10;

export function seededReals(seed: number, n: number, amplitude = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * amplitude;
  }
  return out;
}

export function buildFloatMlp(seed = 7): Uint8Array {
  const t = (name: string, dims: number[], amp: number, k: number): OnnxTensor => ({
    name, dataType: DT.FLOAT, dims, data: seededReals(seed * 31 + k, dims.reduce((a, b) => a * b, 1), amp),
  });
  const inits = [
    t('w1', [32, MLP_INPUT], 0.35, 1), t('b1', [32], 0.1, 2),
    t('w2', [32, 32], 0.25, 3), t('b2', [32], 0.1, 4),
    t('w3', [32, MLP_OUTPUT], 0.3, 5), t('b3', [MLP_OUTPUT], 0.1, 6),
    { name: 'shape', dataType: DT.INT64, dims: [2], data: Float64Array.of(1, -1) },
  ];
  const transB = { transB: { kind: 'int', value: 1 } } as const;
  return writeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    graph: {
      name: 'mlp',
      nodes: [
        node('Gemm', ['x', 'w1', 'b1'], ['g1'], transB),
        node('Relu', ['g1'], ['h1']),
        node('Gemm', ['h1', 'w2', 'b2'], ['g2'], transB),
        node('Tanh', ['g2'], ['h2']),
        node('Add', ['h1', 'h2'], ['h3']),
        node('MatMul', ['h3', 'w3'], ['m3']),
        node('Add', ['m3', 'b3'], ['a3']),
        node('Reshape', ['a3', 'shape'], ['logits']),
      ],
      initializers: inits,
      inputs: [{ name: 'x', elemType: DT.FLOAT, shape: [1, MLP_INPUT] }],
      outputs: [{ name: 'logits', elemType: DT.FLOAT, shape: [1, MLP_OUTPUT] }],
    },
  });
}
