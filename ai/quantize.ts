// Float ONNX → integer model. Per-tensor symmetric scales from calibration ranges (max |x| / 127),
// 7-bit weights (max |w| / 63, values in [-64, 63]) so MatMulInteger never saturates on AVX2.
// The float model is run by onnxruntime with every node output exposed to collect the ranges.
import { DT, readModel, writeModel, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx/onnx.js';
import {
  LN_FRAC_BITS, sat8, size, toRequant, valueShapes,
  type IntModel, type IntNode, type LutFunction,
} from './model.js';
import { evaluate } from './reference.js';
import { createSession, loadOrt } from './ort.js';

export class QuantizeError extends Error {
  override readonly name = 'QuantizeError';
}

export const WEIGHT_MAX = 63;

export interface AccuracyReport {
  readonly samples: number;
  readonly maxAbsError: number;
  readonly meanAbsError: number;
  /** Share of samples whose arg-max agrees; null for single-element outputs. */
  readonly top1Agreement: number | null;
  /** Output value range seen in float, for scale. */
  readonly outputRange: readonly [number, number];
}

export interface QuantizeResult {
  readonly model: IntModel;
  readonly report: AccuracyReport;
}

const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

export function quantizeInput(m: IntModel, x: ArrayLike<number>): Int8Array {
  return Int8Array.from(Array.from(x), (v) => sat8(roundHalfAway(v / m.inputScale)));
}

export function dequantize(q: Int8Array, scale: number): Float64Array {
  return Float64Array.from(q, (v) => v * scale);
}

/** Float reference run: every node output of the float model for each sample. */
export async function runFloat(onnx: OnnxModel, samples: readonly Float32Array[]): Promise<Map<string, Float32Array>[]> {
  const ort = await loadOrt();
  const g = onnx.graph;
  const declared = new Set(g.outputs.map((o) => o.name));
  const extra = g.nodes
    .filter((n) => n.opType !== 'Constant')
    .flatMap((n) => n.outputs)
    .filter((o) => o !== '' && !declared.has(o))
    .map((name) => ({ name, elemType: DT.FLOAT, shape: [] as number[] }));
  const exposed: OnnxModel = { ...onnx, graph: { ...g, outputs: [...g.outputs, ...extra] } };
  const session = await createSession(writeModel(exposed));
  const input = g.inputs[0];
  const out: Map<string, Float32Array>[] = [];
  for (const s of samples) {
    const feeds = { [input.name]: new ort.Tensor('float32', s, input.shape.map((d) => (d < 0 ? 1 : d))) };
    const res = await session.run(feeds);
    const m = new Map<string, Float32Array>();
    for (const [k, v] of Object.entries(res)) m.set(k, Float32Array.from(v.data as Float32Array));
    out.push(m);
  }
  await session.release();
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function quantWeights(w: ArrayLike<number>): { q: Int8Array; scale: number } {
  const scale = maxAbs(w) / WEIGHT_MAX || 1;
  return { q: Int8Array.from(Array.from(w), (v) => Math.max(-WEIGHT_MAX - 1, Math.min(WEIGHT_MAX, roundHalfAway(v / scale)))), scale };
}

const LUT_OPS: Readonly<Record<string, LutFunction>> = { Sigmoid: 'sigmoid', Tanh: 'tanh', Exp: 'exp', Gelu: 'gelu' };

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26; only used to build a table offline (not consensus-critical).
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}

export const LUT_FLOAT: Readonly<Record<LutFunction, (x: number) => number>> = {
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  exp: Math.exp,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};

export function buildTable(fn: LutFunction, inScale: number, outScale: number): Int8Array {
  const t = new Int8Array(256);
  for (let q = -128; q < 128; q++) t[q + 128] = sat8(roundHalfAway(LUT_FLOAT[fn](q * inScale) / outScale));
  return t;
}

interface Value { readonly index: number; readonly scale: number; readonly shape: readonly number[] }

/**
 * Convert a float graph. `ranges` maps every float tensor name to its calibration max |x|.
 */
export function convertGraph(g: OnnxGraph, ranges: ReadonlyMap<string, number>): IntModel {
  const consts = new Map<string, OnnxTensor>();
  for (const t of g.initializers) consts.set(t.name, t);
  for (const n of g.nodes) {
    if (n.opType === 'Constant') {
      const v = n.attributes.get('value');
      if (v?.kind !== 'tensor') throw new QuantizeError(`Constant ${n.name}: only tensor values are supported`);
      consts.set(n.outputs[0], v.value);
    }
  }
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const consumer = (name: string, op: string): OnnxNode | undefined => (consumers.get(name) ?? []).find((n) => n.opType === op);

  const input = g.inputs[0];
  if (!input || g.inputs.length !== 1) throw new QuantizeError('the model must have exactly one input');
  const inShape = input.shape.map((d) => (d < 0 ? 1 : d));
  const outScaleOf = (name: string): number => (ranges.get(name) ?? 0) / 127 || 1 / 127;
  const inputScale = outScaleOf(input.name);
  const nodes: IntNode[] = [];
  const values = new Map<string, Value>([[input.name, { index: 0, scale: inputScale, shape: inShape }]]);
  const done = new Set<OnnxNode>();
  const act = (name: string, at: OnnxNode): Value => {
    const v = values.get(name);
    if (!v) throw new QuantizeError(`${at.opType} ${at.name}: input ${name} is not an activation we produced`);
    return v;
  };
  const emit = (name: string, n: IntNode, shape: readonly number[]): void => {
    nodes.push(n);
    values.set(name, { index: nodes.length, scale: n.scale, shape });
  };
  const constOf = (name: string): OnnxTensor | undefined => consts.get(name);

  for (const n of g.nodes) {
    if (done.has(n) || n.opType === 'Constant') continue;
    const out = n.outputs[0];
    switch (n.opType) {
      case 'Flatten': case 'Reshape': {
        const x = act(n.inputs[0], n);
        let shape: number[];
        if (n.opType === 'Flatten') {
          const a = n.attributes.get('axis');
          let axis = a?.kind === 'int' ? a.value : 1;
          if (axis < 0) axis += x.shape.length;
          shape = [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))];
        } else {
          const s = constOf(n.inputs[1]);
          if (!s) throw new QuantizeError(`Reshape ${n.name}: the shape must be a constant`);
          const want = Array.from(s.data, Number).map((d, j) => (d === 0 ? x.shape[j] : d));
          const known = want.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
          shape = want.map((d) => (d === -1 ? size(x.shape) / known : d));
        }
        emit(out, { op: 'reshape', input: x.index, shape, scale: x.scale }, shape);
        break;
      }
      case 'Gemm': case 'MatMul': {
        const x = act(n.inputs[0], n);
        const b = constOf(n.inputs[1]);
        if (!b || b.dims.length !== 2) throw new QuantizeError(`${n.opType} ${n.name}: the weight must be a 2-D initializer`);
        const attr = (k: string, d: number): number => { const a = n.attributes.get(k); return a?.kind === 'int' || a?.kind === 'float' ? a.value : d; };
        if (attr('transA', 0) !== 0) throw new QuantizeError(`Gemm ${n.name}: transA is not supported`);
        const transB = n.opType === 'Gemm' && attr('transB', 0) === 1;
        const alpha = n.opType === 'Gemm' ? attr('alpha', 1) : 1;
        const beta = n.opType === 'Gemm' ? attr('beta', 1) : 1;
        const [N, K] = transB ? [b.dims[0], b.dims[1]] : [b.dims[1], b.dims[0]];
        const wf = new Float64Array(N * K);
        for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) wf[o * K + k] = alpha * (transB ? b.data[o * K + k] : b.data[k * N + o]);
        const { q, scale: sw } = quantWeights(wf);
        let biasF = new Float64Array(N);
        let outName = out;
        const c = n.opType === 'Gemm' && n.inputs[2] ? constOf(n.inputs[2]) : undefined;
        if (c) biasF = Float64Array.from({ length: N }, (_, o) => beta * (c.data.length === 1 ? c.data[0] : c.data[o]));
        if (n.opType === 'MatMul') {
          // Fold a following bias Add (MatMul + Add is how many exporters write a Linear layer).
          const add = consumer(out, 'Add');
          const other = add ? add.inputs.find((i) => i !== out) : undefined;
          const bc = other !== undefined ? constOf(other) : undefined;
          if (add && bc && (consumers.get(out) ?? []).length === 1) {
            biasF = Float64Array.from({ length: N }, (_, o) => (bc.data.length === 1 ? bc.data[0] : bc.data[o]));
            outName = add.outputs[0];
            done.add(add);
          }
        }
        const accScale = x.scale * sw;
        const scale = outScaleOf(outName);
        const bias = Int32Array.from(biasF, (v) => roundHalfAway(v / accScale));
        const shape = [...x.shape.slice(0, -1), N];
        emit(outName, { op: 'gemm', input: x.index, n: N, k: K, weights: q, bias, rq: toRequant(accScale / scale), scale }, shape);
        break;
      }
      case 'Relu': { const x = act(n.inputs[0], n); emit(out, { op: 'relu', input: x.index, scale: x.scale }, x.shape); break; }
      case 'Sigmoid': case 'Tanh': case 'Exp': case 'Gelu': {
        const x = act(n.inputs[0], n);
        const fn = LUT_OPS[n.opType];
        const scale = outScaleOf(out);
        emit(out, { op: 'lut', input: x.index, fn, table: buildTable(fn, x.scale, scale), scale }, x.shape);
        break;
      }
      case 'Add': {
        const a = act(n.inputs[0], n), b = act(n.inputs[1], n);
        const scale = outScaleOf(out);
        // One shift for both multipliers: the larger ratio gets 15 bits.
        const big = toRequant(Math.max(a.scale, b.scale) / scale);
        const ma = Math.round((a.scale / scale) * 2 ** big.shift), mb = Math.round((b.scale / scale) * 2 ** big.shift);
        emit(out, { op: 'add', a: a.index, b: b.index, ma, mb, shift: big.shift, scale }, a.shape);
        break;
      }
      case 'Max': {
        const a = act(n.inputs[0], n), b = act(n.inputs[1], n);
        if (a.scale !== b.scale) throw new QuantizeError(`Max ${n.name}: inputs must share a scale`);
        emit(out, { op: 'max', a: a.index, b: b.index, scale: a.scale }, a.shape);
        break;
      }
      case 'LayerNormalization': case 'ReduceMean': {
        const x = act(n.inputs[0], n);
        let gamma: OnnxTensor | undefined, beta: OnnxTensor | undefined, eps: number, last: string;
        if (n.opType === 'LayerNormalization') {
          const e = n.attributes.get('epsilon');
          eps = e?.kind === 'float' ? e.value : 1e-5;
          gamma = constOf(n.inputs[1]);
          beta = n.inputs[2] ? constOf(n.inputs[2]) : undefined;
          last = out;
        } else {
          // The exported pattern: (x - mean) / sqrt(mean((x - mean)^2) + eps) * gamma + beta.
          const fail = (): never => { throw new QuantizeError(`ReduceMean ${n.name}: only the LayerNorm pattern is supported`); };
          const sub = consumer(out, 'Sub') ?? fail();
          const pow = consumer(sub.outputs[0], 'Pow') ?? fail();
          const rm2 = consumer(pow.outputs[0], 'ReduceMean') ?? fail();
          const addE = consumer(rm2.outputs[0], 'Add') ?? fail();
          const sqrt = consumer(addE.outputs[0], 'Sqrt') ?? fail();
          const div = consumer(sqrt.outputs[0], 'Div') ?? fail();
          const epsT = constOf(addE.inputs[1]) ?? fail();
          eps = epsT.data[0];
          last = div.outputs[0];
          for (const d of [n, sub, pow, rm2, addE, sqrt, div]) done.add(d);
          const mul = consumer(last, 'Mul');
          if (mul) { gamma = constOf(mul.inputs.find((i) => i !== last) ?? ''); if (gamma) { done.add(mul); last = mul.outputs[0]; } }
          const add = consumer(last, 'Add');
          if (add) { beta = constOf(add.inputs.find((i) => i !== last) ?? ''); if (beta) { done.add(add); last = add.outputs[0]; } }
        }
        const len = x.shape[x.shape.length - 1];
        const gf = gamma ? Array.from(gamma.data) : new Array<number>(len).fill(1);
        const { q: gq, scale: sg } = quantWeights(gf);
        const accScale = sg / 2 ** LN_FRAC_BITS;
        const bf = beta ? Array.from(beta.data) : new Array<number>(len).fill(0);
        const scale = outScaleOf(last);
        const epsInt = Math.max(1, roundHalfAway((eps * len * len) / (x.scale * x.scale)));
        emit(last, {
          op: 'layernorm', input: x.index, eps: Math.min(epsInt, 2 ** 31 - 1), gamma: gq,
          beta: Int32Array.from(bf, (v) => roundHalfAway(v / accScale)), rq: toRequant(accScale / scale), scale,
        }, x.shape);
        break;
      }
      default:
        throw new QuantizeError(`operator ${n.opType} (${n.name}) is not supported`);
    }
  }
  const final = values.get(g.outputs[0].name);
  if (!final || final.index !== nodes.length) throw new QuantizeError('the graph output is not the last converted node');
  const m: IntModel = { inputShape: inShape, inputScale, nodes };
  valueShapes(m);
  return m;
}

export async function quantizeOnnx(floatModel: Uint8Array, calibration: readonly ArrayLike<number>[]): Promise<QuantizeResult> {
  if (calibration.length === 0) throw new QuantizeError('at least one calibration sample is needed');
  const onnx = readModel(floatModel);
  const samples = calibration.map((s) => Float32Array.from(Array.from(s)));
  const runs = await runFloat(onnx, samples);
  const ranges = new Map<string, number>();
  ranges.set(onnx.graph.inputs[0].name, Math.max(...samples.map(maxAbs)));
  for (const r of runs) for (const [k, v] of r) ranges.set(k, Math.max(ranges.get(k) ?? 0, maxAbs(v)));
  const model = convertGraph(onnx.graph, ranges);
  const outName = onnx.graph.outputs[0].name;
  const outScale = model.nodes[model.nodes.length - 1].scale;
  let maxErr = 0, sumErr = 0, count = 0, agree = 0, lo = Infinity, hi = -Infinity;
  samples.forEach((s, i) => {
    const f = runs[i].get(outName);
    if (!f) throw new QuantizeError(`float output ${outName} missing`);
    const q = dequantize(evaluate(model, quantizeInput(model, s)).output.data, outScale);
    let fa = 0, qa = 0;
    for (let j = 0; j < f.length; j++) {
      const e = Math.abs(f[j] - q[j]);
      maxErr = Math.max(maxErr, e); sumErr += e; count++;
      lo = Math.min(lo, f[j]); hi = Math.max(hi, f[j]);
      if (f[j] > f[fa]) fa = j;
      if (q[j] > q[qa]) qa = j;
    }
    if (fa === qa) agree++;
  });
  const single = runs[0].get(outName)?.length === 1;
  return {
    model,
    report: { samples: samples.length, maxAbsError: maxErr, meanAbsError: sumErr / count, top1Agreement: single ? null : agree / samples.length, outputRange: [lo, hi] },
  };
}
