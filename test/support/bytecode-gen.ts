// Seeded generator of EVM programs for differential testing. Valid programs
// keep a model of the stack height so no instruction underflows, use bounded
// memory offsets and small storage slot sets, and jump only to JUMPDESTs they
// placed; invalid programs are valid ones with one deliberate fault. The same
// seed always gives the same program.

import type { Fork } from '../../vm/chain/forks.js';

export type ProgramKind =
  | 'valid'
  | 'revert'
  | 'low-gas'
  | 'stack-underflow'
  | 'stack-overflow'
  | 'bad-jump'
  | 'invalid-opcode'
  | 'memory-out-of-gas'
  | 'infinite-loop'
  | 'returndata-out-of-bounds';

export const PROGRAM_KINDS: readonly ProgramKind[] = [
  'valid',
  'revert',
  'low-gas',
  'stack-underflow',
  'stack-overflow',
  'bad-jump',
  'invalid-opcode',
  'memory-out-of-gas',
  'infinite-loop',
  'returndata-out-of-bounds',
];

export interface GeneratedProgram {
  readonly seed: number;
  /** Fork to run under; CLZ (EIP-7939) is only generated for osaka. */
  readonly fork: Fork;
  readonly kind: ProgramKind;
  readonly code: Uint8Array;
  readonly input: Uint8Array;
  readonly gas: bigint;
  readonly value: bigint;
  /** The outcome the program was built for; 'any' when gas may or may not suffice. */
  readonly expect: 'ok' | 'revert' | 'halt' | 'any';
}

// Opcodes by their Yellow Paper / execution-specs names.
export const OP = {
  STOP: 0x00, ADD: 0x01, MUL: 0x02, SUB: 0x03, DIV: 0x04, SDIV: 0x05, MOD: 0x06, SMOD: 0x07,
  ADDMOD: 0x08, MULMOD: 0x09, EXP: 0x0a, SIGNEXTEND: 0x0b,
  LT: 0x10, GT: 0x11, SLT: 0x12, SGT: 0x13, EQ: 0x14, ISZERO: 0x15, AND: 0x16, OR: 0x17, XOR: 0x18,
  NOT: 0x19, BYTE: 0x1a, SHL: 0x1b, SHR: 0x1c, SAR: 0x1d, CLZ: 0x1e,
  KECCAK256: 0x20,
  ADDRESS: 0x30, ORIGIN: 0x32, CALLER: 0x33, CALLVALUE: 0x34, CALLDATALOAD: 0x35, CALLDATASIZE: 0x36,
  CALLDATACOPY: 0x37, CODESIZE: 0x38, CODECOPY: 0x39, RETURNDATASIZE: 0x3d, RETURNDATACOPY: 0x3e,
  POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, MSTORE8: 0x53, SLOAD: 0x54, SSTORE: 0x55, JUMP: 0x56, JUMPI: 0x57,
  PC: 0x58, MSIZE: 0x59, GAS: 0x5a, JUMPDEST: 0x5b, TLOAD: 0x5c, TSTORE: 0x5d, MCOPY: 0x5e, PUSH0: 0x5f,
  PUSH1: 0x60, PUSH2: 0x61, PUSH32: 0x7f, DUP1: 0x80, SWAP1: 0x90, LOG0: 0xa0,
  STATICCALL: 0xfa, RETURN: 0xf3, REVERT: 0xfd, INVALID: 0xfe,
} as const;

/** [opcode, stack inputs] of the pure word operations (each pushes one result). */
const WORD_OPS: readonly (readonly [number, number])[] = [
  [OP.ADD, 2], [OP.MUL, 2], [OP.SUB, 2], [OP.DIV, 2], [OP.SDIV, 2], [OP.MOD, 2], [OP.SMOD, 2],
  [OP.ADDMOD, 3], [OP.MULMOD, 3], [OP.EXP, 2], [OP.SIGNEXTEND, 2],
  [OP.LT, 2], [OP.GT, 2], [OP.SLT, 2], [OP.SGT, 2], [OP.EQ, 2], [OP.ISZERO, 1],
  [OP.AND, 2], [OP.OR, 2], [OP.XOR, 2], [OP.NOT, 1], [OP.BYTE, 2], [OP.SHL, 2], [OP.SHR, 2], [OP.SAR, 2],
  [OP.CLZ, 1],
];

/** Zero-input environment ops that push one word. */
const ENV_OPS: readonly number[] = [
  OP.ADDRESS, OP.ORIGIN, OP.CALLER, OP.CALLVALUE, OP.CALLDATASIZE, OP.CODESIZE, OP.RETURNDATASIZE,
  OP.PC, OP.MSIZE, OP.GAS,
];

/** Bytes that are not opcodes at Osaka (0xfe is the designated INVALID). */
const UNDEFINED_OPS: readonly number[] = [0x0c, 0x0d, 0x0e, 0x0f, 0x1f, 0x21, 0x2f, 0x4b, 0x4f, 0xa5, 0xb0, 0xe0, 0xef, 0xf6, 0xfb, 0xfe];

const IDENTITY_PRECOMPILE = 0x04n;
const MAX_WORD = (1n << 256n) - 1n;

// ---------------------------------------------------------------------------

/** splitmix32-style generator: small, fast, and fully determined by the seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

/** A tiny assembler: opcodes, pushes, and labels resolved to PUSH2 targets. */
export class Assembler {
  private readonly out: number[] = [];
  private readonly labels: number[] = [];
  private readonly fixups: { at: number; label: number }[] = [];

  get length(): number {
    return this.out.length;
  }
  op(...ops: number[]): this {
    this.out.push(...ops);
    return this;
  }
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }
  /** PUSH `value` in `width` bytes (minimal if omitted; PUSH0 for zero). */
  push(value: bigint, width?: number): this {
    if (value < 0n || value > MAX_WORD) throw new RangeError(`push value out of range: ${value}`);
    const minimal = value === 0n ? 0 : Math.ceil(value.toString(16).length / 2);
    const w = width ?? minimal;
    if (w < minimal || w > 32) throw new RangeError(`push width ${w} cannot hold ${value}`);
    if (w === 0) return this.op(OP.PUSH0);
    this.out.push(OP.PUSH1 + w - 1);
    for (let i = w - 1; i >= 0; i--) this.out.push(Number((value >> BigInt(8 * i)) & 0xffn));
    return this;
  }
  newLabel(): number {
    this.labels.push(-1);
    return this.labels.length - 1;
  }
  /** Places `label` here as a JUMPDEST. */
  mark(label: number): this {
    this.labels[label] = this.out.length;
    return this.op(OP.JUMPDEST);
  }
  pushLabel(label: number): this {
    this.fixups.push({ at: this.out.length + 1, label });
    return this.op(OP.PUSH2, 0, 0);
  }
  build(): Uint8Array {
    const code = Uint8Array.from(this.out);
    for (const f of this.fixups) {
      const pos = this.labels[f.label];
      if (pos < 0) throw new Error(`label ${f.label} never placed`);
      code[f.at] = pos >> 8;
      code[f.at + 1] = pos & 0xff;
    }
    return code;
  }
}

// ---------------------------------------------------------------------------

const MEM_LIMIT = 1024; // offsets stay below this, lengths below 129: memory stays under ~1.2 KiB
const STACK_SOFT_LIMIT = 64;

class Gen {
  readonly asm = new Assembler();
  /** Modelled stack height. */
  depth = 0;
  /** Height below which the current block may read (DUP) but not consume. */
  floor = 0;
  /** Bytes of return data certainly available (identity calls return their input). */
  retSize = 0;
  budget: number;
  loopDepth = 0;

  readonly wordOps: readonly (readonly [number, number])[];

  constructor(readonly rng: Rng, steps: number, fork: Fork) {
    this.budget = steps;
    this.wordOps = fork === 'osaka' ? WORD_OPS : WORD_OPS.filter(([op]) => op !== OP.CLZ);
  }

  word(): bigint {
    const r = this.rng;
    switch (r.int(10)) {
      case 0: return BigInt(r.int(4));
      case 1: return BigInt(r.int(256));
      case 2: return r.pick([31n, 32n, 255n, 256n, 1n << 255n, MAX_WORD, (1n << 255n) - 1n, MAX_WORD - 1n, 1n << 128n]);
      case 3: return MAX_WORD - BigInt(r.int(1000));
      default: {
        const n = r.range(1, 32);
        let v = 0n;
        for (const b of r.bytes(n)) v = (v << 8n) | BigInt(b);
        return v;
      }
    }
  }

  pushWord(v: bigint = this.word()): void {
    const minimal = v === 0n ? 0 : Math.ceil(v.toString(16).length / 2);
    // Sometimes a wider PUSH than needed: leading zero bytes must not matter.
    const width = this.rng.chance(0.2) ? this.rng.range(Math.max(minimal, 1), 32) : minimal;
    this.asm.push(v, width);
    this.depth++;
  }

  /** A small bounded number pushed on top (offsets, lengths, slots). */
  pushSmall(max: number): void {
    this.asm.push(BigInt(this.rng.int(max + 1)), this.rng.chance(0.1) ? 32 : undefined);
    this.depth++;
  }

  ensure(n: number): void {
    while (this.depth - this.floor < n) this.pushWord();
  }

  /** Pop or fill back to exactly `h`. */
  settleTo(h: number): void {
    while (this.depth > h) {
      this.asm.op(OP.POP);
      this.depth--;
    }
    while (this.depth < h) this.pushWord();
  }

  block(): void {
    while (this.budget > 0) {
      this.budget--;
      this.step();
      if (this.rng.chance(0.08)) return;
    }
  }

  step(): void {
    const r = this.rng;
    if (this.depth - this.floor > STACK_SOFT_LIMIT) this.settleTo(this.floor + 8);
    const k = r.int(100);
    if (k < 22) this.wordOp();
    else if (k < 30) this.pushWord();
    else if (k < 38) this.dupSwapPop();
    else if (k < 52) this.memoryOp();
    else if (k < 60) this.storageOp();
    else if (k < 64) this.logOp();
    else if (k < 70) this.calldataOp();
    else if (k < 74) this.returndataOp();
    else if (k < 78) this.envOp();
    else if (k < 84) this.forwardJump();
    else if (k < 89 && this.loopDepth < 2) this.loop();
    else this.wordOp();
  }

  wordOp(): void {
    const [op, inputs] = this.rng.pick(this.wordOps);
    this.ensure(inputs);
    // EXP costs 50 gas per exponent byte; mostly use a small exponent (second) under a word base (top).
    if (op === OP.EXP && this.rng.chance(0.5)) {
      this.asm.push(BigInt(this.rng.int(300)));
      this.depth++;
      this.pushWord();
    }
    this.ensure(inputs);
    this.asm.op(op);
    this.depth += 1 - inputs;
  }

  dupSwapPop(): void {
    const r = this.rng;
    const k = r.int(3);
    if (r.chance(0.1)) {
      // The deepest forms, DUP16 and SWAP16, need 17 items above the floor.
      this.ensure(17);
      if (r.chance(0.5)) {
        this.asm.op(OP.DUP1 + 15);
        this.depth++;
      } else this.asm.op(OP.SWAP1 + 15);
    } else if (k === 0 && this.depth >= 1) {
      const n = r.range(1, Math.min(16, this.depth));
      this.asm.op(OP.DUP1 + n - 1);
      this.depth++;
    } else if (k === 1 && this.depth - this.floor >= 2) {
      const n = r.range(1, Math.min(16, this.depth - this.floor - 1));
      this.asm.op(OP.SWAP1 + n - 1);
    } else if (this.depth - this.floor >= 1) {
      this.asm.op(OP.POP);
      this.depth--;
    } else {
      this.pushWord();
    }
  }

  memoryOp(): void {
    const r = this.rng;
    switch (r.int(7)) {
      case 0: // MSTORE value at offset
      case 1:
        this.ensure(1);
        this.pushSmall(MEM_LIMIT);
        this.asm.op(r.chance(0.7) ? OP.MSTORE : OP.MSTORE8);
        this.depth -= 2;
        return;
      case 2:
        this.pushSmall(MEM_LIMIT);
        this.asm.op(OP.MLOAD);
        return;
      case 3: // MCOPY dst src len (len pushed first: it is deepest)
        this.pushSmall(128);
        this.pushSmall(MEM_LIMIT);
        this.pushSmall(MEM_LIMIT);
        this.asm.op(OP.MCOPY);
        this.depth -= 3;
        return;
      case 4:
      case 5:
        this.pushSmall(128);
        this.pushSmall(MEM_LIMIT);
        this.asm.op(OP.KECCAK256);
        this.depth -= 1;
        return;
      default: // CODECOPY dst codeOffset len
        this.pushSmall(64);
        this.pushSmall(200);
        this.pushSmall(MEM_LIMIT);
        this.asm.op(OP.CODECOPY);
        this.depth -= 3;
    }
  }

  slot(): void {
    // Mostly a few small slots, so reads hit earlier writes and writes rewrite slots.
    if (this.rng.chance(0.85)) this.pushSmall(7);
    else this.pushWord();
  }

  storageOp(): void {
    const r = this.rng;
    const transient = r.chance(0.35);
    if (r.chance(0.55)) {
      this.ensure(1);
      // Zero values exercise clearing (and EIP-2200/3529 refund paths).
      if (r.chance(0.25)) {
        this.asm.op(OP.POP).op(OP.PUSH0);
      }
      this.slot();
      this.asm.op(transient ? OP.TSTORE : OP.SSTORE);
      this.depth -= 2;
    } else {
      this.slot();
      this.asm.op(transient ? OP.TLOAD : OP.SLOAD);
    }
  }

  logOp(): void {
    const n = this.rng.int(5);
    this.ensure(n);
    this.pushSmall(96);
    this.pushSmall(MEM_LIMIT);
    this.asm.op(OP.LOG0 + n);
    this.depth -= 2 + n;
  }

  calldataOp(): void {
    const r = this.rng;
    switch (r.int(3)) {
      case 0:
        this.pushSmall(120);
        this.asm.op(OP.CALLDATALOAD);
        return;
      case 1:
        this.asm.op(OP.CALLDATASIZE);
        this.depth++;
        return;
      default: // CALLDATACOPY dst src len; reading past calldata yields zeros
        this.pushSmall(96);
        this.pushSmall(150);
        this.pushSmall(MEM_LIMIT);
        this.asm.op(OP.CALLDATACOPY);
        this.depth -= 3;
    }
  }

  /** STATICCALL the identity precompile (sets return data), or read return data in bounds. */
  returndataOp(): void {
    const r = this.rng;
    if (this.retSize === 0 || r.chance(0.5)) {
      const argsSize = r.int(97);
      this.pushSmall(64); // retSize
      this.pushSmall(MEM_LIMIT); // retOffset
      this.asm.push(BigInt(argsSize));
      this.depth++;
      this.pushSmall(MEM_LIMIT); // argsOffset
      this.asm.push(IDENTITY_PRECOMPILE);
      this.depth++;
      // All remaining gas, or a fixed stipend that may be too small for the precompile.
      const stipend = r.chance(0.5) ? null : r.range(0, 5000);
      if (stipend === null) this.asm.op(OP.GAS);
      else this.asm.push(BigInt(stipend));
      this.depth++;
      this.asm.op(OP.STATICCALL);
      this.depth -= 5;
      // Identity costs at most 15 + 3*4 gas here; with less the call fails and leaves no return data.
      this.retSize = stipend === null || stipend >= 100 ? argsSize : 0;
      return;
    }
    if (r.chance(0.3)) {
      this.asm.op(OP.RETURNDATASIZE);
      this.depth++;
      return;
    }
    const len = r.int(this.retSize + 1);
    const off = r.int(this.retSize - len + 1);
    this.asm.push(BigInt(len));
    this.asm.push(BigInt(off));
    this.depth += 2;
    this.pushSmall(MEM_LIMIT);
    this.asm.op(OP.RETURNDATACOPY);
    this.depth -= 3;
  }

  envOp(): void {
    this.asm.op(this.rng.pick(ENV_OPS));
    this.depth++;
  }

  /** A block that is skipped by a taken JUMPI, or jumped over with junk in between. */
  forwardJump(): void {
    const r = this.rng;
    const skip = this.asm.newLabel();
    const savedFloor = this.floor;
    const before = this.retSize;
    if (r.chance(0.6)) {
      // Condition: a fresh constant or a copy of some stack word.
      if (this.depth >= 1 && r.chance(0.5)) {
        this.asm.op(OP.DUP1 + r.int(Math.min(16, this.depth)));
      } else {
        this.asm.push(r.chance(0.5) ? 0n : BigInt(r.range(1, 3)));
      }
      this.asm.pushLabel(skip).op(OP.JUMPI);
      this.floor = this.depth;
      this.block();
      this.settleTo(this.floor);
      this.floor = savedFloor;
      this.asm.mark(skip);
      this.retSize = Math.min(before, this.retSize);
    } else {
      this.asm.pushLabel(skip).op(OP.JUMP);
      this.junk();
      this.asm.mark(skip);
    }
  }

  /** Unreachable bytes: complete instructions (PUSH data full of 0x5b, invalid ops). */
  junk(): void {
    const r = this.rng;
    const n = r.range(1, 4);
    for (let i = 0; i < n; i++) {
      if (r.chance(0.5)) {
        const w = r.range(1, 32);
        this.asm.op(OP.PUSH1 + w - 1);
        for (let j = 0; j < w; j++) this.asm.op(r.chance(0.4) ? OP.JUMPDEST : r.int(256));
      } else {
        this.asm.op(r.pick(UNDEFINED_OPS));
      }
    }
  }

  /** counter k; L: JUMPDEST body; counter-1; DUP1 PUSH2 L JUMPI; POP */
  loop(): void {
    const r = this.rng;
    const savedFloor = this.floor;
    const before = this.retSize;
    this.asm.push(BigInt(r.range(1, this.loopDepth === 0 ? 6 : 3)));
    this.depth++;
    const top = this.asm.newLabel();
    this.asm.mark(top);
    this.floor = this.depth;
    this.loopDepth++;
    // Return data at the top of later iterations comes from the previous one.
    this.retSize = 0;
    const total = this.budget;
    const inner = Math.min(total, r.range(2, 12));
    this.budget = inner;
    this.block();
    this.budget = total - inner + this.budget;
    this.settleTo(this.floor);
    this.loopDepth--;
    this.floor = savedFloor;
    this.asm.push(1n).op(OP.SWAP1, OP.SUB, OP.DUP1).pushLabel(top).op(OP.JUMPI, OP.POP);
    this.depth--;
    this.retSize = Math.min(before, this.retSize);
  }

  /** RETURN or REVERT a bounded memory range. */
  finish(op: number): void {
    this.pushSmall(96);
    this.pushSmall(MEM_LIMIT);
    this.asm.op(op);
    this.depth -= 2;
  }
}

/** Program for `seed`; kind and fork are drawn from the seed too (about half valid, 60% osaka). */
export function generateProgram(seed: number): GeneratedProgram {
  const rng = new Rng(seed);
  const roll = rng.int(100);
  const kind: ProgramKind =
    roll < 50 ? 'valid' : roll < 58 ? 'revert' : roll < 66 ? 'low-gas' : PROGRAM_KINDS[3 + rng.int(PROGRAM_KINDS.length - 3)];
  const forkRoll = rng.int(10);
  const fork: Fork = forkRoll < 6 ? 'osaka' : forkRoll < 8 ? 'prague' : 'cancun';
  const g = new Gen(rng, rng.range(8, 80), fork);
  g.block();
  while (g.budget > 0) {
    g.budget--;
    g.step();
  }
  let expect: GeneratedProgram['expect'] = 'ok';
  let gas = BigInt(rng.range(1_000_000, 10_000_000));
  const a = g.asm;
  switch (kind) {
    case 'valid': {
      const end = rng.int(4);
      if (end === 0) a.op(OP.STOP);
      else if (end === 1) {
        // Fall off the end of the code: an implicit STOP.
      } else g.finish(OP.RETURN);
      break;
    }
    case 'revert':
      g.finish(OP.REVERT);
      expect = 'revert';
      break;
    case 'low-gas':
      g.finish(OP.RETURN);
      gas = BigInt(rng.range(0, 30_000));
      expect = 'any';
      break;
    case 'stack-underflow': {
      g.settleTo(0);
      // Leave fewer items than the op needs.
      const [op, inputs] = rng.pick(WORD_OPS.filter(([, n]) => n >= 2));
      if (rng.chance(0.8)) {
        const have = rng.int(inputs);
        for (let i = 0; i < have; i++) a.op(OP.PUSH0);
        a.op(op);
      } else {
        a.op(rng.pick([OP.SSTORE, OP.MSTORE, OP.JUMP, OP.RETURN, OP.LOG0 + 2, OP.SWAP1 + 3, OP.DUP1 + 5, OP.POP]));
      }
      expect = 'halt';
      break;
    }
    case 'stack-overflow': {
      // Push forever: the 1025th item halts long before the gas runs out.
      const l = a.newLabel();
      a.mark(l);
      a.op(rng.chance(0.5) ? OP.PC : OP.PUSH0);
      if (rng.chance(0.5)) a.op(OP.DUP1);
      a.pushLabel(l).op(OP.JUMP);
      expect = 'halt';
      break;
    }
    case 'bad-jump': {
      const pos = a.length;
      switch (rng.int(4)) {
        case 0: // into the middle of our own PUSH32 whose data is all JUMPDEST bytes
          a.push(BigInt(pos + 2 + 4), 2);
          a.op(OP.JUMP, OP.PUSH32);
          for (let i = 0; i < 32; i++) a.op(OP.JUMPDEST);
          break;
        case 1: // past the end of the code
          a.push(BigInt(pos + 4 + rng.int(1000)), 2).op(OP.JUMP);
          break;
        case 2: // onto a non-JUMPDEST instruction, conditionally taken
          a.push(1n).push(BigInt(pos), 2).op(OP.JUMPI); // pos holds PUSH1, not JUMPDEST
          break;
        default: // a huge destination
          a.push(MAX_WORD - BigInt(rng.int(5))).op(OP.JUMP);
      }
      expect = 'halt';
      break;
    }
    case 'invalid-opcode':
      // Before osaka CLZ is not an opcode either.
      a.op(rng.chance(0.3) ? OP.INVALID : fork !== 'osaka' && rng.chance(0.3) ? OP.CLZ : rng.pick(UNDEFINED_OPS));
      expect = 'halt';
      break;
    case 'memory-out-of-gas':
      // Memory expansion to ~4 GiB costs far more than any gas we give.
      a.push(BigInt(rng.range(1, 255))).push(BigInt(0x1_0000_0000 + rng.int(1 << 20))).op(rng.pick([OP.MSTORE, OP.MSTORE8]));
      expect = 'halt';
      break;
    case 'infinite-loop': {
      const l = a.newLabel();
      a.mark(l);
      g.floor = g.depth;
      g.budget = rng.range(1, 6);
      g.block();
      g.settleTo(g.floor);
      a.pushLabel(l).op(OP.JUMP);
      gas = BigInt(rng.range(50_000, 400_000));
      expect = 'halt';
      break;
    }
    case 'returndata-out-of-bounds': {
      // Return data never exceeds 96 bytes here, so 97+ is out of bounds whatever ran.
      const len = 97 + rng.int(64);
      a.push(BigInt(len)).push(0n).push(0n).op(OP.RETURNDATACOPY);
      expect = 'halt';
      break;
    }
  }
  const input = rng.bytes(rng.int(4) === 0 ? 0 : rng.range(1, 100));
  const value = rng.chance(0.2) ? BigInt(rng.range(1, 1_000_000)) : 0n;
  return { seed, fork, kind, code: a.build(), input, gas, value, expect };
}
