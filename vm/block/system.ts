// System calls around a block's transactions (execution-specs'
// process_system_transaction): EIP-4788 beacon roots and EIP-2935 block hashes
// before, EIP-7002 and EIP-7251 requests after.
import { toAddress, type Address } from '../util/address.js';
import type { BlockEnv } from '../env.js';
import type { WorldState } from '../state/world.js';
import { Machine, type MessageResult } from '../interpreter/machine.js';

export const SYSTEM_ADDRESS: Address = toAddress('0xfffffffffffffffffffffffffffffffffffffffe');
export const BEACON_ROOTS_ADDRESS: Address = toAddress('0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02');
export const HISTORY_STORAGE_ADDRESS: Address = toAddress('0x0000F90827F1C53a10cb7A02335B175320002935');
export const WITHDRAWAL_REQUEST_ADDRESS: Address = toAddress('0x00000961Ef480Eb55e80D19ad83579A64c007002');
export const CONSOLIDATION_REQUEST_ADDRESS: Address = toAddress('0x0000BBdDc7CE488642fb579F8B00f3a590007251');
export const SYSTEM_TRANSACTION_GAS = 30_000_000;

export class SystemCallError extends Error {
  override readonly name = 'SystemCallError';
}

/**
 * Runs a system call: from SYSTEM_ADDRESS, no value, no fee, no nonce; the
 * state changes stay, logs do not reach receipts. Returns null when the target
 * has no code (the call is skipped).
 */
export function systemCall(world: WorldState, block: BlockEnv, target: Address, data: Uint8Array): MessageResult | null {
  const code = world.getCode(target);
  if (code.length === 0) return null;
  world.beginTransaction();
  const machine = new Machine(world, block, { origin: SYSTEM_ADDRESS, gasPrice: block.baseFee, blobHashes: [] });
  machine.begin({
    kind: 'call',
    caller: SYSTEM_ADDRESS,
    address: target,
    codeAddress: target,
    value: 0n,
    transfersValue: false,
    input: data,
    code,
    gas: SYSTEM_TRANSACTION_GAS,
    isStatic: false,
    depth: 0,
    disablePrecompiles: false,
  });
  const result = machine.run();
  for (const a of result.selfdestructs) world.destroyAccount(a);
  return result;
}
