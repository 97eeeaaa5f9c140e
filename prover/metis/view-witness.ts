// The pre-state witness of one L2 block read from the chain a player believes in (its node's
// level store), instead of a copy of the whole state: the block runs on the fast executor over
// the nodes fetched so far, and each account, slot or code it lacks is proven from the view by
// walking the trie from the parent's state root, until the block runs through. A step trace then
// runs over that witness; what a step needs beyond it (the sibling a deletion collapses onto, a
// node of an intermediate root) is fetched by its hash and the trace is run again.
import { executeBlock, type BlockInput } from '../../vm/block/execute.js';
import type { ChainRules } from '../../vm/chain/chain.js';
import { word32 } from '../../vm/interpreter/instructions/words.js';
import { MissingStateError } from '../../vm/state/backend.js';
import { MissingNodeError, NodeStore, PartialTrie } from '../../vm/state/witness-trie.js';
import { WitnessIncompleteError, WitnessState } from '../../vm/state/witness.js';
import { WorldState } from '../../vm/state/world.js';
import { StepError } from '../../vm/step/execute.js';
import { MissingPreimageError, PreimageStore } from '../../vm/step/preimages.js';
import { decodeAccount } from '../../vm/trie/index.js';
import { addressToBytes } from '../../vm/util/address.js';
import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../../vm/util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../../vm/util/hash.js';
import { StateUnavailableError, type MetisChainView } from './chain-view.js';

/** Trie nodes and codes by the 0x-hex of their hash: what a block's witness is made of. */
export interface ViewWitness {
  readonly stateRoot: Uint8Array;
  readonly nodes: Map<string, Uint8Array>;
  readonly codes: Map<string, Uint8Array>;
}

/** Longest trie path walked (64 nibbles of a hashed key, plus inline nodes). */
const MAX_PATH_NODES = 80;

async function fetchPreimage(view: Pick<MetisChainView, 'preimage'>, hash: Hex, what: string): Promise<Uint8Array> {
  const data = await view.preimage(hexToBytes(hash));
  if (data === null) throw new StateUnavailableError(`the chain's store lacks ${what} ${hash}`);
  if (!equalBytes(keccak256(data), hexToBytes(hash))) throw new StateUnavailableError(`the chain's store answered ${what} ${hash} with other bytes`);
  return data;
}

/** The value at `key` (already hashed, 32 bytes) under `root`, fetching into `nodes` every node on its path. */
export async function provePath(view: Pick<MetisChainView, 'preimage'>, root: Uint8Array, key: Uint8Array, nodes: Map<string, Uint8Array>): Promise<Uint8Array | null> {
  for (let i = 0; i <= MAX_PATH_NODES; i++) {
    try {
      return new PartialTrie(new NodeStore(nodes), root).get(key);
    } catch (e) {
      if (!(e instanceof MissingNodeError)) throw e;
      nodes.set(e.hash, await fetchPreimage(view, e.hash, 'trie node'));
    }
  }
  throw new StateUnavailableError(`the path of ${bytesToHex(key)} under ${bytesToHex(root)} is longer than any trie path`);
}

/** Proves what `missing` names (an account, a slot, a code) into the witness. */
export async function proveMissing(view: Pick<MetisChainView, 'preimage'>, w: ViewWitness, missing: MissingStateError): Promise<void> {
  const leaf = await provePath(view, w.stateRoot, keccak256(addressToBytes(missing.address)), w.nodes);
  if (missing.what === 'account' || leaf === null) return;
  const account = decodeAccount(leaf);
  if (missing.what === 'storage') {
    await provePath(view, account.storageRoot, keccak256(word32(missing.slot ?? 0n)), w.nodes);
    return;
  }
  if (!equalBytes(account.codeHash, KECCAK_EMPTY)) w.codes.set(bytesToHex(account.codeHash), await fetchPreimage(view, bytesToHex(account.codeHash), 'code'));
}

/**
 * Fetches what `e` says is missing into the witness: a key to prove, or a node or preimage by its
 * hash (a sibling a deletion needs, a code). False when `e` is not about missing data.
 */
export async function fetchMissing(view: Pick<MetisChainView, 'preimage'>, w: ViewWitness, e: unknown): Promise<boolean> {
  const inner = e instanceof StepError ? e.detail : e;
  if (inner instanceof MissingStateError) {
    await proveMissing(view, w, inner);
    return true;
  }
  const hash = inner instanceof WitnessIncompleteError ? inner.nodeHash : inner instanceof MissingPreimageError || inner instanceof MissingNodeError ? inner.hash : null;
  if (hash === null) return false;
  // Trie nodes and codes share one preimage store in the step machine: a node slot serves both.
  w.nodes.set(hash, await fetchPreimage(view, hash, 'preimage'));
  return true;
}

export class WitnessFetchLimitError extends Error {
  override readonly name = 'WitnessFetchLimitError';
}

/**
 * Runs `attempt` over `w`, fetching what it lacks and running it again, at most `maxRounds`
 * times; any other error is the attempt's own.
 */
export async function withViewWitness<T>(
  view: Pick<MetisChainView, 'preimage'>,
  w: ViewWitness,
  maxRounds: number,
  attempt: (w: ViewWitness) => T | Promise<T>,
  onFetch?: (missing: string) => void,
): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await attempt(w);
    } catch (e) {
      if (round >= maxRounds) throw new WitnessFetchLimitError(`still missing state after ${round} fetch rounds: ${e instanceof Error ? e.message : String(e)}`);
      if (!(await fetchMissing(view, w, e))) throw e;
      onFetch?.(e instanceof Error ? e.message : String(e));
    }
  }
}

/**
 * The witness of `block` over the state at `parentRoot`: everything the fast executor reads to run
 * it. One round per account, slot or code first read, each a re-run of the block on the fast
 * executor (cheap beside tracing it).
 */
export async function blockWitness(
  view: Pick<MetisChainView, 'preimage'>,
  chain: ChainRules,
  parentRoot: Uint8Array,
  block: BlockInput,
  blockHash: (n: bigint) => bigint | null,
  maxRounds = 100_000,
): Promise<ViewWitness> {
  const w: ViewWitness = { stateRoot: parentRoot, nodes: new Map(), codes: new Map() };
  await withViewWitness(view, w, maxRounds, () => {
    executeBlock(new WorldState(new WitnessState(w)), chain, block, blockHash);
  });
  return w;
}

/** The step machine's preimage store over a witness. */
export function witnessStore(w: ViewWitness): PreimageStore {
  const store = new PreimageStore();
  for (const [k, v] of w.nodes) store.putKnown(hexToBytes(k as Hex), v);
  for (const [k, v] of w.codes) store.putKnown(hexToBytes(k as Hex), v);
  return store;
}

