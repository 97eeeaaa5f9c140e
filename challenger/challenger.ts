// The challenge mode of `hyperion-verify watch`: follow the factory's games, play the honest
// solver's moves and steps through the transaction manager, resolve the games where our bonds are,
// claim credit for every claimant, and forget a game (its data dir) once nothing is left to claim.
// How traces are produced is the caller's: `accessorFor` hands a TraceAccessor per game (the
// alphabet in tests, MetisVM in production). Every transaction is keyed by its purpose in the
// journal, so a restart neither re-sends a mined move nor duplicates a pending one.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { getAddress, isAddress, type Account, type Address, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem';
import { GameRevert } from '../prover/game/game.js';
import { GameSolver, resolutionActions } from '../prover/game/solver.js';
import type { TraceAccessor } from '../prover/game/trace-provider.js';
import type { Action, GameParams, GameStatus, GameView } from '../prover/game/types.js';
import { L1Factory, type GameSummary } from '../prover/l1/factory.js';
import { L1GameContract, revertFromData, type GameCall } from '../prover/l1/game-contract.js';
import { Journal, type GameRecord } from './journal.js';
import type { ChallengerMetrics } from './metrics.js';
import { TxManager, TxRevertedError, type TxManagerOptions } from './txmgr.js';

export class ChallengerError extends Error {
  override readonly name = 'ChallengerError';
}

/** What `accessorFor` is told about a game. */
export interface ChallengerGame {
  readonly address: Address;
  readonly summary: GameSummary;
  readonly params: GameParams;
  /** `<dataDir>/games/<address>`: scratch space for this game's traces, deleted when the game is done. */
  readonly dataDir: string;
}

export interface ChallengerOptions {
  readonly l1: { readonly public: PublicClient; readonly wallet: WalletClient<Transport, Chain, Account> };
  readonly factory: Address;
  /** The trace to judge a game by; null when it cannot be judged yet (asked again next tick). */
  readonly accessorFor: (game: ChallengerGame) => Promise<TraceAccessor | null>;
  /** Addresses whose credit is claimed from resolved games; the sender is always one of them. */
  readonly claimants: readonly Address[];
  /** Only games created in the last this many seconds are joined (games holding our bonds are followed to the end). */
  readonly gameWindowSeconds?: bigint;
  /** Only these games, when given. */
  readonly allow?: readonly Address[];
  /** Games played at once. Default 2. */
  readonly maxConcurrency?: number;
  /** Holds the journal (`journal/`) and per-game dirs (`games/<address>/`). */
  readonly dataDir: string;
  /** Every line about a game comes from a child with `game` bound. */
  readonly logger: Logger;
  readonly metrics: ChallengerMetrics;
  /** Called for every game in progress before its moves are computed (e.g. to settle what its steps will need). */
  readonly onGame?: (game: ChallengerGame, view: GameView) => Promise<void>;
  /** Transaction manager tuning (confirmations, resubmission, fee caps, polling). */
  readonly txmgr?: Omit<TxManagerOptions, 'public' | 'wallet' | 'journal' | 'logger'>;
}

export type SubmitOutcome = 'sent' | 'already-mined' | 'skipped-reverted' | 'rejected';

export interface GameTickReport {
  readonly address: Address;
  readonly status: GameStatus;
  /** Purposes mined this tick. */
  readonly sent: readonly string[];
  /** Purposes the game refused (simulation or on chain): recomputed next tick. */
  readonly rejected: readonly { readonly purpose: string; readonly error: Error }[];
  /** No accessor yet: the game could not be judged this tick. */
  readonly waiting: boolean;
  /** Resolved, credits claimed, data dir deleted. */
  readonly done: boolean;
  /** Bonds our claimants have posted in the game (wei). */
  readonly bondsAtStake: bigint;
}

export interface TickReport {
  readonly l1Head: bigint;
  readonly games: readonly GameTickReport[];
  /** Games whose tick failed on an RPC or other unexpected error (retried with backoff). */
  readonly failed: readonly { readonly address: Address; readonly error: Error }[];
}

/** The journal key of a game transaction (addresses lower-case). */
export function purposeKey(game: Address, action: Action | { readonly type: 'claimCredit'; readonly recipient: Address }): string {
  const g = `game:${game.toLowerCase()}`;
  switch (action.type) {
    case 'attack':
    case 'defend':
      return `${g}:move:${action.parentIndex}:${action.type}:${action.value.toLowerCase()}`;
    case 'step':
      return `${g}:step:${action.claimIndex}`;
    case 'resolveClaim':
      return `${g}:resolveClaim:${action.claimIndex}`;
    case 'resolve':
      return `${g}:resolve`;
    case 'claimCredit':
      return `${g}:claim:${action.recipient.toLowerCase()}`;
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Challenger {
  private readonly factory: L1Factory;
  private readonly accessors = new Map<string, TraceAccessor>();
  private readonly ours: ReadonlySet<string>;
  private readonly allow: ReadonlySet<string> | undefined;
  /** Games below this index are done or out of reach. */
  private cursor = 0;
  private failures = 0;

  private constructor(
    private readonly o: ChallengerOptions,
    readonly journal: Journal,
    readonly txmgr: TxManager,
  ) {
    this.factory = new L1Factory({ public: o.l1.public }, o.factory);
    this.ours = new Set([o.l1.wallet.account.address, ...o.claimants].map((a) => a.toLowerCase()));
    this.allow = o.allow !== undefined ? new Set(o.allow.map((a) => a.toLowerCase())) : undefined;
  }

  /**
   * Opens the journal under `dataDir`, starts the transaction manager and settles every
   * transaction a previous run left pending (awaited or bumped, never sent twice).
   */
  static async create(options: ChallengerOptions): Promise<Challenger> {
    for (const a of [options.factory, ...options.claimants, ...(options.allow ?? [])]) {
      if (!isAddress(a, { strict: false })) throw new ChallengerError(`not an address: ${a}`);
    }
    if (options.maxConcurrency !== undefined && !(Number.isInteger(options.maxConcurrency) && options.maxConcurrency >= 1)) {
      throw new ChallengerError(`maxConcurrency must be a positive integer, got ${options.maxConcurrency}`);
    }
    if (options.gameWindowSeconds !== undefined && options.gameWindowSeconds < 0n) throw new ChallengerError('gameWindowSeconds must not be negative');
    const journal = await Journal.open(options.dataDir);
    try {
      const txmgr = await TxManager.create({
        ...options.txmgr,
        public: options.l1.public,
        wallet: options.l1.wallet,
        journal,
        logger: options.logger,
      });
      const c = new Challenger(options, journal, txmgr);
      const pending = (await journal.txs()).filter((r) => r.status === 'pending' && r.from.toLowerCase() === txmgr.address.toLowerCase());
      await Promise.all(
        pending.map(async (r) => {
          const game = /^game:(0x[0-9a-f]{40}):/.exec(r.purpose)?.[1];
          const log = game !== undefined ? options.logger.child({ game: getAddress(game) }) : options.logger;
          try {
            await txmgr.resume(r.purpose, revertFromData, log);
            log.info({ purpose: r.purpose }, 'a transaction left pending by the last run is mined');
          } catch (e) {
            log.warn({ purpose: r.purpose, err: asError(e).message }, 'a transaction left pending by the last run did not succeed');
          }
        }),
      );
      return c;
    } catch (e) {
      await journal.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const key of [...this.accessors.keys()]) await this.dropAccessor(key);
    await this.journal.close();
  }

  /** Forgets a game's accessor and closes its trace stores (before their directory goes). */
  private async dropAccessor(key: string): Promise<boolean> {
    const a = this.accessors.get(key);
    if (a === undefined) return false;
    this.accessors.delete(key);
    await a.close?.();
    return true;
  }

  /** The address transactions are sent from. */
  get sender(): Address {
    return this.o.l1.wallet.account.address;
  }

  gameDir(address: Address): string {
    return join(this.o.dataDir, 'games', address.toLowerCase());
  }

  /** Delay before the next tick: the poll interval, doubled per consecutive failing tick (capped). */
  nextDelayMs(pollMs: number): number {
    return Math.min(pollMs * 2 ** Math.min(this.failures, 6), 300_000);
  }

  /** Ticks until `signal` aborts; errors are logged and backed off, never thrown. */
  async run(signal: AbortSignal, pollMs = 4_000): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (e) {
        this.failures++;
        this.o.metrics.errors.inc({ kind: asError(e).name });
        this.o.logger.warn({ err: asError(e).message, retryInMs: this.nextDelayMs(pollMs) }, 'challenger tick failed: backing off');
      }
      await abortableSleep(this.nextDelayMs(pollMs), signal);
    }
  }

  /** One pass over the games in reach: moves, steps, resolution, credit, clean-up. */
  async tick(): Promise<TickReport> {
    const { l1, metrics, logger } = this.o;
    const head = await l1.public.getBlock({ blockTag: 'latest' });
    metrics.l1Head.set(Number(head.number));
    const count = await this.factory.gameCount();
    if (count < this.cursor) {
      logger.warn({ had: this.cursor, now: count }, 'L1 reorg: the factory has fewer games than before; rescanning');
      this.cursor = 0;
    }
    const listed = await this.factory.listGames(this.cursor);
    const todo: GameSummary[] = [];
    const skipped = new Set<number>();
    for (const g of listed) {
      const key = g.address.toLowerCase();
      const record = await this.journal.game(g.address);
      const outOfWindow = this.o.gameWindowSeconds !== undefined && g.createdAt + this.o.gameWindowSeconds < head.timestamp;
      if (record?.done === true || (this.allow !== undefined && !this.allow.has(key)) || (outOfWindow && (record === undefined || record.bondsAtStake === 0n))) {
        skipped.add(g.index);
        // A game left behind (out of the window, not allowed) is never played again: drop its
        // cached trace and its scratch directory, or they would pile up for the daemon's life.
        if ((await this.dropAccessor(key)) || record?.done !== true) rmSync(this.gameDir(g.address), { recursive: true, force: true });
        continue;
      }
      todo.push(g);
    }
    const reports: GameTickReport[] = [];
    const failed: { address: Address; error: Error }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const g = todo[next++]!;
        try {
          const r = await this.playGame(g);
          reports.push(r);
          if (r.done) skipped.add(g.index);
        } catch (e) {
          const error = asError(e);
          failed.push({ address: g.address, error });
          metrics.errors.inc({ kind: error.name });
          logger.child({ game: g.address }).warn({ err: error.message }, 'game tick failed: retried next tick');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.maxConcurrency ?? 2) }, worker));
    // Games are numbered in creation order: everything below the first one still followed is finished.
    let cursor = this.cursor;
    for (const g of listed) {
      if (!skipped.has(g.index)) break;
      cursor = g.index + 1;
    }
    this.cursor = cursor;
    this.failures = failed.length > 0 ? this.failures + 1 : 0;
    // Over the games followed this tick (a game past the window without our bonds is no longer counted).
    const live = reports.filter((r) => r.status === 'IN_PROGRESS');
    metrics.gamesInProgress.set(live.length);
    metrics.bondsAtStake.set(Number(live.reduce((s, r) => s + r.bondsAtStake, 0n)));
    logger.debug({ l1Head: Number(head.number), games: todo.length, failed: failed.length }, 'challenger tick');
    return { l1Head: head.number, games: reports, failed };
  }

  private postedBy(view: GameView): bigint {
    return view.claims.filter((c) => this.ours.has(c.claimant.toLowerCase())).reduce((s, c) => s + c.bond, 0n);
  }

  private async playGame(g: GameSummary): Promise<GameTickReport> {
    const log = this.o.logger.child({ game: g.address });
    const contract = new L1GameContract({ public: this.o.l1.public }, g.address);
    let record: GameRecord | undefined = await this.journal.game(g.address);
    if (record === undefined) {
      record = { address: g.address, seenAt: Math.floor(Date.now() / 1000), status: 'IN_PROGRESS', bondsAtStake: 0n, claimed: {}, done: false };
      await this.journal.putGame(record);
      this.o.metrics.gamesSeen.inc();
      log.info({ gameIndex: g.index, l2Block: Number(g.l2BlockNumber), rootClaim: g.rootClaim }, 'following a new game');
    }
    const dir = this.gameDir(g.address);
    const sent: string[] = [];
    const rejected: { purpose: string; error: Error }[] = [];
    const submit = async (purpose: string, type: string, prepare: () => Promise<GameCall>): Promise<SubmitOutcome> => {
      const outcome = await this.submit(purpose, prepare, log);
      if (outcome.outcome === 'sent') {
        sent.push(purpose);
        this.o.metrics.movesSent.inc({ type });
      } else if (outcome.outcome === 'rejected') {
        rejected.push({ purpose, error: outcome.error! });
        this.o.metrics.movesRejected.inc({ type });
        log.info({ purpose, reason: outcome.error!.message }, 'the game rejected the action (someone was faster or a clock ran out): recomputed next tick');
      }
      return outcome.outcome;
    };

    let view = await contract.view();
    let waiting = false;
    if (view.status === 'IN_PROGRESS') {
      mkdirSync(dir, { recursive: true });
      await this.o.onGame?.({ address: g.address, summary: g, params: view.params, dataDir: dir }, view);
      const accessor = await this.accessor(g, view, dir);
      if (accessor === null) {
        waiting = true;
        log.debug('no trace for this game yet: judged later');
      } else {
        const solver = new GameSolver(accessor);
        for (const action of await solver.nextActions(view, await contract.now())) {
          const out = await submit(purposeKey(g.address, action), action.type, () => contract.prepareAction(action, this.sender));
          // The game moved under us: the rest of the plan may be stale.
          if (out === 'rejected') break;
        }
        view = await contract.view();
      }
      // Resolution costs gas: only where our bonds are (an honest proposer's game is left alone).
      if (this.postedBy(view) > 0n && rejected.length === 0) {
        for (const action of resolutionActions(view, await contract.now())) {
          const out = await submit(purposeKey(g.address, action), action.type, () => contract.prepareAction(action, this.sender));
          if (out === 'rejected') break;
        }
        view = await contract.view();
      }
    }
    const posted = this.postedBy(view);
    record = { ...record, status: view.status, bondsAtStake: posted };

    let done = false;
    if (view.status !== 'IN_PROGRESS') {
      if (record.outcome === undefined) {
        const credits = await Promise.all([...this.ours].map((a) => contract.credit(a as Address)));
        const owed = credits.reduce((s, c) => s + c, 0n) + Object.values(record.claimed).reduce((s, c) => s + BigInt(c), 0n);
        const outcome = posted === 0n ? 'none' : owed >= posted ? 'won' : 'lost';
        record = { ...record, outcome };
        if (outcome === 'won') this.o.metrics.gamesWon.inc();
        if (outcome === 'lost') this.o.metrics.gamesLost.inc();
        log.info({ status: view.status, outcome, posted: String(posted), owed: String(owed) }, 'game resolved');
      }
      let left = 0;
      for (const claimant of this.ours) {
        const recipient = claimant as Address;
        const credit = await contract.credit(recipient);
        if (credit === 0n) continue;
        const purpose = purposeKey(g.address, { type: 'claimCredit', recipient });
        const out = await submit(purpose, 'claimCredit', () => contract.prepareClaimCredit(recipient, this.sender));
        if (out === 'sent' || out === 'already-mined') {
          if (out === 'sent') {
            this.o.metrics.bondsClaimed.inc(Number(credit));
            record = { ...record, claimed: { ...record.claimed, [recipient]: (BigInt(record.claimed[recipient] ?? '0') + credit).toString() } };
            log.info({ recipient, credit: String(credit) }, 'credit claimed');
          }
          if ((await contract.credit(recipient)) > 0n) left++;
        } else {
          left++;
        }
      }
      if (left === 0) {
        await this.dropAccessor(g.address.toLowerCase());
        rmSync(dir, { recursive: true, force: true });
        record = { ...record, done: true };
        log.info('game finished: credit claimed, data dir removed');
        done = true;
      }
    }
    await this.journal.putGame(record);
    return { address: g.address, status: view.status, sent, rejected, waiting, done, bondsAtStake: posted };
  }

  private async accessor(g: GameSummary, view: GameView, dir: string): Promise<TraceAccessor | null> {
    const key = g.address.toLowerCase();
    const cached = this.accessors.get(key);
    if (cached !== undefined) return cached;
    const a = await this.o.accessorFor({ address: g.address, summary: g, params: view.params, dataDir: dir });
    if (a !== null) this.accessors.set(key, a);
    return a;
  }

  /**
   * One game transaction by purpose: skipped when the journal has it mined (or reverted: never
   * retried blindly), awaited when pending, otherwise simulated and sent through the txmgr.
   */
  private async submit(purpose: string, prepare: () => Promise<GameCall>, log: Logger): Promise<{ outcome: SubmitOutcome; error?: Error }> {
    const known = await this.journal.tx(purpose);
    if (known?.status === 'mined') return { outcome: 'already-mined' };
    if (known?.status === 'reverted') {
      log.debug({ purpose, error: known.error }, 'journaled as reverted: not sent again');
      return { outcome: 'skipped-reverted' };
    }
    try {
      if (known?.status === 'pending') {
        await this.txmgr.resume(purpose, revertFromData, log);
        return { outcome: 'sent' };
      }
      const call = await prepare();
      await this.txmgr.send({ purpose, to: call.to, data: call.data, value: call.value, decodeRevert: revertFromData, logger: log });
      return { outcome: 'sent' };
    } catch (e) {
      if (e instanceof GameRevert) return { outcome: 'rejected', error: e };
      // Mined and reverted: journaled as such, so it is not sent again; the next tick recomputes.
      if (e instanceof TxRevertedError) return { outcome: 'rejected', error: e };
      throw e;
    }
  }
}
