// The devnet load against the MetisVM game's per-block step budget: every block the runner's
// load builds, and a worst-case block (the most transactions per block, each a hashing call at
// the most rounds), trace within 2^DEVNET_TRACE_DEPTH steps and prove the block's own output
// root. The trace reads the parent state copied out of the sequencer's level store through
// PersistentState's public preimage API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVNET_ACCOUNTS, devnetAlloc, MESSAGE_PASSER, MESSAGE_PASSER_RUNTIME } from '../devnet/chain.js';
import { DEVNET_MAX_BLOCK_STEPS } from '../devnet/l1.js';
import { LoadGenerator } from '../devnet/load.js';
import { DEVNET_RUN_LOAD } from '../devnet/runner.js';
import { Sequencer, sequencerView } from '../devnet/sequencer.js';
import type { SealedBlock } from '../devnet/state.js';
import { collectState, StateUnavailableError } from '../prover/metis/chain-view.js';
import { traceChainBlock } from '../prover/metis/trace-provider.js';
import { PersistentState, PersistentStateError } from '../vm/state/persistent.js';
import { blockStepCount } from '../vm/step/block-steps.js';
import { STATUS_INVALID, STATUS_VALID } from '../vm/step/state.js';
import { toAddress } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';

const ORIGIN = { number: 0n, hash: new Uint8Array(32) };

describe('devnet blocks fit the game trace depth', () => {
  const dirs: string[] = [];
  let seq: Sequencer;

  beforeAll(async () => {
    const d = await mkdtemp(join(tmpdir(), 'devnet-steps-'));
    dirs.push(d);
    seq = await Sequencer.open({ dataDir: d, genesisTimestamp: 1_000n });
  });

  afterAll(async () => {
    await seq?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function trace(block: SealedBlock, disputed = block.outputRoot) {
    return traceChainBlock(sequencerView(seq), block.number, disputed);
  }

  it('every block of the runner load traces in under 2^14 steps and proves its output root', async () => {
    const load = new LoadGenerator({ seed: 3, ...DEVNET_RUN_LOAD });
    const counts: number[] = [];
    for (let i = 0; i < 16; i++) {
      const { block, rejected } = await seq.buildBlock(load.nextBlock().map((t) => t.raw), ORIGIN);
      expect(rejected).toEqual([]);
      const t = await trace(block);
      expect(t.status).toBe(STATUS_VALID);
      expect(bytesToHex(t.outputRoot)).toBe(bytesToHex(block.outputRoot));
      counts.push(blockStepCount(t));
    }
    expect(Math.max(...counts)).toBeLessThan(DEVNET_MAX_BLOCK_STEPS);
    console.info(`devnet load steps per block: ${counts.join(' ')}`);
    // The load does run code: some block has more than boundary steps.
    expect(Math.max(...counts)).toBeGreaterThan(100);
  }, 300_000);

  it('a worst-case block of the runner load stays under the budget; a wrong root ends invalid', async () => {
    const [, most] = DEVNET_RUN_LOAD.perBlock;
    const [, rounds] = DEVNET_RUN_LOAD.hashRounds;
    // A sequencer of its own: the generator counts nonces from 0.
    const d = await mkdtemp(join(tmpdir(), 'devnet-steps-worst-'));
    dirs.push(d);
    const own = await Sequencer.open({ dataDir: d, genesisTimestamp: 1_000n });
    try {
      const fresh = new LoadGenerator({ seed: 4, ...DEVNET_RUN_LOAD, hashRounds: [rounds, rounds] });
      await own.buildBlock([fresh.nextTransaction('create').raw], ORIGIN);
      const txs = Array.from({ length: most }, () => fresh.nextTransaction('hash').raw);
      const { block, rejected } = await own.buildBlock(txs, ORIGIN);
      expect(rejected).toEqual([]);
      const traced = (disputed: Uint8Array) => traceChainBlock(sequencerView(own), block.number, disputed);
      const ok = await traced(block.outputRoot);
      expect(ok.status).toBe(STATUS_VALID);
      expect(blockStepCount(ok)).toBeLessThan(DEVNET_MAX_BLOCK_STEPS);
      expect(blockStepCount(ok)).toBeGreaterThan(most * rounds * 10);
      const bad = await traced(keccak256(block.outputRoot));
      expect(bad.status).toBe(STATUS_INVALID);
      console.info(`worst-case devnet block: ${most} hashing calls x ${rounds} rounds = ${blockStepCount(ok)} steps (budget ${DEVNET_MAX_BLOCK_STEPS})`);
      expect(blockStepCount(bad)).toBe(blockStepCount(ok));
    } finally {
      await own.close();
    }
  }, 300_000);
});

describe('PersistentState preimage API', () => {
  let dir: string;
  let state: PersistentState;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devnet-preimage-'));
    state = await PersistentState.fromGenesis(dir, devnetAlloc());
  });

  afterAll(async () => {
    await state?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the root node, code by hash and accounts at a root; unknown hashes are undefined', async () => {
    const root = state.stateRoot();
    const node = await state.preimage(root);
    expect(node).toBeDefined();
    expect(bytesToHex(keccak256(node!))).toBe(bytesToHex(root));
    const code = hexToBytes(MESSAGE_PASSER_RUNTIME);
    expect(bytesToHex((await state.preimage(keccak256(code)))!)).toBe(MESSAGE_PASSER_RUNTIME);
    expect(await state.preimage(keccak256(Uint8Array.of(1, 2, 3)))).toBeUndefined();
    await expect(state.preimage(new Uint8Array(31))).rejects.toThrow(PersistentStateError);
    const mp = await state.accountAt(root, toAddress(MESSAGE_PASSER));
    expect(mp).toMatchObject({ nonce: 1n, balance: 0n });
    expect(bytesToHex(mp!.codeHash)).toBe(bytesToHex(keccak256(code)));
    expect((await state.accountAt(root, DEVNET_ACCOUNTS[0]!))!.balance).toBe(10n ** 24n);
    expect(await state.accountAt(root, '0x00000000000000000000000000000000000000aa')).toBeNull();
    await expect(state.accountAt(keccak256(Uint8Array.of(9)), DEVNET_ACCOUNTS[0]!)).rejects.toThrow(PersistentStateError);
  });

  it('collectState copies every node and code under a root, and names what is missing', async () => {
    const store = await collectState({ preimage: async (h) => (await state.preimage(h)) ?? null }, state.stateRoot());
    expect(store.has(bytesToHex(keccak256(hexToBytes(MESSAGE_PASSER_RUNTIME))))).toBe(true);
    expect(store.has(bytesToHex(state.stateRoot()))).toBe(true);
    await expect(collectState({ preimage: () => Promise.resolve(null) }, state.stateRoot())).rejects.toThrow(StateUnavailableError);
  });
});
