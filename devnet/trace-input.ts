// What the MetisVM block step trace needs from a devnet chain: the parent state's preimages
// (every trie node and code, copied from a level-backed state into a PreimageStore, since the
// step machine reads synchronously) and the BlockStepsInput of an L2 block. The devnet state is
// small, so copying the whole parent state is simpler and safer than a per-block witness.
import { blockEnvOf } from '../vm/block/execute.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import { rlpDecode, type RlpItem } from '../vm/rlp/rlp.js';
import type { BlockStepsInput } from '../vm/step/block-steps.js';
import { PreimageStore } from '../vm/step/preimages.js';
import { decodeAccount, EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { bytesToHex, equalBytes } from '../vm/util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../vm/util/hash.js';
import { addressToBytes } from '../vm/util/address.js';
import { NodeStore, PartialTrie } from '../vm/state/witness-trie.js';
import { DEVNET_RULES, MESSAGE_PASSER } from './chain.js';

export class TraceInputError extends Error {
  override readonly name = 'TraceInputError';
}

/** A trie node or code by keccak256 (the sequencer's or a DevnetNode's `preimage`). */
export type PreimageLookup = (hash: Uint8Array) => Promise<Uint8Array | null>;

/**
 * Copies the whole state under `stateRoot` (account trie, every storage trie, every code) into
 * `into`. Throws TraceInputError when a node or code is missing from the lookup.
 */
export async function copyState(lookup: PreimageLookup, stateRoot: Uint8Array, into: PreimageStore = new PreimageStore()): Promise<PreimageStore> {
  const fetch = async (hash: Uint8Array, what: string): Promise<Uint8Array> => {
    const key = bytesToHex(hash);
    const known = into.get(key);
    if (known !== undefined) return known;
    const v = await lookup(hash);
    if (v === null) throw new TraceInputError(`${what} ${key} is missing from the state store`);
    into.putKnown(hash, v);
    return v;
  };
  // Leaf values: accounts in the account trie (then their storage trie and code), slots below.
  const walk = async (root: Uint8Array, onLeaf: (value: Uint8Array) => Promise<void>): Promise<void> => {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return;
    const visit = async (node: RlpItem): Promise<void> => {
      if (node instanceof Uint8Array) {
        if (node.length === 0) return;
        if (node.length !== 32) throw new TraceInputError('a trie reference is neither a hash nor an inline node');
        await visit(rlpDecode(await fetch(node, 'trie node')));
        return;
      }
      if (node.length === 17) {
        for (let i = 0; i < 16; i++) await visit(node[i]!);
        const v = node[16]!;
        if (v instanceof Uint8Array && v.length > 0) await onLeaf(v);
        return;
      }
      const path = node[0];
      if (node.length !== 2 || !(path instanceof Uint8Array) || path.length === 0) throw new TraceInputError('a trie node is neither a branch nor a short node');
      const value = node[1]!;
      if (path[0]! >> 4 >= 2) {
        if (!(value instanceof Uint8Array)) throw new TraceInputError('a trie leaf value is not a byte string');
        await onLeaf(value);
      } else await visit(value);
    };
    await visit(root);
  };
  await walk(stateRoot, async (raw) => {
    const account = decodeAccount(raw);
    await walk(account.storageRoot, async () => undefined);
    if (!equalBytes(account.codeHash, KECCAK_EMPTY)) await fetch(account.codeHash, 'code');
  });
  return into;
}

/** An L2 block with its parent's header (a DevnetNode's NodeBlock is one). */
export interface TraceBlock {
  readonly header: BlockHeader;
  readonly transactions: readonly Uint8Array[];
  readonly parentHeader: BlockHeader;
}

/**
 * The step trace input of `block` disputed against `disputedOutputRoot`, and a store holding its
 * parent state. `blockHashes` are the ancestors' hashes BLOCKHASH may ask for (number → hash).
 */
export async function blockStepsInputFor(
  lookup: PreimageLookup,
  block: TraceBlock,
  disputedOutputRoot: Uint8Array,
  blockHashes: ReadonlyMap<bigint, Uint8Array> = new Map(),
): Promise<{ store: PreimageStore; input: BlockStepsInput }> {
  const { header, parentHeader } = block;
  if (header.number !== parentHeader.number + 1n) throw new TraceInputError(`block ${header.number} is not the child of block ${parentHeader.number}`);
  const store = await copyState(lookup, parentHeader.stateRoot);
  const mp = messagePasserRoot(store, parentHeader.stateRoot);
  const parentHash = header.parentHash;
  if (!equalBytes(headerHash(parentHeader), parentHash)) throw new TraceInputError(`block ${header.number}'s parent hash is not the hash of the parent header given`);
  const hashes = new Map(blockHashes);
  hashes.set(parentHeader.number, parentHash);
  const env = blockEnvOf(header, DEVNET_RULES, (n) => {
    const h = hashes.get(n);
    return h === undefined ? null : BigInt(bytesToHex(h));
  });
  return {
    store,
    input: {
      header,
      transactions: block.transactions,
      env,
      parent: { stateRoot: parentHeader.stateRoot, messagePasserStorageRoot: mp, blockHash: parentHash },
      disputedOutputRoot,
    },
  };
}

/** The message passer's storage root in a copied state (the empty root when it has no account). */
function messagePasserRoot(store: PreimageStore, stateRoot: Uint8Array): Uint8Array {
  const raw = new PartialTrie(new NodeStore(store), stateRoot).get(keccak256(addressToBytes(MESSAGE_PASSER)));
  return raw === null ? EMPTY_TRIE_ROOT.slice() : decodeAccount(raw).storageRoot;
}
