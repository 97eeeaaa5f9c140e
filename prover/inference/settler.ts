// The watcher's side of the L1 inference game. Two kinds of inference it has met on L2 (a model
// and an input, from a block it derived):
// - watched (every inference call of the chain): a claim about it whose output is not the right
//   one is challenged and refuted, so no wrong output ever becomes final, but nothing is posted;
// - settled (the calls of a contested block, where a step at the call needs a final output):
//   besides, the right claim is posted when none stands.
// It plays every dispute it is a party to (timeouts included), releases its bonds once final,
// withdraws its credit, and reports each inference it follows as final (the right output
// settled), pending, or lost (another output became final: the watcher missed a window).
import type { Hex } from 'viem';
import type { IntModel } from '../../ai/model.js';
import { evaluate } from '../../ai/reference.js';
import { InferenceGameRevert, type InferenceGameContract } from './contract.js';
import { inputHashOf, InferencePlayer, type PlayerOptions } from './player.js';
import { modelId } from '../../ai/model.js';
import { bytesToHex } from '../../vm/util/bytes.js';

export type InferenceState = 'final' | 'pending' | 'lost';

export interface SettleTick {
  /** Per inference (modelId:inputHash): where the game stands after this tick. */
  readonly states: ReadonlyMap<string, InferenceState>;
  /** Calls sent this tick (posts, challenges, moves). */
  readonly sent: number;
  /** Calls the game refused, with its error name (e.g. a window that closed). */
  readonly refused: readonly { readonly key: string; readonly error: string }[];
  /** Credit withdrawn this tick (wei): released bonds of final claims and disputes won. */
  readonly withdrawn: bigint;
}

interface Tracked {
  readonly player: InferencePlayer;
  /** Claims of this (model, input) seen in the game. */
  readonly claims: bigint[];
  /** Post the right claim when none stands (else only refute wrong ones). */
  settle: boolean;
}

/** Watched inferences remembered at most (the oldest are forgotten first). */
export const MAX_WATCHED = 100_000;

/** The key of an inference: `${modelId}:${inputHash}` as the game files claims. */
export function inferenceKey(model: IntModel, input: Int8Array): string {
  return `${bytesToHex(modelId(model))}:${inputHashOf(input)}`;
}

export class InferenceSettler {
  private readonly tracked = new Map<string, Tracked>();
  /** Watched inferences nobody has claimed yet: a player (an evaluation) is made only once one is. */
  private readonly watched = new Map<string, { readonly model: IntModel; readonly input: Int8Array }>();
  private readonly challenged = new Set<bigint>();
  /** Claims whose bond needs nothing more from us (released, refuted, or another's). */
  private readonly released = new Set<bigint>();
  /** Our open disputes, each with the claim it is about. */
  private readonly disputes = new Map<bigint, bigint>();
  private claimsSeen = 0n;
  private disputesSeen = 0n;

  constructor(
    readonly game: InferenceGameContract,
    private readonly options: PlayerOptions = {},
  ) {}

  /** Starts settling `model` on `input` (idempotent; a watched inference becomes settled); returns its key. */
  need(model: IntModel, input: Int8Array): string {
    const key = inferenceKey(model, input);
    const t = this.tracked.get(key);
    if (t !== undefined) t.settle = true;
    else this.track(key, model, input, true, []);
    this.watched.delete(key);
    return key;
  }

  /** Refutes any wrong claim about `model` on `input` from now on, without posting one (idempotent); returns its key. */
  watch(model: IntModel, input: Int8Array): string {
    const key = inferenceKey(model, input);
    if (this.tracked.has(key) || this.watched.has(key)) return key;
    this.watched.set(key, { model, input: Int8Array.from(input) });
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value!);
    return key;
  }

  private track(key: string, model: IntModel, input: Int8Array, settle: boolean, claims: bigint[]): Tracked {
    const t: Tracked = { player: new InferencePlayer(this.game, model, evaluate(model, input), this.options), claims, settle };
    this.tracked.set(key, t);
    return t;
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
      const key = `${c.modelId}:${c.inputHash}`;
      const t = this.tracked.get(key);
      if (t !== undefined) t.claims.push(id);
      else {
        const w = this.watched.get(key);
        if (w === undefined) continue;
        this.watched.delete(key);
        this.track(key, w.model, w.input, false, [id]);
      }
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
          await attempt(key, async () => {
            this.disputes.set(await t.player.challenge(id), id);
          });
        }
      }
      if (live === 0 && t.settle) await attempt(key, async () => t.claims.push(await t.player.post()));
      if (live > 0 || t.settle || this.inDispute(t)) states.set(key, 'pending');
      else {
        // Watched, every claim refuted, no dispute left: back to waiting for a claim.
        this.tracked.delete(key);
        this.watched.set(key, { model: t.player.model, input: Int8Array.from(t.player.evaluation.values[0]!.data) });
      }
    }
    // Disputes opened since the last tick against a claim of this watcher's.
    const disputes = await this.game.disputeCount();
    for (let id = this.disputesSeen; id < disputes; id++) {
      const d = await this.game.dispute(id);
      const c = await this.game.claim(d.claimId);
      const t = this.tracked.get(`${c.modelId}:${c.inputHash}`);
      if (t !== undefined && t.player.sideIn(c, d) !== null) this.disputes.set(id, d.claimId);
    }
    this.disputesSeen = disputes;
    // Every dispute this watcher is in: its moves, and the timeouts it may claim.
    for (const id of [...this.disputes.keys()]) {
      const d = await this.game.dispute(id);
      if (d.phase === 'ClaimantWon' || d.phase === 'ChallengerWon') {
        this.disputes.delete(id);
        continue;
      }
      const c = await this.game.claim(d.claimId);
      const t = this.tracked.get(`${c.modelId}:${c.inputHash}`);
      if (t !== undefined && (await t.player.act(id))) sent++;
    }
    // Nothing left on the table: the bonds of our claims once final, then all our credit.
    const me = this.game.account.toLowerCase();
    for (const [key, t] of this.tracked) {
      if (states.get(key) !== 'final') continue;
      for (const id of t.claims) {
        if (this.released.has(id)) continue;
        const c = await this.game.claim(id);
        if (c.claimant.toLowerCase() !== me || c.bondReleased || c.refuted) {
          this.released.add(id);
          continue;
        }
        if (!(await this.game.isFinal(id))) continue;
        await attempt(key, () => this.game.send({ fn: 'releaseBond', args: [id] }));
        this.released.add(id);
      }
    }
    let withdrawn = 0n;
    const credit = await this.game.credit(this.game.account);
    if (credit > 0n) {
      const before = refused.length;
      await attempt('credit', () => this.game.send({ fn: 'withdraw', args: [] }));
      if (refused.length === before) withdrawn = credit;
    }
    // A watched inference that is final needs nothing more (its bonds are released above).
    for (const [key, t] of this.tracked) if (!t.settle && states.get(key) === 'final' && t.claims.every((id) => this.released.has(id))) this.tracked.delete(key);
    return { states, sent, refused, withdrawn };
  }

  /** Whether a dispute of ours about one of `t`'s claims is still open (its refund comes at the end). */
  private inDispute(t: Tracked): boolean {
    for (const c of this.disputes.values()) if (t.claims.includes(c)) return true;
    return false;
  }

  /** Inferences being settled, by key. */
  get keys(): readonly string[] {
    return [...this.tracked.keys()];
  }
}
