// `hyperion-verify watch`: the challenger daemon, in two modes. watch-only follows the L1 dispute
// game factory and checks every game's root claim against the output root of its L2 block,
// re-executed statelessly from an L2 RPC; every invalid one is an alert. challenge derives the L2
// chain from L1 alone (blobs from a beacon API, EigenDA certificates through eigenda-proxy, both
// checked) into its own MetisVM state and plays every reachable game on L1, journaling each
// transaction. Logs carry the game id; Prometheus metrics on --metrics-port.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createPublicClient, defineChain, http, type Address, type Chain } from 'viem';
import { foundry } from 'viem/chains';
import type { Logger } from 'pino';
import { FORKS, type Fork } from '../../vm/chain/forks.js';
import { anvilRules } from '../../vm/chain/chain.js';
import { RpcClient } from '../../vm/rpc/client.js';
import { createRpcReplaySource, isAnvil, rpcChainId } from '../../vm/replay/rpc-source.js';
import { L1Factory } from '../../prover/l1/factory.js';
import { Watcher } from '../../challenger/watcher.js';
import { challengerMetrics, serveMetrics, watcherMetrics } from '../../challenger/metrics.js';
import { ChallengeDaemon, DEFAULT_CHECKPOINT_EVERY, RollupConfigError, loadEigenDASrs, readRollupConfig, type RollupConfig } from '../../challenger/daemon.js';
import { EigenDASrsError, type G1Srs } from '../../da/eigenda/index.js';
import { l1Clients } from '../../contracts/deploy.js';
import { PRIVATE_KEY_ENV, resolvePrivateKey } from './game.js';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { parseAddress, parseNonNegativeInt, parseUrl } from '../options.js';
import { chainRulesFor } from './replay.js';

interface WatchOpts {
  l1Rpc: string;
  l2Rpc?: string;
  factory?: Address;
  beacon?: string;
  eigendaProxy?: string[];
  eigendaSrs?: string;
  rollupConfig?: string;
  dataDir?: string;
  privateKey?: string;
  keystore?: string;
  passwordEnv?: string;
  claimants?: string;
  mode: 'watch-only' | 'challenge';
  chain: 'ethereum' | 'hyperion';
  fork?: Fork;
  metricsPort?: number;
  pollInterval: number;
  gameWindow?: number;
  allow?: string;
  maxConcurrency: number;
  checkpointEvery: number;
  once?: boolean;
}

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('the challenger daemon: follow the dispute game factory and check every root claim against a re-executed output root')
    .requiredOption('--l1-rpc <url>', 'L1 JSON-RPC', parseUrl)
    .option('--l2-rpc <url>', 'watch-only: L2 JSON-RPC the blocks and their pre-state witnesses come from (every proof is checked)', parseUrl)
    .option('--factory <addr>', 'DisputeGameFactory address (challenge: default from --rollup-config)', parseAddress)
    .addOption(new Option('--mode <mode>', 'watch-only: alerts, no transactions; challenge: derive L2 from L1, play every reachable game').choices(['watch-only', 'challenge']).default('watch-only'))
    .option('--rollup-config <file>', 'challenge: the L2 chain (inbox, batcher, first L1 block, genesis time, factory), as `devnet` writes it')
    .option('--beacon <url>', 'challenge: beacon API for blobs (default: the L1 RPC, as anvil serves it)', parseUrl)
    .option('--eigenda-proxy <urls>', 'challenge: eigenda-proxy URL(s), comma-separated, for alt-DA certificates (default: from --rollup-config)', parseUrlList)
    .option('--eigenda-srs <path>', 'challenge: EigenDA G1 SRS file (gnark-compressed points) the certificates are checked with (default: from --rollup-config)')
    .option('--data-dir <dir>', 'challenge: the L2 state, the transaction journal and per-game data (restart-safe)')
    .option('--private-key <hex>', `challenge: signing key (prefer ${PRIVATE_KEY_ENV} or --keystore)`)
    .option('--keystore <file>', 'challenge: V3 keystore with the signing key')
    .option('--password-env <var>', 'challenge: environment variable holding the keystore password')
    .option('--claimants <addrs>', 'challenge: also claim credit for these addresses (comma-separated)')
    .addOption(new Option('--chain <name>', 'L2 chain rules').choices(['ethereum', 'hyperion']).default('hyperion'))
    .addOption(new Option('--fork <fork>', 'L2 fork').choices([...FORKS]))
    .option('--metrics-port <p>', 'serve Prometheus metrics on 127.0.0.1:P/metrics', parseNonNegativeInt)
    .option('--poll-interval <ms>', 'milliseconds between passes', parseNonNegativeInt, 4000)
    .option('--game-window <hours>', 'only games created in the last N hours', parseNonNegativeInt)
    .option('--allow <addrs>', 'only these games (comma-separated addresses)')
    .option('--max-concurrency <n>', 'L2 blocks re-executed at once', parseNonNegativeInt, 2)
    .option('--checkpoint-every <n>', 'challenge: steps between level checkpoints of a disputed block\'s trace under the game\'s data dir (0: traces in memory)', parseNonNegativeInt, DEFAULT_CHECKPOINT_EVERY)
    .option('--once', 'one pass, then exit (non-zero when any root claim is invalid)')
    .action(async (opts: WatchOpts, cmd: Command) => {
      const { log } = contextOf(cmd);
      if (opts.mode === 'challenge') return runChallenge(opts, log);
      if (opts.l2Rpc === undefined || opts.factory === undefined) throw new UsageError('--mode watch-only needs --l2-rpc and --factory');
      if (opts.eigendaProxy !== undefined || opts.eigendaSrs !== undefined) throw new UsageError('--eigenda-proxy and --eigenda-srs apply to --mode challenge only (watch-only reads blocks from --l2-rpc)');
      const l2Rpc = opts.l2Rpc;
      const chainId = await rpcChainId(l2Rpc);
      const anvil = await isAnvil(l2Rpc);
      const chain = anvil && opts.chain === 'ethereum' ? anvilRules(opts.fork ?? 'prague', chainId) : chainRulesFor(opts.chain, chainId, opts.fork);
      const l1 = createPublicClient({ transport: http(opts.l1Rpc, { timeout: 60_000 }) });
      const metrics = watcherMetrics();
      const allow = opts.allow === undefined ? undefined : new Set(opts.allow.split(',').map((a) => parseAddress(a.trim()).toLowerCase()));
      const watcher = new Watcher({
        factory: new L1Factory({ public: l1 }, opts.factory),
        l1,
        l2Source: createRpcReplaySource(l2Rpc),
        l2Rpc: new RpcClient(l2Rpc),
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
      let invalid = 0;
      try {
        await passes(opts.once === true, () => watcher.nextDelayMs(opts.pollInterval), async () => {
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
        });
      } finally {
        server?.server.close();
      }
      if (opts.once === true && invalid > 0) process.exitCode = 1;
      log.info({ checked: watcher.checked.size, invalidOrUnverifiable: invalid }, 'watch stopped');
    });
}

function parseUrlList(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (urls.length === 0) throw new InvalidArgumentError('no URL given');
  return urls.map(parseUrl);
}

/** The EigenDA proxies and SRS: flags first, then the rollup config; a proxy without an SRS could verify nothing. */
async function eigendaOf(opts: WatchOpts, rollup: RollupConfig): Promise<{ proxyUrls: readonly string[]; srs: G1Srs } | undefined> {
  const proxyUrls = opts.eigendaProxy ?? rollup.eigendaProxy;
  const srsPath = opts.eigendaSrs ?? rollup.eigendaSrs;
  if (proxyUrls === undefined && srsPath === undefined) return undefined;
  if (proxyUrls === undefined) throw new UsageError('--eigenda-srs needs --eigenda-proxy (or eigendaProxy in --rollup-config)');
  if (srsPath === undefined) throw new UsageError('--eigenda-proxy needs --eigenda-srs PATH: EigenDA certificates are checked against their KZG commitment');
  try {
    return { proxyUrls, srs: await loadEigenDASrs(srsPath) };
  } catch (e) {
    if (e instanceof EigenDASrsError) throw new UsageError(`--eigenda-srs: ${e.message}`);
    throw e;
  }
}

function parseAddressList(list: string | undefined): Address[] | undefined {
  return list === undefined ? undefined : list.split(',').map((a) => parseAddress(a.trim()));
}

/** The L1 chain for signing: anvil's, or one named by its chain id. */
async function l1ChainOf(url: string): Promise<Chain> {
  const id = Number(await rpcChainId(url));
  if (id === foundry.id) return foundry;
  return defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [url] } } });
}

/** --mode challenge: our own L2 node from L1 data, MetisVM traces, every reachable game played. */
async function runChallenge(opts: WatchOpts, log: Logger): Promise<void> {
  if (opts.rollupConfig === undefined) throw new UsageError('--mode challenge needs --rollup-config FILE (the devnet writes one)');
  if (opts.dataDir === undefined) throw new UsageError('--mode challenge needs --data-dir DIR (state, journal and games live there)');
  let rollup: RollupConfig;
  try {
    rollup = await readRollupConfig(opts.rollupConfig);
  } catch (e) {
    if (e instanceof RollupConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--rollup-config: ${(e as Error).message}`);
    throw e;
  }
  if (opts.factory !== undefined) rollup = { ...rollup, factory: opts.factory };
  const eigenda = await eigendaOf(opts, rollup);
  const key = resolvePrivateKey(opts);
  const clients = l1Clients(opts.l1Rpc, key, { chain: await l1ChainOf(opts.l1Rpc), pollingIntervalMs: 500 });
  const metrics = challengerMetrics();
  const claimants = parseAddressList(opts.claimants);
  const allow = parseAddressList(opts.allow);
  const daemon = await ChallengeDaemon.open({
    l1RpcUrl: opts.l1Rpc,
    ...(opts.beacon === undefined ? {} : { beaconUrl: opts.beacon }),
    ...(eigenda === undefined ? {} : { eigenda }),
    rollup,
    dataDir: opts.dataDir,
    l1: clients,
    ...(claimants === undefined ? {} : { claimants }),
    ...(allow === undefined ? {} : { allow }),
    ...(opts.gameWindow === undefined ? {} : { gameWindowSeconds: BigInt(opts.gameWindow) * 3600n }),
    maxConcurrency: Math.max(1, opts.maxConcurrency),
    checkpointEvery: opts.checkpointEvery,
    logger: log,
    metrics,
  });
  let server: Awaited<ReturnType<typeof serveMetrics>> | null = null;
  if (opts.metricsPort !== undefined) {
    server = await serveMetrics(metrics.registry, opts.metricsPort);
    log.info({ url: server.url }, 'metrics served');
  }
  log.info({ factory: rollup.factory, sender: clients.wallet.account.address, dataDir: opts.dataDir, eigendaProxy: eigenda?.proxyUrls }, 'challenging');
  let failures = 0;
  try {
    await passes(opts.once === true, () => Math.min(opts.pollInterval * 2 ** Math.min(failures, 6), 300_000), async () => {
      try {
        const { play } = await daemon.tick();
        failures = 0;
        for (const g of play.games) {
          if (g.sent.length > 0 || g.done) process.stdout.write(JSON.stringify({ game: g.address, status: g.status, sent: g.sent, done: g.done }) + '\n');
        }
      } catch (e) {
        failures++;
        log.warn({ err: e instanceof Error ? e.message : String(e), failures }, 'challenge pass failed: retrying with backoff');
      }
    });
  } finally {
    server?.server.close();
    await daemon.close();
  }
  log.info('challenger stopped');
}

/** Runs `pass` until SIGINT or SIGTERM (or once), waiting `delayMs()` between passes. */
async function passes(once: boolean, delayMs: () => number, pass: () => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      await pass();
      if (once || stop.signal.aborted) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, delayMs());
        stop.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
      if (stop.signal.aborted) return;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
