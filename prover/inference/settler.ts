// The watcher's side of the L1 inference game. For every inference it has met on L2 (a model and
// an input, from a block it replays or disputes) it makes the game settle the right output:
// it challenges every live claim of (model, input) whose trace is not its own, posts the right
// claim when none stands, plays every dispute it is a party to (timeouts included), and reports
// each inference as final (the right output settled), pending, or lost (another output became
// final: the watcher missed a window). The output-root game's step at an inference call needs
// the first of these.
import type { Hex } from 'viem';
import type { IntModel } from '../../ai/model.js';
import { evaluate } from '../../ai/reference.js';
import { InferenceGameRevert, type InferenceGameContract } from './contract.js';
import { InferencePlayer, type PlayerOptions } from './player.js';

export type InferenceState = 'final' | 'pending' | 'lost';

export interface SettleTick {
  /** Per inference (modelId:inputHash): where the game stands after this tick. */
  readonly states: ReadonlyMap<string, InferenceState>;
  /** Calls sent this tick (posts, challenges, moves). */
  readonly sent: number;
  /** Calls the game refused, with its error name (e.g. a window that closed). */
  readonly refused: readonly { readonly key: string; readonly error: string }[];
}

interface Tracked {
  readonly player: InferencePlayer;
  /** Claims of this (model, input) seen in the game. */
  readonly claims: bigint[];
}

export class InferenceSettler {
  private readonly tracked = new Map<string, Tracked>();
  private readonly challenged = new Set<bigint>();
  private readonly disputes = new Set<bigint>();
  private claimsSeen = 0n;
  private disputesSeen = 0n;

  constructor(
    readonly game: InferenceGameContract,
    private readonly options: PlayerOptions = {},
  ) {}

  /** Starts settling `model` on `input` (idempotent); returns its key. */
  need(model: IntModel, input: Int8Array): string {
    const player = new InferencePlayer(this.game, model, evaluate(model, input), this.options);
    const key = `${player.modelId}:${player.inputHash}`;
    if (!this.tracked.has(key)) this.tracked.set(key, { player, claims: [] });
    return key;
  }

  /** The settled output hash of a tracked inference, once final and right. */
  async settled(key: string): Promise<Hex | null> {
    const t = this.tracked.get(key);
    if (t === undefined) return null;
    const f = await this.game.finalOutput(t.player.modelId, t.player.inputHash);
    return f.final && f.outputHash === t.player.outputHash ? f.outputHash : null;
  }

  async tick(): Promise<SettleTick> {
    let sent = 0;
    const refused: { key: string; error: string }[] = [];
    const attempt = async (key: string, call: () => Promise<unknown>): Promise<void> => {
      try {
        await call();
        sent++;
      } catch (e) {
        if (!(e instanceof InferenceGameRevert)) throw e;
        refused.push({ key, error: e.errorName });
      }
    };
    // Claims posted since the last tick, filed under the inference they are about.
    const count = await this.game.claimCount();
    for (let id = this.claimsSeen; id < count; id++) {
      const c = await this.game.claim(id);
      this.tracked.get(`${c.modelId}:${c.inputHash}`)?.claims.push(id);
    }
    this.claimsSeen = count;

    const states = new Map<string, InferenceState>();
    for (const [key, t] of this.tracked) {
      const f = await this.game.finalOutput(t.player.modelId, t.player.inputHash);
      if (f.final) {
        states.set(key, f.outputHash === t.player.outputHash ? 'final' : 'lost');
        continue;
      }
      let live = 0;
      for (const id of t.claims) {
        const c = await this.game.claim(id);
        if (c.refuted) continue;
        live++;
        if (t.player.disagreesWith(c) && !this.challenged.has(id)) {
          this.challenged.add(id);
          await attempt(key, async () => this.disputes.add(await t.player.challenge(id)));
        }
      }
      if (live === 0) await attempt(key, async () => t.claims.push(await t.player.post()));
      states.set(key, 'pending');
    }
    // Disputes opened since the last tick against a claim of this watcher's.
    const disputes = await this.game.disputeCount();
    for (let id = this.disputesSeen; id < disputes; id++) {
      const d = await this.game.dispute(id);
      const c = await this.game.claim(d.claimId);
      const t = this.tracked.get(`${c.modelId}:${c.inputHash}`);
      if (t !== undefined && t.player.sideIn(c, d) !== null) this.disputes.add(id);
    }
    this.disputesSeen = disputes;
    // Every dispute this watcher is in: its moves, and the timeouts it may claim.
    for (const id of this.disputes) {
      const d = await this.game.dispute(id);
      if (d.phase === 'ClaimantWon' || d.phase === 'ChallengerWon') {
        this.disputes.delete(id);
        continue;
      }
      const c = await this.game.claim(d.claimId);
      const t = this.tracked.get(`${c.modelId}:${c.inputHash}`);
      if (t !== undefined && (await t.player.act(id))) sent++;
    }
    return { states, sent, refused };
  }
}
