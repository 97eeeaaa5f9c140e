// The stateless backend: every read walks the state trie from a trusted root
// through the witness's nodes, so an answer is proven against the root by
// construction, and the post-state root comes from updating those same partial
// tries. What the witness lacks is an error naming it, never a guess.
import type { Address } from '../util/address.js';
import { bytesToHex, equalBytes, hexToBytes, type Hex } from '../util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../util/hash.js';
import { rlpDecode, rlpEncode, rlpToBigInt, RlpError } from '../rlp/rlp.js';
import { decodeAccount, encodeAccount, AccountDecodeError, EMPTY_TRIE_ROOT, type Account } from '../trie/index.js';
import { word32 } from '../interpreter/instructions/words.js';
import { MissingStateError, type AccountData, type StateReader } from './backend.js';
import type { AccountChange } from './world.js';
import { MissingNodeError, NodeStore, PartialTrie, WitnessError, type BytesByHash } from './witness-trie.js';

export { WitnessError, MissingNodeError } from './witness-trie.js';

export interface StateWitness {
  readonly stateRoot: Uint8Array;
  /** Trie nodes (RLP) keyed by the 0x-hex keccak256 of their RLP. */
  readonly nodes: BytesByHash;
  /** Contract codes keyed by their 0x-hex code hash. */
  readonly codes: BytesByHash;
}

/** A post-state update needs a trie node the witness lacks (e.g. the sibling a deletion collapses onto). */
export class WitnessIncompleteError extends Error {
  override readonly name = 'WitnessIncompleteError';
  constructor(
    readonly trie: 'account' | 'storage',
    /** The account being updated (or whose storage is). */
    readonly address: Address,
    /** keccak256 of the missing node. */
    readonly nodeHash: Hex,
    /** Nibbles from the trie's root to the missing node, as hex digits. */
    readonly path: string,
  ) {
    super(
      `witness lacks ${trie} trie node ${nodeHash} at path '${path}' needed to update ` +
        (trie === 'account' ? `account ${address}` : `the storage of ${address}`),
    );
  }
}

/** Keys nodes and codes by their hashes; duplicates collapse. */
export function witnessFromNodes(
  stateRoot: Uint8Array,
  nodes: readonly Uint8Array[],
  codes: readonly Uint8Array[],
): StateWitness & { readonly nodes: ReadonlyMap<string, Uint8Array>; readonly codes: ReadonlyMap<string, Uint8Array> } {
  if (stateRoot.length !== 32) throw new WitnessError(`state root must be 32 bytes, got ${stateRoot.length}`);
  const nodeMap = new Map<string, Uint8Array>();
  for (const n of nodes) nodeMap.set(bytesToHex(keccak256(n)), n);
  const codeMap = new Map<string, Uint8Array>();
  for (const c of codes) codeMap.set(bytesToHex(keccak256(c)), c);
  return { stateRoot: stateRoot.slice(), nodes: nodeMap, codes: codeMap };
}

// Decoded nodes are immutable, so every reader and root computation over one witness shares them.
const stores = new WeakMap<StateWitness, NodeStore>();

function storeOf(witness: StateWitness): NodeStore {
  let s = stores.get(witness);
  if (s === undefined) {
    s = new NodeStore(witness.nodes);
    stores.set(witness, s);
  }
  return s;
}

function accountKey(address: Address): Uint8Array {
  return keccak256(hexToBytes(address));
}

function slotKey(slot: bigint): Uint8Array {
  return keccak256(word32(slot));
}

function decodeAccountLeaf(value: Uint8Array, address: Address): Account {
  try {
    return decodeAccount(value);
  } catch (e) {
    if (e instanceof AccountDecodeError) throw new WitnessError(`account ${address}: ${e.message}`);
    throw e;
  }
}

function decodeSlotLeaf(value: Uint8Array, address: Address, slot: bigint): bigint {
  try {
    // Ethereum deletes zeroed slots, but anvil keeps them as rlp(0); the root commits to
    // zero either way, so that reads as zero.
    return rlpToBigInt(rlpDecode(value), 'storage value');
  } catch (e) {
    if (e instanceof RlpError) throw new WitnessError(`storage slot 0x${slot.toString(16)} of ${address}: ${e.message}`);
    throw e;
  }
}

interface CachedAccount {
  readonly data: AccountData;
  readonly storageRoot: Uint8Array;
}

export class WitnessState implements StateReader {
  private readonly store: NodeStore;
  private readonly accountTrie: PartialTrie;
  private readonly accounts = new Map<Address, CachedAccount | null>();
  private readonly slots = new Map<Address, Map<bigint, bigint>>();
  private readonly storageTries = new Map<Address, PartialTrie>();
  private readonly checkedCodes = new Set<string>();

  constructor(readonly witness: StateWitness) {
    this.store = storeOf(witness);
    this.accountTrie = new PartialTrie(this.store, witness.stateRoot);
  }

  private account(address: Address): CachedAccount | null {
    const hit = this.accounts.get(address);
    if (hit !== undefined) return hit;
    let leaf: Uint8Array | null;
    try {
      leaf = this.accountTrie.get(accountKey(address));
    } catch (e) {
      if (e instanceof MissingNodeError) throw new MissingStateError('account', address);
      throw e;
    }
    let entry: CachedAccount | null = null;
    if (leaf !== null) {
      const a = decodeAccountLeaf(leaf, address);
      entry = { data: { nonce: a.nonce, balance: a.balance, codeHash: a.codeHash }, storageRoot: a.storageRoot };
    }
    this.accounts.set(address, entry);
    return entry;
  }

  getAccount(address: Address): AccountData | null {
    return this.account(address)?.data ?? null;
  }

  getCode(address: Address, codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, KECCAK_EMPTY)) return new Uint8Array(0);
    const key = bytesToHex(codeHash);
    const code = this.witness.codes.get(key);
    if (code === undefined) throw new MissingStateError('code', address);
    // A hand-built witness could file code under the wrong hash; check once.
    if (!this.checkedCodes.has(key)) {
      if (!equalBytes(keccak256(code), codeHash)) throw new WitnessError(`witness code filed under ${key} has another hash`);
      this.checkedCodes.add(key);
    }
    return code;
  }

  getStorage(address: Address, slot: bigint): bigint {
    let slots = this.slots.get(address);
    const hit = slots?.get(slot);
    if (hit !== undefined) return hit;
    let account: CachedAccount | null;
    try {
      account = this.account(address);
    } catch (e) {
      // The caller asked for a slot: report the slot, whose proof includes the account's.
      if (e instanceof MissingStateError) throw new MissingStateError('storage', address, slot);
      throw e;
    }
    let value = 0n;
    if (account !== null && !equalBytes(account.storageRoot, EMPTY_TRIE_ROOT)) {
      let trie = this.storageTries.get(address);
      if (trie === undefined) {
        trie = new PartialTrie(this.store, account.storageRoot);
        this.storageTries.set(address, trie);
      }
      let leaf: Uint8Array | null;
      try {
        leaf = trie.get(slotKey(slot));
      } catch (e) {
        if (e instanceof MissingNodeError) throw new MissingStateError('storage', address, slot);
        throw e;
      }
      if (leaf !== null) value = decodeSlotLeaf(leaf, address, slot);
    }
    if (slots === undefined) {
      slots = new Map();
      this.slots.set(address, slots);
    }
    slots.set(slot, value);
    return value;
  }

  hasStorage(address: Address): boolean {
    const a = this.account(address);
    return a !== null && !equalBytes(a.storageRoot, EMPTY_TRIE_ROOT);
  }
}

/** Runs `f`, turning a missing trie node into the error naming the trie and account. */
function naming<T>(trie: 'account' | 'storage', address: Address, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MissingNodeError) throw new WitnessIncompleteError(trie, address, e.hash, e.path);
    throw e;
  }
}

/**
 * The state root after `changes`, computed on the witness's partial tries. Throws
 * WitnessIncompleteError when an update needs a node the witness lacks.
 */
export interface PostStateOptions {
  /**
   * Slots to store as explicit rlp(0) leaves instead of deleting them (anvil's trie;
   * see ChainRules.zeroStorageLeaves), per account, whether or not the account changed.
   */
  readonly zeroLeaves?: ReadonlyMap<Address, ReadonlySet<bigint>>;
}

export async function witnessPostStateRoot(
  witness: StateWitness,
  changesIn: ReadonlyMap<Address, AccountChange>,
  options: PostStateOptions = {},
): Promise<Uint8Array> {
  return postStateRoot(witness, changesIn, options);
}

/** witnessPostStateRoot, synchronously; `persist` receives every new trie node's encoding. */
export function postStateRoot(
  witness: StateWitness,
  changesIn: ReadonlyMap<Address, AccountChange>,
  options: PostStateOptions & { readonly persist?: (encoded: Uint8Array) => void } = {},
): Uint8Array {
  const store = storeOf(witness);
  const pre = new PartialTrie(store, witness.stateRoot);
  const post = new PartialTrie(store, witness.stateRoot);
  const deletions: Address[] = [];
  const zeroLeaves = options.zeroLeaves ?? new Map<Address, ReadonlySet<bigint>>();
  const changes = new Map(changesIn);
  // Accounts that only gain zero leaves are otherwise unchanged: carry their leaf over.
  for (const [address, slots] of zeroLeaves) {
    if (changes.has(address) || slots.size === 0) continue;
    const leaf = naming('account', address, () => pre.get(accountKey(address)));
    if (leaf === null) continue;
    const a = decodeAccountLeaf(leaf, address);
    changes.set(address, {
      account: { nonce: a.nonce, balance: a.balance, code: new Uint8Array(0), codeHash: a.codeHash },
      storage: new Map(),
      storageCleared: false,
    });
  }
  // Updates go first: a deletion may collapse a branch onto a sibling, and if that sibling
  // is itself being updated it is then already at hand rather than needed from the witness.
  for (const [address, change] of changes) {
    if (change.account === null) {
      deletions.push(address);
      continue;
    }
    const key = accountKey(address);
    let storageRoot: Uint8Array;
    const zeros = zeroLeaves.get(address);
    if (change.storageCleared && change.storage.size === 0 && zeros === undefined) {
      storageRoot = EMPTY_TRIE_ROOT;
    } else {
      let base = EMPTY_TRIE_ROOT;
      if (!change.storageCleared) {
        const leaf = naming('account', address, () => pre.get(key));
        if (leaf !== null) base = decodeAccountLeaf(leaf, address).storageRoot;
      }
      storageRoot =
        change.storage.size === 0 && zeros === undefined ? base : updateStorage(store, base, address, change.storage, zeros, options.persist);
    }
    const { nonce, balance, codeHash } = change.account;
    const value = encodeAccount({ nonce, balance, storageRoot, codeHash });
    naming('account', address, () => post.put(key, value));
  }
  for (const address of deletions) naming('account', address, () => post.del(accountKey(address)));
  if (options.persist !== undefined) post.newNodes(options.persist);
  return post.rootHash();
}

function updateStorage(
  store: NodeStore,
  root: Uint8Array,
  address: Address,
  writes: ReadonlyMap<bigint, bigint>,
  zeroLeaves: ReadonlySet<bigint> = new Set(),
  persist?: (encoded: Uint8Array) => void,
): Uint8Array {
  const trie = new PartialTrie(store, root);
  const cleared: bigint[] = [];
  for (const [slot, value] of writes) {
    if (value === 0n && !zeroLeaves.has(slot)) cleared.push(slot);
    else naming('storage', address, () => trie.put(slotKey(slot), rlpEncode(value)));
  }
  for (const slot of zeroLeaves) if (!writes.has(slot)) naming('storage', address, () => trie.put(slotKey(slot), rlpEncode(0n)));
  for (const slot of cleared) naming('storage', address, () => trie.del(slotKey(slot)));
  if (persist !== undefined) trie.newNodes(persist);
  return trie.rootHash();
}
