// `hyperion-verify replay`: re-execute blocks from any JSON-RPC node, trusting
// only the parent state root, and report verified or the first mismatch.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { Piscina } from 'piscina';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { ETHEREUM_MAINNET, anvilRules, ethereumRules, hyperionRules, type ChainRules } from '../../vm/chain/chain.js';
import { replayBlock, type BlockVerdict } from '../../vm/replay/replay.js';
import { createRpcReplaySource, isAnvil, rpcChainId } from '../../vm/replay/rpc-source.js';
import type { ReplayTask } from '../../vm/replay/worker.js';
import { parseBigInt, parseNonNegativeInt, parseUrl } from '../options.js';
import { contextOf } from '../context.js';
import { CheckFailedError, UsageError } from '../errors.js';

interface ReplayOpts {
  rpc: string;
  block: bigint;
  to?: bigint;
  jobs: number;
  chain: 'ethereum' | 'hyperion';
  fork?: Fork;
  report?: string;
  json?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('re-execute blocks statelessly from a JSON-RPC node and check them against their headers')
    .requiredOption('--rpc <url>', 'JSON-RPC endpoint (debug_executionWitness, or prestateTracer + eth_getProof)', parseUrl)
    .requiredOption('--block <n>', 'first block to replay', parseBigInt)
    .option('--to <n>', 'last block to replay (inclusive; default: --block)', parseBigInt)
    .addOption(new Option('--jobs <k>', 'worker threads').argParser(parseNonNegativeInt).default(1))
    .addOption(new Option('--chain <name>', 'chain rules').choices(['ethereum', 'hyperion']).default('ethereum'))
    .addOption(new Option('--fork <fork>', 'fork for chains without a known schedule (default osaka; prague on hyperion)').choices([...FORKS]))
    .option('--report <file>', 'write {"blocks":[{"number","verified","mismatch"}]} as JSON')
    .option('--json', 'print one JSON line per block')
    .action(async (opts: ReplayOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      const from = opts.block;
      const to = opts.to ?? opts.block;
      if (to < from) throw new UsageError(`--to ${to} is before --block ${from}`);
      if (from === 0n) throw new UsageError('block 0 is genesis: start at 1 or later');
      if (opts.jobs < 1) throw new UsageError('--jobs must be at least 1');
      const chainId = await rpcChainId(opts.rpc);
      const anvil = await isAnvil(opts.rpc);
      const chain = anvil && opts.chain === 'ethereum' ? anvilRules(opts.fork ?? 'osaka', chainId) : chainRulesFor(opts.chain, chainId, opts.fork);
      // anvil mines blocks with equal timestamps and a fixed first base fee, and keeps zero leaves in its trie.
      const replayOptions = anvil ? { checkParent: false } : {};
      if (anvil) log.warn('the node is anvil: header-vs-parent checks are off and its trie representation of zeros is followed');
      log.info({ rpc: opts.rpc, chain: chain.name, chainId: chainId.toString(), from: from.toString(), to: to.toString(), jobs: opts.jobs }, 'replay starting');

      const numbers: bigint[] = [];
      for (let n = from; n <= to; n++) numbers.push(n);
      const verdicts = new Map<bigint, BlockVerdict>();
      let done = 0;
      let gas = 0n;
      let execMs = 0;
      const started = Date.now();
      const onVerdict = (v: BlockVerdict): void => {
        verdicts.set(v.number, v);
        done++;
        gas += v.gasUsed;
        execMs += v.executionMs;
        const mgas = v.executionMs > 0 ? Number(v.gasUsed) / 1e3 / v.executionMs : 0;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ number: Number(v.number), verified: v.verified, mismatch: v.mismatch, gasUsed: Number(v.gasUsed), txs: v.transactions, mgasPerSec: Number(mgas.toFixed(2)) }) + '\n');
        } else {
          process.stdout.write(`block ${v.number}: ${v.verified ? 'verified' : `MISMATCH ${v.mismatch}`} (${v.transactions} txs, ${v.gasUsed} gas, ${mgas.toFixed(1)} Mgas/s)\n`);
        }
        for (const w of v.warnings) log.warn({ block: Number(v.number) }, w);
        if (numbers.length > 1 && (done % 10 === 0 || done === numbers.length)) {
          log.info({ done, of: numbers.length, seconds: (Date.now() - started) / 1000 }, 'replay progress');
        }
      };

      if (opts.jobs === 1) {
        const source = createRpcReplaySource(opts.rpc);
        for (const n of numbers) onVerdict(await replayBlock(source, chain, n, replayOptions));
      } else {
        const pool = new Piscina({
          filename: fileURLToPath(new URL('../../vm/replay/worker.js', import.meta.url)),
          maxThreads: opts.jobs,
          minThreads: opts.jobs,
        });
        try {
          await Promise.all(
            numbers.map(async (n) => {
              const task: ReplayTask = { rpcUrl: opts.rpc, chain, number: n, options: replayOptions };
              onVerdict((await pool.run(task)) as BlockVerdict);
            }),
          );
        } finally {
          await pool.destroy();
        }
      }

      const ordered = numbers.map((n) => verdicts.get(n)!);
      const failed = ordered.filter((v) => !v.verified);
      if (opts.report) {
        const report = { blocks: ordered.map((v) => ({ number: Number(v.number), verified: v.verified, mismatch: v.mismatch })) };
        writeFileSync(opts.report, JSON.stringify(report, null, 2) + '\n');
      }
      const mgas = execMs > 0 ? Number(gas) / 1e3 / execMs : 0;
      log.info({ blocks: ordered.length, verified: ordered.length - failed.length, failed: failed.length, gas: gas.toString(), mgasPerSec: Number(mgas.toFixed(2)) }, 'replay done');
      process.stdout.write(`${ordered.length - failed.length} verified, ${failed.length} failed (${mgas.toFixed(1)} Mgas/s execution)\n`);
      if (failed.length > 0) throw new CheckFailedError(`${failed.length} block(s) did not verify; first: block ${failed[0]!.number}: ${failed[0]!.mismatch}`);
    });
}

export function chainRulesFor(name: 'ethereum' | 'hyperion', chainId: bigint, fork: Fork | undefined): ChainRules {
  if (name === 'hyperion') return hyperionRules(chainId, fork ?? 'prague');
  if (chainId === 1n && fork === undefined) return ETHEREUM_MAINNET;
  return ethereumRules(fork ?? 'osaka', chainId);
}
