// `hyperion-verify demo`: the embedded default job: a local devnet where a proposer lies about
// one instruction of a block's execution and the watch daemon, deriving the chain from L1 alone,
// wins the dispute on L1. `--tour` shows the auditor's side instead: stateless replay of a local
// anvil chain, one block's step proofs (also on the L1 verifier), MetisVM on raw workloads.
import type { Command } from 'commander';
import { runCode } from '../../vm/run-code.js';
import { hexToBytes, bytesToHex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
import type { Logger } from 'pino';
import { startAnvil, type AnvilNode } from '../anvil.js';
import { sendVariedLoad } from '../devnet/load.js';
import { replayBlock } from '../../vm/replay/replay.js';
import { createRpcReplaySource } from '../../vm/replay/rpc-source.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { CheckFailedError } from '../errors.js';
import { traceBlock, type BlockTrace } from '../../vm/step/block-trace.js';
import { stepWitness } from '../../vm/step/trace.js';
import { checkTrace } from './trace.js';
import { contractArtifact } from '../../contracts/artifacts.js';
import { deployMetisStepVerifier, l1Clients } from '../../contracts/deploy.js';
import type { ReplaySource } from '../../vm/replay/source.js';
import type { ChainRules } from '../../vm/chain/chain.js';
import { runScenario } from '../../devnet/scenario.js';
import { summaryDocument } from './devnet.js';

interface Workload {
  readonly name: string;
  readonly code: string;
  /** Expected 32-byte return value as hex, derived by hand from the program. */
  readonly expect: string;
}

const word = (n: bigint): string => '0x' + n.toString(16).padStart(64, '0');

// Sum of 0..99999: a tight loop of arithmetic, comparisons and jumps.
// Stack [i, s]: loop { s += i; i += 1 } while i < 100000; return s.
const ARITH = '5f5f' + '5b' + '8181' + '01' + '91' + '50' + '600101' + '80620186a0' + '11' + '6002' + '57' + '50' + '5f52' + '60205ff3';
// keccak256 chain: h = keccak(h) 20000 times, starting from zero memory.
const KECCAK = '614e20' + '5b' + '60205f20' + '5f52' + '6001900380' + '6003' + '57' + '50' + '60205ff3';
// Storage: write slot i = i for i in 1..500, then return slot 500.
const STORAGE = '6001' + '5b' + '8080' + '55' + '6001' + '01' + '806101f5' + '11' + '6002' + '57' + '50' + '6101f454' + '5f52' + '60205ff3';

function sumTo(n: bigint): bigint {
  return (n * (n - 1n)) / 2n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the embedded default: a local devnet with a faulty proposer where the watcher wins the dispute on L1 (--tour: stateless replay, step proofs and workloads)')
    .option('--tour', 'the auditor tour instead: stateless replay, MetisVM step proofs (also on an L1 verifier) and workloads')
    .action(async (opts: { tour?: boolean }, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.tour !== true) return devnetDemo(log);
      const { keccak_256 } = await import('@noble/hashes/sha3.js');
      let h: Uint8Array = new Uint8Array(32);
      for (let i = 0; i < 20000; i++) h = keccak_256(h);
      const workloads: Workload[] = [
        { name: 'arithmetic loop (sum 0..99999)', code: ARITH, expect: word(sumTo(100000n)) },
        { name: 'keccak chain (20000 hashes)', code: KECCAK, expect: bytesToHex(h) },
        { name: 'storage writes (500 slots)', code: STORAGE, expect: word(500n) },
      ];
      process.stdout.write('hyperion-verify demo --tour: stateless replay, MetisVM step proofs and MetisVM\n\n');
      let failures = await replayDemo(log);
      process.stdout.write('\nMetisVM on raw-bytecode workloads:\n');
      for (const w of workloads) {
        const started = process.hrtime.bigint();
        const r = runCode({ code: hexToBytes(w.code), gas: 100_000_000n });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const out = bytesToHex(r.output);
        const ok = r.error === null && out === w.expect;
        if (!ok) failures++;
        const mgas = Number(r.gasUsed) / 1e6 / seconds;
        process.stdout.write(
          `${ok ? 'ok  ' : 'FAIL'} ${w.name.padEnd(34)} gas ${String(r.gasUsed).padStart(10)}  ${mgas.toFixed(1).padStart(7)} Mgas/s\n`,
        );
        log.debug({ workload: w.name, gasUsed: Number(r.gasUsed), seconds, output: out, error: r.error }, 'workload');
      }
      if (failures > 0) throw new CheckFailedError(`${failures} demo check(s) failed`);
      process.stdout.write('\nevery block verified and every workload returned its expected result\n');
    });
}

/** The devnet scenario with a faulty proposer, to the end of every game. */
async function devnetDemo(log: Logger): Promise<void> {
  process.stdout.write('hyperion-verify demo: a local devnet (anvil L1, MetisVM sequencer, blob batcher, a faulty proposer, the watch daemon)\n');
  process.stdout.write('the events are logged on stderr as they happen; the summary follows when every game is resolved\n\n');
  const s = await runScenario({ blocks: 8, faultyProposer: true, exitWhenResolved: true, seed: 1, logger: log });
  for (const g of s.games) {
    process.stdout.write(`game for L2 block ${g.l2Block}: the proposed root is ${g.honest ? 'valid' : 'WRONG'}; ${g.challenged ? 'the watcher disputed it' : 'nobody disputed it'}; ${g.status}${g.honestWin ? '' : ' (against the truth!)'}\n`);
  }
  process.stdout.write(`\n${JSON.stringify(summaryDocument(s))}\n`);
  if (s.honestLosses > 0 || s.unresolved > 0 || s.invalidRoots === 0) throw new CheckFailedError('the demo did not end with every wrong root defeated and every valid root upheld');
  process.stdout.write('every wrong output root was disputed and defeated on L1; every valid one stood\n');
}

/** Starts anvil, sends a varied load, and replays every block statelessly from it. Returns the failures. */
async function replayDemo(log: Logger): Promise<number> {
  process.stdout.write('starting a local anvil (osaka) and sending a varied load...\n');
  const node = await startAnvil({ hardfork: 'osaka' });
  try {
    const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'osaka' });
    log.info({ rpc: node.rpcUrl, from: Number(load.fromBlock), to: Number(load.toBlock), txs: load.txHashes.length }, 'load sent');
    const source = createRpcReplaySource(node.rpcUrl);
    const chain = anvilRules('osaka', 31337n);
    process.stdout.write(`replaying blocks ${load.fromBlock < 2n ? 2n : load.fromBlock}..${load.toBlock} statelessly (trusting only each parent state root):\n`);
    let failures = 0;
    let gas = 0n;
    let ms = 0;
    // anvil's genesis header carries the empty trie root, so block 1 cannot be proven.
    for (let n = load.fromBlock < 2n ? 2n : load.fromBlock; n <= load.toBlock; n++) {
      const v = await replayBlock(source, chain, n, { checkParent: false });
      gas += v.gasUsed;
      ms += v.executionMs;
      if (!v.verified) failures++;
      const mgas = v.executionMs > 0 ? Number(v.gasUsed) / 1e3 / v.executionMs : 0;
      process.stdout.write(
        `  block ${String(n).padStart(3)}  ${v.verified ? 'verified' : 'MISMATCH'}  ${String(v.transactions).padStart(2)} txs  ${String(v.gasUsed).padStart(9)} gas  ${mgas.toFixed(1).padStart(7)} Mgas/s${v.mismatch ? `  ${v.mismatch}` : ''}\n`,
      );
    }
    process.stdout.write(`replay: ${failures === 0 ? 'all blocks verified' : `${failures} block(s) failed`}, ${(Number(gas) / 1e3 / Math.max(ms, 1e-9)).toFixed(1)} Mgas/s of execution\n`);
    failures += await stepDemo(log, node, source, chain, load.fromBlock < 2n ? 2n : load.fromBlock, load.toBlock);
    return failures;
  } finally {
    await node.stop();
  }
}

/**
 * The dispute's last mile on the same chain: a block's transactions as committed MetisVM step
 * traces, every step re-proven from its one-step witness alone, and a sample of steps proven by
 * the on-chain verifier deployed on this anvil as L1.
 */
async function stepDemo(log: Logger, node: AnvilNode, source: ReplaySource, chain: ChainRules, from: bigint, to: bigint): Promise<number> {
  let block = from;
  let trace: BlockTrace | null = null;
  for (let n = from; n <= to; n++) {
    const b = await traceBlock(source, chain, n);
    if (b.steps >= 200 && b.steps <= 5000) {
      block = n;
      trace = b;
      break;
    }
  }
  if (trace === null) {
    process.stdout.write('\nno block with 200..5000 steps in the load: step proofs skipped\n');
    return 0;
  }
  process.stdout.write(`\nMetisVM step proofs of block ${block} (${trace.steps} steps, a commitment after every instruction):\n`);
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  for (const tx of trace.txs) {
    if (tx.trace === null) continue;
    const r = checkTrace(tx.trace);
    passed += r.passed;
    failed += r.failed.length;
  }
  process.stdout.write(`  reference verifier, from each step's witness alone: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  process.stdout.write('  deploying the on-chain step verifier (MetisStepVerifier) to the anvil L1...\n');
  const clients = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 50 });
  const artifact = contractArtifact('MetisStepVerifier');
  const address = await deployMetisStepVerifier(clients);
  let onChain = 0;
  let onChainFailed = 0;
  let uncovered = 0;
  for (const tx of trace.txs) {
    const t = tx.trace;
    if (t === null) continue;
    for (let k = 0; k < t.ops.length && onChain + onChainFailed < 40; k += Math.max(1, Math.floor(t.ops.length / 20))) {
      const w = stepWitness(t, k);
      try {
        const post = (await clients.public.readContract({ address, abi: artifact.abi, functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)] })) as string;
        if (post === bytesToHex(t.commitments[k + 1]!)) onChain++;
        else onChainFailed++;
      } catch {
        // Instructions the on-chain verifier does not cover yet revert (never a wrong answer).
        uncovered++;
      }
    }
  }
  log.info({ block: Number(block), onChain, onChainFailed, uncovered }, 'on-chain step checks');
  process.stdout.write(`  on-chain verifier on sampled steps: ${onChain} agreed, ${onChainFailed} disagreed, ${uncovered} not covered on chain yet\n`);
  return failed + onChainFailed;
}
