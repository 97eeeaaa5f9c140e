// Step traces of a real block's transactions, from any replay source (an RPC node, a recorded
// range): the parent state comes as a witness proven against the parent's state root, every
// transaction is traced on the state the previous ones left, and state a step needs that the
// witness lacks is fetched and the block traced again.
import type { ChainRules } from '../chain/chain.js';
import { blockEnvOf } from '../block/execute.js';
import { BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS, systemCall } from '../block/system.js';
import { toTxRequest } from '../execution/request.js';
import { applyTransaction } from '../execution/transaction.js';
import { MissingStateError } from '../state/backend.js';
import { WitnessIncompleteError, WitnessState, witnessFromNodes } from '../state/witness.js';
import { WorldState } from '../state/world.js';
import { decodeTransaction, transactionHash } from '../tx/index.js';
import { bytesToHex, type Hex } from '../util/bytes.js';
import { bytesToWord } from '../interpreter/instructions/words.js';
import type { ReplaySource } from '../replay/source.js';
import { addressUnderPath, slotUnderPath } from '../replay/siblings.js';
import { StepError } from './execute.js';
import { stepCount, storeFromWitness, traceTransaction, type StepTrace, type TraceOptions } from './trace.js';

export class BlockTraceError extends Error {
  override readonly name = 'BlockTraceError';
}

export interface TxTrace {
  readonly index: number;
  readonly hash: Hex;
  /** Null when no instruction ran (a plain transfer, a precompile call). */
  readonly trace: StepTrace | null;
}

export interface BlockTrace {
  readonly number: bigint;
  readonly txs: readonly TxTrace[];
  /** Total steps over all transactions. */
  readonly steps: number;
  readonly refetches: number;
}

/** Which transaction and local step a block-wide step index names. */
export function locateStep(b: BlockTrace, k: number): { tx: TxTrace; local: number } {
  let rest = k;
  for (const tx of b.txs) {
    const n = tx.trace === null ? 0 : stepCount(tx.trace);
    if (rest < n) return { tx, local: rest };
    rest -= n;
  }
  throw new BlockTraceError(`step ${k} is outside the block's ${b.steps} steps`);
}

export interface BlockTraceOptions {
  /** Only trace this transaction (the earlier ones still run, untraced). */
  readonly only?: number;
  readonly maxRefetches?: number;
  readonly onTx?: (index: number, steps: number) => void;
  /** Per-transaction trace options (checkpoints). */
  readonly traceOptions?: (index: number) => TraceOptions;
}

export async function traceBlock(source: ReplaySource, chain: ChainRules, number: bigint, options: BlockTraceOptions = {}): Promise<BlockTrace> {
  if (number === 0n) throw new BlockTraceError('block 0 is genesis: there is nothing to trace');
  const [block, parent] = await Promise.all([source.block(number), source.header(number - 1n)]);
  const pre = await source.preState(number);
  const wanted: bigint[] = [];
  for (let d = 1n; d <= 256n && d <= number; d++) wanted.push(number - d);
  const got = await source.blockHashes(wanted);
  const hashes = new Map<bigint, bigint>();
  for (const [n, h] of got) hashes.set(n, bytesToWord(h, 0));
  const env = blockEnvOf(block.header, chain, (n) => hashes.get(n) ?? null);

  return withRefetch(source, number, pre, options.maxRefetches ?? 64, (nodes, codes, refetches) => {
    const witness = witnessFromNodes(parent.header.stateRoot, nodes, codes);
    const store = storeFromWitness(witness);
    const world = new WorldState(new WitnessState(witness));
    if (block.header.parentBeaconBlockRoot !== undefined) systemCall(world, env, BEACON_ROOTS_ADDRESS, block.header.parentBeaconBlockRoot);
    if (env.rules.isEip2935) systemCall(world, env, HISTORY_STORAGE_ADDRESS, block.header.parentHash);
    const used = { gasUsed: 0n, blobGasUsed: 0n };
    const txs: TxTrace[] = [];
    let steps = 0;
    for (const [i, raw] of block.transactions.entries()) {
      const decoded = decodeTransaction(raw);
      const tx = toTxRequest(decoded);
      const hash = bytesToHex(transactionHash(decoded));
      let trace: StepTrace | null = null;
      if (options.only === undefined || options.only === i) {
        const t = traceTransaction(store, witness, world, env, tx, used, options.traceOptions?.(i) ?? {});
        trace = t.commitments.length === 0 ? null : t;
        used.gasUsed += t.outcome.gasUsed;
        used.blobGasUsed += t.outcome.blobGasUsed;
      } else {
        const o = applyTransaction(world, env, tx, used);
        used.gasUsed += o.gasUsed;
        used.blobGasUsed += o.blobGasUsed;
      }
      const n = trace === null ? 0 : stepCount(trace);
      steps += n;
      options.onTx?.(i, n);
      txs.push({ index: i, hash, trace });
    }
    return Promise.resolve({ number, txs, steps, refetches });
  });
}

/**
 * Runs `attempt` over the pre-state witness of block `number`, and whenever it needs state the
 * witness lacks, fetches a proof of that key and runs it again (at most `maxRefetches` times).
 */
export async function withRefetch<T>(
  source: ReplaySource,
  number: bigint,
  pre: { readonly nodes: readonly Uint8Array[]; readonly codes: readonly Uint8Array[] },
  maxRefetches: number,
  attempt: (nodes: readonly Uint8Array[], codes: readonly Uint8Array[], refetches: number) => Promise<T>,
): Promise<T> {
  const nodes = [...pre.nodes];
  const codes = [...pre.codes];
  for (let refetches = 0; ; refetches++) {
    try {
      return await attempt(nodes, codes, refetches);
    } catch (e) {
      const missing = missingOf(e);
      if (missing === null) throw e;
      if (refetches >= maxRefetches) throw new BlockTraceError(`block ${number}: still missing state after ${refetches} refetches: ${missing.message}`);
      const more = await source.missing(number, missing);
      nodes.push(...more.nodes);
      codes.push(...more.codes);
    }
  }
}

// A step or the interpreter needed state the witness lacks: name a key whose proof carries it.
export function missingOf(e: unknown): MissingStateError | null {
  const inner = e instanceof StepError ? e.detail : e;
  if (inner instanceof MissingStateError) return inner;
  if (inner instanceof WitnessIncompleteError) {
    return inner.trie === 'account' ? new MissingStateError('account', addressUnderPath(inner.path)) : new MissingStateError('storage', inner.address, slotUnderPath(inner.path));
  }
  return null;
}
