// MetisVM against @ethereumjs/evm on the same bytecode: Mgas/s side by side.
// Workloads are Solidity contracts in bench/contracts, compiled at bench time.
// Every run is checked: both engines must agree on output, gas and storage, or
// the bench throws.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createEVM, type EVM } from '@ethereumjs/evm';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { encodeFunctionData, type Abi, type Hex } from 'viem';
import type { BenchRow } from './report.js';
import { compileSolidity, contractNamed, type CompiledContract } from '../contracts/solc.js';
import { runCode, RUN_CODE_ADDRESS, RUN_CODE_CALLER, type RunCodeOptions, type RunCodeResult } from '../vm/run-code.js';
import { bytesToBigInt, bytesToHex, equalBytes, hexToBytes } from '../vm/util/bytes.js';
import { addressFromBytes } from '../vm/util/address.js';
import type { Fork } from '../vm/chain/forks.js';

export class VmBenchMismatchError extends Error {
  override readonly name = 'VmBenchMismatchError';
}

// ---------------------------------------------------------------------------
// The reference engine: @ethereumjs/evm set up like MetisVM's runCode (same
// addresses, code installed at the callee, caller/callee/precompiles warm, one
// top-level message call, no intrinsic gas).

/**
 * Osaka: the newest fork both engines implement (ethereumjs' BPO forks change
 * only blob parameters; its Amsterdam is a moving draft with different gas).
 */
export const REFERENCE_HARDFORK = Hardfork.Osaka;
export const REFERENCE_NAME = '@ethereumjs/evm';

const HARDFORK_OF: Readonly<Record<Fork, string>> = {
  cancun: Hardfork.Cancun,
  prague: Hardfork.Prague,
  osaka: Hardfork.Osaka,
};

/** Same shape as MetisVM's RunCodeResult, from the reference. */
export type ReferenceResult = RunCodeResult;

/** A fresh @ethereumjs/evm, fresh state, one call into `code` (fork default osaka, as runCode). */
export async function runReferenceCode(options: RunCodeOptions): Promise<ReferenceResult> {
  const hardfork = HARDFORK_OF[options.fork ?? 'osaka'];
  if (hardfork === undefined) throw new RangeError(`no reference hardfork for ${String(options.fork)}`);
  const gas = options.gas ?? 10_000_000n;
  const value = options.value ?? 0n;
  const common = new Common({ chain: Mainnet, hardfork });
  const evm = await createEVM({ common });
  const to = createAddressFromString(RUN_CODE_ADDRESS);
  const caller = createAddressFromString(RUN_CODE_CALLER);
  const sm = evm.stateManager;
  await sm.putAccount(caller, new Account(1n, value + 10n ** 24n));
  await sm.putCode(to, options.code);
  // The journal is the only writer of storage; recording its keys lets us list
  // the account's storage afterwards (SimpleStateManager cannot enumerate it).
  const written = new Set<string>();
  const putStorage = sm.putStorage.bind(sm);
  sm.putStorage = async (address, key, v) => {
    if (address.equals(to)) written.add(bytesToHex(key));
    return putStorage(address, key, v);
  };
  warm(evm, [RUN_CODE_CALLER, RUN_CODE_ADDRESS]);
  warm(
    evm,
    [...evm.precompiles.keys()].map((k) => `0x${k}`),
  );
  const r = await evm.runCall({
    caller,
    origin: caller,
    to,
    value,
    data: options.input ?? new Uint8Array(0),
    gasLimit: gas,
    skipNonceIncrement: true,
  });
  const ex = r.execResult;
  const storage = new Map<bigint, bigint>();
  for (const k of written) {
    const v = bytesToBigInt(await sm.getStorage(to, hexToBytes(k)));
    if (v !== 0n) storage.set(bytesToBigInt(hexToBytes(k)), v);
  }
  const error = ex.exceptionError ? ex.exceptionError.error : null;
  return {
    gasUsed: ex.executionGasUsed,
    output: ex.returnValue,
    error,
    logs: (ex.logs ?? []).map(([address, topics, data]) => ({ address: addressFromBytes(address), topics, data })),
    storage,
  };
}

function warm(evm: EVM, addresses: readonly string[]): void {
  for (const a of addresses) evm.journal.addAlwaysWarmAddress(a.toLowerCase());
}

// ---------------------------------------------------------------------------
// Comparing two results.

/** 'ok', 'revert' or 'halt': the outcome class both engines must agree on. */
export function outcomeOf(r: RunCodeResult): 'ok' | 'revert' | 'halt' {
  if (r.error === null) return 'ok';
  return r.error === 'revert' ? 'revert' : 'halt';
}

/** Human-readable differences between two results; empty when they agree. */
export function diffResults(ours: RunCodeResult, ref: RunCodeResult): string[] {
  const d: string[] = [];
  if (outcomeOf(ours) !== outcomeOf(ref)) d.push(`outcome: ours ${ours.error ?? 'ok'}, reference ${ref.error ?? 'ok'}`);
  if (ours.gasUsed !== ref.gasUsed) d.push(`gasUsed: ours ${ours.gasUsed}, reference ${ref.gasUsed}`);
  if (!equalBytes(ours.output, ref.output)) d.push(`output: ours ${bytesToHex(ours.output)}, reference ${bytesToHex(ref.output)}`);
  if (ours.logs.length !== ref.logs.length) d.push(`logs: ours ${ours.logs.length}, reference ${ref.logs.length}`);
  else {
    ours.logs.forEach((l, i) => {
      const m = ref.logs[i];
      const same =
        l.address.toLowerCase() === m.address.toLowerCase() &&
        equalBytes(l.data, m.data) &&
        l.topics.length === m.topics.length &&
        l.topics.every((t, j) => equalBytes(t, m.topics[j]));
      if (!same) d.push(`log ${i}: ours ${showLog(l)}, reference ${showLog(m)}`);
    });
  }
  const keys = new Set([...ours.storage.keys(), ...ref.storage.keys()]);
  for (const k of keys) {
    const a = ours.storage.get(k) ?? 0n;
    const b = ref.storage.get(k) ?? 0n;
    if (a !== b) d.push(`storage[0x${k.toString(16)}]: ours 0x${a.toString(16)}, reference 0x${b.toString(16)}`);
  }
  return d;
}

function showLog(l: RunCodeResult['logs'][number]): string {
  return `${l.address} [${l.topics.map(bytesToHex).join(',')}] ${bytesToHex(l.data)}`;
}

// ---------------------------------------------------------------------------
// Workloads.

export interface VmWorkload {
  readonly name: string;
  /** Runtime bytecode (runCode executes it directly, no constructor). */
  readonly code: Uint8Array;
  readonly input: Uint8Array;
  readonly gas: bigint;
}

interface WorkloadSpec {
  readonly name: string;
  readonly file: string;
  readonly contract: string;
  readonly fn: string;
  readonly args: readonly bigint[];
}

/** Sizes chosen so each workload burns several million gas (checked in runVmBench). */
const WORKLOADS: readonly WorkloadSpec[] = [
  { name: 'arithmetic-loop', file: 'Arith.sol', contract: 'Arith', fn: 'run', args: [40_000n] },
  { name: 'keccak-loop', file: 'Keccak.sol', contract: 'Keccak', fn: 'run', args: [40_000n] },
  { name: 'erc20-transfer-loop', file: 'Token.sol', contract: 'Token', fn: 'run', args: [1_200n] },
  { name: 'storage-writes', file: 'Store.sol', contract: 'Store', fn: 'run', args: [300n] },
  { name: 'memory-sort', file: 'Sort.sol', contract: 'Sort', fn: 'run', args: [2_500n, 7n] },
  { name: 'mandelbrot', file: 'Mandelbrot.sol', contract: 'Mandelbrot', fn: 'run', args: [32n, 24n, 48n] },
];

const BENCH_GAS = 100_000_000n;

/** Directory holding bench/contracts/*.sol, found from the package root (works from dist/ too). */
export function benchContractsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'bench', 'contracts');
    dir = dirname(dir);
  }
  throw new Error('package root not found for bench/contracts');
}

/** Compiles one bench contract (solc 0.8.37, optimizer on, prague). */
export function compileBenchContract(file: string, contract: string): CompiledContract {
  const source = readFileSync(join(benchContractsDir(), file), 'utf8');
  return contractNamed(compileSolidity({ [file]: source }, { evmVersion: 'prague', optimizer: { enabled: true, runs: 200 } }), contract);
}

/** Calldata for `fn(args…)` on a compiled contract. */
export function callData(abi: Abi, fn: string, args: readonly bigint[]): Uint8Array {
  return hexToBytes(encodeFunctionData({ abi, functionName: fn, args } as Parameters<typeof encodeFunctionData>[0]) as Hex);
}

export function benchWorkloads(): VmWorkload[] {
  const compiled = new Map<string, CompiledContract>();
  return WORKLOADS.map((w) => {
    const key = `${w.file}:${w.contract}`;
    let c = compiled.get(key);
    if (!c) {
      c = compileBenchContract(w.file, w.contract);
      compiled.set(key, c);
    }
    return { name: w.name, code: hexToBytes(c.deployedBytecode), input: callData(c.abi, w.fn, w.args), gas: BENCH_GAS };
  });
}

// ---------------------------------------------------------------------------
// The bench.

// Median of at least MIN_RUNS timed calls per engine, more for fast workloads
// (up to ~1 s of timing each) so millisecond-scale runs are not noise.
const MIN_RUNS = 5;
const MAX_RUNS = 50;
const TARGET_MS = 1000;
const MIN_GAS = 3_000_000n;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs both engines on `w` and throws unless they agree and the call succeeded. */
export async function checkWorkload(w: VmWorkload): Promise<{ ours: RunCodeResult; ref: ReferenceResult }> {
  const opts: RunCodeOptions = { code: w.code, input: w.input, gas: w.gas, fork: 'osaka' };
  const ours = runCode(opts);
  const ref = await runReferenceCode(opts);
  const diff = diffResults(ours, ref);
  if (diff.length > 0) throw new VmBenchMismatchError(`${w.name}: MetisVM and ${REFERENCE_NAME} disagree:\n  ${diff.join('\n  ')}`);
  if (ours.error !== null) throw new VmBenchMismatchError(`${w.name}: the workload failed (${ours.error}) on both engines`);
  return { ours, ref };
}

/** Times `run` (one untimed warm-up, then MIN_RUNS..MAX_RUNS calls), returning milliseconds per call. */
async function timeRuns(run: () => Promise<RunCodeResult>, check: (r: RunCodeResult, i: number) => void): Promise<number[]> {
  let t = performance.now();
  check(await run(), -1);
  const warmMs = performance.now() - t;
  const n = Math.min(MAX_RUNS, Math.max(MIN_RUNS, Math.ceil(TARGET_MS / Math.max(warmMs, 0.01))));
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    t = performance.now();
    const r = await run();
    ms.push(performance.now() - t);
    check(r, i);
  }
  return ms;
}

export async function runVmBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const w of benchWorkloads()) {
    // Warm-up doubles as the correctness check.
    const { ours: first } = await checkWorkload(w);
    if (first.gasUsed < MIN_GAS) throw new VmBenchMismatchError(`${w.name}: only ${first.gasUsed} gas, too small to time`);
    const opts: RunCodeOptions = { code: w.code, input: w.input, gas: w.gas, fork: 'osaka' };
    const check = (r: RunCodeResult, engine: string, i: number): void => {
      // Every timed run must still produce the checked result.
      if (r.error !== null || r.gasUsed !== first.gasUsed || !equalBytes(r.output, first.output)) {
        throw new VmBenchMismatchError(`${w.name}: ${engine} run ${i} differs from the checked result`);
      }
    };
    const oursMs = await timeRuns(async () => runCode(opts), (r, i) => check(r, 'MetisVM', i));
    const refMs = await timeRuns(() => runReferenceCode(opts), (r, i) => check(r, REFERENCE_NAME, i));
    const mgas = (ms: number): number => Number(first.gasUsed) / 1e6 / (ms / 1e3);
    rows.push({
      suite: 'vm',
      workload: w.name,
      unit: 'Mgas/s',
      ours: mgas(median(oursMs)),
      reference: mgas(median(refMs)),
      referenceName: REFERENCE_NAME,
      higherIsBetter: true,
      note: `${(Number(first.gasUsed) / 1e6).toFixed(1)} Mgas per call; median of ${oursMs.length} (ours) / ${refMs.length} (reference) runs after a warm-up`,
    });
  }
  return rows;
}
