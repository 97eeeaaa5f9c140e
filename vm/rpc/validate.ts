// Field validators for node answers: each returns the typed value or throws
// RpcMalformedError naming the method and the field, so a lying or buggy node
// is caught where its answer enters the program.
import type { Address } from '../util/address.js';
import { hexToBytes, type Hex } from '../util/bytes.js';
import { RpcMalformedError, type JsonValue } from './client.js';

export type JsonObject = { [key: string]: JsonValue };

const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const DATA = /^0x([0-9a-fA-F]{2})*$/;

export function obj(method: string, v: JsonValue | undefined, what: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RpcMalformedError(method, `${what} is not an object`);
  return v;
}

export function arr(method: string, v: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(v)) throw new RpcMalformedError(method, `${what} is not an array`);
  return v;
}

/** A hex quantity (0x-prefixed, no leading zeros). */
export function quantity(method: string, v: JsonValue | undefined, what: string): bigint {
  if (typeof v !== 'string' || !QUANTITY.test(v)) throw new RpcMalformedError(method, `${what} is not a hex quantity: ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** A quantity some tracers give as a JSON number (prestateTracer's nonce) or as hex. */
export function quantityOrNumber(method: string, v: JsonValue | undefined, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RpcMalformedError(method, `${what} is not a non-negative integer: ${v}`);
    return BigInt(v);
  }
  return quantity(method, v, what);
}

/** Hex data of any length (or exactly `length` bytes). */
export function data(method: string, v: JsonValue | undefined, what: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || !DATA.test(v)) throw new RpcMalformedError(method, `${what} is not hex data`);
  const b = hexToBytes(v);
  if (length !== undefined && b.length !== length) throw new RpcMalformedError(method, `${what} must be ${length} bytes, got ${b.length}`);
  return b;
}

export function hash32(method: string, v: JsonValue | undefined, what: string): Uint8Array {
  return data(method, v, what, 32);
}

/** A 32-byte word given as hex data (storage values in tracers). Accepts short quantities too. */
export function word(method: string, v: JsonValue | undefined, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw new RpcMalformedError(method, `${what} is not a 32-byte word`);
  return BigInt(v);
}

export function address(method: string, v: JsonValue | undefined, what: string): Address {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new RpcMalformedError(method, `${what} is not a 20-byte address`);
  return v.toLowerCase() as Address;
}

export function quantityHex(n: bigint): Hex {
  return `0x${n.toString(16)}`;
}

export function wordHex(n: bigint): Hex {
  return `0x${n.toString(16).padStart(64, '0')}`;
}
