// A coherent liar, for devnets and tests: it executes a block faithfully up to one instruction,
// takes one unit of gas too many there, and executes faithfully from that wrong state on. Its
// trace, its output root and every claim it makes are consistent with each other, so a dispute
// against it is decided by the one step where it went wrong, as against a buggy or bribed
// proposer.
import { bytesToHex, concatBytes, equalBytes, type Hex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import type { LocalContext } from '../../vm/step/boundary.js';
import type { BlockStepTrace } from '../../vm/step/block-steps.js';
import { executeStep, type StepKind } from '../../vm/step/execute.js';
import { RecordingPreimages } from '../../vm/step/preimages.js';
import { buildTree } from '../../vm/step/bintree.js';
import { STATUS_UNFINISHED, STATUS_VALID, type VmStatus, decodeFrame, decodeStepState, encodeFrame, encodeStepState, putStepState, type FrameState } from '../../vm/step/state.js';
import { OutputRootTraceProvider, SplitTraceAccessor, TraceProviderError } from '../game/trace-provider.js';
import type { GameParams } from '../game/types.js';
import type { MetisChainView } from './chain-view.js';
import { MetisTraceProvider, traceChainBlock, type SubgameTrace } from './trace-provider.js';

export class DishonestTraceError extends Error {
  override readonly name = 'DishonestTraceError';
}

/**
 * Instructions the on-chain verifier proves today (MetisStepVerifier with MetisWorldStep): the liar
 * corrupts one of these, so the honest side can settle the dispute by a step on L1.
 */
export function provableOnL1(op: number): boolean {
  return (
    (op >= 0x01 && op <= 0x0b) ||
    (op >= 0x10 && op <= 0x1d) ||
    op === 0x20 ||
    (op >= 0x30 && op <= 0x3f) ||
    (op >= 0x40 && op <= 0x48) ||
    (op >= 0x50 && op <= 0x5e) ||
    (op >= 0x5f && op <= 0xa4)
  );
}

/** Steps of `t` a liar could corrupt so the honest side can step on L1. */
export function corruptibleSteps(t: Pick<BlockStepTrace, 'kinds' | 'ops'>): number[] {
  const out: number[] = [];
  t.kinds.forEach((k: StepKind, i) => {
    if (k === 'instruction' && provableOnL1(t.ops[i]!)) out.push(i);
  });
  return out;
}

export interface CorruptedTrace extends SubgameTrace {
  /** Every commitment of the liar's trace (its output root's block end last). */
  readonly commitments: readonly Uint8Array[];
  /** The step whose result is wrong. */
  readonly at: number;
  /** The output root the liar's execution ends with (what it claims). */
  readonly outputRoot: Uint8Array;
}

/**
 * The liar's trace of the block `honest` traced: identical up to state `at`, then state `at + 1`
 * has one gas less than the instruction leaves, and every later state follows from it. Its final
 * status is valid against its own output root.
 */
export function corruptTrace(honest: BlockStepTrace, at: number): CorruptedTrace {
  return corruptTraceWith(honest, at, (frame) => {
    if (frame.gas === 0) throw new DishonestTraceError(`step ${at} leaves no gas to take`);
    return { ...frame, gas: frame.gas - 1 };
  });
}

/**
 * The liar's trace of a block whose inference call at step `at` (it finishes inside the step)
 * returned `output` instead of the model's answer: the caller's return data is the lie, and the
 * block runs faithfully on from there (what it copies, hashes and stores of it included).
 */
export function corruptInferenceOutput(honest: BlockStepTrace, at: number, output: Uint8Array): CorruptedTrace {
  return corruptTraceWith(honest, at, (frame) => ({ ...frame, returnDataRoot: buildTree(honest.store, output), returnDataOffset: 0, returnDataSize: output.length }));
}

/** The honest trace up to state `at`, then state `at + 1` with its running frame changed by `wrong`, then faithful execution. */
export function corruptTraceWith(honest: BlockStepTrace, at: number, wrongFrame: (frame: FrameState) => FrameState): CorruptedTrace {
  if (honest.encodings.length === 0) throw new DishonestTraceError('the honest trace must keep its encodings');
  if (honest.kinds[at] !== 'instruction') throw new DishonestTraceError(`step ${at} is a ${honest.kinds[at] ?? 'missing'} step, not an instruction`);
  const store = honest.store;
  const post = decodeStepState(honest.encodings[at + 1]!);
  const frame = decodeFrame(store.preimage(post.frameHash, 'frame'));
  const wrong = { ...post, frameHash: store.put(encodeFrame(wrongFrame(frame))) };
  putStepState(store, wrong);

  const commitments = honest.commitments.slice(0, at + 1);
  const encodings = honest.encodings.slice(0, at + 1);
  let enc = encodeStepState(wrong);
  commitments.push(putStepState(store, wrong));
  encodings.push(enc);
  // Run to the end once against any root to learn the liar's output root, then redo the last
  // step against it: only the block-end step reads the disputed root.
  let local: LocalContext = honest.local;
  while (decodeStepState(enc).status === STATUS_UNFINISHED) {
    const r = executeStep(enc, store, local);
    commitments.push(r.commitment);
    encodings.push(r.encoding);
    enc = r.encoding;
  }
  const outputRoot = decodeStepState(enc).outputRoot;
  local = { ...honest.local, disputedOutputRoot: outputRoot };
  const last = executeStep(encodings[encodings.length - 2]!, store, local);
  commitments[commitments.length - 1] = last.commitment;
  encodings[encodings.length - 1] = last.encoding;
  return fabricatedTrace(store, local, at, outputRoot, commitments, encodings);
}

/**
 * A proposer that executes the block faithfully and then claims `root` for it: every state is the
 * honest one but the final, which it fabricates (valid, with `root` as the output). The dispute is
 * decided by the block-end step.
 */
export function wrongRootTrace(honest: BlockStepTrace, root: Uint8Array): CorruptedTrace {
  if (honest.encodings.length === 0) throw new DishonestTraceError('the honest trace must keep its encodings');
  if (equalBytes(root, honest.outputRoot)) throw new DishonestTraceError('the claimed root is the block\'s own: no lie');
  const store = honest.store;
  const at = honest.steps - 1;
  const fabricated = { ...decodeStepState(honest.encodings[at + 1]!), status: STATUS_VALID as VmStatus, outputRoot: root };
  const commitments = [...honest.commitments.slice(0, at + 1), putStepState(store, fabricated)];
  const encodings = [...honest.encodings.slice(0, at + 1), encodeStepState(fabricated)];
  return fabricatedTrace(store, { ...honest.local, disputedOutputRoot: root }, at, root, commitments, encodings);
}

/**
 * A liar that goes wrong at block start (as if it read other inputs or another parent state): every
 * state after the boot state is one it cannot back (commitments of nothing), up to a final state
 * valid with `root`. The dispute is decided by the block-start step.
 */
export function wrongStartTrace(honest: BlockStepTrace, root: Uint8Array): CorruptedTrace {
  if (honest.encodings.length === 0) throw new DishonestTraceError('the honest trace must keep its encodings');
  const store = honest.store;
  const last = honest.steps;
  const fabricated = { ...decodeStepState(honest.encodings[last]!), status: STATUS_VALID as VmStatus, outputRoot: root };
  const unbacked = (k: number): Uint8Array => {
    const h = keccak256(concatBytes(root, Uint8Array.of(k >> 24, k >> 16, k >> 8, k)));
    h[0] = STATUS_UNFINISHED;
    return h;
  };
  const commitments = [honest.commitments[0]!, ...Array.from({ length: last - 1 }, (_, i) => unbacked(i + 1)), putStepState(store, fabricated)];
  // Only its first state is real; past it the liar has nothing to step from but its final state.
  const final = encodeStepState(fabricated);
  const encodings = [honest.encodings[0]!, ...Array.from({ length: last }, () => final)];
  return fabricatedTrace(store, { ...honest.local, disputedOutputRoot: root }, 0, root, commitments, encodings);
}

/** A trace over `store` from its states (its final state last); witnesses are recorded by running each step. */
function fabricatedTrace(store: BlockStepTrace['store'], local: LocalContext, at: number, outputRoot: Uint8Array, commitments: readonly Uint8Array[], encodings: readonly Uint8Array[]): CorruptedTrace {
  return {
    at,
    outputRoot,
    commitments,
    steps: commitments.length - 1,
    commitment: (i) => Promise.resolve(commitments[i]!),
    finalEncoding: encodings.at(-1)!,
    witness: (k) => {
      const rec = new RecordingPreimages(store);
      executeStep(encodings[k]!, rec, local);
      return Promise.resolve({ state: encodings[k]!, preimages: rec.witness() });
    },
  };
}

/**
 * The honest trace of block `block` and a liar's version in which the call of the inference
 * precompile that returned `output` returns `lie` instead (and everything after runs on it).
 */
export async function prepareInferenceLie(view: MetisChainView, block: bigint, output: Uint8Array, lie: Uint8Array): Promise<CorruptedTrace> {
  const b = await view.block(block);
  if (b === null) throw new DishonestTraceError(`block ${block} is not on the chain yet`);
  const honest = await traceChainBlock(view, block, b.outputRoot, { fullState: true });
  const store = honest.store;
  const root = buildTree(store, output);
  // The call step: a CALL-family instruction whose post-state frame holds `output` as return data.
  const at = honest.kinds.findIndex((k, i) => {
    if (k !== 'instruction' || ![0xf1, 0xf2, 0xf4, 0xfa].includes(honest.ops[i]!)) return false;
    const post = decodeStepState(honest.encodings[i + 1]!);
    if (post.frameHash.every((x) => x === 0)) return false;
    const f = decodeFrame(store.preimage(post.frameHash, 'frame'));
    return f.returnDataSize === output.length && equalBytes(f.returnDataRoot, root);
  });
  if (at < 0) throw new DishonestTraceError(`block ${block} has no call returning that inference output`);
  return corruptInferenceOutput(honest, at, lie);
}

/** A liar's output root for blocks after the one it corrupted: anything, as long as it is wrong. */
export function garbageOutput(block: bigint, tag: string): Hex {
  return bytesToHex(keccak256(new TextEncoder().encode(`${tag}:${block}`)));
}

/**
 * The honest trace of block `block` of `view` and a liar's version of it, corrupted at a step
 * chosen by `pick` among those the L1 verifier can prove.
 */
export async function prepareLie(view: MetisChainView, block: bigint, pick: (candidates: readonly number[]) => number): Promise<CorruptedTrace> {
  const b = await view.block(block);
  if (b === null) throw new DishonestTraceError(`block ${block} is not on the chain yet`);
  // The liar leaves the honest path after its wrong step: it may read state the honest witness lacks.
  const honest = await traceChainBlock(view, block, b.outputRoot, { fullState: true });
  const candidates = corruptibleSteps(honest);
  if (candidates.length === 0) throw new DishonestTraceError(`block ${block} runs no instruction the L1 verifier proves: nothing to corrupt`);
  return corruptTrace(honest, pick(candidates));
}

/**
 * The accessor of a proposer that lies from `lie.block` on: honest outputs before it, the
 * corrupted execution's output at it, garbage after it; in the subgame over that block it plays
 * its corrupted trace, elsewhere it has no trace (it stays silent).
 */
export function dishonestAccessor(params: GameParams, view: MetisChainView, lie: { readonly block: bigint; readonly trace: CorruptedTrace }, tag = 'lie'): SplitTraceAccessor {
  const outputAt = async (block: bigint): Promise<Hex> => {
    if (block > lie.block) return garbageOutput(block, tag);
    if (block === lie.block) return bytesToHex(lie.trace.outputRoot);
    const b = await view.block(block);
    if (b === null) throw new TraceProviderError(`block ${block} is not on this chain yet`);
    return bytesToHex(b.outputRoot);
  };
  const top = new OutputRootTraceProvider(params, outputAt);
  return new SplitTraceAccessor(top, async (sub) => {
    if (sub.postBlock === lie.block && sub.preBlock === lie.block - 1n && sub.preOutputRoot.toLowerCase() === (await outputAt(sub.preBlock)).toLowerCase()) {
      return new MetisTraceProvider(lie.trace, sub.depth);
    }
    throw new TraceProviderError(`the liar has no execution behind its claims for blocks ${sub.preBlock}..${sub.postBlock}`);
  });
}
