// The devnet's block store: per L2 block its header (RLP), hash, raw transactions, state root,
// message-passer storage root, output root, L1 origin and the L1 block it was derived from; per
// processed L1 block its hash; and the heads. Every change is one level batch, so a process
// killed at any moment leaves the store as it was before or after a whole L1 block.
import { Level } from 'level';
import { decodeHeader, encodeHeader, headerHash } from '../vm/block/header.js';
import { rlpDecode, rlpEncode, rlpToBigInt, rlpToBytes, rlpToList, RlpError, type RlpInput } from '../vm/rlp/rlp.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { outputRootOf } from '../challenger/output-root.js';
import type { PersistentState } from '../vm/state/persistent.js';
import { bigIntToBytes, bytesToHex, equalBytes, hexToBytes } from '../vm/util/bytes.js';
import type { InferenceCall } from '../vm/precompiles/inference.js';
import { devnetAlloc, genesisHeader } from './chain.js';
import { openOrCreateState, sealedGenesis, type SealedBlock } from './state.js';

export interface L1Ref {
  readonly number: bigint;
  readonly hash: Uint8Array;
}

/** A sealed block and the L1 block whose batcher data it came from (null: genesis, or sequenced here). */
export interface StoredBlock extends SealedBlock {
  readonly derivedFrom: L1Ref | null;
}

export class DevnetStoreError extends Error {
  override readonly name = 'DevnetStoreError';
}

const L2_BLOCK = 0x6c; // 'l' ++ uint64 -> block record
const L1_BLOCK = 0x31; // '1' ++ uint64 -> L1 block hash (processed)
const L2_HEAD = Uint8Array.of(0x68); // 'h' -> uint64
const L1_CURSOR = Uint8Array.of(0x63); // 'c' -> uint64, the last L1 block fully processed

function key(prefix: number, n: bigint): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = prefix;
  out.set(bigIntToBytes(n, 8), 1);
  return out;
}

type Db = Level<Uint8Array, Uint8Array>;
type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

function encodeRef(r: L1Ref | null): RlpInput {
  return r === null ? [] : [r.number, r.hash];
}

function decodeRef(item: ReturnType<typeof rlpDecode>, what: string): L1Ref | null {
  const f = rlpToList(item, what);
  if (f.length === 0) return null;
  if (f.length !== 2) throw new DevnetStoreError(`${what}: expected 2 fields`);
  return { number: rlpToBigInt(f[0]!, `${what} number`), hash: rlpToBytes(f[1]!, `${what} hash`) };
}

/** The block's inference calls, kept so a watcher can settle them on L1 before it must step at one. */
function encodeInferences(calls: readonly InferenceCall[]): RlpInput {
  return calls.map((c) => [hexToBytes(c.model), new Uint8Array(c.input.buffer, c.input.byteOffset, c.input.length)]);
}

function decodeInferences(item: ReturnType<typeof rlpDecode>): InferenceCall[] {
  return rlpToList(item, 'inference calls').map((c, i) => {
    const f = rlpToList(c, `inference call ${i}`);
    const model = f.length === 2 ? rlpToBytes(f[0]!, `inference call ${i} model`) : null;
    if (model === null || model.length !== 32) throw new DevnetStoreError(`inference call ${i}: expected a 32-byte model id and an input`);
    const input = rlpToBytes(f[1]!, `inference call ${i} input`);
    return { model: bytesToHex(model), input: new Int8Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.length)) };
  });
}

export function encodeStoredBlock(b: StoredBlock): Uint8Array {
  return rlpEncode([
    encodeHeader(b.header),
    b.hash,
    [...b.transactions],
    b.stateRoot,
    b.messagePasserStorageRoot,
    b.outputRoot,
    encodeRef(b.l1Origin),
    encodeRef(b.derivedFrom),
    // A ninth field only when there is something to keep: records of blocks without inference stay as before.
    ...(b.inferences !== undefined && b.inferences.length > 0 ? [encodeInferences(b.inferences)] : []),
  ]);
}

export function decodeStoredBlock(raw: Uint8Array, outputRootOf: (s: Uint8Array, mp: Uint8Array, h: Uint8Array) => Uint8Array): StoredBlock {
  try {
    const f = rlpToList(rlpDecode(raw), 'block record');
    if (f.length !== 8 && f.length !== 9) throw new DevnetStoreError('block record must have 8 or 9 fields');
    const header = decodeHeader(rlpToBytes(f[0]!, 'header'));
    const hash = rlpToBytes(f[1]!, 'hash');
    const stateRoot = rlpToBytes(f[3]!, 'state root');
    const mp = rlpToBytes(f[4]!, 'message passer storage root');
    const outputRoot = rlpToBytes(f[5]!, 'output root');
    // The stored hash and roots are redundant on purpose: a record that contradicts itself is corrupt.
    if (!equalBytes(headerHash(header), hash) || !equalBytes(header.stateRoot, stateRoot) || !equalBytes(outputRootOf(stateRoot, mp, hash), outputRoot)) {
      throw new DevnetStoreError(`block record ${header.number} contradicts itself (hash, state root or output root)`);
    }
    return {
      number: header.number,
      hash,
      header,
      transactions: rlpToList(f[2]!, 'transactions').map((t) => rlpToBytes(t, 'transaction')),
      stateRoot,
      messagePasserStorageRoot: mp,
      outputRoot,
      l1Origin: decodeRef(f[6]!, 'l1 origin'),
      derivedFrom: decodeRef(f[7]!, 'derived from'),
      ...(f.length === 9 ? { inferences: decodeInferences(f[8]!) } : {}),
    };
  } catch (e) {
    if (e instanceof RlpError || (e instanceof Error && e.name === 'HeaderDecodeError')) throw new DevnetStoreError(`corrupt block record: ${e.message}`);
    throw e;
  }
}

/** One atomic change: blocks to add, records to drop above a height, the new heads. */
export interface StoreUpdate {
  readonly put?: readonly StoredBlock[];
  /** Drop L2 blocks numbered above this. */
  readonly dropL2Above?: bigint;
  /** Drop processed-L1 records above this. */
  readonly dropL1Above?: bigint;
  readonly l1?: L1Ref;
  readonly l2Head?: bigint;
  readonly l1Cursor?: bigint | null;
}

export class BlockStore {
  private constructor(
    private readonly db: Db,
    private readonly outputRootOf: (s: Uint8Array, mp: Uint8Array, h: Uint8Array) => Uint8Array,
  ) {}

  static async open(dir: string, outputRootOf: (s: Uint8Array, mp: Uint8Array, h: Uint8Array) => Uint8Array): Promise<BlockStore> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (e) {
      throw new DevnetStoreError(`cannot open block store ${dir}: ${(e as Error).message}`, { cause: e });
    }
    return new BlockStore(db, outputRootOf);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async get(k: Uint8Array): Promise<Uint8Array | undefined> {
    const v = (await this.db.get(k)) as Uint8Array | undefined;
    return v === undefined ? undefined : new Uint8Array(v);
  }

  async block(n: bigint): Promise<StoredBlock | null> {
    if (n < 0n) return null;
    const raw = await this.get(key(L2_BLOCK, n));
    return raw === undefined ? null : decodeStoredBlock(raw, this.outputRootOf);
  }

  async l2Head(): Promise<bigint | null> {
    const raw = await this.get(L2_HEAD);
    return raw === undefined ? null : bytesToU64(raw);
  }

  async l1Cursor(): Promise<bigint | null> {
    const raw = await this.get(L1_CURSOR);
    return raw === undefined ? null : bytesToU64(raw);
  }

  async l1Hash(n: bigint): Promise<Uint8Array | null> {
    return (await this.get(key(L1_BLOCK, n))) ?? null;
  }

  async update(u: StoreUpdate): Promise<void> {
    const ops: Op[] = [];
    if (u.dropL2Above !== undefined) {
      for await (const k of this.db.keys({ gt: key(L2_BLOCK, u.dropL2Above), lt: key(L2_BLOCK + 1, 0n) })) ops.push({ type: 'del', key: k });
    }
    if (u.dropL1Above !== undefined) {
      for await (const k of this.db.keys({ gt: key(L1_BLOCK, u.dropL1Above), lt: key(L1_BLOCK + 1, 0n) })) ops.push({ type: 'del', key: k });
    }
    for (const b of u.put ?? []) ops.push({ type: 'put', key: key(L2_BLOCK, b.number), value: encodeStoredBlock(b) });
    if (u.l1 !== undefined) ops.push({ type: 'put', key: key(L1_BLOCK, u.l1.number), value: u.l1.hash });
    if (u.l2Head !== undefined) ops.push({ type: 'put', key: L2_HEAD, value: bigIntToBytes(u.l2Head, 8) });
    if (u.l1Cursor === null) ops.push({ type: 'del', key: L1_CURSOR });
    else if (u.l1Cursor !== undefined) ops.push({ type: 'put', key: L1_CURSOR, value: bigIntToBytes(u.l1Cursor, 8) });
    await this.db.batch(ops, { sync: true });
  }
}

function bytesToU64(b: Uint8Array): bigint {
  if (b.length !== 8) throw new DevnetStoreError('corrupt height record');
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** An opened chain directory: its block store, its state, and the head block they agree on. */
export interface OpenedChain {
  readonly store: BlockStore;
  readonly state: PersistentState;
  readonly tip: StoredBlock;
}

/**
 * Opens (or creates from the devnet genesis) the block store `blocks` and the state under
 * `dataDir`, checks the genesis is this devnet's, and moves the state head back to the stored
 * head when a crash left it one block ahead. `fail` makes the caller's error type.
 */
export async function openChainDir(dataDir: string, blocks: string, genesisTimestamp: bigint, fail: (message: string) => Error): Promise<OpenedChain> {
  await mkdir(dataDir, { recursive: true });
  const store = await BlockStore.open(join(dataDir, blocks), outputRootOf);
  let state: PersistentState | undefined;
  try {
    state = await openOrCreateState(join(dataDir, 'state'), devnetAlloc());
    const genesis = await sealedGenesis(state, genesisHeader(genesisTimestamp));
    const stored = await store.block(0n);
    if (stored === null) await store.update({ put: [{ ...genesis, derivedFrom: null }], l2Head: 0n });
    else if (!equalBytes(stored.hash, genesis.hash)) {
      throw fail(`${dataDir} holds another chain (genesis ${bytesToHex(stored.hash)}, expected ${bytesToHex(genesis.hash)})`);
    }
    const headNumber = (await store.l2Head()) ?? 0n;
    const tip = await store.block(headNumber);
    if (tip === null) throw fail(`head block ${headNumber} is missing from ${dataDir}`);
    // A crash between the state commit and the store write leaves the state one block ahead.
    const sh = state.head();
    if (sh === null || sh.blockNumber !== tip.number || !equalBytes(sh.stateRoot, tip.stateRoot)) await state.setHead(tip.number, tip.stateRoot);
    return { store, state, tip };
  } catch (e) {
    await state?.close();
    await store.close();
    throw e;
  }
}
