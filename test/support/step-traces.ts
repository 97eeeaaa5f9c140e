// Shared setup for step-machine tests: a small world (a funded sender, a contract, callees), a
// block environment, and transactions traced into committed step traces.
import { ethereumRules } from '../../vm/chain/chain.js';
import { forkRules, type Fork } from '../../vm/chain/forks.js';
import type { BlockEnv } from '../../vm/env.js';
import type { TxRequest } from '../../vm/execution/request.js';
import { MemoryState } from '../../vm/state/memory.js';
import { WitnessState } from '../../vm/state/witness.js';
import { WorldState } from '../../vm/state/world.js';
import { toAddress, type Address } from '../../vm/util/address.js';
import { hexToBytes } from '../../vm/util/bytes.js';
import { fullWitness } from '../../vm/step/full-witness.js';
import { storeFromWitness, traceTransaction, type StepTrace } from '../../vm/step/trace.js';

export const SENDER = toAddress('0x00000000000000000000000000000000000a11ce');
export const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
export const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');

export function stepBlockEnv(fork: Fork): BlockEnv {
  return {
    chain: ethereumRules(fork),
    rules: forkRules(fork),
    number: 300n,
    timestamp: 1_000n,
    coinbase: toAddress('0x00000000000000000000000000000000000c0b0e'),
    gasLimit: 60_000_000n,
    baseFee: 7n,
    prevRandao: 12345n,
    excessBlobGas: 0n,
    blockHash: (n) => (n < 300n && n >= 44n ? 0x1000n + n : null),
  };
}

export function callTx(to: Address | null, data: Uint8Array, gasLimit = 2_000_000n, value = 0n): TxRequest {
  return {
    type: 2,
    sender: SENDER,
    nonce: 0n,
    gasLimit,
    to,
    value,
    data,
    gasPrice: 0n,
    maxFeePerGas: 100n,
    maxPriorityFeePerGas: 1n,
    accessList: [],
    blobVersionedHashes: [],
    maxFeePerBlobGas: 0n,
    authorizationList: [],
  };
}

export function traceTx(state: MemoryState, tx: TxRequest, fork: Fork = 'prague'): StepTrace {
  const witness = fullWitness(state);
  const store = storeFromWitness(witness);
  const world = new WorldState(new WitnessState(witness));
  return traceTransaction(store, witness, world, stepBlockEnv(fork), tx);
}

export function stateWith(code: Uint8Array, extra?: (s: MemoryState) => void): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(CONTRACT, { code, storage: new Map([[1n, 5n], [2n, 9n]]) });
  extra?.(s);
  return s;
}

export const asm = (hex: string): Uint8Array => hexToBytes('0x' + hex.replace(/\s+/g, ''));

/** The shortest PUSH of `v` as assembler text for `asm`. */
export function push(v: number): string {
  const hex = v.toString(16);
  const n = Math.max(1, Math.ceil(hex.length / 2));
  return (0x5f + n).toString(16) + hex.padStart(2 * n, '0');
}
