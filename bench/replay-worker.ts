// Piscina worker of the replay bench: replays one slice of a recorded range
// offline with MetisVM or the @ethereumjs/vm reference and returns the timed
// total. The slice arrives structured-cloned; nothing here touches a network.
import { threadId } from 'node:worker_threads';
import type { ChainRules } from '../vm/chain/chain.js';
import type { RecordedRange } from '../vm/replay/recorded.js';
import { replayRecordedMetis, replayRecordedReference, type ReplayRun } from './replay.js';

export interface ReplayWorkerTask {
  readonly engine: 'metisvm' | 'ethereumjs';
  readonly range: RecordedRange;
  readonly chain: ChainRules;
}

export interface ReplayWorkerResult extends ReplayRun {
  /** Which thread ran it, so the bench can add up each worker's busy time. */
  readonly threadId: number;
}

export default async function replayWorkerTask(task: ReplayWorkerTask): Promise<ReplayWorkerResult> {
  const run = task.engine === 'metisvm' ? await replayRecordedMetis(task.range, task.chain) : await replayRecordedReference(task.range, task.chain);
  return { ...run, threadId };
}
