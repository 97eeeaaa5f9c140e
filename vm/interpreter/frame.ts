// A call frame: everything one message call or contract creation needs to run,
// as plain data. The machine drives a stack of these with one loop (no native
// recursion), so any instruction boundary is a resumable, hashable state.
import type { Address } from '../util/address.js';
import { Memory } from './memory.js';
import { ExceptionalHalt, OUT_OF_GAS } from './errors.js';
import { MEMORY_LIMIT, STACK_LIMIT, memoryCost } from './gas.js';

export type FrameKind = 'call' | 'create';

/** A message (execution-specs' Message): the inputs of a frame. */
export interface Message {
  readonly kind: FrameKind;
  readonly caller: Address;
  /** The account whose storage and balance the code acts on (current_target). */
  readonly address: Address;
  /** The account whose code runs (differs for DELEGATECALL/CALLCODE and delegations). */
  readonly codeAddress: Address;
  readonly value: bigint;
  /** Whether `value` moves from caller to address (false for DELEGATECALL). */
  readonly transfersValue: boolean;
  readonly input: Uint8Array;
  readonly code: Uint8Array;
  readonly gas: number;
  readonly isStatic: boolean;
  readonly depth: number;
  /** EIP-7702: a call through a delegation never runs a precompile. */
  readonly disablePrecompiles: boolean;
}

export interface Frame {
  readonly msg: Message;
  readonly code: Uint8Array;
  /** 1 at each valid JUMPDEST offset. */
  readonly jumpdests: Uint8Array;
  pc: number;
  gas: number;
  readonly stack: bigint[];
  sp: number;
  readonly memory: Memory;
  /** Return data of the last sub-call (RETURNDATASIZE/COPY). */
  returnData: Uint8Array;
  /** Refund counter accumulated by this frame and its successful children. */
  refund: number;
  /** World journal position and log count when the frame began: where a failure reverts to. */
  readonly checkpoint: number;
  readonly logMark: number;
  /** Accounts SELFDESTRUCTed (EIP-6780: only those created in this transaction are deleted). */
  selfdestructs: Set<Address> | null;
  /** Where the parent wants the output written (CALL family). */
  readonly retOffset: number;
  readonly retSize: number;
}

const jumpdestCache = new WeakMap<Uint8Array, Uint8Array>();

/** Valid jump destinations: JUMPDEST bytes that are not PUSH data. */
export function jumpdestsOf(code: Uint8Array): Uint8Array {
  let map = jumpdestCache.get(code);
  if (map !== undefined) return map;
  map = new Uint8Array(code.length);
  for (let i = 0; i < code.length; i++) {
    const op = code[i]!;
    if (op === 0x5b) map[i] = 1;
    else if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  jumpdestCache.set(code, map);
  return map;
}

export function newFrame(msg: Message, checkpoint: number, logMark: number, retOffset: number, retSize: number): Frame {
  return {
    msg,
    code: msg.code,
    jumpdests: jumpdestsOf(msg.code),
    pc: 0,
    gas: msg.gas,
    stack: new Array<bigint>(STACK_LIMIT),
    sp: 0,
    memory: new Memory(),
    returnData: EMPTY,
    refund: 0,
    checkpoint,
    logMark,
    selfdestructs: null,
    retOffset,
    retSize,
  };
}

export const EMPTY = new Uint8Array(0);

export function useGas(f: Frame, amount: number): void {
  if (f.gas < amount) throw OUT_OF_GAS;
  f.gas -= amount;
}

/**
 * Charges for and performs memory expansion to cover [offset, offset+size) and
 * returns the offset as a number. A zero size touches nothing (any offset).
 */
export function expandMemory(f: Frame, offset: bigint, size: bigint): number {
  if (size === 0n) return 0;
  const end = offset + size;
  if (end > BigInt(MEMORY_LIMIT)) throw OUT_OF_GAS;
  const o = Number(offset);
  growTo(f, o + Number(size));
  return o;
}

/** Memory expansion to `end` bytes (already known to be within MEMORY_LIMIT). */
export function growTo(f: Frame, end: number): void {
  const mem = f.memory;
  if (end <= mem.size) return;
  const newWords = Math.ceil(end / 32);
  const cost = memoryCost(newWords) - memoryCost(mem.size / 32);
  if (f.gas < cost) throw OUT_OF_GAS;
  f.gas -= cost;
  mem.grow(newWords * 32);
}

/** A stack word as a JS number, saturated (for offsets into data that zero-fills). */
export function toSaturatedNumber(v: bigint): number {
  return v > 0x1fffffffffffffn ? Number.MAX_SAFE_INTEGER : Number(v);
}

export function halt(reason: ExceptionalHalt['reason']): never {
  throw HALTS[reason];
}

const HALTS: Record<ExceptionalHalt['reason'], ExceptionalHalt> = {
  'out of gas': OUT_OF_GAS,
  'stack underflow': new ExceptionalHalt('stack underflow'),
  'stack overflow': new ExceptionalHalt('stack overflow'),
  'invalid opcode': new ExceptionalHalt('invalid opcode'),
  'invalid jump destination': new ExceptionalHalt('invalid jump destination'),
  'write protection': new ExceptionalHalt('write protection'),
  'return data out of bounds': new ExceptionalHalt('return data out of bounds'),
  'invalid contract prefix': new ExceptionalHalt('invalid contract prefix'),
  'code size exceeded': new ExceptionalHalt('code size exceeded'),
  'init code size exceeded': new ExceptionalHalt('init code size exceeded'),
  'precompile failure': new ExceptionalHalt('precompile failure'),
  'address collision': new ExceptionalHalt('address collision'),
  'call depth exceeded': new ExceptionalHalt('call depth exceeded'),
};
