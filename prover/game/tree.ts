// Tree arithmetic the contract uses beyond Position's own: trace ancestors, and the walks up
// the claim DAG that find the claims a step or an execution subgame is anchored on.
import { Position } from './position.js';
import { NO_PARENT, type Claim, type GameParams } from './types.js';

export class ClaimTreeError extends Error {
  override readonly name = 'ClaimTreeError';
}

/** The highest ancestor of `pos` that commits to the same trace index: shift out the trailing ones. */
export function traceAncestor(pos: Position): Position {
  let g = pos.gindex;
  while ((g & 1n) === 1n) g >>= 1n;
  // All ones (a rightmost position) shifts to 0; the root commits to the same index.
  return new Position(g === 0n ? 1n : g);
}

/**
 * The trace ancestor of `pos` that stays below `upperBoundExclusive` (the split depth), so a walk
 * never leaves an execution trace subgame. Throws for positions at or above the bound.
 */
export function traceAncestorBounded(pos: Position, upperBoundExclusive: number): Position {
  if (pos.depth <= upperBoundExclusive) {
    throw new ClaimTreeError(`position ${pos.gindex} is not below depth ${upperBoundExclusive}`);
  }
  const ancestor = traceAncestor(pos);
  return ancestor.depth <= upperBoundExclusive ? ancestor.rightIndex(upperBoundExclusive + 1) : ancestor;
}

/**
 * Walks up from claims[start] to the claim at the trace ancestor of `pos` (global or bounded by
 * the split depth). Undefined if the walk leaves the DAG, where the contract would revert.
 */
export function findTraceAncestor(
  claims: readonly Claim[],
  params: GameParams,
  pos: Position,
  start: number,
  global: boolean,
): Claim | undefined {
  const target = global ? traceAncestor(pos) : traceAncestorBounded(pos, params.splitDepth);
  let i = start;
  while (i !== NO_PARENT && i < claims.length) {
    const claim = claims[i]!;
    if (claim.position.gindex === target.gindex) return claim;
    i = claim.parentIndex;
  }
  return undefined;
}

/** The ancestor (or the claim itself) at `depth`. */
export function ancestorAtDepth(claims: readonly Claim[], claim: Claim, depth: number): Claim {
  let c = claim;
  while (c.position.depth > depth) {
    const parent = claims[c.parentIndex];
    if (parent === undefined) throw new ClaimTreeError(`claim ${c.index} has no parent ${c.parentIndex}`);
    c = parent;
  }
  if (c.position.depth !== depth) throw new ClaimTreeError(`claim ${claim.index} has no ancestor at depth ${depth}`);
  return c;
}

/** The first claim walking up from `from` (itself included) whose trace index at `depth` is `traceIndex`. */
export function ancestorWithTraceIndex(claims: readonly Claim[], from: Claim, depth: number, traceIndex: bigint): Claim {
  let c: Claim | undefined = from;
  while (c !== undefined) {
    if (c.position.traceIndex(depth) === traceIndex) return c;
    c = c.parentIndex === NO_PARENT ? undefined : claims[c.parentIndex];
  }
  throw new ClaimTreeError(`no ancestor of claim ${from.index} commits to trace index ${traceIndex} at depth ${depth}`);
}

/** The pair of output-root claims an execution subgame sits between, as the contract finds them. */
export interface SplitOutputs {
  /** The agreed starting output root's claim; undefined when it is the anchor (startingOutputRoot). */
  readonly starting: Claim | undefined;
  /** The disputed output root's claim. */
  readonly disputed: Claim;
}

/** _findStartingAndDisputedOutputs: walk up from a claim below the split to its output-root leaf. */
export function findStartingAndDisputedOutputs(claims: readonly Claim[], params: GameParams, start: number): SplitOutputs {
  let claim = claims[start];
  if (claim === undefined) throw new ClaimTreeError(`no claim ${start}`);
  if (claim.position.depth <= params.splitDepth) throw new ClaimTreeError(`claim ${start} is not below the split depth`);
  let execRoot = claim;
  while (claim.position.depth > params.splitDepth) {
    if (claim.position.depth === params.splitDepth + 1) execRoot = claim;
    claim = claims[claim.parentIndex]!;
  }
  const outputPos = claim.position;
  const wasAttack = execRoot.position.parent().gindex === outputPos.gindex;
  if (wasAttack) {
    let starting: Claim | undefined;
    if (outputPos.indexAtDepth > 0n) {
      starting = findTraceAncestor(claims, params, new Position(outputPos.gindex - 1n), claim.index, true);
      if (starting === undefined) throw new ClaimTreeError(`no starting output for claim ${start}`);
    }
    return { starting, disputed: claim };
  }
  const disputed = findTraceAncestor(claims, params, new Position(outputPos.gindex + 1n), claim.index, true);
  if (disputed === undefined) throw new ClaimTreeError(`no disputed output for claim ${start}`);
  return { starting: claim, disputed };
}

/** The L2 block an output-root position commits to: anchor + trace index + 1, capped at the game's block. */
export function outputBlockAt(
  params: Pick<GameParams, 'startingBlockNumber' | 'l2BlockNumber' | 'splitDepth'>,
  pos: Position,
): bigint {
  const block = params.startingBlockNumber + pos.traceIndex(params.splitDepth) + 1n;
  return block > params.l2BlockNumber ? params.l2BlockNumber : block;
}
