// Which bytes of memory, calldata and return data one instruction can touch, from its opcode and
// its stack operands: the one-step verifier hydrates exactly these (with their Merkle paths) and
// no more. A range the frame cannot pay to expand into makes the instruction fail before it
// touches memory, so it needs no data.
import { memoryCost } from '../interpreter/gas.js';

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

/** `operands[0]` is the top of the stack. */
export function stepAccess(op: number, operands: readonly bigint[], memorySize: number, gas: number): StepAccess {
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
      return { ...NONE, memory: [...range(arg(3), arg(4)), ...range(arg(5), arg(6))] };
    case 0xf4: // DELEGATECALL
    case 0xfa: // STATICCALL
      return { ...NONE, memory: [...range(arg(2), arg(3)), ...range(arg(4), arg(5))] };
    case 0xf3: // RETURN
    case 0xfd: // REVERT
      return { ...NONE, memory: range(arg(0), arg(1)) };
    default:
      return NONE;
  }
}
