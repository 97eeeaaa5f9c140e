// The whole-block step trace of a block from any replay source (an RPC node, a recording): the
// parent state as a witness proven against the parent's state root, the starting output from the
// parent header and a proof of the message passer, the disputed output root by default the
// node's own (its header and a proof at the block), and state a step needs that the witness
// lacks fetched, after which the block is traced again.
import { rm } from 'node:fs/promises';
import type { ChainRules } from '../chain/chain.js';
import { blockEnvOf } from '../block/execute.js';
import { MESSAGE_PASSER, outputRootOf } from '../block/output-root.js';
import { bytesToWord } from '../interpreter/instructions/words.js';
import type { ReplaySource } from '../replay/source.js';
import type { Rpc } from '../rpc/client.js';
import { verifyAccountProof } from '../rpc/prestate.js';
import { witnessFromNodes } from '../state/witness.js';
import { BlockTraceError, withRefetch } from './block-trace.js';
import { traceBlockSteps, type BlockStepsInput, type BlockStepTrace, type ParentOutput } from './block-steps.js';
import { recordBlockTrace, type BlockCheckpoints } from './checkpoints.js';
import { storeFromWitness } from './trace.js';

export interface ProvenOutput extends ParentOutput {
  readonly outputRoot: Uint8Array;
}

/** Block `n`'s output as the node reports it: its header (checked by hash) and a proof of the message passer. */
export async function provenOutput(source: ReplaySource, rpc: Rpc, n: bigint): Promise<ProvenOutput> {
  const { header, hash } = await source.header(n);
  const answer = await rpc.request('eth_getProof', [MESSAGE_PASSER, [], `0x${n.toString(16)}`]);
  // A proof of absence gives the empty root: a chain without the predeploy.
  const storageRoot = verifyAccountProof(header.stateRoot, MESSAGE_PASSER, new Set(), answer).storageRoot;
  return { stateRoot: header.stateRoot, messagePasserStorageRoot: storageRoot, blockHash: hash, outputRoot: outputRootOf(header.stateRoot, storageRoot, hash) };
}

export interface SourceBlockStepsOptions {
  /** The output root under dispute; default the node's own for the block. */
  readonly disputedOutputRoot?: Uint8Array;
  /** Record into level checkpoints at this path instead of keeping the trace in memory. */
  readonly checkpoints?: { readonly path: string; readonly every: number };
  readonly maxRefetches?: number;
  readonly onProgress?: (steps: number) => void;
}

export interface SourceBlockSteps {
  readonly input: BlockStepsInput;
  /** The trace in memory, or null when it went to checkpoints. */
  readonly trace: BlockStepTrace | null;
  readonly checkpoints: BlockCheckpoints | null;
  readonly refetches: number;
}

export async function traceSourceBlockSteps(source: ReplaySource, rpc: Rpc, chain: ChainRules, number: bigint, options: SourceBlockStepsOptions = {}): Promise<SourceBlockSteps> {
  if (number === 0n) throw new BlockTraceError('block 0 is genesis: there is nothing to trace');
  const [block, parentOut, own] = await Promise.all([source.block(number), provenOutput(source, rpc, number - 1n), provenOutput(source, rpc, number)]);
  const pre = await source.preState(number);
  const wanted: bigint[] = [];
  for (let d = 1n; d <= 256n && d <= number; d++) wanted.push(number - d);
  const hashes = new Map<bigint, bigint>();
  for (const [n, h] of await source.blockHashes(wanted)) hashes.set(n, bytesToWord(h, 0));
  const input: BlockStepsInput = {
    header: block.header,
    transactions: block.transactions,
    env: blockEnvOf(block.header, chain, (n) => hashes.get(n) ?? null),
    parent: parentOut,
    disputedOutputRoot: options.disputedOutputRoot ?? own.outputRoot,
  };
  return withRefetch(source, number, pre, options.maxRefetches ?? 64, async (nodes, codes, refetches) => {
    const store = storeFromWitness(witnessFromNodes(parentOut.stateRoot, nodes, codes));
    const progress = options.onProgress === undefined ? {} : { onProgress: options.onProgress };
    if (options.checkpoints !== undefined) {
      // A refetch starts over: nothing of a failed attempt stays in the checkpoint store.
      await rm(options.checkpoints.path, { recursive: true, force: true });
      const cps = await recordBlockTrace(store, input, options.checkpoints.path, options.checkpoints.every, progress);
      return { input, trace: null, checkpoints: cps, refetches };
    }
    return { input, trace: traceBlockSteps(store, input, progress), checkpoints: null, refetches };
  });
}
