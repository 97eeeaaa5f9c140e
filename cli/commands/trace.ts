// `hyperion-verify trace`: the committed MetisVM step trace of a whole block (prover/DESIGN.md §5):
// its step count, final commitment and whether its output root is the disputed one, the
// commitment at one step, the one-step proof of a step, or a check of every step by the
// reference verifier from its proof alone. `checkTrace` checks a transaction-only trace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { createRpcReplaySource, isAnvil, rpcChainId } from '../../vm/replay/rpc-source.js';
import { LayeredPreimages, PreimageStore } from '../../vm/step/preimages.js';
import { StepError, verifyStep } from '../../vm/step/execute.js';
import { stepWitness, type StepTrace } from '../../vm/step/trace.js';
import { blockStepCount, blockStepWitness } from '../../vm/step/block-steps.js';
import type { LocalContext } from '../../vm/step/boundary.js';
import { traceSourceBlockSteps, type SourceBlockSteps } from '../../vm/step/source-block-steps.js';
import { RpcClient } from '../../vm/rpc/client.js';
import { bytesToHex, hexToBytes, type Hex } from '../../vm/util/bytes.js';
import { contextOf } from '../context.js';
import { CheckFailedError, UsageError } from '../errors.js';
import { parseBigInt, parseNonNegativeInt, parseUrl } from '../options.js';
import { chainRulesFor } from './replay.js';

interface TraceOpts {
  rpc: string;
  block: bigint;
  chain: 'ethereum' | 'hyperion';
  fork?: Fork;
  disputedRoot?: string;
  step?: number;
  witness?: number;
  out?: string;
  check?: boolean;
  json?: boolean;
  checkpointDir?: string;
  checkpointEvery: number;
}

/** What the command needs of a trace, in memory or in level checkpoints. */
interface ServedTrace {
  readonly steps: number;
  readonly status: number;
  readonly outputRoot: Uint8Array;
  readonly local: LocalContext;
  commitmentAt(k: number): Promise<Uint8Array>;
  witnessAt(k: number): Promise<{ state: Uint8Array; preimages: readonly Uint8Array[] }>;
  kindAt(k: number): string | null;
  close(): Promise<void>;
}

function served(r: SourceBlockSteps): ServedTrace {
  if (r.trace !== null) {
    const t = r.trace;
    return {
      steps: blockStepCount(t),
      status: t.status,
      outputRoot: t.outputRoot,
      local: t.local,
      commitmentAt: (k) => Promise.resolve(t.commitments[k]!),
      witnessAt: (k) => Promise.resolve(blockStepWitness(t, k)),
      kindAt: (k) => t.kinds[k] ?? null,
      close: () => Promise.resolve(),
    };
  }
  const cps = r.checkpoints!;
  const sum = cps.summary;
  return {
    steps: sum.steps,
    status: sum.status,
    outputRoot: sum.outputRoot,
    local: sum.local,
    commitmentAt: (k) => cps.commitmentAt(k),
    witnessAt: async (k) => (await cps.witnessAt(k)).witness,
    kindAt: () => null,
    close: () => cps.close(),
  };
}

function localJson(l: LocalContext): Record<string, string> {
  return {
    startingOutputRoot: bytesToHex(l.startingOutputRoot),
    disputedOutputRoot: bytesToHex(l.disputedOutputRoot),
    l2BlockNumber: l.l2BlockNumber.toString(),
    startingBlockNumber: l.startingBlockNumber.toString(),
    inputsHash: bytesToHex(l.inputsHash),
  };
}

/** The local context a written proof carries (the block-start and block-end steps read it). */
export function parseLocalContext(j: Record<string, string>): LocalContext {
  return {
    startingOutputRoot: hexToBytes(j.startingOutputRoot as Hex),
    disputedOutputRoot: hexToBytes(j.disputedOutputRoot as Hex),
    l2BlockNumber: BigInt(j.l2BlockNumber!),
    startingBlockNumber: BigInt(j.startingBlockNumber!),
    inputsHash: hexToBytes(j.inputsHash as Hex),
  };
}

const STATUS_NAMES = ['valid', 'invalid', 'panic', 'unfinished'];

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description("commit to every MetisVM step of a block (block start, each transaction's begin, instructions and end, block end and its output root); print a step's commitment, write its one-step proof, or check every step")
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint (as for replay)', parseUrl)
    .requiredOption('--block <n>', 'block number', parseBigInt)
    .addOption(new Option('--chain <name>', 'chain rules').choices(['ethereum', 'hyperion']).default('ethereum'))
    .addOption(new Option('--fork <fork>', 'fork for chains without a known schedule').choices([...FORKS]))
    .option('--disputed-root <hex>', "the output root the trace's last step is checked against (default: the node's own, from its header and a message-passer proof)")
    .option('--step <k>', 'print the commitment before step k', parseNonNegativeInt)
    .option('--witness <k>', 'write the one-step proof of step k (to --out, or stdout), with the local context the boundary steps read', parseNonNegativeInt)
    .option('--out <file>', 'with --witness: the JSON file to write')
    .option('--check', 'verify every step from its one-step proof alone; ends with "N passed, N failed"')
    .option('--json', 'machine-readable output')
    .option('--checkpoint-dir <dir>', 'keep the trace as level checkpoints in DIR (bounded memory); --step and --witness are served from them')
    .option('--checkpoint-every <n>', 'steps between checkpoints', parseNonNegativeInt, 1000)
    .action(async (opts: TraceOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.block === 0n) throw new UsageError('block 0 is genesis: there is nothing to trace');
      if (opts.checkpointDir !== undefined && opts.check === true) throw new UsageError('--check needs the whole trace: leave out --checkpoint-dir');
      if (opts.checkpointEvery < 1) throw new UsageError('--checkpoint-every must be at least 1');
      if (opts.disputedRoot !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(opts.disputedRoot)) throw new UsageError('--disputed-root must be 32 bytes of hex');
      const chainId = await rpcChainId(opts.rpc);
      const anvil = await isAnvil(opts.rpc);
      const chain = anvil && opts.chain === 'ethereum' ? anvilRules(opts.fork ?? 'osaka', chainId) : chainRulesFor(opts.chain, chainId, opts.fork);
      const started = Date.now();
      const r = await traceSourceBlockSteps(createRpcReplaySource(opts.rpc), new RpcClient(opts.rpc), chain, opts.block, {
        ...(opts.disputedRoot === undefined ? {} : { disputedOutputRoot: hexToBytes(opts.disputedRoot as Hex) }),
        ...(opts.checkpointDir === undefined ? {} : { checkpoints: { path: join(opts.checkpointDir, `block-${opts.block}`), every: opts.checkpointEvery } }),
        onProgress: (steps) => log.info({ block: Number(opts.block), steps }, 'tracing'),
      });
      const t = served(r);
      const seconds = (Date.now() - started) / 1000;
      log.info({ block: Number(opts.block), steps: t.steps, seconds, stepsPerSec: Math.round(t.steps / Math.max(seconds, 1e-3)), refetches: r.refetches }, 'block traced');
      const inRange = (k: number, last: number): void => {
        if (k > last) throw new UsageError(`step ${k} is outside the block's ${t.steps} steps (0..${last})`);
      };
      try {
        if (opts.step !== undefined) {
          inRange(opts.step, t.steps);
          const c = bytesToHex(await t.commitmentAt(opts.step));
          process.stdout.write(opts.json ? JSON.stringify({ step: opts.step, commitment: c }) + '\n' : `step ${opts.step}: ${c}\n`);
          return;
        }
        if (opts.witness !== undefined) {
          inRange(opts.witness, t.steps - 1);
          const w = await t.witnessAt(opts.witness);
          const doc = {
            block: Number(opts.block),
            step: opts.witness,
            kind: t.kindAt(opts.witness),
            preCommitment: bytesToHex(await t.commitmentAt(opts.witness)),
            postCommitment: bytesToHex(await t.commitmentAt(opts.witness + 1)),
            local: localJson(t.local),
            state: bytesToHex(w.state),
            preimages: w.preimages.map(bytesToHex),
          };
          const text = JSON.stringify(doc, null, 2) + '\n';
          if (opts.out) {
            writeFileSync(opts.out, text);
            const bytes = w.state.length + w.preimages.reduce((n, p) => n + p.length, 0);
            process.stdout.write(`wrote the proof of step ${opts.witness} (${w.preimages.length} preimages, ${bytes} bytes) to ${opts.out}\n`);
          } else process.stdout.write(text);
          return;
        }
        if (opts.check) {
          let passed = 0;
          let failed = 0;
          for (let k = 0; k < t.steps; k++) {
            const pre = await t.commitmentAt(k);
            const expected = bytesToHex(await t.commitmentAt(k + 1));
            try {
              const w = await t.witnessAt(k);
              const post = bytesToHex(verifyStep(pre, w, new LayeredPreimages(PreimageStore.of(w.preimages)), t.local));
              if (post === expected) passed++;
              else {
                failed++;
                log.error({ step: k }, `post-state ${post} differs from the trace's ${expected}`);
              }
            } catch (e) {
              failed++;
              log.error({ step: k }, e instanceof StepError ? `${e.reason}: ${e.message}` : String(e));
            }
          }
          process.stdout.write(`${passed} passed, ${failed} failed\n`);
          if (failed > 0) throw new CheckFailedError(`${failed} step(s) of block ${opts.block} did not verify`);
          return;
        }
        const final = bytesToHex(await t.commitmentAt(t.steps));
        const doc = {
          block: Number(opts.block),
          steps: t.steps,
          finalCommitment: final,
          status: STATUS_NAMES[t.status],
          outputRoot: bytesToHex(t.outputRoot),
          disputedOutputRoot: bytesToHex(t.local.disputedOutputRoot),
        };
        if (opts.json) process.stdout.write(JSON.stringify(doc) + '\n');
        else {
          process.stdout.write(`block ${doc.block}: ${doc.steps} steps, final commitment ${final}\n`);
          process.stdout.write(`output root ${doc.outputRoot} ${t.status === 0 ? 'equals' : 'differs from'} the disputed ${doc.disputedOutputRoot}: ${doc.status}\n`);
        }
      } finally {
        await t.close();
      }
    });
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
