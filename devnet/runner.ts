// The whole devnet on one machine, in rounds: anvil (Prague) as L1 with the dispute system; the
// sequencer builds L2 blocks of the generated load; the batcher posts each round's blocks as one
// channel (in blobs, or through EigenDA with the certificates as calldata); the proposer creates a game every K blocks (honest roots, or some lies from a
// faulty proposer); the caller's watcher (the honest challenger, a dishonest actor…) ticks; when
// a round passes with no move, anvil time is warped past the clocks; expired games are resolved.
// It stops once every game is resolved (or after a cap) and sums up the games from L1.
//
// L1 mining: anvil automines (one block per transaction) and `evm_mine` closes a warp, so every
// send is mined when awaited and L1 time moves only by the warps and anvil's wall clock. After a
// warp, L1 timestamps run ahead of the L2 slots (2 s each): the sequencer keeps its last L1
// origin (an origin may not be newer than its L2 block), which stays valid for the node's
// 3600-block sequencing window.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Address, Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { bisectionGameArtifact } from '../contracts/artifacts.js';
import { GAME_STATUSES, l1Clients, sendCall, type GameStatus, type L1Clients } from '../contracts/deploy.js';
import type { IntModel } from '../ai/model.js';
import { modelId } from '../ai/model.js';
import type { ChainRules } from '../vm/chain/chain.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { EigenDAClient, type G1Srs } from '../da/eigenda/index.js';
import { DEVNET_BATCH_INBOX, postBlocks, postBlocksEigenDA, type PostedChannel } from './batcher.js';
import { DEVNET_RULES, nextL1Origin, type L1BlockInfo } from './chain.js';
import { deployDevnetL1, type DevnetGameParams, type DevnetL1 } from './l1.js';
import { LoadGenerator, type LoadOptions } from './load.js';
import { Proposer, type Proposal } from './proposer.js';
import { Sequencer, sequencerView } from './sequencer.js';
import { commitBlockInputs } from './inputs.js';
import type { SealedBlock } from './state.js';

/**
 * The load the runner generates: few transactions per block and short loops, so no block needs
 * more than 2^DEVNET_TRACE_DEPTH steps (test/devnet-steps.test.ts checks the worst case).
 */
export const DEVNET_RUN_LOAD = {
  perBlock: [1, 3],
  hashRounds: [20, 200],
  storageSlots: [2, 12],
} as const satisfies Partial<LoadOptions>;

export class DevnetRunError extends Error {
  override readonly name = 'DevnetRunError';
}

/** Where the batcher puts the channels: EIP-4844 blobs, or EigenDA (certificates as inbox calldata). */
export type DevnetDa =
  | { readonly kind: 'blobs' }
  | { readonly kind: 'eigenda'; readonly proxyUrls: readonly string[]; readonly srs: G1Srs };

/** What a watcher's tick tells the runner about work outside the output-root games. */
export interface DevnetWatcherTick {
  /** Calls it (and the actors it drives) sent elsewhere this round, e.g. in the inference game: the round was not idle. */
  readonly moved: number;
  /**
   * Seconds an idle round may warp L1 time at most (e.g. an inference challenge window that must
   * pass while a player waits to step): the warp is then this, not past the games' clocks.
   */
  readonly warpAtMost?: number;
}

/** Something the caller plugs in; `tick` runs once per round, after the proposer. */
export interface DevnetWatcher {
  tick(): Promise<void | DevnetWatcherTick>;
  close?(): Promise<void>;
}

/** What a watcher needs to find the devnet (known once anvil runs and the L1 side is deployed). */
export interface DevnetContext {
  readonly l1RpcUrl: string;
  readonly l1: DevnetL1;
  /** The L2 genesis timestamp (DevnetNode needs the same). */
  readonly genesisTimestamp: bigint;
  /** The first L1 block a DevnetNode should read. */
  readonly l1Start: bigint;
  readonly inbox: Address;
  readonly batcher: Address;
  readonly proposer: Address;
  readonly da: DevnetDa;
  /** Funded L1 keys nobody in the runner uses (for challengers and other actors). */
  readonly freeKeys: readonly Hex[];
  readonly sequencer: Sequencer;
  /** The L2 chain's rules (the devnet's, with the inference model store when enabled). */
  readonly chain: ChainRules;
  readonly logger: Logger;
}

export interface DevnetProgress {
  readonly round: number;
  readonly l2Head: bigint;
  /** The newest L2 block posted to L1. */
  readonly safeHead: bigint;
  readonly l1Block: bigint;
  readonly proposals: readonly Proposal[];
}

export interface DevnetHooks {
  /** The watcher, or a factory called once the devnet is up. */
  readonly watcher?: DevnetWatcher | ((ctx: DevnetContext) => Promise<DevnetWatcher>);
  /** Called every round before the watcher's tick. */
  readonly onL1Progress?: (progress: DevnetProgress) => Promise<void> | void;
}

export interface DevnetRunOptions {
  /** L2 blocks to build (after genesis). */
  readonly blocks: number;
  /** K: a game every K blocks (default 4; at most 2^SPLIT_DEPTH). */
  readonly proposalInterval?: number;
  /** L2 blocks built and posted per round (default K). */
  readonly blocksPerRound?: number;
  /** Propose some wrong roots, as `lieFor` decides. */
  readonly faultyProposer?: boolean;
  /**
   * The batcher commits other inputs for this L2 block than the block it posts (a faulty batcher):
   * L1 then defines another chain from there, and a watcher reports the mismatch.
   */
  readonly faultyBatcherBlock?: bigint;
  /**
   * The faulty proposer's root for `block`, or null to tell the truth there. Default: a lie
   * (the honest root with its last byte flipped) on every second proposal.
   */
  readonly lieFor?: (block: bigint, honestRoot: Hex) => Promise<Hex | null>;
  /** Stop once everything is built, proposed and resolved (default true). */
  readonly exitWhenResolved?: boolean;
  /** Give up after this many rounds (default 500). */
  readonly maxRounds?: number;
  /** Load seed (default 1). */
  readonly seed?: number;
  /** Default blobs. */
  readonly da?: DevnetDa;
  readonly load?: Partial<LoadOptions>;
  /** Overrides of the devnet game parameters. */
  readonly game?: Partial<DevnetGameParams>;
  /** Where the sequencer keeps its data; default a temporary directory removed at the end. */
  readonly dataDir?: string;
  /**
   * The inference precompile with these models in its store: the sequencer runs it, the L1 gets
   * the inference game (models registered) and the load calls it in every block.
   */
  readonly inference?: { readonly models: readonly IntModel[] };
  /** An L1 to use instead of starting anvil (must be anvil: the runner warps its time). */
  readonly l1?: { readonly rpcUrl: string; readonly privateKeys: readonly Hex[] };
  readonly logger: Logger;
}

/** One game's outcome as read from L1. */
export interface GameOutcome extends Proposal {
  readonly status: GameStatus;
  /** The root claim was attacked (it has children). */
  readonly challenged: boolean;
  /** The root claim ended countered (claimData[0].counteredBy set). */
  readonly countered: boolean;
  /** Resolved, and the outcome matches the truth (invalid → CHALLENGER_WINS, valid → DEFENDER_WINS). */
  readonly honestWin: boolean;
}

export interface DevnetSummary {
  readonly gamesCreated: number;
  readonly invalidRoots: number;
  /** Invalid roots someone attacked. */
  readonly invalidCountered: number;
  readonly validRoots: number;
  /** Valid roots nobody attacked. */
  readonly validUntouched: number;
  readonly honestWins: number;
  /** Resolved games whose outcome contradicts the truth. */
  readonly honestLosses: number;
  /** Games still in progress when the run stopped. */
  readonly unresolved: number;
  readonly l2Blocks: number;
  readonly rounds: number;
  readonly games: readonly GameOutcome[];
}

/** The devnet's keys on anvil: deployer (also resolves games), batcher, proposer; the rest are free. */
const DEPLOYER = 0;
const BATCHER = 1;
const PROPOSER = 2;

export async function runDevnet(options: DevnetRunOptions, hooks: DevnetHooks = {}): Promise<DevnetSummary> {
  const log = options.logger;
  const k = options.proposalInterval ?? 4;
  const perRound = options.blocksPerRound ?? k;
  if (!Number.isSafeInteger(options.blocks) || options.blocks < 1) throw new DevnetRunError(`--blocks must be a positive integer, not ${options.blocks}`);
  if (!Number.isSafeInteger(k) || k < 1) throw new DevnetRunError(`the proposal interval must be a positive integer, not ${k}`);
  if (!Number.isSafeInteger(perRound) || perRound < 1) throw new DevnetRunError(`blocks per round must be a positive integer, not ${perRound}`);
  const maxRounds = options.maxRounds ?? 500;

  let anvil: AnvilNode | null = null;
  let sequencer: Sequencer | null = null;
  let watcher: DevnetWatcher | null = null;
  const tempDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'hyperion-devnet-')) : null;
  try {
    let l1Rpc: { rpcUrl: string; privateKeys: readonly Hex[] };
    if (options.l1 === undefined) {
      anvil = await startAnvil({ hardfork: 'prague' });
      l1Rpc = anvil;
      log.info({ rpcUrl: anvil.rpcUrl }, 'anvil started (prague, automine)');
    } else l1Rpc = options.l1;
    if (l1Rpc.privateKeys.length < 3) throw new DevnetRunError('the L1 needs at least three funded keys (deployer, batcher, proposer)');
    const keys = l1Rpc.privateKeys;
    const rpcUrl = l1Rpc.rpcUrl;
    const deployer = l1Clients(rpcUrl, keys[DEPLOYER]!, { pollingIntervalMs: 20 });
    const proposerClients = l1Clients(rpcUrl, keys[PROPOSER]!, { pollingIntervalMs: 20 });

    const l1Latest = await deployer.public.getBlock();
    const genesisTimestamp = l1Latest.timestamp;
    const chain: ChainRules = options.inference === undefined ? DEVNET_RULES : { ...DEVNET_RULES, inference: { address: INFERENCE_PRECOMPILE, models: modelStore(options.inference.models) } };
    sequencer = await Sequencer.open({ dataDir: join(options.dataDir ?? tempDir!, 'sequencer'), genesisTimestamp, logger: log, chain });
    const seq = sequencer;
    if (seq.head().number !== 0n) throw new DevnetRunError(`${options.dataDir} already holds an L2 chain (head ${seq.head().number}); the runner starts from genesis`);
    const genesisRoot = bytesToHex(seq.head().outputRoot);
    const batcherClients = l1Clients(rpcUrl, keys[BATCHER]!, { pollingIntervalMs: 20 });
    const l1 = await deployDevnetL1(deployer, {
      anchorRoot: genesisRoot,
      batcher: batcherClients.wallet.account.address,
      ...(options.game === undefined ? {} : { game: options.game }),
      ...(options.inference === undefined ? {} : { inference: options.inference }),
    });
    log.info({ factory: l1.factory, implementation: l1.implementation, verifier: l1.verifier, inputsInbox: l1.inputsInbox, gameType: l1.game.gameType, anchorRoot: genesisRoot, inferenceGame: l1.inference?.game }, 'L1 dispute system deployed');
    const l1Start = l1.deployedAt + 1n;

    const da: DevnetDa = options.da ?? { kind: 'blobs' };
    const eigenda = da.kind === 'eigenda' ? new EigenDAClient({ proxyUrls: da.proxyUrls, srs: da.srs, retries: 2, backoffMs: 200, log }) : null;
    const post = (blocks: readonly SealedBlock[]): Promise<PostedChannel> => {
      const common = { l1RpcUrl: rpcUrl, privateKey: keys[BATCHER]!, genesisTimestamp };
      if (da.kind === 'eigenda') return postBlocksEigenDA(blocks, { ...common, eigenda: eigenda!, srsPoints: da.srs.points.length });
      return postBlocks(blocks, common);
    };
    let safeHead = 0n;
    const lie = options.lieFor ?? defaultLie();
    const truth = async (block: bigint): Promise<Hex> => {
      const b = await seq.blockAt(block);
      if (b === null) throw new DevnetRunError(`L2 block ${block} is not sequenced`);
      return bytesToHex(b.outputRoot);
    };
    const proposer = new Proposer({
      clients: proposerClients,
      factory: l1.factory,
      gameType: l1.game.gameType,
      splitDepth: l1.game.splitDepth,
      interval: BigInt(k),
      safeHead: () => Promise.resolve(safeHead),
      truth,
      ...(options.faultyProposer === true
        ? {
            rootFor: async (block: bigint) => {
              const honest = await truth(block);
              return (await lie(block, honest)) ?? honest;
            },
          }
        : {}),
      logger: log,
    });

    const ctx: DevnetContext = {
      l1RpcUrl: rpcUrl,
      l1,
      genesisTimestamp,
      l1Start,
      inbox: DEVNET_BATCH_INBOX,
      batcher: addressOfPrivateKey(keys[BATCHER]!),
      proposer: proposerClients.wallet.account.address,
      da,
      freeKeys: keys.slice(PROPOSER + 1),
      sequencer: seq,
      chain,
      logger: log,
    };
    watcher = typeof hooks.watcher === 'function' ? await hooks.watcher(ctx) : (hooks.watcher ?? null);

    const load = new LoadGenerator({ seed: options.seed ?? 1, ...DEVNET_RUN_LOAD, ...options.load, ...(options.inference === undefined ? {} : { inference: options.inference }) });
    const resolved = new Set<Address>();
    let round = 0;
    let finished = false;
    for (; round < maxRounds && !finished; round++) {
      // L2: build and post this round's blocks.
      const built: SealedBlock[] = [];
      while (built.length < perRound && seq.head().number < BigInt(options.blocks)) {
        const origin = await nextOrigin(deployer, seq.head());
        const { block, rejected } = await seq.buildBlock(load.nextBlock().map((t) => t.raw), origin);
        for (const r of rejected) log.warn({ l2Block: block.number, index: r.index, reason: r.reason }, 'transaction left out');
        log.info({ l2Block: block.number, txs: block.transactions.length, gasUsed: block.header.gasUsed, l1Origin: origin.number, outputRoot: bytesToHex(block.outputRoot) }, 'L2 block built');
        built.push(block);
      }
      if (built.length > 0) {
        const posted = await post(built);
        const [from, to] = [built[0]!.number, built[built.length - 1]!.number];
        // The blocks' inputs, as a game's block start reads them, committed beside the blobs.
        const committed = await commitBlockInputs(batcherClients, l1.inputsInbox, sequencerView(seq), from, to, options.faultyBatcherBlock);
        safeHead = to;
        log.info({ from, to, channel: posted.channelId, da: da.kind, l1Blocks: posted.transactions.map((t) => t.l1Block), frames: posted.frames, inputsCommittedAt: committed.l1Block }, 'batch posted');
      }

      await proposer.poll();
      const games = proposer.proposals().map((p) => p.game);
      const before = await claimCount(deployer, games);
      await hooks.onL1Progress?.({ round, l2Head: seq.head().number, safeHead, l1Block: await deployer.public.getBlockNumber(), proposals: proposer.proposals() });
      const hint = (await watcher?.tick()) ?? undefined;
      const after = await claimCount(deployer, games);

      const open = games.filter((g) => !resolved.has(g));
      if (after === before && (hint?.moved ?? 0) === 0 && open.length > 0) {
        // Nobody moved: let the clocks run out so the games can end (or only as far as the watcher
        // allows, while it waits for something else, e.g. an inference to become final).
        const seconds = Math.min(Number(l1.game.maxClockDuration) + 1, hint?.warpAtMost ?? Infinity);
        await anvilRpc(rpcUrl, 'evm_increaseTime', [seconds]);
        await anvilRpc(rpcUrl, 'evm_mine', []);
        log.info({ seconds, openGames: open.length }, seconds > Number(l1.game.maxClockDuration) ? 'L1 time warped past the clocks' : 'L1 time warped (the watcher waits on an inference window or clock)');
      }
      for (const p of proposer.proposals()) {
        if (resolved.has(p.game)) continue;
        const status = await resolveIfExpired(deployer, p.game, l1.game.maxClockDuration);
        if (status === 'IN_PROGRESS') continue;
        resolved.add(p.game);
        const correct = p.honest === (status === 'DEFENDER_WINS');
        log.info({ game: p.game, l2Block: p.l2Block, status, honestRoot: p.honest, honestWin: correct }, 'game resolved');
      }

      const allBuilt = seq.head().number >= BigInt(options.blocks);
      const allResolved = proposer.proposals().every((p) => resolved.has(p.game));
      if ((options.exitWhenResolved ?? true) && allBuilt && allResolved) {
        if (proposer.nextBlock() > BigInt(options.blocks)) {
          finished = true;
          continue;
        }
        // Resolutions this round may have moved the anchor: a blocked proposal may go now.
        if (proposer.blockedOn() !== null && (await proposer.poll()).length === 0) {
          const b = proposer.blockedOn()!;
          log.warn({ l2Block: b.l2Block, anchorBlock: b.anchorBlock }, 'no upheld game moved the anchor close enough: no more proposals possible');
          finished = true;
        }
      }
    }
    if (!finished) log.warn({ rounds: round }, 'round cap reached');
    const summary = await summarize(deployer, proposer.proposals(), seq.head().number, round);
    log.info({ ...summary, games: undefined }, 'devnet finished');
    return summary;
  } finally {
    await watcher?.close?.().catch((e: unknown) => log.error({ err: e }, 'closing the watcher failed'));
    await sequencer?.close();
    await anvil?.stop();
    if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
  }
}

/** A model store (by 0x-hex model id) of `models`. */
export function modelStore(models: readonly IntModel[]): Map<Hex, IntModel> {
  return new Map(models.map((m) => [bytesToHex(modelId(m)), m]));
}

/** Every second proposal lies: the honest root with its last byte flipped. */
export function defaultLie(): (block: bigint, honestRoot: Hex) => Promise<Hex | null> {
  let n = 0;
  return (_block, honestRoot) => {
    n++;
    if (n % 2 === 1) return Promise.resolve(null);
    const bytes = hexToBytes(honestRoot);
    bytes[31] = bytes[31]! ^ 0xff;
    return Promise.resolve(bytesToHex(bytes));
  };
}

/** The L1 origin of the sequencer's next block: the parent's, or the next L1 block once it is not newer than the block. */
async function nextOrigin(clients: L1Clients, parent: SealedBlock): Promise<{ number: bigint; hash: Uint8Array }> {
  const timestamp = parent.header.timestamp + 2n;
  if (parent.l1Origin === null) {
    // Genesis: the newest L1 block not newer than block 1.
    const latest = await clients.public.getBlock();
    let b = latest;
    while (b.timestamp > timestamp && b.number > 0n) b = await clients.public.getBlock({ blockNumber: b.number - 1n });
    return { number: b.number, hash: hexToBytes(b.hash) };
  }
  const cur = await clients.public.getBlock({ blockNumber: parent.l1Origin.number });
  const latest = await clients.public.getBlockNumber();
  const next = latest > cur.number ? await clients.public.getBlock({ blockNumber: cur.number + 1n }) : null;
  const info = (b: { number: bigint; hash: Hex; timestamp: bigint }): L1BlockInfo => ({ number: b.number, hash: hexToBytes(b.hash), timestamp: b.timestamp });
  const chosen = nextL1Origin(info(cur), next === null ? null : info(next), timestamp);
  return { number: chosen.number, hash: chosen.hash };
}

async function anvilRpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new DevnetRunError(`${method}: ${body.error.message}`);
  return body.result;
}

const gameAbi = () => bisectionGameArtifact().abi;

async function readGame<T>(clients: L1Clients, game: Address, functionName: string, args: readonly unknown[] = []): Promise<T> {
  return (await clients.public.readContract({ address: game, abi: gameAbi(), functionName, args })) as T;
}

async function gameStatus(clients: L1Clients, game: Address): Promise<GameStatus> {
  const s = await readGame<number>(clients, game, 'status');
  const status = GAME_STATUSES[s];
  if (status === undefined) throw new DevnetRunError(`game ${game} reports unknown status ${s}`);
  return status;
}

async function claimCount(clients: L1Clients, games: readonly Address[]): Promise<bigint> {
  let n = 0n;
  for (const g of games) n += await readGame<bigint>(clients, g, 'claimDataLen');
  return n;
}

/**
 * Resolves `game` bottom-up once every claim's clock has run out (claims only have children at
 * higher indexes, so descending order is bottom-up), then the game. Returns the status after.
 */
export async function resolveIfExpired(clients: L1Clients, game: Address, maxClockDuration: bigint): Promise<GameStatus> {
  const status = await gameStatus(clients, game);
  if (status !== 'IN_PROGRESS') return status;
  const len = await readGame<bigint>(clients, game, 'claimDataLen');
  for (let i = len - 1n; i >= 0n; i--) {
    if (await readGame<boolean>(clients, game, 'resolvedSubgames', [i])) continue;
    if ((await readGame<bigint>(clients, game, 'getChallengerDuration', [i])) < maxClockDuration) return 'IN_PROGRESS';
    await sendCall(clients, { address: game, abi: gameAbi(), functionName: 'resolveClaim', args: [i, 0n] });
  }
  await sendCall(clients, { address: game, abi: gameAbi(), functionName: 'resolve' });
  return gameStatus(clients, game);
}

/** Reads every proposal's game from L1 and counts the outcomes against the truth. */
export async function summarize(clients: L1Clients, proposals: readonly Proposal[], l2Blocks: bigint, rounds: number): Promise<DevnetSummary> {
  const games: GameOutcome[] = [];
  for (const p of proposals) {
    const status = await gameStatus(clients, p.game);
    const children = await readGame<readonly bigint[]>(clients, p.game, 'subgameChildren', [0n]);
    const root = await readGame<readonly [number, Address]>(clients, p.game, 'claimData', [0n]);
    const countered = BigInt(root[1]) !== 0n;
    const honestWin = status !== 'IN_PROGRESS' && (p.honest ? status === 'DEFENDER_WINS' : status === 'CHALLENGER_WINS');
    games.push({ ...p, status, challenged: children.length > 0, countered, honestWin });
  }
  const invalid = games.filter((g) => !g.honest);
  const valid = games.filter((g) => g.honest);
  return {
    gamesCreated: games.length,
    invalidRoots: invalid.length,
    invalidCountered: invalid.filter((g) => g.challenged).length,
    validRoots: valid.length,
    validUntouched: valid.filter((g) => !g.challenged).length,
    honestWins: games.filter((g) => g.honestWin).length,
    honestLosses: games.filter((g) => g.status !== 'IN_PROGRESS' && !g.honestWin).length,
    unresolved: games.filter((g) => g.status === 'IN_PROGRESS').length,
    l2Blocks: Number(l2Blocks),
    rounds,
    games,
  };
}
