// The devnet as a scenario: the runner (anvil, sequencer, batcher, proposer) with the honest
// challenge daemon watching from L1 alone, and, with a faulty proposer, a liar that corrupts one
// instruction of a proposed block's execution and defends its lie in the game. This is what
// `hyperion-verify devnet` and `demo` run.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Address, Hex } from 'viem';
import { ChallengeDaemon, formatRollupConfig, loadEigenDASrs, type RollupConfig } from '../challenger/daemon.js';
import { challengerMetrics, type ChallengerMetrics } from '../challenger/metrics.js';
import { l1Clients, type L1Clients } from '../contracts/deploy.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { dishonestAccessor, prepareInferenceLie, prepareLie, type CorruptedTrace } from '../prover/metis/dishonest.js';
import { InferenceGameContract, InferencePlayer, lyingEvaluation, type InferenceSettler } from '../prover/inference/index.js';
import { evaluate } from '../ai/reference.js';
import { devnetModel, writeModels } from './models.js';
import { bigIntToBytes, bytesToHex, concatBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { DEVNET_CHAIN_ID } from './chain.js';
import type { G1Srs } from '../da/eigenda/index.js';
import { startEigenDAMemstore, type Memstore } from './eigenda-memstore.js';
import { DEVNET_INFERENCE_PARAMS, DEVNET_SPLIT_DEPTH } from './l1.js';
import type { Proposal } from './proposer.js';
import { modelStore, runDevnet, type DevnetDa, type DevnetContext, type DevnetRunOptions, type DevnetSummary, type DevnetWatcher } from './runner.js';
import { sequencerView, type Sequencer } from './sequencer.js';

export interface ScenarioOptions {
  readonly blocks: number;
  readonly faultyProposer: boolean;
  readonly exitWhenResolved: boolean;
  readonly seed: number;
  readonly proposalInterval?: number;
  readonly maxRounds?: number;
  /** Where the sequencer, the watcher and rollup.json live; default a temporary directory. */
  readonly dataDir?: string;
  readonly game?: DevnetRunOptions['game'];
  /** Close the watch daemon and open it again on its data dir every N of its ticks (restart testing). */
  readonly restartWatcherEvery?: number;
  /** The in-process watcher's metrics (default: its own registry). */
  readonly metrics?: ChallengerMetrics;
  /** Where batches go (default blobs); eigenda starts the devnet's own EigenDA proxy (memstore) on 127.0.0.1. */
  readonly da?: 'blobs' | 'eigenda';
  /** The EigenDA G1 SRS file (gnark-compressed), needed with da eigenda: the proxy commits with it, the watcher checks with it. */
  readonly eigendaSrs?: string;
  /** That file's points, when the caller has loaded them already. */
  readonly srs?: G1Srs;
  /**
   * Run the honest watcher as something else than the in-process daemon, once per round (e.g.
   * `watch --mode challenge --once` as a child process on the same data dir).
   */
  /**
   * The chain runs the inference precompile (the devnet MLP in its store, the inference game on
   * L1, an inference call in every block) and the faulty proposer's lies are about inference
   * outputs: it claims a wrong output in the inference game and proposes the root of the block
   * executed with it. Needs faultyProposer.
   */
  readonly inferenceLie?: boolean;
  /** The batcher commits other inputs for this block than the block it posts (see DevnetRunOptions). */
  readonly faultyBatcherBlock?: bigint;
  readonly externalWatcher?: (w: { readonly rollupFile: string; readonly dataDir: string; readonly l1RpcUrl: string; readonly privateKey: Hex }) => Promise<void>;
  readonly logger: Logger;
}

/** What the inference game saw in a run (read from L1 before the devnet stops). */
export interface InferenceSummary {
  readonly claims: number;
  /** Claims refuted in a dispute. */
  readonly refuted: number;
  /** Disputes the challenger won (through the bisection or a timeout). */
  readonly challengerWins: number;
  /** Lying claims the faulty proposer posted, and how many of them ended refuted. */
  readonly lies: number;
  readonly liesRefuted: number;
  /** Inferences the watcher settled with the right output final. */
  readonly settled: number;
}

export interface ScenarioSummary extends DevnetSummary {
  readonly inference?: InferenceSummary;
}

/** A step among `candidates` fixed by the seed and the block: the lie is reproducible. */
function pickStep(seed: number, block: bigint, candidates: readonly number[]): number {
  const h = keccak256(concatBytes(bigIntToBytes(BigInt(seed), 32), bigIntToBytes(block, 32)));
  return candidates[Number(BigInt(bytesToHex(h)) % BigInt(candidates.length))]!;
}

async function summarizeInference(game: InferenceGameContract, lies: readonly bigint[], settler: InferenceSettler | null): Promise<InferenceSummary> {
  const claims = Number(await game.claimCount());
  let refuted = 0;
  let liesRefuted = 0;
  for (let id = 0n; id < BigInt(claims); id++) {
    if (!(await game.claim(id)).refuted) continue;
    refuted++;
    if (lies.includes(id)) liesRefuted++;
  }
  let challengerWins = 0;
  const disputes = await game.disputeCount();
  for (let id = 0n; id < disputes; id++) if ((await game.dispute(id)).phase === 'ChallengerWon') challengerWins++;
  let settled = 0;
  for (const key of settler?.keys ?? []) if ((await settler!.settled(key)) !== null) settled++;
  return { claims, refuted, challengerWins, lies: lies.length, liesRefuted, settled };
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioSummary> {
  const log = o.logger;
  if (o.inferenceLie === true && !o.faultyProposer) throw new ScenarioError('an inference lie needs the faulty proposer');
  if (o.da === 'eigenda' && o.eigendaSrs === undefined) throw new ScenarioError('EigenDA needs an SRS file (eigendaSrs)');
  if (o.da !== 'eigenda' && o.eigendaSrs !== undefined) throw new ScenarioError('an EigenDA SRS applies to da eigenda only');
  // Loaded before anything starts: a bad SRS file fails fast.
  const srsPath = o.eigendaSrs === undefined ? undefined : resolve(o.eigendaSrs);
  const srs = srsPath === undefined ? undefined : (o.srs ?? (await loadEigenDASrs(srsPath)));
  let proxy: Memstore | null = null;
  if (srs !== undefined) {
    proxy = await startEigenDAMemstore({ srs });
    log.info({ url: proxy.url, srsPoints: srs.points.length }, 'EigenDA proxy started (memstore: payloads kept in memory, real KZG commitments)');
  }
  const da: DevnetDa = proxy === null || srs === undefined ? { kind: 'blobs' } : { kind: 'eigenda', proxyUrls: [proxy.url], srs };
  const tempDir = o.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'hyperion-devnet-')) : null;
  const dataDir = o.dataDir ?? tempDir!;
  await mkdir(dataDir, { recursive: true });
  const lies = new Map<string, { block: bigint; trace: CorruptedTrace }>();
  const models = o.inferenceLie === true ? [await devnetModel()] : [];
  const modelById = modelStore(models);
  let modelPaths: string[] = [];
  if (models.length > 0) {
    await mkdir(join(dataDir, 'models'), { recursive: true });
    modelPaths = await writeModels(join(dataDir, 'models'), models);
  }
  // The liar's inference claims (posted before its proposal) and the players defending them.
  const lyingClaims: { player: InferencePlayer; claim: bigint }[] = [];
  let liarInference: InferenceGameContract | null = null;
  let inferenceSummary: InferenceSummary | undefined;
  let ctx: DevnetContext | null = null;
  let proposals: readonly Proposal[] = [];
  let asked = 0;

  // Every second proposal of the faulty proposer is a coherent lie: one instruction of the
  // block's execution done wrong, everything after it done right.
  const lieFor = async (block: bigint): Promise<Hex | null> => {
    if (ctx === null) throw new Error('the devnet asked for a lie before it was up');
    asked++;
    if (asked % 2 === 1) return null;
    if (models.length > 0) return inferenceLieFor(ctx, block);
    const trace = await prepareLie(sequencerView(ctx.sequencer), block, (c) => pickStep(o.seed, block, c));
    const root = bytesToHex(trace.outputRoot);
    lies.set(root.toLowerCase(), { block, trace });
    log.warn({ l2Block: Number(block), step: trace.at, of: trace.commitments.length - 1, root }, 'faulty proposer: one instruction of the block executed wrongly');
    return root;
  };

  // The block's last inference call returns another output: claimed in the inference game, then
  // the block executed with it is proposed.
  const inferenceLieFor = async (c: DevnetContext, block: bigint): Promise<Hex | null> => {
    const b = await c.sequencer.blockAt(block);
    const call = b?.inferences?.at(-1);
    const model = call === undefined ? undefined : modelById.get(call.model);
    if (call === undefined || model === undefined || liarInference === null) return null;
    const truth = evaluate(model, call.input);
    const output = Int8Array.from(truth.output.data);
    output[0] = output[0]! ^ 1;
    const player = new InferencePlayer(liarInference, model, lyingEvaluation(truth, output));
    const claim = await player.post();
    lyingClaims.push({ player, claim });
    const asBytes = (t: Int8Array): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.length);
    const trace = await prepareInferenceLie(sequencerView(c.sequencer), block, asBytes(truth.output.data), asBytes(output));
    const root = bytesToHex(trace.outputRoot);
    lies.set(root.toLowerCase(), { block, trace });
    log.warn({ l2Block: Number(block), step: trace.at, claim: Number(claim), model: player.modelId, root }, 'faulty proposer: an inference output claimed wrongly on L1 and the block executed with it');
    return root;
  };

  const watcher = async (c: DevnetContext): Promise<DevnetWatcher> => {
    ctx = c;
    const rollup: RollupConfig = {
      l2ChainId: DEVNET_CHAIN_ID,
      inbox: c.inbox,
      batcher: c.batcher,
      l1Start: c.l1Start,
      genesisTimestamp: c.genesisTimestamp,
      factory: c.l1.factory,
      inputsInbox: c.l1.inputsInbox,
      // A separate `watch` on this devnet finds the proxy (alive while the devnet runs) and the SRS here.
      ...(da.kind === 'eigenda' && srsPath !== undefined ? { eigendaProxy: [...da.proxyUrls], eigendaSrs: srsPath } : {}),
      ...(c.l1.inference === undefined ? {} : { inference: { game: c.l1.inference.game, models: modelPaths } }),
    };
    await writeFile(join(dataDir, 'rollup.json'), formatRollupConfig(rollup));
    const honestKey = c.freeKeys[0];
    const liarKey = c.freeKeys[1];
    if (honestKey === undefined || liarKey === undefined) throw new Error('the devnet needs two free L1 keys (challenger, liar)');
    const honest = l1Clients(c.l1RpcUrl, honestKey, { pollingIntervalMs: 20 });
    const metrics = o.metrics ?? challengerMetrics();
    const open = (): Promise<ChallengeDaemon> =>
      ChallengeDaemon.open({
        l1RpcUrl: c.l1RpcUrl,
        rollup,
        dataDir: join(dataDir, 'watcher'),
        l1: honest,
        logger: log.child({ actor: 'watcher' }),
        metrics,
        ...(da.kind === 'eigenda' ? { eigenda: { proxyUrls: da.proxyUrls, srs: da.srs } } : {}),
      });
    const external = o.externalWatcher;
    const rollupFile = join(dataDir, 'rollup.json');
    let daemon = external === undefined ? await open() : null;
    let ticks = 0;
    log.info({ watcher: honest.wallet.account.address, dataDir: join(dataDir, 'watcher'), da: da.kind }, `watch daemon started (challenge mode: its own L2 node from L1 ${da.kind === 'eigenda' ? 'EigenDA certificates' : 'blobs'})`);
    const liar: L1Clients = l1Clients(c.l1RpcUrl, liarKey, { pollingIntervalMs: 20 });
    if (c.l1.inference !== undefined) liarInference = new InferenceGameContract(liar, c.l1.inference.game);
    const liarAgents = new Map<Address, GameAgent>();
    const liarLog = log.child({ actor: 'faulty-proposer' });
    return {
      tick: async () => {
        ticks++;
        let moved = 0;
        let pending = false;
        if (external !== undefined) await external({ rollupFile, dataDir: join(dataDir, 'watcher'), l1RpcUrl: c.l1RpcUrl, privateKey: honestKey });
        else if (daemon !== null) {
          if (o.restartWatcherEvery !== undefined && ticks % o.restartWatcherEvery === 0) {
            await daemon.close();
            daemon = await open();
            log.info({ tick: ticks }, 'watch daemon restarted from its data dir');
          }
          const t = await daemon.tick();
          moved += t.settle?.sent ?? 0;
          pending = [...(t.settle?.states.values() ?? [])].some((s) => s === 'pending');
        }
        // The liar defends its inference claims in every dispute against them.
        if (liarInference !== null && lyingClaims.length > 0) {
          const disputes = await liarInference.disputeCount();
          for (let id = 0n; id < disputes; id++) {
            const d = await liarInference.dispute(id);
            const mine = lyingClaims.find((l) => l.claim === d.claimId);
            if (mine === undefined || d.phase === 'ClaimantWon' || d.phase === 'ChallengerWon') continue;
            try {
              if (await mine.player.act(id)) moved++;
            } catch (e) {
              liarLog.debug({ dispute: Number(id), err: e instanceof Error ? e.message : String(e) }, 'liar cannot move in the inference dispute');
            }
          }
        }
        for (const p of proposals) {
          const lie = lies.get(p.rootClaim.toLowerCase());
          if (lie === undefined) continue;
          let agent = liarAgents.get(p.game);
          if (agent === undefined) {
            const contract = new L1GameContract(liar, p.game);
            const params = (await contract.view()).params;
            agent = new GameAgent(contract, new GameSolver(dishonestAccessor(params, sequencerView(c.sequencer), lie)), { resolve: false });
            liarAgents.set(p.game, agent);
          }
          try {
            const t = await agent.tick();
            if (t.sent.length > 0) liarLog.info({ game: p.game, moves: t.sent.map((a) => a.type) }, 'defends its lie');
          } catch (e) {
            // The liar has no execution behind some claims: there it stays silent.
            liarLog.debug({ game: p.game, err: e instanceof Error ? e.message : String(e) }, 'liar cannot move');
          }
        }
        // While an inference is unsettled, an idle round only lets its window or clock pass.
        const p = DEVNET_INFERENCE_PARAMS;
        const wait = Number(p.challengeWindow > p.maxClock ? p.challengeWindow : p.maxClock) + 1;
        return pending ? { moved, warpAtMost: wait } : { moved };
      },
      close: async () => {
        // Read before the L1 goes away.
        if (liarInference !== null) inferenceSummary = await summarizeInference(liarInference, lyingClaims.map((l) => l.claim), daemon?.settler ?? null);
        await daemon?.close();
      },
    };
  };

  try {
    const summary = await runDevnet(
      {
        blocks: o.blocks,
        faultyProposer: o.faultyProposer,
        lieFor,
        exitWhenResolved: o.exitWhenResolved,
        seed: o.seed,
        da,
        ...(models.length > 0 ? { inference: { models } } : {}),
        dataDir: join(dataDir, 'run'),
        logger: log,
        ...(o.proposalInterval === undefined ? {} : { proposalInterval: o.proposalInterval }),
        ...(o.maxRounds === undefined ? {} : { maxRounds: o.maxRounds }),
        ...(o.faultyBatcherBlock === undefined ? {} : { faultyBatcherBlock: o.faultyBatcherBlock }),
        // An even max depth puts the proposer's claims at the leaves, so the watcher wins by a step
        // on L1 rather than by the liar's clock (the trace depth becomes 15: 32768 steps a block).
        game: { maxGameDepth: DEVNET_SPLIT_DEPTH + 1 + 15, ...o.game },
      },
      {
        watcher,
        onL1Progress: (p) => {
          proposals = p.proposals;
        },
      },
    );
    return inferenceSummary === undefined ? summary : { ...summary, inference: inferenceSummary };
  } finally {
    await proxy?.stop();
    if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
  }
}
