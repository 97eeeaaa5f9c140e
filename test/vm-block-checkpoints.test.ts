// Whole-block step traces kept as level checkpoints: the commitment and one-step proof of any step
// are served from disk (re-executing from the nearest checkpoint with the game's local context)
// and equal the trace held in memory; a reopened store serves the same; damage is a typed error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hyperionRules } from '../vm/chain/chain.js';
import { blockEnvOf, executeBlock } from '../vm/block/execute.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import { MESSAGE_PASSER, outputRootOf } from '../vm/block/output-root.js';
import { MemoryState } from '../vm/state/memory.js';
import { WitnessState, postStateRoot } from '../vm/state/witness.js';
import { NodeStore, PartialTrie } from '../vm/state/witness-trie.js';
import { WorldState } from '../vm/state/world.js';
import { EMPTY_TRIE_ROOT, decodeAccount } from '../vm/trie/index.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { FeeMarketTx } from '../vm/tx/types.js';
import { addressToBytes, toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { blockLocalContext, blockStepCount, blockStepWitness, traceBlockSteps, type BlockStepTrace, type BlockStepsInput } from '../vm/step/block-steps.js';
import { BlockCheckpoints, CheckpointError, localContextPreimages, recordBlockTrace } from '../vm/step/checkpoints.js';
import { verifyStep } from '../vm/step/execute.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { PreimageStore } from '../vm/step/preimages.js';
import { STATUS_VALID } from '../vm/step/state.js';
import { storeFromWitness } from '../vm/step/trace.js';
import { asm } from './support/step-traces.js';

const CHAIN_ID = 133717n;
const chain = hyperionRules(CHAIN_ID, 'prague');
const KEY = ('0x' + '22'.repeat(32)) as `0x${string}`;
const SENDER = addressOfPrivateKey(KEY);
const LOOPER = toAddress('0x00000000000000000000000000000000000100b0');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');
const PARENT_HASH = keccak256(Uint8Array.of(7, 7));
const EVERY = 64;

// i = calldata word; do { mstore((i & 63) * 32, i); sstore(i & 7, i); log0(0, 32); i-- } while (i)
const LOOP = asm(`
  6000 35
  5b 80 603f 16 6020 02 81 90 52
     80 6007 16 81 90 55
     6020 6000 a0
     6001 90 03 80 6003 57 00`);
// The message passer stores the block number under the caller.
const PASSER = asm('43 33 55 00');
// Init code returning the one-byte runtime 0x00.
const INIT = asm('6000 6000 53 6001 6000 f3');

const word = (n: number): Uint8Array => hexToBytes(('0x' + n.toString(16).padStart(64, '0')) as `0x${string}`);

function parentState(): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(LOOPER, { code: LOOP, storage: new Map([[3n, 1n]]) });
  s.put(MESSAGE_PASSER, { code: PASSER });
  return s;
}

function tx(nonce: bigint, to: Address | null, data: Uint8Array, value = 0n): Uint8Array {
  const t: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: 2n, maxFeePerGas: 1000n, gasLimit: 2_000_000n, to, value, data, accessList: [] };
  return encodeTransaction(signTransaction(t, KEY));
}

const TXS = (): Uint8Array[] => [
  tx(0n, LOOPER, word(40)),
  tx(1n, OTHER, new Uint8Array(0), 9n),
  tx(2n, LOOPER, word(70)),
  tx(3n, null, INIT),
  tx(4n, MESSAGE_PASSER, new Uint8Array(0)),
  tx(5n, LOOPER, word(25)),
];

function header(): BlockHeader {
  return {
    parentHash: PARENT_HASH,
    ommersHash: hexToBytes('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
    coinbase: toAddress('0x00000000000000000000000000000000000fee00'),
    stateRoot: new Uint8Array(32),
    transactionsRoot: keccak256(Uint8Array.of(9)),
    receiptsRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 21n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1_700_000_500n,
    extraData: new Uint8Array(0),
    mixHash: keccak256(Uint8Array.of(5)),
    nonce: new Uint8Array(8),
    baseFeePerGas: 7n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: keccak256(Uint8Array.of(6)),
    requestsHash: new Uint8Array(32),
  };
}

const blockHashes = (n: bigint): bigint | null => (n === 20n ? BigInt(bytesToHex(PARENT_HASH)) : null);

function passerRoot(nodes: Map<string, Uint8Array>, stateRoot: Uint8Array): Uint8Array {
  const leaf = new PartialTrie(new NodeStore(nodes), stateRoot).get(keccak256(addressToBytes(MESSAGE_PASSER)));
  return leaf === null ? EMPTY_TRIE_ROOT : decodeAccount(leaf).storageRoot;
}

/** The block on the fast executor (its output root is the one disputed), and the step trace's input. */
function block(): { store: () => PreimageStore; input: BlockStepsInput; expectedOutput: Uint8Array } {
  const state = parentState();
  const witness = fullWitness(state);
  const world = new WorldState(new WitnessState(witness));
  const h = header();
  const r = executeBlock(world, chain, { header: h, transactions: TXS() }, blockHashes);
  const nodes = new Map(witness.nodes);
  const stateRoot = postStateRoot(witness, world.changes(), { persist: (enc) => void nodes.set(bytesToHex(keccak256(enc)), enc) });
  const full: BlockHeader = { ...h, stateRoot, receiptsRoot: r.receiptsRoot, logsBloom: r.logsBloom, gasUsed: r.gasUsed, blobGasUsed: r.blobGasUsed, requestsHash: r.requestsHash! };
  const expectedOutput = outputRootOf(stateRoot, passerRoot(nodes, stateRoot), headerHash(full));
  return {
    store: () => storeFromWitness(fullWitness(parentState())),
    expectedOutput,
    input: {
      header: h,
      transactions: TXS(),
      env: blockEnvOf(h, chain, blockHashes),
      parent: { stateRoot: witness.stateRoot, messagePasserStorageRoot: passerRoot(witness.nodes, witness.stateRoot), blockHash: PARENT_HASH },
      disputedOutputRoot: expectedOutput,
    },
  };
}

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hv-block-cp-'));
  dirs.push(d);
  return join(d, 'db');
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let full: BlockStepTrace;
let n: number;
let path: string;
/** Steps whose proofs are checked: every boundary, the steps around each checkpoint, and a spread. */
let sample: number[];

beforeAll(async () => {
  const b = block();
  full = traceBlockSteps(b.store(), b.input);
  n = blockStepCount(full);
  path = tempDir();
  const cps = await recordBlockTrace(b.store(), b.input, path, EVERY);
  await cps.close();
  const picks = new Set<number>([0, 1, n - 1]);
  full.kinds.forEach((k, i) => k !== 'instruction' && picks.add(i));
  for (let c = EVERY; c < n; c += EVERY * 5) for (const d of [-1, 0, 1]) picks.add(c + d);
  for (let i = 0; i < 40; i++) picks.add(Math.floor(((i + 0.5) * n) / 40));
  sample = [...picks].filter((k) => k >= 0 && k < n).sort((a, b) => a - b);
}, 300_000);

describe('block trace checkpoints', () => {
  it('the traced block is the fast executor’s, long enough for many checkpoints', () => {
    expect(full.status).toBe(STATUS_VALID);
    expect(bytesToHex(full.outputRoot)).toBe(bytesToHex(block().expectedOutput));
    expect(n).toBeGreaterThan(EVERY * 30);
    expect(full.kinds.filter((k) => k === 'tx-begin').length).toBe(6);
  });

  it('checkpointing does not change the trace: the same commitments, step for step', () => {
    const b = block();
    const store = b.store();
    let checkpoints = 0;
    const options = { checkpointEvery: EVERY, onCheckpoint: (k: number, _e: Uint8Array, live: PreimageStore) => {
      checkpoints++;
      if (k === 0) for (const [h, v] of localContextPreimages(store, blockLocalContext(store, b.input))) live.map.set(h, v);
    } };
    const cut = traceBlockSteps(store, b.input, options);
    expect(cut.commitments.map(bytesToHex)).toEqual(full.commitments.map(bytesToHex));
    expect(cut.encodings).toEqual([]);
    expect(checkpoints).toBe(Math.floor(n / EVERY) + 1);
    // The trace's store is cut to the last checkpoint's live state plus what followed it.
    expect(store.size).toBeLessThan(full.store.size / 3);
  });

  it('serves every commitment, and sampled steps recomputed from the nearest checkpoint, as the in-memory trace', async () => {
    const cps = await BlockCheckpoints.open(path);
    try {
      expect(cps.summary.steps).toBe(n);
      expect(cps.summary.every).toBe(EVERY);
      expect(cps.summary.status).toBe(STATUS_VALID);
      expect(bytesToHex(cps.summary.outputRoot)).toBe(bytesToHex(full.outputRoot));
      expect(cps.summary.local).toEqual(full.local);
      for (let k = 0; k <= n; k++) expect(bytesToHex(await cps.commitmentAt(k))).toBe(bytesToHex(full.commitments[k]!));
      for (const k of [...sample.slice(0, 30), n]) expect(bytesToHex(await cps.recomputedCommitmentAt(k)), `step ${k}`).toBe(bytesToHex(full.commitments[k]!));
    } finally {
      await cps.close();
    }
  }, 300_000);

  it('serves one-step proofs equal to the in-memory ones, each verified by verifyStep alone', async () => {
    const cps = await BlockCheckpoints.open(path);
    try {
      for (const k of sample) {
        const { witness, post } = await cps.witnessAt(k);
        const mem = blockStepWitness(full, k);
        expect(witness.step).toBe(k);
        expect(bytesToHex(witness.state), `step ${k}`).toBe(bytesToHex(mem.state));
        expect(witness.preimages.map(bytesToHex), `step ${k}`).toEqual(mem.preimages.map(bytesToHex));
        expect(bytesToHex(post.commitment)).toBe(bytesToHex(full.commitments[k + 1]!));
        const only = PreimageStore.of(witness.preimages);
        expect(bytesToHex(verifyStep(full.commitments[k]!, witness, only, cps.summary.local)), `step ${k}`).toBe(bytesToHex(full.commitments[k + 1]!));
      }
      expect(full.kinds[sample[0]!]).toBe('block-start');
      expect(full.kinds[sample.at(-1)!]).toBe('block-end');
      await expect(cps.witnessAt(n)).rejects.toBeInstanceOf(CheckpointError);
      await expect(cps.commitmentAt(n + 1)).rejects.toBeInstanceOf(CheckpointError);
      await expect(cps.commitmentAt(-1)).rejects.toBeInstanceOf(CheckpointError);
      await expect(cps.commitmentAt(1.5)).rejects.toBeInstanceOf(CheckpointError);
    } finally {
      await cps.close();
    }
  }, 300_000);

  it('a store reopened twice serves the same', async () => {
    const picks = [0, EVERY - 1, EVERY * 7 + 3, n - 1];
    const answers: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const cps = await BlockCheckpoints.open(path);
      const row: string[] = [];
      for (const k of picks) {
        row.push(bytesToHex(await cps.commitmentAt(k)));
        const { witness } = await cps.witnessAt(k);
        row.push(bytesToHex(keccak256(Uint8Array.from(witness.preimages.flatMap((p) => [...p])))));
      }
      await cps.close();
      answers.push(row);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]![0]).toBe(bytesToHex(full.commitments[0]!));
  }, 300_000);

  it('rejects a trace recorded with another interval, and a store with nothing finished', async () => {
    const b = block();
    const cps = await BlockCheckpoints.create(tempDir(), EVERY);
    const store = b.store();
    const t = traceBlockSteps(store, b.input, { ...cps.traceOptions(store, blockLocalContext(store, b.input)), checkpointEvery: EVERY * 2 });
    await expect(cps.finish(t)).rejects.toBeInstanceOf(CheckpointError);
    await cps.close();
    const empty = tempDir();
    await (await BlockCheckpoints.create(empty, 10)).close();
    await expect(BlockCheckpoints.open(empty)).rejects.toThrow(/no finished block trace/);
    await expect(BlockCheckpoints.open(join(tmpdir(), 'hv-no-such-checkpoints-dir'))).rejects.toBeInstanceOf(CheckpointError);
    await expect(BlockCheckpoints.create(tempDir(), 0)).rejects.toBeInstanceOf(CheckpointError);
  }, 300_000);
});

describe('damaged block checkpoints', () => {
  /** A copy of the finished store with one record rewritten. */
  async function damaged(edit: (db: Level<string, Uint8Array>) => Promise<void>): Promise<BlockCheckpoints> {
    const b = block();
    const p = tempDir();
    await (await recordBlockTrace(b.store(), b.input, p, EVERY)).close();
    const db = new Level<string, Uint8Array>(p, { valueEncoding: 'view' });
    await edit(db);
    await db.close();
    return BlockCheckpoints.open(p);
  }
  const cpKey = (k: number): string => `cp:${k.toString().padStart(12, '0')}`;
  // A checkpoint inside the second transaction's loop.
  const at = (): number => Math.floor(full.kinds.lastIndexOf('instruction') / EVERY) * EVERY - EVERY * 3;

  it('a flipped byte in a checkpoint state is a CheckpointError for every step it serves', async () => {
    const k = at();
    const cps = await damaged(async (db) => {
      const raw = (await db.get(cpKey(k)))!;
      raw[4 + 200] ^= 1; // inside the encoding, past its 4-byte length
      await db.put(cpKey(k), raw);
    });
    try {
      await expect(cps.witnessAt(k)).rejects.toThrow(CheckpointError);
      await expect(cps.witnessAt(k + 5)).rejects.toThrow(/does not hold the trace's state/);
      await expect(cps.recomputedCommitmentAt(k + EVERY - 1)).rejects.toThrow(/does not hold the trace's state/);
      // The neighbouring checkpoints are intact.
      expect(bytesToHex((await cps.witnessAt(k + EVERY)).post.commitment)).toBe(bytesToHex(full.commitments[k + EVERY + 1]!));
    } finally {
      await cps.close();
    }
  }, 300_000);

  it('damaged preimages, a truncated record or a missing one are CheckpointErrors, never another proof', async () => {
    const k = at();
    const cps = await damaged(async (db) => {
      const raw = (await db.get(cpKey(k)))!;
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      // Every preimage after the state encoding gets its last byte flipped.
      for (let o = 4 + view.getUint32(0); o < raw.length; o += 4 + view.getUint32(o)) raw[o + 4 + view.getUint32(o) - 1] ^= 0x80;
      await db.put(cpKey(k), raw);
      const next = (await db.get(cpKey(k + EVERY)))!;
      await db.put(cpKey(k + EVERY), next.subarray(0, next.length - 3));
      await db.del(cpKey(k + 2 * EVERY));
    });
    try {
      for (const s of [k, k + 1, k + EVERY - 1]) await expect(cps.witnessAt(s)).rejects.toThrow(/(re-executing from the checkpoint|proving step) .*is not in the witness/);
      await expect(cps.witnessAt(k + EVERY + 2)).rejects.toThrow(/truncated/);
      await expect(cps.witnessAt(k + 2 * EVERY + 2)).rejects.toThrow(/no checkpoint/);
      expect(bytesToHex((await cps.witnessAt(k + 3 * EVERY)).post.commitment)).toBe(bytesToHex(full.commitments[k + 3 * EVERY + 1]!));
    } finally {
      await cps.close();
    }
  }, 300_000);

  it('a damaged commitment record or metadata is a CheckpointError', async () => {
    const cps = await damaged(async (db) => {
      const raw = (await db.get('cm:0000000000'))!;
      raw[32 * 17 + 3] ^= 1;
      await db.put('cm:0000000000', raw);
    });
    try {
      await expect(cps.commitmentAt(17)).rejects.toThrow(/commitment record 0/);
      await expect(cps.witnessAt(5)).rejects.toBeInstanceOf(CheckpointError);
    } finally {
      await cps.close();
    }
    const bad = await damaged(async (db) => db.put('meta', new TextEncoder().encode('{"format":1,"every":"x"}'))).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CheckpointError);
  }, 300_000);
});
