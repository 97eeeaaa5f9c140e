// ONNX ModelProto reader and writer: only the fields our models use (graph nodes with
// attributes, initializers, typed inputs/outputs with shapes, opset imports).
// Field numbers are those of onnx/onnx.proto.
import { fields, packedVarints, ProtobufError, toInt64, WIRE_LEN, Writer, type Field } from './protobuf.js';

export class OnnxError extends Error {
  override readonly name = 'OnnxError';
}

/** TensorProto.DataType values we handle. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export interface OnnxTensor {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Values as numbers (int64 converted; our models stay far below 2^53). */
  readonly data: Float32Array | Int8Array | Uint8Array | Int32Array | Float64Array;
}

export type OnnxAttrValue =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly number[] };

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttrValue>;
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number;
  /** Dimensions; a symbolic or missing dimension is -1. */
  readonly shape: readonly number[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly graph: OnnxGraph;
}

const utf8 = new TextDecoder();
const str = (f: Field): string => utf8.decode(bytesOf(f));
function bytesOf(f: Field): Uint8Array {
  if (f.bytes === undefined) throw new OnnxError(`field ${f.no}: expected bytes`);
  return f.bytes;
}
function num(f: Field): number {
  if (f.varint === undefined) throw new OnnxError(`field ${f.no}: expected varint`);
  return Number(toInt64(f.varint));
}
function f32(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
}

export function readTensor(buf: Uint8Array): OnnxTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const floats: number[] = [];
  const ints: number[] = [];
  let raw: Uint8Array | undefined;
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        if (f.wire === WIRE_LEN) for (const d of packedVarints(bytesOf(f))) dims.push(Number(d));
        else dims.push(num(f));
        break;
      case 2: dataType = num(f); break;
      case 4:
        if (f.wire === WIRE_LEN) {
          const b = bytesOf(f);
          for (let i = 0; i + 4 <= b.length; i += 4) floats.push(f32(b.subarray(i)));
        } else floats.push(f32(bytesOf(f)));
        break;
      case 5: case 7:
        if (f.wire === WIRE_LEN) for (const d of packedVarints(bytesOf(f))) ints.push(Number(d));
        else ints.push(num(f));
        break;
      case 8: name = str(f); break;
      case 9: raw = bytesOf(f); break;
      case 14: throw new OnnxError(`tensor ${name}: external data is not supported`);
      default: break;
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  // Copy: a Node Buffer's slice() is a view into a shared pool, and we need an aligned own buffer.
  const copy = raw === undefined ? undefined : new Uint8Array(raw);
  let data: OnnxTensor['data'];
  switch (dataType) {
    case DT.FLOAT:
      data = copy ? new Float32Array(copy.buffer, 0, count) : Float32Array.from(floats);
      break;
    case DT.INT8:
      data = copy ? new Int8Array(copy.buffer, 0, count) : Int8Array.from(ints);
      break;
    case DT.UINT8:
      data = copy ? new Uint8Array(copy.buffer, 0, count) : Uint8Array.from(ints);
      break;
    case DT.INT32:
      data = copy ? new Int32Array(copy.buffer, 0, count) : Int32Array.from(ints);
      break;
    case DT.INT64: {
      if (copy) {
        const v = new BigInt64Array(copy.buffer, 0, count);
        data = Float64Array.from(v, (x) => Number(x));
      } else data = Float64Array.from(ints);
      break;
    }
    default:
      throw new OnnxError(`tensor ${name}: unsupported data type ${dataType}`);
  }
  if (data.length !== count) throw new OnnxError(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  return { name, dataType, dims, data };
}

function readAttribute(buf: Uint8Array): [string, OnnxAttrValue] {
  let name = '';
  let type = 0;
  let fv: number | undefined;
  let iv: number | undefined;
  let sv: string | undefined;
  let tv: OnnxTensor | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: name = str(f); break;
      case 2: fv = f32(bytesOf(f)); break;
      case 3: iv = num(f); break;
      case 4: sv = str(f); break;
      case 5: tv = readTensor(bytesOf(f)); break;
      case 7:
        if (f.wire === WIRE_LEN) { const b = bytesOf(f); for (let i = 0; i + 4 <= b.length; i += 4) floats.push(f32(b.subarray(i))); }
        else floats.push(f32(bytesOf(f)));
        break;
      case 8:
        if (f.wire === WIRE_LEN) for (const d of packedVarints(bytesOf(f))) ints.push(Number(d));
        else ints.push(num(f));
        break;
      case 20: type = num(f); break;
      default: break;
    }
  }
  // AttributeType: FLOAT=1 INT=2 STRING=3 TENSOR=4 FLOATS=6 INTS=7
  switch (type) {
    case 1: return [name, { kind: 'float', value: fv ?? 0 }];
    case 2: return [name, { kind: 'int', value: iv ?? 0 }];
    case 3: return [name, { kind: 'string', value: sv ?? '' }];
    case 4:
      if (!tv) throw new OnnxError(`attribute ${name}: missing tensor`);
      return [name, { kind: 'tensor', value: tv }];
    case 6: return [name, { kind: 'floats', value: floats }];
    case 7: return [name, { kind: 'ints', value: ints }];
    default: throw new OnnxError(`attribute ${name}: unsupported type ${type}`);
  }
}

function readNode(buf: Uint8Array): OnnxNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, OnnxAttrValue>();
  let name = '';
  let opType = '';
  let domain = '';
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: inputs.push(str(f)); break;
      case 2: outputs.push(str(f)); break;
      case 3: name = str(f); break;
      case 4: opType = str(f); break;
      case 5: { const [k, v] = readAttribute(bytesOf(f)); attributes.set(k, v); break; }
      case 7: domain = str(f); break;
      default: break;
    }
  }
  return { name, opType, domain, inputs, outputs, attributes };
}

function readValueInfo(buf: Uint8Array): OnnxValueInfo {
  let name = '';
  let elemType = 0;
  const shape: number[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) name = str(f);
    else if (f.no === 2) {
      for (const t of fields(bytesOf(f))) {
        if (t.no !== 1) continue; // tensor_type
        for (const tt of fields(bytesOf(t))) {
          if (tt.no === 1) elemType = num(tt);
          else if (tt.no === 2) {
            for (const d of fields(bytesOf(tt))) {
              if (d.no !== 1) continue;
              let v = -1;
              for (const dd of fields(bytesOf(d))) if (dd.no === 1) v = num(dd);
              shape.push(v);
            }
          }
        }
      }
    }
  }
  return { name, elemType, shape };
}

function readGraph(buf: Uint8Array): OnnxGraph {
  let name = '';
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: nodes.push(readNode(bytesOf(f))); break;
      case 2: name = str(f); break;
      case 5: initializers.push(readTensor(bytesOf(f))); break;
      case 11: inputs.push(readValueInfo(bytesOf(f))); break;
      case 12: outputs.push(readValueInfo(bytesOf(f))); break;
      default: break;
    }
  }
  // Older exporters list initializers among the inputs; those are not runtime inputs.
  const init = new Set(initializers.map((t) => t.name));
  return { name, nodes, initializers, inputs: inputs.filter((i) => !init.has(i.name)), outputs };
}

export function readModel(bytes: Uint8Array): OnnxModel {
  let irVersion = 0;
  const opsets: { domain: string; version: number }[] = [];
  let graph: OnnxGraph | undefined;
  try {
    for (const f of fields(bytes)) {
      if (f.no === 1) irVersion = num(f);
      else if (f.no === 7) graph = readGraph(bytesOf(f));
      else if (f.no === 8) {
        let domain = '';
        let version = 0;
        for (const o of fields(bytesOf(f))) {
          if (o.no === 1) domain = str(o);
          else if (o.no === 2) version = num(o);
        }
        opsets.push({ domain, version });
      }
    }
  } catch (e) {
    if (e instanceof ProtobufError) throw new OnnxError(`not an ONNX model: ${e.message}`);
    throw e;
  }
  if (!graph) throw new OnnxError('not an ONNX model: no graph');
  return { irVersion, opsets, graph };
}

// ---- writer ----

function writeTensor(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.uint(1, d);
  w.uint(2, t.dataType);
  w.string(8, t.name);
  let raw: Uint8Array;
  switch (t.dataType) {
    case DT.FLOAT: raw = new Uint8Array(Float32Array.from(t.data).buffer); break;
    case DT.INT8: raw = new Uint8Array(Int8Array.from(t.data).buffer); break;
    case DT.UINT8: raw = Uint8Array.from(t.data); break;
    case DT.INT32: raw = new Uint8Array(Int32Array.from(t.data).buffer); break;
    case DT.INT64: raw = new Uint8Array(BigInt64Array.from(Array.from(t.data), (x) => BigInt(x)).buffer); break;
    default: throw new OnnxError(`cannot write data type ${t.dataType}`);
  }
  w.bytes(9, raw);
  return w;
}

function writeAttr(name: string, a: OnnxAttrValue): Writer {
  const w = new Writer().string(1, name);
  switch (a.kind) {
    case 'float': w.float(2, a.value).uint(20, 1); break;
    case 'int': w.uint(3, a.value).uint(20, 2); break;
    case 'string': w.string(4, a.value).uint(20, 3); break;
    case 'tensor': w.message(5, writeTensor(a.value)).uint(20, 4); break;
    case 'floats': for (const v of a.value) w.float(7, v); w.uint(20, 6); break;
    case 'ints': for (const v of a.value) w.uint(8, v); w.uint(20, 7); break;
  }
  return w;
}

function writeValueInfo(v: OnnxValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (d >= 0) dim.uint(1, d);
    else dim.string(2, 'N');
    shape.message(1, dim);
  }
  // An empty shape is written as "rank unknown" (no shape field): used for intermediate outputs.
  const tt = new Writer().uint(1, v.elemType);
  if (v.shape.length > 0) tt.message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tt));
}

export function writeModel(m: OnnxModel): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) {
    const nw = new Writer();
    for (const i of n.inputs) nw.string(1, i);
    for (const o of n.outputs) nw.string(2, o);
    nw.string(3, n.name).string(4, n.opType);
    for (const [k, v] of n.attributes) nw.message(5, writeAttr(k, v));
    if (n.domain) nw.string(7, n.domain);
    g.message(1, nw);
  }
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers) g.message(5, writeTensor(t));
  for (const i of m.graph.inputs) g.message(11, writeValueInfo(i));
  for (const o of m.graph.outputs) g.message(12, writeValueInfo(o));
  const w = new Writer().uint(1, m.irVersion).string(2, 'hyperion-verify');
  for (const o of m.opsets) w.message(8, new Writer().string(1, o.domain).uint(2, o.version));
  w.message(7, g);
  return w.finish();
}

/** Node helper for writers. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, OnnxAttrValue> = {}, name = outputs[0]): OnnxNode {
  return { name, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}
