// The honest player's decisions, after op-challenger's GameSolver. It walks the claims in
// order, tracking the claims an honest player has made or would make, and:
// - counters the root if it disagrees with it, and any claim whose parent is honest;
// - where a claim's parent already has an honest counter, counters only claims at or left of
//   that counter in trace order (those right of it are already refuted by it);
// - never counters an honest claim, and ignores everything below a claim it ignored;
// - attacks what it disagrees with and defends what it agrees with, except the roots of the
//   game and of execution subgames, which cannot be defended;
// - at the max depth, steps (attack: the claim's own index; defend: the next one);
// - never sends a move already in the game.
import { challengerDuration, movePosition } from './game.js';
import { Position } from './position.js';
import type { TraceAccessor } from './trace-provider.js';
import { NO_PARENT, ZERO_ADDRESS, sameHash, type Action, type Claim, type GameView, type Hex } from './types.js';

export class SolverError extends Error {
  override readonly name = 'SolverError';
}

function claimId(position: Position, value: Hex, parentIndex: number): string {
  return `${position.gindex}:${value.toLowerCase()}:${parentIndex}`;
}

interface PlannedClaim {
  readonly position: Position;
  readonly value: Hex;
  readonly parentIndex: number;
}

/** Claims the honest player agrees with (made or planned), and its counter to each claim. */
class HonestClaims {
  private readonly honest = new Set<string>();
  private readonly counters = new Map<number, PlannedClaim>();

  add(parent: Claim | undefined, claim: PlannedClaim): void {
    this.honest.add(claimId(claim.position, claim.value, claim.parentIndex));
    if (parent !== undefined) this.counters.set(parent.index, claim);
  }

  isHonest(claim: Claim): boolean {
    return this.honest.has(claimId(claim.position, claim.value, claim.parentIndex));
  }

  counterOf(parent: Claim): PlannedClaim | undefined {
    return this.counters.get(parent.index);
  }
}

export class GameSolver {
  constructor(private readonly trace: TraceAccessor) {}

  async agree(game: GameView, claim: Claim): Promise<boolean> {
    return sameHash(await this.trace.get(game, claim, claim.position), claim.value);
  }

  async agreeWithRoot(game: GameView): Promise<boolean> {
    const root = game.claims[0];
    if (root === undefined) throw new SolverError('the game has no claims');
    return this.agree(game, root);
  }

  /**
   * The moves and steps to make now. With `now`, moves against claims whose counter clock has
   * run out are left out (the contract would reject them); the honest claims they would have
   * been are still tracked, so the rest of the answer does not change. Steps are moves too: the
   * contract refuses them once the stepper's clock for the leaf has run out.
   */
  async nextActions(game: GameView, now?: bigint): Promise<Action[]> {
    if (game.status !== 'IN_PROGRESS') return [];
    const honest = new HonestClaims();
    const root = game.claims[0];
    if (root === undefined) throw new SolverError('the game has no claims');
    if (await this.agree(game, root)) honest.add(undefined, root);
    const existing = new Set(game.claims.map((c) => claimId(c.position, c.value, c.parentIndex)));
    const actions: Action[] = [];
    const maxDepth = game.params.maxGameDepth;
    for (const claim of game.claims) {
      if (claim.position.depth === maxDepth) {
        const step = await this.stepFor(game, claim, honest);
        const late = now !== undefined && challengerDuration(game, claim.index, now) >= game.params.maxClockDuration;
        if (step !== undefined && game.resolved[claim.index] !== true && !late) actions.push(step);
        continue;
      }
      const move = await this.moveFor(game, claim, honest);
      if (move === undefined) continue;
      honest.add(claim, { position: move.position, value: move.value, parentIndex: claim.index });
      if (existing.has(claimId(move.position, move.value, claim.index))) continue;
      if (now !== undefined && challengerDuration(game, claim.index, now) >= game.params.maxClockDuration) continue;
      actions.push({
        type: move.isAttack ? 'attack' : 'defend',
        parentIndex: claim.index,
        disputed: claim.value,
        value: move.value,
        bond: game.params.bonds[move.position.depth]!,
      });
    }
    return actions;
  }

  /** op-challenger's shouldCounter. */
  private shouldCounter(game: GameView, claim: Claim, honest: HonestClaims): boolean {
    if (honest.isHonest(claim)) return false;
    if (claim.parentIndex === NO_PARENT) return true;
    const parent = game.claims[claim.parentIndex]!;
    if (honest.isHonest(parent)) return true;
    const counter = honest.counterOf(parent);
    // A claim against something the honest player ignored is itself ignored.
    if (counter === undefined) return false;
    const depth = game.params.maxGameDepth;
    return claim.position.traceIndex(depth) <= counter.position.traceIndex(depth);
  }

  private async moveFor(
    game: GameView,
    claim: Claim,
    honest: HonestClaims,
  ): Promise<{ position: Position; value: Hex; isAttack: boolean } | undefined> {
    if (!this.shouldCounter(game, claim, honest)) return undefined;
    const agree = await this.agree(game, claim);
    // Agreeing with a root (of the game or of an execution subgame) means leaving it alone.
    if (agree && (claim.position.isRoot() || claim.position.depth === game.params.splitDepth + 1)) return undefined;
    const position = movePosition(claim.position, !agree)!;
    const value = await this.trace.get(game, claim, position);
    return { position, value, isAttack: !agree };
  }

  private async stepFor(game: GameView, claim: Claim, honest: HonestClaims): Promise<Action | undefined> {
    if (claim.counteredBy !== ZERO_ADDRESS) return undefined;
    if (!this.shouldCounter(game, claim, honest)) return undefined;
    const agree = await this.agree(game, claim);
    // Attack: execute the claim's own index from the state before it. Defend: execute the next index from it.
    const position = agree ? new Position(claim.position.gindex + 1n) : claim.position;
    const { preState, proof } = await this.trace.getStepData(game, claim, position);
    return { type: 'step', claimIndex: claim.index, isAttack: !agree, preState, proof };
  }
}

/**
 * Resolution in the order the contract accepts: every claim whose counter clock has run out and
 * whose children are all resolved, deepest first (children always come after their parent),
 * then `resolve` once the root's subgame is resolved.
 */
export function resolutionActions(game: GameView, now: bigint): Action[] {
  if (game.status !== 'IN_PROGRESS') return [];
  const resolved = [...game.resolved];
  const children = new Map<number, number[]>();
  for (const c of game.claims) {
    if (c.parentIndex === NO_PARENT) continue;
    const list = children.get(c.parentIndex) ?? [];
    list.push(c.index);
    children.set(c.parentIndex, list);
  }
  const actions: Action[] = [];
  for (let i = game.claims.length - 1; i >= 0; i--) {
    if (resolved[i] === true) continue;
    if (challengerDuration(game, i, now) < game.params.maxClockDuration) continue;
    if (!(children.get(i) ?? []).every((child) => resolved[child] === true)) continue;
    actions.push({ type: 'resolveClaim', claimIndex: i, numToResolve: 0 });
    resolved[i] = true;
  }
  if (resolved[0] === true) actions.push({ type: 'resolve' });
  return actions;
}
