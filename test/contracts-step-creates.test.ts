// The CREATES part of the on-chain MetisVM step verifier (contracts/src/MetisCreateStep.sol)
// against the TypeScript reference, on a real anvil: CREATE and CREATE2 entering their init code
// or finishing inside the step, SELFDESTRUCT, the end of creation frames (code deposit, the
// creator resuming, a creation transaction's result) and their exceptional halts. Every such step
// of the traces gives the trace's next commitment; every step that needs the CALLS part reverts
// or agrees; a tampered witness never gives another post-state. Gas per class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { contractArtifact } from '../contracts/artifacts.js';
import { create2Address, createAddress } from '../vm/interpreter/instructions/system.js';
import { MemoryState } from '../vm/state/memory.js';
import { toAddress } from '../vm/util/address.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { decodeFrame, decodeStepState } from '../vm/step/state.js';
import { stepCount, stepWitness, type StepTrace } from '../vm/step/trace.js';
import { generateProgram } from './support/bytecode-gen.js';
import { startStepVerifier, type OnChainStepVerifier } from './support/onchain-step.js';
import { checkPartTrace, mstoreAll, push, pushAddr, checkStateTests, stateTestCases, tamperEachPreimage, type PartCheck, type PartRules } from './support/step-parts.js';
import { CONTRACT, OTHER, SENDER, asm, callTx, stateWith, traceTx } from './support/step-traces.js';

let v: OnChainStepVerifier;

beforeAll(async () => {
  v = await startStepVerifier({ calls: null, creates: 'MetisCreateStep', transactions: null });
}, 120_000);

afterAll(async () => {
  await v?.stop();
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

// In-frame instructions MetisStepVerifier proves itself (test/contracts-step-verifier.test.ts).
const IN_FRAME = new Set<number>([
  ...range(0x01, 0x0b), ...range(0x10, 0x1d), 0x20, 0x30, ...range(0x31, 0x3f), 0x40, ...range(0x41, 0x48),
  ...range(0x50, 0x55), 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, ...range(0x5f, 0x9f), ...range(0xa0, 0xa4),
]);
const CALL_OPS = new Set<number>([0xf1, 0xf2, 0xf4, 0xfa]);
const ENDS = new Set<number>([0x00, 0xf3, 0xfd]);

const NOBODY = toAddress('0x000000000000000000000000000000000000dead');
const EMPTY_ACCOUNT = toAddress('0x00000000000000000000000000000000000e3e3e');

// ---- assembling ------------------------------------------------------------------------------

/** Init code that returns `runtime` (copied from its own tail). */
function initReturning(runtime: Uint8Array): Uint8Array {
  const n = runtime.length;
  const prefix = (off: number) => `${push(n)} ${push(off)} 5f 39 ${push(n)} 5f f3`;
  const len = asm(prefix(0xff)).length;
  return asm(`${prefix(len)} ${bytesToHex(runtime).slice(2)}`);
}

/** Code that creates from `init` (stored at memory 0); the address (or 0) is left on the stack. */
function create(init: Uint8Array, value = 0n, salt: bigint | null = null): string {
  const args = `${push(init.length)} 5f ${push(value)}`;
  return `${mstoreAll(init)} ${salt === null ? `${args} f0` : `${push(salt)} ${args} f5`}`;
}

/** A contract's state: CONTRACT runs `code` with `balance`, OTHER and an empty account exist. */
function world(code: Uint8Array, balance = 0n, extra?: (s: MemoryState) => void): MemoryState {
  return stateWith(code, (st) => {
    st.put(CONTRACT, { balance, code, storage: [[1n, 5n], [2n, 9n]] });
    st.put(OTHER, { balance: 77n, code: asm('6001600201') });
    st.put(EMPTY_ACCOUNT, {});
    extra?.(st);
  });
}

// ---- checking --------------------------------------------------------------------------------

type StepClass = 'CREATE enter' | 'CREATE2 enter' | 'CREATE in step' | 'CREATE halt' | 'SELFDESTRUCT' | 'SELFDESTRUCT halt' | 'creation end' | 'creation halt';

/** Whether step k ends a creation frame (its end, or an exceptional halt). */
function isCreationHalt(t: StepTrace, k: number): boolean {
  const s = decodeStepState(t.encodings[k]!);
  const frame = decodeFrame(t.store.preimage(s.frameHash, 'frame'));
  return frame.kind === 'create' && (t.kinds[k] === 'return' || t.kinds[k] === 'end');
}

/** The class of step k if this part (or MetisStepVerifier through it) must prove it, else null. */
function partClass(t: StepTrace, k: number): StepClass | null {
  const op = t.ops[k]!;
  const kind = t.kinds[k]!;
  const s = decodeStepState(t.encodings[k]!);
  const frame = decodeFrame(t.store.preimage(s.frameHash, 'frame'));
  if (op === 0xf0 || op === 0xf5) {
    if (kind === 'enter') return op === 0xf0 ? 'CREATE enter' : 'CREATE2 enter';
    return kind === 'instruction' ? 'CREATE in step' : 'CREATE halt';
  }
  if (op === 0xff) return frame.isStatic ? 'SELFDESTRUCT halt' : 'SELFDESTRUCT';
  if (!isCreationHalt(t, k)) return null;
  if (ENDS.has(op)) return 'creation end';
  // INVALID is judged by MetisStepVerifier and ended here; some halts it does not judge yet
  // (invalid jumps in child frames, offsets past 2^32): those may revert.
  return op === 0xfe ? 'creation halt' : null;
}

const gas = new Map<string, number>();

const RULES: PartRules<StepClass> = {
  classOf: partClass,
  // A creation frame's halt MetisStepVerifier judged and this part ended.
  answeredAs: (t, k) => (isCreationHalt(t, k) ? 'creation halt' : null),
  // The CALLS part's (a call, a call frame's end) or a halt MetisStepVerifier does not judge;
  // in-frame instructions must be proven.
  mayRevert: (t, k) => CALL_OPS.has(t.ops[k]!) || t.kinds[k] !== 'instruction',
  gasRow: (t, k, cls) => (decodeStepState(t.encodings[k]!).frameCount === 0 && cls === 'creation end' ? 'top-level creation end' : cls),
};

/** Every step: the part's classes and MetisStepVerifier's in-frame steps must be proven; any other answer must be the honest one. */
function checkTrace(t: StepTrace, measure = true, only: (k: number) => boolean = () => true): Promise<PartCheck<StepClass>> {
  return checkPartTrace(v, t, RULES, measure ? gas : null, only);
}

const RUNTIME = asm('602a 5f 52 6020 5f f3'); // returns 42

describe('MetisCreateStep against the reference verifier', () => {
  it('CREATE and CREATE2, with and without value: entering the init code, its steps, the deposit and the creator resuming', async () => {
    const init = initReturning(RUNTIME);
    const code = asm(`
      ${create(init)} 80 3b 50 3d 50
      ${create(init, 1000n)} 80 31 50
      ${create(init, 0n, 7n)} 80 3b 50
      ${create(init, 55n, 8n)} 80 3f 50 47 50 00`);
    const t = traceTx(world(code, 10_000n), callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(t.kinds.filter((k) => k === 'enter').length).toBe(4);
    const r = await checkTrace(t);
    expect(r.skipped).toBe(0);
    expect(r.proven).toBe(stepCount(t));
    for (const c of ['CREATE enter', 'CREATE2 enter', 'creation end'] as const) expect(r.classes.has(c)).toBe(true);
  }, 300_000);

  it('init code that reverts, halts (INVALID, stack underflow, out of gas), returns 0xEF code, oversized code, or cannot pay the deposit', async () => {
    const inits: [Uint8Array, bigint][] = [
      [asm('6001 5f 55 6004 6000 fd'), 300_000n], // SSTORE, then REVERT with data: restored, the data returned
      [asm('6001 5f 55 fe'), 300_000n], // INVALID
      [asm('6001 5f 55 01'), 300_000n], // ADD on one item
      [asm('6001 5f 55 6001 6300ffffff 52'), 300_000n], // memory beyond the child's gas
      [initReturning(asm('ef00')), 300_000n], // EIP-3541
      [asm('6001 5f 55 620060015f f3'), 10_000_000n], // 24,577 bytes of code: EIP-170
      // 1,000 bytes: 200,000 deposit gas; the creator passes on 63/64 of ~200,000.
      [asm('6001 5f 55 6103e8 5f f3'), 21_000n + 240_000n],
      [asm('6001 5f 55 00'), 300_000n], // STOP: empty code
      [asm('6001 5f 55 6002 601e f3'), 300_000n], // RETURN of unaligned memory
      [asm('6001 5f 55 5f 5f 55 6001 6001 5d 00'), 300_000n], // a refund merged into the creator's
    ];
    let proven = 0;
    const seen = new Set<StepClass>();
    for (const [init, gasLimit] of inits) {
      const code = asm(`${create(init)} 3d 50 3d 5f 5f 3e 00`);
      const t = traceTx(world(code), callTx(CONTRACT, new Uint8Array(), gasLimit));
      expect(t.outcome.success).toBe(true);
      const r = await checkTrace(t);
      expect(r.skipped, bytesToHex(init)).toBe(0);
      proven += r.mine;
      for (const c of r.classes) seen.add(c);
    }
    expect(seen.has('creation end') && seen.has('creation halt')).toBe(true);
    expect(proven).toBeGreaterThanOrEqual(inits.length * 2);
  }, 300_000);

  it('the deposit limits exactly: 24,576 bytes deposit, 24,577 do not; the deposit gas to the unit', async () => {
    // The creator returns the new account's code size.
    const sizeOf = (init: Uint8Array) => asm(`${create(init)} 3b 5f 52 6020 5f f3`);
    const codeSize = (t: StepTrace) => Number(BigInt(bytesToHex(t.outcome.output)));
    for (const size of [24_576, 24_577]) {
      const t = traceTx(world(sizeOf(asm(`${push(size)} 5f f3`))), callTx(CONTRACT, new Uint8Array(), 10_000_000n));
      expect(codeSize(t)).toBe(size === 24_576 ? size : 0);
      expect((await checkTrace(t)).skipped).toBe(0);
    }
    // 100 bytes: 20,000 deposit gas; sweep the gas over the edge (the creator returns the address or 0).
    const init = asm('6064 5f f3');
    const sizes = new Set<number>();
    for (let g = 73_250n; g <= 73_450n; g += 20n) {
      const t = traceTx(world(asm(`${create(init)} 5f 52 6020 5f f3`)), callTx(CONTRACT, new Uint8Array(), g));
      expect(t.outcome.success).toBe(true);
      sizes.add(codeSize(t) === 0 ? 0 : 100);
      const k = t.kinds.indexOf('return');
      const w = stepWitness(t, k);
      expect(await v.verify(w.state, w.preimages), `gas ${g}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
    expect([...sizes].sort()).toEqual([0, 100]);
  }, 300_000);

  it('empty init code, a collision (CREATE2 twice; a nonce at the CREATE address), the balance and nonce failures', async () => {
    const init = initReturning(RUNTIME);
    const taken = createAddress(CONTRACT, 4n);
    // A collision burns the child's gas (63/64): the collisions come last, with gas to spare.
    const code = asm(`
      5f 5f 5f f0 3b 50 ${create(init, 0n, 9n)} 50
      ${create(init, 1n << 100n)} 50 ${create(init, 1n << 100n, 3n)} 50
      ${create(init, 0n, 1n)} 50 ${create(init, 0n, 1n)} 50 ${create(init)} 50 00`);
    // The first CREATE2's address already holds a balance: not a collision, the account is kept.
    const funded = create2Address(CONTRACT, 9n, init);
    const t = traceTx(
      world(code, 0n, (st) => {
        st.put(taken, { nonce: 1n });
        st.put(funded, { balance: 123n });
      }),
      callTx(CONTRACT, new Uint8Array(), 30_000_000n),
    );
    expect(t.outcome.success).toBe(true);
    const r = await checkTrace(t);
    expect(r.skipped).toBe(0);
    expect(r.classes.has('CREATE in step')).toBe(true);
    // The account at the nonce-3 address already has a nonce: CREATE pushed 0.
    expect(t.kinds.filter((k) => k === 'enter').length).toBe(2);

    const store = world(asm(`${create(init)} 00`), 0n, (st) => st.put(CONTRACT, { nonce: (1n << 64n) - 1n, code: asm(`${create(init)} 00`) }));
    const last = traceTx(store, callTx(CONTRACT, new Uint8Array()));
    expect(last.kinds.includes('enter')).toBe(false);
    expect((await checkTrace(last)).skipped).toBe(0);

    // A collision by storage alone (EIP-7610).
    const target = create2Address(CONTRACT, 5n, init);
    const st = world(asm(`${create(init, 0n, 5n)} 00`), 0n, (s) => s.put(target, { storage: [[1n, 1n]] }));
    const coll = traceTx(st, callTx(CONTRACT, new Uint8Array()));
    expect(coll.kinds.includes('enter')).toBe(false);
    expect((await checkTrace(coll)).skipped).toBe(0);
  }, 300_000);

  it('exceptional halts of CREATE and CREATE2 in the top-level call: static-free limits (init code size, memory, gas)', async () => {
    const pre = '6001 6000 5d';
    const halts: [string, bigint][] = [
      [`${pre} ${push(49_153)} 5f 5f f0`, 2_000_000n], // EIP-3860
      [`${pre} 640100000000 5f 5f f0`, 2_000_000n], // past the memory limit
      [`${pre} 6001 63ffffffff 5f f0`, 2_000_000n],
      [`${pre} 6001 5f 5f f0`, 106n + 7n + 31_999n], // short of the base cost
      [`${pre} 6040 5f 5f f0`, 106n + 7n + 32_003n], // short of the init code words
      [`${pre} 6040 5f 5f f0`, 106n + 7n + 32_009n], // short of the memory
      [`${pre} 5f 6040 5f 5f f5`, 106n + 9n + 32_015n], // short of CREATE2's hashing
      [`${pre} 5f 6040 5f 5f f5`, 106n + 9n + 32_021n],
      [`${pre} 5f 5f f0`, 200_000n], // two items
    ];
    for (const [src, gasLeft] of halts) {
      const t = traceTx(world(asm(src)), callTx(CONTRACT, new Uint8Array(), 21_000n + gasLeft));
      expect(t.outcome.success, src).toBe(false);
      const k = stepCount(t) - 1;
      expect(t.kinds[k]).toBe('end');
      const w = stepWitness(t, k);
      expect(await v.verify(w.state, w.preimages), `halt of ${src}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
  }, 120_000);

  it('a creation transaction: its init code steps and its end (code, revert, halt, failed deposit, SELFDESTRUCT)', async () => {
    const inits = [
      initReturning(RUNTIME),
      asm('6001 5f 55 6003 6001 fd'),
      asm('6001 5f 55 fe'),
      initReturning(asm('ef')),
      asm('6001 5f 55 00'),
      asm('6001 5f 55 5f 5f 55 6004 5f f3'), // a refund in the result
      asm(`6001 5f 55 ${pushAddr(OTHER)} ff`),
      asm(`6001 5f 55 30 ff`), // to itself: the value burned
    ];
    for (const init of inits) {
      const t = traceTx(world(asm('00')), callTx(null, init, 2_000_000n, 3_000n));
      const r = await checkTrace(t);
      expect(r.skipped, bytesToHex(init)).toBe(0);
      expect(t.kinds[stepCount(t) - 1]).toBe('end');
    }
  }, 300_000);

  it('SELFDESTRUCT under EIP-6780: a pre-existing account (kept), to itself, to cold, dead and empty beneficiaries', async () => {
    const cases: [string, bigint][] = [
      [`${pushAddr(OTHER)} ff`, 500n], // cold, alive
      [`${pushAddr(NOBODY)} ff`, 500n], // dead: 25,000 for the new account
      [`${pushAddr(NOBODY)} ff`, 0n], // dead, nothing to move
      [`${pushAddr(EMPTY_ACCOUNT)} ff`, 0n], // an existing empty account touched: deleted
      [`${pushAddr(EMPTY_ACCOUNT)} ff`, 9n],
      ['30 ff', 500n], // itself: kept with its balance
      [`${pushAddr(SENDER)} ff`, 500n], // warm
    ];
    for (const [src, balance] of cases) {
      const t = traceTx(world(asm(`6001 6007 55 ${src}`), balance), callTx(CONTRACT, new Uint8Array()));
      expect(t.outcome.success, src).toBe(true);
      const r = await checkTrace(t);
      expect(r.classes.has('SELFDESTRUCT'), src).toBe(true);
      expect(r.skipped).toBe(0);
    }
    // Short of gas: the cold access, the new account.
    for (const [src, gasLeft] of [[`${pushAddr(OTHER)} ff`, 3n + 7_599n], [`${pushAddr(NOBODY)} ff`, 3n + 32_599n], [`${pushAddr(NOBODY)} ff`, 3n + 4_999n]] as const) {
      const t = traceTx(world(asm(src), 500n), callTx(CONTRACT, new Uint8Array(), 21_000n + gasLeft));
      expect(t.outcome.success, src).toBe(false);
      expect((await checkTrace(t)).skipped).toBe(0);
    }
  }, 300_000);

  it('SELFDESTRUCT of accounts created in the same transaction (deleted at its end): in the init code, and called after the creation', async () => {
    const destroyer = initReturning(asm('33 ff')); // runtime: SELFDESTRUCT to the caller
    const code = asm(`
      ${create(asm(`${pushAddr(OTHER)} ff`), 300n)} 50
      ${create(asm('30 ff'), 20n, 4n)} 50
      ${create(destroyer, 40n)} 5f 5f 5f 5f 5f 85 5a f1 50 50
      ${create(destroyer, 0n, 2n)} 5f 5f 5f 5f 5f 85 5a f1 50 3b 00`);
    const t = traceTx(world(code, 10_000n), callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    const sd = decodeStepState(t.encodings[stepCount(t)]!).selfdestructRoot;
    expect(bytesToHex(sd)).not.toBe(bytesToHex(decodeStepState(t.encodings[0]!).selfdestructRoot));
    const r = await checkTrace(t);
    expect(r.classes.has('SELFDESTRUCT')).toBe(true);
    // Only the two CALLs need the CALLS part.
    expect(r.skipped).toBe(2);
  }, 300_000);

  it('CREATE, CREATE2 and SELFDESTRUCT in a static context halt the frame (its caller gets 0)', async () => {
    for (const callee of [asm(`${pushAddr(NOBODY)} ff`), asm('6001 5f 5f f0'), asm('5f 6001 5f 5f f5')]) {
      const code = asm(`5f 5f 5f 5f ${pushAddr(OTHER)} 5a fa 3d 00`);
      const t = traceTx(world(code, 5n, (st) => st.put(OTHER, { balance: 8n, code: callee })), callTx(CONTRACT, new Uint8Array()));
      expect(t.outcome.success).toBe(true);
      const r = await checkTrace(t);
      expect(r.mine).toBe(1);
      expect(r.skipped).toBe(1);
    }
    // In a creation frame that STATICCALLs: the static child is a call frame; its CREATE halts it.
  }, 120_000);

  it('generated programs as init code: of creation transactions, and of CREATE from a contract', async () => {
    let mine = 0;
    let steps = 0;
    for (let seed = 300; seed < 316; seed++) {
      const p = generateProgram(seed);
      // An endless loop runs millions of steps until its gas is gone.
      if ((p.fork !== 'prague' && p.fork !== 'osaka') || p.kind === 'infinite-loop') continue;
      const top = traceTx(world(asm('00')), callTx(null, p.code, p.gas + 200_000n), p.fork);
      if (stepCount(top) <= 400) {
        const r = await checkTrace(top, false);
        mine += r.mine;
        steps += stepCount(top);
      }
      if (p.code.length > 4000) continue;
      const viaCreate = traceTx(world(asm(`${create(p.code, 0n, BigInt(seed))} 3d 00`)), callTx(CONTRACT, new Uint8Array(), p.gas + 400_000n), p.fork);
      if (stepCount(viaCreate) <= 400) {
        const r = await checkTrace(viaCreate, false);
        mine += r.mine;
        steps += stepCount(viaCreate);
      }
    }
    process.stdout.write(`generated init code: ${steps} steps, ${mine} of them this part's\n`);
    expect(mine).toBeGreaterThan(10);
  }, 600_000);

  it('nested creations: init code that creates, a creation frame as the creator that resumes', async () => {
    const inner = initReturning(RUNTIME);
    const outer = asm(`${create(inner, 5n)} 80 3b 50 ${create(inner, 0n, 1n)} 50 6001 6000 55 ${create(asm('fe'))} 50 00`);
    const code = asm(`${create(outer, 100n)} 3b 50 00`);
    const t = traceTx(world(code, 1_000n), callTx(CONTRACT, new Uint8Array()));
    expect(t.outcome.success).toBe(true);
    expect(Math.max(...t.encodings.map((e) => decodeStepState(e).frameCount))).toBe(2);
    const r = await checkTrace(t);
    expect(r.skipped).toBe(0);
    expect(r.classes.has('creation halt')).toBe(true);
    // The outer init code reverts after its creations: its snapshot comes back, createdRoot stays.
    const reverting = asm(`${create(inner, 5n)} 50 ${create(inner, 0n, 1n)} 50 6001 6000 55 6003 6001 fd`);
    const back = traceTx(world(asm(`${create(reverting, 100n)} 3d 00`), 1_000n), callTx(CONTRACT, new Uint8Array()));
    expect(back.outcome.success).toBe(true);
    expect((await checkTrace(back)).skipped).toBe(0);
  }, 120_000);

  it('agrees on every CREATE, CREATE2, SELFDESTRUCT and creation end of ethereum/tests state tests', async () => {
    const cases = stateTestCases(
      ['stCreateTest', 'stCreate2', 'stInitCodeTest', 'stCodeSizeLimit', 'stSystemOperationsTest', 'stEIP158Specific', 'stRevertTest', 'Pyspecs/cancun/eip6780_selfdestruct', 'Pyspecs/shanghai/eip3860_initcode'],
      20,
    );
    const { traced, mine, seen } = await checkStateTests(v, cases, RULES);
    process.stdout.write(`creation state tests: ${traced} cases traced, ${mine} steps of this part proven (${[...seen].join(', ')})\n`);
    expect(traced).toBeGreaterThan(80);
    expect(mine).toBeGreaterThan(120);
    for (const cls of ['CREATE enter', 'CREATE2 enter', 'SELFDESTRUCT', 'creation end'] as const) expect(seen.has(cls)).toBe(true);
  }, 900_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    const init = initReturning(RUNTIME);
    const code = asm(`${create(init, 7n)} 50 ${create(asm('6001 5f 55 fe'), 0n, 3n)} 50 ${pushAddr(NOBODY)} ff`);
    const t = traceTx(world(code, 100n), callTx(CONTRACT, new Uint8Array()));
    const { steps, reverted } = await tamperEachPreimage(v, t, (k) => partClass(t, k) !== null);
    expect(steps).toBeGreaterThanOrEqual(5);
    expect(reverted).toBeGreaterThan(50);
  }, 600_000);

  it('the part itself: verifyHalt of a call frame is the CALLS part, other steps revert UnsupportedStep', async () => {
    const creates = (await v.clients.public.readContract({ address: v.address, abi: contractArtifact('MetisStepVerifier').abi, functionName: 'CREATES' })) as Hex;
    const abi = contractArtifact('MetisCreateStep').abi;
    const t = traceTx(world(asm('6001 6002 01 50 00')), callTx(CONTRACT, new Uint8Array()));
    const w = stepWitness(t, 0);
    const args = [bytesToHex(w.state), w.preimages.map(bytesToHex)] as const;
    for (const functionName of ['verify', 'verifyHalt'] as const) {
      await expect(v.clients.public.readContract({ address: creates, abi, functionName, args })).rejects.toThrow(/UnsupportedStep/);
    }
  }, 60_000);

  it('records the gas of entering init code and of the deposit by size (32 bytes to 24,576)', async () => {
    const table: Record<string, number> = {};
    for (const size of [32, 1024, 4096, 24_576]) {
      const runtime = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 1) & 0x7f);
      const init = initReturning(runtime);
      // The init code is copied into the creator's memory from its own code, then created from.
      const prefix = (off: number) => `${push(init.length)} 61${off.toString(16).padStart(4, '0')} 5f 39 ${push(init.length)} 5f 5f f0 3b 5f 52 6020 5f f3`;
      const code = asm(`${prefix(asm(prefix(0)).length)} ${bytesToHex(init).slice(2)}`);
      const t = traceTx(world(code), callTx(CONTRACT, new Uint8Array(), 15_000_000n));
      expect(t.outcome.success).toBe(true);
      expect(Number(BigInt(bytesToHex(t.outcome.output)))).toBe(size);
      for (const kind of ['enter', 'return'] as const) {
        const k = t.kinds.indexOf(kind);
        const w = stepWitness(t, k);
        expect(await v.verify(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
        table[`${kind === 'enter' ? 'CREATE of' : 'deposit of'} ${size}`] = await v.estimateGas(w.state, w.preimages);
      }
    }
    process.stdout.write(`creates part gas by size: ${JSON.stringify(table)}\n`);
    expect(table['deposit of 4096']).toBeGreaterThan(table['deposit of 32']!);
  }, 300_000);

  it('records the gas of each class', () => {
    process.stdout.write(`creates part gas (worst seen per class): ${JSON.stringify(Object.fromEntries(gas))}\n`);
    expect(gas.size).toBeGreaterThan(5);
  });
});
