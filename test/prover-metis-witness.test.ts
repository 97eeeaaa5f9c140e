// Disputed blocks traced from the block's own witness, read from the chain's level store, instead
// of a copy of the whole state: the trace must be the one over the full state, commitment for
// commitment, including blocks whose storage deletions collapse trie branches onto siblings the
// block never read; the witness must be a fraction of the state; a trace kept in level
// checkpoints serves the same commitments and verifiable proofs; a store that lacks a node or
// answers with other bytes is a typed error.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVNET_CHAIN_ID, DEVNET_PRIVATE_KEYS } from '../devnet/chain.js';
import { LoadGenerator } from '../devnet/load.js';
import { DEVNET_RUN_LOAD } from '../devnet/runner.js';
import { Sequencer, sequencerView } from '../devnet/sequencer.js';
import type { SealedBlock } from '../devnet/state.js';
import { collectState, StateUnavailableError, type MetisChainView } from '../prover/metis/chain-view.js';
import { checkpointedSubgameTrace, InputsMismatchError, metisExecCreator, recordChainBlock, traceChainBlock } from '../prover/metis/trace-provider.js';
import { inputsHashOfBlock } from '../devnet/inputs.js';
import { Position } from '../prover/game/position.js';
import type { Claim } from '../prover/game/types.js';
import { BlockCheckpoints } from '../vm/step/checkpoints.js';
import { blockWitness } from '../prover/metis/view-witness.js';
import { verifyStep } from '../vm/step/execute.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { STATUS_VALID } from '../vm/step/state.js';
import { addressOfPrivateKey, encodeTransaction, signTransaction } from '../vm/tx/index.js';
import { bigIntToBytes, bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { addressFromBytes, addressToBytes, type Address } from '../vm/util/address.js';

const ORIGIN = { number: 0n, hash: new Uint8Array(32) };

// Init code: sstore(n, n) for n = 40..1, then deploy a runtime that clears the two slots named
// by its calldata: sstore(calldata[0], 0); sstore(calldata[32], 0).
const INIT = hexToBytes('0x60285b808055600190038060025750600d80601a6000396000f3' + '60006000355560006020355500');

describe('disputed blocks traced from their witness', () => {
  let dir: string;
  let seq: Sequencer;
  let view: MetisChainView;
  const blocks: SealedBlock[] = [];
  // The clearing account is not one of the load's senders: its nonces are its own.
  const key = DEVNET_PRIVATE_KEYS[DEVNET_PRIVATE_KEYS.length - 1]!;
  const sender = addressOfPrivateKey(key);
  let nonce = 0n;

  const signed = (to: Address | null, data: Uint8Array): Uint8Array =>
    encodeTransaction(signTransaction({ type: 2, chainId: DEVNET_CHAIN_ID, nonce: nonce++, to, value: 0n, data, gasLimit: 2_000_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n, accessList: [] }, key));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'metis-witness-'));
    seq = await Sequencer.open({ dataDir: dir, genesisTimestamp: 1_000n });
    view = sequencerView(seq);
    const load = new LoadGenerator({ seed: 11, ...DEVNET_RUN_LOAD, keys: DEVNET_PRIVATE_KEYS.slice(0, -1) });
    for (let i = 0; i < 8; i++) {
      const { block, rejected } = await seq.buildBlock(load.nextBlock().map((t) => t.raw), ORIGIN);
      expect(rejected).toEqual([]);
      blocks.push(block);
    }
    const clearer = addressFromBytes(keccak256(rlpEncode([addressToBytes(sender), nonce])).subarray(12));
    blocks.push((await seq.buildBlock([signed(null, INIT)], ORIGIN)).block);
    // Clear slot pairs: each deletion may leave a branch with one child the block never read.
    const clears = [3n, 17n, 29n, 8n, 40n, 1n].map((s, i, a) => (i % 2 === 0 ? concatBytes(bigIntToBytes(s, 32), bigIntToBytes(a[i + 1]!, 32)) : null)).filter((x) => x !== null);
    const { block, rejected } = await seq.buildBlock(clears.map((d) => signed(clearer, d)), ORIGIN);
    expect(rejected).toEqual([]);
    blocks.push(block);
  }, 300_000);

  afterAll(async () => {
    await seq?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the trace the whole state gives, commitment for commitment, deletions included', async () => {
    const retraced: bigint[] = [];
    for (const b of blocks) {
      const full = await traceChainBlock(view, b.number, b.outputRoot, { fullState: true });
      const lean = await traceChainBlock(view, b.number, b.outputRoot, { onRetrace: () => retraced.push(b.number) });
      expect(lean.status, `block ${b.number}`).toBe(STATUS_VALID);
      expect(lean.commitments.map(bytesToHex), `block ${b.number}`).toEqual(full.commitments.map(bytesToHex));
    }
    // The clearing block's deletions needed nodes the fast executor never read: fetched by hash.
    expect(retraced).toContain(blocks.at(-1)!.number);
    // And they did clear: the slots are gone from the clearing contract's storage.
    const after = await collectState(view, blocks.at(-1)!.header.stateRoot);
    const before = await collectState(view, blocks.at(-2)!.header.stateRoot);
    expect(after.size).toBeLessThan(before.size);
  }, 300_000);

  it('reads a fraction of the state', async () => {
    const b = blocks.at(-1)!;
    const parent = blocks.at(-2)!;
    const all = await collectState(view, parent.header.stateRoot);
    const w = await blockWitness(view, view.chain, parent.header.stateRoot, { header: b.header, transactions: b.transactions }, () => null);
    const read = w.nodes.size + w.codes.size;
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(all.size / 2);
  });

  it('keeps a trace in level checkpoints that serves the same commitments and verifiable proofs', async () => {
    const b = blocks.at(-1)!;
    const memory = await traceChainBlock(view, b.number, b.outputRoot);
    const cps = await recordChainBlock(view, b.number, b.outputRoot, join(dir, 'cps'), 16);
    try {
      const t = await checkpointedSubgameTrace(cps);
      expect(t.steps).toBe(memory.commitments.length - 1);
      for (let i = 0; i <= t.steps; i += 7) expect(bytesToHex(await t.commitment(i))).toBe(bytesToHex(memory.commitments[i]!));
      for (let k = 0; k < t.steps; k += 11) {
        const w = await t.witness(k);
        const post = verifyStep(memory.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)), memory.local);
        expect(bytesToHex(post)).toBe(bytesToHex(memory.commitments[k + 1]!));
      }
    } finally {
      await cps.close();
    }
  }, 120_000);

  it('an execution provider over checkpoints answers from its store and releases it on close', async () => {
    const b = blocks.at(-1)!;
    const parent = blocks.at(-2)!;
    const memory = await traceChainBlock(view, b.number, b.outputRoot);
    const cpDir = join(dir, 'provider-cps');
    const create = metisExecCreator(view, { checkpoints: { dir: cpDir, every: 16 } });
    const claim = { index: 0, position: Position.root(), value: bytesToHex(b.outputRoot) } as unknown as Claim;
    const sub = { depth: 12, pre: undefined, post: claim, preOutputRoot: bytesToHex(parent.outputRoot), postOutputRoot: bytesToHex(b.outputRoot), preBlock: parent.number, postBlock: b.number };
    const provider = await create(sub);
    // The first leaf is the state after step 0; a leaf past the end is the final state.
    expect(await provider.get(Position.at(12, 0n))).toBe(bytesToHex(memory.commitments[1]!));
    expect(await provider.get(Position.at(12, 4095n))).toBe(bytesToHex(memory.commitments.at(-1)!));
    const [store] = await readdir(cpDir);
    expect(store).toMatch(new RegExp(`^block-${b.number}-`));
    // Level holds a lock on an open store: it opens again only once the provider let it go.
    await expect(BlockCheckpoints.open(join(cpDir, store!))).rejects.toThrow();
    await provider.close!();
    await provider.close!();
    const again = await BlockCheckpoints.open(join(cpDir, store!));
    expect(again.summary.steps).toBe(memory.commitments.length - 1);
    await again.close();
  }, 120_000);

  it('judges a block on the inputs L1 committed: its own, none (invalid), or others (refused)', async () => {
    const b = blocks[3]!;
    const parent = blocks[2]!;
    const memory = await traceChainBlock(view, b.number, b.outputRoot);
    const ours = await inputsHashOfBlock(view, b.number);
    // The trace's block start is given exactly the inputs the batcher commits.
    expect(bytesToHex(memory.local.inputsHash)).toBe(ours);
    const claim = { index: 0, position: Position.root(), value: bytesToHex(b.outputRoot) } as unknown as Claim;
    const sub = { depth: 12, pre: undefined, post: claim, preOutputRoot: bytesToHex(parent.outputRoot), postOutputRoot: bytesToHex(b.outputRoot), preBlock: parent.number, postBlock: b.number };
    const asked: bigint[] = [];
    const committed = (h: Uint8Array) => (block: bigint) => {
      asked.push(block);
      return Promise.resolve(h);
    };
    const same = await metisExecCreator(view, { committedInputs: committed(hexToBytes(ours)) })(sub);
    expect(asked).toEqual([b.number]);
    expect(await same.get(Position.at(12, 0n))).toBe(bytesToHex(memory.commitments[1]!));
    expect(await same.get(Position.at(12, 4095n))).toBe(bytesToHex(memory.commitments.at(-1)!));
    // Nothing committed: block start makes the block invalid in one step, from the boot state.
    const none = await metisExecCreator(view, { committedInputs: committed(new Uint8Array(32)) })(sub);
    const invalid = await none.get(Position.at(12, 0n));
    expect(invalid.slice(0, 4)).toBe('0x01');
    expect(await none.get(Position.at(12, 4095n))).toBe(invalid);
    const step0 = await none.getStepData(Position.at(12, 0n));
    const local = { startingOutputRoot: parent.outputRoot, disputedOutputRoot: b.outputRoot, l2BlockNumber: b.number, startingBlockNumber: parent.number, inputsHash: new Uint8Array(32) };
    expect(bytesToHex(verifyStep(hexToBytes(await none.absolutePrestateHash()), { state: step0.preState, preimages: [] }, new PreimageStore(), local))).toBe(invalid);
    // Other inputs than this chain's block: refused, naming both.
    const other = keccak256(Uint8Array.of(9));
    const err = await metisExecCreator(view, { committedInputs: committed(other) })(sub).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputsMismatchError);
    expect((err as InputsMismatchError).message).toContain(bytesToHex(other));
    expect((err as InputsMismatchError).message).toContain(ours);
  }, 120_000);

  it('names a store that lacks a node, or answers with other bytes', async () => {
    const b = blocks.at(-1)!;
    const parent = blocks.at(-2)!;
    const noParentRoot: MetisChainView = { ...view, preimage: async (h) => (bytesToHex(h) === bytesToHex(parent.header.stateRoot) ? null : view.preimage(h)) };
    await expect(traceChainBlock(noParentRoot, b.number, b.outputRoot)).rejects.toThrow(StateUnavailableError);
    const lying: MetisChainView = { ...view, preimage: async (h) => (bytesToHex(h) === bytesToHex(parent.header.stateRoot) ? new Uint8Array([0xc0]) : view.preimage(h)) };
    await expect(traceChainBlock(lying, b.number, b.outputRoot)).rejects.toThrow(/other bytes/);
  }, 120_000);
});
