// The journaled world state the interpreter mutates. It caches what it reads
// from a StateReader, records every change in a journal so a failing call
// frame reverts exactly its own changes, and keeps the transaction-scoped sets
// (EIP-2929 access lists, EIP-1153 transient storage, original storage values
// for EIP-2200, accounts created in the transaction for EIP-6780).
import type { Address } from '../util/address.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import type { StateReader } from './backend.js';

export interface CachedAccount {
  nonce: bigint;
  balance: bigint;
  /** Loaded lazily: null until first needed. */
  code: Uint8Array | null;
  codeHash: Uint8Array;
  /** Current values of slots read or written (zero values kept: they may shadow the backend). */
  readonly storage: Map<bigint, bigint>;
  /** True when the account's backend storage no longer applies (created anew or destroyed). */
  freshStorage: boolean;
}

const enum J {
  Replace, // account object replaced (created, destroyed); prev = old object or null/undefined
  Balance,
  Nonce,
  Code,
  Storage,
  Transient,
  WarmAddress,
  WarmSlot,
}

interface JournalEntry {
  readonly kind: J;
  readonly address: Address;
  readonly slot?: bigint;
  readonly prev?: bigint | Uint8Array | CachedAccount | null | undefined;
  readonly prevHash?: Uint8Array;
}

const EMPTY_CODE = new Uint8Array(0);

/** Per-address change set, as handed to state-root computation and backends. */
export interface AccountChange {
  /** Null when the account no longer exists. */
  readonly account: { nonce: bigint; balance: bigint; code: Uint8Array; codeHash: Uint8Array } | null;
  /** Slots written (value 0n means deleted). */
  readonly storage: ReadonlyMap<bigint, bigint>;
  /** The backend's storage is wiped before `storage` applies. */
  readonly storageCleared: boolean;
}

/**
 * The transaction-scoped sets as committed elsewhere (the one-step verifier hydrates a world for
 * a single instruction from commitments): consulted when the in-memory sets do not know a key.
 */
export interface TxScopeReader {
  isWarmAddress(address: Address): boolean;
  isWarmSlot(address: Address, slot: bigint): boolean;
  transient(address: Address, slot: bigint): bigint;
  /** The slot's value when the transaction began (EIP-2200). */
  original(address: Address, slot: bigint): bigint;
  isCreated(address: Address): boolean;
}

/** A journal entry as seen from outside: what a step changed, for incremental commitments. */
export interface JournalRecord {
  readonly kind: 'account' | 'balance' | 'nonce' | 'code' | 'storage' | 'transient' | 'warm-address' | 'warm-slot';
  readonly address: Address;
  readonly slot?: bigint;
}

const JOURNAL_KINDS: readonly JournalRecord['kind'][] = ['account', 'balance', 'nonce', 'code', 'storage', 'transient', 'warm-address', 'warm-slot'];

export class WorldState {
  /** undefined: not loaded yet; null: known not to exist. */
  private readonly accounts = new Map<Address, CachedAccount | null>();
  /** Addresses whose account or storage changed since the last `clearChanges`. */
  private readonly dirty = new Set<Address>();
  private readonly dirtySlots = new Map<Address, Set<bigint>>();
  private journal: JournalEntry[] = [];

  // Transaction-scoped.
  private originalStorage = new Map<Address, Map<bigint, bigint>>();
  private warmAddresses = new Set<Address>();
  private warmSlots = new Map<Address, Set<bigint>>();
  private transient = new Map<Address, Map<bigint, bigint>>();
  /** EIP-6780: accounts created in this transaction (not reverted, as in the spec). */
  readonly createdAccounts = new Set<Address>();

  constructor(
    readonly backend: StateReader,
    /** Only for hydrated single-step execution; null on every normal path. */
    readonly txScope: TxScopeReader | null = null,
  ) {}

  /** Journal entries recorded after `checkpoint` (oldest first). */
  journalSince(checkpoint: number): JournalRecord[] {
    return this.journal.slice(checkpoint).map((e) => ({ kind: JOURNAL_KINDS[e.kind]!, address: e.address, ...(e.slot === undefined ? {} : { slot: e.slot }) }));
  }

  /** Current transient values of every key set since construction (zero values included). */
  transientWrites(): Map<Address, Map<bigint, bigint>> {
    const out = new Map<Address, Map<bigint, bigint>>();
    for (const [a, m] of this.transient) out.set(a, new Map(m));
    return out;
  }

  /** The EIP-2929 warm sets as they stand (the step prover commits them). */
  warmEntries(): { addresses: Address[]; slots: [Address, bigint][] } {
    const slots: [Address, bigint][] = [];
    for (const [a, set] of this.warmSlots) for (const s of set) slots.push([a, s]);
    return { addresses: [...this.warmAddresses], slots };
  }

  /** EIP-6780: whether the account was created in this transaction. */
  isCreated(address: Address): boolean {
    return this.createdAccounts.has(address) || (this.txScope !== null && this.txScope.isCreated(address));
  }

  // ---- transaction scope -------------------------------------------------

  /** Resets the transaction-scoped sets. Call before each transaction. */
  beginTransaction(): void {
    this.journal = [];
    this.originalStorage = new Map();
    this.warmAddresses = new Set();
    this.warmSlots = new Map();
    this.transient = new Map();
    this.createdAccounts.clear();
  }

  checkpoint(): number {
    return this.journal.length;
  }

  /** Undoes every change made after `checkpoint`. */
  revert(checkpoint: number): void {
    const j = this.journal;
    for (let i = j.length - 1; i >= checkpoint; i--) {
      const e = j[i]!;
      switch (e.kind) {
        case J.Replace:
          if (e.prev === undefined) this.accounts.delete(e.address);
          else this.accounts.set(e.address, e.prev as CachedAccount | null);
          break;
        case J.Balance:
          this.accounts.get(e.address)!.balance = e.prev as bigint;
          break;
        case J.Nonce:
          this.accounts.get(e.address)!.nonce = e.prev as bigint;
          break;
        case J.Code: {
          const a = this.accounts.get(e.address)!;
          a.code = e.prev as Uint8Array;
          a.codeHash = e.prevHash!;
          break;
        }
        case J.Storage: {
          const a = this.accounts.get(e.address)!;
          if (e.prev === undefined) a.storage.delete(e.slot!);
          else a.storage.set(e.slot!, e.prev as bigint);
          break;
        }
        case J.Transient: {
          const m = this.transient.get(e.address)!;
          // With a committed fallback, a missing key would read through to it: keep explicit zeros.
          if (e.prev === 0n && this.txScope === null) m.delete(e.slot!);
          else m.set(e.slot!, e.prev as bigint);
          break;
        }
        case J.WarmAddress:
          this.warmAddresses.delete(e.address);
          break;
        case J.WarmSlot:
          this.warmSlots.get(e.address)!.delete(e.slot!);
          break;
      }
    }
    j.length = checkpoint;
  }

  // ---- accounts ----------------------------------------------------------

  private load(address: Address): CachedAccount | null {
    const cached = this.accounts.get(address);
    if (cached !== undefined) return cached;
    const data = this.backend.getAccount(address);
    const acct: CachedAccount | null =
      data === null
        ? null
        : {
            nonce: data.nonce,
            balance: data.balance,
            code: null,
            codeHash: data.codeHash,
            storage: new Map(),
            freshStorage: false,
          };
    this.accounts.set(address, acct);
    return acct;
  }

  /** Makes the account exist (as an empty account) and returns it, journaled. */
  private touchForWrite(address: Address): CachedAccount {
    const a = this.load(address);
    if (a !== null) return a;
    const created: CachedAccount = {
      nonce: 0n,
      balance: 0n,
      code: EMPTY_CODE,
      codeHash: KECCAK_EMPTY,
      storage: new Map(),
      freshStorage: true,
    };
    this.journal.push({ kind: J.Replace, address, prev: null });
    this.accounts.set(address, created);
    this.dirty.add(address);
    return created;
  }

  exists(address: Address): boolean {
    return this.load(address) !== null;
  }

  /** Exists and is not empty (EIP-161): nonce, balance or code. */
  isAlive(address: Address): boolean {
    const a = this.load(address);
    return a !== null && !isEmpty(a);
  }

  getBalance(address: Address): bigint {
    return this.load(address)?.balance ?? 0n;
  }

  getNonce(address: Address): bigint {
    return this.load(address)?.nonce ?? 0n;
  }

  getCode(address: Address): Uint8Array {
    const a = this.load(address);
    if (a === null) return EMPTY_CODE;
    if (a.code === null) a.code = a.codeHash === KECCAK_EMPTY ? EMPTY_CODE : this.backend.getCode(address, a.codeHash);
    return a.code;
  }

  getCodeHash(address: Address): Uint8Array {
    return this.load(address)?.codeHash ?? KECCAK_EMPTY;
  }

  hasCodeOrNonce(address: Address): boolean {
    const a = this.load(address);
    return a !== null && (a.nonce !== 0n || a.codeHash !== KECCAK_EMPTY && !equalHash(a.codeHash, KECCAK_EMPTY));
  }

  /** EIP-7610: any non-zero storage. */
  hasStorage(address: Address): boolean {
    const a = this.load(address);
    if (a === null) return false;
    for (const v of a.storage.values()) if (v !== 0n) return true;
    // A slot cleared in this run may shadow a backend value; collisions need a CREATE
    // target without code or nonce, so the backend's answer is the one that matters.
    return !a.freshStorage && this.backend.hasStorage(address);
  }

  setBalance(address: Address, balance: bigint): void {
    const a = this.touchForWrite(address);
    if (a.balance !== balance) {
      this.journal.push({ kind: J.Balance, address, prev: a.balance });
      a.balance = balance;
      this.dirty.add(address);
    }
    this.destroyIfEmpty(address, a);
  }

  addBalance(address: Address, amount: bigint): void {
    this.setBalance(address, this.getBalance(address) + amount);
  }

  subBalance(address: Address, amount: bigint): void {
    this.setBalance(address, this.getBalance(address) - amount);
  }

  /** Moves value between accounts; the caller has checked the sender's balance. */
  transfer(from: Address, to: Address, amount: bigint): void {
    this.subBalance(from, amount);
    this.addBalance(to, amount);
  }

  incrementNonce(address: Address): void {
    const a = this.touchForWrite(address);
    this.journal.push({ kind: J.Nonce, address, prev: a.nonce });
    a.nonce += 1n;
    this.dirty.add(address);
  }

  setCode(address: Address, code: Uint8Array): void {
    const a = this.touchForWrite(address);
    if (a.code === null) this.getCode(address);
    this.journal.push({ kind: J.Code, address, prev: a.code!, prevHash: a.codeHash });
    a.code = code;
    a.codeHash = code.length === 0 ? KECCAK_EMPTY : keccak256(code);
    this.dirty.add(address);
    this.destroyIfEmpty(address, a);
  }

  /** The spec's modify_state: an account left empty by a modification is deleted (EIP-161). */
  private destroyIfEmpty(address: Address, a: CachedAccount): void {
    if (isEmpty(a)) this.destroyAccount(address);
  }

  /** Deletes the account and its storage. */
  destroyAccount(address: Address): void {
    const a = this.load(address);
    if (a === null) return;
    this.journal.push({ kind: J.Replace, address, prev: a });
    this.accounts.set(address, null);
    this.dirty.add(address);
  }

  /** Marks a new contract account (CREATE): its storage starts empty. */
  markCreated(address: Address): void {
    this.createdAccounts.add(address);
    const a = this.touchForWrite(address);
    if (!a.freshStorage) {
      // Replace with a fresh-storage copy so a revert restores the old view.
      const fresh: CachedAccount = { ...a, storage: new Map(), freshStorage: true };
      this.journal.push({ kind: J.Replace, address, prev: a });
      this.accounts.set(address, fresh);
      this.dirty.add(address);
    }
  }

  // ---- storage -----------------------------------------------------------

  getStorage(address: Address, slot: bigint): bigint {
    const a = this.load(address);
    if (a === null) return 0n;
    const v = a.storage.get(slot);
    if (v !== undefined) return v;
    const fromBackend = a.freshStorage ? 0n : this.backend.getStorage(address, slot);
    a.storage.set(slot, fromBackend);
    return fromBackend;
  }

  /** EIP-2200's original value: the slot's value when the transaction began. */
  getOriginalStorage(address: Address, slot: bigint): bigint {
    if (this.isCreated(address)) return 0n;
    const recorded = this.originalStorage.get(address)?.get(slot);
    if (recorded !== undefined) return recorded;
    if (this.txScope !== null) return this.txScope.original(address, slot);
    // Not written in this transaction yet: the current value is the original.
    return this.getStorage(address, slot);
  }

  setStorage(address: Address, slot: bigint, value: bigint): void {
    const a = this.touchForWrite(address);
    const current = this.getStorage(address, slot);
    let orig = this.originalStorage.get(address);
    if (orig === undefined) this.originalStorage.set(address, (orig = new Map()));
    if (!orig.has(slot)) orig.set(slot, current);
    this.journal.push({ kind: J.Storage, address, slot, prev: current });
    a.storage.set(slot, value);
    this.dirty.add(address);
    let ds = this.dirtySlots.get(address);
    if (ds === undefined) this.dirtySlots.set(address, (ds = new Set()));
    ds.add(slot);
  }

  // ---- transient storage (EIP-1153) --------------------------------------

  getTransient(address: Address, slot: bigint): bigint {
    const v = this.transient.get(address)?.get(slot);
    if (v !== undefined) return v;
    return this.txScope === null ? 0n : this.txScope.transient(address, slot);
  }

  setTransient(address: Address, slot: bigint, value: bigint): void {
    let m = this.transient.get(address);
    if (m === undefined) this.transient.set(address, (m = new Map()));
    this.journal.push({ kind: J.Transient, address, slot, prev: this.getTransient(address, slot) });
    if (value === 0n && this.txScope === null) m.delete(slot);
    else m.set(slot, value);
  }

  // ---- access lists (EIP-2929) -------------------------------------------

  isWarmAddress(address: Address): boolean {
    return this.warmAddresses.has(address) || (this.txScope !== null && this.txScope.isWarmAddress(address));
  }

  /** Marks the address warm; returns whether it already was. */
  warmAddress(address: Address): boolean {
    if (this.warmAddresses.has(address)) return true;
    if (this.txScope !== null && this.txScope.isWarmAddress(address)) {
      // Warm in the committed set already: cache it without a journal entry (nothing new).
      this.warmAddresses.add(address);
      return true;
    }
    this.warmAddresses.add(address);
    this.journal.push({ kind: J.WarmAddress, address });
    return false;
  }

  /** Marks the slot warm; returns whether it already was. */
  warmSlot(address: Address, slot: bigint): boolean {
    let s = this.warmSlots.get(address);
    if (s === undefined) this.warmSlots.set(address, (s = new Set()));
    if (s.has(slot)) return true;
    if (this.txScope !== null && this.txScope.isWarmSlot(address, slot)) {
      s.add(slot);
      return true;
    }
    s.add(slot);
    this.journal.push({ kind: J.WarmSlot, address, slot });
    return false;
  }

  // ---- results -----------------------------------------------------------

  /** Every account changed since construction (or the last clearChanges), sorted by address. */
  changes(): Map<Address, AccountChange> {
    const out = new Map<Address, AccountChange>();
    for (const address of [...this.dirty].sort()) {
      const a = this.accounts.get(address);
      const storage = new Map<bigint, bigint>();
      if (a) {
        const slots = this.dirtySlots.get(address);
        if (slots) for (const s of [...slots].sort(cmpBigInt)) storage.set(s, a.storage.get(s) ?? 0n);
      }
      out.set(address, {
        account: a ? { nonce: a.nonce, balance: a.balance, code: this.getCode(address), codeHash: a.codeHash } : null,
        storage: a ? storage : new Map(),
        storageCleared: a ? a.freshStorage : true,
      });
    }
    return out;
  }

  /** Every slot read or written so far, per existing account, with its current value. */
  accessedSlots(): Map<Address, Map<bigint, bigint>> {
    const out = new Map<Address, Map<bigint, bigint>>();
    for (const [address, a] of this.accounts) if (a && a.storage.size > 0) out.set(address, new Map(a.storage));
    return out;
  }

  /** Forgets the change set (after it has been applied to a backend) but keeps the cache. */
  clearChanges(): void {
    this.dirty.clear();
    this.dirtySlots.clear();
  }
}

function isEmpty(a: CachedAccount): boolean {
  return a.nonce === 0n && a.balance === 0n && (a.codeHash === KECCAK_EMPTY || equalHash(a.codeHash, KECCAK_EMPTY));
}

function equalHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cmpBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
