// Scripted players for simulations and tests: dishonest strategies after op-challenger's test
// actors (correct or wrong attacks and defences of the last claim or of every claim, and the
// exhaustive one making every move), and a driver that plays agents and actors on the referee
// until the game resolves.
import { bytesToHex, concatBytes, hexToBytes } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import type { GameAgent } from './agent.js';
import { GameRevert, movePosition, type InProcessGame, type ManualClock } from './game.js';
import { Position } from './position.js';
import type { TraceAccessor } from './trace-provider.js';
import { VMStatus, withStatus, type Action, type Address, type Claim, type GameStatus, type GameView, type Hex } from './types.js';

/** A player that proposes actions; the driver sends them all and ignores rejections. */
export type Strategy = (game: GameView, correct: TraceAccessor) => Promise<Action[]>;

type Respond = 'attack' | 'defend';

/** A value no honest trace contains, with a chosen status byte (so execution roots can pass the status check). */
export function wrongValue(tag: string, claim: Claim, position: Position, status: VMStatus = VMStatus.INVALID): Hex {
  const seed = concatBytes(new TextEncoder().encode(tag), hexToBytes(claim.value), hexToBytes(position.gindex.toString(16)));
  return withStatus(bytesToHex(keccak256(seed)), status);
}

async function respond(game: GameView, correct: TraceAccessor, claim: Claim, kind: Respond, honestValue: boolean, tag: string): Promise<Action[]> {
  if (claim.position.depth >= game.params.maxGameDepth) return [];
  // Like op-challenger's actors, a "defence" of the root is an attack.
  const isAttack = kind === 'attack' || claim.position.isRoot();
  const position = movePosition(claim.position, isAttack)!;
  const bond = game.params.bonds[position.depth]!;
  const base = { type: isAttack ? ('attack' as const) : ('defend' as const), parentIndex: claim.index, disputed: claim.value, bond };
  if (honestValue) return [{ ...base, value: await correct.get(game, claim, position) }];
  // At an execution root either status may be the one the contract wants; offer both.
  const statuses = position.depth === game.params.splitDepth + 1 ? [VMStatus.INVALID, VMStatus.VALID] : [VMStatus.UNFINISHED];
  return statuses.map((s) => ({ ...base, value: wrongValue(tag, claim, position, s) }));
}

function lastClaim(game: GameView): Claim {
  return game.claims[game.claims.length - 1]!;
}

export const doNothing: Strategy = () => Promise.resolve([]);

export function respondLast(kind: Respond, honestValue: boolean): Strategy {
  return (game, correct) => respond(game, correct, lastClaim(game), kind, honestValue, `last-${kind}`);
}

export function respondAll(kind: Respond, honestValue: boolean): Strategy {
  return async (game, correct) => {
    const out: Action[] = [];
    for (const claim of game.claims) out.push(...(await respond(game, correct, claim, kind, honestValue, `all-${kind}`)));
    return out;
  };
}

/** Every move on every claim: correct and wrong attacks and defences, and both steps on every leaf. */
export const exhaustive: Strategy = async (game, correct) => {
  const out: Action[] = [];
  for (const claim of game.claims) {
    if (claim.position.depth === game.params.maxGameDepth) {
      for (const isAttack of [true, false]) {
        const position = isAttack ? claim.position : new Position(claim.position.gindex + 1n);
        try {
          const { preState, proof } = await correct.getStepData(game, claim, position);
          out.push({ type: 'step', claimIndex: claim.index, isAttack, preState, proof });
        } catch {
          // No step data for this side (e.g. past the trace): nothing to try.
        }
      }
      continue;
    }
    for (const kind of ['attack', 'defend'] as const) {
      for (const honestValue of [true, false]) out.push(...(await respond(game, correct, claim, kind, honestValue, 'exhaustive')));
    }
  }
  return out;
};

/**
 * `perRound` random moves a round: a random claim, attack or defence, correct or wrong value; on
 * leaves, a random step. `random` yields numbers in [0, 1) (seed it for reproducible games).
 */
export function randomStrategy(random: () => number, perRound: number): Strategy {
  return async (game, correct) => {
    const out: Action[] = [];
    for (let i = 0; i < perRound; i++) {
      const claim = game.claims[Math.floor(random() * game.claims.length)]!;
      if (claim.position.depth === game.params.maxGameDepth) {
        const isAttack = random() < 0.5;
        const position = isAttack ? claim.position : new Position(claim.position.gindex + 1n);
        try {
          const { preState, proof } = await correct.getStepData(game, claim, position);
          out.push({ type: 'step', claimIndex: claim.index, isAttack, preState, proof });
        } catch {
          // No step data for this side: skip.
        }
        continue;
      }
      const kind = random() < 0.5 ? 'attack' : 'defend';
      const options = await respond(game, correct, claim, kind, random() < 0.5, `random-${i}-${game.claims.length}`);
      if (options.length > 0) out.push(options[Math.floor(random() * options.length)]!);
    }
    return out;
  };
}

export function combine(...strategies: Strategy[]): Strategy {
  return async (game, correct) => (await Promise.all(strategies.map((s) => s(game, correct)))).flat();
}

export interface ScriptedPlayer {
  readonly address: Address;
  readonly strategy: Strategy;
  /** The trace the strategy treats as correct (usually the truth). */
  readonly correct: TraceAccessor;
}

export interface PlayOptions {
  readonly game: InProcessGame;
  readonly clock: ManualClock;
  readonly agents: readonly GameAgent[];
  readonly players?: readonly ScriptedPlayer[];
  /** Seconds between rounds in which someone acted. */
  readonly roundSeconds: bigint;
  /** Seconds to jump when nobody acted (default an eighth of the max clock duration), so clocks run out quickly. */
  readonly idleSeconds?: bigint;
  /** Rounds in which scripted players act (then they stop, so the game can end). */
  readonly scriptedRounds?: number;
  readonly maxRounds?: number;
}

export interface PlayReport {
  readonly status: GameStatus;
  readonly rounds: number;
  readonly claims: number;
  /** Actions by scripted players the referee accepted. */
  readonly scriptedAccepted: number;
  /** Per agent, the rejections of its actions by the referee. */
  readonly agentRejections: readonly (readonly Error[])[];
}

export class PlayError extends Error {
  override readonly name = 'PlayError';
}

/** Plays rounds (scripted players, then each agent, then the clock moves) until the game is resolved. */
export async function playGame(options: PlayOptions): Promise<PlayReport> {
  const { game, clock, agents, players = [], roundSeconds } = options;
  const scriptedRounds = options.scriptedRounds ?? 50;
  const maxRounds = options.maxRounds ?? 10_000;
  const idleSeconds = options.idleSeconds ?? game.params.maxClockDuration / 8n;
  let scriptedAccepted = 0;
  const agentRejections: Error[][] = agents.map(() => []);
  for (let round = 0; round < maxRounds; round++) {
    const before = scriptedAccepted;
    let agentsSent = 0;
    if (round < scriptedRounds) {
      for (const p of players) {
        if (game.status !== 'IN_PROGRESS') break;
        for (const action of await p.strategy(game.view(), p.correct)) {
          try {
            game.apply(action, p.address);
            scriptedAccepted++;
          } catch (e) {
            if (!(e instanceof GameRevert)) throw e;
          }
        }
      }
    }
    for (const [i, agent] of agents.entries()) {
      const tick = await agent.tick();
      agentsSent += tick.sent.length;
      agentRejections[i]!.push(...tick.rejected.map((r) => r.error));
    }
    if (game.status !== 'IN_PROGRESS') {
      return { status: game.status, rounds: round + 1, claims: game.claimCount, scriptedAccepted, agentRejections };
    }
    clock.advance(agentsSent > 0 || scriptedAccepted > before ? roundSeconds : idleSeconds);
  }
  throw new PlayError(`the game did not resolve in ${maxRounds} rounds`);
}
