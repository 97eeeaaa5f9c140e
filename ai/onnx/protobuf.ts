// Minimal protocol-buffers wire format: just the varint / length-delimited / fixed32 / fixed64
// fields that ONNX ModelProto uses. No schema; callers dispatch on field numbers.

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export interface Field {
  readonly no: number;
  readonly wire: number;
  /** Varint value (wire 0) as bigint; undefined otherwise. */
  readonly varint?: bigint;
  /** Payload bytes for wire 1, 2 and 5. */
  readonly bytes?: Uint8Array;
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ProtobufError('varint too long');
    }
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new ProtobufError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  field(): Field {
    const key = this.varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    switch (wire) {
      case WIRE_VARINT:
        return { no, wire, varint: this.varint() };
      case WIRE_FIXED64:
        return { no, wire, bytes: this.take(8) };
      case WIRE_LEN:
        return { no, wire, bytes: this.take(Number(this.varint())) };
      case WIRE_FIXED32:
        return { no, wire, bytes: this.take(4) };
      default:
        throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }
}

export function* fields(buf: Uint8Array): Generator<Field> {
  const r = new Reader(buf);
  while (!r.done) yield r.field();
}

/** Signed 64-bit interpretation of a varint (int64 fields are two's complement, not zigzag). */
export function toInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export function packedVarints(buf: Uint8Array): bigint[] {
  const r = new Reader(buf);
  const out: bigint[] = [];
  while (!r.done) out.push(toInt64(r.varint()));
  return out;
}

export class Writer {
  private chunks: number[] = [];

  varint(v: bigint | number): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.chunks.push(b);
    } while (x !== 0n);
    return this;
  }

  key(no: number, wire: number): this {
    return this.varint((no << 3) | wire);
  }

  uint(no: number, v: bigint | number): this {
    return this.key(no, WIRE_VARINT).varint(v);
  }

  bytes(no: number, b: Uint8Array): this {
    this.key(no, WIRE_LEN).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, new TextEncoder().encode(s));
  }

  float(no: number, f: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.key(no, WIRE_FIXED32);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  message(no: number, w: Writer): this {
    return this.bytes(no, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
