// onnxruntime-node as the fast path. The integer model is written as an ONNX graph of
// integer-exact ops (MatMulInteger, int64 Mul/Add/Div/Abs/Sign/Clip, Gather for tables, and a
// float64 Sqrt of an integer < 2^50, whose floor is the exact integer square root because IEEE
// sqrt is correctly rounded). Every node's int8 output is a graph output, and a model is run on
// the fast path only after every node output matched the reference on a corpus on this machine.
import type * as Ort from 'onnxruntime-node';
import { DT, node, writeModel, type OnnxNode, type OnnxTensor, type OnnxAttrValue } from './onnx/onnx.js';
import { LN_FRAC_BITS, modelId, size, valueShapes, type IntModel, type Requant } from './model.js';
import { checkInput, evaluate, type Evaluation, type Tensor } from './reference.js';
import { createSession, loadOrt } from './ort.js';
import { bytesToHex } from '../vm/util/bytes.js';

export class FastPathError extends Error {
  override readonly name = 'FastPathError';
}

const valueName = (i: number): string => `v${i}`;

/** The ONNX graph (opset 13) computing every value of the integer model. */
export function toOnnx(m: IntModel): Uint8Array {
  const shapes = valueShapes(m);
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  let tmp = 0;
  const t = (): string => `t${tmp++}`;
  const constI64 = (data: number[], dims: number[] = []): string => {
    const name = t();
    inits.push({ name, dataType: DT.INT64, dims, data: Float64Array.from(data) });
    return name;
  };
  const op = (type: string, inputs: string[], attrs: Record<string, OnnxAttrValue> = {}, out = t()): string => {
    nodes.push(node(type, inputs, [out], attrs, `n${nodes.length}`));
    return out;
  };
  const castTo = (x: string, to: number, out?: string): string => op('Cast', [x], { to: { kind: 'int', value: to } }, out);
  // Not Sign(p) * q: onnxruntime's int64 Sign returned -1 for a positive p above 2^31 here.
  const withSignOf = (p: string, q: string): string => op('Where', [op('Less', [p, constI64([0])]), op('Neg', [q]), q]);
  /** int64 acc -> int8: sat(sign(p) * floor((|p| + 2^(s-1)) / 2^s)) with p = acc * mult. */
  const roundShiftTo8 = (p: string, shift: number, out: string): string => {
    let r = p;
    if (shift > 0) {
      const q = op('Div', [op('Add', [op('Abs', [p]), constI64([2 ** (shift - 1)])]), constI64([2 ** shift])]);
      r = withSignOf(p, q);
    }
    return castTo(op('Clip', [r, constI64([-128]), constI64([127])]), DT.INT8, out);
  };
  const requant = (acc: string, rq: Requant, out: string): string => roundShiftTo8(op('Mul', [acc, constI64([rq.mult])]), rq.shift, out);

  m.nodes.forEach((n, i) => {
    const out = valueName(i + 1);
    switch (n.op) {
      case 'gemm': {
        const wt = t();
        const w = new Int8Array(n.k * n.n);
        for (let o = 0; o < n.n; o++) for (let k = 0; k < n.k; k++) w[k * n.n + o] = n.weights[o * n.k + k];
        inits.push({ name: wt, dataType: DT.INT8, dims: [n.k, n.n], data: w });
        const mm = op('MatMulInteger', [valueName(n.input), wt]);
        const acc = op('Add', [castTo(mm, DT.INT64), constI64(Array.from(n.bias), [n.n])]);
        requant(acc, n.rq, out);
        break;
      }
      case 'relu':
        castTo(op('Max', [castTo(valueName(n.input), DT.INT32), (() => { const z = t(); inits.push({ name: z, dataType: DT.INT32, dims: [], data: Int32Array.of(0) }); return z; })()]), DT.INT8, out);
        break;
      case 'add': {
        const a = op('Mul', [castTo(valueName(n.a), DT.INT64), constI64([n.ma])]);
        const b = op('Mul', [castTo(valueName(n.b), DT.INT64), constI64([n.mb])]);
        roundShiftTo8(op('Add', [a, b]), n.shift, out);
        break;
      }
      case 'max':
        castTo(op('Max', [castTo(valueName(n.a), DT.INT32), castTo(valueName(n.b), DT.INT32)]), DT.INT8, out);
        break;
      case 'reshape':
        op('Reshape', [valueName(n.input), constI64([...n.shape], [n.shape.length])], {}, out);
        break;
      case 'lut': {
        const tab = t();
        inits.push({ name: tab, dataType: DT.INT8, dims: [256], data: n.table });
        const idx = op('Add', [castTo(valueName(n.input), DT.INT32), (() => { const c = t(); inits.push({ name: c, dataType: DT.INT32, dims: [], data: Int32Array.of(128) }); return c; })()]);
        op('Gather', [tab, idx], { axis: { kind: 'int', value: 0 } }, out);
        break;
      }
      case 'layernorm': {
        const len = n.gamma.length;
        const axes = constI64([-1], [1]);
        const keep = { keepdims: { kind: 'int', value: 1 } } as const;
        const x = castTo(valueName(n.input), DT.INT64);
        const s = op('ReduceSum', [x, axes], keep);
        const d = op('Sub', [op('Mul', [x, constI64([len])]), s]);
        const q = op('ReduceSum', [op('Mul', [d, d]), axes], keep);
        const v = op('Add', [op('Div', [q, constI64([len])]), constI64([n.eps])]);
        const sigma = castTo(op('Floor', [op('Sqrt', [castTo(v, 11 /* DOUBLE */)])]), DT.INT64);
        const num = op('Mul', [d, constI64([2 ** LN_FRAC_BITS])]);
        const two = constI64([2]);
        const qd = op('Div', [op('Add', [op('Mul', [op('Abs', [num]), two]), sigma]), op('Mul', [sigma, two])]);
        const norm = withSignOf(num, qd);
        const acc = op('Add', [op('Mul', [norm, constI64(Array.from(n.gamma), [len])]), constI64(Array.from(n.beta), [len])]);
        requant(acc, n.rq, out);
        break;
      }
    }
  });
  return writeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: 13 }],
    graph: {
      name: 'hyperion-int',
      nodes,
      initializers: inits,
      inputs: [{ name: valueName(0), elemType: DT.INT8, shape: [...shapes[0]] }],
      outputs: m.nodes.map((_, i) => ({ name: valueName(i + 1), elemType: DT.INT8, shape: [...shapes[i + 1]] })),
    },
  });
}

export class FastPath {
  private constructor(
    readonly model: IntModel,
    private readonly session: Ort.InferenceSession,
    private readonly ort: typeof Ort,
    private readonly shapes: number[][],
  ) {}

  static async create(m: IntModel): Promise<FastPath> {
    const ort = await loadOrt();
    return new FastPath(m, await createSession(toOnnx(m)), ort, valueShapes(m));
  }

  async evaluate(input: Int8Array): Promise<Evaluation> {
    checkInput(this.model, input);
    const res = await this.session.run({ [valueName(0)]: new this.ort.Tensor('int8', input, this.shapes[0]) });
    const values: Tensor[] = [{ shape: this.shapes[0], data: input }];
    for (let i = 1; i <= this.model.nodes.length; i++) {
      const r = res[valueName(i)];
      if (!r) throw new FastPathError(`onnxruntime returned no ${valueName(i)}`);
      values.push({ shape: this.shapes[i], data: Int8Array.from(r.data as Int8Array) });
    }
    return { values, output: values[values.length - 1] };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export interface Mismatch {
  readonly sample: number;
  readonly node: number;
  readonly element: number;
  readonly reference: number;
  readonly fast: number;
}

export interface FastPathCheck {
  readonly modelId: string;
  readonly enabled: boolean;
  readonly samples: number;
  readonly mismatch?: Mismatch;
  /** Why the fast path is off, when it is. */
  readonly reason?: string;
}

/** Deterministic int8 corpus: zeros, both extremes, then seeded pseudo-random tensors. */
export function defaultCorpus(m: IntModel, count = 16, seed = 1): Int8Array[] {
  const n = size(m.inputShape);
  const out = [new Int8Array(n), new Int8Array(n).fill(127), new Int8Array(n).fill(-128)];
  let s = seed >>> 0;
  for (let c = 0; c < count; c++) {
    const t = new Int8Array(n);
    for (let j = 0; j < n; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      t[j] = (s >>> 24) - 128;
    }
    out.push(t);
  }
  return out;
}

export function firstMismatch(a: Evaluation, b: Evaluation, sample: number): Mismatch | undefined {
  for (let v = 1; v < a.values.length; v++) {
    const x = a.values[v].data, y = b.values[v].data;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return { sample, node: v - 1, element: j, reference: x[j], fast: y[j] };
  }
  return undefined;
}

/**
 * Run the reference and onnxruntime on every corpus input and compare every node output.
 * On any difference (or if onnxruntime fails) the fast path is disabled, with one log line.
 */
export async function checkFastPath(
  m: IntModel,
  corpus: readonly Int8Array[] = defaultCorpus(m),
  log: (line: string) => void = console.error,
  /** The canonical evaluator; replaceable only so tests can exercise the mismatch path. */
  reference: (m: IntModel, input: Int8Array) => Evaluation = evaluate,
): Promise<FastPathCheck> {
  const id = bytesToHex(modelId(m));
  let fp: FastPath;
  try {
    fp = await FastPath.create(m);
  } catch (e) {
    const reason = `onnxruntime cannot load the model: ${e instanceof Error ? e.message : String(e)}`;
    log(`ai fast path DISABLED for model ${id}: ${reason}`);
    return { modelId: id, enabled: false, samples: 0, reason };
  }
  try {
    for (let s = 0; s < corpus.length; s++) {
      const mm = firstMismatch(reference(m, corpus[s]), await fp.evaluate(corpus[s]), s);
      if (mm) {
        const reason = `node ${mm.node} element ${mm.element} on corpus sample ${mm.sample}: reference ${mm.reference}, onnxruntime ${mm.fast}`;
        log(`ai fast path DISABLED for model ${id}: mismatch at ${reason}`);
        return { modelId: id, enabled: false, samples: s + 1, mismatch: mm, reason: `mismatch at ${reason}` };
      }
    }
  } finally {
    await fp.release();
  }
  return { modelId: id, enabled: true, samples: corpus.length };
}
