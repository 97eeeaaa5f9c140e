// The world state on disk: a level directory holding the secure account trie,
// one secure storage trie per account and code by hash (all trie nodes keyed by
// their hash, so every committed root stays readable), plus the head pointer.
//
// The VM reads synchronously, level is async: `prefetch`/`loadMissing` bring
// accounts, slots and code into a cache, the StateReader methods answer from it
// and throw MissingStateError for the rest (`runWithLoading` drives that loop).
// A commit buffers every trie node it creates and writes them, the code and the
// new head in one level batch, so a crash leaves either the old or the new head.
import { Level } from 'level';
import { MerklePatriciaTrie, type MPTOpts } from '@ethereumjs/mpt';
import type { Address } from '../util/address.js';
import { addressToBytes } from '../util/address.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import { bigIntToBytes, bytesToHex, equalBytes } from '../util/bytes.js';
import { rlpDecode, rlpEncode, rlpToBigInt, rlpToBytes, rlpToList, RlpError, type RlpItem } from '../rlp/rlp.js';
import { decodeAccount, encodeAccount, EMPTY_TRIE_ROOT, AccountDecodeError } from '../trie/index.js';
import { MissingStateError, type AccountData, type StateReader } from './backend.js';
import type { AccountChange } from './world.js';

/** A corrupt or foreign directory, an unknown root, or an inconsistent change set. */
export class PersistentStateError extends Error {
  override readonly name = 'PersistentStateError';
}

/** `runWithLoading` gave up: the computation kept needing more state. */
export class StateLoadLimitError extends Error {
  override readonly name = 'StateLoadLimitError';
  constructor(readonly rounds: number) {
    super(`state still missing after ${rounds} load rounds`);
  }
}

export interface Head {
  readonly blockNumber: bigint;
  readonly stateRoot: Uint8Array;
}

export interface GenesisAccount {
  readonly balance?: bigint;
  readonly nonce?: bigint;
  readonly code?: Uint8Array;
  readonly storage?: Iterable<readonly [bigint, bigint]>;
}

/** An account as the state trie stores it. */
export interface StateAccount {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly storageRoot: Uint8Array;
  readonly codeHash: Uint8Array;
}

export interface PersistentStateOptions {
  /** fsync each commit (survives power loss, not only a killed process). Default true. */
  readonly durable?: boolean;
  /** Trie nodes kept in memory across commits. Default 50 000. */
  readonly nodeCacheSize?: number;
  /** Accounts (with their loaded slots) and codes kept between commits; past it the read cache starts over. Default 100 000. */
  readonly accountCacheSize?: number;
}

// ---- on-disk layout --------------------------------------------------------
// One byte of prefix per kind keeps the kinds apart in one keyspace.
const NODE = 0x6e; // 'n' ++ keccak(node) -> node RLP
const CODE = 0x63; // 'c' ++ codeHash -> code
const ROOT_AT = 0x62; // 'b' ++ uint64 block number -> state root
const HEAD_KEY = Uint8Array.of(0x68); // 'h' -> rlp([blockNumber, stateRoot])

function prefixed(prefix: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = prefix;
  out.set(body, 1);
  return out;
}

function rootAtKey(blockNumber: bigint): Uint8Array {
  return prefixed(ROOT_AT, bigIntToBytes(blockNumber, 8));
}

type Db = Level<Uint8Array, Uint8Array>;

/** level hands out Buffers; callers compare and serialise plain Uint8Arrays. */
async function dbGet(db: Db, key: Uint8Array): Promise<Uint8Array | undefined> {
  const v = (await db.get(key)) as Uint8Array | undefined;
  return v === undefined ? undefined : new Uint8Array(v);
}
type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

// ---- the trie library's node store ------------------------------------------
type MptDb = NonNullable<MPTOpts['db']>;
type MptBatch = Parameters<MptDb['batch']>[0];

function hexKeyToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function nodeValue(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? hexKeyToBytes(v) : v;
}

/**
 * Adapts level to @ethereumjs/mpt's DB. Writes never reach the disk here: they
 * collect in `pending` until the owner flushes them in its own batch. A node the
 * trie asks for that is nowhere is corruption: throwing (instead of answering
 * undefined) stops the library from treating it as an absent key.
 */
class NodeStore implements MptDb {
  pending = new Map<string, Uint8Array>();
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    private readonly db: Db,
    private readonly cacheLimit: number,
  ) {}

  async get(key: string): Promise<Uint8Array> {
    const hit = this.pending.get(key) ?? this.cache.get(key);
    if (hit !== undefined) return hit;
    const value = await dbGet(this.db, prefixed(NODE, hexKeyToBytes(key)));
    if (value === undefined) throw new PersistentStateError(`trie node 0x${key} is missing from the database`);
    this.remember(key, value);
    return value;
  }

  async put(key: string, value: string | Uint8Array): Promise<void> {
    this.pending.set(key, nodeValue(value));
  }

  async del(): Promise<void> {
    // Nodes are shared between roots and never pruned; the library only deletes when pruning.
  }

  async batch(ops: MptBatch): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.pending.set(op.key, nodeValue(op.value));
  }

  shallowCopy(): MptDb {
    return this;
  }

  async open(): Promise<void> {}

  /** The pending nodes as level operations; `settle` moves them to the cache once written. */
  pendingOps(): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const [k, v] of this.pending) ops.push({ type: 'put', key: prefixed(NODE, hexKeyToBytes(k)), value: v });
    return ops;
  }

  settle(written: boolean): void {
    if (written) for (const [k, v] of this.pending) this.remember(k, v);
    this.pending = new Map();
  }

  private remember(key: string, value: Uint8Array): void {
    if (this.cacheLimit <= 0) return;
    if (this.cache.size >= this.cacheLimit) {
      // Oldest first: Map iteration is insertion order.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, value);
  }
}

// ---- trie helpers (the library walks from the root even when the trie is empty) ----

function isEmptyRoot(root: Uint8Array): boolean {
  return equalBytes(root, EMPTY_TRIE_ROOT);
}

/**
 * The value under keccak256(`key`) in the secure trie at `root`. Reads walk the
 * nodes directly (Yellow Paper appendix D): the library's walker costs several
 * times the disk reads themselves.
 */
async function secureGet(nodes: NodeStore, root: Uint8Array, key: Uint8Array): Promise<Uint8Array | null> {
  if (isEmptyRoot(root)) return null;
  const path = keccak256(key);
  const nibbles = new Uint8Array(64);
  for (let i = 0; i < 32; i++) {
    nibbles[2 * i] = path[i]! >> 4;
    nibbles[2 * i + 1] = path[i]! & 0x0f;
  }
  let node = await loadNode(nodes, root);
  let at = 0;
  for (;;) {
    if (node.length === 17) {
      // Secure keys are all 64 nibbles, so a branch never ends one.
      if (at === 64) throw new PersistentStateError('trie path longer than its key');
      const child = node[nibbles[at++]!]!;
      if (child instanceof Uint8Array && child.length === 0) return null;
      node = await childNode(nodes, child);
    } else if (node.length === 2) {
      const encoded = node[0]!;
      if (!(encoded instanceof Uint8Array) || encoded.length === 0) throw new PersistentStateError('malformed trie node path');
      const flag = encoded[0]! >> 4;
      if (flag > 3) throw new PersistentStateError('malformed trie node path');
      // Hex-prefix (appendix C): flag bit 1 = leaf, bit 0 = odd length with the first nibble in the flag byte.
      if (flag & 1) {
        if (nibbles[at++] !== (encoded[0]! & 0x0f)) return null;
      }
      for (let i = 1; i < encoded.length; i++) {
        if (nibbles[at++] !== encoded[i]! >> 4 || nibbles[at++] !== (encoded[i]! & 0x0f)) return null;
      }
      if (flag & 2) {
        if (at !== 64) return null;
        const value = node[1]!;
        if (!(value instanceof Uint8Array)) throw new PersistentStateError('trie leaf value is not a string');
        return value;
      }
      if (at >= 64) throw new PersistentStateError('trie extension runs past its key');
      node = await childNode(nodes, node[1]!);
    } else {
      throw new PersistentStateError(`trie node with ${node.length} items`);
    }
  }
}

async function loadNode(nodes: NodeStore, hash: Uint8Array): Promise<RlpItem[]> {
  const raw = await nodes.get(bytesToHex(hash).slice(2));
  let item: RlpItem;
  try {
    item = rlpDecode(raw);
  } catch (e) {
    if (e instanceof RlpError) throw new PersistentStateError(`trie node ${bytesToHex(hash)}: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(item)) throw new PersistentStateError(`trie node ${bytesToHex(hash)} is not a list`);
  return item;
}

/** A child reference: a 32-byte hash, or the node itself when its RLP is under 32 bytes. */
async function childNode(nodes: NodeStore, ref: RlpItem): Promise<RlpItem[]> {
  if (Array.isArray(ref)) return ref;
  if (ref.length !== 32) throw new PersistentStateError('trie child reference is neither a hash nor a node');
  return loadNode(nodes, ref);
}

async function trieDel(trie: MerklePatriciaTrie, key: Uint8Array): Promise<void> {
  if (isEmptyRoot(trie.root())) return;
  await trie.del(key);
}

function slotKey(slot: bigint): Uint8Array {
  return bigIntToBytes(slot, 32);
}

function slotKeyChecked(address: Address, slot: bigint): Uint8Array {
  if (slot < 0n || slot >= 1n << 256n) throw new PersistentStateError(`storage slot of ${address} out of range`);
  return slotKey(slot);
}

function decodeSlotValue(raw: Uint8Array): bigint {
  try {
    return rlpToBigInt(rlpDecode(raw), 'storage value');
  } catch (e) {
    if (e instanceof RlpError) throw new PersistentStateError(`invalid storage value: ${e.message}`);
    throw e;
  }
}

function decodeStoredAccount(raw: Uint8Array): StoredAccount {
  try {
    return decodeAccount(raw);
  } catch (e) {
    if (e instanceof AccountDecodeError) throw new PersistentStateError(e.message);
    throw e;
  }
}

type StoredAccount = StateAccount;

interface CachedAccount extends StoredAccount {
  /** Slots known at this root (zero included). */
  readonly storage: Map<bigint, bigint>;
  /** Every non-zero slot is in `storage` (empty storage, or rebuilt from scratch in a commit). */
  complete: boolean;
}

function slotSet(slots: Iterable<bigint> | undefined): bigint[] {
  return slots === undefined ? [] : [...slots];
}

export class PersistentState implements StateReader {
  private root: Uint8Array;
  private currentHead: Head | null;
  /** undefined: not loaded; null: known absent at `root`. */
  private accounts = new Map<Address, CachedAccount | null>();
  private readonly code = new Map<string, Uint8Array>();
  /** Bumped whenever `root` moves, so loads that raced a commit do not fill the cache. */
  private generation = 0;
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly nodes: NodeStore,
    private readonly durable: boolean,
    private readonly accountCacheLimit: number,
    head: Head | null,
  ) {
    this.currentHead = head;
    this.root = head === null ? EMPTY_TRIE_ROOT.slice() : head.stateRoot.slice();
  }

  /** Opens (creating if needed) the directory and resumes from its head. */
  static async open(dir: string, options: PersistentStateOptions = {}): Promise<PersistentState> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (e) {
      // Typically LevelDB's lock: another process (or handle) has the directory open.
      throw new PersistentStateError(`cannot open state directory ${dir}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const raw = await dbGet(db, HEAD_KEY);
      const head = raw === undefined ? null : decodeHead(raw);
      const nodes = new NodeStore(db, options.nodeCacheSize ?? 50_000);
      const state = new PersistentState(db, nodes, options.durable ?? true, options.accountCacheSize ?? 100_000, head);
      if (head !== null && !(await state.hasRoot(head.stateRoot))) {
        throw new PersistentStateError(`head state root ${bytesToHex(head.stateRoot)} has no trie in ${dir}`);
      }
      return state;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /** Creates a new state directory holding `alloc` as block 0. */
  static async fromGenesis(
    dir: string,
    alloc: ReadonlyMap<Address, GenesisAccount>,
    options: PersistentStateOptions = {},
  ): Promise<PersistentState> {
    const state = await PersistentState.open(dir, options);
    try {
      if (state.currentHead !== null) throw new PersistentStateError(`${dir} already holds a state (head ${state.currentHead.blockNumber})`);
      const changes = new Map<Address, AccountChange>();
      for (const [address, a] of alloc) {
        const code = a.code ?? new Uint8Array(0);
        const storage = new Map<bigint, bigint>();
        for (const [k, v] of a.storage ?? []) storage.set(k, v);
        changes.set(address, {
          account: {
            nonce: a.nonce ?? 0n,
            balance: a.balance ?? 0n,
            code,
            codeHash: code.length === 0 ? KECCAK_EMPTY : keccak256(code),
          },
          storage,
          storageCleared: true,
        });
      }
      await state.commit(changes, 0n);
      return state;
    } catch (e) {
      await state.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    await this.db.close();
  }

  /** The root reads answer from (the last commit or setHead). */
  stateRoot(): Uint8Array {
    return this.root.slice();
  }

  /** The persisted head, or null for a directory that holds no state yet. */
  head(): Head | null {
    return this.currentHead === null ? null : { blockNumber: this.currentHead.blockNumber, stateRoot: this.currentHead.stateRoot.slice() };
  }

  /** The root recorded for a block by commit or setHead, or null. */
  async rootAt(blockNumber: bigint): Promise<Uint8Array | null> {
    this.assertOpen();
    return (await dbGet(this.db, rootAtKey(blockNumber))) ?? null;
  }

  /**
   * Points the head at (blockNumber, stateRoot) and reads from that root: after a
   * reorg or to resume elsewhere. The root must be one this directory holds.
   */
  async setHead(blockNumber: bigint, stateRoot: Uint8Array): Promise<void> {
    await this.exclusive(async () => {
      this.assertOpen();
      checkBlockNumber(blockNumber);
      if (stateRoot.length !== 32) throw new PersistentStateError('state root must be 32 bytes');
      if (!(await this.hasRoot(stateRoot))) throw new PersistentStateError(`unknown state root ${bytesToHex(stateRoot)}`);
      const head: Head = { blockNumber, stateRoot: stateRoot.slice() };
      await this.db.batch(headOps(head), { sync: this.durable });
      this.currentHead = head;
      if (!equalBytes(stateRoot, this.root)) {
        this.root = stateRoot.slice();
        this.accounts = new Map();
        this.generation++;
      }
    });
  }

  /**
   * Applies a change set to the tries, writes nodes, code and (with `blockNumber`)
   * the new head in one atomic batch, and returns the new state root.
   */
  async commit(changes: ReadonlyMap<Address, AccountChange>, blockNumber?: bigint): Promise<Uint8Array> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (blockNumber !== undefined) checkBlockNumber(blockNumber);
      const accountTrie = this.trieAt(this.root);
      const ops: BatchOp[] = [];
      const updated = new Map<Address, CachedAccount | null>();
      try {
        const entries = [...changes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        // Read every touched path in parallel first: the trie library then walks from the
        // node cache instead of awaiting one disk read at a time.
        const priors = new Map<Address, StoredAccount | null>();
        await Promise.all(
          entries.map(async ([address, change]) => {
            const raw = await secureGet(this.nodes, this.root, addressToBytes(address));
            const prior = raw === null ? null : decodeStoredAccount(raw);
            priors.set(address, prior);
            if (prior === null || change.account === null || change.storageCleared) return;
            await Promise.all([...change.storage.keys()].map((slot) => secureGet(this.nodes, prior.storageRoot, slotKeyChecked(address, slot))));
          }),
        );
        for (const [address, change] of entries) {
          const key = addressToBytes(address);
          if (change.account === null) {
            await trieDel(accountTrie, key);
            updated.set(address, null);
            continue;
          }
          const prior = priors.get(address)!;
          const fresh = change.storageCleared || prior === null;
          const storageTrie = this.trieAt(fresh ? EMPTY_TRIE_ROOT : prior.storageRoot);
          for (const [slot, value] of change.storage) {
            if (value < 0n || value >= 1n << 256n) throw new PersistentStateError(`storage value of ${address} out of range`);
            if (value === 0n) await trieDel(storageTrie, slotKeyChecked(address, slot));
            else await storageTrie.put(slotKeyChecked(address, slot), rlpEncode(value));
          }
          const { nonce, balance, code, codeHash } = change.account;
          // Checked every time: a wrong hash would make the code unreachable for good.
          const expected = code.length === 0 ? KECCAK_EMPTY : keccak256(code);
          if (!equalBytes(expected, codeHash)) throw new PersistentStateError(`code hash of ${address} does not match its code`);
          if (code.length > 0 && (prior === null || !equalBytes(prior.codeHash, codeHash))) {
            ops.push({ type: 'put', key: prefixed(CODE, codeHash), value: code });
          }
          const account: StoredAccount = { nonce, balance, storageRoot: storageTrie.root().slice(), codeHash: codeHash.slice() };
          await accountTrie.put(key, encodeAccount(account));
          updated.set(address, this.nextCached(address, account, change, fresh));
          if (code.length > 0) this.code.set(bytesToHex(codeHash), code);
        }
        const newRoot = accountTrie.root().slice();
        const head: Head | null = blockNumber === undefined ? null : { blockNumber, stateRoot: newRoot };
        const batch = this.nodes.pendingOps().concat(ops, head === null ? [] : headOps(head));
        await this.db.batch(batch, { sync: this.durable });
        this.nodes.settle(true);
        this.root = newRoot;
        if (head !== null) this.currentHead = head;
        this.generation++;
        for (const [address, a] of updated) this.accounts.set(address, a);
        // A long-running daemon touches ever more accounts; between blocks is the safe moment to forget them.
        if (this.accounts.size > this.accountCacheLimit || this.code.size > this.accountCacheLimit) this.clearCache();
        return newRoot.slice();
      } catch (e) {
        this.nodes.settle(false);
        throw e;
      }
    });
  }

  /** The cache entry after a commit: known slots carried over unless the storage was rebuilt. */
  private nextCached(address: Address, account: StoredAccount, change: AccountChange, fresh: boolean): CachedAccount {
    const before = this.accounts.get(address);
    const keep = !fresh && before !== undefined && before !== null;
    const storage = keep ? new Map(before.storage) : new Map<bigint, bigint>();
    for (const [slot, value] of change.storage) storage.set(slot, value);
    return { ...account, storage, complete: fresh || isEmptyRoot(account.storageRoot) || (keep && before.complete) };
  }

  // ---- loading -------------------------------------------------------------

  /**
   * Loads accounts (with their code unless `code` is false) and storage slots
   * into the cache, so the synchronous reads can answer them.
   */
  async prefetch(
    addresses: Iterable<Address>,
    slots: ReadonlyMap<Address, Iterable<bigint>> = new Map(),
    options: { code?: boolean } = {},
  ): Promise<void> {
    this.assertOpen();
    const all = new Set<Address>(addresses);
    for (const a of slots.keys()) all.add(a);
    await Promise.all(
      [...all].map(async (address) => {
        const account = await this.loadAccount(address);
        if (account === null) return;
        const work: Promise<unknown>[] = slotSet(slots.get(address)).map((s) => this.loadSlot(address, s));
        if (options.code !== false) work.push(this.loadCode(address, account.codeHash));
        await Promise.all(work);
      }),
    );
  }

  /** Loads what a MissingStateError reported missing. */
  async loadMissing(err: MissingStateError): Promise<void> {
    this.assertOpen();
    const account = await this.loadAccount(err.address);
    if (account === null) return;
    if (err.what === 'storage') await this.loadSlot(err.address, err.slot ?? 0n);
    else if (err.what === 'code') await this.loadCode(err.address, account.codeHash);
  }

  private async loadAccount(address: Address): Promise<CachedAccount | null> {
    const cached = this.accounts.get(address);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const raw = await secureGet(this.nodes, this.root, addressToBytes(address));
    const stored = raw === null ? null : decodeStoredAccount(raw);
    const account: CachedAccount | null =
      stored === null ? null : { ...stored, storage: new Map(), complete: isEmptyRoot(stored.storageRoot) };
    if (generation !== this.generation) return this.loadAccount(address);
    // Another load may have won the race; keep its (identical) entry and slots.
    const again = this.accounts.get(address);
    if (again !== undefined) return again;
    this.accounts.set(address, account);
    return account;
  }

  private async loadSlot(address: Address, slot: bigint): Promise<void> {
    const account = await this.loadAccount(address);
    if (account === null || account.complete || account.storage.has(slot)) return;
    const generation = this.generation;
    const raw = await secureGet(this.nodes, account.storageRoot, slotKey(slot));
    if (generation !== this.generation) return this.loadSlot(address, slot);
    account.storage.set(slot, raw === null ? 0n : decodeSlotValue(raw));
  }

  private async loadCode(address: Address, codeHash: Uint8Array): Promise<void> {
    if (equalBytes(codeHash, KECCAK_EMPTY)) return;
    const key = bytesToHex(codeHash);
    if (this.code.has(key)) return;
    const code = await dbGet(this.db, prefixed(CODE, codeHash));
    if (code === undefined) throw new PersistentStateError(`code ${key} of ${address} is missing from the database`);
    if (!equalBytes(keccak256(code), codeHash)) throw new PersistentStateError(`stored code ${key} does not hash to its key`);
    this.code.set(key, code);
  }

  /**
   * A trie node (account or storage trie, any committed root) or a contract code by its
   * keccak256, or undefined when this directory holds neither: what a step prover reads.
   */
  async preimage(hash: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    if (hash.length !== 32) throw new PersistentStateError('a preimage hash must be 32 bytes');
    for (const prefix of [NODE, CODE]) {
      const v = await dbGet(this.db, prefixed(prefix, hash));
      if (v === undefined) continue;
      // Content-addressed: a value that does not hash to its key is corruption, never an answer.
      if (!equalBytes(keccak256(v), hash)) throw new PersistentStateError(`stored preimage ${bytesToHex(hash)} does not hash to its key`);
      return v;
    }
    return undefined;
  }

  /** The account record of `address` in the state at `root` (any root this directory holds), or null. */
  async accountAt(root: Uint8Array, address: Address): Promise<StateAccount | null> {
    this.assertOpen();
    if (root.length !== 32) throw new PersistentStateError('state root must be 32 bytes');
    const raw = await secureGet(this.nodes, root, addressToBytes(address));
    return raw === null ? null : decodeStoredAccount(raw);
  }

  /** Drops the read cache (not the trie node cache). */
  clearCache(): void {
    this.accounts = new Map();
    this.code.clear();
    this.generation++;
  }

  // ---- StateReader -----------------------------------------------------------

  getAccount(address: Address): AccountData | null {
    const a = this.accounts.get(address);
    if (a === undefined) throw new MissingStateError('account', address);
    return a === null ? null : { nonce: a.nonce, balance: a.balance, codeHash: a.codeHash };
  }

  getCode(address: Address, codeHash: Uint8Array): Uint8Array {
    if (equalBytes(codeHash, KECCAK_EMPTY)) return new Uint8Array(0);
    const code = this.code.get(bytesToHex(codeHash));
    if (code === undefined) throw new MissingStateError('code', address);
    return code;
  }

  getStorage(address: Address, slot: bigint): bigint {
    const a = this.accounts.get(address);
    if (a === undefined) throw new MissingStateError('account', address);
    if (a === null) return 0n;
    const v = a.storage.get(slot);
    if (v !== undefined) return v;
    if (a.complete) return 0n;
    throw new MissingStateError('storage', address, slot);
  }

  hasStorage(address: Address): boolean {
    const a = this.accounts.get(address);
    if (a === undefined) throw new MissingStateError('account', address);
    return a !== null && !isEmptyRoot(a.storageRoot);
  }

  // ---- internals -------------------------------------------------------------

  private trieAt(root: Uint8Array): MerklePatriciaTrie {
    return new MerklePatriciaTrie({ db: this.nodes, useKeyHashing: true, root: root.slice() });
  }

  private async hasRoot(root: Uint8Array): Promise<boolean> {
    if (isEmptyRoot(root)) return true;
    try {
      await this.nodes.get(bytesToHex(root).slice(2));
      return true;
    } catch (e) {
      if (e instanceof PersistentStateError) return false;
      throw e;
    }
  }

  /** Commits and head moves run one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new PersistentStateError('state is closed');
  }
}

function checkBlockNumber(n: bigint): void {
  if (n < 0n || n >= 1n << 64n) throw new PersistentStateError(`block number ${n} outside 0..2^64-1`);
}

function headOps(head: Head): BatchOp[] {
  return [
    { type: 'put', key: HEAD_KEY, value: rlpEncode([head.blockNumber, head.stateRoot]) },
    { type: 'put', key: rootAtKey(head.blockNumber), value: head.stateRoot },
  ];
}

function decodeHead(raw: Uint8Array): Head {
  try {
    const fields = rlpToList(rlpDecode(raw), 'head');
    if (fields.length !== 2) throw new PersistentStateError('head record must have 2 fields');
    const stateRoot = rlpToBytes(fields[1]!, 'head state root');
    if (stateRoot.length !== 32) throw new PersistentStateError('head state root must be 32 bytes');
    return { blockNumber: rlpToBigInt(fields[0]!, 'head block number', 8), stateRoot: stateRoot.slice() };
  } catch (e) {
    if (e instanceof RlpError) throw new PersistentStateError(`invalid head record: ${e.message}`);
    throw e;
  }
}

/**
 * Runs `fn` until it no longer throws MissingStateError, loading what each round
 * reported. `fn` must be re-runnable from scratch (build its WorldState inside).
 */
export async function runWithLoading<T>(
  state: Pick<PersistentState, 'loadMissing'>,
  fn: () => T,
  maxRounds = 4096,
): Promise<T> {
  for (let round = 0; round < maxRounds; round++) {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof MissingStateError)) throw e;
      await state.loadMissing(e);
    }
  }
  throw new StateLoadLimitError(maxRounds);
}
