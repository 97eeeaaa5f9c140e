// Step-machine throughput: tracing a transaction with a commitment after every instruction,
// beside the same transaction on the interpreter's fast path (no commitments) as the reference;
// then the cost of one step's proof (witness generation and verification) and the memory the
// trace holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './report.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { forkRules } from '../vm/chain/forks.js';
import type { BlockEnv } from '../vm/env.js';
import type { TxRequest } from '../vm/execution/request.js';
import { applyTransaction } from '../vm/execution/transaction.js';
import { MemoryState } from '../vm/state/memory.js';
import { WitnessState } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { toAddress } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { verifyStep } from '../vm/step/execute.js';
import { stepCount, stepWitness, storeFromWitness, traceTransaction } from '../vm/step/trace.js';
import { TraceCheckpoints } from '../vm/step/checkpoints.js';

const SENDER = toAddress('0x00000000000000000000000000000000000a11ce');
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');

// for (i = n; i > 0; i--) { mstore((i & 255) * 32, i); sstore(i & 15, keccak256(0, 64)) }
const LOOP = (n: number): Uint8Array =>
  hexToBytes(
    '0x' +
      '62' + n.toString(16).padStart(6, '0') + // PUSH3 n
      '5b' + // JUMPDEST (4)
      '8060ff16602002' + '8190' + '52' + // DUP1 PUSH1 ff AND PUSH1 20 MUL ; DUP2 SWAP1 ; MSTORE(i*32, i)
      '60406000' + '20' + // KECCAK256(0, 64)
      '81600f16' + '55' + // DUP2 PUSH1 0f AND ; SSTORE(i&15, hash)
      '600190' + '03' + // PUSH1 1 SWAP1 SUB  (i - 1)
      '80' + '6004' + '57' + // DUP1 PUSH1 4 JUMPI
      '00',
  );

function env(): BlockEnv {
  return {
    chain: ethereumRules('prague'),
    rules: forkRules('prague'),
    number: 10n,
    timestamp: 100n,
    coinbase: toAddress('0x0000000000000000000000000000000000000c0b'),
    gasLimit: 60_000_000n,
    baseFee: 1n,
    prevRandao: 0n,
    excessBlobGas: 0n,
    blockHash: () => null,
  };
}

function tx(gasLimit: bigint): TxRequest {
  return {
    type: 2, sender: SENDER, nonce: 0n, gasLimit, to: CONTRACT, value: 0n, data: new Uint8Array(), gasPrice: 0n,
    maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, accessList: [], blobVersionedHashes: [], maxFeePerBlobGas: 0n, authorizationList: [],
  };
}

function state(iterations: number): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(CONTRACT, { code: LOOP(iterations) });
  return s;
}

export async function runStepBench(): Promise<BenchRow[]> {
  const iterations = 4000;
  const s = state(iterations);
  const witness = fullWitness(s);

  // Reference: the fast path, no commitments, same transaction.
  let fastInstructions = 0;
  const fastRuns: number[] = [];
  for (let r = 0; r < 5; r++) {
    let count = 0;
    const t0 = performance.now();
    applyTransaction(new WorldState(new WitnessState(witness)), env(), tx(30_000_000n), undefined, () => void count++);
    fastRuns.push(performance.now() - t0);
    fastInstructions = count;
  }
  const fastMs = fastRuns.sort((a, b) => a - b)[2]!;

  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const store = storeFromWitness(witness);
  const trace = traceTransaction(store, witness, new WorldState(new WitnessState(witness)), env(), tx(30_000_000n));
  const traceMs = performance.now() - t0;
  const heapAfter = process.memoryUsage().heapUsed;
  const steps = stepCount(trace);
  if (steps !== fastInstructions) throw new Error(`trace has ${steps} steps, the interpreter ran ${fastInstructions} instructions`);
  const gas = Number(trace.outcome.gasUsed);

  // One step's proof at arbitrary positions: generation (record the step) and verification.
  const picks = Array.from({ length: 200 }, (_, i) => Math.floor(((i + 0.5) * steps) / 200));
  let witnessBytes = 0;
  const g0 = performance.now();
  const ws = picks.map((k) => stepWitness(trace, k));
  const genMs = (performance.now() - g0) / picks.length;
  const v0 = performance.now();
  for (const w of ws) {
    witnessBytes += w.state.length + w.preimages.reduce((n, p) => n + p.length, 0);
    const post = verifyStep(trace.commitments[w.step]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
    if (bytesToHex(post) !== bytesToHex(trace.commitments[w.step + 1]!)) throw new Error(`step ${w.step} did not verify`);
  }
  const verifyMs = (performance.now() - v0) / picks.length;
  const l0 = performance.now();
  let x = 0;
  for (const k of picks) x ^= trace.commitments[k]![0]!;
  const lookupUs = ((performance.now() - l0) * 1000) / picks.length + (x & 0);

  // Checkpointed: the store cut to the live state every 1000 steps, checkpoints in level on disk;
  // a commitment at an arbitrary step is re-executed from the nearest checkpoint.
  const dir = mkdtempSync(join(tmpdir(), 'hv-bench-cp-'));
  const cps = new TraceCheckpoints(dir, 1000);
  let liveMax = 0;
  const cpStore = storeFromWitness(witness);
  const c0 = performance.now();
  traceTransaction(cpStore, witness, new WorldState(new WitnessState(witness)), env(), tx(30_000_000n), undefined, {
    checkpointEvery: 1000,
    onCheckpoint: (k, enc, live) => {
      liveMax = Math.max(liveMax, live.size);
      cps.add(k, enc, live);
    },
  });
  await cps.flush(steps);
  const cpTraceMs = performance.now() - c0;
  const a0 = performance.now();
  const samples = [Math.floor(steps * 0.37), Math.floor(steps * 0.5) + 999, steps - 1];
  for (const k of samples) {
    if (bytesToHex(await cps.commitmentAt(k)) !== bytesToHex(trace.commitments[k]!)) throw new Error(`checkpointed commitment ${k} differs`);
  }
  const atMs = (performance.now() - a0) / samples.length;
  await cps.close();
  rmSync(dir, { recursive: true, force: true });

  const suite = 'step';
  return [
    {
      suite, workload: `trace ${steps} steps (${(gas / 1e6).toFixed(1)} Mgas)`, unit: 'steps/s',
      ours: (steps * 1000) / traceMs, reference: (fastInstructions * 1000) / fastMs, referenceName: 'MetisVM without commitments', higherIsBetter: true,
      note: 'committed steps vs plain instructions: the price of a commitment per instruction',
    },
    { suite, workload: 'one-step proof: generate', unit: 'ms', ours: genMs, reference: null, referenceName: null, higherIsBetter: false, note: `mean over ${picks.length} steps spread over the trace` },
    { suite, workload: 'one-step proof: verify', unit: 'ms', ours: verifyMs, reference: null, referenceName: null, higherIsBetter: false, note: `${Math.round(witnessBytes / picks.length)} bytes per proof on average` },
    { suite, workload: 'commitment at step k (in memory)', unit: 'us', ours: lookupUs, reference: null, referenceName: null, higherIsBetter: false, note: 'whole trace held; no re-execution' },
    {
      suite, workload: 'commitment at step k (checkpoints)', unit: 'ms', ours: atMs, reference: null, referenceName: null, higherIsBetter: false,
      note: `level checkpoints every 1000 steps, re-executed from the nearest; tracing took ${(cpTraceMs / 1000).toFixed(1)} s; live store at most ${liveMax} preimages vs ${store.size} kept in memory`,
    },
    {
      suite, workload: 'trace memory', unit: 'bytes/step', ours: Math.max(0, heapAfter - heapBefore) / steps, reference: null, referenceName: null, higherIsBetter: false,
      note: `heap growth while tracing; preimage store ${store.size} entries`,
    },
  ];
}
