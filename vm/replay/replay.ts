// Replays one block statelessly: fetch it and a witness of its pre-state,
// check the witness against the parent's state root, re-execute with MetisVM,
// and compare everything the header commits to.
import { bytesToHex, equalBytes } from '../util/bytes.js';
import { KECCAK_EMPTY } from '../util/hash.js';
import type { ChainRules } from '../chain/chain.js';
import { headerHash } from '../block/header.js';
import { executeBlock, InvalidBlockError, type BlockResult } from '../block/execute.js';
import { checkHeaderAgainstParent, compareWithHeader } from '../block/validate.js';
import { WorldState } from '../state/world.js';
import { MissingStateError } from '../state/backend.js';
import { WitnessIncompleteError, WitnessState, witnessFromNodes, witnessPostStateRoot } from '../state/witness.js';
import { addressUnderPath, slotUnderPath } from './siblings.js';
import { bytesToWord } from '../interpreter/instructions/words.js';
import type { ReplaySource, SourceReceipt } from './source.js';
import type { Address } from '../util/address.js';

const EMPTY_ACCOUNT = { nonce: 0n, balance: 0n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY };

export interface BlockVerdict {
  readonly number: bigint;
  readonly verified: boolean;
  /** The first mismatch, in words; null when verified. */
  readonly mismatch: string | null;
  readonly gasUsed: bigint;
  readonly transactions: number;
  /** Execution time only (fetching excluded), for Mgas/s. */
  readonly executionMs: number;
  /** How many times execution touched state the witness lacked and was re-run. */
  readonly refetches: number;
  readonly warnings: readonly string[];
}

/** BLOCKHASH asked for an ancestor the replay has not fetched yet. */
export class MissingBlockHashError extends Error {
  override readonly name = 'MissingBlockHashError';
  constructor(readonly blockNumber: bigint) {
    super(`block hash of ${blockNumber} not fetched`);
  }
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

export interface ReplayOptions {
  /** Re-runs allowed for state the witness lacked (each fetches what was missing). */
  readonly maxRefetches?: number;
  /**
   * Check the header against its parent (number, parent hash, timestamp, gas limit,
   * base fee, excess blob gas). Default true. Dev nodes such as anvil mine blocks
   * with equal timestamps and a fixed first base fee, so replaying them turns it off.
   */
  readonly checkParent?: boolean;
}

export async function replayBlock(source: ReplaySource, chain: ChainRules, number: bigint, options: ReplayOptions = {}): Promise<BlockVerdict> {
  if (number === 0n) throw new ReplayError('block 0 is genesis: there is nothing to execute');
  const [block, parent] = await Promise.all([source.block(number), source.header(number - 1n)]);
  const base = { number, gasUsed: block.header.gasUsed, transactions: block.transactions.length, warnings: [] as string[] };

  // The header must be what the block hash commits to, and follow its parent.
  if (!equalBytes(headerHash(block.header), block.hash)) {
    return { ...base, verified: false, mismatch: `header fields do not hash to the block hash ${bytesToHex(block.hash)}`, executionMs: 0, refetches: 0 };
  }
  const parentProblems = options.checkParent === false ? [] : checkHeaderAgainstParent(block.header, parent.header, chain);
  if (parentProblems.length > 0) {
    const p = parentProblems[0]!;
    return { ...base, verified: false, mismatch: `header ${p.field}: expected ${p.expected}, got ${p.actual}`, executionMs: 0, refetches: 0 };
  }

  const pre = await source.preState(number);
  const nodes = [...pre.nodes];
  const codes = [...pre.codes];
  const hashes = new Map<bigint, bigint>();
  const maxRefetches = options.maxRefetches ?? 64;
  for (let refetches = 0; ; refetches++) {
    const witness = witnessFromNodes(parent.header.stateRoot, nodes, codes);
    const world = new WorldState(new WitnessState(witness));
    const blockHash = (n: bigint): bigint => {
      const h = hashes.get(n);
      if (h === undefined) throw new MissingBlockHashError(n);
      return h;
    };
    let result: BlockResult;
    const started = performance.now();
    try {
      result = executeBlock(world, chain, { header: block.header, transactions: block.transactions, ...(block.withdrawals ? { withdrawals: block.withdrawals } : {}) }, blockHash);
    } catch (e) {
      if (refetches >= maxRefetches && (e instanceof MissingStateError || e instanceof MissingBlockHashError)) {
        throw new ReplayError(`block ${number}: still missing state after ${refetches} refetches: ${e.message}`);
      }
      if (e instanceof MissingStateError) {
        const more = await source.missing(number, e);
        nodes.push(...more.nodes);
        codes.push(...more.codes);
        continue;
      }
      if (e instanceof MissingBlockHashError) {
        const got = await source.blockHashes([e.blockNumber]);
        const h = got.get(e.blockNumber);
        if (h === undefined) throw new ReplayError(`source has no hash for block ${e.blockNumber}`);
        hashes.set(e.blockNumber, bytesToWord(h, 0));
        continue;
      }
      if (e instanceof InvalidBlockError) {
        return { ...base, verified: false, mismatch: e.message, executionMs: performance.now() - started, refetches };
      }
      throw e;
    }
    const executionMs = performance.now() - started;
    let postRoot: Uint8Array;
    try {
      let zeroLeaves: ReadonlyMap<Address, ReadonlySet<bigint>> | undefined;
      let changes = world.changes();
      if (chain.zeroStorageLeaves === 'kept') {
        if (source.zeroLeaves === undefined || source.emptyAccountLeaves === undefined) {
          throw new ReplayError(`chain ${chain.name} keeps zero leaves in its trie but the source cannot tell which`);
        }
        const deleted = [...changes].filter(([, c]) => c.account === null).map(([a]) => a);
        if (deleted.length > 0) {
          const kept = await source.emptyAccountLeaves(number, deleted);
          const next = new Map(changes);
          for (const a of kept) next.set(a, { account: EMPTY_ACCOUNT, storage: new Map(), storageCleared: true });
          changes = next;
        }
        const candidates = new Map<Address, bigint[]>();
        for (const [address, slots] of world.accessedSlots()) {
          if (!world.exists(address)) continue;
          const zeros = [...slots].filter(([, v]) => v === 0n).map(([k]) => k);
          if (zeros.length > 0) candidates.set(address, zeros);
        }
        zeroLeaves = await source.zeroLeaves(number, candidates);
      }
      postRoot = await witnessPostStateRoot(witness, changes, zeroLeaves ? { zeroLeaves } : {});
    } catch (e) {
      if (!(e instanceof WitnessIncompleteError) || refetches >= maxRefetches) throw e;
      // A deletion collapsed a branch onto a child no proof carried: prove a key below it.
      const missing =
        e.trie === 'account'
          ? new MissingStateError('account', addressUnderPath(e.path))
          : new MissingStateError('storage', e.address, slotUnderPath(e.path));
      const more = await source.missing(number, missing);
      nodes.push(...more.nodes);
      codes.push(...more.codes);
      continue;
    }
    const mismatches = compareWithHeader(block.header, result, postRoot);
    base.warnings.push(...result.warnings);
    if (mismatches.length === 0) return { ...base, verified: true, mismatch: null, executionMs, refetches };
    // Name the first diverging receipt where the source has receipts: more useful than a root.
    const receiptMismatch = firstReceiptMismatch(result, await source.receipts(number));
    const m = mismatches[0]!;
    const mismatch = receiptMismatch ?? `${m.field}: expected ${m.expected}, got ${m.actual}`;
    return { ...base, verified: false, mismatch, executionMs, refetches };
  }
}

function firstReceiptMismatch(result: BlockResult, theirs: readonly SourceReceipt[]): string | null {
  if (theirs.length !== result.receipts.length) return `receipt count: expected ${theirs.length}, got ${result.receipts.length}`;
  for (let i = 0; i < theirs.length; i++) {
    const a = theirs[i]!;
    const b = result.receipts[i]!;
    if (a.success !== b.success) return `transaction ${i} status: expected ${a.success ? 'success' : 'failure'}, got ${b.success ? 'success' : 'failure'}`;
    if (a.cumulativeGasUsed !== b.cumulativeGasUsed) return `transaction ${i} cumulative gas: expected ${a.cumulativeGasUsed}, got ${b.cumulativeGasUsed}`;
    if (a.logCount !== b.logs.length) return `transaction ${i} logs: expected ${a.logCount}, got ${b.logs.length}`;
  }
  return null;
}
