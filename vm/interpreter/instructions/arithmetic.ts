// Arithmetic, comparison and bitwise instructions. Words are bigints in [0, 2^256).
import type { Frame } from '../frame.js';
import type { Machine } from '../machine.js';
import { useGas } from '../frame.js';
import { GAS_EXPONENTIATION_PER_BYTE } from '../gas.js';

export const U256_MAX = (1n << 256n) - 1n;
const SIGN_BIT = 1n << 255n;
const TWO_256 = 1n << 256n;

function toSigned(v: bigint): bigint {
  return v >= SIGN_BIT ? v - TWO_256 : v;
}

function fromSigned(v: bigint): bigint {
  return v < 0n ? v + TWO_256 : v;
}

export function add(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  // A comparison allocates nothing; the mask would build a new BigInt every time.
  const r = s[sp]! + s[sp - 1]!;
  s[sp - 1] = r > U256_MAX ? r - TWO_256 : r;
}

export function mul(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = (s[sp]! * s[sp - 1]!) & U256_MAX;
}

export function sub(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const r = s[sp]! - s[sp - 1]!;
  s[sp - 1] = r < 0n ? r + TWO_256 : r;
}

export function div(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const d = s[sp - 1]!;
  s[sp - 1] = d === 0n ? 0n : s[sp]! / d;
}

export function sdiv(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const a = toSigned(s[sp]!);
  const b = toSigned(s[sp - 1]!);
  // -2^255 / -1 overflows back to -2^255, which the mask reproduces.
  s[sp - 1] = b === 0n ? 0n : fromSigned(a / b) & U256_MAX;
}

export function mod(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const d = s[sp - 1]!;
  s[sp - 1] = d === 0n ? 0n : s[sp]! % d;
}

export function smod(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const a = toSigned(s[sp]!);
  const b = toSigned(s[sp - 1]!);
  // JS % takes the dividend's sign, as SMOD requires.
  s[sp - 1] = b === 0n ? 0n : fromSigned(a % b);
}

export function addmod(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const n = s[sp - 1]!;
  s[sp - 1] = n === 0n ? 0n : (s[sp + 1]! + s[sp]!) % n;
}

export function mulmod(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const n = s[sp - 1]!;
  s[sp - 1] = n === 0n ? 0n : (s[sp + 1]! * s[sp]!) % n;
}

export function exp(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const base = s[sp]!;
  const exponent = s[sp - 1]!;
  if (exponent !== 0n) useGas(f, GAS_EXPONENTIATION_PER_BYTE * byteLength(exponent));
  s[sp - 1] = modPow256(base, exponent);
}

function byteLength(v: bigint): number {
  return (v.toString(16).length + 1) >> 1;
}

function modPow256(base: bigint, e: bigint): bigint {
  if (e === 0n) return 1n;
  if (base === 0n) return 0n;
  if (base === 2n) return e >= 256n ? 0n : 1n << e;
  let result = 1n;
  let b = base;
  while (e > 0n) {
    if (e & 1n) result = (result * b) & U256_MAX;
    e >>= 1n;
    if (e > 0n) b = (b * b) & U256_MAX;
  }
  return result;
}

export function signextend(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const k = s[sp]!;
  const v = s[sp - 1]!;
  if (k < 31n) {
    const bit = k * 8n + 7n;
    const mask = (1n << bit) - 1n;
    s[sp - 1] = (v >> bit) & 1n ? v | (U256_MAX ^ mask) : v & mask;
  }
}

export function lt(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! < s[sp - 1]! ? 1n : 0n;
}

export function gt(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! > s[sp - 1]! ? 1n : 0n;
}

export function slt(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = toSigned(s[sp]!) < toSigned(s[sp - 1]!) ? 1n : 0n;
}

export function sgt(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = toSigned(s[sp]!) > toSigned(s[sp - 1]!) ? 1n : 0n;
}

export function eq(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp] === s[sp - 1] ? 1n : 0n;
}

export function iszero(_m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  s[i] = s[i] === 0n ? 1n : 0n;
}

export function and(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! & s[sp - 1]!;
}

export function or(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! | s[sp - 1]!;
}

export function xor(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  s[sp - 1] = s[sp]! ^ s[sp - 1]!;
}

export function not(_m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  s[i] = U256_MAX ^ s[i]!;
}

export function byte(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const i = s[sp]!;
  s[sp - 1] = i >= 32n ? 0n : (s[sp - 1]! >> (8n * (31n - i))) & 0xffn;
}

export function shl(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const shift = s[sp]!;
  s[sp - 1] = shift >= 256n ? 0n : (s[sp - 1]! << shift) & U256_MAX;
}

export function shr(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const shift = s[sp]!;
  s[sp - 1] = shift >= 256n ? 0n : s[sp - 1]! >> shift;
}

export function sar(_m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = --f.sp;
  const shift = s[sp]!;
  const v = toSigned(s[sp - 1]!);
  s[sp - 1] = fromSigned(shift >= 256n ? (v < 0n ? -1n : 0n) : v >> shift);
}

/** EIP-7939: count leading zero bits (256 for zero). */
export function clz(_m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const v = s[i]!;
  s[i] = v === 0n ? 256n : BigInt(256 - v.toString(2).length);
}
