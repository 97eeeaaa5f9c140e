// Building one devnet L2 block on a level-backed world state: execute the transactions with
// MetisVM over the parent's state, commit, seal the header and compute the output root. The
// sequencer and the verifier node both call `buildBlock`, so they agree by construction.
import { executeBlock, InvalidBlockError, type BlockResult } from '../vm/block/execute.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import type { ChainRules } from '../vm/chain/chain.js';
import { PersistentState, runWithLoading } from '../vm/state/persistent.js';
import { WorldState } from '../vm/state/world.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import type { Address } from '../vm/util/address.js';
import type { InferenceCall } from '../vm/precompiles/inference.js';
import { bytesToHex, equalBytes } from '../vm/util/bytes.js';
import { outputRootOf } from '../challenger/output-root.js';
import type { L2BlockRecord } from '../prover/metis/chain-view.js';
import { DEVNET_RULES, MESSAGE_PASSER, nextHeaderTemplate, sealHeader, type BlockAttributes } from './chain.js';

export { InvalidBlockError };

/** One L2 block as the devnet keeps it: what the batcher posts and what the output root commits to. */
/** A sequenced or derived L2 block with its output (what MetisVM trace providers read), and its L1 origin. */
export interface SealedBlock extends L2BlockRecord {
  /** The block's L1 origin (epoch); null for genesis. */
  readonly l1Origin: { readonly number: bigint; readonly hash: Uint8Array } | null;
  /** The block's runs of the inference precompile, in order (absent: none). */
  readonly inferences?: readonly InferenceCall[];
}

export class DevnetStateError extends Error {
  override readonly name = 'DevnetStateError';
}

/** Looks up the 256 most recent block hashes for BLOCKHASH. */
export type BlockHashLookup = (n: bigint) => bigint | null;

/**
 * Executes `transactions` as the child of `parent` and commits the result as block parent+1.
 * Throws InvalidBlockError (nothing committed) when a transaction cannot be in a block.
 */
export async function buildBlock(
  state: PersistentState,
  parent: BlockHeader,
  attrs: BlockAttributes,
  transactions: readonly Uint8Array[],
  blockHash: BlockHashLookup,
  chain: ChainRules = DEVNET_RULES,
): Promise<{ block: SealedBlock; result: BlockResult }> {
  if (!equalBytes(state.stateRoot(), parent.stateRoot)) {
    throw new DevnetStateError(`state is at ${bytesToHex(state.stateRoot())}, not at the parent's root ${bytesToHex(parent.stateRoot)}`);
  }
  transactions.forEach((raw, i) => {
    // L2 blocks carry no blobs (header blobGasUsed is 0), and span batches cannot carry them.
    if (raw[0] === 0x03) throw new InvalidBlockError(`transaction ${i} is a blob transaction`);
  });
  const template = nextHeaderTemplate(parent, attrs, chain);
  const { world, result } = await runWithLoading(state, () => {
    const w = new WorldState(state);
    const r = executeBlock(w, chain, { header: template, transactions }, blockHash);
    return { world: w, result: r };
  });
  if (result.blobGasUsed !== 0n) throw new InvalidBlockError('block uses blob gas');
  const stateRoot = await state.commit(world.changes(), template.number);
  const header = sealHeader(template, result, stateRoot);
  const hash = headerHash(header);
  const messagePasserStorageRoot = await storageRootAt(state, stateRoot, MESSAGE_PASSER);
  return {
    block: {
      number: header.number,
      hash,
      header,
      transactions: [...transactions],
      stateRoot,
      messagePasserStorageRoot,
      outputRoot: outputRootOf(stateRoot, messagePasserStorageRoot, hash),
      l1Origin: { number: attrs.l1Origin.number, hash: attrs.l1Origin.hash.slice() },
      ...inferencesOf(result),
    },
    result,
  };
}

function inferencesOf(result: BlockResult): Pick<SealedBlock, 'inferences'> {
  const calls = result.outcomes.flatMap((o) => o.inferenceCalls);
  return calls.length === 0 ? {} : { inferences: calls };
}

/** The genesis as a sealed block (its output root included). */
export async function sealedGenesis(state: PersistentState, header: BlockHeader): Promise<SealedBlock> {
  const hash = headerHash(header);
  const messagePasserStorageRoot = await storageRootAt(state, header.stateRoot, MESSAGE_PASSER);
  return {
    number: 0n,
    hash,
    header,
    transactions: [],
    stateRoot: header.stateRoot,
    messagePasserStorageRoot,
    outputRoot: outputRootOf(header.stateRoot, messagePasserStorageRoot, hash),
    l1Origin: null,
  };
}

/** A trie node or contract code by its keccak256, from the state's store; null when unknown. */
export async function statePreimage(state: PersistentState, hash: Uint8Array): Promise<Uint8Array | null> {
  if (hash.length !== 32) throw new DevnetStateError('a preimage hash must be 32 bytes');
  return (await state.preimage(hash)) ?? null;
}

/** The storage root of `address` in the state trie at `root` (the empty root when it has no account). */
export async function storageRootAt(state: PersistentState, root: Uint8Array, address: Address): Promise<Uint8Array> {
  const account = await state.accountAt(root, address);
  return account === null ? EMPTY_TRIE_ROOT.slice() : account.storageRoot.slice();
}

/** Opens a state directory, creating it from `alloc` when it holds no state yet. */
export async function openOrCreateState(dir: string, alloc: Parameters<typeof PersistentState.fromGenesis>[1]): Promise<PersistentState> {
  const state = await PersistentState.open(dir);
  if (state.head() !== null) return state;
  await state.close();
  return PersistentState.fromGenesis(dir, alloc);
}

/** BLOCKHASH over a map of recent hashes (the interpreter enforces the 256-block window). */
export function hashLookup(hashes: ReadonlyMap<bigint, Uint8Array>): BlockHashLookup {
  return (n) => {
    const h = hashes.get(n);
    return h === undefined ? null : BigInt(bytesToHex(h));
  };
}
