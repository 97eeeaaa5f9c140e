// The challenge-mode daemon: an L2 node of our own (derived from L1 data availability: blobs,
// calldata, EigenDA certificates through a proxy; re-executed with MetisVM in level under the
// data dir) feeds MetisVM trace providers, and the challenger plays every reachable dispute game
// with them. One tick: follow L1, then play. A DA outage stops only the following: games already
// judgeable are still played.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from 'viem';
import { DEVNET_RULES } from '../devnet/chain.js';
import { DevnetNode, type DevnetNodeObserver, type SyncResult } from '../devnet/node.js';
import { EigenDASrsError, loadSrs, type G1Srs } from '../da/eigenda/index.js';
import { metisAccessor } from '../prover/metis/trace-provider.js';
import type { L2BlockRecord, MetisChainView } from '../prover/metis/chain-view.js';
import { hexToBytes } from '../vm/util/bytes.js';
import { Challenger, type TickReport } from './challenger.js';
import type { ChallengerMetrics } from './metrics.js';

export class RollupConfigError extends Error {
  override readonly name = 'RollupConfigError';
}

/** What a watcher must know about the L2 chain to derive it from L1 (written by `devnet`). */
export interface RollupConfig {
  readonly l2ChainId: bigint;
  readonly inbox: Address;
  readonly batcher: Address;
  /** The first L1 block batches can be in. */
  readonly l1Start: bigint;
  readonly genesisTimestamp: bigint;
  readonly factory: Address;
  /** Where the chain's EigenDA certificates are served (the devnet's own proxy) and the SRS that checks them; command-line flags override. */
  readonly eigendaProxy?: readonly string[];
  readonly eigendaSrs?: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** SRS points an EigenDA blob of the largest size (16 MiB, 2^19 symbols) needs. */
const MAX_EIGENDA_SRS_POINTS = 1 << 19;

/** The EigenDA G1 SRS from a gnark-compressed file: at most what the largest blob uses (a full SRS is gigabytes). */
export async function loadEigenDASrs(path: string): Promise<G1Srs> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new EigenDASrsError(`cannot open SRS file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return loadSrs(path, Math.min(Math.floor(size / 32), MAX_EIGENDA_SRS_POINTS));
}

export function parseRollupConfig(text: string, source = 'rollup config'): RollupConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RollupConfigError(`${source} is not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new RollupConfigError(`${source} is not an object`);
  const o = doc as Record<string, unknown>;
  const address = (k: string): Address => {
    const v = o[k];
    if (typeof v !== 'string' || !ADDRESS.test(v)) throw new RollupConfigError(`${source}: ${k} must be an address`);
    return v as Address;
  };
  const int = (k: string): bigint => {
    const v = o[k];
    if ((typeof v !== 'string' && typeof v !== 'number') || !/^\d+$/.test(String(v))) throw new RollupConfigError(`${source}: ${k} must be a non-negative integer`);
    return BigInt(v);
  };
  const eigenda: Pick<RollupConfig, 'eigendaProxy' | 'eigendaSrs'> = {};
  if (o.eigendaProxy !== undefined) {
    const v = o.eigendaProxy;
    if (!Array.isArray(v) || v.length === 0 || !v.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))) {
      throw new RollupConfigError(`${source}: eigendaProxy must be a non-empty list of http(s) URLs`);
    }
    Object.assign(eigenda, { eigendaProxy: v as string[] });
  }
  if (o.eigendaSrs !== undefined) {
    if (typeof o.eigendaSrs !== 'string' || o.eigendaSrs.length === 0) throw new RollupConfigError(`${source}: eigendaSrs must be a file path`);
    Object.assign(eigenda, { eigendaSrs: o.eigendaSrs });
  }
  return {
    l2ChainId: int('l2ChainId'),
    inbox: address('inbox'),
    batcher: address('batcher'),
    l1Start: int('l1Start'),
    genesisTimestamp: int('genesisTimestamp'),
    factory: address('factory'),
    ...eigenda,
  };
}

export function formatRollupConfig(c: RollupConfig): string {
  return JSON.stringify({ ...c, l2ChainId: c.l2ChainId.toString(), l1Start: c.l1Start.toString(), genesisTimestamp: c.genesisTimestamp.toString() }, null, 2) + '\n';
}

export async function readRollupConfig(file: string): Promise<RollupConfig> {
  return parseRollupConfig(await readFile(file, 'utf8'), file);
}

/** The node's derived chain as MetisVM trace providers read it. */
export function nodeChainView(node: DevnetNode): MetisChainView {
  return {
    chain: DEVNET_RULES,
    async block(n: bigint): Promise<L2BlockRecord | null> {
      const o = await node.outputAt(n);
      if (o === null) return null;
      // The node keeps genesis as block 1's parent: it has no transactions and no L1 origin.
      const b = await node.blockAt(n === 0n ? 1n : n);
      if (b === null) return null;
      return {
        number: n,
        hash: hexToBytes(o.blockHash),
        header: n === 0n ? b.parentHeader : b.header,
        transactions: n === 0n ? [] : b.transactions,
        stateRoot: hexToBytes(o.stateRoot),
        messagePasserStorageRoot: hexToBytes(o.messagePasserStorageRoot),
        outputRoot: hexToBytes(o.outputRoot),
      };
    },
    preimage: (h) => node.preimage(h),
  };
}

/** The L2 node's reports as challenger metrics: DA fetch errors and skipped data by source, replay gas and seconds. */
export function nodeMetricsObserver(metrics: ChallengerMetrics): DevnetNodeObserver {
  return {
    daFetchFailed: (source) => metrics.daFetchErrors.inc({ source }),
    payloadSkipped: (source) => metrics.daPayloadsSkipped.inc({ source }),
    blockExecuted: (_block, gasUsed, seconds) => {
      metrics.replayGas.inc(Number(gasUsed));
      metrics.replaySeconds.inc(seconds);
    },
  };
}

/** Steps between a disputed block's trace checkpoints unless told otherwise. */
export const DEFAULT_CHECKPOINT_EVERY = 10_000;

export interface DaemonOptions {
  readonly l1RpcUrl: string;
  readonly beaconUrl?: string;
  /** EigenDA proxies and the SRS for the chain's alt-DA certificates (none: they are skipped, each logged). */
  readonly eigenda?: { readonly proxyUrls: readonly string[]; readonly srs: G1Srs };
  readonly rollup: RollupConfig;
  readonly dataDir: string;
  readonly l1: { readonly public: PublicClient; readonly wallet: WalletClient<Transport, Chain, Account> };
  readonly claimants?: readonly Address[];
  readonly gameWindowSeconds?: bigint;
  readonly allow?: readonly Address[];
  readonly maxConcurrency?: number;
  /**
   * Steps between level checkpoints of a disputed block's trace, kept in the game's data dir
   * (removed with it once the game is claimed); 0 keeps traces in memory. Default 10,000: a
   * 30 Mgas block's trace is served from a few hundred MB of disk, not held in the heap.
   */
  readonly checkpointEvery?: number;
  readonly logger: Logger;
  readonly metrics: ChallengerMetrics;
}

export interface DaemonTick {
  readonly sync: SyncResult;
  readonly play: TickReport;
}

export class ChallengeDaemon {
  private constructor(
    readonly node: DevnetNode,
    readonly challenger: Challenger,
    private readonly logger: Logger,
    private readonly metrics: ChallengerMetrics,
  ) {}

  static async open(o: DaemonOptions): Promise<ChallengeDaemon> {
    const node = await DevnetNode.open({
      l1RpcUrl: o.l1RpcUrl,
      ...(o.beaconUrl === undefined ? {} : { beaconUrl: o.beaconUrl }),
      inbox: o.rollup.inbox,
      batcher: o.rollup.batcher,
      l1Start: o.rollup.l1Start,
      dataDir: join(o.dataDir, 'l2'),
      genesisTimestamp: o.rollup.genesisTimestamp,
      logger: o.logger.child({ part: 'l2-node' }),
      ...(o.eigenda === undefined ? {} : { eigenda: o.eigenda }),
      observer: nodeMetricsObserver(o.metrics),
    });
    const view = nodeChainView(node);
    const logger = o.logger;
    try {
      const challenger = await Challenger.create({
        l1: o.l1,
        factory: o.rollup.factory,
        claimants: o.claimants ?? [],
        ...(o.gameWindowSeconds === undefined ? {} : { gameWindowSeconds: o.gameWindowSeconds }),
        ...(o.allow === undefined ? {} : { allow: o.allow }),
        ...(o.maxConcurrency === undefined ? {} : { maxConcurrency: o.maxConcurrency }),
        dataDir: join(o.dataDir, 'challenger'),
        logger: logger.child({ part: 'challenger' }),
        metrics: o.metrics,
        // A game is judged once our own chain has derived its block; until then it waits.
        accessorFor: async (game) => {
          if (node.head().number < game.params.l2BlockNumber) return null;
          const every = o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
          return metisAccessor(game.params, view, {
            ...(every > 0 ? { checkpoints: { dir: join(game.dataDir, 'traces'), every } } : {}),
            onTrace: (block, steps, ms) => {
              o.metrics.tracesBuilt.inc();
              o.metrics.traceSteps.inc(steps);
              logger.info({ game: game.address, block: Number(block), steps, ms }, 'traced the disputed block');
            },
          });
        },
      });
      return new ChallengeDaemon(node, challenger, logger, o.metrics);
    } catch (e) {
      await node.close();
      throw e;
    }
  }

  async tick(): Promise<DaemonTick> {
    const sync = await this.node.sync();
    this.metrics.l2VerifiedHead.set(Number(sync.l2Head));
    this.metrics.l2BlocksDerived.inc(sync.derived);
    this.metrics.l1Reorgs.inc(sync.reorgs);
    if (sync.derived > 0 || sync.reorgs > 0) this.logger.info({ l1Head: Number(sync.l1Head), l2Head: Number(sync.l2Head), derived: sync.derived, reorgs: sync.reorgs }, 'followed L1');
    // The node logged the failure; games on blocks already derived are still played.
    if (sync.daFailure !== null) this.logger.warn({ source: sync.daFailure.source, l1Block: Number(sync.daFailure.l1Block), l2Head: Number(sync.l2Head) }, 'L2 derivation stalled on DA: retrying next tick');
    const play = await this.challenger.tick();
    return { sync, play };
  }

  async close(): Promise<void> {
    await this.challenger.close();
    await this.node.close();
  }
}
