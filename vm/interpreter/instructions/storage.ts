// Persistent (EIP-2929/2200/3529) and transient (EIP-1153) storage instructions.
import type { Frame } from '../frame.js';
import { halt, useGas } from '../frame.js';
import type { Machine } from '../machine.js';
import { OUT_OF_GAS } from '../errors.js';
import {
  GAS_CALL_STIPEND,
  GAS_COLD_SLOAD,
  GAS_STORAGE_CLEAR_REFUND,
  GAS_STORAGE_SET,
  GAS_STORAGE_UPDATE,
  GAS_WARM_ACCESS,
} from '../gas.js';

export function sload(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const slot = s[i]!;
  const address = f.msg.address;
  useGas(f, m.world.warmSlot(address, slot) ? GAS_WARM_ACCESS : GAS_COLD_SLOAD);
  s[i] = m.world.getStorage(address, slot);
}

export function sstore(m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 2);
  const slot = s[sp + 1]!;
  const value = s[sp]!;
  // EIP-2200: SSTORE needs more than the call stipend left.
  if (f.gas <= GAS_CALL_STIPEND) throw OUT_OF_GAS;
  const world = m.world;
  const address = f.msg.address;
  const original = world.getOriginalStorage(address, slot);
  const current = world.getStorage(address, slot);
  let cost = 0;
  // Warming is journaled, so an out-of-gas revert below undoes it as the spec's copy would.
  if (!world.warmSlot(address, slot)) cost += GAS_COLD_SLOAD;
  if (original === current && current !== value) {
    cost += original === 0n ? GAS_STORAGE_SET : GAS_STORAGE_UPDATE - GAS_COLD_SLOAD;
  } else {
    cost += GAS_WARM_ACCESS;
  }
  if (current !== value) {
    if (original !== 0n && current !== 0n && value === 0n) f.refund += GAS_STORAGE_CLEAR_REFUND;
    if (original !== 0n && current === 0n) f.refund -= GAS_STORAGE_CLEAR_REFUND;
    if (original === value) {
      f.refund += original === 0n ? GAS_STORAGE_SET - GAS_WARM_ACCESS : GAS_STORAGE_UPDATE - GAS_COLD_SLOAD - GAS_WARM_ACCESS;
    }
  }
  useGas(f, cost);
  if (f.msg.isStatic) halt('write protection');
  world.setStorage(address, slot, value);
}

export function tload(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  s[i] = m.world.getTransient(f.msg.address, s[i]!);
}

export function tstore(m: Machine, f: Frame): void {
  if (f.msg.isStatic) halt('write protection');
  const s = f.stack;
  const sp = (f.sp -= 2);
  m.world.setTransient(f.msg.address, s[sp + 1]!, s[sp]!);
}
