// Disputing an inference down to one chunk (ai/dispute.ts): verifyChunk recomputes every chunk of
// every node of the project MLP and of the quantised hello_deepa model from its witness alone
// (Gemm also split into reduction blocks, whose accumulator hashes chain), tampered witnesses are
// rejected or give another chunk, and node, chunk and accumulator bisection between an honest and
// a tampered evaluation land on the tampered node and chunk.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizeOnnx } from '../ai/quantize.js';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { size, type IntModel } from '../ai/model.js';
import { evaluate, type Evaluation } from '../ai/reference.js';
import { defaultCorpus } from '../ai/fast-path.js';
import { commitTrace, leafHash, tensorChunks, type TraceCommitment } from '../ai/trace.js';
import {
  accumulatorHash, accumulatorLanes, bisectChunks, bisectClaims, bisectNodes, chunkWitness, ChunkWitnessError, gemmBlocks,
  nodeLeafProof, verifyChunk, verifyNodeLeaf, type ChunkWitness,
} from '../ai/dispute.js';

const DEEPA = 'node_modules/openwakeword-js/models/hello_deepa.onnx';

interface Case { model: IntModel; ev: Evaluation; trace: TraceCommitment }
const cases = new Map<string, Case>();

beforeAll(async () => {
  const mlp = (await quantizeOnnx(buildFloatMlp(), Array.from({ length: 48 }, (_, i) => seededReals(100 + i, MLP_INPUT, 2)))).model;
  const deepa = (await quantizeOnnx(new Uint8Array(readFileSync(DEEPA)), Array.from({ length: 12 }, (_, i) => seededReals(300 + i, 2400, 3)))).model;
  for (const [name, model] of [['mlp', mlp], ['hello_deepa', deepa]] as const) {
    const ev = evaluate(model, defaultCorpus(model, 6, 11)[5]); // a seeded random input
    cases.set(name, { model, ev, trace: commitTrace(model, ev) });
  }
});

const chunkOf = (ev: Evaluation, nodeIndex: number, c: number): Uint8Array => tensorChunks(ev.values[nodeIndex + 1].data)[c];
const chunkCount = (ev: Evaluation, nodeIndex: number): number => Math.ceil(size(ev.values[nodeIndex + 1].shape) / 32);

describe.each(['mlp', 'hello_deepa'])('%s', (name) => {
  it('verifyChunk equals the evaluator on every chunk of every node', () => {
    const { model, ev, trace } = cases.get(name)!;
    let checked = 0;
    model.nodes.forEach((n, i) => {
      for (let c = 0; c < chunkCount(ev, i); c++) {
        const w = chunkWitness(model, ev, i, c, { trace });
        expect(verifyChunk(w), `node ${i} (${n.op}) chunk ${c}`).toEqual(chunkOf(ev, i, c));
        checked++;
      }
    });
    expect(checked).toBe(model.nodes.reduce((a, _, i) => a + chunkCount(ev, i), 0));
  });

  it('Gemm checks split into reduction blocks chain through accumulator hashes to the chunk', () => {
    const { model, ev, trace } = cases.get(name)!;
    model.nodes.forEach((n, i) => {
      if (n.op !== 'gemm') return;
      const kbs = gemmBlocks(model, i);
      for (let c = 0; c < chunkCount(ev, i); c++) {
        for (let s = 0; s < kbs; s++) {
          const w = chunkWitness(model, ev, i, c, { trace, blocks: [s, s + 1] });
          expect(accumulatorHash(w.accIn)).toEqual(accumulatorHash(accumulatorLanes(model, ev, i, c, s)));
          const expected = s + 1 === kbs ? chunkOf(ev, i, c) : accumulatorHash(accumulatorLanes(model, ev, i, c, s + 1));
          expect(verifyChunk(w), `node ${i} chunk ${c} block ${s}`).toEqual(expected);
        }
      }
    });
  });

  it('node leaf proofs verify against the trace root, and only at their own index', () => {
    const { trace } = cases.get(name)!;
    trace.leaves.forEach((leaf, i) => {
      const proof = nodeLeafProof(trace, i);
      expect(verifyNodeLeaf(trace.root, i, leaf, proof)).toBe(true);
      expect(verifyNodeLeaf(trace.root, i ^ 1, leaf, proof)).toBe(false);
      expect(verifyNodeLeaf(trace.root, i, trace.leaves[(i + 1) % trace.leaves.length], proof)).toBe(false);
    });
  });

  it('bisection between an honest and a tampered evaluation lands on the tampered node and chunk', () => {
    const { model, ev, trace } = cases.get(name)!;
    model.nodes.forEach((_, k) => {
      const data = ev.values[k + 1].data;
      for (const e of [0, data.length - 1, Math.floor(data.length / 2)]) {
        const bad: Evaluation = { ...ev, values: ev.values.map((t, u) => (u === k + 1 ? { shape: t.shape, data: t.data.slice() } : t)) };
        bad.values[k + 1].data[e] ^= 0x10;
        const badTrace = commitTrace(model, bad);
        const node = bisectNodes(trace, badTrace);
        expect(node?.nodeIndex).toBe(k);
        expect(node?.rounds).toBe(Math.ceil(Math.log2(trace.leaves.length)));
        const chunk = bisectChunks(ev.values[k + 1].data, bad.values[k + 1].data);
        expect(chunk?.chunkIndex).toBe(Math.floor(e / 32));
        // The one-step check proves the honest chunk; the tampered one differs from it.
        const w = chunkWitness(model, ev, k, chunk!.chunkIndex, { trace });
        const honest = verifyChunk(w);
        expect(honest).toEqual(chunkOf(ev, k, chunk!.chunkIndex));
        expect(honest).not.toEqual(chunkOf(bad, k, chunk!.chunkIndex));
        // The tampered party's own witness (its trace root) still recomputes the honest chunk.
        const theirs = chunkWitness(model, bad, k, chunk!.chunkIndex, { trace: badTrace });
        expect(theirs.traceRoot).toEqual(badTrace.root);
        expect(verifyChunk(theirs)).toEqual(honest);
      }
    });
    expect(bisectNodes(trace, commitTrace(model, ev))).toBeNull();
  });
});

describe('accumulator bisection', () => {
  it('over the reduction blocks of hello_deepa\'s 2400-wide Gemm finds the first wrong accumulator', () => {
    const { model, ev } = cases.get('hello_deepa')!;
    const g = model.nodes.findIndex((n) => n.op === 'gemm');
    const kbs = gemmBlocks(model, g);
    expect(kbs).toBe(75);
    const honest = Array.from({ length: kbs + 1 }, (_, s) => accumulatorHash(accumulatorLanes(model, ev, g, 0, s)));
    // A party whose accumulators go wrong from block 40 on (one lane off by one).
    const bad = honest.map((h, s) => (s < 41 ? h : accumulatorHash(accumulatorLanes(model, ev, g, 0, s).map((x, l) => (l === 7 ? x + 1 : x)))));
    const r = bisectClaims(honest, bad);
    expect(r.index).toBe(41);
    expect(r.rounds).toBeLessThanOrEqual(Math.ceil(Math.log2(kbs + 1)));
    // The one-step check from the agreed accumulators of block 40 gives the honest claim 41.
    const w = chunkWitness(model, ev, g, 0, { blocks: [40, 41] });
    expect(verifyChunk(w)).toEqual(honest[41]);
    expect(verifyChunk(w)).not.toEqual(bad[41]);
  });
});

describe('tampered witnesses', () => {
  const expectRejectedOrDifferent = (w: ChunkWitness, honest: Uint8Array): void => {
    let out: Uint8Array | undefined;
    try {
      out = verifyChunk(w);
    } catch (e) {
      expect(e).toBeInstanceOf(ChunkWitnessError);
      return;
    }
    expect(out).not.toEqual(honest);
  };
  const flip = (b: Uint8Array, i = 0): Uint8Array => { const c = b.slice(); c[i] ^= 1; return c; };

  it('a flipped weight byte, a wrong proof, a wrong shift, wrong inputs and a wrong table are rejected', () => {
    const { model, ev, trace } = cases.get('mlp')!;
    const gi = model.nodes.findIndex((n) => n.op === 'gemm');
    const w = chunkWitness(model, ev, gi, 0, { trace });
    const honest = verifyChunk(w);
    const reject = (t: ChunkWitness, why: RegExp): void => expect(() => verifyChunk(t)).toThrow(why);
    // Weight byte flipped inside the proven tile.
    reject({ ...w, p1: w.p1.map((p, i) => (i === 0 ? { ...p, chunks: p.chunks.map((c, j) => (j === 3 ? flip(c, 5) : c)) } : p)) }, /weights: chunks at 0 are not under/);
    // Input byte flipped, proof sibling altered, proof shortened.
    reject({ ...w, a: w.a.map((p) => ({ ...p, chunks: [flip(p.chunks[0], 2)] })) }, /input a: chunks at 0 are not under/);
    reject({ ...w, node: { ...w.node, proof: w.node.proof.map((s, j) => (j === 1 ? flip(s) : s)) } }, /node: leaf 1 is not under/);
    reject({ ...w, node: { ...w.node, proof: w.node.proof.slice(1) } }, /node: proof has/);
    // Wrong shift or multiplier: the attributes no longer hash to the model's.
    reject({ ...w, attrs: { ...w.attrs, shift: w.attrs.shift + 1 } }, /attributes are not the model's/);
    reject({ ...w, attrs: { ...w.attrs, mult: w.attrs.mult - 1 } }, /attributes are not the model's/);
    // Input leaf of another value, or a different claimed input root.
    reject({ ...w, inputs: [{ ...w.inputs[0], tensorRoot: flip(w.inputs[0].tensorRoot) }] }, /input 0/);
    // Missing bias chunk, missing input chunk.
    reject({ ...w, p2: [] }, /bias: chunk 0 missing/);
    reject({ ...w, a: [] }, /input a: chunk 0 missing/);
    // Accumulators must start at zero; a forged starting accumulator changes the chunk.
    reject({ ...w, accIn: w.accIn.map((x, l) => (l === 0 ? x + 1 : x)) }, /start at zero/);
    // Fields wider than their hashed width would wrap in the hash: rejected, not reinterpreted.
    reject({ ...w, attrs: { ...w.attrs, n: w.attrs.n + 2 ** 32 } }, /u32 field is out of range/);
    reject({ ...w, attrs: { ...w.attrs, shift: w.attrs.shift + 256 } }, /u8 field is out of range/);
    // Leaf 0 with another model commitment.
    reject({ ...w, attrsRoot: flip(w.attrsRoot) }, /leaf 0/);
    // Table of a LUT node.
    const li = model.nodes.findIndex((n) => n.op === 'lut');
    const lw = chunkWitness(model, ev, li, 0, { trace });
    reject({ ...lw, table: flip(lw.table, 200) }, /table/);
    // A witness for a trace root whose leaf does not match.
    expectRejectedOrDifferent({ ...w, traceRoot: flip(w.traceRoot) }, honest);
  });

  it('a wrong proof of an input chunk of hello_deepa\'s Gemm is rejected', () => {
    const { model, ev } = cases.get('hello_deepa')!;
    const g = model.nodes.findIndex((n) => n.op === 'gemm');
    const w = chunkWitness(model, ev, g, 0, { blocks: [10, 12] });
    expect(w.a[0].proof.length).toBeGreaterThan(3);
    expect(() => verifyChunk({ ...w, a: w.a.map((p, i) => (i === 0 ? { ...p, proof: p.proof.map((s, j) => (j === 2 ? flip(s) : s)) } : p)) })).toThrow(/input a: chunks at \d+ are not under/);
    // The weight tile proof of the other block.
    expect(() => verifyChunk({ ...w, p1: w.p1.map((p, i) => (i === 1 ? { ...p, proof: p.proof.map((s, j) => (j === 0 ? flip(s) : s)) } : p)) })).toThrow(/weights/);
    // A tile of another block does not serve.
    expect(() => verifyChunk({ ...w, p1: [w.p1[0], w.p1[0]] })).toThrow(/weights: chunk \d+ missing/);
  });

  it('a Gemm chunk from mid-reduction accumulators that are not the agreed ones gives another answer', () => {
    const { model, ev } = cases.get('hello_deepa')!;
    const g = model.nodes.findIndex((n) => n.op === 'gemm');
    const w = chunkWitness(model, ev, g, 0, { blocks: [74, 75] });
    const honest = verifyChunk(w);
    expect(honest).toEqual(chunkOf(ev, g, 0));
    const forged = { ...w, accIn: w.accIn.map((x, l) => (l === 3 ? x + 5000 : x)) };
    // The game rejects it by the accumulator hash; the check itself recomputes a different chunk.
    expect(accumulatorHash(forged.accIn)).not.toEqual(accumulatorHash(w.accIn));
    expectRejectedOrDifferent(forged, honest);
  });

  it('leaf hashes bind the shape', () => {
    const { trace, ev } = cases.get('mlp')!;
    const l = leafHash(1, 1, new Uint8Array(32), ev.values[1].shape, trace.tensorRoots[1]);
    expect(leafHash(1, 1, new Uint8Array(32), [...ev.values[1].shape, 1], trace.tensorRoots[1])).not.toEqual(l);
  });
});
