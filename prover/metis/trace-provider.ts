// MetisVM traces as the game sees them: output roots of the believed chain above the split, and
// below it one block's committed step trace (vm/step/block-steps.ts), padded with its final
// state to the subgame's 2^depth leaves. Steps are served as (pre-state encoding, abi-encoded
// preimages): exactly what MetisStepVerifier.step takes.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeAbiParameters } from 'viem';
import { blockEnvOf } from '../../vm/block/execute.js';
import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import { ABSOLUTE_PRESTATE, BOOT_ENCODING, type LocalContext } from '../../vm/step/boundary.js';
import { blockInputsHash, blockStepCount, blockStepWitness, traceBlockSteps, type BlockStepTrace, type BlockStepsInput } from '../../vm/step/block-steps.js';
import { recordBlockTrace, type BlockCheckpoints } from '../../vm/step/checkpoints.js';
import { executeStep } from '../../vm/step/execute.js';
import { PreimageStore } from '../../vm/step/preimages.js';
import { STATUS_UNFINISHED, commitmentOf } from '../../vm/step/state.js';
import { OutputRootTraceProvider, SplitTraceAccessor, TraceProviderError, type ExecProviderCreator, type ExecSubgame, type StepData, type TraceProvider } from '../game/trace-provider.js';
import type { GameParams } from '../game/types.js';
import type { Position } from '../game/position.js';
import { collectState, type MetisChainView } from './chain-view.js';
import { blockWitness, withViewWitness, witnessStore, type ViewWitness } from './view-witness.js';

/** A committed trace as a subgame reads it: commitments by step and a witness for any step. */
export interface SubgameTrace {
  /** Steps in the trace: commitments run from 0 (the absolute prestate) to `steps` (the final state). */
  readonly steps: number;
  commitment(i: number): Promise<Uint8Array>;
  /** The pre-state encoding and preimages of step k (k < steps). */
  witness(k: number): Promise<{ readonly state: Uint8Array; readonly preimages: readonly Uint8Array[] }>;
  /** The final state's encoding (it steps to itself). */
  readonly finalEncoding: Uint8Array;
  /** Closes the store a checkpointed trace is served from; idempotent (subgames may share a trace). */
  close?(): Promise<void>;
}

/** A trace held in memory with its state encodings. */
export function blockSubgameTrace(t: BlockStepTrace): SubgameTrace {
  const last = t.encodings.at(-1);
  if (last === undefined) throw new TraceProviderError('a subgame trace needs its state encodings (trace without checkpoints)');
  return {
    steps: blockStepCount(t),
    commitment: (i) => Promise.resolve(t.commitments[i]!),
    witness: (k) => Promise.resolve(blockStepWitness(t, k)),
    finalEncoding: last,
  };
}

/** A trace served from level checkpoints (bounded memory: any step re-executed from the nearest checkpoint). */
export async function checkpointedSubgameTrace(cps: BlockCheckpoints): Promise<SubgameTrace> {
  const steps = cps.summary.steps;
  const { encoding } = await cps.stateAt(steps);
  let closed: Promise<void> | undefined;
  return {
    steps,
    close: () => (closed ??= cps.close()),
    commitment: (i) => cps.commitmentAt(i),
    witness: async (k) => {
      const { witness } = await cps.witnessAt(k);
      return { state: witness.state, preimages: witness.preimages };
    },
    finalEncoding: encoding,
  };
}

/** Claim i is the state after step i (the final state past the end); step i starts from state i. */
export class MetisTraceProvider implements TraceProvider {
  constructor(
    private readonly trace: SubgameTrace,
    private readonly depth: number,
  ) {
    const steps = trace.steps;
    if (BigInt(steps) > 1n << BigInt(depth)) {
      throw new TraceProviderError(`the block trace has ${steps} steps, more than the ${2n ** BigInt(depth)} leaves of an execution subgame of depth ${depth}`);
    }
  }

  private index(position: Position): number {
    if (position.depth > this.depth) throw new TraceProviderError(`position depth ${position.depth} exceeds the subgame depth ${this.depth}`);
    const i = position.traceIndex(this.depth);
    const last = this.trace.steps;
    return i >= BigInt(last) ? last : Number(i);
  }

  async get(position: Position): Promise<Hex> {
    const i = this.index(position);
    return bytesToHex(await this.trace.commitment(Math.min(i + 1, this.trace.steps)));
  }

  async getStepData(position: Position): Promise<StepData> {
    const i = this.index(position);
    // Past the end the final state steps to itself and reads nothing.
    const { state, preimages } = i >= this.trace.steps ? { state: this.trace.finalEncoding, preimages: [] as Uint8Array[] } : await this.trace.witness(i);
    const proof = encodeAbiParameters([{ type: 'bytes[]' }], [preimages.map((p) => bytesToHex(p))]);
    return { preState: state, proof: hexToBytes(proof) };
  }

  absolutePrestateHash(): Promise<Hex> {
    return Promise.resolve(bytesToHex(ABSOLUTE_PRESTATE));
  }

  async close(): Promise<void> {
    await this.trace.close?.();
  }
}

/**
 * A one-step trace: a subgame whose outputs name the same block (past the game's block), or a
 * block whose inputs the chain never committed on L1 (block start makes it invalid).
 */
export function noBlockTrace(local: LocalContext): SubgameTrace {
  const store = new PreimageStore();
  const r = executeStep(BOOT_ENCODING, store, local);
  const commitments = [commitmentOf(BOOT_ENCODING, STATUS_UNFINISHED), r.commitment];
  return {
    steps: 1,
    commitment: (i) => Promise.resolve(commitments[i]!),
    witness: () => Promise.resolve({ state: BOOT_ENCODING, preimages: [] }),
    finalEncoding: r.encoding,
  };
}

/** L1 commits other inputs for a block than the block this chain has: the chains disagree before execution. */
export class InputsMismatchError extends TraceProviderError {
  override readonly name = 'InputsMismatchError';
  constructor(
    readonly l2Block: bigint,
    readonly committed: Uint8Array,
    readonly ours: Uint8Array,
  ) {
    super(`L1 commits inputs ${bytesToHex(committed)} for block ${l2Block}; this chain's block has inputs ${bytesToHex(ours)}`);
  }
}

export interface MetisExecOptions {
  /** Progress of long traces. */
  readonly onTrace?: (block: bigint, steps: number, ms: number) => void;
  /**
   * The inputs hash the game's L1 inbox holds for a block (zero when none was committed): what the
   * on-chain block start reads. Given, a block without committed inputs is traced as invalid, and
   * one whose committed inputs are not this chain's block is refused (InputsMismatchError).
   * Absent, every block is traced from this chain's own inputs (offline use).
   */
  readonly committedInputs?: (l2Block: bigint) => Promise<Uint8Array>;
  /**
   * Keep each disputed block's trace in level checkpoints under this directory (one store per
   * block and disputed root) instead of in memory: bounded memory for blocks of any size.
   */
  readonly checkpoints?: { readonly dir: string; readonly every: number };
}

/**
 * Execution providers for the chain `view` believes in: the disputed block's trace from the
 * agreed output before it. A subgame starting from an output root this chain does not have is
 * refused (an honest player never needs it).
 */
export function metisExecCreator(view: MetisChainView, options: MetisExecOptions = {}, judge = inputsJudge(view, options.committedInputs)): ExecProviderCreator {
  const traces = new Map<string, Promise<SubgameTrace>>();
  return async (sub: ExecSubgame) => {
    const depth = sub.depth;
    // No block runs (past the game's block, or no inputs on L1): one step from the boot state.
    const oneStep = (): MetisTraceProvider => {
      const local: LocalContext = {
        startingOutputRoot: hexToBytes(sub.preOutputRoot),
        disputedOutputRoot: hexToBytes(sub.postOutputRoot),
        l2BlockNumber: sub.postBlock,
        startingBlockNumber: sub.preBlock,
        inputsHash: new Uint8Array(32),
      };
      return new MetisTraceProvider(noBlockTrace(local), depth);
    };
    if (sub.postBlock <= sub.preBlock) return oneStep();
    if (sub.postBlock !== sub.preBlock + 1n) throw new TraceProviderError(`an execution subgame spans blocks ${sub.preBlock}..${sub.postBlock}, not one block`);
    if (judge !== undefined) {
      const verdict = await judge(sub.postBlock);
      if (verdict.kind === 'none') return oneStep();
      if (verdict.kind === 'other') throw new InputsMismatchError(sub.postBlock, verdict.committed, verdict.ours);
    }
    const [parent, block] = await Promise.all([view.block(sub.preBlock), view.block(sub.postBlock)]);
    if (parent === null || block === null) throw new TraceProviderError(`block ${sub.postBlock} or its parent is not on this chain yet`);
    if (!equalBytes(parent.outputRoot, hexToBytes(sub.preOutputRoot))) {
      throw new TraceProviderError(`the subgame starts from output ${sub.preOutputRoot} at block ${sub.preBlock}; this chain has ${bytesToHex(parent.outputRoot)}`);
    }
    const key = `${sub.postBlock}:${sub.postOutputRoot.toLowerCase()}`;
    let trace = traces.get(key);
    if (trace === undefined) {
      trace = (async () => {
        const started = Date.now();
        const disputed = hexToBytes(sub.postOutputRoot);
        let t: SubgameTrace;
        if (options.checkpoints === undefined) t = blockSubgameTrace(await traceChainBlock(view, block.number, disputed));
        else {
          const path = join(options.checkpoints.dir, `block-${block.number}-${sub.postOutputRoot.slice(2, 18).toLowerCase()}`);
          t = await checkpointedSubgameTrace(await recordChainBlock(view, block.number, disputed, path, options.checkpoints.every));
        }
        options.onTrace?.(block.number, t.steps, Date.now() - started);
        return t;
      })();
      traces.set(key, trace);
      trace.catch(() => traces.delete(key));
    }
    return new MetisTraceProvider(await trace, depth);
  };
}

export interface ChainBlockTraceOptions {
  /** Trace over a copy of the whole parent state (devnet-sized states: a liar that leaves the honest path needs it). */
  readonly fullState?: boolean;
  /** Rounds of fetching state the block or a step lacks (default: plenty for any block). */
  readonly maxFetchRounds?: number;
  /** Called when a trace needed state beyond the block's witness and runs again (a sibling a deletion collapses onto). */
  readonly onRetrace?: (missing: string) => void;
}

/** The inputs of block `n` of `view` as the step trace reads them (header, transactions, environment, parent output). */
export async function chainBlockStepsInput(view: MetisChainView, n: bigint, disputed: Uint8Array): Promise<BlockStepsInput> {
  const [parent, block] = await Promise.all([view.block(n - 1n), view.block(n)]);
  if (parent === null || block === null) throw new TraceProviderError(`block ${n} or its parent is not on this chain yet`);
  const ancestors = new Map<bigint, bigint>();
  for (let d = 1n; d <= 256n && d <= n; d++) {
    const b = d === 1n ? parent : await view.block(n - d);
    if (b === null) break;
    ancestors.set(b.number, BigInt(bytesToHex(b.hash)));
  }
  const blockHash = (k: bigint): bigint | null => ancestors.get(k) ?? null;
  return {
    header: block.header,
    transactions: block.transactions,
    env: blockEnvOf(block.header, view.chain, blockHash),
    parent: { stateRoot: parent.stateRoot, messagePasserStorageRoot: parent.messagePasserStorageRoot, blockHash: parent.hash },
    disputedOutputRoot: disputed,
  };
}

/** The inputs hash of block `n` of `view`: what the batcher commits for it on L1 (DESIGN §2.7). */
export async function chainBlockInputsHash(view: MetisChainView, n: bigint): Promise<Uint8Array> {
  return blockInputsHash(await chainBlockStepsInput(view, n, new Uint8Array(32)));
}

/** What tracing block `n` of `view` needs: its inputs and the witness of its parent state (or all of it). */
async function chainBlockInput(view: MetisChainView, n: bigint, disputed: Uint8Array, fullState: boolean): Promise<{ input: BlockStepsInput; witness: ViewWitness | null; store: PreimageStore | null }> {
  const input = await chainBlockStepsInput(view, n, disputed);
  if (fullState) return { input, witness: null, store: await collectState(view, input.parent.stateRoot) };
  const witness = await blockWitness(view, view.chain, input.parent.stateRoot, { header: input.header, transactions: input.transactions }, input.env.blockHash);
  return { input, witness, store: null };
}

/** The committed step trace of block `n` of `view` from its parent's output, against `disputed`, in memory. */
export async function traceChainBlock(view: MetisChainView, n: bigint, disputed: Uint8Array, options: ChainBlockTraceOptions = {}): Promise<BlockStepTrace> {
  const { input, witness, store } = await chainBlockInput(view, n, disputed, options.fullState === true);
  if (witness === null) return traceBlockSteps(store!, input);
  return withViewWitness(view, witness, options.maxFetchRounds ?? 10_000, (w) => traceBlockSteps(witnessStore(w), input), options.onRetrace);
}

/** traceChainBlock into level checkpoints at `path` (every `every` steps): the trace is never held in memory. */
export async function recordChainBlock(view: MetisChainView, n: bigint, disputed: Uint8Array, path: string, every: number, options: ChainBlockTraceOptions = {}): Promise<BlockCheckpoints> {
  const { input, witness, store } = await chainBlockInput(view, n, disputed, options.fullState === true);
  const record = async (s: PreimageStore): Promise<BlockCheckpoints> => {
    // A round that fetched more starts over: nothing of a failed attempt stays in the store.
    await rm(path, { recursive: true, force: true });
    return recordBlockTrace(s, input, path, every);
  };
  if (witness === null) return record(store!);
  return withViewWitness(view, witness, options.maxFetchRounds ?? 10_000, (w) => record(witnessStore(w)), options.onRetrace);
}

/** What L1's inputs commitment makes of this chain's block: the same block, no block, or another block. */
export type InputsVerdict =
  | { readonly kind: 'ours' }
  | { readonly kind: 'none' }
  | { readonly kind: 'other'; readonly committed: Uint8Array; readonly ours: Uint8Array };

/** Block `block` of `view` against the inputs hash L1 committed for it (zero: none). */
export async function judgeInputs(view: MetisChainView, block: bigint, committedHash: Promise<Uint8Array>): Promise<InputsVerdict> {
  const committed = await committedHash;
  if (committed.every((b) => b === 0)) return { kind: 'none' };
  const ours = await chainBlockInputsHash(view, block);
  return equalBytes(committed, ours) ? { kind: 'ours' } : { kind: 'other', committed, ours };
}

/**
 * Judges blocks against `committedInputs` (undefined without it). A commitment never changes once
 * made, so only the absence of one is asked again.
 */
export function inputsJudge(view: MetisChainView, committedInputs: MetisExecOptions['committedInputs']): ((block: bigint) => Promise<InputsVerdict>) | undefined {
  if (committedInputs === undefined) return undefined;
  const known = new Map<bigint, Promise<InputsVerdict>>();
  return (block) => {
    let v = known.get(block);
    if (v === undefined) {
      v = judgeInputs(view, block, committedInputs(block));
      known.set(block, v);
      v.then(
        (r) => r.kind === 'none' && known.delete(block),
        () => known.delete(block),
      );
    }
    return v;
  };
}

/**
 * The output a player claims at a block L1 has no inputs for (or other inputs than its chain's),
 * and at every block after it: no output root is right there, so it matches no claim.
 */
export function noOutputRoot(block: bigint): Hex {
  return bytesToHex(keccak256(new TextEncoder().encode(`hyperion-verify: no block ${block} on L1`)));
}

/**
 * The full accessor of a player believing `view`: its outputs above the split, its traces below.
 * With `committedInputs`, the chain is only as long as L1's inputs commitments agree with it.
 */
export function metisAccessor(params: GameParams, view: MetisChainView, options: MetisExecOptions = {}): SplitTraceAccessor {
  const judge = inputsJudge(view, options.committedInputs);
  const top = new OutputRootTraceProvider(params, async (block) => {
    const b = await view.block(block);
    if (b === null) throw new TraceProviderError(`block ${block} is not on this chain yet`);
    if (judge !== undefined) {
      for (let n = params.startingBlockNumber + 1n; n <= block; n++) if ((await judge(n)).kind !== 'ours') return noOutputRoot(block);
    }
    return bytesToHex(b.outputRoot);
  });
  return new SplitTraceAccessor(top, metisExecCreator(view, options, judge));
}
