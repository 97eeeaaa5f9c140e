// The on-chain MetisVM step verifier against the TypeScript reference, on a real anvil: for every
// step of generated programs whose instruction the contract covers, the contract's post-state
// commitment equals the trace's next commitment; every other step reverts (never a wrong answer);
// a tampered witness never reaches the honest post-state. Gas per instruction class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, toFunctionSelector, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployMetisStepVerifier, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { toAddress } from '../vm/util/address.js';
import { decodeStepState } from '../vm/step/state.js';
import { stepCount, stepWitness, type StepTrace } from '../vm/step/trace.js';
import { readFileSync, readdirSync } from 'node:fs';
import { parseFork } from '../vm/chain/forks.js';
import { MemoryState } from '../vm/state/memory.js';
import { WitnessState } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { storeFromWitness, traceTransaction } from '../vm/step/trace.js';
import { parseStateTestFile, type StateTestCase } from '../vm/statetest/fixture.js';
import { stateTestBlockEnv, stateTestTransaction } from '../vm/statetest/runner.js';
import { generateProgram } from './support/bytecode-gen.js';
import { CONTRACT, OTHER, asm, callTx, push, stateWith, stepBlockEnv, traceTx } from './support/step-traces.js';

let anvil: AnvilNode;
let clients: L1Clients;
let verifier: Hex;
const abi = () => contractArtifact('MetisStepVerifier').abi;

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  verifier = await deployMetisStepVerifier(clients, { calls: null, creates: 'MetisCreateStep', transactions: null });
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
});

type Outcome = { ok: true; post: Hex } | { ok: false; error: string };

async function onChain(state: Uint8Array, preimages: readonly Uint8Array[]): Promise<Outcome> {
  try {
    const post = (await clients.public.readContract({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(state), preimages.map(bytesToHex)] })) as Hex;
    return { ok: true, post };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return { ok: false, error: revert.data?.errorName ?? revert.shortMessage };
    throw e;
  }
}

// The instructions the contract covers (contracts/src/MetisStepVerifier.sol).
const COVERED = new Set<number>([
  ...range(0x01, 0x0b), ...range(0x10, 0x1d), 0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3a, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x48,
  0x50, 0x51, 0x52, 0x53, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, ...range(0x5f, 0x9f),
  // The world and the transaction-scoped tries (MetisWorldStep), and the logs.
  0x31, 0x3b, 0x3f, 0x47, 0x54, 0x55, 0x5c, 0x5d, ...range(0xa0, 0xa4),
  // KECCAK256 and the copies into memory.
  0x20, 0x37, 0x39, 0x3e, 0x5e,
  // Return data size, the ancestor hashes, and EXTCODECOPY (its account access by MetisWorldStep).
  0x3d, 0x40, 0x3c,
  // The blob context (EIP-4844, EIP-7516) and CLZ (EIP-7939, Osaka).
  0x49, 0x4a, 0x1e,
]);
const COPY_OPS = new Set<number>([0x20, 0x37, 0x39, 0x3e, 0x5e]);
const WORLD_OPS = new Set<number>([0x31, 0x3b, 0x3f, 0x47, 0x54, 0x55, 0x5c, 0x5d, ...range(0xa0, 0xa4)]);

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

async function checkTrace(t: StepTrace, gas: Map<string, number> | null, only: (k: number) => boolean = () => true): Promise<{ proven: number; unsupported: number }> {
  let proven = 0;
  let unsupported = 0;
  for (let k = 0; k < stepCount(t); k++) {
    if (!only(k)) continue;
    const w = stepWitness(t, k);
    const r = await onChain(w.state, w.preimages);
    const op = t.ops[k]!;
    const expected = bytesToHex(t.commitments[k + 1]!);
    if (COVERED.has(op) && (t.kinds[k] === 'instruction' || t.kinds[k] === 'piece')) {
      expect(r, `step ${k} ${t.kinds[k]} op 0x${op.toString(16)}`).toEqual({ ok: true, post: expected });
      proven++;
      const cls = t.kinds[k] === 'piece' ? 'copy piece' : opClass(op);
      // Every world and copy step is measured: their gas depends on the trie depths and sizes met.
      if (gas !== null && (!gas.has(cls) || WORLD_OPS.has(op) || COPY_OPS.has(op) || op === 0x3c || Math.random() < 0.05)) {
        const g = await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account });
        gas.set(cls, Math.max(gas.get(cls) ?? 0, Number(g)));
      }
    } else if (t.kinds[k] === 'end') {
      // The end of the top-level call: proven, unless it is an exceptional halt (then it reverts).
      if (r.ok) {
        expect(r.post, `end step ${k} op 0x${op.toString(16)}`).toBe(expected);
        proven++;
        if (gas !== null) gas.set('end', Math.max(gas.get('end') ?? 0, Number(await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account }))));
      } else unsupported++;
    } else {
      // Not covered on chain, or an exceptional halt: a revert, never another answer.
      if (r.ok) expect(r.post, `uncovered step ${k} op 0x${op.toString(16)} must not be answered differently`).toBe(expected);
      else unsupported++;
    }
  }
  return { proven, unsupported };
}

function opClass(op: number): string {
  if (op === 0x54) return 'SLOAD';
  if (op === 0x55) return 'SSTORE';
  if (op === 0x5c || op === 0x5d) return 'TLOAD/TSTORE';
  if (op === 0x31 || op === 0x3b || op === 0x3f || op === 0x47) return 'account';
  if (op >= 0xa0 && op <= 0xa4) return 'LOG';
  if (op >= 0x60 && op <= 0x7f) return 'PUSH';
  if (op >= 0x80 && op <= 0x8f) return 'DUP';
  if (op >= 0x90 && op <= 0x9f) return 'SWAP';
  if (op <= 0x0b) return 'arithmetic';
  if (op <= 0x1d) return 'logic';
  if (op >= 0x51 && op <= 0x53) return 'memory';
  if (op === 0x56 || op === 0x57) return 'jump';
  if (op === 0x35) return 'calldata';
  if (op === 0x20) return 'KECCAK256';
  if (op === 0x40) return 'BLOCKHASH';
  if (op === 0x3c) return 'EXTCODECOPY';
  if (COPY_OPS.has(op)) return 'copy';
  return 'context';
}

describe('MetisStepVerifier against the reference verifier', () => {
  const gas = new Map<string, number>();

  it('agrees on every covered step of a hand-written program, including memory writes across chunks', async () => {
    const code = asm(`
      6002 6003 01 6005 02 600a 0a 6001 0b 6003 6007 08
      7fff00000000000000000000000000000000000000000000000000000000000001 6021 52
      6023 51 6000 53 6040 51 59 5a 30 33 34 36 38 32 3a 41 42 43 44 45 46 48
      6004 35 6001 6000 13 6003 1d 601f 1a 80 91 50 50 50
      6001 6041 57 00 5b 6000 6000 f3`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, asm('deadbeef'.repeat(10))));
    const r = await checkTrace(t, gas);
    expect(r.proven).toBeGreaterThan(50);
  }, 120_000);

  it('fits both contracts under the EIP-170 code size limit', async () => {
    const world = (await clients.public.readContract({ address: verifier, abi: abi(), functionName: 'WORLD' })) as Hex;
    for (const address of [verifier, world]) {
      const code = await clients.public.getCode({ address });
      const size = ((code?.length ?? 2) - 2) / 2;
      process.stdout.write(`runtime size of ${address}: ${size} bytes\n`);
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThanOrEqual(24_576);
    }
  }, 60_000);

  it('agrees on KECCAK256, CALLDATACOPY, CODECOPY, RETURNDATACOPY and MCOPY: unaligned, across chunks, past the old memory size, zero sizes at huge offsets', async () => {
    const ones = 'ff'.repeat(32);
    const callee = asm(`7f${'11'.repeat(16)}${'22'.repeat(16)} 6000 52 7f${'a5'.repeat(32)} 6020 52 6000 6000 6000 3e 6035 6005 f3`);
    const code = asm(`
      7f0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 6010 52
      6045 6007 20 50 6000 63ffffffff 20 50 6000 7f${ones} 20 50 6001 603f 20 50
      6030 6005 6013 37 6040 6010 6075 37 6000 7f${ones} 7f${ones} 37 6020 7f${ones} 6003 37 6001 6027 6100 37
      6025 6002 6041 39 6010 61ffff 610100 39 6000 61ffff 7f${ones} 39 6021 6000 6000 39
      6030 6008 6011 5e 6030 6011 6003 5e 6020 6000 610140 5e 6020 610200 6000 5e 6000 7f${ones} 7f${ones} 5e 6001 6001 6001 5e
      5f 5f 5f 5f 5f ${'73' + OTHER.slice(2)} 5a f1 50
      6020 6010 610107 3e 6000 6035 6000 3e 6035 6000 6001 3e 6003 6032 61022e 3e
      610240 6000 20 50 6000 6000 6000 3e 00`);
    const t = traceTx(stateWith(code, (st) => st.put(OTHER, { code: callee })), callTx(CONTRACT, asm('deadbeef'.repeat(10))));
    expect(t.outcome.success).toBe(true);
    const steps = t.ops.filter((op, k) => COPY_OPS.has(op) && t.kinds[k] === 'instruction');
    expect(new Set(steps)).toEqual(COPY_OPS);
    const r = await checkTrace(t, gas);
    // All but the CALL and the callee's return (frame changes are not provable on L1 yet).
    expect(r.proven).toBe(stepCount(t) - 2);
    expect(r.unsupported).toBe(2);
  }, 300_000);

  it('agrees on RETURNDATASIZE and BLOCKHASH (the 256 ancestors of block 300, unknown ones and out-of-range numbers)', async () => {
    const callee = asm('3d 50 6007 6000 f3');
    const code = asm(`
      3d 50 6000 40 50 602b 40 50 602c 40 50 6064 40 50 61012b 40 50 61012c 40 50 7f${'ff'.repeat(32)} 40 50
      5f 5f 5f 5f 5f ${'73' + OTHER.slice(2)} 5a f1 50 3d 50 00`);
    const t = traceTx(stateWith(code, (st) => st.put(OTHER, { code: callee })), callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.ops.filter((op, k) => op === 0x40 && t.kinds[k] === 'instruction').length).toBe(7);
    expect(t.ops.filter((op, k) => op === 0x3d && t.kinds[k] === 'instruction').length).toBe(3);
    const r = await checkTrace(t, gas);
    expect(r.proven).toBe(stepCount(t) - 2);
  }, 120_000);

  it('records the gas of KECCAK256, the copies and BLOCKHASH by size (32, 256, 1,024 and 8,192 bytes)', async () => {
    const table: Record<string, number> = {};
    const names: Record<number, string> = { 0x20: 'KECCAK256', 0x37: 'CALLDATACOPY', 0x39: 'CODECOPY', 0x3e: 'RETURNDATACOPY', 0x5e: 'MCOPY', 0x40: 'BLOCKHASH' };
    for (const size of [32, 256, 1024, 8192]) {
      const n = size.toString(16).padStart(4, '0');
      const unaligned = (size + 7).toString(16).padStart(4, '0');
      const code = asm(`61${n} 6000 6000 37 61${n} 6000 20 50 61${n} 6000 61${unaligned} 5e 61${n} 6000 6003 39 61012b 40 50 00`);
      const input = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 1) & 0xff);
      const t = traceTx(stateWith(code), callTx(CONTRACT, input));
      expect(t.outcome.success).toBe(true);
      for (let k = 0; k < stepCount(t); k++) {
        const op = t.ops[k]!;
        if (names[op] === undefined) continue;
        const w = stepWitness(t, k);
        expect(await onChain(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
        const g = await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account });
        // A copy of 8,192 bytes is split: its own step, then pieces of at most COPY_CHUNK bytes.
        const key = op === 0x40 ? 'BLOCKHASH' : `${names[op]} ${size}${t.kinds[k] === 'piece' ? ' piece' : ''}`;
        table[key] = Math.max(table[key] ?? 0, Number(g));
      }
    }
    process.stdout.write(`step verifier gas by size: ${JSON.stringify(table)}\n`);
    // A longer range costs more: a walk per chunk.
    expect(table['KECCAK256 1024']).toBeGreaterThan(table['KECCAK256 32']!);
    expect(table['MCOPY 1024']).toBeGreaterThan(table['MCOPY 32']!);
    expect(table['MCOPY 8192 piece']).toBeGreaterThan(table['MCOPY 1024']!);
    // The split copy's own step touches none of its bytes.
    expect(table['MCOPY 8192']).toBeLessThan(table['MCOPY 1024']!);
    for (const n of ['CALLDATACOPY', 'CODECOPY', 'MCOPY']) expect(table[`${n} 8192 piece`]).toBeLessThan(4_000_000);
  }, 300_000);

  it('proves exceptional halts of KECCAK256 and the copies in the top-level call (out of gas, past the memory limit, return data out of bounds)', async () => {
    const pre = '6001 6000 5d';
    const halts: [string, bigint][] = [
      [`${pre} 6001 6000 3e`, 200_000n], // RETURNDATACOPY past the (empty) return data
      [`${pre} 6000 6001 3e`, 200_000n], // a zero-size RETURNDATACOPY from past the end
      [`${pre} 640100000000 6000 6000 37`, 200_000n], // a size past the memory limit
      [`${pre} 6020 6000 63ffffffff 37`, 200_000n], // a destination past the memory limit
      [`${pre} 6001 63ffffffff 20`, 200_000n],
      [`${pre} 6001 63ffffffff 6000 5e`, 200_000n], // an MCOPY source past the memory limit
      [`${pre} 6001 6000 6000 5e`, 106n + 9n + 8n], // MCOPY short of its memory expansion
      [`${pre} 6021 6000 20`, 106n + 6n + 47n], // KECCAK256 short of its expansion
      [`${pre} 6040 6000 6000 37`, 106n + 9n + 8n], // CALLDATACOPY short of its copy gas
      [`${pre} 6040 6000 6000 39`, 106n + 9n + 13n], // CODECOPY short of its expansion
    ];
    for (const [src, gasLeft] of halts) {
      const t = traceTx(stateWith(asm(src)), callTx(CONTRACT, new Uint8Array(), 21_000n + gasLeft));
      expect(t.outcome.success, src).toBe(false);
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      expect(COPY_OPS.has(t.ops[k]!), src).toBe(true);
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages), `halt of ${src}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('proves exceptional halts of the top-level call: INVALID, stack underflow and overflow, invalid jump, out of gas', async () => {
    const halts = [
      asm('6001 6000 55 fe'), // INVALID after a write (restored)
      asm('6001 6000 55 01'), // ADD with one item
      asm('6001 6000 55 6005 56 00 00'), // JUMP to a non-JUMPDEST
      asm('6001 6000 55' + ' 5f'.repeat(1025)), // PUSH0 past 1024 items
      asm('6001 6000 55 5b 6001 01 6003 56'), // an endless loop until out of gas
      asm('6001 6000 55 6001 0c'), // an undefined opcode
      asm('6001 6000 55 6001 ef'),
      asm('6001 6000 55 6001 1e'), // CLZ before Osaka
      asm('6001 6000 55 6001 640100000000 52'), // MSTORE past the memory limit
      asm('6001 6000 55 6001 6401 00000000 f3'), // RETURN past the memory limit
      asm('6001 6000 55 6020 f3'), // RETURN with one item
      asm('6001 6000 55 6001 63ffffffff fd'), // REVERT of memory the frame cannot pay for
    ];
    for (const code of halts) {
      const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array(), 200_000n));
      expect(t.outcome.success).toBe(false);
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages), `halt of ${bytesToHex(code).slice(0, 20)}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('agrees on BLOBHASH (in and out of range), BLOBBASEFEE (excess blob gas under each fork) and CLZ (Osaka)', async () => {
    const code = asm(`5f 49 50 6001 49 50 6002 49 50 7f${'ff'.repeat(32)} 49 50 4a 50 00`);
    const hashes = [0xabc, 0xdef].map((n) => Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : i === 31 ? n & 0xff : i === 30 ? n >> 8 : 0)));
    for (const fork of ['cancun', 'prague', 'osaka'] as const) {
      for (const excessBlobGas of [0n, 10_000_000n, 60_000_000n]) {
        const st = stateWith(code);
        const witness = fullWitness(st);
        const tx = { ...callTx(CONTRACT, new Uint8Array()), type: 3 as const, maxFeePerGas: 100n, maxFeePerBlobGas: 10n ** 9n, blobVersionedHashes: hashes };
        const t = traceTransaction(storeFromWitness(witness), witness, new WorldState(new WitnessState(witness)), { ...stepBlockEnv(fork), excessBlobGas }, tx);
        expect(t.outcome.success, `${fork} ${excessBlobGas}`).toBe(true);
        const r = await checkTrace(t, gas);
        expect(r.proven).toBe(stepCount(t));
      }
    }
    const clz = asm(`5f 1e 50 6001 1e 50 7f${'ff'.repeat(32)} 1e 50 6f01${'00'.repeat(15)} 1e 50 00`);
    const t = traceTx(stateWith(clz), callTx(CONTRACT, new Uint8Array()), 'osaka');
    expect(t.outcome.success).toBe(true);
    expect((await checkTrace(t, gas)).proven).toBe(stepCount(t));
  }, 120_000);

  it('proves the end of a call by STOP, RETURN and REVERT (the revert restoring the frame snapshot)', async () => {
    const ends = [asm('6001 6000 55 00'), asm('6001 6000 55 602a 6003 52 6005 601e f3'), asm('6001 6000 55 6004 6000 fd')];
    for (const code of ends) {
      const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array()));
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  // Accounts for the world instructions: a funded contract with code, an empty account (EIP-161),
  // and an address that does not exist.
  const EMPTY_ACCOUNT = toAddress('0x00000000000000000000000000000000000e3e3e');
  const NOBODY = toAddress('0x000000000000000000000000000000000000dead');
  const pushAddr = (a: string): string => '73' + a.slice(2);
  const worldState = (code: Uint8Array) =>
    stateWith(code, (st) => {
      st.put(OTHER, { balance: 77n, code: asm('6001600201'), storage: [[1n, 3n]] });
      st.put(EMPTY_ACCOUNT, {});
      st.put(CONTRACT, { balance: 12345n, code, storage: [[1n, 5n], [2n, 9n]] });
    });

  it('agrees on SLOAD, SSTORE (every EIP-2200/3529 case), TLOAD, TSTORE, account reads and LOG0-LOG4', async () => {
    const code = asm(`
      6001 54 50 6001 54 50 6003 54 50
      6007 6001 55 6005 6001 55 6000 6002 55 602a 6002 55 6063 6004 55 6000 6004 55 6009 6002 55 6000 6005 55 6005 6001 55
      61abcd 6001 5d 6011 6002 5d 7fff00000000000000000000000000000000000000000000000000000000000001 6003 5d
      6001 5c 50 6002 5c 50 6003 5c 50 6009 5c 50 6000 6001 5d 6001 5c 50 6000 6009 5d
      47 50 ${pushAddr('0x00000000000000000000000000000000000a11ce')} 31 50 ${pushAddr(OTHER)} 31 50 ${pushAddr(OTHER)} 3b 50
      ${pushAddr(OTHER)} 3f 50 ${pushAddr(EMPTY_ACCOUNT)} 3f 50 ${pushAddr(EMPTY_ACCOUNT)} 31 50 ${pushAddr(NOBODY)} 3b 50 ${pushAddr(NOBODY)} 3f 50 30 3b 50 30 3f 50
      6001 31 50 6004 3f 50 41 31 50 41 3b 50 32 3f 50 33 3b 50 6004 3b 50 61dead 3b 50
      7f0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 6010 52
      6000 6000 a0 61beef 6030 6008 a1 6002 6001 6040 6000 a2 6003 6002 6001 6020 6070 a3
      6004 6003 6002 6001 610100 6000 a4 5f 5f 5f 5f 5f 5f a4 5f 7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff a0 00`);
    const t = traceTx(worldState(code), callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.outcome.logs.length).toBe(7);
    const seen = new Set(t.ops.filter((op, k) => WORLD_OPS.has(op) && t.kinds[k] === 'instruction'));
    expect([...seen].sort((a, b) => a - b)).toEqual([...WORLD_OPS].sort((a, b) => a - b));
    const r = await checkTrace(t, gas);
    expect(r.proven).toBe(stepCount(t));
  }, 120_000);

  it('proves world instructions in child frames: a call, a static call (whose SSTORE halts: not provable yet) and a creation (originals zero by createdRoot)', async () => {
    const callee = asm(`6001 54 50 6007 6001 55 6001 5f a0 47 50 30 31 50 6003 5c 50 6005 6003 5d 00`);
    const init = '6001600055600260005560006000a000';
    const code = asm(`
      5f 5f 5f 5f 5f ${pushAddr(OTHER)} 5a f1 50
      5f 5f 5f 5f ${pushAddr(OTHER)} 61ffff fa 50
      6f${init} 5f 52 6010 6010 5f f0 50 00`);
    const st = worldState(code);
    st.put(OTHER, { balance: 77n, code: callee, storage: [[1n, 3n]] });
    const t = traceTx(st, callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    const inChild = (k: number) => decodeStepState(t.encodings[k]!).frameCount > 0;
    const childWorld = t.ops.filter((op, k) => WORLD_OPS.has(op) && t.kinds[k] === 'instruction' && inChild(k)).length;
    expect(childWorld).toBeGreaterThanOrEqual(10);
    // The static call's SSTORE halts its frame: a return step, which reverts on chain.
    expect(t.ops.some((op, k) => op === 0x55 && t.kinds[k] === 'return')).toBe(true);
    const r = await checkTrace(t, gas);
    expect(r.proven).toBeGreaterThanOrEqual(childWorld);
    expect(r.unsupported).toBeGreaterThan(0);
  }, 120_000);

  it('records world-step gas on state-sized tries (4,000 accounts, 1,000 slots: account leaves ~4 levels down)', async () => {
    const code = asm(`6001 54 50 6007 6001 55 6000 6002 55 6063 61abcd 55 ${pushAddr(OTHER)} 31 50 ${pushAddr(OTHER)} 3b 50 6020 6000 a0 00`);
    const st = worldState(code);
    const storage: [bigint, bigint][] = [[1n, 5n], [2n, 9n]];
    for (let i = 3n; i < 1000n; i++) storage.push([i * 7919n, i]);
    st.put(CONTRACT, { balance: 12345n, code, storage });
    for (let i = 1; i <= 4000; i++) st.put(toAddress(`0x${(0x100000 + i).toString(16).padStart(40, '0')}`), { balance: BigInt(i) });
    const t = traceTx(st, callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    const deep = new Map<string, number>();
    const r = await checkTrace(t, deep);
    expect(r.proven).toBe(stepCount(t));
    for (const cls of ['SLOAD', 'SSTORE', 'account', 'LOG']) expect(deep.get(cls)).toBeGreaterThan(0);
    process.stdout.write(`step verifier gas on state-sized tries: ${JSON.stringify(Object.fromEntries(deep))}\n`);
  }, 300_000);

  // Traces ethereum/tests state tests of `dirs` with MetisVM; checks on chain the first 10 steps
  // of each whose instruction is in `ops`, and every end of the top-level call.
  async function stateTests(dirs: readonly string[], ops: ReadonlySet<number>): Promise<{ cases: number; worldSteps: number; childSteps: number; proven: number }> {
    const root = new URL('../../shared/fixtures/ethereum-tests/GeneralStateTests/', import.meta.url);
    const cases: StateTestCase[] = [];
    for (const dir of dirs) {
      const inDir: StateTestCase[] = [];
      // The tstoreCannotBeDosd cases loop until a 30M-gas budget is spent: millions of steps.
      const skip = /CannotBeDosd/;
      for (const file of readdirSync(new URL(dir, root)).filter((f) => f.endsWith('.json') && !skip.test(f)).sort()) {
        const all = parseStateTestFile(JSON.parse(readFileSync(new URL(`${dir}/${file}`, root), 'utf8')));
        // Every third data variant (direct, CALL, CALLCODE, DELEGATECALL, creation patterns;
        // sstore_gasLeft's sentry and out-of-gas cases), the first gas limit.
        inDir.push(...all.filter((c) => c.expectException === null && c.index.data % 3 === 0 && c.index.gas === 0 && c.index.value === 0));
      }
      // At most 24 per directory, spread over its files, to keep the suite's runtime down.
      const stride = Math.ceil(inDir.length / 24);
      cases.push(...inDir.filter((_, i) => i % stride === 0));
    }
    let worldSteps = 0;
    let childSteps = 0;
    let proven = 0;
    for (const c of cases) {
      const fork = parseFork(c.fork);
      const state = new MemoryState();
      for (const [address, a] of c.pre) state.put(address, a);
      const tx = stateTestTransaction(c);
      const env = stateTestBlockEnv(c, fork);
      const witness = fullWitness(state);
      const trace = traceTransaction(storeFromWitness(witness), witness, new WorldState(new WitnessState(witness)), env, tx);
      // The first 10 steps of a trace of the instructions checked (gas-measuring loops repeat one pattern), and its end.
      const picked = new Set(trace.ops.flatMap((op, k) => (ops.has(op) ? [k] : [])).slice(0, 10));
      const only = (k: number) => picked.has(k) || trace.kinds[k] === 'end';
      worldSteps += picked.size;
      for (const k of picked) if (decodeStepState(trace.encodings[k]!).frameCount > 0) childSteps++;
      proven += (await checkTrace(trace, null, only)).proven;
    }
    return { cases: cases.length, worldSteps, childSteps, proven };
  }

  it('agrees on every world step and call end of ethereum/tests state tests (SSTORE, SLOAD, LOG, EIP-1153, EXTCODEHASH, SELFBALANCE, EIP-2930)', async () => {
    const { cases, worldSteps, childSteps, proven } = await stateTests(['stSStoreTest', 'stSLoadTest', 'stLogTests', 'Cancun/stEIP1153-transientStorage', 'stExtCodeHash', 'stSelfBalance', 'stEIP2930'], WORLD_OPS);
    process.stdout.write(`state tests: ${cases} cases, ${worldSteps} world steps checked (${childSteps} in child frames), ${proven} steps proven on chain (ends included)\n`);
    expect(cases).toBeGreaterThan(80);
    expect(childSteps).toBeGreaterThan(100);
    expect(proven).toBeGreaterThan(0.95 * worldSteps);
  }, 600_000);

  it('agrees on every KECCAK256, copy (EXTCODECOPY too), RETURNDATASIZE and BLOCKHASH step and call end of ethereum/tests state tests (code copies, memory, return data, EIP-5656)', async () => {
    const ops = new Set<number>([...COPY_OPS, 0x3d, 0x40, 0x3c]);
    const { cases, worldSteps, childSteps, proven } = await stateTests(['stCodeCopyTest', 'stMemoryTest', 'stReturnDataTest', 'Cancun/stEIP5656-MCOPY'], ops);
    process.stdout.write(`copy state tests: ${cases} cases, ${worldSteps} copy steps checked (${childSteps} in child frames), ${proven} steps proven on chain (ends included)\n`);
    expect(cases).toBeGreaterThan(40);
    expect(worldSteps).toBeGreaterThan(40);
    expect(proven).toBeGreaterThan(0.9 * worldSteps);
  }, 600_000);

  it('agrees on EXTCODECOPY: cold and warm, an absent and an empty account, itself, zero sizes, unaligned ranges past the code end; and its top-level halts', async () => {
    const big = asm('7f' + '5b'.repeat(32) + ' 6001 6002 01'.repeat(40) + ' 00');
    const copy = (a: string, size: string, src: string, dst: string) => `${size} ${src} ${dst} ${pushAddr(a)} 3c`;
    const code = asm(`
      ${copy(OTHER, '6005', '6000', '6000')} ${copy(OTHER, '6040', '6001', '601d')} ${copy(OTHER, '6000', '7f' + 'ff'.repeat(32), '7f' + 'ff'.repeat(32))}
      ${copy(NOBODY, '6020', '6000', '6003')} ${copy(EMPTY_ACCOUNT, '6021', '6000', '6050')} ${copy(CONTRACT, '6030', '6010', '6071')}
      ${copy(OTHER, '6010', '61ffff', '610100')} ${copy('0x0000000000000000000000000000000000000b1b', '6050', '6007', '6033')} 00`);
    const st = worldState(code);
    st.put(toAddress('0x0000000000000000000000000000000000000b1b'), { code: big });
    const t = traceTx(st, callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.ops.filter((op, k) => op === 0x3c && t.kinds[k] === 'instruction').length).toBe(8);
    const r = await checkTrace(t, gas);
    expect(r.proven).toBe(stepCount(t));
    const pre = '6001 6000 5d';
    const halts: [string, bigint][] = [
      [`${pre} ${copy(OTHER, '6001', '6000', '6000')}`, 106n + 12n + 2599n], // cold access
      [`${pre} ${copy(OTHER, '6040', '6000', '6000')}`, 106n + 12n + 2600n + 5n], // copy gas
      [`${pre} ${copy(OTHER, '6040', '6000', '6000')}`, 106n + 12n + 2600n + 6n + 5n], // expansion
      [`${pre} ${copy(OTHER, '6001', '6000', '63ffffffff')}`, 200_000n], // past the memory limit
    ];
    for (const [src, gasLeft] of halts) {
      const h = traceTx(worldState(asm(src)), callTx(CONTRACT, new Uint8Array(), 21_000n + gasLeft));
      expect(h.outcome.success, src).toBe(false);
      const k = stepCount(h) - 1;
      expect(h.kinds[k]).toBe('end');
      expect(h.ops[k]).toBe(0x3c);
      const w = stepWitness(h, k);
      expect(await onChain(w.state, w.preimages), `halt of ${src}`).toEqual({ ok: true, post: bytesToHex(h.commitments[k + 1]!) });
    }
  }, 120_000);

  it('proves exceptional halts of world instructions in the top-level call (out of gas before the read, the SSTORE sentry, a full stack)', async () => {
    // TSTORE first (106 gas), so the halt must restore the transient root from the snapshot.
    const pre = '6001 6000 5d';
    const halts: [string, bigint][] = [
      [`${pre} 6001 54`, 106n + 3n + 2099n], // cold SLOAD
      [`${pre} 6001 6001 54`, 106n + 6n + 2099n],
      [`${pre} 6001 6001 55`, 106n + 6n + 2300n], // the EIP-2200 sentry: 2300 left
      [`${pre} 6007 6001 55`, 106n + 6n + 2900n + 2100n - 1n], // SSTORE one gas short
      [`${pre} 6001 5c`, 106n + 3n + 99n], // TLOAD
      [`${pre} 6001 6001 5d`, 106n + 6n + 99n], // TSTORE
      [`${pre} ${pushAddr(OTHER)} 31`, 106n + 3n + 2599n], // cold BALANCE
      [`${pre} ${pushAddr(OTHER)} 3b`, 106n + 3n + 2599n],
      [`${pre} ${pushAddr(NOBODY)} 3f`, 106n + 3n + 2599n],
      [`${pre} 47`, 106n + 4n], // SELFBALANCE
      [`${pre} 6001 6000 a0`, 106n + 6n + 385n], // LOG0 of one byte: 375 + 8 + 3 memory
      [`${pre} 6005 6004 6003 6002 6001 6000 a4`, 106n + 18n + 1885n], // LOG4 of one byte
      [`${pre} 63ffffffff 6000 a0`, 200_000n], // data gas beyond the frame's
      [`${pre} 640100000000 6000 a0`, 200_000n], // size past the memory limit
      [`${pre} 6001 63ffffffff a0`, 200_000n], // memory expansion beyond the frame's gas
      [`${pre}${' 5f'.repeat(1024)} 47`, 200_000n], // SELFBALANCE on a full stack
    ];
    for (const [src, gasLeft] of halts) {
      const code = asm(src);
      const t = traceTx(worldState(code), callTx(CONTRACT, new Uint8Array(), 21_000n + gasLeft));
      expect(t.outcome.success, src.slice(0, 40)).toBe(false);
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      expect(WORLD_OPS.has(t.ops[k]!), src.slice(0, 40)).toBe(true);
      const w = stepWitness(t, k);
      expect(await onChain(w.state, w.preimages), `halt of ${src.slice(0, 40)}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('agrees on every covered step of generated programs, and reverts on the rest', async () => {
    let proven = 0;
    let unsupported = 0;
    let copySteps = 0;
    for (let seed = 100; seed < 112; seed++) {
      const p = generateProgram(seed);
      if (p.fork !== 'prague' && p.fork !== 'osaka') continue;
      const t = traceTx(stateWith(p.code), callTx(CONTRACT, p.input, p.gas + 100_000n), p.fork);
      if (stepCount(t) > 400) continue;
      copySteps += t.ops.filter((op, k) => (COPY_OPS.has(op) || op === 0x3c) && t.kinds[k] === 'instruction').length;
      const r = await checkTrace(t, gas);
      proven += r.proven;
      unsupported += r.unsupported;
    }
    expect(proven).toBeGreaterThan(200);
    expect(unsupported).toBeGreaterThan(0);
    process.stdout.write(`generated programs: ${proven} steps proven, ${copySteps} of them KECCAK256 or copies\n`);
    expect(copySteps).toBeGreaterThan(10);
    process.stdout.write(`step verifier gas (worst seen per class): ${JSON.stringify(Object.fromEntries(gas))}\n`);
  }, 600_000);

  it('splits copies longer than COPY_CHUNK into pieces it proves one by one: CALLDATACOPY of 64 KiB, CODECOPY and EXTCODECOPY past the code end, RETURNDATACOPY, MCOPY over overlapping ranges both ways', async () => {
    const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => ((i * seed + 7) % 251) + 1);
    const pieceGas: number[] = [];
    const ownGas: number[] = [];
    const run = async (code: Uint8Array, input: Uint8Array, extra?: (s: MemoryState) => void): Promise<void> => {
      const t = traceTx(stateWith(code, extra), callTx(CONTRACT, input, 8_000_000n));
      expect(t.outcome.success).toBe(true);
      const pieces = t.kinds.filter((k) => k === 'piece').length;
      expect(pieces).toBeGreaterThan(2);
      const r = await checkTrace(t, null);
      expect(r.proven + r.unsupported).toBe(stepCount(t));
      for (let k = 0; k < stepCount(t); k++) {
        const split = t.kinds[k] === 'piece' || (t.kinds[k] === 'instruction' && t.kinds[k + 1] === 'piece');
        if (!split) continue;
        const w = stepWitness(t, k);
        const g = Number(await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account }));
        (t.kinds[k] === 'piece' ? pieceGas : ownGas).push(g);
      }
    };
    await run(asm(`${push(65_636)} ${push(0)} ${push(37)} 37 00`), bytes(65_536, 3));
    const other = bytes(7_000, 5);
    other[0] = 0;
    const tail = bytes(6_000, 11);
    await run(
      new Uint8Array([...asm(`${push(9_000)} ${push(3)} ${push(5)} 39 ${push(8_500)} ${push(100)} ${push(10_000)} 73${OTHER.slice(2)} 3c 00`), ...tail]),
      new Uint8Array(),
      (st) => st.put(OTHER, { code: other }),
    );
    await run(
      asm(
        [
          `${push(12_000)} ${push(0)} ${push(0)} 37`,
          `${push(0)} ${push(0)} ${push(9_000)} ${push(0)} 730000000000000000000000000000000000000004 5a fa 50`,
          `${push(8_993)} ${push(7)} ${push(20_000)} 3e`,
          `${push(9_000)} ${push(3_000)} ${push(10)} 5e`,
          `${push(9_000)} ${push(17)} ${push(5_000)} 5e 00`,
        ].join(' '),
      ),
      bytes(12_000, 13),
    );
    const worst = Math.max(...pieceGas);
    process.stdout.write(`split copies: own step up to ${Math.max(...ownGas)} gas, a piece up to ${worst} gas (${pieceGas.length} pieces)\n`);
    // Whatever the copy's length, a piece fits an L1 block many times over.
    expect(worst).toBeLessThan(4_000_000);
    expect(Math.max(...ownGas)).toBeLessThan(1_000_000);
  }, 600_000);

  it('splits KECCAK256 of more than COPY_CHUNK bytes: the sponge absorbs a piece per step on L1 and the last pushes the digest', async () => {
    const data = Uint8Array.from({ length: 12_000 }, (_, i) => ((i * 29 + 3) % 253) + 1);
    const pieceGas: number[] = [];
    for (const [off, len] of [
      [5, 9_990],
      [0, 2 * 2040 + 136],
      [3, 3 * 2040],
      [1, 2049],
    ] as const) {
      const code = asm(`${push(12_000)} ${push(0)} ${push(0)} 37 ${push(len)} ${push(off)} 20 ${push(20_000)} 52 ${push(32)} ${push(20_000)} f3`);
      const t = traceTx(stateWith(code), callTx(CONTRACT, data, 4_000_000n));
      expect(t.outcome.success).toBe(true);
      expect(bytesToHex(t.outcome.output)).toBe(bytesToHex(keccak256(data.subarray(off, off + len))));
      const r = await checkTrace(t, null);
      expect(r.proven).toBe(stepCount(t));
      for (let k = 0; k < stepCount(t); k++) {
        if (t.kinds[k] !== 'piece' || t.ops[k] !== 0x20) continue;
        const w = stepWitness(t, k);
        pieceGas.push(Number(await clients.public.estimateContractGas({ address: verifier, abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)], account: clients.wallet.account })));
      }
    }
    process.stdout.write(`split KECCAK256: a piece up to ${Math.max(...pieceGas)} gas (${pieceGas.length} pieces)\n`);
    expect(pieceGas.length).toBe(5 + 3 + 3 + 2);
    expect(Math.max(...pieceGas)).toBeLessThan(4_000_000);
  }, 300_000);

  it('a piece whose pending copy record is changed reverts: the record is missing under the frame\'s hash', async () => {
    const code = asm(`612000 6000 6000 37 00`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, Uint8Array.from({ length: 64 }, (_, i) => i + 1)));
    const k = t.kinds.indexOf('piece');
    expect(k).toBeGreaterThan(0);
    const w = stepWitness(t, k);
    const honest = await onChain(w.state, w.preimages);
    expect(honest).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    // The record's hash is in the frame: a changed record is another preimage, and missing.
    const rec = w.preimages.findIndex((p) => p.length === 6 * 32);
    expect(rec).toBeGreaterThanOrEqual(0);
    const bad = w.preimages.map((p, j) => (j === rec ? Uint8Array.from(p, (b, n) => (n === 31 ? 0x01 : b)) : p));
    expect(await onChain(w.state, bad)).toEqual({ ok: false, error: 'MissingPreimage' });
  }, 120_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    // The post-state is a function of the pre-state: a preimage that is changed is a different
    // preimage (under another hash), so the verifier either misses what it needs or did not need it.
    const code = asm(`6002 6003 01 6000 52 6010 6004 6023 37 6030 6001 20 50 6008 6002 6011 5e 6020 6000 51 6001 57 00`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array()));
    let reverted = 0;
    for (let k = 0; k < stepCount(t); k++) {
      if (!COVERED.has(t.ops[k]!) || t.kinds[k] !== 'instruction') continue;
      const w = stepWitness(t, k);
      const honest = bytesToHex(t.commitments[k + 1]!);
      for (let i = 0; i < w.preimages.length; i++) {
        const bad = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
        const r = await onChain(w.state, bad);
        if (r.ok) expect(r.post).toBe(honest);
        else reverted++;
      }
      const state = w.state.slice();
      state[state.length - 1] ^= 1; // another pre-state: another post-state (or a revert)
      const other = await onChain(state, w.preimages);
      if (other.ok) expect(other.post).not.toBe(honest);
    }
    expect(reverted).toBeGreaterThan(5);
  }, 120_000);

  it('a malformed preimage encoding (an element offset or length past the calldata, or wrapping) reverts BadStateData', async () => {
    const t = traceTx(stateWith(asm('6002 6003 01 00')), callTx(CONTRACT, new Uint8Array()));
    const w = stepWitness(t, 2);
    const good = encodeFunctionData({ abi: abi(), functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)] });
    expect(await clients.public.call({ to: verifier, data: good })).toEqual({ data: bytesToHex(t.commitments[3]!) });
    // verify(bytes, bytes[]): after the selector, the head (2 words), the state (length + 22 words),
    // then the array: its length, the element offsets (from the word after the length).
    const table = 4 + 64 + 32 + 22 * 32 + 32;
    const word = (v: bigint): string => v.toString(16).padStart(64, '0');
    const patch = (at: number, v: bigint): Hex => `0x${good.slice(2, 2 + at * 2)}${word(v)}${good.slice(2 + at * 2 + 64)}`;
    const firstOffset = Number(BigInt(`0x${good.slice(2 + table * 2, 2 + table * 2 + 64)}`));
    const revertData = async (data: Hex): Promise<string> => {
      const res = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: verifier, data }, 'latest'] }) });
      const body = (await res.json()) as { result?: string; error?: { data?: string } };
      return body.error?.data ?? `no revert: ${body.result}`;
    };
    for (const bad of [
      patch(table, 2n ** 256n - 16n), // the first offset wraps when its head is added
      patch(table, BigInt((good.length - 2) / 2)), // past the calldata
      patch(table + firstOffset, 2n ** 32n), // a length past the calldata's end
    ]) {
      expect(await revertData(bad)).toBe(toFunctionSelector('BadStateData()'));
    }
  });

  it('a tampered or incomplete witness of a world step reverts or gives the honest answer', async () => {
    const code = asm(`6001 54 50 6007 6001 55 6000 6002 55 6042 6005 5d 6005 5c ${pushAddr(OTHER)} 31 ${pushAddr(OTHER)} 3b 6002 6001 a1 00`);
    const t = traceTx(worldState(code), callTx(CONTRACT, new Uint8Array()));
    let reverted = 0;
    let steps = 0;
    for (let k = 0; k < stepCount(t); k++) {
      if (!WORLD_OPS.has(t.ops[k]!) || t.kinds[k] !== 'instruction') continue;
      steps++;
      const w = stepWitness(t, k);
      const honest = bytesToHex(t.commitments[k + 1]!);
      expect(await onChain(w.state, w.preimages)).toEqual({ ok: true, post: honest });
      for (let i = 0; i < w.preimages.length; i++) {
        const tampered = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
        const dropped = w.preimages.filter((_, j) => j !== i);
        for (const bad of [tampered, dropped]) {
          const r = await onChain(w.state, bad);
          if (r.ok) expect(r.post).toBe(honest);
          else reverted++;
        }
      }
    }
    expect(steps).toBe(8);
    expect(reverted).toBeGreaterThan(40);
  }, 120_000);
});
