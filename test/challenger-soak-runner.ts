// Child process of test/challenger-soak.test.ts: one honest Challenger over one data dir, driven
// over the IPC channel so the test can sample this process's heap with nothing else in it (the
// liars, anvil control and vitest live in the parent). Started with `--expose-gc` (and the JIT
// flags the test documents).
// Arguments: RPC URL, private key, factory address, data dir, leak entries per game (0: none).
// With leak entries > 0 it is the deliberately leaking control: every game's accessor comes with
// a trace cache of that many 32-byte hex roots that is never evicted, the bug a challenger would
// have if it kept per-game state after the game is done.
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';
import type { Address, Hex } from 'viem';
import { Challenger } from '../challenger/challenger.js';
import { challengerMetrics } from '../challenger/metrics.js';
import { l1Clients } from '../contracts/deploy.js';
import { alphabetChain } from '../prover/l1/alphabet-l1.js';
import { ANCHOR_BLOCK, ANCHOR_ROOT, honestAccessorFor } from './challenger-support.js';

/** Parent to child. */
export type SoakCommand =
  | { readonly cmd: 'tick' }
  | { readonly cmd: 'sample' }
  /** A V8 heap snapshot (after a forced GC) at `path`, to find what grows when the bound is exceeded. */
  | { readonly cmd: 'snapshot'; readonly path: string }
  | { readonly cmd: 'close' };

/** What one tick did to one game, as the parent needs it. */
export interface SoakGameTick {
  readonly address: Address;
  readonly status: string;
  readonly sent: readonly string[];
  readonly rejected: readonly string[];
  readonly done: boolean;
}

/** Bytes, from `process.memoryUsage()` after forced full collections. */
export interface SoakHeapSample {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
}

/** Child to parent: one reply per command, in order (plus `ready` once at start). */
export type SoakReply =
  | { readonly ready: true }
  | { readonly tick: { readonly games: readonly SoakGameTick[]; readonly failed: readonly string[] } }
  | { readonly sample: SoakHeapSample }
  | { readonly snapshot: string }
  | { readonly closed: true }
  | { readonly error: string };

class SoakRunnerError extends Error {
  override readonly name = 'SoakRunnerError';
}

const [rpcUrl, key, factory, dataDir, leakArg] = process.argv.slice(2);
if (rpcUrl === undefined || key === undefined || factory === undefined || dataDir === undefined || leakArg === undefined) {
  throw new SoakRunnerError('usage: challenger-soak-runner RPC_URL PRIVATE_KEY FACTORY DATA_DIR LEAK_ENTRIES_PER_GAME');
}
const leakEntries = Number(leakArg);
if (!Number.isSafeInteger(leakEntries) || leakEntries < 0) throw new SoakRunnerError(`bad leak entries per game: ${leakArg}`);
const exposed = (globalThis as { gc?: () => void }).gc;
if (exposed === undefined) throw new SoakRunnerError('start the soak runner with --expose-gc');
const gc: () => void = exposed;
const send = (reply: SoakReply): void => {
  if (process.send === undefined) throw new SoakRunnerError('the soak runner needs an IPC channel (child_process.fork)');
  process.send(reply);
};

// The control's leak: reachable from a module-level array forever.
const retained: string[][] = [];
const l1 = l1Clients(rpcUrl, key as Hex, { pollingIntervalMs: 20 });
const challenger = await Challenger.create({
  l1,
  factory: factory as Address,
  accessorFor: (game) => {
    if (leakEntries > 0) {
      const a = game.address.slice(2).toLowerCase();
      retained.push(Array.from({ length: leakEntries }, (_, i) => `0x${a}${i.toString(16).padStart(24, '0')}`));
    }
    // The true chain memoised per game (dropped with its accessor), as a real trace lives in the
    // game's data dir: a shared memo would grow with every new block, an artefact of the fixture.
    return honestAccessorFor(alphabetChain(ANCHOR_ROOT, ANCHOR_BLOCK))(game);
  },
  claimants: [],
  dataDir,
  // Info level, as in production; into a file so log volume does not pile up in a pipe.
  logger: pino({ level: 'info' }, pino.destination({ dest: `${dataDir}.log`, sync: true })),
  metrics: challengerMetrics(),
  txmgr: { pollIntervalMs: 20 },
});

// Commands are handled one at a time, in arrival order.
let queue = Promise.resolve();
process.on('message', (m: SoakCommand) => {
  queue = queue.then(() => handle(m)).catch((e: unknown) => send({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
});

async function handle(m: SoakCommand): Promise<void> {
  switch (m.cmd) {
    case 'tick': {
      const t = await challenger.tick();
      send({
        tick: {
          games: t.games.map((g) => ({ address: g.address, status: g.status, sent: g.sent, rejected: g.rejected.map((r) => r.purpose), done: g.done })),
          failed: t.failed.map((f) => `${f.address}: ${f.error.message}`),
        },
      });
      return;
    }
    case 'sample': {
      // Full collections until the heap settles: objects behind WeakRefs and FinalizationRegistry
      // cleanups (undici's and AbortSignal's) are only freed by a later collection, after the
      // event loop has run the cleanup callbacks.
      let u = process.memoryUsage();
      for (let round = 0; round < 8; round++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
        const next = process.memoryUsage();
        const settled = Math.abs(next.heapUsed - u.heapUsed) < 4096;
        u = next;
        if (settled && round > 0) break;
      }
      send({ sample: { heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, arrayBuffers: u.arrayBuffers, rss: u.rss } });
      return;
    }
    case 'snapshot': {
      gc();
      send({ snapshot: writeHeapSnapshot(m.path) });
      return;
    }
    case 'close': {
      await challenger.close();
      send({ closed: true });
      process.disconnect();
      return;
    }
  }
}

send({ ready: true });
