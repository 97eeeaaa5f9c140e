// Copies longer than COPY_CHUNK are split across steps (prover/DESIGN.md §2.5): the instruction's
// own step charges the gas and expands memory, then each copy step moves one piece. Every step of
// these traces is re-run from its witness alone; the result must be the interpreter's (which copies
// in one go), and each piece's witness stays small however long the copy is.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { nextPiece, readWindow } from '../vm/step/pending.js';
import { StepError, verifyStep } from '../vm/step/execute.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { COPY_CHUNK, HASH_PIECE, decodeResult, decodeStepState, type PendingCopy } from '../vm/step/state.js';
import { stepCount, stepWitness, witnessSize, type StepTrace } from '../vm/step/trace.js';
import { CONTRACT, OTHER, asm, callTx, push, stateWith, traceTx } from './support/step-traces.js';

const IDENTITY = '0x0000000000000000000000000000000000000004';

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) & 0xff || 1;
  }
  return out;
}

/** Pieces a copy of `len` bytes to `dst` is split into: the COPY_CHUNK windows of memory it touches. */
function pieces(dst: number, len: number): number {
  return len > COPY_CHUNK ? Math.floor((dst + len - 1) / COPY_CHUNK) - Math.floor(dst / COPY_CHUNK) + 1 : 0;
}

/** Every step re-run from its witness; returns the largest witness of a copy step. */
function checkAll(t: StepTrace): number {
  let largest = 0;
  for (let k = 0; k < stepCount(t); k++) {
    const w = stepWitness(t, k);
    const post = verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
    expect(bytesToHex(post), `step ${k} (${t.kinds[k]} 0x${t.ops[k]!.toString(16)})`).toBe(bytesToHex(t.commitments[k + 1]!));
    if (t.kinds[k] === 'piece') largest = Math.max(largest, witnessSize(w));
  }
  return largest;
}

/** The output the trace's last step committed equals the interpreter's and the expected bytes. */
function expectOutput(t: StepTrace, expected: Uint8Array): void {
  expect(t.outcome.success).toBe(true);
  expect(bytesToHex(t.outcome.output)).toBe(bytesToHex(expected));
  const last = decodeStepState(t.encodings[t.encodings.length - 1]!);
  const result = decodeResult(t.store.preimage(last.resultHash, 'result'));
  // The output is a window of the frame's memory: read through it, it is the expected bytes.
  expect(result.outputSize).toBe(expected.length);
  expect(bytesToHex(readWindow(t.store, result.outputRoot, result.outputOffset, result.outputSize, 0, result.outputSize))).toBe(bytesToHex(expected));
}

describe('split copies: pieces', () => {
  it('forward pieces end on COPY_CHUNK boundaries; an MCOPY upward goes backward from the end', () => {
    const walk = (c: PendingCopy): [number, number, number][] => {
      const out: [number, number, number][] = [];
      for (let p: PendingCopy | null = c; p !== null; ) {
        const n = nextPiece(p);
        out.push([n.dst, n.src, n.length]);
        p = n.rest;
      }
      return out;
    };
    const base = { sourceRoot: new Uint8Array(32), sourceSize: 0 };
    expect(COPY_CHUNK).toBe(2048);
    expect(walk({ op: 0x37, dst: 100, src: 7, remaining: 9000, ...base })).toEqual([
      [100, 7, 1948],
      [2048, 1955, 2048],
      [4096, 4003, 2048],
      [6144, 6051, 2048],
      [8192, 8099, 908],
    ]);
    expect(walk({ op: 0x5e, dst: 5000, src: 10, remaining: 9000, ...base })).toEqual([
      [12288, 7298, 1712],
      [10240, 5250, 2048],
      [8192, 3202, 2048],
      [6144, 1154, 2048],
      [5000, 10, 1144],
    ]);
    // Downward (or in place): forward, the source ahead of what is written.
    expect(walk({ op: 0x5e, dst: 10, src: 3000, remaining: 5000, ...base }).map((p) => p[0])).toEqual([10, 2048, 4096]);
  });
});

describe('split copies: traces proven step by step', () => {
  it('CALLDATACOPY of 64 KiB: one copy step per COPY_CHUNK window, each witness a fraction of the copy', () => {
    const data = pattern(65_536, 1);
    const dst = 37;
    const len = 65_536 + 100; // past the calldata's end: zeros
    const code = asm(`${push(len)} ${push(0)} ${push(dst)} 37 ${push(dst + len)} ${push(0)} f3`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, data, 8_000_000n));
    const expected = new Uint8Array(dst + len);
    expected.set(data, dst);
    expectOutput(t, expected);
    expect(t.kinds.filter((k) => k === 'piece').length).toBe(pieces(dst, len));
    const largest = checkAll(t);
    // A piece touches at most COPY_CHUNK bytes of source and memory, with their tree paths.
    expect(largest).toBeLessThan(6 * COPY_CHUNK);
    expect(largest).toBeLessThan(len / 2);
  });

  it('CODECOPY and EXTCODECOPY past the code end', () => {
    const tail = pattern(6_000, 2);
    const otherCode = pattern(7_000, 3);
    otherCode[0] = 0x00; // STOP: never run, only copied
    const prog = `${push(9_000)} ${push(3)} ${push(5)} 39 ${push(8_500)} ${push(100)} ${push(10_000)} 73${OTHER.slice(2)} 3c ${push(18_500)} ${push(0)} f3 00`;
    const code = new Uint8Array([...asm(prog), ...tail]);
    const t = traceTx(
      stateWith(code, (s) => s.put(OTHER, { code: otherCode })),
      callTx(CONTRACT, new Uint8Array()),
    );
    const expected = new Uint8Array(18_500);
    expected.set(code.subarray(3, 3 + 9_000), 5);
    expected.set(otherCode.subarray(100), 10_000);
    expectOutput(t, expected);
    expect(t.kinds.filter((k) => k === 'piece').length).toBe(pieces(5, 9_000) + pieces(10_000, 8_500));
    checkAll(t);
  });

  it('RETURNDATACOPY of a precompile output, and MCOPY over overlapping ranges both ways', () => {
    const data = pattern(12_000, 4);
    const prog = [
      `${push(12_000)} ${push(0)} ${push(0)} 37`, // memory[0..12000) = calldata
      `${push(0)} ${push(0)} ${push(9_000)} ${push(0)} 73${IDENTITY.slice(2)} 5a fa 50`, // identity(memory[0..9000))
      `${push(8_993)} ${push(7)} ${push(20_000)} 3e`, // memory[20000..) = returndata[7..9000)
      `${push(9_000)} ${push(3_000)} ${push(10)} 5e`, // downward, overlapping
      `${push(9_000)} ${push(17)} ${push(5_000)} 5e`, // upward, overlapping
      `${push(28_993)} ${push(0)} f3`,
    ].join(' ');
    const t = traceTx(stateWith(asm(prog)), callTx(CONTRACT, data, 4_000_000n));
    const mem = new Uint8Array(28_993);
    mem.set(data, 0);
    mem.set(data.subarray(7, 9_000), 20_000);
    mem.copyWithin(10, 3_000, 12_000);
    mem.copyWithin(5_000, 17, 9_017);
    expectOutput(t, mem);
    expect(t.kinds.filter((k) => k === 'piece').length).toBe(pieces(0, 12_000) + pieces(20_000, 8_993) + pieces(10, 9_000) + pieces(5_000, 9_000));
    checkAll(t);
  });

  it("a call frame's RETURN or REVERT of more than COPY_CHUNK bytes into its caller's memory: the caller's next steps copy it", () => {
    const data = pattern(9_000, 8);
    const callee = (op: 'f3' | 'fd'): Uint8Array => asm(`36 5f 5f 37 36 5f ${op}`); // memory = calldata, then out
    for (const [op, n, retSize, expected] of [
      ['f3', 9_000, 9_000, data],
      ['fd', 9_000, 5_000, data.subarray(0, 5_000)], // REVERT's output lands too, cut to retSize
      ['f3', 3_000, 9_000, Uint8Array.from([...data.subarray(0, 3_000), ...new Uint8Array(6_000)])], // short output, rest untouched
      ['f3', 9_000, COPY_CHUNK, data.subarray(0, COPY_CHUNK)], // COPY_CHUNK bytes: written in the step
    ] as const) {
      // The caller passes memory[0..n) and takes the output at 100 (unaligned), then returns that range.
      const caller = asm(`${push(n)} ${push(0)} ${push(0)} 37 ${push(retSize)} ${push(100)} ${push(n)} 5f 5f 73${OTHER.slice(2)} 5a f1 50 ${push(retSize)} ${push(100)} f3`);
      const t = traceTx(stateWith(caller, (st) => st.put(OTHER, { code: callee(op) })), callTx(CONTRACT, data.subarray(0, n), 4_000_000n));
      expectOutput(t, expected);
      const copied = Math.min(n, retSize);
      const returnPieces = t.kinds.filter((k, i) => k === 'piece' && t.ops[i] === 0x3e).length;
      expect(returnPieces, `${op} of ${n} into ${retSize}`).toBe(pieces(100, copied));
      checkAll(t);
    }
  });

  it('KECCAK256 of long ranges absorbs a piece per step and pushes the digest at the last one (padding edges included)', () => {
    const data = pattern(12_000, 6);
    for (const [off, len] of [
      [5, 9_990],
      [0, 2 * HASH_PIECE + 136], // the last piece a whole block: padding takes one more
      [3, 3 * HASH_PIECE], // the last piece exactly HASH_PIECE
      [1, COPY_CHUNK + 1], // the shortest split hash
    ] as const) {
      const code = asm(`${push(12_000)} ${push(0)} ${push(0)} 37 ${push(len)} ${push(off)} 20 ${push(20_000)} 52 ${push(32)} ${push(20_000)} f3`);
      const t = traceTx(stateWith(code), callTx(CONTRACT, data, 4_000_000n));
      expectOutput(t, keccak256(data.subarray(off, off + len)));
      const hashPieces = t.kinds.filter((k, i) => k === 'piece' && t.ops[i] === 0x20).length;
      expect(hashPieces, `${len} bytes`).toBe(Math.ceil(len / HASH_PIECE));
      checkAll(t);
    }
  });

  it('a copy that runs out of gas halts in its own step: nothing is left pending', () => {
    const code = asm(`${push(200_000)} ${push(0)} ${push(0)} 37 00`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, new Uint8Array(), 60_000n));
    expect(t.outcome.success).toBe(false);
    expect(t.kinds).not.toContain('piece');
    checkAll(t);
  });

  it('a copy step with a piece of memory missing from its witness is refused', () => {
    const code = asm(`${push(10_000)} ${push(0)} ${push(0)} 37 00`);
    const t = traceTx(stateWith(code), callTx(CONTRACT, pattern(10_000, 5)));
    const k = t.kinds.indexOf('piece') + 1; // the second piece writes over a tree the first built
    expect(t.kinds[k]).toBe('piece');
    const w = stepWitness(t, k);
    const pre = w.preimages.filter((p) => p.length === 64).slice(1);
    const others = w.preimages.filter((p) => p.length !== 64);
    expect(() => verifyStep(t.commitments[k]!, { state: w.state, preimages: [...others, ...pre] }, new LayeredPreimages(PreimageStore.of([...others, ...pre])))).toThrow(StepError);
  });
});

