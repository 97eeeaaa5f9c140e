// MetisVM traces as the game sees them: output roots of the believed chain above the split, and
// below it one block's committed step trace (vm/step/block-steps.ts), padded with its final
// state to the subgame's 2^depth leaves. Steps are served as (pre-state encoding, abi-encoded
// preimages): exactly what MetisStepVerifier.step takes.
import { encodeAbiParameters } from 'viem';
import { blockEnvOf } from '../../vm/block/execute.js';
import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../../vm/util/bytes.js';
import { ABSOLUTE_PRESTATE, BOOT_ENCODING, type LocalContext } from '../../vm/step/boundary.js';
import { blockStepCount, blockStepWitness, traceBlockSteps, type BlockStepTrace } from '../../vm/step/block-steps.js';
import { executeStep } from '../../vm/step/execute.js';
import { PreimageStore } from '../../vm/step/preimages.js';
import { STATUS_UNFINISHED, commitmentOf } from '../../vm/step/state.js';
import { OutputRootTraceProvider, SplitTraceAccessor, TraceProviderError, type ExecProviderCreator, type ExecSubgame, type StepData, type TraceProvider } from '../game/trace-provider.js';
import type { GameParams } from '../game/types.js';
import type { Position } from '../game/position.js';
import { collectState, type MetisChainView } from './chain-view.js';

/** A committed trace as a subgame reads it: commitments by step and a witness for any step. */
export interface SubgameTrace {
  readonly commitments: readonly Uint8Array[];
  /** The pre-state encoding and preimages of step k (k < steps). */
  witness(k: number): { state: Uint8Array; preimages: readonly Uint8Array[] };
  /** The final state's encoding (it steps to itself). */
  readonly finalEncoding: Uint8Array;
}

export function blockSubgameTrace(t: BlockStepTrace): SubgameTrace {
  const last = t.encodings.at(-1);
  if (last === undefined) throw new TraceProviderError('a subgame trace needs its state encodings (trace without checkpoints)');
  return { commitments: t.commitments, witness: (k) => blockStepWitness(t, k), finalEncoding: last };
}

/** Claim i is the state after step i (the final state past the end); step i starts from state i. */
export class MetisTraceProvider implements TraceProvider {
  constructor(
    private readonly trace: SubgameTrace,
    private readonly depth: number,
  ) {
    const steps = trace.commitments.length - 1;
    if (BigInt(steps) > 1n << BigInt(depth)) {
      throw new TraceProviderError(`the block trace has ${steps} steps, more than the ${2n ** BigInt(depth)} leaves of an execution subgame of depth ${depth}`);
    }
  }

  private index(position: Position): number {
    if (position.depth > this.depth) throw new TraceProviderError(`position depth ${position.depth} exceeds the subgame depth ${this.depth}`);
    const i = position.traceIndex(this.depth);
    const last = this.trace.commitments.length - 1;
    return i >= BigInt(last) ? last : Number(i);
  }

  get(position: Position): Promise<Hex> {
    const i = this.index(position);
    const c = this.trace.commitments[Math.min(i + 1, this.trace.commitments.length - 1)]!;
    return Promise.resolve(bytesToHex(c));
  }

  getStepData(position: Position): Promise<StepData> {
    const i = this.index(position);
    const steps = this.trace.commitments.length - 1;
    // Past the end the final state steps to itself and reads nothing.
    const { state, preimages } = i >= steps ? { state: this.trace.finalEncoding, preimages: [] as Uint8Array[] } : this.trace.witness(i);
    const proof = encodeAbiParameters([{ type: 'bytes[]' }], [preimages.map((p) => bytesToHex(p))]);
    return Promise.resolve({ preState: state, proof: hexToBytes(proof) });
  }

  absolutePrestateHash(): Promise<Hex> {
    return Promise.resolve(bytesToHex(ABSOLUTE_PRESTATE));
  }
}

/** The trace of a subgame whose outputs name the same block (past the game's block): one step. */
export function noBlockTrace(local: LocalContext): SubgameTrace {
  const store = new PreimageStore();
  const r = executeStep(BOOT_ENCODING, store, local);
  return {
    commitments: [commitmentOf(BOOT_ENCODING, STATUS_UNFINISHED), r.commitment],
    witness: () => ({ state: BOOT_ENCODING, preimages: [] }),
    finalEncoding: r.encoding,
  };
}

export interface MetisExecOptions {
  /** Progress of long traces. */
  readonly onTrace?: (block: bigint, steps: number, ms: number) => void;
}

/**
 * Execution providers for the chain `view` believes in: the disputed block's trace from the
 * agreed output before it. A subgame starting from an output root this chain does not have is
 * refused (an honest player never needs it).
 */
export function metisExecCreator(view: MetisChainView, options: MetisExecOptions = {}): ExecProviderCreator {
  const traces = new Map<string, Promise<BlockStepTrace>>();
  return async (sub: ExecSubgame) => {
    const depth = sub.depth;
    if (sub.postBlock <= sub.preBlock) {
      const local: LocalContext = {
        startingOutputRoot: hexToBytes(sub.preOutputRoot),
        disputedOutputRoot: hexToBytes(sub.postOutputRoot),
        l2BlockNumber: sub.postBlock,
        startingBlockNumber: sub.preBlock,
        inputsHash: new Uint8Array(32),
      };
      return new MetisTraceProvider(noBlockTrace(local), depth);
    }
    if (sub.postBlock !== sub.preBlock + 1n) throw new TraceProviderError(`an execution subgame spans blocks ${sub.preBlock}..${sub.postBlock}, not one block`);
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
        const t = await traceChainBlock(view, block.number, hexToBytes(sub.postOutputRoot));
        options.onTrace?.(block.number, blockStepCount(t), Date.now() - started);
        return t;
      })();
      traces.set(key, trace);
      trace.catch(() => traces.delete(key));
    }
    return new MetisTraceProvider(blockSubgameTrace(await trace), depth);
  };
}

/** The committed step trace of block `n` of `view` from its parent's output, against `disputed`. */
export async function traceChainBlock(view: MetisChainView, n: bigint, disputed: Uint8Array): Promise<BlockStepTrace> {
  const [parent, block] = await Promise.all([view.block(n - 1n), view.block(n)]);
  if (parent === null || block === null) throw new TraceProviderError(`block ${n} or its parent is not on this chain yet`);
  const store = await collectState(view, parent.stateRoot);
  const ancestors = new Map<bigint, bigint>();
  for (let d = 1n; d <= 256n && d <= n; d++) {
    const b = d === 1n ? parent : await view.block(n - d);
    if (b === null) break;
    ancestors.set(b.number, BigInt(bytesToHex(b.hash)));
  }
  return traceBlockSteps(store, {
    header: block.header,
    transactions: block.transactions,
    env: blockEnvOf(block.header, view.chain, (k) => ancestors.get(k) ?? null),
    parent: { stateRoot: parent.stateRoot, messagePasserStorageRoot: parent.messagePasserStorageRoot, blockHash: parent.hash },
    disputedOutputRoot: disputed,
  });
}

/** The full accessor of a player believing `view`: its outputs above the split, its traces below. */
export function metisAccessor(params: GameParams, view: MetisChainView, options: MetisExecOptions = {}): SplitTraceAccessor {
  const top = new OutputRootTraceProvider(params, async (block) => {
    const b = await view.block(block);
    if (b === null) throw new TraceProviderError(`block ${block} is not on this chain yet`);
    return bytesToHex(b.outputRoot);
  });
  return new SplitTraceAccessor(top, metisExecCreator(view, options));
}
