// Trace checkpoints on disk (level): every N steps, the state encoding and the preimages it can
// reach. The commitment or one-step proof of any step k is served by loading the checkpoint at or
// below k and re-executing at most N-1 steps, so a long trace is never held in memory.
// TraceCheckpoints keeps a transaction-only trace; BlockCheckpoints a whole block's trace
// (traceBlockSteps), with its local context and every commitment.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Level } from 'level';
import { bytesToHex, equalBytes, hexToBytes } from '../util/bytes.js';
import { blockLocalContext, traceBlockSteps, type BlockStepTrace, type BlockStepsInput, type BlockStepsOptions } from './block-steps.js';
import { BOOT_STATE, type LocalContext } from './boundary.js';
import { reachablePreimages } from './reachable.js';
import { keccak256 } from '../util/hash.js';
import { executeStep, type StepResult } from './execute.js';
import { PreimageStore, RecordingPreimages } from './preimages.js';
import { commitmentOf, decodeStepState, encodeStepState, type VmStatus } from './state.js';
import type { StepWitness } from './trace.js';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

const key = (k: number): string => `cp:${k.toString().padStart(12, '0')}`;

/** Length-prefixed concatenation of byte strings (4-byte big-endian lengths). */
function pack(items: Iterable<Uint8Array>): Uint8Array {
  const list = [...items];
  const total = list.reduce((n, x) => n + 4 + x.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const x of list) {
    view.setUint32(o, x.length);
    out.set(x, o + 4);
    o += 4 + x.length;
  }
  return out;
}

function unpack(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o < bytes.length; ) {
    if (o + 4 > bytes.length) throw new CheckpointError('truncated checkpoint record');
    const n = view.getUint32(o);
    if (o + 4 + n > bytes.length) throw new CheckpointError('truncated checkpoint record');
    out.push(bytes.slice(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}

export class TraceCheckpoints {
  private readonly db: Level<string, Uint8Array>;
  private readonly pending: Promise<void>[] = [];
  private readonly steps: number[] = [];
  private lastStep = -1;

  constructor(
    readonly path: string,
    readonly every: number,
  ) {
    if (!Number.isInteger(every) || every < 1) throw new CheckpointError(`checkpoint interval must be a positive integer, got ${every}`);
    this.db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  }

  /** Records a checkpoint (the trace calls this synchronously; writes complete in `flush`). */
  add(step: number, encoding: Uint8Array, live: PreimageStore): void {
    this.steps.push(step);
    // The first item is the state encoding, then every live preimage.
    this.pending.push(this.db.put(key(step), pack([encoding, ...live.map.values()])));
  }

  /** Waits for every write, and records how many steps the trace has. */
  async flush(totalSteps: number): Promise<void> {
    await Promise.all(this.pending);
    this.pending.length = 0;
    this.lastStep = totalSteps;
    await this.db.put('meta:steps', hexToBytes('0x' + totalSteps.toString(16).padStart(16, '0')));
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async load(k: number): Promise<{ step: number; encoding: Uint8Array; store: PreimageStore }> {
    const step = Math.floor(k / this.every) * this.every;
    const raw = await this.db.get(key(step));
    if (raw === undefined) throw new CheckpointError(`no checkpoint at step ${step} (for step ${k})`);
    const [encoding, ...preimages] = unpack(raw);
    if (encoding === undefined) throw new CheckpointError(`empty checkpoint at step ${step}`);
    return { step, encoding, store: PreimageStore.of(preimages) };
  }

  /** The state encoding before step k and a store holding what it can reach. */
  async stateAt(k: number): Promise<{ encoding: Uint8Array; store: PreimageStore }> {
    if (this.lastStep >= 0 && (k < 0 || k > this.lastStep)) throw new CheckpointError(`step ${k} is outside the trace (0..${this.lastStep})`);
    const cp = await this.load(k);
    let enc = cp.encoding;
    for (let i = cp.step; i < k; i++) enc = executeStep(enc, cp.store).encoding;
    return { encoding: enc, store: cp.store };
  }

  async commitmentAt(k: number): Promise<Uint8Array> {
    const { encoding } = await this.stateAt(k);
    return commitmentOf(encoding, decodeStepState(encoding).status);
  }

  /** The one-step proof of step k, and the post-state it proves. */
  async witnessAt(k: number): Promise<{ witness: StepWitness; post: StepResult }> {
    const { encoding, store } = await this.stateAt(k);
    const rec = new RecordingPreimages(store);
    const post = executeStep(encoding, rec);
    return { witness: { step: k, state: encoding, preimages: rec.witness() }, post };
  }
}

// ---- whole-block traces ---------------------------------------------------------------------

/** Commitments per level record: one read serves any step in the chunk (32 KiB). */
const CHUNK = 1024;
const FORMAT = 1;
const chunkKey = (c: number): string => `cm:${c.toString().padStart(10, '0')}`;

interface BlockMeta {
  readonly format: number;
  readonly every: number;
  readonly steps: number;
  readonly status: VmStatus;
  readonly outputRoot: string;
  readonly local: {
    readonly startingOutputRoot: string;
    readonly disputedOutputRoot: string;
    readonly l2BlockNumber: string;
    readonly startingBlockNumber: string;
    readonly inputsHash: string;
  };
}

/** What a finished block trace is, as its checkpoints record it. */
export interface BlockCheckpointSummary {
  readonly every: number;
  /** Steps in the trace: commitments run from 0 (the absolute prestate) to `steps` (the final state). */
  readonly steps: number;
  readonly status: VmStatus;
  readonly outputRoot: Uint8Array;
  readonly local: LocalContext;
}

function hex32(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-f]{64}$/.test(v)) throw new CheckpointError(`checkpoint metadata: ${what} is not a 32-byte hex string`);
  return hexToBytes(v as `0x${string}`);
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CheckpointError(`checkpoint metadata: ${what} is not a non-negative integer`);
  return v;
}

function decimal(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw new CheckpointError(`checkpoint metadata: ${what} is not a decimal integer`);
  return BigInt(v);
}

function parseMeta(raw: Uint8Array): BlockCheckpointSummary {
  let m: Partial<BlockMeta>;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as Partial<BlockMeta>;
  } catch {
    throw new CheckpointError('checkpoint metadata is not JSON');
  }
  if (m.format !== FORMAT) throw new CheckpointError(`checkpoint metadata format ${String(m.format)}, expected ${FORMAT}`);
  const every = uint(m.every, 'every');
  if (every < 1) throw new CheckpointError('checkpoint metadata: every is 0');
  const status = uint(m.status, 'status');
  if (status > 3) throw new CheckpointError(`checkpoint metadata: status ${status}`);
  const l = m.local;
  if (typeof l !== 'object' || l === null) throw new CheckpointError('checkpoint metadata: no local context');
  return {
    every,
    steps: uint(m.steps, 'steps'),
    status: status as VmStatus,
    outputRoot: hex32(m.outputRoot, 'outputRoot'),
    local: {
      startingOutputRoot: hex32(l.startingOutputRoot, 'startingOutputRoot'),
      disputedOutputRoot: hex32(l.disputedOutputRoot, 'disputedOutputRoot'),
      l2BlockNumber: decimal(l.l2BlockNumber, 'l2BlockNumber'),
      startingBlockNumber: decimal(l.startingBlockNumber, 'startingBlockNumber'),
      inputsHash: hex32(l.inputsHash, 'inputsHash'),
    },
  };
}

function metaOf(t: BlockStepTrace, every: number): BlockMeta {
  return {
    format: FORMAT,
    every,
    steps: t.steps,
    status: t.status,
    outputRoot: bytesToHex(t.outputRoot),
    local: {
      startingOutputRoot: bytesToHex(t.local.startingOutputRoot),
      disputedOutputRoot: bytesToHex(t.local.disputedOutputRoot),
      l2BlockNumber: t.local.l2BlockNumber.toString(),
      startingBlockNumber: t.local.startingBlockNumber.toString(),
      inputsHash: bytesToHex(t.local.inputsHash),
    },
  };
}

/**
 * What the block-start step reads through the local context: the starting output's preimage, the
 * parent state it names (tries, storage, code, as far as `store` holds them) and the block's
 * inputs record with its header template, context and transactions.
 */
export function localContextPreimages(store: PreimageStore, local: LocalContext): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const output = store.get(bytesToHex(local.startingOutputRoot));
  if (output === undefined) return out;
  out.set(bytesToHex(local.startingOutputRoot), output);
  // Past the game's block nothing runs and the inputs are never read.
  if (local.l2BlockNumber <= local.startingBlockNumber) return out;
  const probe = encodeStepState({
    ...BOOT_STATE,
    worldRoot: output.length === 128 ? output.slice(32, 64) : BOOT_STATE.worldRoot,
    inputsHash: store.has(bytesToHex(local.inputsHash)) ? local.inputsHash : BOOT_STATE.inputsHash,
  });
  const probeKey = bytesToHex(keccak256(probe));
  for (const [h, v] of reachablePreimages(probe, store).map) if (h !== probeKey) out.set(h, v);
  return out;
}

/** A step's failure while re-executing from a checkpoint means the checkpoint is not what was traced. */
function reexecute<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${what}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The level-backed checkpoints of one block trace. Recording: `BlockCheckpoints.create`, pass
 * `traceOptions()` to traceBlockSteps, then `finish(trace)`. Serving: `BlockCheckpoints.open`.
 * Every answer is checked against the stored commitments, so a damaged record is a
 * CheckpointError rather than a wrong commitment or proof.
 */
export class BlockCheckpoints {
  private meta: BlockCheckpointSummary | null = null;
  // The trace runs synchronously, so level writes could not complete until it ends and every
  // checkpoint would sit in memory; they are appended to a spill file and moved into level by finish.
  private spill: { path: string; fd: number; count: number } | null = null;
  // The commitments too, so a trace of millions of steps never holds them in memory.
  private commitmentSpill: { path: string; fd: number; count: number; buffer: Uint8Array; used: number } | null = null;
  private chunkCache: { index: number; bytes: Uint8Array } | null = null;

  private constructor(
    readonly path: string,
    private readonly db: Level<string, Uint8Array>,
    private readonly recordEvery: number,
  ) {}

  /** An empty store at `path` (anything there is cleared) to record a trace checkpointed every `every` steps. */
  static async create(path: string, every: number): Promise<BlockCheckpoints> {
    if (!Number.isInteger(every) || every < 1) throw new CheckpointError(`checkpoint interval must be a positive integer, got ${every}`);
    const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
    await db.open();
    await db.clear();
    const cps = new BlockCheckpoints(path, db, every);
    const spillPath = `${resolve(path)}.spill`;
    cps.spill = { path: spillPath, fd: openSync(spillPath, 'w'), count: 0 };
    const cmPath = `${resolve(path)}.commitments`;
    cps.commitmentSpill = { path: cmPath, fd: openSync(cmPath, 'w+'), count: 0, buffer: new Uint8Array(CHUNK * 32), used: 0 };
    return cps;
  }

  /** A finished store, to serve commitments and proofs. */
  static async open(path: string): Promise<BlockCheckpoints> {
    const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view', createIfMissing: false });
    try {
      await db.open();
    } catch (e) {
      throw new CheckpointError(`cannot open checkpoints at ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const raw = await db.get('meta');
      if (raw === undefined) throw new CheckpointError(`${path} holds no finished block trace`);
      const cps = new BlockCheckpoints(path, db, 0);
      cps.meta = parseMeta(raw);
      return cps;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /**
   * The options that make traceBlockSteps checkpoint into this store. `local` is the trace's
   * local context (blockLocalContext), filed in the trace's store before it starts.
   */
  traceOptions(store: PreimageStore, local: LocalContext): Required<Pick<BlockStepsOptions, 'checkpointEvery' | 'onCheckpoint' | 'onCommitment' | 'keepCommitments'>> {
    return {
      checkpointEvery: this.recordEvery,
      keepCommitments: false,
      onCommitment: (k, c) => this.addCommitment(k, c),
      onCheckpoint: (k, enc, live) => {
        // Before block start no state reaches the block's inputs or the parent state, yet the
        // block-start step reads them: the checkpoint keeps them, and so does the trace, which
        // cuts its store down to `live` once this returns.
        if (k === 0) for (const [h, v] of localContextPreimages(store, local)) live.map.set(h, v);
        this.add(k, enc, live);
      },
    };
  }

  /** Appends commitment k to the commitment spill (in chunk-sized writes). */
  addCommitment(k: number, commitment: Uint8Array): void {
    const cs = this.commitmentSpill;
    if (cs === null) throw new CheckpointError('this store is not recording');
    if (k !== cs.count) throw new CheckpointError(`commitment ${k} arrived after ${cs.count} commitments`);
    cs.buffer.set(commitment, cs.used);
    cs.used += 32;
    cs.count++;
    if (cs.used === cs.buffer.length) this.flushCommitments();
  }

  private flushCommitments(): void {
    const cs = this.commitmentSpill!;
    if (cs.used > 0) writeSync(cs.fd, cs.buffer, 0, cs.used);
    cs.used = 0;
  }

  /** Records a checkpoint: the state encoding, then every live preimage (the local context's among them). */
  add(step: number, encoding: Uint8Array, live: PreimageStore): void {
    const sp = this.spill;
    if (sp === null) throw new CheckpointError('this store is not recording');
    if (step % this.recordEvery !== 0) throw new CheckpointError(`step ${step} is not a multiple of the interval ${this.recordEvery}`);
    const record = pack([encoding, ...live.map.values()]);
    const head = new Uint8Array(12);
    const view = new DataView(head.buffer);
    view.setUint32(0, Math.floor(step / 2 ** 32));
    view.setUint32(4, step >>> 0);
    view.setUint32(8, record.length);
    writeSync(sp.fd, head);
    writeSync(sp.fd, record);
    sp.count++;
  }

  /**
   * Stores the finished trace: its checkpoints (checked against its commitments), every
   * commitment in chunks, and the metadata that makes the store servable.
   */
  async finish(trace: BlockStepTrace): Promise<BlockCheckpointSummary> {
    const sp = this.spill;
    const cs = this.commitmentSpill;
    if (sp === null || cs === null) throw new CheckpointError('this store is not recording');
    this.spill = null;
    this.commitmentSpill = null;
    closeSync(sp.fd);
    try {
      this.commitmentSpill = cs;
      this.flushCommitments();
      this.commitmentSpill = null;
      const steps = trace.steps;
      // The trace kept its commitments (recorded without traceOptions' streaming) or streamed them here.
      const kept = trace.commitments.length === steps + 1;
      if (!kept && cs.count !== steps + 1) throw new CheckpointError(`recorded ${cs.count} commitments, a ${steps}-step trace has ${steps + 1} (was the trace run with these options?)`);
      const commitmentsIn = (from: number, to: number): Uint8Array => {
        const bytes = new Uint8Array((to - from) * 32);
        if (kept) trace.commitments.slice(from, to).forEach((x, i) => bytes.set(x, i * 32));
        else if (readSync(cs.fd, bytes, 0, bytes.length, from * 32) !== bytes.length) throw new CheckpointError('truncated commitment spill file');
        return bytes;
      };
      const expected = Math.floor(steps / this.recordEvery) + 1;
      if (sp.count !== expected) throw new CheckpointError(`recorded ${sp.count} checkpoints, a ${steps}-step trace every ${this.recordEvery} has ${expected}`);
      await this.importSpill(sp.path, (step) => commitmentsIn(step, step + 1));
      for (let c = 0; c * CHUNK <= steps; c++) {
        const part = commitmentsIn(c * CHUNK, Math.min((c + 1) * CHUNK, steps + 1));
        // The chunk's own hash follows it: a commitment cannot be re-derived without re-executing.
        const bytes = new Uint8Array(part.length + 32);
        bytes.set(part);
        bytes.set(keccak256(part), part.length);
        await this.db.put(chunkKey(c), bytes);
      }
      // Written last: a store without it was never finished and does not open.
      const meta = new TextEncoder().encode(JSON.stringify(metaOf(trace, this.recordEvery)));
      await this.db.put('meta', meta);
      this.meta = parseMeta(meta);
      return this.meta;
    } finally {
      rmSync(sp.path, { force: true });
      closeSync(cs.fd);
      rmSync(cs.path, { force: true });
    }
  }

  private async importSpill(path: string, commitmentAt: (step: number) => Uint8Array): Promise<void> {
    const fd = openSync(path, 'r');
    try {
      const head = new Uint8Array(12);
      const view = new DataView(head.buffer);
      for (let pos = 0, i = 0; ; i++) {
        const got = readSync(fd, head, 0, 12, pos);
        if (got === 0) break;
        if (got !== 12) throw new CheckpointError('truncated checkpoint spill file');
        const step = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
        const record = new Uint8Array(view.getUint32(8));
        if (readSync(fd, record, 0, record.length, pos + 12) !== record.length) throw new CheckpointError('truncated checkpoint spill file');
        pos += 12 + record.length;
        if (step !== i * this.recordEvery) throw new CheckpointError(`checkpoint ${i} is at step ${step}, expected ${i * this.recordEvery}`);
        const encoding = unpack(record)[0];
        const want = commitmentAt(step);
        if (encoding === undefined || !equalBytes(commitmentOf(encoding, decodeStepState(encoding).status), want)) {
          throw new CheckpointError(`the checkpoint at step ${step} is not the trace's state there (was the trace run with these options?)`);
        }
        await this.db.put(key(step), record);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The finished trace's interval, length, outcome and local context. */
  get summary(): BlockCheckpointSummary {
    if (this.meta === null) throw new CheckpointError('the trace is not finished');
    return this.meta;
  }

  async close(): Promise<void> {
    for (const sp of [this.spill, this.commitmentSpill]) {
      if (sp === null) continue;
      closeSync(sp.fd);
      rmSync(sp.path, { force: true });
    }
    this.spill = null;
    this.commitmentSpill = null;
    await this.db.close();
  }

  /** The commitment to the state before step k (k = steps: the final state), read from the stored list. */
  async commitmentAt(k: number): Promise<Uint8Array> {
    const m = this.summary;
    if (!Number.isInteger(k) || k < 0 || k > m.steps) throw new CheckpointError(`step ${k} is outside the trace (0..${m.steps})`);
    const c = Math.floor(k / CHUNK);
    let chunk = this.chunkCache?.index === c ? this.chunkCache.bytes : undefined;
    if (chunk === undefined) {
      chunk = await this.db.get(chunkKey(c));
      const want = (Math.min((c + 1) * CHUNK, m.steps + 1) - c * CHUNK) * 32;
      if (chunk === undefined || chunk.length !== want + 32) throw new CheckpointError(`commitment record ${c} is ${chunk === undefined ? 'missing' : `${chunk.length} bytes, expected ${want + 32}`}`);
      if (!equalBytes(keccak256(chunk.subarray(0, want)), chunk.subarray(want))) throw new CheckpointError(`commitment record ${c} does not match its hash`);
      this.chunkCache = { index: c, bytes: chunk };
    }
    const o = (k - c * CHUNK) * 32;
    return chunk.slice(o, o + 32);
  }

  /** The state encoding before step k, re-executed from the nearest checkpoint, and a store holding what it can reach. */
  async stateAt(k: number): Promise<{ encoding: Uint8Array; store: PreimageStore }> {
    const m = this.summary;
    if (!Number.isInteger(k) || k < 0 || k > m.steps) throw new CheckpointError(`step ${k} is outside the trace (0..${m.steps})`);
    const at = Math.floor(k / m.every) * m.every;
    const raw = await this.db.get(key(at));
    if (raw === undefined) throw new CheckpointError(`no checkpoint at step ${at} (for step ${k})`);
    const [encoding, ...preimages] = unpack(raw);
    if (encoding === undefined) throw new CheckpointError(`empty checkpoint at step ${at}`);
    const cpCommitment = reexecute(`checkpoint at step ${at}`, () => commitmentOf(encoding, decodeStepState(encoding).status));
    if (!equalBytes(cpCommitment, await this.commitmentAt(at))) throw new CheckpointError(`the checkpoint at step ${at} does not hold the trace's state there`);
    // Preimages are re-hashed on load, so a damaged one is simply missing when a step needs it.
    const store = PreimageStore.of(preimages);
    let enc = encoding;
    reexecute(`re-executing from the checkpoint at step ${at}`, () => {
      for (let i = at; i < k; i++) enc = executeStep(enc, store, m.local).encoding;
    });
    if (k > at && !equalBytes(commitmentOf(enc, decodeStepState(enc).status), await this.commitmentAt(k))) {
      throw new CheckpointError(`re-executing from the checkpoint at step ${at} does not reach the trace's state at step ${k}`);
    }
    return { encoding: enc, store };
  }

  /** The commitment at step k recomputed from the nearest checkpoint (and checked against the stored one). */
  async recomputedCommitmentAt(k: number): Promise<Uint8Array> {
    const { encoding } = await this.stateAt(k);
    return commitmentOf(encoding, decodeStepState(encoding).status);
  }

  /** The one-step proof of step k (verifiable with verifyStep and the local context alone), and the post-state it proves. */
  async witnessAt(k: number): Promise<{ witness: StepWitness; post: StepResult }> {
    const m = this.summary;
    if (!Number.isInteger(k) || k < 0 || k >= m.steps) throw new CheckpointError(`step ${k} has no proof: the trace's steps are 0..${m.steps - 1}`);
    const { encoding, store } = await this.stateAt(k);
    const rec = new RecordingPreimages(store);
    const post = reexecute(`proving step ${k}`, () => executeStep(encoding, rec, m.local));
    if (!equalBytes(post.commitment, await this.commitmentAt(k + 1))) throw new CheckpointError(`step ${k} proves ${bytesToHex(post.commitment)}, the trace holds another post-state`);
    return { witness: { step: k, state: encoding, preimages: rec.witness() }, post };
  }
}

/**
 * Traces the block over `store` (see traceBlockSteps) into checkpoints every `every` steps at
 * `path`, and returns the store, ready to serve. The trace itself is dropped once stored.
 */
export async function recordBlockTrace(
  store: PreimageStore,
  input: BlockStepsInput,
  path: string,
  every: number,
  options: Pick<BlockStepsOptions, 'onProgress' | 'progressEvery'> = {},
): Promise<BlockCheckpoints> {
  const cps = await BlockCheckpoints.create(path, every);
  try {
    await cps.finish(traceBlockSteps(store, input, { ...options, ...cps.traceOptions(store, blockLocalContext(store, input)) }));
    return cps;
  } catch (e) {
    await cps.close();
    throw e;
  }
}
