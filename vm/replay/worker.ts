// Piscina worker: replays one block per task. Each worker keeps its own RPC
// source (connections and caches are per thread).
import type { ChainRules } from '../chain/chain.js';
import { replayBlock, type BlockVerdict, type ReplayOptions } from './replay.js';
import { createRpcReplaySource } from './rpc-source.js';
import type { ReplaySource } from './source.js';

export interface ReplayTask {
  readonly rpcUrl: string;
  readonly chain: ChainRules;
  readonly number: bigint;
  readonly options?: ReplayOptions;
}

let cached: { url: string; source: ReplaySource } | null = null;

export default async function replayTask(task: ReplayTask): Promise<BlockVerdict> {
  if (cached === null || cached.url !== task.rpcUrl) cached = { url: task.rpcUrl, source: createRpcReplaySource(task.rpcUrl) };
  return replayBlock(cached.source, task.chain, task.number, task.options ?? {});
}
