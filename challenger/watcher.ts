// The watch-only mode of `hyperion-verify watch`: follow the L1 dispute game factory, and for every
// game in the window check its root claim against the output root of its L2 block as re-executed
// here. A wrong root is an alert (a log line with the game id, a metric); nothing is sent to L1.
// RPC failures are retried on the next tick with backoff and never turned into a verdict.
import type { Logger } from 'pino';
import type { Address, Hex, PublicClient } from 'viem';
import type { ChainRules } from '../vm/chain/chain.js';
import type { ReplayOptions } from '../vm/replay/replay.js';
import type { ReplaySource } from '../vm/replay/source.js';
import type { Rpc } from '../vm/rpc/client.js';
import type { GameSummary, L1Factory } from '../prover/l1/factory.js';
import type { WatcherMetrics } from './metrics.js';
import { UnverifiedBlockError, verifiedOutputRoot, type VerifiedOutput } from './output-root.js';

export type RootVerdict = 'valid' | 'invalid' | 'unverifiable';

export interface GameVerdict {
  readonly index: number;
  readonly game: Address;
  readonly l2BlockNumber: bigint;
  readonly rootClaim: Hex;
  readonly verdict: RootVerdict;
  /** The verified output root (absent when the block could not be verified). */
  readonly expected: Hex | null;
  readonly reason: string | null;
}

export interface WatcherOptions {
  readonly factory: L1Factory;
  readonly l1: PublicClient;
  readonly l2Source: ReplaySource;
  readonly l2Rpc: Rpc;
  readonly chain: ChainRules;
  readonly replayOptions?: ReplayOptions;
  readonly log: Logger;
  readonly metrics: WatcherMetrics;
  /** Only games created in the last this many seconds are loaded (op-challenger's game window). */
  readonly gameWindowSeconds?: bigint;
  /** Only these games, when given. */
  readonly allow?: ReadonlySet<string>;
  /** Output roots computed at once. */
  readonly maxConcurrency?: number;
}

export class Watcher {
  private nextIndex = 0;
  private readonly verdicts = new Map<string, GameVerdict>();
  private readonly outputs = new Map<bigint, Promise<VerifiedOutput>>();
  private failures = 0;
  private verifiedHead = -1n;

  constructor(private readonly o: WatcherOptions) {}

  /** Every verdict so far, by game address. */
  get checked(): ReadonlyMap<string, GameVerdict> {
    return this.verdicts;
  }

  /** One pass: new games since the last pass are listed and checked. Returns the new verdicts. */
  async tick(): Promise<GameVerdict[]> {
    const { l1, factory, metrics, log } = this.o;
    const head = await l1.getBlock({ blockTag: 'latest' });
    metrics.l1Head.set(Number(head.number));
    // An L1 reorg can take games away: the factory then counts fewer than we have passed. Verdicts
    // on games that no longer exist are dropped, and the ones at reused indexes are checked anew.
    const count = await factory.gameCount();
    if (count < this.nextIndex) {
      log.warn({ had: this.nextIndex, now: count }, 'L1 reorg: the factory has fewer games than before; re-checking from there');
      const still = new Set((await factory.listGames(0, count)).map((g) => g.address.toLowerCase()));
      for (const k of [...this.verdicts.keys()]) if (!still.has(k)) this.verdicts.delete(k);
      this.nextIndex = count;
    }
    const games = await factory.listGames(this.nextIndex);
    const window = this.o.gameWindowSeconds;
    const todo: GameSummary[] = [];
    for (const g of games) {
      const key = g.address.toLowerCase();
      if (this.verdicts.has(key)) continue;
      if (this.o.allow !== undefined && !this.o.allow.has(key)) continue;
      if (window !== undefined && g.createdAt + window < head.timestamp) continue;
      todo.push(g);
    }
    const out: GameVerdict[] = [];
    const limit = Math.max(1, this.o.maxConcurrency ?? 2);
    let retry = false;
    for (let i = 0; i < todo.length; i += limit) {
      const batch = await Promise.all(todo.slice(i, i + limit).map((g) => this.check(g)));
      for (const v of batch) {
        if (v === null) {
          retry = true;
          continue;
        }
        out.push(v);
      }
    }
    // Games are numbered in creation order: everything below the first one still pending is done.
    const pending = todo.find((g) => !this.verdicts.has(g.address.toLowerCase()));
    this.nextIndex = pending !== undefined ? pending.index : games.length > 0 ? games[games.length - 1]!.index + 1 : this.nextIndex;
    this.failures = retry ? this.failures + 1 : 0;
    log.debug({ l1Head: Number(head.number), games: games.length, checked: out.length, retry }, 'watch tick');
    return out;
  }

  /** Delay before the next tick: the poll interval, doubled per consecutive failing tick (capped). */
  nextDelayMs(pollMs: number): number {
    return Math.min(pollMs * 2 ** Math.min(this.failures, 6), 300_000);
  }

  private output(n: bigint): Promise<VerifiedOutput> {
    let p = this.outputs.get(n);
    if (p === undefined) {
      const started = performance.now();
      p = verifiedOutputRoot(this.o.l2Source, this.o.l2Rpc, this.o.chain, n, this.o.replayOptions).then((v) => {
        this.o.metrics.replaySeconds.inc((performance.now() - started) / 1000);
        return v;
      });
      // A failed attempt is forgotten so the next tick tries again.
      p.catch(() => this.outputs.delete(n));
      this.outputs.set(n, p);
    }
    return p;
  }

  /** The verdict on one game, or null when it could not be reached this time (retried later). */
  private async check(g: GameSummary): Promise<GameVerdict | null> {
    const { metrics } = this.o;
    const log = this.o.log.child({ game: g.address, gameIndex: g.index, l2Block: Number(g.l2BlockNumber) });
    const base = { index: g.index, game: g.address, l2BlockNumber: g.l2BlockNumber, rootClaim: g.rootClaim };
    let verdict: GameVerdict;
    try {
      const out = await this.output(g.l2BlockNumber);
      if (g.l2BlockNumber > this.verifiedHead) {
        this.verifiedHead = g.l2BlockNumber;
        metrics.l2VerifiedHead.set(Number(g.l2BlockNumber));
      }
      const valid = out.outputRoot.toLowerCase() === g.rootClaim.toLowerCase();
      verdict = { ...base, verdict: valid ? 'valid' : 'invalid', expected: out.outputRoot, reason: null };
    } catch (e) {
      if (e instanceof UnverifiedBlockError) {
        verdict = { ...base, verdict: 'unverifiable', expected: null, reason: e.message };
      } else {
        metrics.errors.inc({ kind: e instanceof Error ? e.name : 'unknown' });
        log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not check the game yet: will retry');
        return null;
      }
    }
    this.verdicts.set(g.address.toLowerCase(), verdict);
    metrics.gamesSeen.inc();
    if (verdict.verdict === 'valid') {
      metrics.gamesValid.inc();
      log.info({ rootClaim: g.rootClaim }, 'root claim matches the verified output root');
    } else if (verdict.verdict === 'invalid') {
      metrics.gamesInvalid.inc();
      log.error({ rootClaim: g.rootClaim, expected: verdict.expected }, 'INVALID ROOT CLAIM: the proposed output root is not the verified one');
    } else {
      metrics.gamesUnverifiable.inc();
      log.error({ reason: verdict.reason }, 'the L2 block behind this game does not verify');
    }
    return verdict;
  }
}
