// Which bytes of memory, calldata and return data one instruction can touch, from its opcode and
// its stack operands: the one-step verifier hydrates exactly these (with their Merkle paths) and
// no more. A range the frame cannot pay to expand into makes the instruction fail before it
// touches memory, so it needs no data.
import { memoryCost } from '../interpreter/gas.js';
import { returnCopySize } from './pending.js';

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface StepAccess {
  /** Memory ranges read or written (written ones are hydrated too: partial-word writes keep the rest). */
  readonly memory: readonly ByteRange[];
  readonly calldata: readonly ByteRange[];
  readonly returnData: readonly ByteRange[];
}

const NONE: StepAccess = { memory: [], calldata: [], returnData: [] };

/** The largest memory size in bytes the frame could pay to expand to. */
export function affordableMemoryBytes(memorySize: number, gas: number): number {
  const words = memorySize / 32;
  const budget = memoryCost(words) + gas;
  // memoryCost(w) = 3w + w²/512 ≤ budget: the positive root of w² + 1536w − 512·budget.
  let w = Math.floor(-768 + Math.sqrt(768 * 768 + 512 * budget));
  while (w > 0 && memoryCost(w) > budget) w--;
  return Math.max(memorySize, w * 32);
}

/** What a frame's RETURN or REVERT needs of its output besides its window (DESIGN §2.9). */
export interface FrameEnd {
  readonly kind: 'call' | 'create';
  readonly retSize: number;
  readonly hasCaller: boolean;
  /** The output's copy into the caller's memory is left to the caller's next steps. */
  readonly splitReturn: boolean;
}

/**
 * Whether a call's target may be a precompile: the fork's (0x01 to 0x100, P256VERIFY the last),
 * Hyperion's inference one (0x…0a10) and its LLM one (0x…0999). A call to one runs in its step
 * and reads its input; any other call passes its input as a window of memory and reads none of it.
 */
function mayBePrecompile(target: bigint): boolean {
  return target <= 0x100n || target === 0xa10n || target === 0x999n;
}

/** `operands[0]` is the top of the stack. */
export function stepAccess(op: number, operands: readonly bigint[], memorySize: number, gas: number, end: FrameEnd): StepAccess {
  const cap = BigInt(affordableMemoryBytes(memorySize, gas));
  const arg = (i: number): bigint => operands[i] ?? 0n;
  const range = (off: bigint, len: bigint): ByteRange[] => {
    if (len === 0n || off + len > cap) return [];
    return [{ offset: Number(off), length: Number(len) }];
  };
  // Data ranges (calldata, return data) are clipped by their own sizes later; only bound them.
  const data = (off: bigint, len: bigint): ByteRange[] => {
    if (len === 0n || len > cap || off >= 1n << 40n) return [];
    return [{ offset: Number(off), length: Number(len) }];
  };
  // A call's input (at operands i, i + 1) is read, and its output area written in the step, only
  // for a precompile: another callee gets a window of memory and returns in a later step.
  const precompile = mayBePrecompile((operands[1] ?? 0n) % (1n << 160n));
  const called = (i: number): ByteRange[] => (precompile ? range(arg(i), arg(i + 1)) : []);
  switch (op) {
    case 0x20: // KECCAK256
      return { ...NONE, memory: range(arg(0), arg(1)) };
    case 0x35: // CALLDATALOAD
      return { ...NONE, calldata: data(arg(0), 32n) };
    case 0x37: // CALLDATACOPY
      return { ...NONE, memory: range(arg(0), arg(2)), calldata: data(arg(1), arg(2)) };
    case 0x39: // CODECOPY
      return { ...NONE, memory: range(arg(0), arg(2)) };
    case 0x3c: // EXTCODECOPY
      return { ...NONE, memory: range(arg(1), arg(3)) };
    case 0x3e: // RETURNDATACOPY
      return { ...NONE, memory: range(arg(0), arg(2)), returnData: data(arg(1), arg(2)) };
    case 0x51: // MLOAD
      return { ...NONE, memory: range(arg(0), 32n) };
    case 0x52: // MSTORE
      return { ...NONE, memory: range(arg(0), 32n) };
    case 0x53: // MSTORE8
      return { ...NONE, memory: range(arg(0), 1n) };
    case 0x5e: // MCOPY
      return { ...NONE, memory: [...range(arg(1), arg(2)), ...range(arg(0), arg(2))] };
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3:
    case 0xa4: // LOG0..LOG4
      return { ...NONE, memory: range(arg(0), arg(1)) };
    case 0xf0: // CREATE
      return { ...NONE, memory: range(arg(1), arg(2)) };
    case 0xf5: // CREATE2
      return { ...NONE, memory: range(arg(1), arg(2)) };
    case 0xf1: // CALL
    case 0xf2: // CALLCODE
      return { ...NONE, memory: [...called(3), ...called(5)] };
    case 0xf4: // DELEGATECALL
    case 0xfa: // STATICCALL
      return { ...NONE, memory: [...called(2), ...called(4)] };
    case 0xf3: // RETURN
    case 0xfd: // REVERT
      return { ...NONE, memory: range(arg(0), outputRead(op, arg(1), end)) };
    default:
      return NONE;
  }
}

/**
 * The bytes of a RETURN's or REVERT's output the step reads: the output is a window of the frame's
 * memory, so only what is copied now (into the caller's memory) or deposited as code is read.
 */
function outputRead(op: number, size: bigint, end: FrameEnd): bigint {
  if (end.kind === 'create') return op === 0xf3 ? size : 0n;
  if (!end.hasCaller || end.splitReturn) return 0n;
  return BigInt(returnCopySize(op, [0n, size], end.retSize));
}
