// The ONNX reader on the real hello_deepa model, our quantiser on it and on the project MLP,
// onnxruntime vs the reference on every node output for a corpus, and the trace commitment.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModel, writeModel } from '../ai/onnx/onnx.js';
import { buildFloatMlp, MLP_INPUT, MLP_OUTPUT, seededReals } from '../ai/onnx/mlp.js';
import { quantizeOnnx, runFloat, type QuantizeResult } from '../ai/quantize.js';
import { encodeModel, modelId } from '../ai/model.js';
import { evaluate } from '../ai/reference.js';
import { checkFastPath, defaultCorpus, FastPath, firstMismatch } from '../ai/fast-path.js';
import { commitTrace, merkleRoot, nodeLeaf, tensorChunks, tensorRoot } from '../ai/trace.js';
import { keccak256 } from '../vm/util/hash.js';

const DEEPA = 'node_modules/openwakeword-js/models/hello_deepa.onnx';
const deepaCal = (): Float32Array[] => Array.from({ length: 12 }, (_, i) => seededReals(300 + i, 2400, 3));
const mlpCal = (): Float32Array[] => Array.from({ length: 48 }, (_, i) => seededReals(100 + i, MLP_INPUT, 2));

describe('ONNX reader', () => {
  it('reads hello_deepa: 29 nodes, Gemm/Relu/Sigmoid and the layer-norm ops, 78k parameters', () => {
    const m = readModel(readFileSync(DEEPA));
    expect(m.graph.nodes).toHaveLength(29);
    const ops = m.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Gemm')).toHaveLength(3);
    expect(ops.filter((o) => o === 'ReduceMean')).toHaveLength(4);
    expect(ops[ops.length - 1]).toBe('Sigmoid');
    expect(m.graph.inputs[0].shape).toEqual([1, 25, 96]);
    const params = m.graph.initializers.reduce((a, t) => a + t.data.length, 0);
    expect(params).toBeGreaterThan(78_000);
    expect(params).toBeLessThan(79_000);
    const w = m.graph.initializers.find((t) => t.name === 'layer1.weight');
    expect(w?.dims).toEqual([32, 2400]);
    // Constant scalars decode to their real values (the Pow exponent is 2).
    const pow = m.graph.nodes.find((n) => n.opType === 'Pow');
    const c = m.graph.nodes.find((n) => n.outputs[0] === pow?.inputs[1])?.attributes.get('value');
    expect(c?.kind === 'tensor' ? Array.from(c.value.data) : null).toEqual([2]);
  });

  it('writes what it reads', () => {
    const bytes = buildFloatMlp();
    const m = readModel(bytes);
    expect(writeModel(m)).toEqual(bytes);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Tanh', 'Add', 'MatMul', 'Add', 'Reshape']);
  });

  it('the float model our writer builds runs in onnxruntime and matches a direct computation', async () => {
    const onnx = readModel(buildFloatMlp());
    const x = seededReals(1, MLP_INPUT, 2);
    const [run] = await runFloat(onnx, [x]);
    const w1 = onnx.graph.initializers.find((t) => t.name === 'w1')!.data;
    const b1 = onnx.graph.initializers.find((t) => t.name === 'b1')!.data;
    const g1 = run.get('g1')!;
    for (let o = 0; o < 32; o++) {
      let acc = b1[o];
      for (let k = 0; k < MLP_INPUT; k++) acc += x[k] * w1[o * MLP_INPUT + k];
      expect(g1[o]).toBeCloseTo(acc, 4);
    }
    expect(run.get('logits')).toHaveLength(MLP_OUTPUT);
  });
});

describe.each([
  ['hello_deepa', () => new Uint8Array(readFileSync(DEEPA)), deepaCal, 9],
  ['project MLP', () => buildFloatMlp(), mlpCal, 7],
] as const)('%s quantised', (name, load, cal, nodeCount) => {
  let q: QuantizeResult;
  beforeAll(async () => {
    q = await quantizeOnnx(load(), cal());
  });

  it('converts every float op and loses little accuracy', () => {
    expect(q.model.nodes).toHaveLength(nodeCount);
    const range = q.report.outputRange[1] - q.report.outputRange[0];
    expect(q.report.maxAbsError).toBeLessThan(0.05 * Math.max(range, 1));
    expect(q.report.meanAbsError).toBeLessThan(0.02 * Math.max(range, 1));
    if (name === 'project MLP') expect(q.report.top1Agreement).toBeGreaterThanOrEqual(0.9);
    else expect(q.report.top1Agreement).toBeNull();
    // 7-bit weights everywhere (AVX2 without VNNI saturates on full-range int8).
    for (const n of q.model.nodes) if (n.op === 'gemm' || n.op === 'layernorm') {
      const w = n.op === 'gemm' ? n.weights : n.gamma;
      expect(Math.max(...w)).toBeLessThanOrEqual(63);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(-64);
    }
  });

  it('quantises deterministically: the same model id twice', async () => {
    const again = await quantizeOnnx(load(), cal());
    expect(encodeModel(again.model)).toEqual(encodeModel(q.model));
    expect(modelId(again.model)).toEqual(keccak256(encodeModel(q.model)));
  });

  it('onnxruntime equals the reference on every node output of a corpus', async () => {
    const corpus = defaultCorpus(q.model, 24, 42);
    const check = await checkFastPath(q.model, corpus, () => {});
    expect(check).toMatchObject({ enabled: true, samples: corpus.length });
    // And independently of checkFastPath: each node output of a fresh corpus.
    const fp = await FastPath.create(q.model);
    for (const [i, x] of defaultCorpus(q.model, 6, 77).entries()) {
      const ref = evaluate(q.model, x);
      const fast = await fp.evaluate(x);
      expect(fast.values).toHaveLength(q.model.nodes.length + 1);
      expect(firstMismatch(ref, fast, i)).toBeUndefined();
      expect(commitTrace(q.model, fast).root).toEqual(commitTrace(q.model, ref).root);
    }
    await fp.release();
  });

  it('the trace root changes when any node output changes, and only that node leaf', () => {
    const x = defaultCorpus(q.model, 1, 9)[3];
    const ev = evaluate(q.model, x);
    const base = commitTrace(q.model, ev);
    expect(base.leaves).toHaveLength(q.model.nodes.length + 1);
    for (let v = 0; v < ev.values.length; v++) {
      const data = ev.values[v].data;
      for (const j of [0, data.length - 1]) {
        data[j] ^= 1;
        const t = commitTrace(q.model, ev);
        data[j] ^= 1;
        expect(t.root).not.toEqual(base.root);
        t.leaves.forEach((leaf, i) => (i === v ? expect(leaf).not.toEqual(base.leaves[i]) : expect(leaf).toEqual(base.leaves[i])));
      }
    }
  });
});

describe('trace layout', () => {
  it('chunks tensors into zero-padded 32-byte words and hashes them as documented', () => {
    const data = Int8Array.from({ length: 70 }, (_, i) => i - 35);
    const chunks = tensorChunks(data);
    expect(chunks).toHaveLength(3);
    expect(chunks[2].slice(6)).toEqual(new Uint8Array(26));
    expect(chunks[0][0]).toBe(256 - 35);
    const l = chunks.map((c) => keccak256(c));
    const pair = (a: Uint8Array, b: Uint8Array): Uint8Array => keccak256(Uint8Array.from([...a, ...b]));
    expect(tensorRoot(data)).toEqual(pair(pair(l[0], l[1]), pair(l[2], new Uint8Array(32))));
    expect(merkleRoot([l[0]])).toEqual(l[0]);
    const leaf = nodeLeaf(3, 1, new Uint8Array(32).fill(7), { shape: [1, 70], data });
    const pre = Uint8Array.from([0, 0, 0, 3, 1, ...new Uint8Array(32).fill(7), 2, 0, 0, 0, 1, 0, 0, 0, 70, ...tensorRoot(data)]);
    expect(leaf).toEqual(keccak256(pre));
  });
});
