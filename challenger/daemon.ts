// The challenge-mode daemon: an L2 node of our own (derived from L1 data availability: blobs,
// calldata, EigenDA certificates through a proxy; re-executed with MetisVM in level under the
// data dir) feeds MetisVM trace providers, and the challenger plays every reachable dispute game
// with them. One tick: follow L1, then play. A DA outage stops only the following: games already
// judgeable are still played.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem';
import { decodeModel, modelId, type IntModel } from '../ai/model.js';
import { InferenceGameContract, InferenceGameRevert, inferenceRevertFromData, InferenceSettler, type InferenceTransact, type SettleTick } from '../prover/inference/index.js';
import type { ChainRules } from '../vm/chain/chain.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { TxRevertedError } from './txmgr.js';
import { DEVNET_RULES } from '../devnet/chain.js';
import { DevnetNode, type DevnetNodeObserver, type SyncResult } from '../devnet/node.js';
import { EigenDASrsError, loadSrs, type G1Srs } from '../da/eigenda/index.js';
import { judgeInputs, metisAccessor } from '../prover/metis/trace-provider.js';
import type { L2BlockRecord, MetisChainView } from '../prover/metis/chain-view.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { committedInputsHash } from '../prover/l1/inputs-inbox.js';
import { Challenger, type ChallengerGame, type TickReport } from './challenger.js';
import type { GameView } from '../prover/game/types.js';
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
  /**
   * The chain's inference precompile (ai/DESIGN.md): the L1 InferenceGame that settles its
   * outputs and the model files of its model store (relative paths: from the config file's
   * directory). Without it the chain has no inference precompile.
   */
  readonly inference?: RollupInference;
  /** The BlockInputsInbox the chain's batcher commits block inputs to: each derived block is checked against it. */
  readonly inputsInbox?: Address;
}

export interface RollupInference {
  readonly game: Address;
  readonly models: readonly string[];
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
  let inference: Pick<RollupConfig, 'inference'> = {};
  if (o.inference !== undefined) {
    const v = o.inference as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null) throw new RollupConfigError(`${source}: inference must be an object { game, models }`);
    if (typeof v.game !== 'string' || !ADDRESS.test(v.game)) throw new RollupConfigError(`${source}: inference.game must be an address`);
    if (!Array.isArray(v.models) || v.models.length === 0 || !v.models.every((m) => typeof m === 'string' && m.length > 0)) {
      throw new RollupConfigError(`${source}: inference.models must be a non-empty list of model file paths`);
    }
    inference = { inference: { game: v.game as Address, models: v.models as string[] } };
  }
  const inputsInbox: Pick<RollupConfig, 'inputsInbox'> = o.inputsInbox === undefined ? {} : { inputsInbox: address('inputsInbox') };
  return {
    l2ChainId: int('l2ChainId'),
    inbox: address('inbox'),
    batcher: address('batcher'),
    l1Start: int('l1Start'),
    genesisTimestamp: int('genesisTimestamp'),
    factory: address('factory'),
    ...eigenda,
    ...inference,
    ...inputsInbox,
  };
}

export function formatRollupConfig(c: RollupConfig): string {
  return JSON.stringify({ ...c, l2ChainId: c.l2ChainId.toString(), l1Start: c.l1Start.toString(), genesisTimestamp: c.genesisTimestamp.toString() }, null, 2) + '\n';
}

export async function readRollupConfig(file: string): Promise<RollupConfig> {
  const c = parseRollupConfig(await readFile(file, 'utf8'), file);
  if (c.inference === undefined) return c;
  return { ...c, inference: { ...c.inference, models: c.inference.models.map((m) => resolve(dirname(file), m)) } };
}

/** The chain's rules for a rollup config: the devnet's, with the inference precompile and its model store when configured. */
export async function rollupChain(rollup: RollupConfig): Promise<{ chain: ChainRules; models: ReadonlyMap<Hex, IntModel> }> {
  const models = new Map<Hex, IntModel>();
  if (rollup.inference === undefined) return { chain: DEVNET_RULES, models };
  for (const path of rollup.inference.models) {
    let model: IntModel;
    try {
      model = decodeModel(new Uint8Array(await readFile(path)));
    } catch (e) {
      throw new RollupConfigError(`inference model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    models.set(bytesToHex(modelId(model)), model);
  }
  return { chain: { ...DEVNET_RULES, inference: { address: INFERENCE_PRECOMPILE, models } }, models };
}

/** The node's derived chain as MetisVM trace providers read it. */
export function nodeChainView(node: DevnetNode): MetisChainView {
  return {
    chain: node.chain,
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
  /** The inference game's tick: null when the chain has no inference precompile or the tick failed (logged, retried). */
  readonly settle: SettleTick | null;
}

/** The journal key of an inference game call: by its calldata (a withdrawal, which repeats, by the L1 block it was sent at). */
export function inferencePurpose(game: Address, fn: string, data: Hex, l1Block: bigint): string {
  const what = fn === 'withdraw' ? `at-${l1Block}` : bytesToHex(keccak256(hexToBytes(data)));
  return `inference:${game.toLowerCase()}:${fn}:${what}`;
}

function mergeSettle(a: SettleTick | null, b: SettleTick | null): SettleTick | null {
  if (a === null || b === null) return b ?? a;
  return { states: b.states, sent: a.sent + b.sent, refused: [...a.refused, ...b.refused], withdrawn: a.withdrawn + b.withdrawn };
}

/** Blocks below the head whose inference calls a daemon watches from the start (earlier ones are taken as settled). */
export const WATCH_BACK_BLOCKS = 256n;

export class ChallengeDaemon {
  private readonly inferenceStates = new Map<string, string>();
  /** The newest block whose inference calls are watched. */
  private watchedTo: bigint;
  /** The newest derived block checked against its L1 inputs commitment. */
  private inputsCheckedTo: bigint;

  private constructor(
    readonly node: DevnetNode,
    readonly challenger: Challenger,
    /** Settles the inference calls of contested blocks on the L1 inference game (null: the chain has none). */
    readonly settler: InferenceSettler | null,
    private readonly logger: Logger,
    private readonly metrics: ChallengerMetrics,
    private readonly models: ReadonlyMap<Hex, IntModel>,
    /** Where the chain's block inputs are committed on L1 (null: not checked). */
    private readonly inputs: { readonly inbox: Address; readonly l1: PublicClient; readonly view: MetisChainView } | null,
  ) {
    const head = node.head().number;
    this.watchedTo = head > WATCH_BACK_BLOCKS ? head - WATCH_BACK_BLOCKS : 0n;
    this.inputsCheckedTo = this.watchedTo;
  }

  static async open(o: DaemonOptions): Promise<ChallengeDaemon> {
    const { chain, models } = await rollupChain(o.rollup);
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
      chain,
    });
    const view = nodeChainView(node);
    const logger = o.logger;
    let settler: InferenceSettler | null = null;
    // Games whose inferences are being settled: a step at an inference call is provable only
    // once its output is final on L1, so they are settled as soon as the game is contested.
    const contested = new Set<string>();
    const onGame = async (game: ChallengerGame, gameView: GameView): Promise<void> => {
      const key = game.address.toLowerCase();
      if (settler === null || contested.has(key)) return;
      const { startingBlockNumber, l2BlockNumber } = gameView.params;
      if (node.head().number < l2BlockNumber) return;
      const ours = await node.outputAt(l2BlockNumber);
      const root = gameView.claims[0]?.value.toLowerCase();
      if (gameView.claims.length < 2 && ours !== null && ours.outputRoot.toLowerCase() === root) return;
      contested.add(key);
      let calls = 0;
      for (let n = startingBlockNumber + 1n; n <= l2BlockNumber; n++) {
        for (const c of (await node.blockAt(n))?.inferences ?? []) {
          const model = models.get(c.model);
          // The node ran it with this store: a model missing here means the store changed under it.
          if (model === undefined) throw new RollupConfigError(`block ${n} ran model ${c.model}, which is not in the configured model store`);
          settler.need(model, c.input);
          calls++;
        }
      }
      if (calls > 0) logger.info({ game: game.address, from: Number(startingBlockNumber + 1n), to: Number(l2BlockNumber), calls }, 'settling the inference calls of a contested game on the L1 inference game');
    };
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
        onGame,
        // A game is judged once our own chain has derived its block; until then it waits.
        accessorFor: async (game) => {
          if (node.head().number < game.params.l2BlockNumber) return null;
          const every = o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
          // Block starts are judged on the inputs the game's L1 inbox holds, as its verifier reads them.
          const contract = new L1GameContract({ public: o.l1.public }, game.address);
          return metisAccessor(game.params, view, {
            committedInputs: (block) => contract.committedInputs(block),
            ...(every > 0 ? { checkpoints: { dir: join(game.dataDir, 'traces'), every } } : {}),
            onTrace: (block, steps, ms) => {
              o.metrics.tracesBuilt.inc();
              o.metrics.traceSteps.inc(steps);
              logger.info({ game: game.address, block: Number(block), steps, ms }, 'traced the disputed block');
            },
          });
        },
      });
      const inference = o.rollup.inference;
      if (inference !== undefined) {
        const log = logger.child({ part: 'inference' });
        // Through the challenger's transaction manager: one owner of the key's nonce, every call journaled.
        const transact: InferenceTransact = async ({ call, to, data, value, gas }) => {
          const purpose = inferencePurpose(inference.game, call.fn, data, await o.l1.public.getBlockNumber());
          try {
            const receipt = await challenger.txmgr.send({ purpose, to, data, value, gas, decodeRevert: inferenceRevertFromData, logger: log });
            o.metrics.inferenceCalls.inc();
            return receipt;
          } catch (e) {
            if (e instanceof TxRevertedError) throw e.revert instanceof InferenceGameRevert ? e.revert : new InferenceGameRevert('RevertedOnChain', [], e.message);
            throw e;
          }
        };
        settler = new InferenceSettler(new InferenceGameContract({ public: o.l1.public, wallet: o.l1.wallet, transact }, inference.game));
        logger.info({ inferenceGame: inference.game, models: [...models.keys()] }, 'inference precompile enabled: contested games have their inferences settled on L1');
      }
      const inputs = o.rollup.inputsInbox === undefined ? null : { inbox: o.rollup.inputsInbox, l1: o.l1.public, view };
      return new ChallengeDaemon(node, challenger, settler, logger, o.metrics, models, inputs);
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
    await this.checkInputs();
    // Before the games: a step at an inference call needs its output final on L1.
    await this.watchInferences();
    let settle = await this.settleInferences();
    const settling = this.settler?.keys.length ?? 0;
    const play = await this.challenger.tick();
    // A game contested this tick: its inferences are claimed or challenged now, not a tick later.
    if ((this.settler?.keys.length ?? 0) > settling) settle = mergeSettle(settle, await this.settleInferences());
    return { sync, play, settle };
  }

  /**
   * Each block derived since the last check against the inputs hash the batcher committed on L1:
   * the games judge blocks on L1's commitment, so a difference is logged as an error (a block not
   * committed yet is checked again next tick).
   */
  private async checkInputs(): Promise<void> {
    const w = this.inputs;
    if (w === null) return;
    const head = this.node.head().number;
    if (head < this.inputsCheckedTo) this.inputsCheckedTo = head; // an L1 reorg took blocks away
    try {
      for (let n = this.inputsCheckedTo + 1n; n <= head; n++) {
        // Each block once: no verdict cache (the games' accessors keep their own).
        const verdict = await judgeInputs(w.view, n, committedInputsHash(w.l1, w.inbox, n));
        if (verdict.kind === 'none') break;
        if (verdict.kind === 'other') {
          this.metrics.inputsMismatches.inc();
          this.logger.error({ l2Block: Number(n), committed: bytesToHex(verdict.committed), derived: bytesToHex(verdict.ours) }, 'L1 commits other inputs for this block than the block derived from its data: games over it are judged on L1\'s');
        }
        this.inputsCheckedTo = n;
        this.metrics.inputsCheckedHead.set(Number(n));
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.metrics.errors.inc({ kind: err.name });
      this.logger.warn({ err: err.message }, 'checking block inputs against L1 failed: retried next tick');
    }
  }

  /** Every inference call of the blocks derived since the last tick: no wrong output of one may become final. */
  private async watchInferences(): Promise<void> {
    const settler = this.settler;
    if (settler === null) return;
    const head = this.node.head().number;
    if (head < this.watchedTo) this.watchedTo = head; // an L1 reorg took blocks away
    for (let n = this.watchedTo + 1n; n <= head; n++) {
      for (const c of await this.node.inferencesAt(n)) {
        const model = this.models.get(c.model);
        if (model !== undefined) settler.watch(model, c.input);
      }
      this.watchedTo = n;
    }
  }

  private async settleInferences(): Promise<SettleTick | null> {
    if (this.settler === null) return null;
    let t: SettleTick;
    try {
      t = await this.settler.tick();
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.metrics.errors.inc({ kind: err.name });
      this.logger.warn({ err: err.message }, 'inference game tick failed: retried next tick');
      return null;
    }
    let pending = 0;
    for (const [key, state] of t.states) {
      if (state === 'pending') pending++;
      if (this.inferenceStates.get(key) === state) continue;
      this.inferenceStates.set(key, state);
      const [model, input] = key.split(':');
      if (state === 'final') {
        this.metrics.inferencesSettled.inc();
        this.logger.info({ model, inputHash: input }, 'inference settled: its right output is final on L1');
      } else if (state === 'lost') {
        this.metrics.inferencesLost.inc();
        this.logger.error({ model, inputHash: input }, 'inference lost: another output became final on L1 (a window was missed); a step at this call cannot be won');
      }
    }
    this.metrics.inferencesPending.set(pending);
    for (const r of t.refused) this.logger.info({ inference: r.key, error: r.error }, 'the inference game refused a call (someone was faster or a window closed): recomputed next tick');
    if (t.withdrawn > 0n) this.logger.info({ wei: String(t.withdrawn) }, 'inference game credit withdrawn');
    return t;
  }

  async close(): Promise<void> {
    await this.challenger.close();
    await this.node.close();
  }
}
