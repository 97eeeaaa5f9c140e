// Step-machine throughput: tracing a transaction with a commitment after every instruction,
// beside the same transaction on the interpreter's fast path (no commitments) as the reference;
// then the cost of one step's proof (witness generation and verification) and the memory the
// trace holds. Then a whole block (traceBlockSteps into level checkpoints) beside the same block
// on the fast executor, the cost of serving a commitment or proof at a random step from disk,
// and peak memory. HV_STEP_BLOCK_MGAS sets the block's gas (default 3; 30 for a full block).
// Measured with HV_STEP_BLOCK_MGAS=30 (2 shared cores, other work running): 29.7 Mgas, 3.43 M
// steps, 7380 steps per CPU-second (8400/s wall) vs executeBlock 193 Mgas/s; proof at a random
// step 65 ms (N=1000) / 550 ms (N=10000); stored commitment 1-2 ms; store 173 / 112 MiB on disk.
// With commitments streamed to the store the block trace adds ~45 MiB to maxRSS (974 MiB, 929
// before it, from the in-memory transaction trace above) and peaks at 283 MiB of heap; before
// streaming, maxRSS was 1.3 GiB.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './report.js';
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
import { BlockCheckpoints, TraceCheckpoints } from '../vm/step/checkpoints.js';
import { blockLocalContext, blockStepCount, traceBlockSteps, type BlockStepsInput } from '../vm/step/block-steps.js';
import { STATUS_VALID } from '../vm/step/state.js';
import { ethereumRules, hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { blockEnvOf, executeBlock } from '../vm/block/execute.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import { MESSAGE_PASSER, outputRootOf } from '../vm/block/output-root.js';
import { postStateRoot } from '../vm/state/witness.js';
import { NodeStore, PartialTrie, type BytesByHash } from '../vm/state/witness-trie.js';
import { EMPTY_TRIE_ROOT, decodeAccount } from '../vm/trie/index.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { FeeMarketTx } from '../vm/tx/types.js';
import { addressToBytes } from '../vm/util/address.js';
import { keccak256 } from '../vm/util/hash.js';

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
  const txRows = await runTxBench();
  return [...txRows, ...(await runBlockStepBench())];
}

async function runTxBench(): Promise<BenchRow[]> {
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

// ---- a whole block -----------------------------------------------------------------------------

const CHAIN_ID = 133717n;
const BLOCK_KEY = ('0x' + '5a'.repeat(32)) as `0x${string}`;
const BLOCK_SENDER = addressOfPrivateKey(BLOCK_KEY);
const BURNER = toAddress('0x00000000000000000000000000000000000b0a7e');
const BLOCK_PARENT = keccak256(Uint8Array.of(0xbe, 0x9c));
/** Transactions per block (fewer in small blocks, each needs room for its fresh slots). */
const blockTxs = (gas: bigint): number => Math.max(1, Math.min(10, Number(gas / 200_000n)));

// Runs while more than 32 KiB gas is left (a round's worst case, a fresh slot, is 22 100 gas);
// each round is 37 instructions, ~8 gas each once its slots are warm:
//   i++; mstore((i & 255) << 5, i*i ^ i); sstore(i & 1, sload(i & 1) + i); pop(((i * 3) / 7) % 17)
const BURN = hexToBytes(
  '0x' +
    '6000' + '5b' + // i = 0; JUMPDEST (2)
    '600101' + // i + 1
    '808002' + '8118' + // i*i ^ i
    '8160ff1660051b' + '52' + // mstore((i & 255) << 5, ...)
    '8060011654' + '8101' + '8160011655' + // sstore(i & 1, sload(i & 1) + i)
    '8060030260070460110650' + // ((i * 3) / 7) % 17, dropped
    '6180005a116002' + '57' + // while (gas > 0x8000)
    '00',
);

interface LoopBlock {
  readonly state: MemoryState;
  readonly header: BlockHeader;
  readonly transactions: Uint8Array[];
  readonly chain: ChainRules;
  readonly blockHashes: (n: bigint) => bigint | null;
}

/** A block of signed calls to BURN that together use about `gas`. */
function loopBlock(gas: bigint): LoopBlock {
  const state = new MemoryState();
  state.put(BLOCK_SENDER, { balance: 10n ** 24n });
  state.put(BURNER, { code: BURN });
  const count = blockTxs(gas);
  const perTx = gas / BigInt(count);
  const transactions = Array.from({ length: count }, (_, i) => {
    const t: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce: BigInt(i), maxPriorityFeePerGas: 1n, maxFeePerGas: 100n, gasLimit: perTx, to: BURNER, value: 0n, data: new Uint8Array(0), accessList: [] };
    return encodeTransaction(signTransaction(t, BLOCK_KEY));
  });
  const header: BlockHeader = {
    parentHash: BLOCK_PARENT,
    ommersHash: hexToBytes('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
    coinbase: toAddress('0x00000000000000000000000000000000000fee00'),
    stateRoot: new Uint8Array(32),
    transactionsRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 1000n,
    gasLimit: perTx * BigInt(count),
    gasUsed: 0n,
    timestamp: 1_700_000_000n,
    extraData: new Uint8Array(0),
    mixHash: keccak256(Uint8Array.of(1)),
    nonce: new Uint8Array(8),
    baseFeePerGas: 7n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: keccak256(Uint8Array.of(2)),
    requestsHash: new Uint8Array(32),
  };
  const blockHashes = (n: bigint): bigint | null => (n === 999n ? BigInt(bytesToHex(BLOCK_PARENT)) : null);
  return { state, header, transactions, chain: hyperionRules(CHAIN_ID, 'prague'), blockHashes };
}

function passerRoot(nodes: BytesByHash, stateRoot: Uint8Array): Uint8Array {
  const leaf = new PartialTrie(new NodeStore(nodes), stateRoot).get(keccak256(addressToBytes(MESSAGE_PASSER)));
  return leaf === null ? EMPTY_TRIE_ROOT : decodeAccount(leaf).storageRoot;
}

/** The block on the fast executor: its time, gas and output root. */
function fastBlock(b: LoopBlock): { ms: number; cpuMs: number; gasUsed: bigint; outputRoot: Uint8Array } {
  const witness = fullWitness(b.state);
  const world = new WorldState(new WitnessState(witness));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = executeBlock(world, b.chain, { header: b.header, transactions: b.transactions }, b.blockHashes);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  for (const o of r.outcomes) if (!o.success) throw new Error('a bench transaction failed on the fast executor');
  const nodes = new Map(witness.nodes);
  const stateRoot = postStateRoot(witness, world.changes(), { persist: (enc) => void nodes.set(bytesToHex(keccak256(enc)), enc) });
  const full: BlockHeader = { ...b.header, stateRoot, receiptsRoot: r.receiptsRoot, logsBloom: r.logsBloom, gasUsed: r.gasUsed, blobGasUsed: r.blobGasUsed, requestsHash: r.requestsHash! };
  return { ms, cpuMs, gasUsed: r.gasUsed, outputRoot: outputRootOf(stateRoot, passerRoot(nodes, stateRoot), headerHash(full)) };
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

/** A small deterministic generator, so runs sample the same steps. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** The whole-block part alone. */
export async function runBlockStepBench(): Promise<BenchRow[]> {
  const mgas = Number(process.env['HV_STEP_BLOCK_MGAS'] ?? '3');
  if (!Number.isFinite(mgas) || mgas <= 0) throw new Error(`HV_STEP_BLOCK_MGAS must be a positive number, got ${process.env['HV_STEP_BLOCK_MGAS']}`);
  const b = loopBlock(BigInt(Math.round(mgas * 1e6)));

  const fastRuns = [fastBlock(b), fastBlock(b), fastBlock(b)];
  const fast = fastRuns.sort((x, y) => x.ms - y.ms)[1]!;
  const gas = Number(fast.gasUsed);

  const witness = fullWitness(b.state);
  const store = storeFromWitness(witness);
  const input: BlockStepsInput = {
    header: b.header,
    transactions: b.transactions,
    env: blockEnvOf(b.header, b.chain, b.blockHashes),
    parent: { stateRoot: witness.stateRoot, messagePasserStorageRoot: passerRoot(witness.nodes, witness.stateRoot), blockHash: BLOCK_PARENT },
    disputedOutputRoot: fast.outputRoot,
  };

  // One trace feeds two stores: checkpoints every 1000 and every 10 000 steps.
  const root = mkdtempSync(join(tmpdir(), 'hv-bench-block-cp-'));
  const everies = [1000, 10_000] as const;
  const stores = await Promise.all(everies.map((n) => BlockCheckpoints.create(join(root, `every-${n}`), n)));
  const fine = stores[0]!.traceOptions(store, blockLocalContext(store, input));
  let heapPeak = 0;
  let liveMax = 0;
  const rssBefore = process.resourceUsage().maxRSS;
  // CPU time beside wall time: on a shared machine the wall clock also counts other processes.
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const trace = traceBlockSteps(store, input, {
    checkpointEvery: everies[0],
    // Commitments go straight to both stores' spill files: the trace never holds them.
    keepCommitments: false,
    onCommitment: (k, c) => {
      for (const s of stores) s.addCommitment(k, c);
    },
    onCheckpoint: (k, enc, live) => {
      fine.onCheckpoint(k, enc, live);
      if (k % everies[1] === 0) stores[1]!.add(k, enc, live);
      liveMax = Math.max(liveMax, live.size);
    },
    progressEvery: 20_000,
    onProgress: () => void (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)),
  });
  const traceMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const traceCpuS = (cpu.user + cpu.system) / 1e6;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  if (bytesToHex(trace.outputRoot) !== bytesToHex(fast.outputRoot) || trace.status !== STATUS_VALID) throw new Error('the block trace does not reach the fast executor’s output root');
  const steps = blockStepCount(trace);
  const instructions = trace.kinds.reduce((n, k) => n + (k === 'instruction' ? 1 : 0), 0);
  const f0 = performance.now();
  for (const s of stores) await s.finish(trace);
  const finishMs = performance.now() - f0;
  const rssPeak = process.resourceUsage().maxRSS;
  for (const s of stores) await s.close();

  // Serving from a reopened store: random steps, each proof verified by verifyStep alone.
  const serve: { every: number; lookupMs: number; recomputeMs: number; witnessMs: number; disk: number }[] = [];
  for (const every of everies) {
    const cps = await BlockCheckpoints.open(join(root, `every-${every}`));
    const rand = lcg(every);
    const picks = Array.from({ length: every >= 10_000 ? 6 : 20 }, () => Math.floor(rand() * steps));
    let lookup = 0;
    let recompute = 0;
    let prove = 0;
    for (const k of picks) {
      const a = performance.now();
      const c = await cps.commitmentAt(k);
      const m = performance.now();
      const r = await cps.recomputedCommitmentAt(k);
      const w0 = performance.now();
      const { witness: w } = await cps.witnessAt(k);
      const w1 = performance.now();
      lookup += m - a;
      recompute += w0 - m;
      prove += w1 - w0;
      const post = verifyStep(c, w, PreimageStore.of(w.preimages), cps.summary.local);
      if (bytesToHex(r) !== bytesToHex(c) || bytesToHex(post) !== bytesToHex(await cps.commitmentAt(k + 1))) throw new Error(`step ${k} served from checkpoints differs from the trace`);
    }
    await cps.close();
    serve.push({ every, lookupMs: lookup / picks.length, recomputeMs: recompute / picks.length, witnessMs: prove / picks.length, disk: dirBytes(join(root, `every-${every}`)) });
  }
  rmSync(root, { recursive: true, force: true });

  const suite = 'step';
  const label = `${(gas / 1e6).toFixed(1)} Mgas block`;
  const perSec = (steps * 1000) / traceMs;
  const scale = 30e6 / gas;
  const extrapolated = scale > 1.5 ? `; a 30 Mgas block of this kind (extrapolated ×${scale.toFixed(1)}): ~${((steps * scale) / 1e6).toFixed(1)} M steps, ~${((traceMs * scale) / 60_000).toFixed(1)} min to trace` : '';
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const rows: BenchRow[] = [
    {
      suite, workload: `${label}: trace+checkpoints`, unit: 'steps/s', ours: perSec, reference: (instructions * 1000) / fast.ms, referenceName: 'executeBlock (instructions/s)', higherIsBetter: true,
      note: `${steps} steps (${instructions} instructions, ${b.transactions.length} txs) in ${(traceMs / 1000).toFixed(1)} s (${traceCpuS.toFixed(1)} CPU s: ${((steps / traceCpuS) | 0)} steps per CPU-second), checkpoints every 1000 and 10000, then ${(finishMs / 1000).toFixed(1)} s to store them${extrapolated}`,
    },
    { suite, workload: `${label}: trace+checkpoints`, unit: 'Mgas/s', ours: gas / 1e3 / traceMs, reference: gas / 1e3 / fast.ms, referenceName: 'executeBlock', higherIsBetter: true, note: `fast executor ${fast.ms.toFixed(0)} ms (${fast.cpuMs.toFixed(0)} CPU ms) for the block` },
  ];
  for (const s of serve) {
    rows.push(
      { suite, workload: `commitment at k (N=${s.every}, stored)`, unit: 'ms', ours: s.lookupMs, reference: null, referenceName: null, higherIsBetter: false, note: `read from the 32 B/step list in level; store ${mb(s.disk)} on disk` },
      { suite, workload: `commitment at k (N=${s.every}, re-exec)`, unit: 'ms', ours: s.recomputeMs, reference: null, referenceName: null, higherIsBetter: false, note: `re-executed from the nearest checkpoint (≤ ${s.every - 1} steps) and checked` },
      { suite, workload: `one-step proof at k (N=${s.every})`, unit: 'ms', ours: s.witnessMs, reference: null, referenceName: null, higherIsBetter: false, note: 'checkpoint load + re-execution + recorded step, checked against the stored k+1 commitment' },
    );
  }
  rows.push({
    suite, workload: `${label}: peak memory`, unit: 'MiB', ours: rssPeak / 1024, reference: null, referenceName: null, higherIsBetter: false,
    note: `process maxRSS (was ${(rssBefore / 1024).toFixed(0)} MiB before the trace); heap peak ${mb(heapPeak)}; live store at a checkpoint ≤ ${liveMax} preimages; commitments streamed to disk, the trace holds only the ${steps} step kinds and ops`,
  });
  return rows;
}
