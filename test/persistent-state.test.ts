// PersistentState against the in-memory reference: random genesis allocs and
// random change sets committed in sequence must give the root and the reads of a
// MemoryState with the same changes (its root comes from vm/trie's range builder,
// ours from @ethereumjs/mpt on disk); reopening resumes; every committed root
// stays readable; a real transaction runs cold through runWithLoading.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { Level } from 'level';
import {
  PersistentState,
  PersistentStateError,
  StateLoadLimitError,
  runWithLoading,
  type GenesisAccount,
} from '../vm/state/persistent.js';
import { MissingStateError } from '../vm/state/backend.js';
import { MemoryState } from '../vm/state/memory.js';
import { applyChanges, stateRoot } from '../vm/state/root.js';
import { WorldState, type AccountChange } from '../vm/state/world.js';
import { applyTransaction } from '../vm/execution/transaction.js';
import type { TxRequest } from '../vm/execution/request.js';
import type { BlockEnv } from '../vm/env.js';
import { forkRules } from '../vm/chain/forks.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { KECCAK_EMPTY, keccak256 } from '../vm/util/hash.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hv-persistent-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---- seeded randomness -------------------------------------------------------

class Rng {
  constructor(private s: number) {}
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** A word: small, mid-sized or full-width, never zero. */
  word(): bigint {
    const k = this.int(3);
    const w = k === 0 ? BigInt(1 + this.int(255)) : k === 1 ? BigInt(bytesToHex(this.bytes(8))) : BigInt(bytesToHex(this.bytes(32)));
    return w === 0n ? 1n : w;
  }
}

function randomCode(rng: Rng): Uint8Array {
  return rng.bytes(1 + rng.int(rng.chance(0.1) ? 3000 : 80));
}

function codeHashOf(code: Uint8Array): Uint8Array {
  return code.length === 0 ? KECCAK_EMPTY : keccak256(code);
}

/** A pool of addresses small enough that change sets revisit accounts. */
function addressPool(rng: Rng, n: number): Address[] {
  return Array.from({ length: n }, () => bytesToHex(rng.bytes(20)) as Address);
}

function randomAlloc(rng: Rng, pool: Address[]): Map<Address, GenesisAccount> {
  const alloc = new Map<Address, GenesisAccount>();
  for (const a of pool) {
    if (!rng.chance(0.6)) continue;
    const storage: [bigint, bigint][] = [];
    if (rng.chance(0.5)) for (let i = rng.int(12); i > 0; i--) storage.push([rng.chance(0.5) ? BigInt(rng.int(8)) : rng.word(), rng.word()]);
    alloc.set(a, {
      balance: rng.chance(0.8) ? rng.word() : 0n,
      nonce: rng.chance(0.5) ? BigInt(rng.int(1000)) : 0n,
      code: rng.chance(0.4) ? randomCode(rng) : new Uint8Array(0),
      storage,
    });
  }
  return alloc;
}

/** A change set in WorldState's shape, against what `mem` holds now. */
function randomChanges(rng: Rng, pool: Address[], mem: MemoryState): Map<Address, AccountChange> {
  const changes = new Map<Address, AccountChange>();
  const count = 1 + rng.int(12);
  for (let i = 0; i < count; i++) {
    const address = pool[rng.int(pool.length)]!;
    const prev = mem.accounts.get(address);
    if (prev !== undefined && rng.chance(0.12)) {
      changes.set(address, { account: null, storage: new Map(), storageCleared: true });
      continue;
    }
    const storage = new Map<bigint, bigint>();
    const known = prev ? [...prev.storage.keys()] : [];
    for (let j = rng.int(10); j > 0; j--) {
      const r = rng.int(4);
      if (r === 0 && known.length > 0) storage.set(known[rng.int(known.length)]!, 0n); // delete a slot
      else if (r === 1 && known.length > 0) storage.set(known[rng.int(known.length)]!, rng.word()); // overwrite
      else if (r === 2) storage.set(BigInt(rng.int(16)), rng.chance(0.2) ? 0n : rng.word()); // small slots, maybe never set
      else storage.set(rng.word(), rng.word());
    }
    const code = prev === undefined || rng.chance(0.1) ? (rng.chance(0.5) ? randomCode(rng) : new Uint8Array(0)) : prev.code;
    changes.set(address, {
      account: {
        nonce: (prev?.nonce ?? 0n) + BigInt(rng.int(3)),
        balance: rng.chance(0.7) ? rng.word() : (prev?.balance ?? 0n),
        code,
        codeHash: codeHashOf(code),
      },
      storage,
      storageCleared: prev === undefined ? rng.chance(0.5) : rng.chance(0.08),
    });
  }
  return changes;
}

function memoryFromAlloc(alloc: ReadonlyMap<Address, GenesisAccount>): MemoryState {
  const mem = new MemoryState();
  for (const [a, g] of alloc) mem.put(a, { balance: g.balance ?? 0n, nonce: g.nonce ?? 0n, code: g.code ?? new Uint8Array(0), storage: g.storage ?? [] });
  return mem;
}

function cloneMemory(mem: MemoryState): MemoryState {
  const out = new MemoryState();
  for (const [a, acc] of mem.accounts) out.accounts.set(a, { ...acc, storage: new Map(acc.storage) });
  return out;
}

/**
 * Loads everything the reference knows about (plus probes that must read as
 * absent or zero) into `state`, then compares every read.
 */
async function expectSameReads(state: PersistentState, mem: MemoryState, pool: Address[], rng: Rng): Promise<void> {
  const probes = new Map<Address, bigint[]>();
  for (const a of pool) {
    const slots = [...(mem.accounts.get(a)?.storage.keys() ?? [])];
    slots.push(BigInt(rng.int(16)), rng.word());
    probes.set(a, slots);
  }
  await state.prefetch(pool, probes);
  for (const a of pool) {
    const want = mem.getAccount(a);
    const got = state.getAccount(a);
    if (want === null) {
      expect(got).toBeNull();
    } else {
      expect(got).not.toBeNull();
      expect(got!.nonce).toBe(want.nonce);
      expect(got!.balance).toBe(want.balance);
      expect(bytesToHex(got!.codeHash)).toBe(bytesToHex(want.codeHash));
      expect(bytesToHex(state.getCode(a, got!.codeHash))).toBe(bytesToHex(mem.getCode(a)));
    }
    expect(state.hasStorage(a)).toBe(mem.hasStorage(a));
    for (const s of probes.get(a)!) expect(state.getStorage(a, s)).toBe(mem.getStorage(a, s));
  }
}

const hex = (b: Uint8Array): string => bytesToHex(b);

describe('PersistentState vs MemoryState', () => {
  it.each([1, 2, 3])('random genesis and 25 random change sets (seed %i): same roots and reads, resumable', async (seed) => {
    const rng = new Rng(seed * 7919);
    const pool = addressPool(rng, 40);
    const alloc = randomAlloc(rng, pool);
    const dir = tempDir();
    let state = await PersistentState.fromGenesis(dir, alloc, { durable: false });
    const mem = memoryFromAlloc(alloc);
    expect(hex(state.stateRoot())).toBe(hex(stateRoot(mem)));
    expect(state.head()!.blockNumber).toBe(0n);

    const snapshots: { block: bigint; root: string; mem: MemoryState }[] = [{ block: 0n, root: hex(stateRoot(mem)), mem: cloneMemory(mem) }];
    for (let block = 1n; block <= 25n; block++) {
      const changes = randomChanges(rng, pool, mem);
      applyChanges(mem, changes);
      const root = await state.commit(changes, block);
      const want = hex(stateRoot(mem));
      expect(hex(root), `root after block ${block}`).toBe(want);
      expect(state.head()).toEqual({ blockNumber: block, stateRoot: root });
      snapshots.push({ block, root: want, mem: cloneMemory(mem) });
      // Reads through the write-through cache after the commit.
      await expectSameReads(state, mem, pool, rng);
      if (block % 8n === 0n) {
        // And cold, from disk.
        await state.close();
        state = await PersistentState.open(dir, { durable: false });
        expect(hex(state.stateRoot())).toBe(want);
        await expectSameReads(state, mem, pool, rng);
      }
    }

    await state.close();
    state = await PersistentState.open(dir);
    expect(state.head()!.blockNumber).toBe(25n);
    expect(hex(state.head()!.stateRoot)).toBe(snapshots[25]!.root);
    await expectSameReads(state, mem, pool, rng);

    // Every committed root stays readable: step the head back through history.
    for (const snap of [snapshots[3]!, snapshots[0]!, snapshots[17]!]) {
      expect(hex((await state.rootAt(snap.block))!)).toBe(snap.root);
      await state.setHead(snap.block, hexToBytes(snap.root));
      expect(hex(state.stateRoot())).toBe(snap.root);
      await expectSameReads(state, snap.mem, pool, rng);
    }
    // The moved head is what a reopened directory resumes from, and commits continue from it.
    await state.close();
    state = await PersistentState.open(dir, { durable: false });
    expect(state.head()!.blockNumber).toBe(17n);
    const resumed = cloneMemory(snapshots[17]!.mem);
    const changes = randomChanges(rng, pool, resumed);
    applyChanges(resumed, changes);
    expect(hex(await state.commit(changes, 18n))).toBe(hex(stateRoot(resumed)));
    await expectSameReads(state, resumed, pool, rng);
    await state.close();
  });

  it('commits without a block number move the working root but not the persisted head', async () => {
    const rng = new Rng(99);
    const pool = addressPool(rng, 10);
    const alloc = randomAlloc(rng, pool);
    const dir = tempDir();
    const state = await PersistentState.fromGenesis(dir, alloc, { durable: false });
    const mem = memoryFromAlloc(alloc);
    const genesisRoot = state.stateRoot();
    const changes = randomChanges(rng, pool, mem);
    applyChanges(mem, changes);
    const root = await state.commit(changes);
    expect(hex(root)).toBe(hex(stateRoot(mem)));
    expect(hex(state.head()!.stateRoot)).toBe(hex(genesisRoot));
    await state.setHead(1n, root);
    await state.close();
    const again = await PersistentState.open(dir);
    expect(again.head()).toEqual({ blockNumber: 1n, stateRoot: root });
    await expectSameReads(again, mem, pool, rng);
    await again.close();
  });

  it('commits issued together apply in order, and a load racing a commit does not leave stale reads', async () => {
    const rng = new Rng(1234);
    const pool = addressPool(rng, 30);
    const alloc = randomAlloc(rng, pool);
    const dir = tempDir();
    await (await PersistentState.fromGenesis(dir, alloc, { durable: false })).close();
    const state = await PersistentState.open(dir, { durable: false });
    const mem = memoryFromAlloc(alloc);
    const first = randomChanges(rng, pool, mem);
    applyChanges(mem, first);
    const rootFirst = hex(stateRoot(mem));
    const second = randomChanges(rng, pool, mem);
    applyChanges(mem, second);
    const everySlot = new Map(pool.map((a) => [a, [...(alloc.get(a)?.storage ?? [])].map(([k]) => k)] as const));
    // The cold load reads the old root while the commits run.
    const [, r1, r2] = await Promise.all([state.prefetch(pool, everySlot), state.commit(first, 1n), state.commit(second, 2n)]);
    expect(hex(r1)).toBe(rootFirst);
    expect(hex(r2)).toBe(hex(stateRoot(mem)));
    await expectSameReads(state, mem, pool, rng);
    // Moving the head back while a cold load of the newer root is under way.
    // (Reopened, so its trie nodes come from disk and the load outlasts the head move.)
    await state.close();
    const cold = await PersistentState.open(dir, { durable: false });
    const genesis = memoryFromAlloc(alloc);
    await Promise.all([cold.prefetch(pool, everySlot), cold.setHead(0n, stateRoot(genesis))]);
    await expectSameReads(cold, genesis, pool, rng);
    await cold.close();
  });

  it('drops its read cache between commits once it outgrows accountCacheSize', async () => {
    const rng = new Rng(555);
    const pool = addressPool(rng, 20);
    const alloc = randomAlloc(rng, pool);
    const dir = tempDir();
    await (await PersistentState.fromGenesis(dir, alloc, { durable: false })).close();
    const state = await PersistentState.open(dir, { durable: false, accountCacheSize: 5 });
    const mem = memoryFromAlloc(alloc);
    await state.prefetch(pool.slice(0, 4));
    const small = new Map([...randomChanges(rng, pool.slice(0, 4), mem)]);
    applyChanges(mem, small);
    await state.commit(small, 1n);
    expect(state.getAccount(pool[0]!)?.balance).toBe(mem.getAccount(pool[0]!)?.balance); // still cached
    await state.prefetch(pool);
    const more = randomChanges(rng, pool, mem);
    applyChanges(mem, more);
    await state.commit(more, 2n);
    expect(() => state.getAccount(pool[0]!)).toThrow(MissingStateError);
    await expectSameReads(state, mem, pool, rng);
    await state.close();
  });

  it('an empty genesis has the empty trie root, and deleting every account returns to it', async () => {
    const dir = tempDir();
    const state = await PersistentState.fromGenesis(dir, new Map(), { durable: false });
    expect(hex(state.stateRoot())).toBe(hex(EMPTY_TRIE_ROOT));
    const a = toAddress('0x00000000000000000000000000000000000000aa');
    const mem = new MemoryState();
    const add = new Map<Address, AccountChange>([
      [a, { account: { nonce: 1n, balance: 5n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY }, storage: new Map([[1n, 2n]]), storageCleared: false }],
    ]);
    applyChanges(mem, add);
    expect(hex(await state.commit(add, 1n))).toBe(hex(stateRoot(mem)));
    const del = new Map<Address, AccountChange>([[a, { account: null, storage: new Map(), storageCleared: true }]]);
    expect(hex(await state.commit(del, 2n))).toBe(hex(EMPTY_TRIE_ROOT));
    await state.prefetch([a]);
    expect(state.getAccount(a)).toBeNull();
    expect(state.getStorage(a, 1n)).toBe(0n);
    await state.close();
  });
});

describe('PersistentState reads and errors', () => {
  const A = toAddress('0x000000000000000000000000000000000000a11c');
  const B = toAddress('0x000000000000000000000000000000000000b0b0');
  const E = toAddress('0x000000000000000000000000000000000000e0e0');
  const code = hexToBytes('0x6001600055');
  const alloc = new Map<Address, GenesisAccount>([
    [A, { balance: 10n, code, storage: [[1n, 11n], [2n, 22n]] }],
    [B, { balance: 3n }],
  ]);

  it('answers only what was loaded and throws MissingStateError for the rest', async () => {
    const dir = tempDir();
    await (await PersistentState.fromGenesis(dir, alloc, { durable: false })).close();
    const state = await PersistentState.open(dir);
    expect(() => state.getAccount(A)).toThrow(MissingStateError);
    try {
      state.getStorage(A, 1n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingStateError);
      expect((e as MissingStateError).what).toBe('account');
    }
    await state.prefetch([A, B, E], new Map(), { code: false });
    expect(state.getAccount(E)).toBeNull();
    expect(state.getStorage(E, 1n)).toBe(0n);
    // B has no storage at all: its slots read as zero without a load.
    expect(state.getStorage(B, 123n)).toBe(0n);
    expect(state.hasStorage(A)).toBe(true);
    expect(state.hasStorage(B)).toBe(false);
    const codeHash = state.getAccount(A)!.codeHash;
    expect(() => state.getCode(A, codeHash)).toThrow(MissingStateError);
    let err: MissingStateError | null = null;
    try {
      state.getStorage(A, 2n);
    } catch (e) {
      err = e as MissingStateError;
    }
    expect(err).toBeInstanceOf(MissingStateError);
    expect(err!.what).toBe('storage');
    expect(err!.slot).toBe(2n);
    await state.loadMissing(err!);
    expect(state.getStorage(A, 2n)).toBe(22n);
    expect(() => state.getStorage(A, 1n)).toThrow(MissingStateError);

    // runWithLoading loads one item per round until the function gets through.
    let rounds = 0;
    const read = () => {
      rounds++;
      return [state.getStorage(A, 1n), state.getStorage(A, 9n), hex(state.getCode(A, codeHash))] as const;
    };
    expect(await runWithLoading(state, read)).toEqual([11n, 0n, hex(code)]);
    expect(rounds).toBe(4);
    // Bounded: a function that needs more rounds than allowed fails with a typed error.
    await state.close();
    const cold = await PersistentState.open(dir);
    await expect(runWithLoading(cold, () => cold.getStorage(A, 1n) + cold.getStorage(A, 2n), 2)).rejects.toBeInstanceOf(StateLoadLimitError);
    // Other errors pass straight through.
    await expect(runWithLoading(cold, () => { throw new RangeError('boom'); })).rejects.toBeInstanceOf(RangeError);
    await cold.close();
  });

  it('rejects bad input with PersistentStateError and keeps its state', async () => {
    const dir = tempDir();
    let state = await PersistentState.fromGenesis(dir, alloc, { durable: false });
    // Locked while open; after closing, a second genesis is refused.
    await expect(PersistentState.open(dir)).rejects.toBeInstanceOf(PersistentStateError);
    await state.close();
    await expect(PersistentState.fromGenesis(dir, alloc)).rejects.toBeInstanceOf(PersistentStateError);
    state = await PersistentState.open(dir, { durable: false });
    const root = state.stateRoot();
    await expect(state.setHead(5n, keccak256(Uint8Array.of(1)))).rejects.toBeInstanceOf(PersistentStateError);
    await expect(state.setHead(5n, new Uint8Array(5))).rejects.toBeInstanceOf(PersistentStateError);
    await expect(state.setHead(-1n, root)).rejects.toBeInstanceOf(PersistentStateError);
    await expect(state.commit(new Map(), 1n << 64n)).rejects.toBeInstanceOf(PersistentStateError);
    const badCode = new Map<Address, AccountChange>([
      [B, { account: { nonce: 0n, balance: 1n, code: Uint8Array.of(0x00), codeHash: KECCAK_EMPTY }, storage: new Map(), storageCleared: false }],
    ]);
    await expect(state.commit(badCode, 1n)).rejects.toBeInstanceOf(PersistentStateError);
    const badSlot = new Map<Address, AccountChange>([
      [B, { account: { nonce: 0n, balance: 1n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY }, storage: new Map([[1n << 256n, 1n]]), storageCleared: false }],
    ]);
    await expect(state.commit(badSlot, 1n)).rejects.toBeInstanceOf(PersistentStateError);
    expect(hex(state.stateRoot())).toBe(hex(root));
    expect(state.head()!.blockNumber).toBe(0n);
    // A good commit after the failed ones builds on the unchanged root.
    const mem = memoryFromAlloc(alloc);
    const good = new Map<Address, AccountChange>([
      [B, { account: { nonce: 1n, balance: 2n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY }, storage: new Map([[7n, 7n]]), storageCleared: false }],
    ]);
    applyChanges(mem, good);
    expect(hex(await state.commit(good, 1n))).toBe(hex(stateRoot(mem)));
    await state.close();
    await expect(state.commit(good, 2n)).rejects.toBeInstanceOf(PersistentStateError);
  });
});

describe('PersistentState on a damaged directory', () => {
  it('reports missing trie nodes with PersistentStateError instead of reading zero', async () => {
    const rng = new Rng(31337);
    const pool = addressPool(rng, 40);
    const alloc = randomAlloc(rng, pool);
    const dir = tempDir();
    const state = await PersistentState.fromGenesis(dir, alloc, { durable: false });
    const root = state.stateRoot();
    await state.close();
    // Delete every trie node but the root ('n' ++ hash is the node key).
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    let deleted = 0;
    for await (const key of db.keys({ gte: Uint8Array.of(0x6e), lt: Uint8Array.of(0x6f) })) {
      if (hex(key.subarray(1)) !== hex(root)) {
        await db.del(key);
        deleted++;
      }
    }
    await db.close();
    expect(deleted).toBeGreaterThan(0);
    const damaged = await PersistentState.open(dir);
    await expect(damaged.prefetch(pool)).rejects.toBeInstanceOf(PersistentStateError);
    await damaged.close();
    // Without even the root, the directory does not open.
    const db2 = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db2.del(Uint8Array.of(0x6e, ...root));
    await db2.close();
    await expect(PersistentState.open(dir)).rejects.toBeInstanceOf(PersistentStateError);
  });
});

// ---- a real transaction, executed cold --------------------------------------------

// B: return sload(5).
const CODE_B = '0x600554' + '60005260206000f3';
function codeA(b: Address): string {
  return (
    '0x' +
    '600054600101600055' + // slot0 += 1
    '33600155' + // slot1 = CALLER
    '60206000600060006000' + '73' + b.slice(2) + '5af1' + '50' + // call B, 32 bytes back to memory 0
    '600054' + '60206000a1' + // log1(mem[0..32], topic = slot0)
    '600754600255' + // slot2 = slot7
    '6000600355' + // slot3 = 0
    '60206000f3' // return mem[0..32]
  );
}

describe('runWithLoading executes a transaction against a cold PersistentState', () => {
  it('matches MemoryState: outcome, change set and the committed root', async () => {
    const key = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba' as const;
    const sender = toAddress(privateKeyToAccount(key).address);
    const A = toAddress('0x00000000000000000000000000000000000a0a0a');
    const B = toAddress('0x00000000000000000000000000000000000b0b0b');
    const coinbase = toAddress('0xc0ffee0000000000000000000000000000000001');
    const rng = new Rng(4242);
    const alloc = new Map<Address, GenesisAccount>([
      [sender, { balance: 10n ** 19n }],
      [A, { code: hexToBytes(codeA(B)), storage: [[0n, 41n], [3n, 9n], [7n, 0xdeadn]] }],
      [B, { code: hexToBytes(CODE_B), storage: [[5n, 0x1234n]] }],
    ]);
    // Bystanders that the transaction never touches.
    for (const a of addressPool(rng, 30)) alloc.set(a, { balance: rng.word(), storage: [[1n, rng.word()]], code: randomCode(rng) });

    const blockEnv: BlockEnv = {
      chain: ethereumRules('prague', 1n),
      rules: forkRules('prague'),
      number: 1n,
      timestamp: 1_000n,
      coinbase,
      gasLimit: 30_000_000n,
      baseFee: 7n,
      prevRandao: 0n,
      excessBlobGas: 0n,
      blockHash: () => null,
    };
    const tx = (nonce: bigint): TxRequest => ({
      type: 2,
      sender,
      nonce,
      gasLimit: 200_000n,
      to: A,
      value: 1000n,
      data: new Uint8Array(0),
      gasPrice: 0n,
      maxFeePerGas: 20n,
      maxPriorityFeePerGas: 2n,
      accessList: [],
      blobVersionedHashes: [],
      maxFeePerBlobGas: 0n,
      authorizationList: [],
    });

    const mem = memoryFromAlloc(alloc);
    const dir = tempDir();
    await (await PersistentState.fromGenesis(dir, alloc, { durable: false })).close();
    const state = await PersistentState.open(dir, { durable: false });

    for (const nonce of [0n, 1n]) {
      const memWorld = new WorldState(mem);
      const want = applyTransaction(memWorld, { ...blockEnv, number: 1n + nonce }, tx(nonce));
      const wantChanges = memWorld.changes();

      let rounds = 0;
      const loadMissing = state.loadMissing.bind(state);
      const counting = { loadMissing: (e: MissingStateError) => (rounds++, loadMissing(e)) };
      const { outcome, changes } = await runWithLoading(counting, () => {
        const world = new WorldState(state);
        const outcome = applyTransaction(world, { ...blockEnv, number: 1n + nonce }, tx(nonce));
        return { outcome, changes: world.changes() };
      });
      // The first run starts cold; the second finds most of its state in the write-through cache.
      if (nonce === 0n) expect(rounds).toBeGreaterThan(3);

      expect(outcome.success).toBe(true);
      expect(outcome).toEqual(want);
      expect(changes).toEqual(wantChanges);
      // Facts from the bytecode itself: B's slot 5 comes back, A's counter went up.
      expect(BigInt(bytesToHex(outcome.output))).toBe(0x1234n);
      expect(changes.get(A)!.storage.get(0n)).toBe(42n + nonce);
      expect(outcome.logs[0]!.topics).toEqual([42n + nonce]);

      applyChanges(mem, wantChanges);
      const root = await state.commit(changes, 1n + nonce);
      expect(hex(root)).toBe(hex(stateRoot(mem)));
    }
    await state.close();
  });
});
