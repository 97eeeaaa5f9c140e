// `hyperion-verify trace`: the committed MetisVM step trace of a block's transactions: step
// counts and final commitments, the commitment at one step, the one-step proof of a step, or a
// check of every step by the reference verifier from its proof alone.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { createRpcReplaySource, isAnvil, rpcChainId } from '../../vm/replay/rpc-source.js';
import { LayeredPreimages, PreimageStore } from '../../vm/step/preimages.js';
import { TraceCheckpoints } from '../../vm/step/checkpoints.js';
import { StepError, verifyStep } from '../../vm/step/execute.js';
import { stepWitness, witnessSize, type StepTrace } from '../../vm/step/trace.js';
import { locateStep, traceBlock, type BlockTrace } from '../../vm/step/block-trace.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
import { CheckFailedError, UsageError } from '../errors.js';
import { parseBigInt, parseNonNegativeInt, parseUrl } from '../options.js';
import { chainRulesFor } from './replay.js';

interface TraceOpts {
  rpc: string;
  block: bigint;
  tx?: number;
  chain: 'ethereum' | 'hyperion';
  fork?: Fork;
  step?: number;
  witness?: number;
  out?: string;
  check?: boolean;
  json?: boolean;
  checkpointDir?: string;
  checkpointEvery: number;
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description("commit to every MetisVM step of a block's transactions; print a step's commitment, write its one-step proof, or check every step")
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint (as for replay)', parseUrl)
    .requiredOption('--block <n>', 'block number', parseBigInt)
    .option('--tx <i>', 'only trace transaction i of the block', parseNonNegativeInt)
    .addOption(new Option('--chain <name>', 'chain rules').choices(['ethereum', 'hyperion']).default('ethereum'))
    .addOption(new Option('--fork <fork>', 'fork for chains without a known schedule').choices([...FORKS]))
    .option('--step <k>', 'print the commitment before step k (block-wide index)', parseNonNegativeInt)
    .option('--witness <k>', 'write the one-step proof of step k (to --out, or stdout)', parseNonNegativeInt)
    .option('--out <file>', 'with --witness: the JSON file to write')
    .option('--check', 'verify every step from its one-step proof alone; ends with "N passed, N failed"')
    .option('--json', 'machine-readable output')
    .option('--checkpoint-dir <dir>', 'keep the trace as level checkpoints in DIR (bounded memory); --step and --witness are served from them')
    .option('--checkpoint-every <n>', 'steps between checkpoints', parseNonNegativeInt, 1000)
    .action(async (opts: TraceOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.block === 0n) throw new UsageError('block 0 is genesis: there is nothing to trace');
      const chainId = await rpcChainId(opts.rpc);
      const anvil = await isAnvil(opts.rpc);
      const chain = anvil && opts.chain === 'ethereum' ? anvilRules(opts.fork ?? 'osaka', chainId) : chainRulesFor(opts.chain, chainId, opts.fork);
      if (opts.checkpointDir !== undefined && opts.check === true) throw new UsageError('--check needs the whole trace: leave out --checkpoint-dir');
      if (opts.checkpointEvery < 1) throw new UsageError('--checkpoint-every must be at least 1');
      const checkpoints = new Map<number, TraceCheckpoints>();
      const started = Date.now();
      const b = await traceBlock(createRpcReplaySource(opts.rpc), chain, opts.block, {
        ...(opts.tx === undefined ? {} : { only: opts.tx }),
        ...(opts.checkpointDir === undefined
          ? {}
          : {
              traceOptions: (i: number) => {
                const cps = new TraceCheckpoints(join(opts.checkpointDir!, `block-${opts.block}-tx-${i}`), opts.checkpointEvery);
                checkpoints.set(i, cps);
                return { checkpointEvery: opts.checkpointEvery, onCheckpoint: (k: number, enc: Uint8Array, live: PreimageStore) => cps.add(k, enc, live) };
              },
            }),
        onTx: (i, steps) => log.info({ block: Number(opts.block), tx: i, steps }, 'transaction traced'),
      });
      const seconds = (Date.now() - started) / 1000;
      log.info({ block: Number(opts.block), steps: b.steps, seconds, stepsPerSec: Math.round(b.steps / Math.max(seconds, 1e-3)), refetches: b.refetches }, 'block traced');
      if (opts.tx !== undefined && opts.tx >= b.txs.length) throw new UsageError(`--tx ${opts.tx}: block ${opts.block} has ${b.txs.length} transactions`);

      for (const tx of b.txs) if (tx.trace !== null) await checkpoints.get(tx.index)?.flush(tx.trace.commitments.length - 1);
      try {
        if (opts.step !== undefined) {
          const { tx, local } = at(b, opts.step);
          const cps = checkpoints.get(tx.index);
          const c = bytesToHex(cps === undefined ? tx.trace!.commitments[local]! : await cps.commitmentAt(local));
          process.stdout.write(opts.json ? JSON.stringify({ step: opts.step, tx: tx.index, commitment: c }) + '\n' : `step ${opts.step} (tx ${tx.index}, local ${local}): ${c}\n`);
          return;
        }
        if (opts.witness !== undefined) {
          const { tx, local } = at(b, opts.witness);
          const t = tx.trace!;
          const cps = checkpoints.get(tx.index);
          const w = cps === undefined ? stepWitness(t, local) : (await cps.witnessAt(local)).witness;
          const doc = {
            block: Number(opts.block),
            tx: tx.index,
            step: opts.witness,
            localStep: local,
            op: `0x${t.ops[local]!.toString(16).padStart(2, '0')}`,
            preCommitment: bytesToHex(t.commitments[local]!),
            postCommitment: bytesToHex(t.commitments[local + 1]!),
            state: bytesToHex(w.state),
            preimages: w.preimages.map(bytesToHex),
          };
          const text = JSON.stringify(doc, null, 2) + '\n';
          if (opts.out) {
            writeFileSync(opts.out, text);
            process.stdout.write(`wrote the proof of step ${opts.witness} (${w.preimages.length} preimages, ${witnessSize(w)} bytes) to ${opts.out}\n`);
          } else process.stdout.write(text);
          return;
        }
        if (opts.check) {
          let passed = 0;
          let failed = 0;
          for (const tx of b.txs) {
            if (tx.trace === null) continue;
            const r = checkTrace(tx.trace);
            passed += r.passed;
            failed += r.failed.length;
            for (const f of r.failed.slice(0, 5)) log.error({ tx: tx.index, step: f.step }, f.reason);
          }
          process.stdout.write(`${passed} passed, ${failed} failed\n`);
          if (failed > 0) throw new CheckFailedError(`${failed} step(s) of block ${opts.block} did not verify`);
          return;
        }
        printSummary(b, opts.json === true);
      } finally {
        for (const c of checkpoints.values()) await c.close();
      }
    });
}

function at(b: BlockTrace, k: number): ReturnType<typeof locateStep> {
  try {
    return locateStep(b, k);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function checkTrace(t: StepTrace): { passed: number; failed: { step: number; reason: string }[] } {
  let passed = 0;
  const failed: { step: number; reason: string }[] = [];
  for (let k = 0; k + 1 < t.commitments.length; k++) {
    try {
      const w = stepWitness(t, k);
      const post = verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)));
      if (bytesToHex(post) === bytesToHex(t.commitments[k + 1]!)) passed++;
      else failed.push({ step: k, reason: `post-state ${bytesToHex(post)} differs from the trace's ${bytesToHex(t.commitments[k + 1]!)}` });
    } catch (e) {
      failed.push({ step: k, reason: e instanceof StepError ? `${e.reason}: ${e.message}` : String(e) });
    }
  }
  return { passed, failed };
}

function printSummary(b: BlockTrace, json: boolean): void {
  const rows = b.txs.map((tx) => ({
    tx: tx.index,
    hash: tx.hash,
    steps: tx.trace === null ? 0 : tx.trace.commitments.length - 1,
    finalCommitment: tx.trace === null ? null : bytesToHex(tx.trace.commitments[tx.trace.commitments.length - 1]!),
    success: tx.trace?.outcome.success ?? null,
  }));
  if (json) {
    process.stdout.write(JSON.stringify({ block: Number(b.number), steps: b.steps, txs: rows }) + '\n');
    return;
  }
  for (const r of rows) {
    process.stdout.write(r.finalCommitment === null ? `tx ${r.tx} ${r.hash}: no instructions\n` : `tx ${r.tx} ${r.hash}: ${r.steps} steps, final ${r.finalCommitment}\n`);
  }
  process.stdout.write(`block ${b.number}: ${b.steps} steps\n`);
}
