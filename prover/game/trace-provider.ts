// Trace providers: what an honest player believes the claim at each position should be.
// A TraceProvider answers for positions relative to its own root; a TraceAccessor answers for
// positions in a game, picking (and creating) the provider from the claims around them, as
// op-challenger's split provider does for execution subgames.
import { Position } from './position.js';
import { ancestorAtDepth, ancestorWithTraceIndex, outputBlockAt } from './tree.js';
import type { Claim, GameParams, GameView, Hex } from './types.js';

export class TraceProviderError extends Error {
  override readonly name: string = 'TraceProviderError';
}

/** What a step needs: the pre-state's preimage and the VM's proof of the one instruction. */
export interface StepData {
  readonly preState: Uint8Array;
  readonly proof: Uint8Array;
}

export interface TraceProvider {
  /** The claim at `position` (relative to this provider's root). */
  get(position: Position): Promise<Hex>;
  /** Pre-state and proof of the step at `position`'s trace index (the state before that index). */
  getStepData(position: Position): Promise<StepData>;
  /** Commitment to the state the trace starts from. */
  absolutePrestateHash(): Promise<Hex>;
  /** Releases what the provider holds open (a trace's level store); idempotent. */
  close?(): Promise<void>;
}

/** A provider for positions in a game, given the claim being responded to (`ref`). */
export interface TraceAccessor {
  get(game: GameView, ref: Claim, position: Position): Promise<Hex>;
  getStepData(game: GameView, ref: Claim, position: Position): Promise<StepData>;
  /** Releases every provider it created; called before the game's data dir is removed. */
  close?(): Promise<void>;
}

/** A game with one trace from root to leaves (no split). */
export function simpleTraceAccessor(provider: TraceProvider): TraceAccessor {
  return {
    get: (_game, _ref, position) => provider.get(position),
    getStepData: (_game, _ref, position) => provider.getStepData(position),
  };
}

/** The top half: output roots by L2 block, leaf i at block anchor + i + 1 (capped at the game's block). */
export class OutputRootTraceProvider implements TraceProvider {
  constructor(
    private readonly params: Pick<GameParams, 'startingBlockNumber' | 'startingOutputRoot' | 'l2BlockNumber' | 'splitDepth'>,
    private readonly outputAtBlock: (block: bigint) => Promise<Hex>,
  ) {}

  blockAt(position: Position): bigint {
    if (position.depth > this.params.splitDepth) {
      throw new TraceProviderError(`output position depth ${position.depth} is below the split depth ${this.params.splitDepth}`);
    }
    return outputBlockAt(this.params, position);
  }

  get(position: Position): Promise<Hex> {
    return this.outputAtBlock(this.blockAt(position));
  }

  getStepData(): Promise<StepData> {
    return Promise.reject(new TraceProviderError('output roots are not stepped; steps happen in execution subgames'));
  }

  absolutePrestateHash(): Promise<Hex> {
    return Promise.resolve(this.params.startingOutputRoot);
  }
}

/** The output-root claims an execution subgame runs between, and their blocks. */
export interface ExecSubgame {
  /** Depth of the execution trace tree (maxGameDepth - splitDepth - 1). */
  readonly depth: number;
  /** The agreed output's claim; undefined when it is the anchor. */
  readonly pre: Claim | undefined;
  /** The disputed output's claim. */
  readonly post: Claim;
  readonly preOutputRoot: Hex;
  readonly postOutputRoot: Hex;
  readonly preBlock: bigint;
  readonly postBlock: bigint;
}

export type ExecProviderCreator = (subgame: ExecSubgame) => Promise<TraceProvider>;

/**
 * Split game: positions at or above the split depth go to the output-root provider; below it,
 * to an execution trace provider for the subgame under the split-depth ancestor of `ref`,
 * created once per (pre, post) pair.
 */
export class SplitTraceAccessor implements TraceAccessor {
  private readonly bottoms = new Map<string, Promise<TraceProvider>>();

  constructor(
    private readonly top: TraceProvider,
    private readonly createBottom: ExecProviderCreator,
  ) {}

  async get(game: GameView, ref: Claim, position: Position): Promise<Hex> {
    const { provider, relative } = await this.route(game, ref, position);
    return provider.get(relative);
  }

  async getStepData(game: GameView, ref: Claim, position: Position): Promise<StepData> {
    const { provider, relative } = await this.route(game, ref, position);
    return provider.getStepData(relative);
  }

  async close(): Promise<void> {
    const bottoms = [...this.bottoms.values()];
    this.bottoms.clear();
    // A bottom that failed to build holds nothing.
    const settled = await Promise.allSettled(bottoms);
    for (const s of settled) if (s.status === 'fulfilled') await s.value.close?.();
    await this.top.close?.();
  }

  /** The pre and post outputs of the subgame `position` belongs to, responding to `ref`. */
  execSubgame(game: GameView, ref: Claim, position: Position): ExecSubgame {
    const { splitDepth, maxGameDepth, startingBlockNumber, startingOutputRoot } = game.params;
    if (ref.position.depth < splitDepth) {
      throw new TraceProviderError(`claim ${ref.index} at depth ${ref.position.depth} is above the split depth ${splitDepth}`);
    }
    const topLeaf = ancestorAtDepth(game.claims, ref, splitDepth);
    let pre: Claim | undefined;
    let post: Claim;
    // Right of the output leaf means defending it (it is the agreed pre-state); otherwise attacking it.
    if (position.traceIndex(position.depth) > topLeaf.position.traceIndex(position.depth)) {
      pre = topLeaf;
      post = ancestorWithTraceIndex(game.claims, topLeaf, splitDepth, topLeaf.position.traceIndex(splitDepth) + 1n);
    } else {
      post = topLeaf;
      const postIndex = post.position.traceIndex(splitDepth);
      pre = postIndex === 0n ? undefined : ancestorWithTraceIndex(game.claims, topLeaf, splitDepth, postIndex - 1n);
    }
    return {
      depth: maxGameDepth - splitDepth - 1,
      pre,
      post,
      preOutputRoot: pre === undefined ? startingOutputRoot : pre.value,
      postOutputRoot: post.value,
      preBlock: pre === undefined ? startingBlockNumber : outputBlockAt(game.params, pre.position),
      postBlock: outputBlockAt(game.params, post.position),
    };
  }

  private async route(game: GameView, ref: Claim, position: Position): Promise<{ provider: TraceProvider; relative: Position }> {
    const { splitDepth } = game.params;
    if (position.depth <= splitDepth) return { provider: this.top, relative: position };
    const sub = this.execSubgame(game, ref, position);
    const key = `${sub.pre?.index ?? 'anchor'}:${sub.preOutputRoot}:${sub.post.index}:${sub.postOutputRoot}`;
    let provider = this.bottoms.get(key);
    if (provider === undefined) {
      provider = this.createBottom(sub);
      this.bottoms.set(key, provider);
      // A failed creation is not cached, so the next attempt retries.
      provider.catch(() => this.bottoms.delete(key));
    }
    return { provider: await provider, relative: position.relativeToAncestorAtDepth(splitDepth + 1) };
  }
}
