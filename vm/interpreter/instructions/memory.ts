// Memory, hashing and data-copy instructions.
import { keccak256Word } from '../../util/keccak.js';
import type { Frame } from '../frame.js';
import type { Machine } from '../machine.js';
import { expandMemory, growTo, halt, toSaturatedNumber, useGas } from '../frame.js';
import { GAS_COPY, GAS_KECCAK256_WORD, MEMORY_LIMIT } from '../gas.js';
import { OUT_OF_GAS } from '../errors.js';
import { bytesToWord, wordToBytes } from './words.js';

const LIMIT = BigInt(MEMORY_LIMIT);

export function mload(_m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const off = s[i]!;
  if (off > LIMIT) throw OUT_OF_GAS;
  const o = Number(off);
  growTo(f, o + 32);
  s[i] = bytesToWord(f.memory.buf, o);
}

export function mstore(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const off = s[sp + 1]!;
  if (off > LIMIT) throw OUT_OF_GAS;
  const o = Number(off);
  growTo(f, o + 32);
  wordToBytes(s[sp]!, f.memory.buf, o);
}

export function mstore8(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const off = s[sp + 1]!;
  if (off > LIMIT) throw OUT_OF_GAS;
  const o = Number(off);
  growTo(f, o + 1);
  f.memory.buf[o] = Number(s[sp]! & 0xffn);
}

export function msize(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = BigInt(f.memory.size);
}

/** EIP-5656 MCOPY. */
export function mcopy(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const dst = s[sp + 2]!;
  const src = s[sp + 1]!;
  const size = s[sp]!;
  if (size === 0n) return;
  if (size > LIMIT) throw OUT_OF_GAS;
  useGas(f, GAS_COPY * Math.ceil(Number(size) / 32));
  const end = (dst > src ? dst : src) + size;
  if (end > LIMIT) throw OUT_OF_GAS;
  growTo(f, Number(end));
  const n = Number(size);
  const so = Number(src);
  f.memory.buf.copyWithin(Number(dst), so, so + n);
}

export function keccak256(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const off = s[sp]!;
  const size = s[sp - 1]!;
  if (size > LIMIT) throw OUT_OF_GAS;
  useGas(f, GAS_KECCAK256_WORD * Math.ceil(Number(size) / 32));
  const o = expandMemory(f, off, size);
  s[sp - 1] = keccak256Word(f.memory.buf, o, Number(size));
}

/** Shared by CALLDATACOPY, CODECOPY, RETURNDATACOPY (after its bounds check) and EXTCODECOPY. */
export function copyToMemory(f: Frame, memOffset: bigint, dataOffset: bigint, size: bigint, data: Uint8Array): void {
  if (size === 0n) return;
  if (size > LIMIT) throw OUT_OF_GAS;
  useGas(f, GAS_COPY * Math.ceil(Number(size) / 32));
  const o = expandMemory(f, memOffset, size);
  f.memory.writePadded(o, data, toSaturatedNumber(dataOffset), Number(size));
}

export function calldataload(_m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const data = f.msg.input;
  const off = s[i]!;
  if (off >= BigInt(data.length)) {
    s[i] = 0n;
    return;
  }
  const o = Number(off);
  if (o + 32 <= data.length) {
    s[i] = bytesToWord(data, o);
  } else {
    const tmp = new Uint8Array(32);
    tmp.set(data.subarray(o));
    s[i] = bytesToWord(tmp, 0);
  }
}

export function calldatasize(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = BigInt(f.msg.input.length);
}

export function calldatacopy(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  copyToMemory(f, s[sp + 2]!, s[sp + 1]!, s[sp]!, f.msg.input);
}

export function codesize(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = BigInt(f.code.length);
}

export function codecopy(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  copyToMemory(f, s[sp + 2]!, s[sp + 1]!, s[sp]!, f.code);
}

export function returndatasize(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = BigInt(f.returnData.length);
}

export function returndatacopy(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 3);
  const memOff = s[sp + 2]!;
  const dataOff = s[sp + 1]!;
  const size = s[sp]!;
  if (dataOff + size > BigInt(f.returnData.length)) halt('return data out of bounds');
  copyToMemory(f, memOff, dataOff, size, f.returnData);
}
