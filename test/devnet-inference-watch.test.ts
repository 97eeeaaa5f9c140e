// The inference-lie devnet, as `hyperion-verify devnet --faulty-proposer --inference-lie` runs it:
// the chain runs the inference precompile (the devnet MLP in its store), every block calls it, the
// L1 has the inference game, and the faulty proposer's lie is an inference output: it claims a
// wrong output in the inference game and proposes the root of the block executed with it. The
// watch daemon, knowing only L1 and rollup.json (with the model files), must settle the block's
// inferences through its InferenceSettler (refuting the lie by the inference bisection) and then
// win the output-root game by a step at the inference call. Also: the parts that carry an
// inference call from the block to the settler (the node's store, rollup.json, journal keys).
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, modelId } from '../ai/model.js';
import { challengerMetrics } from '../challenger/metrics.js';
import { formatRollupConfig, inferencePurpose, parseRollupConfig, readRollupConfig, rollupChain, RollupConfigError, type RollupConfig } from '../challenger/daemon.js';
import { devnetModel } from '../devnet/models.js';
import { runScenario } from '../devnet/scenario.js';
import { decodeStoredBlock, encodeStoredBlock, type StoredBlock } from '../devnet/store.js';
import { outputRootOf } from '../challenger/output-root.js';
import { genesisHeader } from '../devnet/chain.js';
import { headerHash } from '../vm/block/header.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { runCli } from './support/cli.js';

const BASE: RollupConfig = {
  l2ChainId: 59902n,
  inbox: '0xff00000000000000000000000000000000059902',
  batcher: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  l1Start: 3n,
  genesisTimestamp: 1_700_000_000n,
  factory: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
};

describe('what carries an inference call to the watcher', () => {
  it('rollup.json: the inference game and model files round-trip, relative paths resolve from the file, bad entries are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollup-inference-'));
    try {
      const model = await devnetModel();
      await writeFile(join(dir, 'mlp.bin'), encodeModel(model));
      const withInference: RollupConfig = { ...BASE, inference: { game: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', models: ['mlp.bin'] } };
      expect(parseRollupConfig(formatRollupConfig(withInference))).toEqual(withInference);
      await writeFile(join(dir, 'rollup.json'), formatRollupConfig(withInference));
      const read = await readRollupConfig(join(dir, 'rollup.json'));
      expect(read.inference?.models).toEqual([join(dir, 'mlp.bin')]);
      const { chain, models } = await rollupChain(read);
      expect(chain.inference?.address).toBe(INFERENCE_PRECOMPILE);
      expect([...models.keys()]).toEqual([bytesToHex(modelId(model))]);
      expect((await rollupChain(BASE)).chain.inference).toBeUndefined();
      // A model file that is missing or not a model is a config error, not a chain without it.
      await expect(rollupChain({ ...read, inference: { ...read.inference!, models: [join(dir, 'missing.bin')] } })).rejects.toThrow(/ENOENT/);
      await writeFile(join(dir, 'junk.bin'), Uint8Array.of(1, 2, 3));
      await expect(rollupChain({ ...read, inference: { ...read.inference!, models: [join(dir, 'junk.bin')] } })).rejects.toBeInstanceOf(RollupConfigError);
      for (const inference of [{ game: 'nope', models: ['a'] }, { game: withInference.inference!.game, models: [] }, 'x']) {
        expect(() => parseRollupConfig(JSON.stringify({ ...JSON.parse(formatRollupConfig(BASE)), inference }))).toThrow(RollupConfigError);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the block store keeps a block’s inference calls (a record without them is read as before)', async () => {
    const model = await devnetModel();
    const header = genesisHeader(1_700_000_000n);
    const hash = headerHash(header);
    const mp = new Uint8Array(32).fill(7);
    const base: StoredBlock = {
      number: header.number,
      hash,
      header,
      transactions: [],
      stateRoot: header.stateRoot,
      messagePasserStorageRoot: mp,
      outputRoot: outputRootOf(header.stateRoot, mp, hash),
      l1Origin: null,
      derivedFrom: null,
    };
    const input = Int8Array.from({ length: 16 }, (_, i) => i * 9 - 70);
    const withCalls: StoredBlock = { ...base, inferences: [{ model: bytesToHex(modelId(model)), input }] };
    const back = decodeStoredBlock(encodeStoredBlock(withCalls), outputRootOf);
    expect(back.inferences).toEqual(withCalls.inferences);
    const plain = decodeStoredBlock(encodeStoredBlock(base), outputRootOf);
    expect(plain.inferences).toBeUndefined();
    // The record of a block without inference calls is byte for byte the old 8-field one.
    expect(encodeStoredBlock({ ...base, inferences: [] })).toEqual(encodeStoredBlock(base));
  }, 60_000);

  it('journal keys of inference game calls: one per calldata, a withdrawal per L1 block', () => {
    const g = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
    expect(inferencePurpose(g, 'challenge', '0x01', 5n)).toBe(inferencePurpose(g, 'challenge', '0x01', 9n));
    expect(inferencePurpose(g, 'challenge', '0x01', 5n)).not.toBe(inferencePurpose(g, 'challenge', '0x02', 5n));
    expect(inferencePurpose(g, 'withdraw', '0x3ccfd60b', 5n)).not.toBe(inferencePurpose(g, 'withdraw', '0x3ccfd60b', 6n));
    expect(inferencePurpose(g, 'post', '0x01', 5n).startsWith(`inference:${g.toLowerCase()}:post:`)).toBe(true);
  });
});

describe('devnet with an inference lie', () => {
  it('the watch daemon refutes the lying inference claim by the inference bisection, settles the right output and wins the output-root game by a step', async () => {
    const metrics = challengerMetrics();
    const s = await runScenario({ blocks: 8, faultyProposer: true, inferenceLie: true, exitWhenResolved: true, seed: 3, metrics, logger: pino({ level: 'warn' }) });
    expect(s.gamesCreated).toBe(2);
    expect(s.invalidRoots).toBe(1);
    expect(s.honestLosses).toBe(0);
    expect(s.unresolved).toBe(0);
    for (const g of s.games) expect(g.status).toBe(g.honest ? 'DEFENDER_WINS' : 'CHALLENGER_WINS');
    const inf = s.inference!;
    expect(inf.lies).toBe(1);
    expect(inf.liesRefuted).toBe(1);
    expect(inf.challengerWins).toBeGreaterThanOrEqual(1);
    // Every inference of the contested game's blocks (one per block) was settled right.
    expect(inf.settled).toBeGreaterThanOrEqual(1);
    const value = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
      const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
      return m?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    };
    expect(await value('hyperion_challenger_inferences_settled_total')).toBeGreaterThanOrEqual(inf.settled);
    expect(await value('hyperion_challenger_inferences_lost_total')).toBe(0);
    expect(await value('hyperion_challenger_inference_calls_total')).toBeGreaterThan(0);
    // The output-root game was won by a step on L1, not by the liar's clock.
    expect(await value('hyperion_challenger_moves_sent_total', { type: 'step' })).toBeGreaterThanOrEqual(1);
  }, 1_200_000);

  it('hyperion-verify devnet --inference-lie needs --faulty-proposer', async () => {
    const r = await runCli(['devnet', '--inference-lie', '--blocks', '4']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--inference-lie needs --faulty-proposer/);
  }, 60_000);
});
