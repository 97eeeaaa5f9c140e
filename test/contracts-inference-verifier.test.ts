// The on-chain inference chunk checker (contracts/src/InferenceChunkVerifier.sol) against its
// TypeScript twin (ai/dispute.ts verifyChunk) on a real anvil: for a sample of chunks of every op
// class of the project MLP, the quantised hello_deepa model and a synthetic model that covers Max,
// multi-row Gemm with unaligned rows and LayerNorm rows across chunks, the contract returns the same
// word as TypeScript (which equals the evaluator's chunk); tampered witnesses revert with typed
// errors. Gas per check is printed per op class.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, type Abi, type Address, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { CONTRACT_COMPILE_OPTIONS } from '../contracts/artifacts.js';
import { compileSolidity, contractNamed } from '../contracts/solc.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { quantizeOnnx, buildTable } from '../ai/quantize.js';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { size, type IntModel, type IntNode } from '../ai/model.js';
import { evaluate, type Evaluation } from '../ai/reference.js';
import { defaultCorpus } from '../ai/fast-path.js';
import { commitTrace, tensorChunks, type TraceCommitment } from '../ai/trace.js';
import { bisectChunks, bisectNodes, chunkWitness, gemmBlocks, toSolidityWitness, verifyChunk, type ChunkWitness, type WitnessOptions } from '../ai/dispute.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { rng } from './support/rng.js';

const DEEPA = 'node_modules/openwakeword-js/models/hello_deepa.onnx';

/** Max, Gemm over several rows with K = 12 (rows straddle chunks) and N = 40 (two weight tiles), LayerNorm over 40. */
function syntheticModel(): IntModel {
  const r = rng(2026);
  const i8s = (n: number): Int8Array => Int8Array.from({ length: n }, () => Math.floor(r() * 128) - 64);
  const i32s = (n: number, amp: number): Int32Array => Int32Array.from({ length: n }, () => Math.floor((r() * 2 - 1) * amp));
  const nodes: IntNode[] = [
    { op: 'relu', input: 0, scale: 0.1 }, // v1 [6, 12]
    { op: 'max', a: 0, b: 1, scale: 0.1 }, // v2
    { op: 'add', a: 0, b: 2, ma: 19000, mb: 9000, shift: 15, scale: 0.1 }, // v3
    { op: 'gemm', input: 3, n: 40, k: 12, weights: i8s(480), bias: i32s(40, 3000), rq: { mult: 21000, shift: 20 }, scale: 0.1 }, // v4 [6, 40]
    { op: 'lut', input: 4, fn: 'tanh', table: buildTable('tanh', 0.1, 1 / 127), scale: 1 / 127 }, // v5
    { op: 'layernorm', input: 5, eps: 5, gamma: i8s(40), beta: i32s(40, 20000), rq: { mult: 23000, shift: 26 }, scale: 0.05 }, // v6
    { op: 'reshape', input: 6, shape: [240], scale: 0.05 }, // v7
    { op: 'gemm', input: 7, n: 5, k: 240, weights: i8s(1200), bias: i32s(5, 5000), rq: { mult: 30000, shift: 24 }, scale: 0.1 }, // v8 [5]
  ];
  return { inputShape: [6, 12], inputScale: 0.1, nodes };
}

let anvil: AnvilNode;
let clients: L1Clients;
let verifier: Address;
let abi: Abi;
interface Case { model: IntModel; ev: Evaluation; trace: TraceCommitment }
const cases = new Map<string, Case>();
const gas = new Map<string, number[]>();

beforeAll(async () => {
  const out = compileSolidity({
    'InferenceChunkVerifier.sol': readFileSync('contracts/src/InferenceChunkVerifier.sol', 'utf8'),
    'LibMerkle.sol': readFileSync('contracts/src/LibMerkle.sol', 'utf8'),
  }, CONTRACT_COMPILE_OPTIONS);
  const artifact = contractNamed(out, 'InferenceChunkVerifier');
  abi = artifact.abi;
  anvil = await startAnvil({ hardfork: 'prague', gasLimit: 200_000_000n });
  clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  verifier = (await deployContract(clients, artifact)).address;
  const mlp = (await quantizeOnnx(buildFloatMlp(), Array.from({ length: 48 }, (_, i) => seededReals(100 + i, MLP_INPUT, 2)))).model;
  const deepa = (await quantizeOnnx(new Uint8Array(readFileSync(DEEPA)), Array.from({ length: 12 }, (_, i) => seededReals(300 + i, 2400, 3)))).model;
  for (const [name, model] of [['mlp', mlp], ['hello_deepa', deepa], ['synthetic', syntheticModel()]] as const) {
    const ev = evaluate(model, defaultCorpus(model, 6, 11)[5]);
    cases.set(name, { model, ev, trace: commitTrace(model, ev) });
  }
}, 300_000);

afterAll(async () => {
  await anvil?.stop();
  const rows = [...gas.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([cls, g]) => `  ${cls.padEnd(34)} max ${String(Math.max(...g)).padStart(9)}  (${g.length} checks)`);
  console.log(`InferenceChunkVerifier.verifyChunk gas per check (eth_estimateGas, incl. 21000 + calldata):\n${rows.join('\n')}`);
});

type Outcome = { ok: true; word: Hex } | { ok: false; error: string };

async function onChain(w: ChunkWitness): Promise<Outcome> {
  try {
    const word = (await clients.public.readContract({ address: verifier, abi, functionName: 'verifyChunk', args: [toSolidityWitness(w)] })) as Hex;
    return { ok: true, word };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return { ok: false, error: revert.data?.errorName ?? revert.shortMessage };
    throw e;
  }
}

async function gasOf(w: ChunkWitness): Promise<number> {
  return Number(await clients.public.estimateContractGas({ address: verifier, abi, functionName: 'verifyChunk', args: [toSolidityWitness(w)], account: clients.wallet.account }));
}

/** Contract == TypeScript (== the evaluator for a whole chunk), gas recorded under `cls`. */
async function differential(c: Case, nodeIndex: number, chunk: number, cls: string, opts: WitnessOptions = {}): Promise<number> {
  const w = chunkWitness(c.model, c.ev, nodeIndex, chunk, { trace: c.trace, ...opts });
  const ts = verifyChunk(w);
  const whole = c.model.nodes[nodeIndex].op !== 'gemm' || w.segTo === gemmBlocks(c.model, nodeIndex);
  if (whole) expect(ts).toEqual(tensorChunks(c.ev.values[nodeIndex + 1].data)[chunk]);
  expect(await onChain(w), `${cls}: node ${nodeIndex} chunk ${chunk}`).toEqual({ ok: true, word: bytesToHex(ts) });
  const g = await gasOf(w);
  gas.set(cls, [...(gas.get(cls) ?? []), g]);
  return g;
}

const chunkCount = (c: Case, i: number): number => Math.ceil(size(c.ev.values[i + 1].shape) / 32);
const sample = (n: number): number[] => [...new Set([0, Math.floor(n / 2), n - 1])];

describe('InferenceChunkVerifier equals the TypeScript verifier', () => {
  it('on every chunk of every node of the project MLP', async () => {
    const c = cases.get('mlp')!;
    for (const [i, n] of c.model.nodes.entries()) {
      for (let ch = 0; ch < chunkCount(c, i); ch++) {
        const cls = n.op === 'gemm' ? `gemm K=${n.k} (whole chunk)` : n.op;
        expect(await differential(c, i, ch, `mlp ${cls}`)).toBeLessThan(1_000_000);
      }
    }
  });

  it('on a sample of chunks of every node of hello_deepa, its 2400-wide Gemm by reduction blocks', async () => {
    const c = cases.get('hello_deepa')!;
    for (const [i, n] of c.model.nodes.entries()) {
      for (const ch of sample(chunkCount(c, i))) {
        if (n.op === 'gemm' && gemmBlocks(c.model, i) > 8) {
          const kbs = gemmBlocks(c.model, i);
          for (const [from, to] of [[0, 1], [37, 38], [kbs - 1, kbs]] as const) {
            expect(await differential(c, i, ch, `deepa gemm K=${n.k} 1 block`, { blocks: [from, to] })).toBeLessThan(1_000_000);
          }
          for (const [from, to] of [[0, 2], [kbs - 2, kbs]] as const) {
            expect(await differential(c, i, ch, `deepa gemm K=${n.k} 2 blocks`, { blocks: [from, to] })).toBeLessThan(1_000_000);
          }
          // Wider steps are valid checks too, only costlier (recorded, not bounded).
          await differential(c, i, ch, `deepa gemm K=${n.k} 4 blocks`, { blocks: [kbs - 4, kbs] });
          await differential(c, i, ch, `deepa gemm K=${n.k} whole chunk (75 blocks)`);
        } else {
          const cls = n.op === 'gemm' ? `gemm K=${n.k} (whole chunk)` : n.op;
          expect(await differential(c, i, ch, `deepa ${cls}`)).toBeLessThan(1_000_000);
        }
      }
    }
  });

  it('on every chunk of a synthetic model with Max, multi-row Gemm and LayerNorm rows across chunks', async () => {
    const c = cases.get('synthetic')!;
    for (const [i, n] of c.model.nodes.entries()) {
      for (let ch = 0; ch < chunkCount(c, i); ch++) {
        const cls = n.op === 'gemm' ? `gemm K=${n.k} N=${n.n}` : n.op;
        expect(await differential(c, i, ch, `synthetic ${cls}`)).toBeLessThan(1_000_000);
        if (n.op === 'gemm' && gemmBlocks(c.model, i) > 1) await differential(c, i, ch, `synthetic gemm K=${n.k} 1 block`, { blocks: [2, 3] });
      }
    }
  });
});

describe('a dispute end to end', () => {
  it('bisection against a tampered trace lands on node k and chunk c, and L1 recomputes the honest chunk there', async () => {
    for (const name of ['mlp', 'hello_deepa']) {
      const c = cases.get(name)!;
      for (const k of c.model.nodes.keys()) {
        const bad: Evaluation = { ...c.ev, values: c.ev.values.map((t, u) => (u === k + 1 ? { shape: t.shape, data: t.data.slice() } : t)) };
        const e = bad.values[k + 1].data.length - 1;
        bad.values[k + 1].data[e] = bad.values[k + 1].data[e] === 5 ? 6 : 5;
        const badTrace = commitTrace(c.model, bad);
        expect(bisectNodes(c.trace, badTrace)?.nodeIndex).toBe(k);
        const ch = bisectChunks(c.ev.values[k + 1].data, bad.values[k + 1].data)!.chunkIndex;
        expect(ch).toBe(Math.floor(e / 32));
        // The defender is the tampered party: its own trace root and leaves, its claimed chunk.
        const n = c.model.nodes[k];
        const kbs = n.op === 'gemm' ? gemmBlocks(c.model, k) : 0;
        const w = chunkWitness(c.model, bad, k, ch, { trace: badTrace, ...(kbs > 8 ? { blocks: [kbs - 1, kbs] as const } : {}) });
        const r = await onChain(w);
        expect(r, `${name} node ${k}`).toEqual({ ok: true, word: bytesToHex(tensorChunks(c.ev.values[k + 1].data)[ch]) });
        expect(r).not.toEqual({ ok: true, word: bytesToHex(tensorChunks(bad.values[k + 1].data)[ch]) });
      }
    }
  });
});

describe('InferenceChunkVerifier rejects tampered witnesses with typed errors', () => {
  const flip = (b: Uint8Array, i = 0): Uint8Array => { const c = b.slice(); c[i] ^= 1; return c; };

  it('flipped weight byte, wrong proofs, wrong shift, missing chunks, wrong table, bad blocks', async () => {
    const c = cases.get('hello_deepa')!;
    const g = c.model.nodes.findIndex((n) => n.op === 'gemm');
    const w = chunkWitness(c.model, c.ev, g, 0, { trace: c.trace, blocks: [5, 6] });
    expect((await onChain(w)).ok).toBe(true);
    const cases2: [string, ChunkWitness][] = [
      ['PieceNotUnderRoot', { ...w, p1: [{ ...w.p1[0], chunks: w.p1[0].chunks.map((ch, j) => (j === 9 ? flip(ch, 4) : ch)) }] }],
      ['PieceNotUnderRoot', { ...w, a: w.a.map((p) => ({ ...p, proof: p.proof.map((s, j) => (j === 1 ? flip(s) : s)) })) }],
      ['BadProofLength', { ...w, p1: [{ ...w.p1[0], proof: w.p1[0].proof.slice(1) }] }],
      ['LeafNotInTrace', { ...w, node: { ...w.node, proof: w.node.proof.map((s, j) => (j === 0 ? flip(s) : s)) } }],
      ['LeafNotInTrace', { ...w, inputs: [{ ...w.inputs[0], tensorRoot: flip(w.inputs[0].tensorRoot) }] }],
      ['AttrsNotInModel', { ...w, attrs: { ...w.attrs, shift: w.attrs.shift + 1 } }],
      ['NotModelCommitment', { ...w, nodeCount: w.nodeCount + 1 }],
      ['MissingChunk', { ...w, a: [] }],
      ['BadBlocks', { ...w, segFrom: 6 }],
      ['BadAccumulators', { ...w, accIn: w.accIn.slice(1) }],
      ['BadInputs', { ...w, inputs: [] }],
    ];
    for (const [error, t] of cases2) {
      expect(() => verifyChunk(t), error).toThrow();
      expect(await onChain(t), error).toEqual({ ok: false, error });
    }
    const li = c.model.nodes.findIndex((n) => n.op === 'lut');
    const lw = chunkWitness(c.model, c.ev, li, 0, { trace: c.trace });
    expect(await onChain({ ...lw, table: flip(lw.table, 128) })).toEqual({ ok: false, error: 'BadTable' });
    expect(await onChain({ ...lw, chunkIndex: 1 })).toEqual({ ok: false, error: 'ChunkOutOfRange' });
  });

  it('non-zero starting accumulators revert; forged mid-reduction accumulators give the TypeScript answer, not the honest one', async () => {
    const c = cases.get('hello_deepa')!;
    const g = c.model.nodes.findIndex((n) => n.op === 'gemm');
    const first = chunkWitness(c.model, c.ev, g, 0, { trace: c.trace, blocks: [0, 1] });
    expect(await onChain({ ...first, accIn: first.accIn.map((x, l) => (l === 2 ? 1 : x)) })).toEqual({ ok: false, error: 'BadAccumulators' });
    const last = chunkWitness(c.model, c.ev, g, 0, { trace: c.trace, blocks: [74, 75] });
    const forged = { ...last, accIn: last.accIn.map((x, l) => (l === 0 ? x - 100_000 : x)) };
    const r = await onChain(forged);
    expect(r).toEqual({ ok: true, word: bytesToHex(verifyChunk(forged)) });
    expect(r).not.toEqual({ ok: true, word: bytesToHex(verifyChunk(last)) });
  });
});
