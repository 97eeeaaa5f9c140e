// What a MetisVM trace provider needs from the L2 chain it believes in: its blocks with their
// outputs, and the state behind them by hash. The watcher's own node (derived from L1 and
// re-executed) serves it; so can a sequencer in tests.
import type { ChainRules } from '../../vm/chain/chain.js';
import type { BlockHeader } from '../../vm/block/header.js';
import { rlpDecode, type RlpItem } from '../../vm/rlp/rlp.js';
import { EMPTY_TRIE_ROOT, decodeAccount } from '../../vm/trie/index.js';
import { bytesToHex, equalBytes } from '../../vm/util/bytes.js';
import { KECCAK_EMPTY } from '../../vm/util/hash.js';
import { PreimageStore } from '../../vm/step/preimages.js';

export interface L2BlockRecord {
  readonly number: bigint;
  readonly hash: Uint8Array;
  readonly header: BlockHeader;
  /** Consensus encodings, in block order. */
  readonly transactions: readonly Uint8Array[];
  readonly stateRoot: Uint8Array;
  readonly messagePasserStorageRoot: Uint8Array;
  readonly outputRoot: Uint8Array;
}

export interface MetisChainView {
  readonly chain: ChainRules;
  /** Block n with its output, or null when the chain has not reached it. */
  block(n: bigint): Promise<L2BlockRecord | null>;
  /** A state trie node or a code by its hash. */
  preimage(hash: Uint8Array): Promise<Uint8Array | null>;
}

export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}

/**
 * Copies the whole state under `root` (account trie, storage tries, codes) into a preimage store,
 * reading nodes in batches. Devnet-sized states only: `limit` caps the node count.
 */
export async function collectState(view: Pick<MetisChainView, 'preimage'>, root: Uint8Array, limit = 1_000_000): Promise<PreimageStore> {
  const store = new PreimageStore();
  const wanted: { hash: Uint8Array; kind: 'account' | 'storage' | 'code' }[] = [];
  const seen = new Set<string>();
  const want = (hash: Uint8Array, kind: 'account' | 'storage' | 'code'): void => {
    const key = bytesToHex(hash);
    if (seen.has(key)) return;
    seen.add(key);
    wanted.push({ hash, kind });
  };
  const visit = (item: RlpItem, kind: 'account' | 'storage'): void => {
    if (item instanceof Uint8Array) {
      if (item.length === 32) want(item, kind);
      return;
    }
    if (item.length === 17) {
      for (let i = 0; i < 16; i++) visit(item[i]!, kind);
      return;
    }
    const path = item[0];
    if (!(path instanceof Uint8Array) || item.length !== 2) throw new StateUnavailableError('a state trie node is neither a branch nor a short node');
    if (path[0]! >> 4 < 2) return visit(item[1]!, kind);
    if (kind !== 'account') return;
    const leaf = item[1];
    if (!(leaf instanceof Uint8Array)) throw new StateUnavailableError('an account leaf is not a byte string');
    const a = decodeAccount(leaf);
    if (!equalBytes(a.storageRoot, EMPTY_TRIE_ROOT)) want(a.storageRoot, 'storage');
    if (!equalBytes(a.codeHash, KECCAK_EMPTY)) want(a.codeHash, 'code');
  };
  if (!equalBytes(root, EMPTY_TRIE_ROOT)) want(root, 'account');
  while (wanted.length > 0) {
    if (store.map.size > limit) throw new StateUnavailableError(`the state under ${bytesToHex(root)} has more than ${limit} nodes`);
    const batch = wanted.splice(0, 256);
    const got = await Promise.all(batch.map((w) => view.preimage(w.hash)));
    batch.forEach((w, i) => {
      const data = got[i];
      if (data === null || data === undefined) throw new StateUnavailableError(`the chain's store lacks ${w.kind} ${bytesToHex(w.hash)} under state root ${bytesToHex(root)}`);
      store.putKnown(w.hash, data);
      if (w.kind !== 'code') visit(rlpDecode(data), w.kind);
    });
  }
  return store;
}
