// Soak test of the challenger's memory (issue 7: "memory that stays flat over weeks"). One
// Challenger, in a child process started with --expose-gc and one data dir throughout, plays many
// alphabet dispute games on a real anvil one after another: every other game a lie it must defeat
// (stepped, resolved, bonds claimed), the others an honest root it must leave alone (the
// proposer resolves it after the clock; the challenger then forgets it). After a warm-up the
// child's heap is sampled after forced full collections, and the least-squares slope of heap
// used per game must stay under a bound that a deliberately leaking control (the same soak with
// a small never-evicted per-game cache) exceeds. The outcomes are checked on chain and in the
// journal. HV_SOAK_SNAPSHOTS=<dir> writes V8 heap snapshots after the warm-up and at the end, to
// diff when the bound is exceeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestClient, http, type Address } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { l1Clients, type L1Clients } from '../contracts/deploy.js';
import { Journal } from '../challenger/journal.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { beliefVerdict, divergentChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { ANCHOR_BLOCK, GAME_TYPE, MAX_CLOCK, PROGRAM_STEPS, deployAlphabetSystem, truth } from './challenger-support.js';
import type { SoakCommand, SoakGameTick, SoakHeapSample, SoakReply } from './challenger-soak-runner.js';

const GAMES = 40;
/** Games played before the first sample: code compiled, caches and the journal's first files settled. */
const WARMUP = 8;
/** Games between samples. */
const EVERY = 2;
/**
 * Bound on the least-squares heap growth per game. Measured: a healthy run fits well under
 * 1 KB/game (single samples scatter by about ±20 KB, so the fitted slope's standard error over
 * 17 samples is about 0.3 KB/game), the journal's records living in level, off the JS heap. The
 * control below leaks about 16 KB/game and must exceed it. At one game an hour, 4 KB/game is
 * under 3 MB a month.
 */
const SLOPE_BOUND_BYTES_PER_GAME = 4 * 1024;
/** Gross bound on growth from the first sample after warm-up to any later one. */
const GROWTH_BOUND_BYTES = 20 * 1024 * 1024;
/** The control: entries of its never-evicted per-game cache (66-char strings, ~250 heap bytes each as built). */
const LEAK_ENTRIES = 64;
const CONTROL_GAMES = 20;
/** A directory to write heap snapshots to (after the warm-up and at the end), to see what grows. */
const SNAPSHOTS = process.env.HV_SOAK_SNAPSHOTS;

const MB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'hv-challenger-soak-'));
const runner = fileURLToPath(new URL('challenger-soak-runner.ts', import.meta.url));
const hooks = new URL('challenger-soak-hooks.mjs', import.meta.url).href;
/**
 * The child runs on V8's interpreter alone with bytecode kept: baseline and optimised code, and
 * bytecode flushed after a few idle collections, come and go with the JIT's heuristics and made
 * samples drift by hundreds of KB in a run with a full JIT (bounded by the program's size, but
 * noise that hides a small leak). Without them the heap holds the challenger's data, and that is
 * what must stay flat.
 */
const CHILD_FLAGS = ['--no-opt', '--no-sparkplug', '--no-flush-bytecode', '--expose-gc'];
const registerHooks = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(hooks)});`;

type Kind = 'lie' | 'honest';
interface Played {
  readonly address: Address;
  readonly kind: Kind;
}
interface Sample extends SoakHeapSample {
  /** Games finished when the sample was taken. */
  readonly games: number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly { readonly x: number; readonly y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

/** The soak runner as a request/reply channel. */
class SoakChild {
  private readonly waiting: ((r: SoakReply) => void)[] = [];
  private stderr = '';
  private exit: string | undefined;

  private constructor(readonly proc: ChildProcess) {
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    proc.on('message', (m: SoakReply) => this.waiting.shift()?.(m));
    proc.on('exit', (code, signal) => {
      this.exit = `soak runner exited (${code ?? signal}): ${this.stderr}`;
      for (const w of this.waiting.splice(0)) w({ error: this.exit });
    });
  }

  static async start(args: readonly string[]): Promise<SoakChild> {
    const proc = fork(runner, [...args], { execArgv: [...CHILD_FLAGS, '--import', registerHooks], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const c = new SoakChild(proc);
    const first = await c.next();
    if (!('ready' in first)) throw new Error(`soak runner did not start: ${JSON.stringify(first)}`);
    return c;
  }

  private next(): Promise<SoakReply> {
    if (this.exit !== undefined) return Promise.resolve({ error: this.exit });
    return new Promise((r) => this.waiting.push(r));
  }

  async request(cmd: SoakCommand): Promise<SoakReply> {
    const reply = this.next();
    this.proc.send(cmd);
    const r = await reply;
    if ('error' in r) throw new Error(r.error);
    return r;
  }

  async tick(): Promise<{ readonly games: readonly SoakGameTick[]; readonly failed: readonly string[] }> {
    const r = await this.request({ cmd: 'tick' });
    if (!('tick' in r)) throw new Error(`expected a tick, got ${JSON.stringify(r)}`);
    return r.tick;
  }

  async sample(): Promise<SoakHeapSample> {
    const r = await this.request({ cmd: 'sample' });
    if (!('sample' in r)) throw new Error(`expected a sample, got ${JSON.stringify(r)}`);
    return r.sample;
  }

  async snapshot(path: string): Promise<string> {
    const r = await this.request({ cmd: 'snapshot', path });
    if (!('snapshot' in r)) throw new Error(`expected a snapshot, got ${JSON.stringify(r)}`);
    return r.snapshot;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => (this.exit !== undefined ? r() : this.proc.once('exit', () => r())));
    await this.request({ cmd: 'close' });
    await exited;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

describe('challenger soak: memory stays flat over many games', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let proposer: L1Clients;
  let testClient: ReturnType<typeof createTestClient>;
  const children: SoakChild[] = [];

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    const keys = node.privateKeys;
    deployer = l1Clients(node.rpcUrl, keys[0]!, { pollingIntervalMs: 20 });
    honest = l1Clients(node.rpcUrl, keys[1]!, { pollingIntervalMs: 20 });
    liar = l1Clients(node.rpcUrl, keys[2]!, { pollingIntervalMs: 20 });
    proposer = l1Clients(node.rpcUrl, keys[3]!, { pollingIntervalMs: 20 });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) c.kill();
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const advancePastClock = async (): Promise<void> => {
    await testClient.increaseTime({ seconds: Number(MAX_CLOCK) + 1 });
    await testClient.mine({ blocks: 1 });
  };

  /**
   * Plays `games` games against a fresh factory with one challenger (a child process) over
   * `dataDir`, sampling its heap after the warm-up and then every EVERY games.
   */
  async function soak(dataDir: string, games: number, leakEntries: number): Promise<{ played: Played[]; samples: Sample[] }> {
    const factory = await deployAlphabetSystem(deployer);
    const child = await SoakChild.start([node.rpcUrl, node.privateKeys[1]!, factory, dataDir, String(leakEntries)]);
    children.push(child);
    const played: Played[] = [];
    const samples: Sample[] = [];
    for (let i = 0; i < games; i++) {
      const kind: Kind = i % 2 === 0 ? 'lie' : 'honest';
      // Increasing blocks: each honest game moves the anchor, and a game must be past it.
      const block = ANCHOR_BLOCK + 4n * BigInt(i + 1);
      let address: Address;
      let other: GameAgent;
      if (kind === 'lie') {
        const anchor = await new L1Factory(liar, factory).anchor(GAME_TYPE);
        const lie = divergentChain(truth, anchor.l2BlockNumber + 1n + BigInt(i % 3), `soak ${i}`);
        ({ address } = await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(block), l2BlockNumber: block }));
        const params = (await new L1GameContract(liar, address).view()).params;
        other = new GameAgent(new L1GameContract(liar, address), new GameSolver(l1AlphabetAccessor(params, PROGRAM_STEPS, lie, beliefVerdict(lie))), { resolve: false });
      } else {
        ({ address } = await new L1Factory(proposer, factory).createGame({ gameType: GAME_TYPE, rootClaim: truth(block), l2BlockNumber: block }));
        const params = (await new L1GameContract(proposer, address).view()).params;
        // The proposer defends nothing (nobody attacks) and resolves its game once the clock is out.
        other = new GameAgent(new L1GameContract(proposer, address), new GameSolver(l1AlphabetAccessor(params, PROGRAM_STEPS, truth)), { resolve: true });
      }
      played.push({ address, kind });
      let done = false;
      for (let round = 0; round < 60 && !done; round++) {
        const tick = await child.tick();
        expect(tick.failed).toEqual([]);
        // Earlier games are finished and no longer followed.
        expect(tick.games.map((g) => g.address)).toEqual([address]);
        const mine = tick.games[0]!;
        expect(mine.rejected).toEqual([]);
        if (kind === 'honest') expect(mine.sent).toEqual([]);
        done = mine.done;
        if (done) break;
        const theirs = await other.tick();
        if (mine.sent.length === 0 && theirs.sent.length === 0) await advancePastClock();
      }
      expect(done, `game ${i} (${kind}) finished`).toBe(true);
      const finished = i + 1;
      if (finished >= WARMUP && (finished - WARMUP) % EVERY === 0) samples.push({ games: finished, ...(await child.sample()) });
      if (SNAPSHOTS !== undefined && (finished === WARMUP || finished === games)) await child.snapshot(join(SNAPSHOTS, `${leakEntries}-${finished}.heapsnapshot`));
    }
    await child.close();
    return { played, samples };
  }

  const show = (label: string, samples: readonly Sample[], fitted: number): void => {
    const rows = samples.map((s) => `  game ${String(s.games).padStart(3)}: heap ${(s.heapUsed / MB).toFixed(3)} MB, rss ${(s.rss / MB).toFixed(1)} MB, external ${(s.external / MB).toFixed(2)} MB`);
    console.log(`${label}: heap used after forced GC, per games finished\n${rows.join('\n')}\n  fitted slope ${(fitted / 1024).toFixed(2)} KB/game`);
  };
  const fit = (samples: readonly Sample[]): number => slope(samples.map((s) => ({ x: s.games, y: s.heapUsed })));

  it(`plays ${GAMES} games in a row with a flat heap, defeating every lie and leaving every honest root alone`, async () => {
    const dataDir = join(work, 'soak');
    const { played, samples } = await soak(dataDir, GAMES, 0);
    const perGame = fit(samples);
    show('soak', samples, perGame);

    // Outcomes on chain.
    const me = honest.wallet.account.address;
    for (const g of played) {
      const view = await new L1GameContract({ public: honest.public }, g.address).view();
      if (g.kind === 'lie') {
        expect(view.status).toBe('CHALLENGER_WINS');
        expect(view.claims[0]!.counteredBy).toBe(me);
      } else {
        expect(view.status).toBe('DEFENDER_WINS');
        expect(view.claims).toHaveLength(1);
      }
    }
    // The journal (reopened here once the child has closed it) holds every game as done, nothing
    // sent for an honest root, and no per-game dir is left.
    const journal = await Journal.open(dataDir);
    try {
      const records = new Map((await journal.games()).map((r) => [r.address.toLowerCase(), r]));
      expect(records.size).toBe(GAMES);
      for (const g of played) {
        const r = records.get(g.address.toLowerCase());
        expect(r).toMatchObject(
          g.kind === 'lie' ? { done: true, status: 'CHALLENGER_WINS', outcome: 'won' } : { done: true, status: 'DEFENDER_WINS', outcome: 'none' },
        );
        const txs = await journal.txs(`game:${g.address.toLowerCase()}:`);
        if (g.kind === 'honest') expect(txs).toEqual([]);
        else expect(txs.length > 0 && txs.every((t) => t.status === 'mined')).toBe(true);
      }
    } finally {
      await journal.close();
    }
    expect(readdirSync(join(dataDir, 'games'))).toEqual([]);
    expect(existsSync(join(dataDir, 'journal'))).toBe(true);

    // The heap: flat after the warm-up.
    expect(samples.length).toBeGreaterThanOrEqual(10);
    expect(perGame).toBeLessThan(SLOPE_BOUND_BYTES_PER_GAME);
    for (const s of samples) expect(s.heapUsed - samples[0]!.heapUsed).toBeLessThan(GROWTH_BOUND_BYTES);
  }, 600_000);

  it('the bound catches a small leak: a control that never evicts a ~16 KB per-game cache exceeds it', async () => {
    const { samples } = await soak(join(work, 'control'), CONTROL_GAMES, LEAK_ENTRIES);
    const perGame = fit(samples);
    show(`leaking control (${LEAK_ENTRIES} entries per game)`, samples, perGame);
    expect(perGame).toBeGreaterThan(SLOPE_BOUND_BYTES_PER_GAME);
  }, 600_000);
});
