// Instructions that read the execution environment: the message, the
// transaction, the block and other accounts.
import type { Frame } from '../frame.js';
import { useGas } from '../frame.js';
import type { Machine } from '../machine.js';
import { GAS_COLD_ACCOUNT_ACCESS, GAS_WARM_ACCESS } from '../gas.js';
import { addressFromWord, addressToWord, type Address } from '../../util/address.js';
import { blobBaseFee } from '../../fees.js';
import { bytesToWord } from './words.js';
import { copyToMemory } from './memory.js';

/** EIP-2929 account access: warm 100, cold 2600; marks the address warm. */
export function accessAccount(m: Machine, f: Frame, address: Address): void {
  useGas(f, m.world.warmAddress(address) ? GAS_WARM_ACCESS : GAS_COLD_ACCOUNT_ACCESS);
}

export function address(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = addressToWord(f.msg.address);
}

export function balance(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const a = addressFromWord(s[i]!);
  accessAccount(m, f, a);
  s[i] = m.world.getBalance(a);
}

export function origin(m: Machine, f: Frame): void {
  f.stack[f.sp++] = addressToWord(m.tx.origin);
}

export function caller(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = addressToWord(f.msg.caller);
}

export function callvalue(_m: Machine, f: Frame): void {
  f.stack[f.sp++] = f.msg.value;
}

export function gasprice(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.tx.gasPrice;
}

export function extcodesize(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const a = addressFromWord(s[i]!);
  accessAccount(m, f, a);
  s[i] = BigInt(m.world.getCode(a).length);
}

export function extcodecopy(m: Machine, f: Frame): void {
  const s = f.stack;
  const sp = (f.sp -= 4);
  const a = addressFromWord(s[sp + 3]!);
  accessAccount(m, f, a);
  copyToMemory(f, s[sp + 2]!, s[sp + 1]!, s[sp]!, m.world.getCode(a));
}

export function extcodehash(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const a = addressFromWord(s[i]!);
  accessAccount(m, f, a);
  // EIP-1052: zero for accounts that do not exist or are empty.
  s[i] = m.world.isAlive(a) ? bytesToWord(m.world.getCodeHash(a), 0) : 0n;
}

export function blockhash(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const n = s[i]!;
  const current = m.block.number;
  s[i] = n < current && n + 256n >= current ? (m.block.blockHash(n) ?? 0n) : 0n;
}

export function coinbase(m: Machine, f: Frame): void {
  f.stack[f.sp++] = addressToWord(m.block.coinbase);
}

export function timestamp(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.timestamp;
}

export function number(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.number;
}

export function prevrandao(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.prevRandao;
}

export function gaslimit(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.gasLimit;
}

export function chainid(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.chain.chainId;
}

export function selfbalance(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.world.getBalance(f.msg.address);
}

export function basefee(m: Machine, f: Frame): void {
  f.stack[f.sp++] = m.block.baseFee;
}

/** EIP-4844 BLOBHASH. */
export function blobhash(m: Machine, f: Frame): void {
  const s = f.stack;
  const i = f.sp - 1;
  const idx = s[i]!;
  const hashes = m.tx.blobHashes;
  s[i] = idx < BigInt(hashes.length) ? hashes[Number(idx)]! : 0n;
}

/** EIP-7516 BLOBBASEFEE. */
export function blobbasefee(m: Machine, f: Frame): void {
  f.stack[f.sp++] = blobBaseFee(m.block.excessBlobGas, m.block.rules);
}
