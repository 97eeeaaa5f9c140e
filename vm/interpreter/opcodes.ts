// The opcode table: one entry of traits per opcode (name, static gas, stack
// items in and out) and its implementation, as in evmone. The interpreter loop
// checks the traits; implementations only do their own dynamic work.
import type { ForkRules, Fork } from '../chain/forks.js';
import type { Frame } from './frame.js';
import type { Machine } from './machine.js';
import { ExceptionalHalt } from './errors.js';
import { STACK_LIMIT } from './gas.js';
import * as G from './gas.js';
import * as A from './instructions/arithmetic.js';
import * as C from './instructions/control.js';
import * as E from './instructions/environment.js';
import * as M from './instructions/memory.js';
import * as S from './instructions/storage.js';
import * as Y from './instructions/system.js';
import { makeLog } from './instructions/log.js';

export type Exec = (m: Machine, f: Frame) => void;

export interface OpInfo {
  readonly code: number;
  readonly name: string;
  /** Static gas charged before the instruction runs. */
  readonly gas: number;
  /** Stack items consumed. */
  readonly pop: number;
  /** Stack items produced. */
  readonly push: number;
  /** Largest stack height at which the instruction cannot overflow. */
  readonly maxSp: number;
  readonly exec: Exec;
  readonly underflow: ExceptionalHalt;
  readonly overflow: ExceptionalHalt;
}

export type OpTable = readonly OpInfo[];

/** The table's traits as parallel arrays: the hot loop reads these without object loads. */
export interface PackedTable {
  readonly gas: Int32Array;
  readonly pop: Int32Array;
  readonly maxSp: Int32Array;
  readonly exec: readonly Exec[];
}

type Impl = Exec;

interface Def {
  readonly name: string;
  readonly gas: number;
  readonly pop: number;
  readonly push: number;
  readonly impl: Impl;
  /** First fork that has the opcode. */
  readonly since?: Fork;
}

const UNDERFLOW = new ExceptionalHalt('stack underflow');
const OVERFLOW = new ExceptionalHalt('stack overflow');
export { UNDERFLOW as STACK_UNDERFLOW, OVERFLOW as STACK_OVERFLOW };
const INVALID = new ExceptionalHalt('invalid opcode');

function d(name: string, gas: number, pop: number, push: number, impl: Impl, since?: Fork): Def {
  return since === undefined ? { name, gas, pop, push, impl } : { name, gas, pop, push, impl, since };
}

const DEFS = new Map<number, Def>([
  [0x00, d('STOP', G.GAS_ZERO, 0, 0, C.stop)],
  [0x01, d('ADD', G.GAS_VERY_LOW, 2, 1, A.add)],
  [0x02, d('MUL', G.GAS_LOW, 2, 1, A.mul)],
  [0x03, d('SUB', G.GAS_VERY_LOW, 2, 1, A.sub)],
  [0x04, d('DIV', G.GAS_LOW, 2, 1, A.div)],
  [0x05, d('SDIV', G.GAS_LOW, 2, 1, A.sdiv)],
  [0x06, d('MOD', G.GAS_LOW, 2, 1, A.mod)],
  [0x07, d('SMOD', G.GAS_LOW, 2, 1, A.smod)],
  [0x08, d('ADDMOD', G.GAS_MID, 3, 1, A.addmod)],
  [0x09, d('MULMOD', G.GAS_MID, 3, 1, A.mulmod)],
  [0x0a, d('EXP', G.GAS_EXPONENTIATION, 2, 1, A.exp)],
  [0x0b, d('SIGNEXTEND', G.GAS_LOW, 2, 1, A.signextend)],
  [0x10, d('LT', G.GAS_VERY_LOW, 2, 1, A.lt)],
  [0x11, d('GT', G.GAS_VERY_LOW, 2, 1, A.gt)],
  [0x12, d('SLT', G.GAS_VERY_LOW, 2, 1, A.slt)],
  [0x13, d('SGT', G.GAS_VERY_LOW, 2, 1, A.sgt)],
  [0x14, d('EQ', G.GAS_VERY_LOW, 2, 1, A.eq)],
  [0x15, d('ISZERO', G.GAS_VERY_LOW, 1, 1, A.iszero)],
  [0x16, d('AND', G.GAS_VERY_LOW, 2, 1, A.and)],
  [0x17, d('OR', G.GAS_VERY_LOW, 2, 1, A.or)],
  [0x18, d('XOR', G.GAS_VERY_LOW, 2, 1, A.xor)],
  [0x19, d('NOT', G.GAS_VERY_LOW, 1, 1, A.not)],
  [0x1a, d('BYTE', G.GAS_VERY_LOW, 2, 1, A.byte)],
  [0x1b, d('SHL', G.GAS_VERY_LOW, 2, 1, A.shl)],
  [0x1c, d('SHR', G.GAS_VERY_LOW, 2, 1, A.shr)],
  [0x1d, d('SAR', G.GAS_VERY_LOW, 2, 1, A.sar)],
  [0x1e, d('CLZ', G.GAS_LOW, 1, 1, A.clz, 'osaka')],
  [0x20, d('KECCAK256', G.GAS_KECCAK256, 2, 1, M.keccak256)],
  [0x30, d('ADDRESS', G.GAS_BASE, 0, 1, E.address)],
  [0x31, d('BALANCE', G.GAS_ZERO, 1, 1, E.balance)],
  [0x32, d('ORIGIN', G.GAS_BASE, 0, 1, E.origin)],
  [0x33, d('CALLER', G.GAS_BASE, 0, 1, E.caller)],
  [0x34, d('CALLVALUE', G.GAS_BASE, 0, 1, E.callvalue)],
  [0x35, d('CALLDATALOAD', G.GAS_VERY_LOW, 1, 1, M.calldataload)],
  [0x36, d('CALLDATASIZE', G.GAS_BASE, 0, 1, M.calldatasize)],
  [0x37, d('CALLDATACOPY', G.GAS_VERY_LOW, 3, 0, M.calldatacopy)],
  [0x38, d('CODESIZE', G.GAS_BASE, 0, 1, M.codesize)],
  [0x39, d('CODECOPY', G.GAS_VERY_LOW, 3, 0, M.codecopy)],
  [0x3a, d('GASPRICE', G.GAS_BASE, 0, 1, E.gasprice)],
  [0x3b, d('EXTCODESIZE', G.GAS_ZERO, 1, 1, E.extcodesize)],
  [0x3c, d('EXTCODECOPY', G.GAS_ZERO, 4, 0, E.extcodecopy)],
  [0x3d, d('RETURNDATASIZE', G.GAS_BASE, 0, 1, M.returndatasize)],
  [0x3e, d('RETURNDATACOPY', G.GAS_VERY_LOW, 3, 0, M.returndatacopy)],
  [0x3f, d('EXTCODEHASH', G.GAS_ZERO, 1, 1, E.extcodehash)],
  [0x40, d('BLOCKHASH', G.GAS_BLOCK_HASH, 1, 1, E.blockhash)],
  [0x41, d('COINBASE', G.GAS_BASE, 0, 1, E.coinbase)],
  [0x42, d('TIMESTAMP', G.GAS_BASE, 0, 1, E.timestamp)],
  [0x43, d('NUMBER', G.GAS_BASE, 0, 1, E.number)],
  [0x44, d('PREVRANDAO', G.GAS_BASE, 0, 1, E.prevrandao)],
  [0x45, d('GASLIMIT', G.GAS_BASE, 0, 1, E.gaslimit)],
  [0x46, d('CHAINID', G.GAS_BASE, 0, 1, E.chainid)],
  [0x47, d('SELFBALANCE', G.GAS_LOW, 0, 1, E.selfbalance)],
  [0x48, d('BASEFEE', G.GAS_BASE, 0, 1, E.basefee)],
  [0x49, d('BLOBHASH', G.GAS_BLOBHASH_OPCODE, 1, 1, E.blobhash)],
  [0x4a, d('BLOBBASEFEE', G.GAS_BASE, 0, 1, E.blobbasefee)],
  [0x50, d('POP', G.GAS_BASE, 1, 0, C.pop)],
  [0x51, d('MLOAD', G.GAS_VERY_LOW, 1, 1, M.mload)],
  [0x52, d('MSTORE', G.GAS_VERY_LOW, 2, 0, M.mstore)],
  [0x53, d('MSTORE8', G.GAS_VERY_LOW, 2, 0, M.mstore8)],
  [0x54, d('SLOAD', G.GAS_ZERO, 1, 1, S.sload)],
  [0x55, d('SSTORE', G.GAS_ZERO, 2, 0, S.sstore)],
  [0x56, d('JUMP', G.GAS_MID, 1, 0, C.jump)],
  [0x57, d('JUMPI', G.GAS_HIGH, 2, 0, C.jumpi)],
  [0x58, d('PC', G.GAS_BASE, 0, 1, C.pc)],
  [0x59, d('MSIZE', G.GAS_BASE, 0, 1, M.msize)],
  [0x5a, d('GAS', G.GAS_BASE, 0, 1, C.gas)],
  [0x5b, d('JUMPDEST', G.GAS_JUMPDEST, 0, 0, C.jumpdest)],
  [0x5c, d('TLOAD', G.GAS_WARM_ACCESS, 1, 1, S.tload)],
  [0x5d, d('TSTORE', G.GAS_WARM_ACCESS, 2, 0, S.tstore)],
  [0x5e, d('MCOPY', G.GAS_VERY_LOW, 3, 0, M.mcopy)],
  [0x5f, d('PUSH0', G.GAS_BASE, 0, 1, C.push0)],
  [0xf0, d('CREATE', G.GAS_CREATE, 3, 1, Y.create)],
  [0xf1, d('CALL', G.GAS_ZERO, 7, 1, Y.call)],
  [0xf2, d('CALLCODE', G.GAS_ZERO, 7, 1, Y.callcode)],
  [0xf3, d('RETURN', G.GAS_ZERO, 2, 0, C.return_)],
  [0xf4, d('DELEGATECALL', G.GAS_ZERO, 6, 1, Y.delegatecall)],
  [0xf5, d('CREATE2', G.GAS_CREATE, 4, 1, Y.create2)],
  [0xfa, d('STATICCALL', G.GAS_ZERO, 6, 1, Y.staticcall)],
  [0xfd, d('REVERT', G.GAS_ZERO, 2, 0, C.revert)],
  [0xfe, d('INVALID', G.GAS_ZERO, 0, 0, C.invalid)],
  [0xff, d('SELFDESTRUCT', G.GAS_SELF_DESTRUCT, 1, 0, Y.selfdestruct)],
]);

for (let n = 1; n <= 32; n++) DEFS.set(0x5f + n, d(`PUSH${n}`, G.GAS_VERY_LOW, 0, 1, C.makePush(n)));
for (let n = 1; n <= 16; n++) DEFS.set(0x7f + n, d(`DUP${n}`, G.GAS_VERY_LOW, n, n + 1, C.makeDup(n)));
for (let n = 1; n <= 16; n++) DEFS.set(0x8f + n, d(`SWAP${n}`, G.GAS_VERY_LOW, n + 1, n + 1, C.makeSwap(n)));
for (let n = 0; n <= 4; n++) DEFS.set(0xa0 + n, d(`LOG${n}`, G.GAS_LOG + n * G.GAS_LOG_TOPIC, n + 2, 0, makeLog(n)));

const FORK_ORDINAL: Readonly<Record<Fork, number>> = { cancun: 0, prague: 1, osaka: 2 };

function invalidInfo(code: number): OpInfo {
  return {
    code,
    name: `INVALID_0x${code.toString(16).padStart(2, '0')}`,
    gas: 0,
    pop: 0,
    push: 0,
    maxSp: STACK_LIMIT,
    exec: () => {
      throw INVALID;
    },
    underflow: UNDERFLOW,
    overflow: OVERFLOW,
  };
}

const tables = new Map<Fork, OpTable>();

/** The table for a fork, built once. Undefined opcodes halt with 'invalid opcode'. */
export function opcodeTable(rules: ForkRules): OpTable {
  const cached = tables.get(rules.fork);
  if (cached) return cached;
  const table: OpInfo[] = [];
  for (let code = 0; code < 256; code++) {
    const def = DEFS.get(code);
    if (def === undefined || (def.since !== undefined && FORK_ORDINAL[def.since] > rules.ordinal)) {
      table.push(invalidInfo(code));
      continue;
    }
    table.push({
      code,
      name: def.name,
      gas: def.gas,
      pop: def.pop,
      push: def.push,
      maxSp: STACK_LIMIT - def.push + def.pop,
      exec: def.impl,
      underflow: UNDERFLOW,
      overflow: OVERFLOW,
    });
  }
  tables.set(rules.fork, table);
  return table;
}

const packed = new Map<Fork, PackedTable>();

export function packedTable(rules: ForkRules): PackedTable {
  const cached = packed.get(rules.fork);
  if (cached) return cached;
  const t = opcodeTable(rules);
  const p: PackedTable = {
    gas: Int32Array.from(t, (i) => i.gas),
    pop: Int32Array.from(t, (i) => i.pop),
    maxSp: Int32Array.from(t, (i) => i.maxSp),
    exec: t.map((i) => i.exec),
  };
  packed.set(rules.fork, p);
  return p;
}

/** Opcode name for traces ("PUSH1", "INVALID_0x0c"). */
export function opcodeName(rules: ForkRules, op: number): string {
  return opcodeTable(rules)[op]!.name;
}
