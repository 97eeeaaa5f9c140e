// An alphabet trace whose claims are exactly what the on-chain AlphabetVerifier
// (contracts/src/AlphabetVerifier.sol) computes, so the engine's solver can play L1 games with it.
// The engine's own alphabet (prover/game/alphabet.ts) encodes states differently and is checked by
// the in-process referee only; the contract is the source of truth here.
//
// Contract rules (mirrored by contracts/deploy.ts): output roots carry their block in the top
// 8 bytes; the execution state after k steps for disputed block B is abi.encode(k, B), its claim
// keccak of that with the status byte on top: UNFINISHED while k < P (PROGRAM_STEPS), then the
// verdict on (starting, disputed, B). The absolute prestate is abi.encode(0, 0).
import { hexToBytes, type Hex } from '../../vm/util/bytes.js';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  VM_STATUS,
  alphabetGenesisOutput,
  alphabetOutputAfter,
  alphabetStateData,
  alphabetStateHash,
  alphabetVerdict,
} from '../../contracts/deploy.js';
import { Position } from '../game/position.js';
import {
  OutputRootTraceProvider,
  SplitTraceAccessor,
  type ExecProviderCreator,
  type ExecSubgame,
  type StepData,
  type TraceProvider,
} from '../game/trace-provider.js';
import type { GameParams } from '../game/types.js';

export class L1AlphabetError extends Error {
  override readonly name = 'L1AlphabetError';
}

/** The status the machine halts with for a subgame: the verifier's verdict, or a player's own belief. */
export type AlphabetVerdict = (starting: Hex, disputed: Hex, disputedBlock: bigint) => number;

/** What the on-chain AlphabetVerifier decides: what an honest player, who runs the real VM, also computes. */
export const verifierVerdict: AlphabetVerdict = (starting, disputed, block) => alphabetVerdict(starting, disputed, block);

/** A player who believes `outputAt`: VALID exactly when the disputed root is what it believes for the block. */
export function beliefVerdict(outputAt: (block: bigint) => Hex): AlphabetVerdict {
  return (_starting, disputed, block) => (BigInt(disputed) === BigInt(outputAt(block)) ? VM_STATUS.VALID : VM_STATUS.INVALID);
}

/** The honest alphabet chain from an anchor: out(anchorBlock) = anchorRoot, out(n) = outputAfter(out(n - 1), n). Memoised. */
export function alphabetChain(anchorRoot: Hex, anchorBlock: bigint): (block: bigint) => Hex {
  const roots: Hex[] = [anchorRoot];
  return (block) => {
    if (block < anchorBlock) throw new L1AlphabetError(`block ${block} is before the anchor ${anchorBlock}`);
    const i = Number(block - anchorBlock);
    while (roots.length <= i) roots.push(alphabetOutputAfter(roots[roots.length - 1]!, anchorBlock + BigInt(roots.length)));
    return roots[i]!;
  };
}

/** A chain that agrees with `truth` below `divergeAt` and makes up roots (still block-tagged) from there. */
export function divergentChain(truth: (block: bigint) => Hex, divergeAt: bigint, tag = 'lie'): (block: bigint) => Hex {
  return (block) => (block < divergeAt ? truth(block) : alphabetGenesisOutput(block, `${tag} ${block}`));
}

export interface L1AlphabetTraceOptions {
  /** Depth of the execution trace tree: maxGameDepth - splitDepth - 1. */
  readonly depth: number;
  /** The verifier's PROGRAM_STEPS, 1..2^depth so every trace ends halted. */
  readonly programSteps: bigint;
  readonly startingOutputRoot: Hex;
  readonly disputedOutputRoot: Hex;
  /** The disputed L2 block as the contract computes it (capped at the game's block). */
  readonly disputedBlock: bigint;
  readonly verdict?: AlphabetVerdict;
}

/** One execution subgame's trace: claim i is the state after min(i + 1, P) steps. */
export class L1AlphabetTraceProvider implements TraceProvider {
  private readonly status: number;

  constructor(private readonly options: L1AlphabetTraceOptions) {
    const { depth, programSteps } = options;
    if (programSteps < 1n || programSteps > 1n << BigInt(depth)) {
      throw new L1AlphabetError(`program steps ${programSteps} must be 1..2^${depth} so the trace ends halted`);
    }
    this.status = (options.verdict ?? verifierVerdict)(options.startingOutputRoot, options.disputedOutputRoot, options.disputedBlock);
  }

  private steps(k: bigint): bigint {
    return k > this.options.programSteps ? this.options.programSteps : k;
  }

  private index(position: Position): bigint {
    if (position.depth > this.options.depth) throw new L1AlphabetError(`position depth ${position.depth} exceeds ${this.options.depth}`);
    return position.traceIndex(this.options.depth);
  }

  get(position: Position): Promise<Hex> {
    const done = this.steps(this.index(position) + 1n);
    const status = done < this.options.programSteps ? VM_STATUS.UNFINISHED : this.status;
    return Promise.resolve(alphabetStateHash(done, this.options.disputedBlock, status));
  }

  /** The state before trace index i: the absolute prestate at 0, else the state after i steps. */
  getStepData(position: Position): Promise<StepData> {
    const i = this.index(position);
    const data = i === 0n ? alphabetStateData(0n, 0n) : alphabetStateData(this.steps(i), this.options.disputedBlock);
    return Promise.resolve({ preState: hexToBytes(data), proof: new Uint8Array(0) });
  }

  absolutePrestateHash(): Promise<Hex> {
    return Promise.resolve(ALPHABET_ABSOLUTE_PRESTATE);
  }
}

/** Execution providers for each subgame, with the contract's starting/disputed outputs and block. */
export function l1AlphabetExecCreator(programSteps: bigint, verdict: AlphabetVerdict = verifierVerdict): ExecProviderCreator {
  return (sub: ExecSubgame) =>
    Promise.resolve(
      new L1AlphabetTraceProvider({
        depth: sub.depth,
        programSteps,
        startingOutputRoot: sub.preOutputRoot,
        disputedOutputRoot: sub.postOutputRoot,
        disputedBlock: sub.postBlock,
        verdict,
      }),
    );
}

/**
 * The split accessor of a player who believes the outputs `outputAt` and halts with `verdict`
 * (default: the verifier's own, which is what an honest player computes).
 */
export function l1AlphabetAccessor(
  params: GameParams,
  programSteps: bigint,
  outputAt: (block: bigint) => Hex,
  verdict: AlphabetVerdict = verifierVerdict,
): SplitTraceAccessor {
  const top = new OutputRootTraceProvider(params, (block) => Promise.resolve(outputAt(block)));
  return new SplitTraceAccessor(top, l1AlphabetExecCreator(programSteps, verdict));
}
