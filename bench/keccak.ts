// keccak-256: vm/util/keccak.ts beside @noble/hashes (what the VM used before) on the same inputs.
// Every workload first checks that both give the same digest, or the bench throws.
import { performance } from 'node:perf_hooks';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { BenchRow } from './report.js';
import { keccak256, keccak256Into, keccak256Word } from '../vm/util/keccak.js';
import { bytesToBigInt, bytesToHex } from '../vm/util/bytes.js';

export class KeccakBenchMismatchError extends Error {
  override readonly name = 'KeccakBenchMismatchError';
}

const REFERENCE_NAME = '@noble/hashes';
/** Alternating rounds per workload; the median is reported, which damps noise from a shared machine. */
const ROUNDS = 5;
/** Time spent per implementation per round. */
const ROUND_MS = 150;

/** Runs `step` in batches until `ms` have passed; returns calls per second. */
function rate(step: () => void, batch: number, ms: number): number {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    for (let i = 0; i < batch; i++) step();
    calls += batch;
    t = performance.now();
  } while (t - t0 < ms);
  return (calls * 1000) / (t - t0);
}

/** Median calls/s of `ours` and `ref`, measured in alternating rounds after a warm-up of each. */
function compare(ours: () => void, ref: () => void, batch: number): { ours: number; ref: number } {
  rate(ours, batch, ROUND_MS);
  rate(ref, batch, ROUND_MS);
  const o: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    o.push(rate(ours, batch, ROUND_MS));
    r.push(rate(ref, batch, ROUND_MS));
  }
  return { ours: median(o), ref: median(r) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function filler(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = 0x2545f491;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function check(what: string, ours: string, ref: string): void {
  if (ours !== ref) throw new KeccakBenchMismatchError(`${what}: ours ${ours}, ${REFERENCE_NAME} ${ref}`);
}

export async function runKeccakBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  // Short inputs: each digest is written back into the input, so every hash depends on the one
  // before and none can be skipped or hoisted. Both sides allocate their digest array.
  for (const size of [32, 64]) {
    const a = filler(size);
    const b = filler(size);
    check(`${size}-byte input`, bytesToHex(keccak256(a)), bytesToHex(keccak_256(b)));
    const r = compare(
      () => a.set(keccak256(a)),
      () => b.set(keccak_256(b)),
      1000,
    );
    rows.push({
      suite: 'keccak',
      workload: `keccak256-${size}B`,
      unit: 'hashes/s',
      ours: Math.round(r.ours),
      reference: Math.round(r.ref),
      referenceName: REFERENCE_NAME,
      higherIsBetter: true,
      note: `keccak256 (a new 32-byte digest per hash); median of ${ROUNDS} rounds of ${ROUND_MS} ms each`,
    });
  }

  // The VM's hot paths: hashing into an existing buffer, and KECCAK256 pushing a 256-bit word.
  {
    const buf = filler(64);
    const ref = filler(64);
    const r = compare(
      () => keccak256Into(buf, buf, 32),
      () => ref.set(keccak_256(ref), 32),
      1000,
    );
    rows.push({
      suite: 'keccak',
      workload: 'keccak256Into-64B',
      unit: 'hashes/s',
      ours: Math.round(r.ours),
      reference: Math.round(r.ref),
      referenceName: REFERENCE_NAME,
      higherIsBetter: true,
      note: 'hash 64 bytes into their own upper half (a no-allocation chain); reference: keccak_256 then set()',
    });
  }
  {
    const memory = filler(4096);
    check('keccak256Word', keccak256Word(memory, 64, 64).toString(16), bytesToBigInt(keccak_256(memory.subarray(64, 128))).toString(16));
    let off = 0;
    let sink = 0n; // captured, so the optimiser must keep every result
    const r = compare(
      () => {
        sink ^= keccak256Word(memory, off, 64);
        off = (off + 64) & 4095;
      },
      () => {
        sink ^= bytesToBigInt(keccak_256(memory.subarray(off, off + 64)));
        off = (off + 64) & 4095;
      },
      1000,
    );
    rows.push({
      suite: 'keccak',
      workload: 'keccak256Word-64B',
      unit: 'words/s',
      ours: Math.round(r.ours),
      reference: Math.round(r.ref),
      referenceName: REFERENCE_NAME,
      higherIsBetter: true,
      note: 'KECCAK256 as the VM runs it: a 64-byte memory range to a bigint; reference: subarray + keccak_256 + bytesToBigInt',
    });
  }

  // Throughput on 1 MiB.
  {
    const big = filler(1 << 20);
    check('1 MiB input', bytesToHex(keccak256(big)), bytesToHex(keccak_256(big)));
    // Digests go to a captured variable, a store the optimiser must keep.
    let last: Uint8Array = new Uint8Array(0);
    const r = compare(
      () => {
        last = keccak256(big);
      },
      () => {
        last = keccak_256(big);
      },
      1,
    );
    check('1 MiB input, last run', bytesToHex(last), bytesToHex(keccak_256(big)));
    const mbPerHash = big.length / 1e6;
    rows.push({
      suite: 'keccak',
      workload: 'keccak256-1MiB',
      unit: 'MB/s',
      ours: round1(r.ours * mbPerHash),
      reference: round1(r.ref * mbPerHash),
      referenceName: REFERENCE_NAME,
      higherIsBetter: true,
      note: `one 1 MiB input (MB = 10^6 bytes); median of ${ROUNDS} rounds`,
    });
  }
  return rows;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
