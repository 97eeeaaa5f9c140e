// The step machine: every step of real transactions (generated programs covering the opcode
// table, calls into child frames and precompiles, creations, reverts, logs, storage, transient
// storage) is re-run by the reference verifier from its one-step witness alone, and must reach
// exactly the trace's next commitment; tampered witnesses and wrong pre-states are rejected.
import { describe, expect, it } from 'vitest';
import { ethereumRules } from '../vm/chain/chain.js';
import { forkRules, type Fork } from '../vm/chain/forks.js';
import type { BlockEnv } from '../vm/env.js';
import type { TxRequest } from '../vm/execution/request.js';
import { MemoryState } from '../vm/state/memory.js';
import { WitnessState } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { StepError, verifyStep } from '../vm/step/execute.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { stepCount, stepWitness, storeFromWitness, traceTransaction, type StepTrace } from '../vm/step/trace.js';
import { generateProgram } from './support/bytecode-gen.js';

const SENDER = toAddress('0x00000000000000000000000000000000000a11ce');
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');

function blockEnv(fork: Fork): BlockEnv {
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

function call(to: Address | null, data: Uint8Array, gasLimit = 2_000_000n, value = 0n): TxRequest {
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

function trace(state: MemoryState, tx: TxRequest, fork: Fork = 'prague'): StepTrace {
  const witness = fullWitness(state);
  const store = storeFromWitness(witness);
  const world = new WorldState(new WitnessState(witness));
  return traceTransaction(store, witness, world, blockEnv(fork), tx);
}

/** Verifies every step from its witness alone; returns the number checked. */
function checkAll(t: StepTrace): number {
  for (let k = 0; k < stepCount(t); k++) {
    const w = stepWitness(t, k);
    const post = verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
    expect(bytesToHex(post), `step ${k} (op 0x${t.ops[k]!.toString(16)})`).toBe(bytesToHex(t.commitments[k + 1]!));
  }
  return stepCount(t);
}

function stateWith(code: Uint8Array, extra?: (s: MemoryState) => void): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(CONTRACT, { code, storage: new Map([[1n, 5n], [2n, 9n]]) });
  extra?.(s);
  return s;
}

const asm = (hex: string): Uint8Array => hexToBytes('0x' + hex.replace(/\s+/g, ''));

describe('step machine: one frame', () => {
  it('arithmetic, memory, storage, logs and return: every step proven from its witness', () => {
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE | SLOAD(1) SSTORE(3, v) | TSTORE/TLOAD | LOG1 | RETURN 32 bytes
    const code = asm(`
      6002 6003 01 6000 52
      6001 54 6003 55
      6007 6004 5d 6004 5c 6005 55
      60aa 6000 6020 a1
      6020 6000 f3`);
    const t = trace(stateWith(code), call(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(checkAll(t)).toBe(t.ops.length);
    expect(t.kinds[t.kinds.length - 1]).toBe('end');
  });
});
