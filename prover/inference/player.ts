// An inference-game player that holds its own evaluation of (model, input) and plays it: posts
// it as a claim and defends it, or challenges a claim whose trace root differs, answering every
// move from its trace (ai/trace.ts) and ending with the one-chunk witness of ai/dispute.ts. It
// sends a final proof only when its own TypeScript check (verifyChunk, the contract's twin) says
// the proof wins for its side; a party holding a wrong evaluation therefore stops there and
// loses on time. An honest player is this class with the reference evaluation (ai/reference.ts).
import type { Hex, TransactionReceipt } from 'viem';
import { accumulatorHash, accumulatorLanes, chunkWitness, nodeLeafProof, toSolidityWitness, verifyChunk, type ChunkWitness } from '../../ai/dispute.js';
import { inferenceGas } from '../../ai/gas.js';
import { modelId, OP_CODES, type IntModel } from '../../ai/model.js';
import type { Evaluation } from '../../ai/reference.js';
import {
  attrsPreimage, commitModel, commitTrace, leafHash, merkleLevels, outputHash, tensorChunks, type ModelCommitment, type TraceCommitment,
} from '../../ai/trace.js';
import { bytesToHex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import { CHALLENGER, CLAIMANT, type Side } from './abi.js';
import type { CallKind, ClaimRecord, DisputeRecord, GameCall, InferenceGameContract } from './contract.js';

/** The player cannot act as asked (another model or input, a phase it does not know). */
export class InferencePlayerError extends Error {
  override readonly name = 'InferencePlayerError';
}

const i8bytes = (d: Int8Array): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.length);

/** keccak256 of the int8 input bytes: the claim's input hash. */
export function inputHashOf(input: Int8Array): Hex {
  return bytesToHex(keccak256(i8bytes(input)));
}

/** The registerModel call for `model`: id, node count, attributes root, input shape, inference gas. */
export function registerModelCall(model: IntModel): GameCall {
  const mc = commitModel(model);
  return { fn: 'registerModel', args: [bytesToHex(modelId(model)), model.nodes.length, bytesToHex(mc.attrsRoot), [...model.inputShape], inferenceGas(model)] };
}

export interface PlayerOptions {
  /** Called with every mined receipt, by call kind (gas accounting). */
  readonly onReceipt?: (kind: CallKind, receipt: TransactionReceipt) => void;
}

export class InferencePlayer {
  readonly trace: TraceCommitment;
  readonly modelId: Hex;
  readonly inputHash: Hex;
  readonly outputHash: Hex;
  private readonly mc: ModelCommitment;
  private readonly traceLevels: Uint8Array[][];
  private readonly tensorLevels = new Map<number, Uint8Array[][]>();

  constructor(
    readonly game: InferenceGameContract,
    readonly model: IntModel,
    readonly evaluation: Evaluation,
    private readonly options: PlayerOptions = {},
  ) {
    this.trace = commitTrace(model, evaluation);
    this.mc = commitModel(model);
    this.traceLevels = merkleLevels(this.trace.leaves);
    this.modelId = bytesToHex(modelId(model));
    this.inputHash = inputHashOf(evaluation.values[0].data);
    this.outputHash = bytesToHex(outputHash(evaluation.output));
  }

  get traceRoot(): Hex {
    return bytesToHex(this.trace.root);
  }

  async send(call: GameCall): Promise<{ receipt: TransactionReceipt; result: bigint | undefined }> {
    const r = await this.game.send(call);
    this.options.onReceipt?.(call.fn, r.receipt);
    return r;
  }

  /** The post call of this player's evaluation (output opened as the trace's last leaf). */
  async postCall(): Promise<GameCall> {
    const nc = this.model.nodes.length;
    const { claimBond } = await this.game.config();
    return {
      fn: 'post',
      args: [
        this.modelId, this.inputHash, bytesToHex(i8bytes(this.evaluation.output.data)), this.traceRoot,
        { op: this.mc.attrs[nc - 1].op, attrsHash: bytesToHex(this.mc.attrsHashes[nc - 1]), shape: [...this.evaluation.output.shape], proof: nodeLeafProof(this.trace, nc).map(bytesToHex) },
      ],
      value: claimBond,
    };
  }

  async post(): Promise<bigint> {
    return this.idOf(await this.send(await this.postCall()), 'post');
  }

  /** Whether `claim` is about this player's model and input and commits to another trace. */
  disagreesWith(claim: ClaimRecord): boolean {
    return claim.modelId === this.modelId && claim.inputHash === this.inputHash && claim.traceRoot !== this.traceRoot;
  }

  /** Challenge `claimId` with this player's trace root; throws if the claim is not one it disputes. */
  async challenge(claimId: bigint): Promise<bigint> {
    const claim = await this.game.claim(claimId);
    if (!this.disagreesWith(claim)) throw new InferencePlayerError(`claim ${claimId} is not for this model and input, or agrees with this trace`);
    const { challengeBond } = await this.game.config();
    return this.idOf(await this.send({ fn: 'challenge', args: [claimId, this.traceRoot], value: challengeBond }), 'challenge');
  }

  private idOf(r: { result: bigint | undefined }, what: string): bigint {
    if (r.result === undefined) throw new InferencePlayerError(`${what} returned no id`);
    return r.result;
  }

  /** This player's side in a dispute, or null when it is neither party. */
  sideIn(claim: ClaimRecord, d: DisputeRecord): Side | null {
    const me = this.game.account.toLowerCase();
    if (claim.claimant.toLowerCase() === me) return CLAIMANT;
    if (d.challenger.toLowerCase() === me) return CHALLENGER;
    return null;
  }

  /**
   * The call this player makes next in `disputeId`, or null (not its turn, or no proof that wins
   * for it). A clock the opponent let run out is claimed first.
   */
  async nextCall(disputeId: bigint): Promise<GameCall | null> {
    const d = await this.game.dispute(disputeId);
    if (d.phase === 'ClaimantWon' || d.phase === 'ChallengerWon') return null;
    const claim = await this.game.claim(d.claimId);
    const side = this.sideIn(claim, d);
    if (side === null) return null;
    if (claim.modelId !== this.modelId || claim.inputHash !== this.inputHash) throw new InferencePlayerError('dispute is about another model or input');
    if (d.turn !== side) {
      const { maxClock } = await this.game.config();
      if ((await this.game.used(disputeId, d.turn)) > maxClock) return { fn: 'timeout', args: [disputeId] };
    }
    switch (d.phase) {
      case 'Nodes':
      case 'Chunks': {
        if (d.turn !== side) return null;
        const levels = d.phase === 'Nodes' ? this.traceLevels : this.tensorTree(d.leaf);
        const i = Number(d.index), below = levels[d.levels - 1];
        return { fn: 'bisect', args: [disputeId, bytesToHex(below[2 * i]), bytesToHex(below[2 * i + 1])] };
      }
      case 'Leaf': {
        if (d.turn !== side) return null;
        const v = d.leaf, attrs = this.mc.attrs[v - 1];
        const record = attrs.op === OP_CODES.gemm ? bytesToHex(attrsPreimage(attrs)) : '0x';
        return { fn: 'openLeaf', args: [disputeId, attrs.op, bytesToHex(this.mc.attrsHashes[v - 1]), [...this.evaluation.values[v].shape], bytesToHex(this.trace.tensorRoots[v]), record] };
      }
      case 'Acc': {
        if (d.turn !== side) return null;
        const mid = Math.floor((d.lo + d.hi) / 2);
        return { fn: 'postAccumulator', args: [disputeId, bytesToHex(accumulatorHash(accumulatorLanes(this.model, this.evaluation, d.leaf - 1, Number(d.index), mid)))] };
      }
      case 'Check': {
        const w = this.checkWitness(d);
        const r = verifyChunk(w);
        const value = this.isGemm(d.leaf) && d.hi < d.kbs ? r : keccak256(r);
        const claimantWins = bytesToHex(value) === d.hashA;
        return claimantWins === (side === CLAIMANT) ? { fn: 'check', args: [disputeId, toSolidityWitness(w)] } : null;
      }
      case 'Header': {
        // Any valid witness over this player's trace proves its opening; chunk 0, one block at most.
        const w = chunkWitness(this.model, this.evaluation, d.leaf - 1, 0, { trace: this.trace, ...(this.isGemm(d.leaf) ? { blocks: [0, 1] as const } : {}) });
        try {
          verifyChunk(w);
        } catch {
          return null;
        }
        return { fn: 'check', args: [disputeId, toSolidityWitness(w)] };
      }
      case 'Input': {
        const input = this.evaluation.values[0];
        const leaf0 = leafHash(0, 0, this.mc.commitment, input.shape, this.trace.tensorRoots[0]);
        const claimantWins = bytesToHex(leaf0) === d.hashA;
        return claimantWins === (side === CLAIMANT) ? { fn: 'checkInput', args: [disputeId, bytesToHex(i8bytes(input.data)), [...input.shape]] } : null;
      }
      default:
        throw new InferencePlayerError(`phase ${d.phase}`);
    }
  }

  /** The one-chunk witness for the dispute's point: node v − 1, chunk index, Gemm blocks [lo, hi). */
  checkWitness(d: DisputeRecord): ChunkWitness {
    const gemm = this.isGemm(d.leaf);
    return chunkWitness(this.model, this.evaluation, d.leaf - 1, Number(d.index), { trace: this.trace, ...(gemm ? { blocks: [d.lo, d.hi] as const } : {}) });
  }

  /** Make the next call if there is one; whether a call was sent. */
  async act(disputeId: bigint): Promise<boolean> {
    const call = await this.nextCall(disputeId);
    if (call === null) return false;
    await this.send(call);
    return true;
  }

  /** Withdraw this player's credit, if any; the amount. */
  async withdraw(): Promise<bigint> {
    const amount = await this.game.credit(this.game.account);
    if (amount > 0n) await this.send({ fn: 'withdraw', args: [] });
    return amount;
  }

  private isGemm(v: number): boolean {
    return this.model.nodes[v - 1]?.op === 'gemm';
  }

  private tensorTree(v: number): Uint8Array[][] {
    let t = this.tensorLevels.get(v);
    if (t === undefined) {
      t = merkleLevels(tensorChunks(this.evaluation.values[v].data).map((c) => keccak256(c)));
      this.tensorLevels.set(v, t);
    }
    return t;
  }
}

export class DisputeStalled extends InferencePlayerError {}

/**
 * Let the players take turns until the dispute is over or nobody can move (then the side to move
 * is stalling: the caller advances time and a player claims the timeout). Returns the final phase
 * reached and the number of calls sent.
 */
export async function playDispute(players: readonly InferencePlayer[], disputeId: bigint, maxCalls = 500): Promise<{ over: boolean; calls: number }> {
  let calls = 0;
  const game = players[0]?.game;
  if (game === undefined) throw new InferencePlayerError('no players');
  for (;;) {
    let moved = false;
    for (const p of players) {
      if (await p.act(disputeId)) {
        moved = true;
        calls++;
      }
      const d = await game.dispute(disputeId);
      if (d.phase === 'ClaimantWon' || d.phase === 'ChallengerWon') return { over: true, calls };
    }
    if (!moved) return { over: false, calls };
    if (calls > maxCalls) throw new DisputeStalled(`more than ${maxCalls} calls`);
  }
}
