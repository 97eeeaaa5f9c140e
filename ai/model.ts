// Our integer model format: the canonical, exactly specified semantics of deterministic
// inference (see ai/DESIGN.md). int8 activations and weights, int32/int64-exact accumulation,
// requantisation by (multiplier, shift) with round-half-away-from-zero, saturation to [-128,127].
import { keccak256 } from '../vm/util/hash.js';

export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}

/** Requantisation multipliers are < 2^15 so that |acc * m| stays below 2^53 (exact in JS and int64). */
export const MULT_BITS = 15;
export const MAX_SHIFT = 62;
/** Fixed-point fraction bits of the normalised LayerNorm value. */
export const LN_FRAC_BITS = 12;

export const LUT_FUNCTIONS = ['sigmoid', 'tanh', 'exp', 'gelu'] as const;
export type LutFunction = (typeof LUT_FUNCTIONS)[number];

export interface Requant {
  readonly mult: number;
  readonly shift: number;
}

interface NodeBase {
  /** Dequantisation scale of the output (real = q * scale); metadata, not used by the integer semantics. */
  readonly scale: number;
}
/** y[r,n] = rq(sum_k x[r,k] * w[n,k] + bias[n]); x is [..., K], w is [N, K] row-major. */
export interface GemmNode extends NodeBase {
  readonly op: 'gemm'; readonly input: number; readonly n: number; readonly k: number;
  readonly weights: Int8Array; readonly bias: Int32Array; readonly rq: Requant;
}
export interface ReluNode extends NodeBase { readonly op: 'relu'; readonly input: number }
/** y = sat(roundShift(a * ma + b * mb, shift)); same shapes (no broadcasting). */
export interface AddNode extends NodeBase {
  readonly op: 'add'; readonly a: number; readonly b: number;
  readonly ma: number; readonly mb: number; readonly shift: number;
}
/** Element-wise max of two tensors of the same shape and scale. */
export interface MaxNode extends NodeBase { readonly op: 'max'; readonly a: number; readonly b: number }
export interface ReshapeNode extends NodeBase { readonly op: 'reshape'; readonly input: number; readonly shape: readonly number[] }
/** y = table[x + 128]. */
export interface LutNode extends NodeBase {
  readonly op: 'lut'; readonly input: number; readonly fn: LutFunction; readonly table: Int8Array;
}
/** Integer LayerNorm over the last axis (see DESIGN.md for the exact steps). */
export interface LayerNormNode extends NodeBase {
  readonly op: 'layernorm'; readonly input: number; readonly eps: number;
  readonly gamma: Int8Array; readonly beta: Int32Array; readonly rq: Requant;
}
export type IntNode = GemmNode | ReluNode | AddNode | MaxNode | ReshapeNode | LutNode | LayerNormNode;
export type OpName = IntNode['op'];
export const OP_CODES: Readonly<Record<OpName, number>> = {
  gemm: 1, relu: 2, add: 3, max: 4, reshape: 5, lut: 6, layernorm: 7,
};

/**
 * Values are numbered: 0 is the model input, i + 1 is the output of node i. The model output is the
 * last node's output.
 */
export interface IntModel {
  readonly inputShape: readonly number[];
  readonly inputScale: number;
  readonly nodes: readonly IntNode[];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function nodeInputs(n: IntNode): number[] {
  switch (n.op) {
    case 'add': case 'max': return [n.a, n.b];
    default: return [n.input];
  }
}

/** Shapes of every value (index 0 = input); also checks the model's structural validity. */
export function valueShapes(m: IntModel): number[][] {
  const shapes: number[][] = [[...m.inputShape]];
  if (m.inputShape.some((d) => !Number.isInteger(d) || d <= 0)) throw new ModelFormatError('bad input shape');
  m.nodes.forEach((n, i) => {
    for (const v of nodeInputs(n)) {
      if (!Number.isInteger(v) || v < 0 || v > i) throw new ModelFormatError(`node ${i}: input ${v} is not an earlier value`);
    }
    const s = shapes[nodeInputs(n)[0]];
    const last = s[s.length - 1];
    const checkRq = (rq: Requant): void => {
      if (!Number.isInteger(rq.mult) || rq.mult < 0 || rq.mult >= 2 ** MULT_BITS) throw new ModelFormatError(`node ${i}: multiplier out of range`);
      if (!Number.isInteger(rq.shift) || rq.shift < 0 || rq.shift > MAX_SHIFT) throw new ModelFormatError(`node ${i}: shift out of range`);
    };
    switch (n.op) {
      case 'gemm': {
        if (last !== n.k || n.weights.length !== n.n * n.k || n.bias.length !== n.n) throw new ModelFormatError(`node ${i}: gemm shapes`);
        checkRq(n.rq);
        let maxBias = 0;
        for (const b of n.bias) maxBias = Math.max(maxBias, Math.abs(b));
        // Worst-case accumulator times multiplier must stay exact (< 2^53).
        if ((n.k * 128 * 128 + maxBias) * n.rq.mult >= 2 ** 53) throw new ModelFormatError(`node ${i}: accumulator could exceed 2^53`);
        shapes.push([...s.slice(0, -1), n.n]);
        break;
      }
      case 'add': case 'max': {
        const sb = shapes[n.b];
        if (sb.length !== s.length || sb.some((d, j) => d !== s[j])) throw new ModelFormatError(`node ${i}: ${n.op} shapes differ`);
        if (n.op === 'add') checkRq({ mult: n.ma, shift: n.shift }), checkRq({ mult: n.mb, shift: n.shift });
        shapes.push([...s]);
        break;
      }
      case 'relu': shapes.push([...s]); break;
      case 'reshape':
        if (size(n.shape) !== size(s)) throw new ModelFormatError(`node ${i}: reshape size`);
        shapes.push([...n.shape]);
        break;
      case 'lut':
        if (n.table.length !== 256) throw new ModelFormatError(`node ${i}: table must have 256 entries`);
        shapes.push([...s]);
        break;
      case 'layernorm':
        if (n.gamma.length !== last || n.beta.length !== last) throw new ModelFormatError(`node ${i}: layernorm shapes`);
        if (!Number.isInteger(n.eps) || n.eps < 1 || n.eps >= 2 ** 31) throw new ModelFormatError(`node ${i}: eps out of range`);
        if (last > 2 ** 16) throw new ModelFormatError(`node ${i}: layernorm axis too long`);
        checkRq(n.rq);
        shapes.push([...s]);
        break;
    }
  });
  return shapes;
}

// ---- canonical binary encoding (little-endian) ----

const MAGIC = [0x48, 0x56, 0x41, 0x49]; // "HVAI"
const VERSION = 1;

class ByteWriter {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array): void { this.parts.push(b); this.len += b.length; }
  u8(v: number): void { this.push(Uint8Array.of(v)); }
  u32(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); this.push(b); }
  i32(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); this.push(b); }
  f32(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); this.push(b); }
  bytes(b: Uint8Array): void { this.push(b.slice()); }
  i32s(a: Int32Array): void { for (const v of a) this.i32(v); }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

class ByteReader {
  private pos = 0;
  private readonly dv: DataView;
  constructor(private readonly b: Uint8Array) { this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  private need(n: number): void { if (this.pos + n > this.b.length) throw new ModelFormatError('truncated model'); }
  u8(): number { this.need(1); return this.b[this.pos++]; }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.dv.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(): number { this.need(4); const v = this.dv.getFloat32(this.pos, true); this.pos += 4; return v; }
  // A copy into a buffer of its own: a Node Buffer's slice is a view into a shared pool.
  i8s(n: number): Int8Array { this.need(n); const c = new Uint8Array(n); c.set(this.b.subarray(this.pos, this.pos + n)); this.pos += n; return new Int8Array(c.buffer); }
  i32s(n: number): Int32Array { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = this.i32(); return a; }
  get done(): boolean { return this.pos === this.b.length; }
}

/** Canonical encoding of one node (also hashed as the node's "attributes hash" in the trace). */
export function encodeNode(n: IntNode): Uint8Array {
  const w = new ByteWriter();
  writeNode(w, n);
  return w.finish();
}

function writeNode(w: ByteWriter, n: IntNode): void {
  w.u8(OP_CODES[n.op]);
  w.f32(n.scale);
  switch (n.op) {
    case 'gemm':
      w.u32(n.input); w.u32(n.n); w.u32(n.k); w.u32(n.rq.mult); w.u8(n.rq.shift);
      w.bytes(new Uint8Array(n.weights.buffer, n.weights.byteOffset, n.weights.length)); w.i32s(n.bias);
      break;
    case 'relu': w.u32(n.input); break;
    case 'add': w.u32(n.a); w.u32(n.b); w.u32(n.ma); w.u32(n.mb); w.u8(n.shift); break;
    case 'max': w.u32(n.a); w.u32(n.b); break;
    case 'reshape': w.u32(n.input); w.u8(n.shape.length); for (const d of n.shape) w.u32(d); break;
    case 'lut':
      w.u32(n.input); w.u8(LUT_FUNCTIONS.indexOf(n.fn));
      w.bytes(new Uint8Array(n.table.buffer, n.table.byteOffset, 256));
      break;
    case 'layernorm':
      w.u32(n.input); w.u32(n.gamma.length); w.u32(n.eps); w.u32(n.rq.mult); w.u8(n.rq.shift);
      w.bytes(new Uint8Array(n.gamma.buffer, n.gamma.byteOffset, n.gamma.length)); w.i32s(n.beta);
      break;
  }
}

export function encodeModel(m: IntModel): Uint8Array {
  valueShapes(m);
  const w = new ByteWriter();
  for (const b of MAGIC) w.u8(b);
  w.u8(VERSION);
  w.u8(m.inputShape.length);
  for (const d of m.inputShape) w.u32(d);
  w.f32(m.inputScale);
  w.u32(m.nodes.length);
  for (const n of m.nodes) writeNode(w, n);
  return w.finish();
}

export function decodeModel(bytes: Uint8Array): IntModel {
  const r = new ByteReader(bytes);
  for (const b of MAGIC) if (r.u8() !== b) throw new ModelFormatError('not a hyperion-verify integer model (bad magic)');
  const version = r.u8();
  if (version !== VERSION) throw new ModelFormatError(`unsupported model version ${version}`);
  const rank = r.u8();
  const inputShape = Array.from({ length: rank }, () => r.u32());
  const inputScale = r.f32();
  const count = r.u32();
  const nodes: IntNode[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    const scale = r.f32();
    switch (code) {
      case 1: {
        const input = r.u32(), n = r.u32(), k = r.u32(), mult = r.u32(), shift = r.u8();
        if (n * k > 2 ** 28) throw new ModelFormatError('gemm too large');
        nodes.push({ op: 'gemm', scale, input, n, k, rq: { mult, shift }, weights: r.i8s(n * k), bias: r.i32s(n) });
        break;
      }
      case 2: nodes.push({ op: 'relu', scale, input: r.u32() }); break;
      case 3: nodes.push({ op: 'add', scale, a: r.u32(), b: r.u32(), ma: r.u32(), mb: r.u32(), shift: r.u8() }); break;
      case 4: nodes.push({ op: 'max', scale, a: r.u32(), b: r.u32() }); break;
      case 5: { const input = r.u32(); const k = r.u8(); nodes.push({ op: 'reshape', scale, input, shape: Array.from({ length: k }, () => r.u32()) }); break; }
      case 6: {
        const input = r.u32(); const f = r.u8();
        const fn = LUT_FUNCTIONS[f];
        if (fn === undefined) throw new ModelFormatError(`unknown lut function ${f}`);
        nodes.push({ op: 'lut', scale, input, fn, table: r.i8s(256) });
        break;
      }
      case 7: {
        const input = r.u32(), len = r.u32(), eps = r.u32(), mult = r.u32(), shift = r.u8();
        if (len > 2 ** 16) throw new ModelFormatError('layernorm too large');
        nodes.push({ op: 'layernorm', scale, input, eps, rq: { mult, shift }, gamma: r.i8s(len), beta: r.i32s(len) });
        break;
      }
      default: throw new ModelFormatError(`unknown op code ${code}`);
    }
  }
  if (!r.done) throw new ModelFormatError('trailing bytes after model');
  const m: IntModel = { inputShape, inputScale, nodes };
  valueShapes(m);
  // Canonical: re-encoding must give the same bytes (rejects non-canonical encodings).
  const again = encodeModel(m);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw new ModelFormatError('non-canonical model encoding');
  return m;
}

/** Model id: keccak256 of the canonical encoding. */
export function modelId(m: IntModel | Uint8Array): Uint8Array {
  return keccak256(m instanceof Uint8Array ? m : encodeModel(m));
}

// ---- integer arithmetic shared by every engine's definition ----

/** round(p / 2^shift), halves away from zero. Exact for |p| < 2^53. */
export function roundShift(p: number, shift: number): number {
  if (shift === 0) return p;
  const d = 2 ** shift;
  const q = Math.floor((Math.abs(p) + d / 2) / d);
  return p < 0 ? 0 - q : q; // 0 - q, not -q: no negative zero
}

/** round(a / b) for b > 0, halves away from zero. */
export function roundDiv(a: number, b: number): number {
  const q = Math.floor((2 * Math.abs(a) + b) / (2 * b));
  return a < 0 ? 0 - q : q;
}

export function sat8(v: number): number {
  return v > 127 ? 127 : v < -128 ? -128 : v;
}

export function requantize(acc: number, rq: Requant): number {
  return sat8(roundShift(acc * rq.mult, rq.shift));
}

/** Exact floor(sqrt(n)) for a non-negative safe integer. */
export function isqrt(n: number): number {
  let s = Math.floor(Math.sqrt(n));
  while (s * s > n) s--;
  while ((s + 1) * (s + 1) <= n) s++;
  return s;
}

/** Closest (mult, shift) with mult < 2^15 to a positive real ratio. */
export function toRequant(ratio: number): Requant {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return { mult: 0, shift: 0 };
  let shift = MULT_BITS - 1 - Math.floor(Math.log2(ratio));
  if (shift < 0) return { mult: 2 ** MULT_BITS - 1, shift: 0 };
  shift = Math.min(shift, MAX_SHIFT);
  let mult = Math.round(ratio * 2 ** shift);
  if (mult >= 2 ** MULT_BITS) { mult = Math.round(mult / 2); shift--; }
  return { mult, shift };
}
