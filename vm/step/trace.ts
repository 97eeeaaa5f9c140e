// The prover side of the step machine: a transaction's execution as a sequence of committed step
// states. The transaction runs once on the fast interpreter (fingerprinting every instruction);
// the trace is then produced by executeStep from step 0 over a preimage store, and each step is
// checked against the fingerprint, so the committed trace is the execution the interpreter did.
import type { ChainRules } from '../chain/chain.js';
import { forkAt } from '../chain/chain.js';
import type { BlockEnv } from '../env.js';
import type { Frame } from '../interpreter/frame.js';
import type { Machine } from '../interpreter/machine.js';
import { beginTransaction, runPreparedTransaction, type TxOutcome } from '../execution/transaction.js';
import type { TxRequest } from '../execution/request.js';
import { postStateRoot, type StateWitness } from '../state/witness.js';
import { WorldState } from '../state/world.js';
import { EMPTY_TRIE_ROOT } from '../trie/index.js';
import { bigIntToBytes, bytesToHex, concatBytes, hexToBytes } from '../util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import { buildTree } from './bintree.js';
import { INFERENCE_PRECOMPILE } from '../precompiles/inference.js';
import { encodeModel, type IntModel } from '../../ai/model.js';
import { EMPTY_CHAIN } from './chain.js';
import { BOOT_STATE } from './boundary.js';
import { StepError, enteredFrameState, executeStep, updateTrie, type StepResult } from './execute.js';
import { PreimageStore, RecordingPreimages, type Preimages } from './preimages.js';
import { reachablePreimages } from './reachable.js';
import {
  STATUS_UNFINISHED,
  commitmentOf,
  decodeFrame,
  encodeBlockContext,
  encodeFrame,
  encodeStepState,
  encodeTxContext,
  type BlockContext,
  type ChainKind,
  type Snapshot,
  type StepState,
} from './state.js';

export class TraceError extends Error {
  override readonly name = 'TraceError';
}

export interface StepTrace {
  /** commitments[k] is the commitment of the state before step k; the last is the final state. */
  readonly commitments: readonly Uint8Array[];
  readonly encodings: readonly Uint8Array[];
  /** The opcode and kind of step k (k < steps). */
  readonly ops: readonly number[];
  readonly kinds: readonly StepResult['kind'][];
  readonly store: PreimageStore;
  /** The interpreter's own outcome of the transaction (with fees and refunds). */
  readonly outcome: TxOutcome;
}

export function stepCount(t: StepTrace): number {
  return t.commitments.length - 1;
}

/** Seeds a store with a state witness's trie nodes and codes (already keyed by their hashes). */
export function storeFromWitness(witness: { nodes: ReadonlyMap<string, Uint8Array>; codes: ReadonlyMap<string, Uint8Array> }): PreimageStore {
  const store = new PreimageStore();
  for (const [k, v] of witness.nodes) store.putKnown(hexToBytes(k), v);
  for (const [k, v] of witness.codes) store.putKnown(hexToBytes(k), v);
  return store;
}

function chainKindOf(chain: ChainRules): ChainKind {
  return chain.name === 'hyperion' ? 'hyperion' : chain.name === 'devnet' ? 'devnet' : 'ethereum';
}

export function blockContextOf(pre: Preimages, env: BlockEnv): BlockContext {
  const ancestors = new Uint8Array(256 * 32);
  for (let d = 1n; d <= 256n && d <= env.number; d++) {
    const h = env.blockHash(env.number - d);
    if (h !== null) ancestors.set(bigIntToBytes(h, 32), Number(d - 1n) * 32);
  }
  return {
    chainKind: chainKindOf(env.chain),
    chainId: env.chain.chainId,
    fork: forkAt(env.chain, env.timestamp),
    number: env.number,
    timestamp: env.timestamp,
    coinbase: env.coinbase,
    gasLimit: env.gasLimit,
    baseFee: env.baseFee,
    prevRandao: env.prevRandao,
    excessBlobGas: env.excessBlobGas,
    ancestorsRoot: buildTree(pre, ancestors),
    modelsRoot: modelsRootOf(pre, env),
  };
}

const ONE = Uint8Array.of(1);

/** The registered models as a secure trie; each model's encoding becomes the preimage of its id. */
function modelsRootOf(pre: Preimages, env: BlockEnv): Uint8Array {
  const inference = env.chain.inference;
  if (inference === undefined) return EMPTY_TRIE_ROOT;
  if (inference.address !== INFERENCE_PRECOMPILE) throw new TraceError(`the step machine commits the inference precompile at ${INFERENCE_PRECOMPILE}, not ${inference.address}`);
  const models = inference.models;
  if (!(models instanceof Map)) throw new TraceError('tracing needs the model store as a Map of registered models');
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const model of (models as Map<string, IntModel>).values()) {
    const id = pre.put(encodeModel(model));
    // The value is the id itself, so the registry leads to each model's encoding (its preimage).
    entries.push([keccak256(id), id]);
  }
  return updateTrie(pre, EMPTY_TRIE_ROOT, entries);
}

interface Fingerprint {
  readonly pc: number;
  readonly gas: number;
  readonly sp: number;
  readonly depth: number;
}

/**
 * Traces transaction `tx` on `world` (a WorldState over `witness`, possibly already changed by
 * earlier transactions of the block). `store` must hold the witness's nodes and codes.
 */
export interface TraceOptions {
  /**
   * Checkpoint every N steps: the live preimages of step k (N | k) are handed to `onCheckpoint`
   * and the store is cut down to them, so memory follows the live state, not the trace length.
   * State encodings are then not kept (serve steps from the checkpoints, vm/step/checkpoints.ts).
   */
  readonly checkpointEvery?: number;
  readonly onCheckpoint?: (step: number, encoding: Uint8Array, live: PreimageStore) => void;
}

export function traceTransaction(
  store: PreimageStore,
  witness: StateWitness,
  world: WorldState,
  env: BlockEnv,
  tx: TxRequest,
  used = { gasUsed: 0n, blobGasUsed: 0n },
  options: TraceOptions = {},
): StepTrace {
  const persist = (enc: Uint8Array): void => void store.put(enc);
  const worldRootOf = (w: WorldState): Uint8Array => {
    const changes = w.changes();
    for (const c of changes.values()) if (c.account !== null && c.account.code.length > 0) store.put(c.account.code);
    return postStateRoot(witness, changes, { persist });
  };
  // The state root when this transaction begins: EIP-2200's originals are read under it.
  const txStartRoot = worldRootOf(world);
  const blockHash = store.put(encodeBlockContext(blockContextOf(store, env)));
  let step0: Uint8Array | null = null;
  let topSnapshot: Snapshot | null = null;
  const prints: Fingerprint[] = [];

  const secureSet = (root: Uint8Array, keys: Iterable<Uint8Array>): Uint8Array => updateTrie(store, root, [...keys].map((k) => [k, ONE] as const));
  const accessRootNow = (w: WorldState): Uint8Array => {
    const { addresses, slots } = w.warmEntries();
    const keys = addresses.map((a) => keccak256(hexToBytes(a)));
    for (const [a, s] of slots) keys.push(keccak256(concatBytes(hexToBytes(a), bigIntToBytes(s, 32))));
    return secureSet(EMPTY_TRIE_ROOT, keys);
  };

  const onEnter = (m: Machine): void => {
    if (topSnapshot !== null || m.frames.length > 0) return;
    topSnapshot = {
      worldRoot: worldRootOf(m.world),
      accessRoot: accessRootNow(m.world),
      transientRoot: EMPTY_TRIE_ROOT,
      selfdestructRoot: EMPTY_TRIE_ROOT,
      logsHash: EMPTY_CHAIN,
      logCount: 0,
    };
  };
  const hook = (m: Machine, f: Frame): void => {
    prints.push({ pc: f.pc, gas: f.gas, sp: f.sp, depth: m.frames.length - 1 });
    if (step0 !== null) return;
    if (topSnapshot === null) throw new TraceError('the top-level message started without an entry snapshot');
    const blobs = concatBytes(...m.tx.blobHashes.map((h) => bigIntToBytes(h, 32)));
    const p = prepared;
    const txHash = store.put(
      encodeTxContext({
        origin: p.sender,
        gasPrice: p.effectiveGasPrice,
        blobHashesHash: blobs.length === 0 ? KECCAK_EMPTY : store.put(blobs),
        type: p.type,
        gasLimit: p.gasLimit,
        intrinsic: p.intrinsic,
        floor: p.floor,
        blobGas: p.blobGas,
        authRefund: p.authRefund,
      }),
    );
    const frame = enteredFrameState(store, f, topSnapshot);
    // A transaction-only trace has no block inputs (the boot state's zero block fields): it ends
    // with its message.
    const state: StepState = {
      ...BOOT_STATE,
      blockHash,
      txHash,
      worldRoot: worldRootOf(m.world),
      txStartRoot,
      accessRoot: accessRootNow(m.world),
      transientRoot: EMPTY_TRIE_ROOT,
      createdRoot: secureSet(EMPTY_TRIE_ROOT, [...m.world.createdAccounts].map((a) => keccak256(hexToBytes(a)))),
      selfdestructRoot: EMPTY_TRIE_ROOT,
      logsHash: EMPTY_CHAIN,
      frameStackHash: EMPTY_CHAIN,
      frameHash: store.put(encodeFrame(frame)),
    };
    step0 = encodeStepState(state);
    store.put(step0);
  };

  const prepared = beginTransaction(world, env, tx, used);
  const outcome = runPreparedTransaction(world, env, prepared, hook, onEnter);
  if (step0 === null) {
    // No instruction ran (a transfer, or a call to a precompile or an account without code).
    return { commitments: [], encodings: [], ops: [], kinds: [], store, outcome };
  }

  const commitments: Uint8Array[] = [commitmentOf(step0, STATUS_UNFINISHED)];
  const every = options.checkpointEvery;
  const encodings: Uint8Array[] = every === undefined ? [step0] : [];
  const checkpoint = (k: number, enc: Uint8Array): void => {
    if (every === undefined || k % every !== 0) return;
    const live = reachablePreimages(enc, store);
    options.onCheckpoint?.(k, enc, live);
    // Keep only what the live state can reach (the witness's nodes stay reachable from its roots).
    store.map.clear();
    for (const [key, v] of live.map) store.map.set(key, v);
  };
  checkpoint(0, step0);
  const ops: number[] = [];
  const kinds: StepResult['kind'][] = [];
  let enc: Uint8Array = step0;
  // The interpreter instruction the next step runs: the pieces of a split instruction run none (DESIGN §2.9).
  let instr = 0;
  for (let k = 0; ; k++) {
    let r: StepResult;
    try {
      r = executeStep(enc, store);
    } catch (e) {
      if (e instanceof StepError && e.reason === 'finished') break;
      throw e;
    }
    if (r.kind !== 'piece') {
      if (prints[instr] === undefined) throw new TraceError(`step ${k} has no matching interpreter instruction`);
      instr++;
    }
    ops.push(r.op);
    kinds.push(r.kind);
    commitments.push(r.commitment);
    if (every === undefined) encodings.push(r.encoding);
    enc = r.encoding;
    checkpoint(k + 1, enc);
    const next = prints[instr];
    if (next !== undefined && r.kind !== 'end') {
      const frame = frameFingerprint(store, r.state);
      if (frame.pc !== next.pc || frame.gas !== next.gas || frame.sp !== next.sp || frame.depth !== next.depth) {
        throw new TraceError(
          `step ${k} (op 0x${r.op.toString(16)}) diverges from the interpreter: committed pc ${frame.pc} gas ${frame.gas} sp ${frame.sp} depth ${frame.depth}, interpreter pc ${next.pc} gas ${next.gas} sp ${next.sp} depth ${next.depth}`,
        );
      }
    }
  }
  if (instr !== prints.length) throw new TraceError(`the trace ran ${instr} instructions, the interpreter ${prints.length}`);
  return { commitments, encodings, ops, kinds, store, outcome };
}

function frameFingerprint(pre: Preimages, s: StepState): Fingerprint {
  const f = decodeFrame(pre.preimage(s.frameHash, 'frame'));
  return { pc: f.pc, gas: f.gas, sp: f.stackSize, depth: s.frameCount };
}

/** The one-step proof of step k: the pre-state encoding and every preimage the step reads. */
export interface StepWitness {
  readonly step: number;
  readonly state: Uint8Array;
  readonly preimages: readonly Uint8Array[];
}

export function stepWitness(t: StepTrace, k: number): StepWitness {
  if (!Number.isInteger(k) || k < 0 || k >= stepCount(t)) throw new TraceError(`step ${k} is outside the trace (0..${stepCount(t) - 1})`);
  const rec = new RecordingPreimages(t.store);
  const r = executeStep(t.encodings[k]!, rec);
  if (bytesToHex(r.commitment) !== bytesToHex(t.commitments[k + 1]!)) throw new TraceError(`step ${k} proves a different post-state than the trace holds`);
  return { step: k, state: t.encodings[k]!, preimages: rec.witness() };
}

export function witnessSize(w: StepWitness): number {
  return w.state.length + w.preimages.reduce((n, p) => n + p.length, 0);
}

