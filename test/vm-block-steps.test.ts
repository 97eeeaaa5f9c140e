// The block-wide step trace: boot → block start → per transaction begin, instructions, end →
// block end, whose status says whether the block yields the disputed output root. Checked against
// the fast executor (executeBlock) on the same block, and every step re-proven from its witness.
import { describe, expect, it } from 'vitest';
import { hyperionRules } from '../vm/chain/chain.js';
import { blockEnvOf, executeBlock } from '../vm/block/execute.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import { MESSAGE_PASSER, outputRootOf } from '../vm/block/output-root.js';
import { MemoryState } from '../vm/state/memory.js';
import { WitnessState, postStateRoot } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { FeeMarketTx } from '../vm/tx/types.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { ABSOLUTE_PRESTATE, BOOT_ENCODING } from '../vm/step/boundary.js';
import { blockStepCount, blockStepWitness, traceBlockSteps, type BlockStepsInput } from '../vm/step/block-steps.js';
import { StepError, executeStep, verifyStep } from '../vm/step/execute.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { PreimageStore } from '../vm/step/preimages.js';
import { STATUS_INVALID, STATUS_VALID, decodeStepState } from '../vm/step/state.js';
import { storeFromWitness } from '../vm/step/trace.js';
import { asm } from './support/step-traces.js';
import { PARENT_HASH, fixtureBlockHashes, fixtureHeader, mpRootOf } from './support/block-fixture.js';

const CHAIN_ID = 133717n;
const chain = hyperionRules(CHAIN_ID, 'prague');
const KEY = '0x' + '11'.repeat(32);
const SENDER = addressOfPrivateKey(KEY as `0x${string}`);
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');

// Clears slot 1 (a refund), writes slot 3, logs one topic, then calls the message passer.
const CONTRACT_CODE = asm(`6000 6001 55  602a 6003 55  6077 6020 6000 a1
  6000 6000 6020 6000 6000 73${MESSAGE_PASSER.slice(2)} 5a f1 50 00`);
// The message passer stores the block number under the caller.
const PASSER_CODE = asm('43 33 55 00');
// Init code returning the one-byte runtime 0x00.
const INIT_CODE = asm('6000 6000 53 6001 6000 f3');

function parentState(): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(CONTRACT, { code: CONTRACT_CODE, storage: new Map([[1n, 5n]]) });
  s.put(MESSAGE_PASSER, { code: PASSER_CODE, storage: new Map([[7n, 7n]]) });
  return s;
}

function tx(nonce: bigint, to: Address | null, data: Uint8Array, value = 0n): Uint8Array {
  const t: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: 2n, maxFeePerGas: 1000n, gasLimit: 300_000n, to, value, data, accessList: [] };
  return encodeTransaction(signTransaction(t, KEY as `0x${string}`));
}

const header = (): BlockHeader => fixtureHeader();
const blockHashes = fixtureBlockHashes;

/** The block run by the fast executor: its full header and output root. */
function fastRun(state: MemoryState, transactions: Uint8Array[]): { outputRoot: Uint8Array; header: BlockHeader; parentMpRoot: Uint8Array; parentRoot: Uint8Array } {
  const witness = fullWitness(state);
  const world = new WorldState(new WitnessState(witness));
  const h = header();
  const r = executeBlock(world, chain, { header: h, transactions }, blockHashes);
  const nodes = new Map(witness.nodes);
  const stateRoot = postStateRoot(witness, world.changes(), { persist: (enc) => void nodes.set(bytesToHex(keccak256(enc)), enc) });
  const full: BlockHeader = { ...h, stateRoot, receiptsRoot: r.receiptsRoot, logsBloom: r.logsBloom, gasUsed: r.gasUsed, blobGasUsed: r.blobGasUsed, requestsHash: r.requestsHash! };
  return { outputRoot: outputRootOf(stateRoot, mpRootOf(nodes, stateRoot), headerHash(full)), header: full, parentMpRoot: mpRootOf(witness.nodes, witness.stateRoot), parentRoot: witness.stateRoot };
}

function input(state: MemoryState, transactions: Uint8Array[], disputed: Uint8Array, parentHash = PARENT_HASH): { store: PreimageStore; input: BlockStepsInput } {
  const fast = fastRun(state, transactions);
  const store = storeFromWitness(fullWitness(state));
  return {
    store,
    input: {
      header: header(),
      transactions,
      env: blockEnvOf(header(), chain, blockHashes),
      parent: { stateRoot: fast.parentRoot, messagePasserStorageRoot: fast.parentMpRoot, blockHash: parentHash },
      disputedOutputRoot: disputed,
    },
  };
}

const TXS = (): Uint8Array[] => [tx(0n, CONTRACT, new Uint8Array(0)), tx(1n, OTHER, new Uint8Array(0), 5n), tx(2n, null, INIT_CODE), tx(3n, MESSAGE_PASSER, new Uint8Array(0))];

describe('block step trace', () => {
  it('ends valid on the output root the fast executor computes, with every boundary a step', () => {
    const state = parentState();
    const expected = fastRun(state, TXS()).outputRoot;
    const { store, input: inp } = input(state, TXS(), expected);
    const t = traceBlockSteps(store, inp);
    expect(bytesToHex(t.commitments[0]!)).toBe(bytesToHex(ABSOLUTE_PRESTATE));
    expect(t.status).toBe(STATUS_VALID);
    expect(bytesToHex(t.outputRoot)).toBe(bytesToHex(expected));
    expect(t.commitments.at(-1)![0]).toBe(STATUS_VALID);
    const count = (k: string): number => t.kinds.filter((x) => x === k).length;
    expect(count('block-start')).toBe(1);
    expect(count('tx-begin')).toBe(4);
    expect(count('tx-end')).toBe(4);
    expect(count('block-end')).toBe(1);
    expect(t.kinds[0]).toBe('block-start');
    expect(t.kinds.at(-1)).toBe('block-end');
    // The transfer runs no instruction: its begin is followed directly by its end.
    const begins = t.kinds.flatMap((k, i) => (k === 'tx-begin' ? [i] : []));
    expect(t.kinds[begins[1]! + 1]).toBe('tx-end');
    expect(t.kinds.filter((k) => k === 'instruction').length).toBeGreaterThan(15);
    // Every state before the end is unfinished.
    for (const c of t.commitments.slice(0, -1)) expect(c[0]).toBe(3);
  });

  it('ends invalid on any other output root, with the same computed root', () => {
    const state = parentState();
    const expected = fastRun(state, TXS()).outputRoot;
    const wrong = keccak256(expected);
    const { store, input: inp } = input(state, TXS(), wrong);
    const t = traceBlockSteps(store, inp);
    expect(t.status).toBe(STATUS_INVALID);
    expect(bytesToHex(t.outputRoot)).toBe(bytesToHex(expected));
    expect(t.commitments.at(-1)![0]).toBe(STATUS_INVALID);
  });

  it('proves every step from its witness alone, boundaries included', () => {
    const state = parentState();
    const expected = fastRun(state, TXS()).outputRoot;
    const { store, input: inp } = input(state, TXS(), expected);
    const t = traceBlockSteps(store, inp);
    for (let k = 0; k < blockStepCount(t); k++) {
      const w = blockStepWitness(t, k);
      const only = new PreimageStore();
      for (const p of w.preimages) only.put(p);
      expect(bytesToHex(verifyStep(t.commitments[k]!, w, only, t.local))).toBe(bytesToHex(t.commitments[k + 1]!));
    }
  });

  it('rejects boundary witnesses missing a preimage, and boundary steps without the local context', () => {
    const state = parentState();
    const expected = fastRun(state, TXS()).outputRoot;
    const { store, input: inp } = input(state, TXS(), expected);
    const t = traceBlockSteps(store, inp);
    const boundaries = t.kinds.flatMap((k, i) => (k !== 'instruction' && k !== 'enter' && k !== 'return' && k !== 'end' ? [i] : []));
    for (const k of boundaries) {
      const w = blockStepWitness(t, k);
      for (let drop = 0; drop < w.preimages.length; drop++) {
        const only = new PreimageStore();
        w.preimages.forEach((p, i) => i !== drop && only.put(p));
        let post: string | null = null;
        try {
          post = bytesToHex(verifyStep(t.commitments[k]!, w, only, t.local));
        } catch (e) {
          expect(e).toBeInstanceOf(StepError);
        }
        // A dropped preimage may be one the step could do without (a duplicate); never a different post-state.
        if (post !== null) expect(post).toBe(bytesToHex(t.commitments[k + 1]!));
      }
    }
    const first = blockStepWitness(t, 0);
    const only = new PreimageStore();
    for (const p of first.preimages) only.put(p);
    expect(() => verifyStep(t.commitments[0]!, first, only)).toThrow(/local context/);
  });

  it('makes the block invalid when its inputs do not extend the agreed parent', () => {
    const state = parentState();
    const { store, input: inp } = input(state, TXS(), new Uint8Array(32), keccak256(Uint8Array.of(0xbb)));
    const t = traceBlockSteps(store, inp);
    expect(blockStepCount(t)).toBe(1);
    expect(t.kinds).toEqual(['block-start']);
    expect(t.status).toBe(STATUS_INVALID);
  });

  it('makes the block invalid at the begin of an invalid transaction', () => {
    const state = parentState();
    const txs = [tx(0n, CONTRACT, new Uint8Array(0)), tx(5n, OTHER, new Uint8Array(0))];
    const { store, input: inp } = input(parentState(), [txs[0]!], new Uint8Array(32));
    const t = traceBlockSteps(store, { ...inp, transactions: txs });
    expect(t.status).toBe(STATUS_INVALID);
    expect(t.kinds.at(-1)).toBe('tx-begin');
    expect(decodeStepState(t.encodings.at(-1)!).txIndex).toBe(1);
    expect(state.accounts.size).toBe(3);
  });
});

describe('block step trace edges', () => {
  it('steps a final state to itself, in TypeScript and as the trace pads it', () => {
    const state = parentState();
    const expected = fastRun(state, TXS()).outputRoot;
    const { store, input: inp } = input(state, TXS(), expected);
    const t = traceBlockSteps(store, inp);
    const last = t.encodings.at(-1)!;
    const r = executeStep(last, store, t.local);
    expect(r.kind).toBe('halted');
    expect(bytesToHex(r.commitment)).toBe(bytesToHex(t.commitments.at(-1)!));
  });

  it('past the game block nothing runs: valid only when both outputs are the same root', () => {
    const store = new PreimageStore();
    const root = keccak256(Uint8Array.of(7));
    const base = { startingOutputRoot: root, l2BlockNumber: 9n, startingBlockNumber: 9n, inputsHash: new Uint8Array(32) };
    const same = executeStep(BOOT_ENCODING, store, { ...base, disputedOutputRoot: root });
    expect(same.commitment[0]).toBe(STATUS_VALID);
    const other = executeStep(BOOT_ENCODING, store, { ...base, disputedOutputRoot: keccak256(root) });
    expect(other.commitment[0]).toBe(STATUS_INVALID);
  });
});
