// The devnet end to end, as `hyperion-verify devnet --faulty-proposer --exit-when-resolved` runs it:
// anvil L1, the MetisVM sequencer, blob batches, a proposer whose every second root comes from
// one instruction executed wrongly (and which defends it in the game), and the watch daemon in
// challenge mode, which knows nothing but L1. Every invalid root must be countered and lost by its
// proposer, every valid root must stand untouched, with the daemon restarted from its data dir
// again and again in the middle of the games.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runScenario } from '../devnet/scenario.js';
import { challengerMetrics } from '../challenger/metrics.js';
import type { DevnetSummary } from '../devnet/runner.js';
import { runCli } from './support/cli.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function expectHonestOutcome(s: DevnetSummary): void {
  expect(s.invalidRoots).toBeGreaterThanOrEqual(1);
  expect(s.validRoots).toBeGreaterThanOrEqual(1);
  expect(s.invalidCountered).toBe(s.invalidRoots);
  expect(s.validUntouched).toBe(s.validRoots);
  expect(s.honestLosses).toBe(0);
  expect(s.unresolved).toBe(0);
  expect(s.honestWins).toBe(s.gamesCreated);
  for (const g of s.games) expect(g.status).toBe(g.honest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
}

describe('devnet end to end', () => {
  it('the watcher counters every invalid root and wins, and leaves every valid one alone, across restarts', async () => {
    const metrics = challengerMetrics();
    const s = await runScenario({ blocks: 12, faultyProposer: true, exitWhenResolved: true, seed: 5, restartWatcherEvery: 3, metrics, logger: pino({ level: 'warn' }) });
    expectHonestOutcome(s);
    expect(s.gamesCreated).toBe(3);
    // The watcher derived every block from L1, traced the disputed one, and won by a step on L1.
    const value = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
      const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
      return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    };
    expect(await value('hyperion_challenger_l2_verified_head')).toBe(12);
    // Every derived block's inputs are what the batcher committed on L1.
    expect(await value('hyperion_challenger_inputs_checked_head')).toBe(12);
    expect(await value('hyperion_challenger_inputs_mismatches_total')).toBe(0);
    expect(await value('hyperion_challenger_traces_built_total')).toBeGreaterThanOrEqual(1);
    expect(await value('hyperion_challenger_moves_sent_total', { type: 'step' })).toBeGreaterThanOrEqual(1);
    // Replay speed: gas and seconds of the blocks MetisVM re-executed (rate(gas) / rate(seconds)).
    expect(await value('hyperion_challenger_replay_gas_total')).toBeGreaterThan(0);
    expect(await value('hyperion_challenger_replay_seconds_total')).toBeGreaterThan(0);
    // A healthy devnet: no DA fetch failed, no batcher data was skipped.
    for (const source of ['beacon', 'eigenda', 'l1']) {
      expect(await value('hyperion_challenger_da_fetch_errors_total', { source })).toBe(0);
      expect(await value('hyperion_challenger_da_payloads_skipped_total', { source })).toBe(0);
    }
  }, 900_000);

  it('a batcher that commits other inputs than the block it posts: the watcher reports it and holds the chain to L1', async () => {
    const metrics = challengerMetrics();
    // Honest roots of blocks 4 and 8; block 2's inputs on L1 are not the block the blobs carry.
    const s = await runScenario({ blocks: 8, faultyProposer: false, exitWhenResolved: true, seed: 4, faultyBatcherBlock: 2n, metrics, logger: pino({ level: 'silent' }) });
    const value = async (name: string): Promise<number> => (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name)?.values[0]?.value ?? 0;
    expect(await value('hyperion_challenger_inputs_mismatches_total')).toBe(1);
    expect(await value('hyperion_challenger_inputs_checked_head')).toBe(8);
    // L1 defines the chain: from block 2 on no output the sequencer computed is right, so the
    // watcher disputes both proposals and they fall (the runner counts them as honest losses,
    // its truth being the sequencer's).
    expect(s.gamesCreated).toBe(2);
    expect(s.validRoots).toBe(2);
    expect(s.validUntouched).toBe(0);
    for (const g of s.games) expect(g.status).toBe('CHALLENGER_WINS');
  }, 600_000);

  it('every watcher pass a fresh `watch --mode challenge --once` process on the same data dir', async () => {
    let passes = 0;
    const s = await runScenario({
      blocks: 8,
      faultyProposer: true,
      exitWhenResolved: true,
      seed: 2,
      logger: pino({ level: 'warn' }),
      externalWatcher: async ({ rollupFile, dataDir, l1RpcUrl, privateKey }) => {
        passes++;
        const r = await runCli(['watch', '--mode', 'challenge', '--once', '--l1-rpc', l1RpcUrl, '--rollup-config', rollupFile, '--data-dir', dataDir, '--log-level', 'warn'], { HYPERION_PRIVATE_KEY: privateKey });
        if (r.code !== 0) throw new Error(`watch exited ${r.code}: ${r.stderr}`);
      },
    });
    expectHonestOutcome(s);
    expect(passes).toBeGreaterThan(5);
  }, 900_000);

  it('hyperion-verify devnet --faulty-proposer --exit-when-resolved --summary FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devnet-cli-'));
    try {
      const file = join(dir, 'summary.json');
      const r = await runCli(['devnet', '--faulty-proposer', '--exit-when-resolved', '--blocks', '8', '--summary', file, '--data-dir', join(dir, 'data'), '--log-level', 'warn']);
      expect(r.code).toBe(0);
      const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
      expect(Object.keys(doc).sort()).toEqual(['gamesCreated', 'honestLosses', 'honestWins', 'invalidCountered', 'invalidRoots', 'validRoots', 'validUntouched'].sort());
      expect(doc).toEqual({ gamesCreated: 2, invalidRoots: 1, invalidCountered: 1, validRoots: 1, validUntouched: 1, honestWins: 2, honestLosses: 0 });
      // The watcher's chain config, for running `watch --mode challenge` against the same devnet.
      const rollup = JSON.parse(await readFile(join(dir, 'data', 'rollup.json'), 'utf8')) as Record<string, string>;
      expect(rollup.factory).toMatch(/^0x[0-9a-fA-F]{40}$/);
      expect(r.stdout).toMatch(/root INVALID, disputed, CHALLENGER_WINS/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
