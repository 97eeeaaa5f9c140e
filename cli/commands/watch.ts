// `hyperion-verify watch`: the challenger daemon. Today its watch-only mode: follow the L1 dispute
// game factory and check every game's root claim against the output root of its L2 block,
// re-executed statelessly here; alert on every invalid one. Logs carry the game id; Prometheus
// metrics on --metrics-port.
import { Option, type Command } from 'commander';
import { createPublicClient, http, type Address } from 'viem';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { RpcClient } from '../../vm/rpc/client.js';
import { createRpcReplaySource, isAnvil, rpcChainId } from '../../vm/replay/rpc-source.js';
import { L1Factory } from '../../prover/l1/factory.js';
import { Watcher } from '../../challenger/watcher.js';
import { serveMetrics, watcherMetrics } from '../../challenger/metrics.js';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { parseAddress, parseNonNegativeInt, parseUrl } from '../options.js';
import { chainRulesFor } from './replay.js';

interface WatchOpts {
  l1Rpc: string;
  l2Rpc: string;
  factory: Address;
  mode: 'watch-only' | 'challenge';
  chain: 'ethereum' | 'hyperion';
  fork?: Fork;
  metricsPort?: number;
  pollInterval: number;
  gameWindow?: number;
  allow?: string;
  maxConcurrency: number;
  once?: boolean;
}

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('the challenger daemon: follow the dispute game factory and check every root claim against a re-executed output root')
    .requiredOption('--l1-rpc <url>', 'L1 JSON-RPC', parseUrl)
    .requiredOption('--l2-rpc <url>', 'L2 JSON-RPC the blocks and their pre-state witnesses come from (every proof is checked)', parseUrl)
    .requiredOption('--factory <addr>', 'DisputeGameFactory address', parseAddress)
    .addOption(new Option('--mode <mode>', 'watch-only: alerts, no transactions').choices(['watch-only', 'challenge']).default('watch-only'))
    .addOption(new Option('--chain <name>', 'L2 chain rules').choices(['ethereum', 'hyperion']).default('hyperion'))
    .addOption(new Option('--fork <fork>', 'L2 fork').choices([...FORKS]))
    .option('--metrics-port <p>', 'serve Prometheus metrics on 127.0.0.1:P/metrics', parseNonNegativeInt)
    .option('--poll-interval <ms>', 'milliseconds between passes', parseNonNegativeInt, 4000)
    .option('--game-window <hours>', 'only games created in the last N hours', parseNonNegativeInt)
    .option('--allow <addrs>', 'only these games (comma-separated addresses)')
    .option('--max-concurrency <n>', 'L2 blocks re-executed at once', parseNonNegativeInt, 2)
    .option('--once', 'one pass, then exit (non-zero when any root claim is invalid)')
    .action(async (opts: WatchOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.mode !== 'watch-only') {
        throw new UsageError('--mode challenge is not available yet: it needs transaction-boundary steps on L1 (see prover/DESIGN.md); use --mode watch-only');
      }
      const chainId = await rpcChainId(opts.l2Rpc);
      const anvil = await isAnvil(opts.l2Rpc);
      const chain = anvil && opts.chain === 'ethereum' ? anvilRules(opts.fork ?? 'prague', chainId) : chainRulesFor(opts.chain, chainId, opts.fork);
      const l1 = createPublicClient({ transport: http(opts.l1Rpc, { timeout: 60_000 }) });
      const metrics = watcherMetrics();
      const allow = opts.allow === undefined ? undefined : new Set(opts.allow.split(',').map((a) => parseAddress(a.trim()).toLowerCase()));
      const watcher = new Watcher({
        factory: new L1Factory({ public: l1 }, opts.factory),
        l1,
        l2Source: createRpcReplaySource(opts.l2Rpc),
        l2Rpc: new RpcClient(opts.l2Rpc),
        chain,
        replayOptions: anvil ? { checkParent: false } : {},
        log,
        metrics,
        ...(opts.gameWindow === undefined ? {} : { gameWindowSeconds: BigInt(opts.gameWindow) * 3600n }),
        ...(allow === undefined ? {} : { allow }),
        maxConcurrency: Math.max(1, opts.maxConcurrency),
      });
      let server: Awaited<ReturnType<typeof serveMetrics>> | null = null;
      if (opts.metricsPort !== undefined) {
        server = await serveMetrics(metrics.registry, opts.metricsPort);
        log.info({ url: server.url }, 'metrics served');
      }
      log.info({ factory: opts.factory, chain: chain.name, chainId: Number(chainId), mode: opts.mode }, 'watching');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let invalid = 0;
      try {
        for (;;) {
          try {
            const verdicts = await watcher.tick();
            invalid += verdicts.filter((v) => v.verdict !== 'valid').length;
            for (const v of verdicts) {
              process.stdout.write(JSON.stringify({ game: v.game, index: v.index, l2Block: Number(v.l2BlockNumber), rootClaim: v.rootClaim, verdict: v.verdict, expected: v.expected, reason: v.reason }) + '\n');
            }
          } catch (e) {
            metrics.errors.inc({ kind: e instanceof Error ? e.name : 'unknown' });
            log.warn({ err: e instanceof Error ? e.message : String(e) }, 'watch pass failed: retrying with backoff');
          }
          if (opts.once === true || stop.signal.aborted) break;
          await new Promise<void>((r) => {
            const t = setTimeout(r, watcher.nextDelayMs(opts.pollInterval));
            stop.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
          });
          if (stop.signal.aborted) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        server?.server.close();
      }
      if (opts.once === true && invalid > 0) process.exitCode = 1;
      log.info({ checked: watcher.checked.size, invalidOrUnverifiable: invalid }, 'watch stopped');
    });
}
