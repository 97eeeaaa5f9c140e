// LOG0..LOG4.
import type { Frame } from '../frame.js';
import { expandMemory, halt, useGas } from '../frame.js';
import type { Machine } from '../machine.js';
import { GAS_LOG_DATA, MEMORY_LIMIT } from '../gas.js';
import { OUT_OF_GAS } from '../errors.js';

export function makeLog(topics: number): (m: Machine, f: Frame) => void {
  return (m, f) => {
    const s = f.stack;
    const top = f.sp - 1;
    const offset = s[top]!;
    const size = s[top - 1]!;
    if (size > BigInt(MEMORY_LIMIT)) throw OUT_OF_GAS;
    useGas(f, GAS_LOG_DATA * Number(size));
    const o = expandMemory(f, offset, size);
    if (f.msg.isStatic) halt('write protection');
    const t: bigint[] = new Array(topics);
    for (let i = 0; i < topics; i++) t[i] = s[top - 2 - i]!;
    f.sp -= 2 + topics;
    m.logs.push({ address: f.msg.address, topics: t, data: f.memory.read(o, Number(size)) });
  };
}
