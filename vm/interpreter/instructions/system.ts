// The CALL and CREATE families and SELFDESTRUCT. These only compute gas and
// build the child message; the machine pushes the child frame and, when it
// halts, hands the result back to the parent. No JavaScript recursion.
import { keccak256 as keccak_256 } from '../../util/keccak.js';
import type { Frame, Message } from '../frame.js';
import { EMPTY, expandMemory, halt, useGas } from '../frame.js';
import type { Machine } from '../machine.js';
import { OUT_OF_GAS } from '../errors.js';
import {
  GAS_CALL_STIPEND,
  GAS_CALL_VALUE,
  GAS_COLD_ACCOUNT_ACCESS,
  GAS_KECCAK256_WORD,
  GAS_NEW_ACCOUNT,
  GAS_INIT_CODE_WORD_COST,
  GAS_SELF_DESTRUCT_NEW_ACCOUNT,
  GAS_WARM_ACCESS,
  MAX_INIT_CODE_SIZE,
  MEMORY_LIMIT,
  STACK_DEPTH_LIMIT,
  memoryCost,
} from '../gas.js';
import { addressFromBytes, addressFromWord, addressToBytes, type Address } from '../../util/address.js';
import { bigIntToMinimalBytes } from '../../util/bytes.js';
import { word32 } from './words.js';

const NONCE_MAX = (1n << 64n) - 1n;

/** EIP-7702 delegation designator: 0xef0100 || address. */
export function delegationTarget(code: Uint8Array): Address | null {
  if (code.length !== 23 || code[0] !== 0xef || code[1] !== 0x01 || code[2] !== 0x00) return null;
  return addressFromBytes(code.subarray(3));
}

interface ResolvedCode {
  readonly code: Uint8Array;
  readonly codeAddress: Address;
  readonly disablePrecompiles: boolean;
  /** Access cost of the delegation target (EIP-7702), zero without one. */
  readonly delegationGas: number;
}

/** execution-specs' access_delegation: follow a delegation designator one hop. */
export function resolveCode(m: Machine, address: Address): ResolvedCode {
  const code = m.world.getCode(address);
  if (!m.block.rules.isEip7702) return { code, codeAddress: address, disablePrecompiles: false, delegationGas: 0 };
  const target = delegationTarget(code);
  if (target === null) return { code, codeAddress: address, disablePrecompiles: false, delegationGas: 0 };
  const gas = m.world.warmAddress(target) ? GAS_WARM_ACCESS : GAS_COLD_ACCOUNT_ACCESS;
  return { code: m.world.getCode(target), codeAddress: target, disablePrecompiles: true, delegationGas: gas };
}

/** calculate_message_call_gas: returns [cost to charge, gas the child gets]. */
function messageCallGas(f: Frame, value: bigint, requested: bigint, memoryCost: number, extra: number): [number, number] {
  const stipend = value === 0n ? 0 : GAS_CALL_STIPEND;
  if (f.gas < extra + memoryCost) throw OUT_OF_GAS;
  const available = f.gas - memoryCost - extra;
  const cap = available - Math.floor(available / 64);
  const gas = requested < BigInt(cap) ? Number(requested) : cap;
  return [gas + extra, gas + stipend];
}

/** End of the memory two regions need (zero-size regions need none). */
function regionsEnd(o1: bigint, s1: bigint, o2: bigint, s2: bigint): number {
  let end = 0n;
  if (s1 !== 0n) end = o1 + s1;
  if (s2 !== 0n && o2 + s2 > end) end = o2 + s2;
  if (end > BigInt(MEMORY_LIMIT)) throw OUT_OF_GAS;
  return Number(end);
}

/** Memory cost of growing to cover two regions, without growing yet: CALL prices it into the 63/64 rule first. */
function pendingMemoryCost(f: Frame, o1: bigint, s1: bigint, o2: bigint, s2: bigint): number {
  const end = regionsEnd(o1, s1, o2, s2);
  const size = f.memory.size;
  if (end <= size) return 0;
  return memoryCost(Math.ceil(end / 32)) - memoryCost(size / 32);
}

/** Grows memory over two regions whose cost was already charged. */
function growMemory(f: Frame, o1: bigint, s1: bigint, o2: bigint, s2: bigint): void {
  const end = regionsEnd(o1, s1, o2, s2);
  if (end > f.memory.size) f.memory.grow(Math.ceil(end / 32) * 32);
}

type CallKind = 'call' | 'callcode' | 'delegatecall' | 'staticcall';

function makeCall(kind: CallKind): (m: Machine, f: Frame) => void {
  const hasValue = kind === 'call' || kind === 'callcode';
  return (m, f) => {
    const s = f.stack;
    let sp = f.sp;
    const gasReq = s[--sp]!;
    const target = addressFromWord(s[--sp]!);
    const value = hasValue ? s[--sp]! : 0n;
    const inOff = s[--sp]!;
    const inSize = s[--sp]!;
    const outOff = s[--sp]!;
    const outSize = s[--sp]!;
    f.sp = sp;

    const memCost = pendingMemoryCost(f, inOff, inSize, outOff, outSize);
    const world = m.world;
    let extra = world.warmAddress(target) ? GAS_WARM_ACCESS : GAS_COLD_ACCOUNT_ACCESS;
    const resolved = resolveCode(m, target);
    extra += resolved.delegationGas;
    if (kind === 'call' && value !== 0n && !world.isAlive(target)) extra += GAS_NEW_ACCOUNT;
    if (value !== 0n) extra += GAS_CALL_VALUE;
    const [cost, childGas] = messageCallGas(f, value, gasReq, memCost, extra);
    useGas(f, cost + memCost);
    if (kind === 'call' && f.msg.isStatic && value !== 0n) halt('write protection');
    growMemory(f, inOff, inSize, outOff, outSize);

    const self = f.msg.address;
    if (hasValue && world.getBalance(self) < value) {
      s[f.sp++] = 0n;
      f.returnData = EMPTY;
      f.gas += childGas;
      return;
    }
    f.returnData = EMPTY;
    if (f.msg.depth + 1 > STACK_DEPTH_LIMIT) {
      f.gas += childGas;
      s[f.sp++] = 0n;
      return;
    }
    const input = inSize === 0n ? EMPTY : f.memory.read(Number(inOff), Number(inSize));
    const msg: Message = {
      kind: 'call',
      caller: kind === 'delegatecall' ? f.msg.caller : self,
      address: kind === 'call' || kind === 'staticcall' ? target : self,
      codeAddress: resolved.codeAddress,
      value: kind === 'delegatecall' ? f.msg.value : value,
      transfersValue: kind === 'call' || kind === 'callcode',
      input,
      code: resolved.code,
      gas: childGas,
      isStatic: kind === 'staticcall' ? true : f.msg.isStatic,
      depth: f.msg.depth + 1,
      disablePrecompiles: resolved.disablePrecompiles,
    };
    m.enter(msg, outSize === 0n ? 0 : Number(outOff), Number(outSize > 0xffffffffn ? 0xffffffffn : outSize));
  };
}

export const call = makeCall('call');
export const callcode = makeCall('callcode');
export const delegatecall = makeCall('delegatecall');
export const staticcall = makeCall('staticcall');

export function createAddress(sender: Address, nonce: bigint): Address {
  const nonceBytes = bigIntToMinimalBytes(nonce);
  const nonceEnc =
    nonceBytes.length === 1 && nonceBytes[0]! < 0x80 ? nonceBytes : Uint8Array.of(0x80 + nonceBytes.length, ...nonceBytes);
  const payloadLen = 21 + nonceEnc.length;
  const enc = new Uint8Array(1 + payloadLen);
  enc[0] = 0xc0 + payloadLen;
  enc[1] = 0x94;
  enc.set(addressToBytes(sender), 2);
  enc.set(nonceEnc, 22);
  return addressFromBytes(keccak_256(enc).subarray(12));
}

export function create2Address(sender: Address, salt: bigint, initCode: Uint8Array): Address {
  const buf = new Uint8Array(85);
  buf[0] = 0xff;
  buf.set(addressToBytes(sender), 1);
  buf.set(word32(salt), 21);
  buf.set(keccak_256(initCode), 53);
  return addressFromBytes(keccak_256(buf).subarray(12));
}

function makeCreate(isCreate2: boolean): (m: Machine, f: Frame) => void {
  return (m, f) => {
    const s = f.stack;
    let sp = f.sp;
    const value = s[--sp]!;
    const off = s[--sp]!;
    const size = s[--sp]!;
    const salt = isCreate2 ? s[--sp]! : 0n;
    f.sp = sp;
    if (size > BigInt(MEMORY_LIMIT)) throw OUT_OF_GAS;
    const words = Math.ceil(Number(size) / 32);
    useGas(f, GAS_INIT_CODE_WORD_COST * words + (isCreate2 ? GAS_KECCAK256_WORD * words : 0));
    const o = expandMemory(f, off, size);
    // EIP-3860: oversized init code is an exceptional halt.
    if (size > BigInt(MAX_INIT_CODE_SIZE)) halt('init code size exceeded');
    const initCode = size === 0n ? EMPTY : f.memory.read(o, Number(size));
    const world = m.world;
    const self = f.msg.address;
    const newAddress = isCreate2 ? create2Address(self, salt, initCode) : createAddress(self, world.getNonce(self));

    const childGas = f.gas - Math.floor(f.gas / 64);
    f.gas -= childGas;
    if (f.msg.isStatic) halt('write protection');
    f.returnData = EMPTY;
    if (world.getBalance(self) < value || world.getNonce(self) === NONCE_MAX || f.msg.depth + 1 > STACK_DEPTH_LIMIT) {
      f.gas += childGas;
      s[f.sp++] = 0n;
      return;
    }
    world.warmAddress(newAddress);
    if (world.hasCodeOrNonce(newAddress) || world.hasStorage(newAddress)) {
      // EIP-684/7610 collision: the child's gas is consumed.
      world.incrementNonce(self);
      s[f.sp++] = 0n;
      return;
    }
    world.incrementNonce(self);
    m.enter(
      {
        kind: 'create',
        caller: self,
        address: newAddress,
        codeAddress: newAddress,
        value,
        transfersValue: true,
        input: EMPTY,
        code: initCode,
        gas: childGas,
        isStatic: false,
        depth: f.msg.depth + 1,
        disablePrecompiles: false,
      },
      0,
      0,
    );
  };
}

export const create = makeCreate(false);
export const create2 = makeCreate(true);

/** SELFDESTRUCT under EIP-6780: moves the balance; deletes only accounts created in this transaction. */
export function selfdestruct(m: Machine, f: Frame): void {
  const beneficiary = addressFromWord(f.stack[--f.sp]!);
  const world = m.world;
  const self = f.msg.address;
  let cost = 0;
  if (!world.warmAddress(beneficiary)) cost += GAS_COLD_ACCOUNT_ACCESS;
  const balance = world.getBalance(self);
  if (!world.isAlive(beneficiary) && balance !== 0n) cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT;
  useGas(f, cost);
  if (f.msg.isStatic) halt('write protection');
  world.transfer(self, beneficiary, balance);
  if (world.isCreated(self)) {
    world.setBalance(self, 0n);
    (f.selfdestructs ??= new Set()).add(self);
  }
  m.finish(f, true, EMPTY, null);
}
