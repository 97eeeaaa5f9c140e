// One honest agent playing one game: each tick reads the game, sends the solver's moves and
// steps, then resolves what the clocks allow. The game is reached through GameContract so the
// L1 binding plugs in where the in-process referee is used in tests.
import { GameRevert, type InProcessGame, type TimeSource } from './game.js';
import { GameSolver, resolutionActions } from './solver.js';
import type { Action, Address, GameStatus, GameView } from './types.js';

export interface GameContract {
  view(): Promise<GameView>;
  /** The chain's current timestamp (seconds). */
  now(): Promise<bigint>;
  send(action: Action): Promise<void>;
}

export interface TickReport {
  readonly sent: readonly Action[];
  /** Actions the game rejected (someone else was faster, a clock ran out); the next tick recomputes. */
  readonly rejected: readonly { readonly action: Action; readonly error: Error }[];
  readonly status: GameStatus;
}

export interface AgentOptions {
  /** Also resolve claims and the game when clocks allow (default true). */
  readonly resolve?: boolean;
}

export class GameAgent {
  constructor(
    private readonly contract: GameContract,
    private readonly solver: GameSolver,
    private readonly options: AgentOptions = {},
  ) {}

  async tick(): Promise<TickReport> {
    const sent: Action[] = [];
    const rejected: { action: Action; error: Error }[] = [];
    const submit = async (action: Action): Promise<void> => {
      try {
        await this.contract.send(action);
        sent.push(action);
      } catch (e) {
        // Only the game's own rejections are expected; anything else is a bug or an outage.
        if (!(e instanceof GameRevert)) throw e;
        rejected.push({ action, error: e });
      }
    };
    let view = await this.contract.view();
    const now = await this.contract.now();
    for (const action of await this.solver.nextActions(view, now)) await submit(action);
    if (this.options.resolve !== false) {
      view = await this.contract.view();
      for (const action of resolutionActions(view, await this.contract.now())) await submit(action);
    }
    view = await this.contract.view();
    return { sent, rejected, status: view.status };
  }
}

/** The in-process referee seen as a contract, sending as `sender`. */
export function inProcessContract(game: InProcessGame, sender: Address, time: TimeSource): GameContract {
  return {
    view: () => Promise.resolve(game.view()),
    now: () => Promise.resolve(time.now()),
    send: (action) => {
      try {
        game.apply(action, sender);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  };
}
