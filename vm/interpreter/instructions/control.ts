// Stack, control-flow and halting instructions.
import type { Frame } from '../frame.js';
import { EMPTY, expandMemory, halt } from '../frame.js';
import type { Machine } from '../machine.js';
import { shortBytesToWord, bytesToWord } from './words.js';

/** Preallocated BigInts for 0..65535: PUSH1/PUSH2 and PC push them without allocating. */
const SMALL: readonly bigint[] = Array.from({ length: 65536 }, (_, i) => BigInt(i));

export function pop(_m: Machine, f: Frame): void {
  f.sp--;
}

export function push0(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = 0n;
}

/** PUSH1..PUSH32: the immediate bytes follow the opcode; past the code's end they read as zero. */
export function makePush(n: number): (m: Machine, f: Frame) => void {
  if (n === 1) {
    return (_m, f) => {
      const pc = f.pc;
      f.stack[f.sp++] = SMALL[f.code[pc] ?? 0]!;
      f.pc = pc + 1;
    };
  }
  if (n === 2) {
    return (_m, f) => {
      const pc = f.pc;
      const code = f.code;
      f.stack[f.sp++] = SMALL[((code[pc] ?? 0) << 8) | (code[pc + 1] ?? 0)]!;
      f.pc = pc + 2;
    };
  }
  if (n === 32) {
    return (_m, f) => {
      const pc = f.pc;
      const code = f.code;
      f.stack[f.sp++] = pc + 32 <= code.length ? bytesToWord(code, pc) : shortBytesToWord(code, pc, 32);
      f.pc = pc + 32;
    };
  }
  return (_m, f) => {
    const pc = f.pc;
    f.stack[f.sp++] = shortBytesToWord(f.code, pc, n);
    f.pc = pc + n;
  };
}

export function makeDup(n: number): (m: Machine, f: Frame) => void {
  return (_m, f) => {
    const s = f.stack;
    s[f.sp] = s[f.sp - n]!;
    f.sp++;
  };
}

export function makeSwap(n: number): (m: Machine, f: Frame) => void {
  return (_m, f) => {
    const s = f.stack;
    const top = f.sp - 1;
    const other = top - n;
    const t = s[top]!;
    s[top] = s[other]!;
    s[other] = t;
  };
}

/** Above any code size: such a destination is invalid without converting it. */
const JUMP_LIMIT = 1n << 32n;

export function jump(_m: Machine, f: Frame): void {
  const dest = f.stack[--f.sp]!;
  // jumpdests[] is undefined past the code's end, so one lookup checks both bounds and validity.
  if (dest >= JUMP_LIMIT || f.jumpdests[Number(dest)] !== 1) halt('invalid jump destination');
  f.pc = Number(dest);
}

export function jumpi(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  if (s[sp] === 0n) return;
  const dest = s[sp + 1]!;
  if (dest >= JUMP_LIMIT || f.jumpdests[Number(dest)] !== 1) halt('invalid jump destination');
  f.pc = Number(dest);
}

export function pc(_m: Machine, f: Frame): void {
  const v = f.pc - 1;
  f.stack[f.sp++] = v < SMALL.length ? SMALL[v]! : BigInt(v);
}

export function gas(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = BigInt(f.gas);
}

export function jumpdest(_m: Machine, _f: Frame): void {}

export function stop(m: Machine, f: Frame): void {
  m.finish(f, true, EMPTY, null);
}

export function return_(m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const size = s[sp]!;
  const o = expandMemory(f, s[sp + 1]!, size);
  m.finish(f, true, size === 0n ? EMPTY : f.memory.read(o, Number(size)), null);
}

export function revert(m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const size = s[sp]!;
  const o = expandMemory(f, s[sp + 1]!, size);
  m.finish(f, false, size === 0n ? EMPTY : f.memory.read(o, Number(size)), 'revert');
}

export function invalid(_m: Machine, _f: Frame): void {
  halt('invalid opcode');
}
