// The step machine: every step of real transactions (generated programs covering the opcode
// table, calls into child frames and precompiles, creations, reverts, logs, storage, transient
// storage) is re-run by the reference verifier from its one-step witness alone, and must reach
// exactly the trace's next commitment; tampered witnesses and wrong pre-states are rejected.
import { describe, expect, it } from 'vitest';
import type { Fork } from '../vm/chain/forks.js';
import type { TxRequest } from '../vm/execution/request.js';
import type { MemoryState } from '../vm/state/memory.js';
import { toAddress } from '../vm/util/address.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { StepError, verifyStep } from '../vm/step/execute.js';
import { stepCount, stepWitness, type StepTrace } from '../vm/step/trace.js';
import { generateProgram } from './support/bytecode-gen.js';
import { CONTRACT, OTHER, asm, callTx as call, stateWith, traceTx } from './support/step-traces.js';

function trace(state: MemoryState, tx: TxRequest, fork: Fork = 'prague'): StepTrace {
  return traceTx(state, tx, fork);
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

// A callee that returns calldata[0..32) + 1 in memory, logs, and stores into its slot 0.
const CALLEE = asm(`
  6000 35 6001 01 6000 52
  6000 6000 a0
  6042 6000 55
  6020 6000 f3`);
// A callee that writes storage then reverts with 4 bytes.
const REVERTER = asm(`6001 6000 55 63deadbeef 6000 52 6004 601c fd`);
// Init code returning a 1-byte runtime (STOP): PUSH1 0 PUSH1 0 MSTORE8, RETURN(0,1)
const INIT = asm(`6000 6000 53 6001 6000 f3`);

function withCallees(code: Uint8Array): MemoryState {
  return stateWith(code, (s) => {
    s.put(OTHER, { code: CALLEE, balance: 1n });
    s.put(toAddress('0x000000000000000000000000000000000000bad0'), { code: REVERTER });
  });
}

describe('step machine: frames and precompiles', () => {
  it('CALL into code, the child returns data, the caller copies it: entry and return steps are proven', () => {
    // mstore(0, 41); call(gas, OTHER, 0, 0, 32, 32, 32); returndatacopy(64, 0, 32); sload(0) of OTHER via staticcall
    const code = asm(`
      6029 6000 52
      6020 6020 6020 6000 6000 730000000000000000000000000000000000000b0b 5a f1
      6020 6000 6040 3e
      6000 6000 6000 6000 730000000000000000000000000000000000000b0b 5a fa
      6040 51 6000 55 00`);
    const t = trace(withCallees(code), call(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.kinds).toContain('enter');
    expect(t.kinds).toContain('return');
    checkAll(t);
  });

  it('a reverting child rolls its writes back through the frame snapshot', () => {
    const code = asm(`
      6000 6000 6000 6000 6000 73000000000000000000000000000000000000bad0 5a f1
      6000 55 3d 6001 55 00`);
    const t = trace(withCallees(code), call(CONTRACT, new Uint8Array()));
    checkAll(t);
  });

  it('precompile calls run inside one step (identity, sha256, ecrecover with garbage)', () => {
    const code = asm(`
      7f0102030405060708091011121314151617181920212223242526272829303132 6000 52
      6020 6040 6020 6000 6004 5a fa 50
      6020 6060 6020 6000 6002 5a fa 50
      6020 6080 6080 6000 6001 5a fa 50
      6020 6040 f3`);
    const t = trace(withCallees(code), call(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    checkAll(t);
  });

  it('CREATE and CREATE2 run init code in a child frame and deploy it', () => {
    const init = bytesToHex(INIT).slice(2);
    const code = asm(`
      6a${init.padStart(22, '0')} 6000 52
      600b 6015 6000 f0
      6007 600b 6015 6000 f5
      00`);
    const t = trace(withCallees(code), call(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.kinds.filter((k) => k === 'enter')).toHaveLength(2);
    checkAll(t);
  });

  it('a contract-creating transaction and SELFDESTRUCT of the created account', () => {
    // init code: SELFDESTRUCT(OTHER) during construction (EIP-6780: deleted)
    const initcode = asm(`730000000000000000000000000000000000000b0b ff`);
    const t = trace(withCallees(new Uint8Array([0])), call(null, initcode, 500_000n, 123n));
    expect(t.outcome.success).toBe(true);
    checkAll(t);
  });

  it('exceptional halts in a child and at the top level', () => {
    // child: invalid opcode via callee code 0xfe; then top-level out of gas in a loop
    const code = asm(`
      6000 6000 6000 6000 6000 73000000000000000000000000000000000000dead 5a f1 50
      5b 6020 56`);
    const state = withCallees(code);
    state.put(toAddress('0x000000000000000000000000000000000000dead'), { code: asm('fe') });
    const t = trace(state, call(CONTRACT, new Uint8Array(), 120_000n));
    expect(t.outcome.success).toBe(false);
    checkAll(t);
  });
});

describe('step machine: generated programs', () => {
  it('every step of 40 generated programs (every program kind) is proven from its witness', () => {
    let steps = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = generateProgram(seed);
      if (p.fork === 'cancun' || p.gas > 5_000_000n) continue;
      const t = trace(withCallees(p.code), call(CONTRACT, p.input, p.gas + 100_000n, 0n), p.fork);
      steps += checkAll(t);
    }
    expect(steps).toBeGreaterThan(1000);
  });
});

describe('step machine: rejection', () => {
  const code = asm(`6002 6003 01 6000 52 6001 54 6003 55 6020 6000 f3`);
  const t = trace(stateWith(code), call(CONTRACT, new Uint8Array()));

  it('rejects a witness for another pre-state', () => {
    const w = stepWitness(t, 3);
    expect(() => verifyStep(t.commitments[2]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)))).toThrow(StepError);
  });

  it('rejects a witness with a preimage missing', () => {
    for (let k = 0; k < stepCount(t); k++) {
      const w = stepWitness(t, k);
      for (let i = 0; i < w.preimages.length; i++) {
        const fewer = w.preimages.filter((_, j) => j !== i);
        let err: unknown = null;
        try {
          verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(fewer)));
        } catch (e) {
          err = e;
        }
        expect(err, `step ${k} without preimage ${i}`).toBeInstanceOf(StepError);
        expect((err as StepError).reason).toBe('incomplete-witness');
      }
    }
  });

  it('a tampered preimage cannot reach the honest post-state', () => {
    for (let k = 0; k < stepCount(t); k++) {
      const w = stepWitness(t, k);
      for (let i = 0; i < w.preimages.length; i++) {
        const bad = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
        let post: string | null = null;
        try {
          post = bytesToHex(verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(bad))));
        } catch (e) {
          expect(e).toBeInstanceOf(StepError);
        }
        expect(post).not.toBe(bytesToHex(t.commitments[k + 1]!));
      }
    }
  });

  it('a tampered pre-state encoding does not match the commitment', () => {
    const w = stepWitness(t, 1);
    const state = w.state.slice();
    state[state.length - 100] ^= 1;
    expect(() => verifyStep(t.commitments[1]!, { ...w, state }, new LayeredPreimages(PreimageStore.of(w.preimages)))).toThrow(/does not hash/);
  });
});
