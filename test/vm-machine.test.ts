// The machine is steppable: executing one instruction at a time gives exactly
// what run() gives, frames are plain data, and nested calls are frames on one
// stack (no native recursion), so 1024-deep recursion is fine.
import { describe, expect, it } from 'vitest';
import { hexToBytes, bytesToHex } from '../vm/util/bytes.js';
import { toAddress } from '../vm/util/address.js';
import { forkRules } from '../vm/chain/forks.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { MemoryState } from '../vm/state/memory.js';
import { WorldState } from '../vm/state/world.js';
import { Machine } from '../vm/interpreter/machine.js';
import type { BlockEnv } from '../vm/env.js';

const SELF = toAddress('0x00000000000000000000000000000000000000c0');
const CALLER = toAddress('0x00000000000000000000000000000000000000ca');

function machineFor(code: string, gas = 5_000_000): Machine {
  const state = new MemoryState();
  state.put(SELF, { code: hexToBytes(code) });
  state.put(CALLER, { balance: 10n ** 18n, nonce: 1n });
  const world = new WorldState(state);
  world.beginTransaction();
  const block: BlockEnv = {
    chain: ethereumRules('osaka'),
    rules: forkRules('osaka'),
    number: 1n,
    timestamp: 1n,
    coinbase: CALLER,
    gasLimit: 30_000_000n,
    baseFee: 0n,
    prevRandao: 0n,
    excessBlobGas: 0n,
    blockHash: () => null,
  };
  const m = new Machine(world, block, { origin: CALLER, gasPrice: 0n, blobHashes: [] });
  m.begin({
    kind: 'call',
    caller: CALLER,
    address: SELF,
    codeAddress: SELF,
    value: 0n,
    transfersValue: false,
    input: new Uint8Array(0),
    code: hexToBytes(code),
    gas,
    isStatic: false,
    depth: 0,
    disablePrecompiles: false,
  });
  return m;
}

// Recursion: if CALLDATASIZE < 640, call self with calldata one word longer; store the depth reached.
// CALLDATASIZE PUSH2 0x0280 GT ISZERO PUSH1 end JUMPI
//   CALLDATASIZE PUSH1 0x20 ADD  PUSH0 PUSH0 ... CALL(gas, self, 0, 0, size+32, 0, 0)
const RECURSE =
  '36' + '610280' + '11' + '15' + '601e' + '57' + // if !(640 > size) goto 0x1e
  '5f5f' + '36' + '6020' + '01' + '5f' + '5f' + '30' + '5a' + 'f1' + '50' + // CALL(gas, address, 0, 0, size+32, 0, 0); pop
  '36' + '36' + '55' + '00' + // sstore(size, size); stop
  '00' + // padding so 0x1e lands below
  '5b' + '36' + '5f' + '55' + '00'; // 0x1e: JUMPDEST sstore(0, size) stop

describe('Machine', () => {
  it('step() one instruction at a time ends exactly where run() ends', () => {
    const a = machineFor(RECURSE);
    const ra = a.run();
    const b = machineFor(RECURSE);
    let steps = 0;
    let maxDepth = 0;
    while (b.step()) {
      steps++;
      maxDepth = Math.max(maxDepth, b.frames.length);
    }
    const rb = b.result!;
    expect(rb.gasLeft).toBe(ra.gasLeft);
    expect(bytesToHex(rb.output)).toBe(bytesToHex(ra.output));
    expect(rb.success).toBe(ra.success);
    expect([...b.world.changes().get(SELF)!.storage]).toEqual([...a.world.changes().get(SELF)!.storage]);
    expect(maxDepth).toBe(21);
    expect(steps).toBeGreaterThan(100);
  });

  it('exposes the whole state as data between steps', () => {
    const m = machineFor('6001600201');
    m.step();
    m.step();
    const f = m.frames[0]!;
    expect(f.pc).toBe(4);
    expect(f.sp).toBe(2);
    expect(f.stack.slice(0, f.sp)).toEqual([1n, 2n]);
    expect(f.gas).toBe(5_000_000 - 6);
    m.step();
    expect(f.stack[0]).toBe(3n);
  });

  it('runs 1024-deep recursion without growing the native stack', () => {
    // Self-call with all gas until the depth limit stops it; count successful levels in storage.
    // PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE ; CALL(gas, self, 0,0,0,0,0) ; STOP
    const code = '5f54600101' + '5f55' + '5f5f5f5f5f' + '30' + '5a' + 'f1' + '00';
    const m = machineFor(code, 2 ** 50);
    const r = m.run();
    expect(r.success).toBe(true);
    // Depth 0..1024 all run their SSTORE: 1025 frames.
    expect(m.world.changes().get(SELF)!.storage.get(0n)).toBe(1025n);
  });
});
