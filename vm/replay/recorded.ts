// A recorded block range: everything replaying blocks [from, to] asked a
// ReplaySource for, captured once from a live source and served offline
// afterwards (benchmarks, worker threads, reproducible bug reports). The
// recording is a plain structured-cloneable value; saveRecordedRange and
// loadRecordedRange keep it as JSON with bigints and bytes in hex.
//
// Recording replays each block through a recording proxy: what a block needs
// beyond its witness (refetches after MissingStateError, anvil's zero-leaf
// answers, BLOCKHASH ancestors) is only known by executing it.
import { readFile, writeFile } from 'node:fs/promises';
import type { ChainRules } from '../chain/chain.js';
import { RpcMalformedError } from '../rpc/index.js';
import { MissingStateError } from '../state/backend.js';
import type { Address } from '../util/address.js';
import { bytesToHex, hexToBytes } from '../util/bytes.js';
import type { BlockHeader } from '../block/header.js';
import { replayBlock, type BlockVerdict, type ReplayOptions } from './replay.js';
import type { PreStateNodes, ReplaySource, SourceBlock, SourceReceipt } from './source.js';

/** One answer to `missing`: the state execution lacked, and the nodes that prove it. */
export interface RecordedMissing {
  readonly what: MissingStateError['what'];
  readonly address: Address;
  readonly slot: bigint | null;
  readonly nodes: PreStateNodes;
}

/** One answer to `zeroLeaves` (slot set) or `emptyAccountLeaves` (slot null). */
export interface RecordedLeaf {
  readonly address: Address;
  readonly slot: bigint | null;
  readonly kept: boolean;
}

export interface RecordedBlock {
  readonly number: bigint;
  readonly block: SourceBlock;
  readonly receipts: readonly SourceReceipt[];
  readonly preState: PreStateNodes;
  readonly missing: readonly RecordedMissing[];
  readonly leaves: readonly RecordedLeaf[];
}

export interface RecordedRange {
  readonly version: 1;
  readonly from: bigint;
  readonly to: bigint;
  /** The header of block from - 1 (its state root anchors the first witness). */
  readonly parent: { readonly header: BlockHeader; readonly hash: Uint8Array };
  /** Ascending, one per block from..to. */
  readonly blocks: readonly RecordedBlock[];
  /** Ancestor hashes BLOCKHASH asked for, ascending by number. */
  readonly blockHashes: readonly { readonly number: bigint; readonly hash: Uint8Array }[];
}

/** A saved recording that is not a RecordedRange (wrong version, shape or encoding). */
export class RecordedRangeFormatError extends Error {
  override readonly name = 'RecordedRangeFormatError';
}

const missingKey = (what: string, address: Address, slot: bigint | null | undefined): string => `${what}:${address}:${slot ?? ''}`;
const leafKey = (address: Address, slot: bigint | null): string => `${address}:${slot ?? ''}`;

// Offline, an absent block reads like a node that does not have it: the live
// source's parse error, so callers handle both sources alike.
const notRecorded = (method: string, n: bigint, r: { from: bigint; to: bigint }): RpcMalformedError =>
  new RpcMalformedError(method, `block ${n} not found (the recording covers ${r.from}..${r.to})`);

export interface RecordingResult {
  readonly range: RecordedRange;
  /** The verdicts of the recording replay itself (against the live source). */
  readonly verdicts: readonly BlockVerdict[];
}

/**
 * Replays blocks from..to against `source` and records every answer the
 * replay needed, plus each block's receipts (needed offline to name a
 * diverging transaction).
 */
export async function recordReplaySource(
  source: ReplaySource,
  chain: ChainRules,
  from: bigint,
  to: bigint,
  options: ReplayOptions = {},
): Promise<RecordingResult> {
  if (from < 1n) throw new RangeError('block 0 is genesis: a recording starts at block 1 or later');
  if (to < from) throw new RangeError(`empty range ${from}..${to}`);
  const parent = await source.header(from - 1n);
  const blocks: RecordedBlock[] = [];
  const verdicts: BlockVerdict[] = [];
  const hashes = new Map<bigint, Uint8Array>();
  for (let n = from; n <= to; n++) {
    let block: SourceBlock | null = null;
    let preState: PreStateNodes | null = null;
    const missing: RecordedMissing[] = [];
    const leaves = new Map<string, RecordedLeaf>();
    const recorder: ReplaySource = {
      async block(k) {
        const b = await source.block(k);
        if (k === n) block = b;
        return b;
      },
      header: (k) => source.header(k),
      receipts: (k) => source.receipts(k),
      async preState(k) {
        const p = await source.preState(k);
        if (k === n) preState = p;
        return p;
      },
      async missing(k, err) {
        const more = await source.missing(k, err);
        if (k === n) missing.push({ what: err.what, address: err.address, slot: err.slot ?? null, nodes: more });
        return more;
      },
      async blockHashes(numbers) {
        const got = await source.blockHashes(numbers);
        for (const [k, h] of got) hashes.set(k, h);
        return got;
      },
    };
    if (source.zeroLeaves !== undefined) {
      const zeroLeaves = source.zeroLeaves.bind(source);
      recorder.zeroLeaves = async (k, candidates) => {
        const kept = await zeroLeaves(k, candidates);
        if (k === n) {
          for (const [address, slots] of candidates) {
            for (const slot of slots) leaves.set(leafKey(address, slot), { address, slot, kept: kept.get(address)?.has(slot) ?? false });
          }
        }
        return kept;
      };
    }
    if (source.emptyAccountLeaves !== undefined) {
      const emptyAccountLeaves = source.emptyAccountLeaves.bind(source);
      recorder.emptyAccountLeaves = async (k, candidates) => {
        const kept = await emptyAccountLeaves(k, candidates);
        if (k === n) for (const address of candidates) leaves.set(leafKey(address, null), { address, slot: null, kept: kept.has(address) });
        return kept;
      };
    }
    verdicts.push(await replayBlock(recorder, chain, n, options));
    // A block rejected before execution (bad header hash) never asked for its witness.
    block ??= await source.block(n);
    preState ??= await source.preState(n);
    blocks.push({ number: n, block, receipts: await source.receipts(n), preState, missing, leaves: [...leaves.values()] });
  }
  const blockHashes = [...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([number, hash]) => ({ number, hash }));
  return { range: { version: 1, from, to, parent: { header: parent.header, hash: parent.hash }, blocks, blockHashes }, verdicts };
}

/** Serves a recording with no network. Anything not recorded raises the typed error the live path would. */
export function recordedSource(recorded: RecordedRange): ReplaySource {
  const blocks = new Map<bigint, RecordedBlock>();
  const missing = new Map<string, PreStateNodes>();
  const leaves = new Map<string, Map<string, boolean>>();
  for (const b of recorded.blocks) {
    blocks.set(b.number, b);
    for (const m of b.missing) missing.set(`${b.number}/${missingKey(m.what, m.address, m.slot)}`, m.nodes);
    leaves.set(String(b.number), new Map(b.leaves.map((l) => [leafKey(l.address, l.slot), l.kept])));
  }
  const hashes = new Map<bigint, Uint8Array>(recorded.blockHashes.map((h) => [h.number, h.hash]));
  hashes.set(recorded.from - 1n, recorded.parent.hash);
  for (const b of recorded.blocks) hashes.set(b.number, b.block.hash);
  const get = (method: string, n: bigint): RecordedBlock => {
    const b = blocks.get(n);
    if (b === undefined) throw notRecorded(method, n, recorded);
    return b;
  };
  const leafOf = (n: bigint, address: Address, slot: bigint | null): boolean => {
    const kept = leaves.get(String(n))?.get(leafKey(address, slot));
    // The live source would ask the node; offline the question has no answer.
    if (kept === undefined) throw slot === null ? new MissingStateError('account', address) : new MissingStateError('storage', address, slot);
    return kept;
  };
  return {
    async block(n) {
      return get('eth_getBlockByNumber', n).block;
    },
    async header(n) {
      if (n === recorded.from - 1n) return recorded.parent;
      const b = get('eth_getBlockByNumber', n).block;
      return { header: b.header, hash: b.hash };
    },
    async receipts(n) {
      return get('eth_getBlockReceipts', n).receipts;
    },
    async preState(n) {
      return get('eth_getBlockByNumber', n).preState;
    },
    async missing(n, err) {
      get('eth_getBlockByNumber', n);
      const nodes = missing.get(`${n}/${missingKey(err.what, err.address, err.slot)}`);
      // Execution went somewhere the recorded run did not: the witness stays short.
      if (nodes === undefined) throw err;
      return nodes;
    },
    async zeroLeaves(n, candidates) {
      get('eth_getProof', n);
      const out = new Map<Address, Set<bigint>>();
      for (const [address, slots] of candidates) {
        for (const slot of slots) {
          if (!leafOf(n, address, slot)) continue;
          let set = out.get(address);
          if (set === undefined) out.set(address, (set = new Set()));
          set.add(slot);
        }
      }
      return out;
    },
    async emptyAccountLeaves(n, candidates) {
      get('eth_getProof', n);
      return new Set(candidates.filter((a) => leafOf(n, a, null)));
    },
    async blockHashes(numbers) {
      const out = new Map<bigint, Uint8Array>();
      for (const n of numbers) {
        const h = hashes.get(n);
        if (h === undefined) throw notRecorded('eth_getBlockByNumber', n, recorded);
        out.set(n, h);
      }
      return out;
    },
  };
}

/** The blocks from..to of a recording, as a recording of their own (for handing slices to workers). */
export function sliceRecordedRange(recorded: RecordedRange, from: bigint, to: bigint): RecordedRange {
  if (from < recorded.from || to > recorded.to || to < from) throw new RangeError(`${from}..${to} is not inside the recording ${recorded.from}..${recorded.to}`);
  const blocks = recorded.blocks.filter((b) => b.number >= from && b.number <= to);
  const before = recorded.blocks.find((b) => b.number === from - 1n);
  const parent = before === undefined ? recorded.parent : { header: before.block.header, hash: before.block.hash };
  // Hashes of recorded blocks before the slice may serve BLOCKHASH in it.
  const hashes = new Map<bigint, Uint8Array>(recorded.blockHashes.map((h) => [h.number, h.hash]));
  hashes.set(recorded.from - 1n, recorded.parent.hash);
  for (const b of recorded.blocks) if (b.number < from) hashes.set(b.number, b.block.hash);
  const blockHashes = [...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([number, hash]) => ({ number, hash }));
  return { version: 1, from, to, parent, blocks, blockHashes };
}

// ---- JSON -----------------------------------------------------------------
// Tagged values keep the round trip exact: {"$bytes":"0x.."} and {"$bigint":"0x.."}
// (addresses are strings already and stay strings).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toJson(v: unknown): Json {
  if (v instanceof Uint8Array) return { $bytes: bytesToHex(v) };
  if (typeof v === 'bigint') return { $bigint: '0x' + v.toString(16) };
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  throw new TypeError(`cannot encode a ${typeof v} in a recording`);
}

function fromJson(v: Json, at: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => fromJson(x, `${at}[${i}]`));
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && (keys[0] === '$bytes' || keys[0] === '$bigint')) {
    const hex = v[keys[0]];
    if (typeof hex !== 'string' || !/^0x[0-9a-f]*$/i.test(hex)) throw new RecordedRangeFormatError(`${at}: ${keys[0]} is not hex`);
    return keys[0] === '$bytes' ? hexToBytes(hex) : BigInt(hex);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromJson(v[k]!, `${at}.${k}`);
  return out;
}

export function encodeRecordedRange(recorded: RecordedRange): string {
  return JSON.stringify(toJson(recorded));
}

/** Parses and checks the shape of a recording (values are checked by replaying it). */
export function decodeRecordedRange(text: string): RecordedRange {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw new RecordedRangeFormatError(`not JSON: ${(e as Error).message}`);
  }
  const r = fromJson(json, '$') as Partial<RecordedRange> | null;
  if (r === null || typeof r !== 'object' || r.version !== 1) throw new RecordedRangeFormatError('not a version 1 recording');
  if (typeof r.from !== 'bigint' || typeof r.to !== 'bigint' || r.to < r.from) throw new RecordedRangeFormatError('from/to are not an ordered pair of numbers');
  if (!Array.isArray(r.blocks) || BigInt(r.blocks.length) !== r.to - r.from + 1n) throw new RecordedRangeFormatError(`expected ${r.to - r.from + 1n} blocks`);
  if (!Array.isArray(r.blockHashes) || r.parent === undefined || !(r.parent.hash instanceof Uint8Array)) throw new RecordedRangeFormatError('missing parent or blockHashes');
  r.blocks.forEach((b, i) => {
    const ok =
      b !== null &&
      typeof b === 'object' &&
      b.number === r.from! + BigInt(i) &&
      b.block?.header?.number === b.number &&
      b.block.hash instanceof Uint8Array &&
      Array.isArray(b.block.transactions) &&
      b.block.transactions.every((t: unknown) => t instanceof Uint8Array) &&
      Array.isArray(b.preState?.nodes) &&
      Array.isArray(b.preState.codes) &&
      Array.isArray(b.receipts) &&
      Array.isArray(b.missing) &&
      Array.isArray(b.leaves);
    if (!ok) throw new RecordedRangeFormatError(`block entry ${i} is malformed`);
  });
  return r as RecordedRange;
}

export async function saveRecordedRange(path: string, recorded: RecordedRange): Promise<void> {
  await writeFile(path, encodeRecordedRange(recorded) + '\n');
}

export async function loadRecordedRange(path: string): Promise<RecordedRange> {
  return decodeRecordedRange(await readFile(path, 'utf8'));
}
