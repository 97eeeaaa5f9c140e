// Trace checkpoints on disk (level): every N steps, the state encoding and the preimages it can
// reach. The commitment or one-step proof of any step k is served by loading the checkpoint at or
// below k and re-executing at most N-1 steps, so a long trace is never held in memory.
import { Level } from 'level';
import { hexToBytes } from '../util/bytes.js';
import { executeStep, type StepResult } from './execute.js';
import { PreimageStore, RecordingPreimages } from './preimages.js';
import { commitmentOf, decodeStepState } from './state.js';
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

