// Checkpointed traces: the store is cut down to the live state every N steps and the checkpoints
// go to level on disk; any step's commitment and one-step proof are served from the nearest
// checkpoint and agree with a trace held entirely in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WitnessState } from '../vm/state/witness.js';
import { WorldState } from '../vm/state/world.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { TraceCheckpoints, CheckpointError } from '../vm/step/checkpoints.js';
import { verifyStep } from '../vm/step/execute.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { stepCount, storeFromWitness, traceTransaction } from '../vm/step/trace.js';
import { CONTRACT, asm, callTx, stateWith, stepBlockEnv } from './support/step-traces.js';

// 300 rounds of: mstore((i & 63) * 32, i); sstore(i & 7, i); log0 one word; i--.
const LOOP = asm(`
  61012c
  5b 80 603f 16 6020 02 81 90 52
     80 6007 16 81 90 55
     6020 6000 a0
     6001 90 03 80 6003 57 00`);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('checkpointed step traces', () => {
  it('serve every sampled step exactly as the in-memory trace, from a store bounded by the live state', async () => {
    const state = stateWith(LOOP);
    const run = (options = {}) => {
      const witness = fullWitness(state);
      const store = storeFromWitness(witness);
      const t = traceTransaction(store, witness, new WorldState(new WitnessState(witness)), stepBlockEnv('prague'), callTx(CONTRACT, new Uint8Array(), 5_000_000n), undefined, options);
      return { t, store };
    };
    const full = run();
    expect(full.t.outcome.success).toBe(true);
    const n = stepCount(full.t);
    expect(n).toBeGreaterThan(5000);

    const dir = mkdtempSync(join(tmpdir(), 'hv-cp-'));
    dirs.push(dir);
    const cps = new TraceCheckpoints(dir, 500);
    let largestLive = 0;
    const cut = run({ checkpointEvery: 500, onCheckpoint: (k: number, enc: Uint8Array, live: PreimageStore) => ((largestLive = Math.max(largestLive, live.size)), cps.add(k, enc, live)) });
    await cps.flush(n);
    // The same commitments, step for step.
    expect(cut.t.commitments.map(bytesToHex)).toEqual(full.t.commitments.map(bytesToHex));
    // What a checkpoint keeps is a small fraction of everything the trace created.
    expect(largestLive * 10).toBeLessThan(full.store.size);
    expect(cut.store.size).toBeLessThan(full.store.size / 5);

    for (const k of [0, 1, 499, 500, 501, 1234, n - 1]) {
      expect(bytesToHex(await cps.commitmentAt(k)), `step ${k}`).toBe(bytesToHex(full.t.commitments[k]!));
      const { witness, post } = await cps.witnessAt(k);
      expect(bytesToHex(post.commitment)).toBe(bytesToHex(full.t.commitments[k + 1]!));
      const verified = verifyStep(full.t.commitments[k]!, witness, new LayeredPreimages(PreimageStore.of(witness.preimages)));
      expect(bytesToHex(verified)).toBe(bytesToHex(full.t.commitments[k + 1]!));
    }
    expect(bytesToHex(await cps.commitmentAt(n))).toBe(bytesToHex(full.t.commitments[n]!));
    await expect(cps.commitmentAt(n + 1)).rejects.toBeInstanceOf(CheckpointError);
    await cps.close();
  }, 300_000);
});
