// The devnet over EigenDA: the batcher disperses each channel through the devnet's memstore proxy
// and sends the certificate to the inbox as alt-DA calldata; the deriving node reads it back
// through the proxy and checks the data against the certificate's KZG commitment. A proxy that
// serves tampered data has its payload skipped with the reason and counted; one that is down is
// a DA fetch error, retried by the next sync; the usage errors of `devnet` and `watch`; and the
// faulty-proposer scenario end to end over EigenDA, which the watcher wins.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { formatRollupConfig, loadEigenDASrs, nodeMetricsObserver, parseRollupConfig } from '../challenger/daemon.js';
import { challengerMetrics, type ChallengerMetrics } from '../challenger/metrics.js';
import { EigenDAClient, type G1Srs } from '../da/eigenda/index.js';
import { DEVNET_BATCH_INBOX, maxEigenDAPayload, postBlocksEigenDA } from '../devnet/batcher.js';
import { DEVNET_CHAIN_ID } from '../devnet/chain.js';
import { LoadGenerator } from '../devnet/load.js';
import { DevnetNode } from '../devnet/node.js';
import { runScenario } from '../devnet/scenario.js';
import { Sequencer } from '../devnet/sequencer.js';
import type { SealedBlock } from '../devnet/state.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { bytesToHex, hexToBytes, type Hex } from '../vm/util/bytes.js';
import { runCli } from './support/cli.js';
import { startEigenDAMemstore, type Memstore } from './support/eigenda-memstore.js';

const SRS_PATH = fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url));

interface LogLine {
  msg: string;
  [k: string]: unknown;
}

function capturingLogger(lines: LogLine[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

async function metricValue(metrics: ChallengerMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

let srs: G1Srs;
beforeAll(async () => {
  srs = await loadEigenDASrs(SRS_PATH);
});

describe('devnet batcher and node over EigenDA (anvil, memstore proxy)', () => {
  let anvil: AnvilNode;
  let seq: Sequencer;
  let proxy: Memstore;
  let batcherKey: Hex;
  let genesisTimestamp: bigint;
  let l1Start: bigint;
  const blocks: SealedBlock[] = [];
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'devnet-eigenda-'));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    batcherKey = anvil.privateKeys[1]!;
    const latest = await rpc<{ timestamp: string; number: string }>(anvil.rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    genesisTimestamp = BigInt(latest.timestamp);
    l1Start = BigInt(latest.number) + 1n;
    seq = await Sequencer.open({ dataDir: await tempDir(), genesisTimestamp });
    const load = new LoadGenerator({ seed: 7 });
    const origin = { number: BigInt(latest.number), hash: hexToBytes((await rpc<{ hash: string }>(anvil.rpcUrl, 'eth_getBlockByNumber', [latest.number, false])).hash) };
    for (let i = 0; i < 2; i++) blocks.push((await seq.buildBlock(load.nextBlock().map((t) => t.raw), origin)).block);
    proxy = await startEigenDAMemstore({ srs });
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await seq?.close();
    await anvil?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const post = () =>
    postBlocksEigenDA(blocks, {
      l1RpcUrl: anvil.rpcUrl,
      privateKey: batcherKey,
      genesisTimestamp,
      eigenda: new EigenDAClient({ proxyUrls: [proxy.url], srs, retries: 0 }),
      srsPoints: srs.points.length,
    });

  it('a blob fits the SRS: 2048 symbols of 3000 points, one of them the header', () => {
    expect(maxEigenDAPayload(srs.points.length)).toBe(2047 * 31);
    expect(() => maxEigenDAPayload(1)).toThrow(/cannot commit/);
  });

  it('tampered data is skipped with its reason and counted; a proxy that is down is retried; then the blocks derive', async () => {
    const lines: LogLine[] = [];
    const metrics = challengerMetrics();
    const node = await DevnetNode.open({
      l1RpcUrl: anvil.rpcUrl,
      inbox: DEVNET_BATCH_INBOX,
      batcher: addressOfPrivateKey(batcherKey),
      l1Start,
      dataDir: await tempDir(),
      genesisTimestamp,
      logger: capturingLogger(lines),
      eigenda: { proxyUrls: [proxy.url], srs },
      observer: nodeMetricsObserver(metrics),
    });
    try {
      // 1. The proxy serves the payload with one byte changed: the commitment check catches it.
      const first = await post();
      expect(first.transactions.length).toBeGreaterThanOrEqual(1);
      for (const t of first.transactions) {
        expect(t.blobs).toBe(0);
        expect(t.commitment).toMatch(/^0x0100/);
        const tx = await rpc<{ input: string; to: string }>(anvil.rpcUrl, 'eth_getTransactionByHash', [t.txHash]);
        expect(tx.to.toLowerCase()).toBe(DEVNET_BATCH_INBOX);
        expect(tx.input).toBe(`0x01${t.commitment!.slice(2)}`); // derivation version 1: alt-DA
      }
      proxy.behaviour = { kind: 'tamper-data' };
      const tampered = await node.sync();
      expect(tampered.derived).toBe(0);
      expect(tampered.daFailure).toBeNull();
      const skipped = lines.filter((l) => l.msg.startsWith('batcher data skipped'));
      expect(skipped).toHaveLength(first.transactions.length);
      for (const l of skipped) {
        expect(l.source).toBe('eigenda');
        expect(l.tx).toBe(first.transactions[skipped.indexOf(l)]!.txHash);
        expect(String(l.reason)).toMatch(/^alt-DA commitment rejected: .*/);
      }
      expect(await metricValue(metrics, 'hyperion_challenger_da_payloads_skipped_total', { source: 'eigenda' })).toBe(first.transactions.length);

      // 2. The same channel again, with the proxy down: the L1 block is not passed, but retried.
      proxy.behaviour = { kind: 'honest' };
      const second = await post();
      proxy.behaviour = { kind: 'status', status: 503 };
      const down = await node.sync();
      expect(down.derived).toBe(0);
      expect(down.daFailure).toMatchObject({ source: 'eigenda', l1Block: second.transactions[0]!.l1Block });
      expect(await metricValue(metrics, 'hyperion_challenger_da_fetch_errors_total', { source: 'eigenda' })).toBe(1);
      expect(lines.some((l) => l.msg.startsWith('DA fetch failed') && l.source === 'eigenda')).toBe(true);

      // 3. The proxy is back: the retried block derives both L2 blocks, re-executed (replay speed counted).
      proxy.behaviour = { kind: 'honest' };
      const back = await node.sync();
      expect(back.daFailure).toBeNull();
      expect(back.derived).toBe(2);
      expect(node.head().number).toBe(2n);
      for (const b of blocks) expect((await node.outputAt(b.number))!.outputRoot).toBe(bytesToHex(b.outputRoot));
      const gas = blocks.reduce((s, b) => s + Number(b.header.gasUsed), 0);
      expect(await metricValue(metrics, 'hyperion_challenger_replay_gas_total')).toBe(gas);
      expect(await metricValue(metrics, 'hyperion_challenger_replay_seconds_total')).toBeGreaterThan(0);
      // Skips are counted once, not again when a block is replayed.
      expect(await metricValue(metrics, 'hyperion_challenger_da_payloads_skipped_total', { source: 'eigenda' })).toBe(first.transactions.length);
    } finally {
      await node.close();
    }
  }, 180_000);
});

describe('rollup.json carries the EigenDA proxy and SRS for a separate watch', () => {
  it('round-trips, and rejects bad values', () => {
    const base = { l2ChainId: DEVNET_CHAIN_ID, inbox: DEVNET_BATCH_INBOX, batcher: DEVNET_BATCH_INBOX, l1Start: 3n, genesisTimestamp: 9n, factory: DEVNET_BATCH_INBOX } as const;
    const withDa = { ...base, eigendaProxy: ['http://127.0.0.1:3100'], eigendaSrs: '/srs/g1.point' };
    expect(parseRollupConfig(formatRollupConfig(withDa))).toEqual(withDa);
    expect(parseRollupConfig(formatRollupConfig(base))).toEqual(base);
    const text = (extra: Record<string, unknown>): string => JSON.stringify({ ...JSON.parse(formatRollupConfig(base)), ...extra });
    expect(() => parseRollupConfig(text({ eigendaProxy: 'http://x' }))).toThrow(/eigendaProxy must be a non-empty list/);
    expect(() => parseRollupConfig(text({ eigendaProxy: [] }))).toThrow(/eigendaProxy/);
    expect(() => parseRollupConfig(text({ eigendaSrs: 3 }))).toThrow(/eigendaSrs must be a file path/);
    // The inputs inbox the watcher checks derived blocks against.
    const withInbox = { ...base, inputsInbox: DEVNET_BATCH_INBOX };
    expect(parseRollupConfig(formatRollupConfig(withInbox))).toEqual(withInbox);
    expect(() => parseRollupConfig(text({ inputsInbox: '0x12' }))).toThrow(/inputsInbox must be an address/);
  });
});

describe('usage errors (exit 2, one line)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devnet-eigenda-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const expectUsage = async (args: string[], message: RegExp, env: Record<string, string> = {}): Promise<void> => {
    const r = await runCli([...args, '--log-level', 'warn'], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  };

  it('devnet: --da eigenda needs --eigenda-srs, the SRS only with eigenda, a file that exists, a known --da', async () => {
    await expectUsage(['devnet', '--da', 'eigenda'], /--da eigenda needs --eigenda-srs/);
    await expectUsage(['devnet', '--eigenda-srs', SRS_PATH], /--eigenda-srs applies to --da eigenda only/);
    await expectUsage(['devnet', '--da', 'eigenda', '--eigenda-srs', join(dir, 'missing')], /--eigenda-srs: cannot open SRS file/);
    await expectUsage(['devnet', '--da', 'celestia'], /--da/);
  }, 120_000);

  it('watch: the EigenDA options are challenge-only; a proxy needs an SRS (from the flags or rollup.json)', async () => {
    const key = { HYPERION_PRIVATE_KEY: `0x${'11'.repeat(32)}` };
    const base = { l2ChainId: DEVNET_CHAIN_ID, inbox: DEVNET_BATCH_INBOX, batcher: DEVNET_BATCH_INBOX, l1Start: 1n, genesisTimestamp: 1n, factory: DEVNET_BATCH_INBOX };
    const plain = join(dir, 'rollup.json');
    await writeFile(plain, formatRollupConfig(base));
    const withProxy = join(dir, 'rollup-proxy.json');
    await writeFile(withProxy, formatRollupConfig({ ...base, eigendaProxy: ['http://127.0.0.1:9'] }));
    const challenge = (rollup: string): string[] => ['watch', '--mode', 'challenge', '--l1-rpc', 'http://127.0.0.1:9', '--rollup-config', rollup, '--data-dir', join(dir, 'w')];
    await expectUsage(['watch', '--l1-rpc', 'http://127.0.0.1:9', '--l2-rpc', 'http://127.0.0.1:9', '--factory', DEVNET_BATCH_INBOX, '--eigenda-proxy', 'http://127.0.0.1:9'], /apply to --mode challenge only/);
    await expectUsage([...challenge(plain), '--eigenda-proxy', 'http://127.0.0.1:9'], /--eigenda-proxy needs --eigenda-srs/, key);
    await expectUsage(challenge(withProxy), /--eigenda-proxy needs --eigenda-srs/, key);
    await expectUsage([...challenge(plain), '--eigenda-srs', SRS_PATH], /--eigenda-srs needs --eigenda-proxy/, key);
    await expectUsage([...challenge(withProxy), '--eigenda-srs', join(dir, 'missing')], /--eigenda-srs: cannot open SRS file/, key);
    await expectUsage([...challenge(plain), '--eigenda-proxy', 'not a url'], /--eigenda-proxy/, key);
  }, 120_000);
});

describe('devnet end to end over EigenDA', () => {
  it('the batcher posts certificates, the watcher derives through the proxy, counters the invalid root and wins', async () => {
    const metrics = challengerMetrics();
    const dataDir = await mkdtemp(join(tmpdir(), 'devnet-eigenda-e2e-'));
    const lines: LogLine[] = [];
    try {
      const s = await runScenario({ blocks: 8, faultyProposer: true, exitWhenResolved: true, seed: 2, da: 'eigenda', eigendaSrs: SRS_PATH, dataDir, metrics, logger: capturingLogger(lines) });
      // Every channel went through EigenDA (no blobs exist for the watcher to fall back on).
      const posted = lines.filter((l) => l.msg === 'batch posted');
      expect(posted.length).toBeGreaterThanOrEqual(2);
      for (const l of posted) expect(l.da).toBe('eigenda');
      expect(lines.filter((l) => l.msg.startsWith('batcher data skipped'))).toEqual([]);
      expect(s.gamesCreated).toBe(2);
      expect(s.invalidRoots).toBe(1);
      expect(s.invalidCountered).toBe(1);
      expect(s.validUntouched).toBe(s.validRoots);
      expect(s.honestLosses).toBe(0);
      expect(s.unresolved).toBe(0);
      for (const g of s.games) expect(g.status).toBe(g.honest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
      expect(await metricValue(metrics, 'hyperion_challenger_l2_verified_head')).toBe(8);
      expect(await metricValue(metrics, 'hyperion_challenger_moves_sent_total', { type: 'step' })).toBeGreaterThanOrEqual(1);
      expect(await metricValue(metrics, 'hyperion_challenger_replay_gas_total')).toBeGreaterThan(0);
      expect(await metricValue(metrics, 'hyperion_challenger_replay_seconds_total')).toBeGreaterThan(0);
      expect(await metricValue(metrics, 'hyperion_challenger_da_payloads_skipped_total', { source: 'eigenda' })).toBe(0);
      // rollup.json tells a separate watch where the proxy and the SRS are.
      const rollup = parseRollupConfig(await readFile(join(dataDir, 'rollup.json'), 'utf8'));
      expect(rollup.eigendaProxy?.[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(rollup.eigendaSrs).toBe(SRS_PATH);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 900_000);
});
