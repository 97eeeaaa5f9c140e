// The committed step trace of a whole block (prover/DESIGN.md §5): from the constant boot state
// through block start, every transaction's begin, instructions and end, to block end, whose
// status says whether the block yields the disputed output root. This is the trace an execution
// subgame bisects: step 0's pre-state is the game's absolute prestate.
import type { BlockHeader } from '../block/header.js';
import { outputRootPreimage } from '../block/output-root.js';
import type { BlockEnv } from '../env.js';
import { bytesToHex, equalBytes } from '../util/bytes.js';
import { BOOT_ENCODING, putBlockInputs, type LocalContext } from './boundary.js';
import { executeStep, type StepKind } from './execute.js';
import { PreimageStore, RecordingPreimages } from './preimages.js';
import { reachablePreimages } from './reachable.js';
import { STATUS_UNFINISHED, commitmentOf, decodeStepState, type VmStatus } from './state.js';
import { blockContextOf } from './trace.js';

export class BlockStepsError extends Error {
  override readonly name = 'BlockStepsError';
}

/** The agreed parent output the trace starts from. */
export interface ParentOutput {
  readonly stateRoot: Uint8Array;
  readonly messagePasserStorageRoot: Uint8Array;
  readonly blockHash: Uint8Array;
}

export interface BlockStepsInput {
  /** The block's header (its execution fields are ignored: the trace computes them). */
  readonly header: BlockHeader;
  readonly transactions: readonly Uint8Array[];
  /** The block's environment (chain rules, ancestor hashes), as the executor uses it. */
  readonly env: BlockEnv;
  readonly parent: ParentOutput;
  /** The output root under dispute; the final status is 0 when the block yields it, 1 when not. */
  readonly disputedOutputRoot: Uint8Array;
}

export interface BlockStepsOptions {
  /** Keep checkpoints every N steps and drop encodings (see TraceOptions). */
  readonly checkpointEvery?: number;
  readonly onCheckpoint?: (step: number, encoding: Uint8Array, live: PreimageStore) => void;
  /** Receives commitment k (the state before step k) as it is made. */
  readonly onCommitment?: (k: number, commitment: Uint8Array) => void;
  /** Keep the commitments in the trace (default true); false leaves them to onCommitment alone (bounded memory). */
  readonly keepCommitments?: boolean;
  /** Called every `progressEvery` steps (default 10 000). */
  readonly onProgress?: (steps: number) => void;
  readonly progressEvery?: number;
}

export interface BlockStepTrace {
  readonly local: LocalContext;
  /** Steps run: the final state is the state before step `steps`. */
  readonly steps: number;
  /** commitments[k] is the state before step k; the last is the final state (empty unless kept). */
  readonly commitments: readonly Uint8Array[];
  /** State encodings by step (empty when checkpointing). */
  readonly encodings: readonly Uint8Array[];
  readonly kinds: readonly StepKind[];
  readonly ops: readonly number[];
  readonly store: PreimageStore;
  readonly status: VmStatus;
  /** The output root the block produced (whatever was disputed). */
  readonly outputRoot: Uint8Array;
}

/** Files the local context's preimages (starting output, block inputs) in `store`. */
export function blockLocalContext(store: PreimageStore, input: BlockStepsInput): LocalContext {
  const { parent } = input;
  const startingOutputRoot = store.put(outputRootPreimage(parent.stateRoot, parent.messagePasserStorageRoot, parent.blockHash));
  const inputsHash = putBlockInputs(store, input.header, blockContextOf(store, input.env), input.transactions);
  return { startingOutputRoot, disputedOutputRoot: input.disputedOutputRoot, l2BlockNumber: input.header.number, startingBlockNumber: input.header.number - 1n, inputsHash };
}

/**
 * The hash of the block's inputs record (DESIGN §2.7): what the batcher commits on L1 for the
 * block (contracts/src/BlockInputsInbox.sol) and the game hands its block start as `inputsHash`.
 */
export function blockInputsHash(input: Pick<BlockStepsInput, 'header' | 'transactions' | 'env'>): Uint8Array {
  const scratch = new PreimageStore();
  return putBlockInputs(scratch, input.header, blockContextOf(scratch, input.env), input.transactions);
}

/**
 * Traces the block over `store`, which must hold the parent state's trie nodes and codes (a
 * witness of everything the block reads, or the whole state).
 */
export function traceBlockSteps(store: PreimageStore, input: BlockStepsInput, options: BlockStepsOptions = {}): BlockStepTrace {
  const local = blockLocalContext(store, input);
  const every = options.checkpointEvery;
  const progressEvery = options.progressEvery ?? 10_000;
  const keep = options.keepCommitments ?? true;
  const commitments: Uint8Array[] = [];
  let made = 0;
  const commit = (c: Uint8Array): void => {
    options.onCommitment?.(made++, c);
    if (keep) commitments.push(c);
  };
  commit(commitmentOf(BOOT_ENCODING, STATUS_UNFINISHED));
  const encodings: Uint8Array[] = every === undefined ? [BOOT_ENCODING] : [];
  const kinds: StepKind[] = [];
  const ops: number[] = [];
  store.put(BOOT_ENCODING);
  const checkpoint = (k: number, enc: Uint8Array): void => {
    if (every === undefined || k % every !== 0) return;
    const live = reachablePreimages(enc, store);
    // The local context's preimages are not reachable from a state but every block-start needs them.
    for (const h of [local.startingOutputRoot, local.inputsHash]) live.putKnown(h, store.preimage(h, 'local context'));
    options.onCheckpoint?.(k, enc, live);
    store.map.clear();
    for (const [key, v] of live.map) store.map.set(key, v);
  };
  checkpoint(0, BOOT_ENCODING);
  let enc = BOOT_ENCODING;
  for (let k = 0; decodeStepState(enc).status === STATUS_UNFINISHED; k++) {
    const r = executeStep(enc, store, local);
    commit(r.commitment);
    kinds.push(r.kind);
    ops.push(r.op);
    if (every === undefined) encodings.push(r.encoding);
    enc = r.encoding;
    checkpoint(k + 1, enc);
    if ((k + 1) % progressEvery === 0) options.onProgress?.(k + 1);
  }
  const last = decodeStepState(enc);
  return { local, steps: kinds.length, commitments, encodings, kinds, ops, store, status: last.status, outputRoot: last.outputRoot };
}

export function blockStepCount(t: BlockStepTrace): number {
  return t.steps;
}

/** The one-step proof of step k of a trace that kept its encodings. */
export function blockStepWitness(t: BlockStepTrace, k: number): { step: number; state: Uint8Array; preimages: Uint8Array[] } {
  if (!Number.isInteger(k) || k < 0 || k >= blockStepCount(t)) throw new BlockStepsError(`step ${k} is outside the trace (0..${blockStepCount(t) - 1})`);
  const state = t.encodings[k];
  if (state === undefined) throw new BlockStepsError('this trace kept checkpoints, not encodings: serve witnesses from the checkpoints');
  const rec = new RecordingPreimages(t.store);
  const r = executeStep(state, rec, t.local);
  if (!equalBytes(r.commitment, t.commitments[k + 1]!)) throw new BlockStepsError(`step ${k} proves ${bytesToHex(r.commitment)}, the trace holds ${bytesToHex(t.commitments[k + 1]!)}`);
  return { step: k, state, preimages: rec.witness() };
}
