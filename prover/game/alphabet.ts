// The alphabet VM: a toy machine for testing the game, after OP's. Its state after k steps of
// the program for block B is abi.encode(base + k, 0x60 + base + k) with base = (B - 1) << 4
// (a trace index and a "letter"); the absolute prestate's preimage is the word 0x60 ('a' - 1).
// The program halts after `programLength` steps and the trace is padded with the final state.
//
// Unlike OP's alphabet (status INVALID everywhere), the status byte means something here: running
// states are UNFINISHED, and the final state is VALID when the disputed output root (local
// context) equals the output root the machine computes for the block, INVALID otherwise. So the
// execution subgame really decides which output root is right, and a player with a wrong view of
// the chain (a different `outputRootAt`) produces a different trace that loses at the step.
import { bytesToBigInt, bytesToHex, concatBytes, hexToBytes } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import type { LocalContext, StepVerifier } from './game.js';
import { Position } from './position.js';
import {
  OutputRootTraceProvider,
  SplitTraceAccessor,
  type ExecProviderCreator,
  type StepData,
  type TraceProvider,
} from './trace-provider.js';
import { VMStatus, equalIgnoringStatus, sameHash, withStatus, type GameParams, type Hex } from './types.js';

export class AlphabetError extends Error {
  override readonly name = 'AlphabetError';
}

const LETTER_BEFORE_A = 0x60n;

function word(value: bigint): Uint8Array {
  return hexToBytes(value.toString(16).padStart(64, '0'));
}

/** The absolute prestate's preimage: one word, 0x60. */
export const ALPHABET_PRESTATE_PREIMAGE: Uint8Array = word(LETTER_BEFORE_A);
/** keccak of the prestate preimage with status UNFINISHED, as OP's alphabet prestate. */
export const ALPHABET_ABSOLUTE_PRESTATE: Hex = withStatus(bytesToHex(keccak256(ALPHABET_PRESTATE_PREIMAGE)), VMStatus.UNFINISHED);

/** The alphabet chain's output root at an L2 block: the truth the alphabet VM computes. */
export function alphabetOutputRoot(block: bigint): Hex {
  return bytesToHex(keccak256(concatBytes(word(0xa1fabe7n), word(block))));
}

function baseFor(disputedBlock: bigint): bigint {
  if (disputedBlock < 1n) throw new AlphabetError(`disputed block ${disputedBlock} must be at least 1`);
  return (disputedBlock - 1n) << 4n;
}

function encodeState(traceIndex: bigint, letter: bigint): Uint8Array {
  return concatBytes(word(traceIndex), word(letter));
}

function commit(state: Uint8Array, status: VMStatus): Hex {
  return withStatus(bytesToHex(keccak256(state)), status);
}

function finalStatus(disputedOutputRoot: Hex, computed: Hex): VMStatus {
  return sameHash(disputedOutputRoot, computed) ? VMStatus.VALID : VMStatus.INVALID;
}

export interface AlphabetTraceOptions {
  /** Depth of the execution trace tree (leaves = 2^depth). */
  readonly depth: number;
  /** The disputed output's L2 block (the subgame's post block). */
  readonly disputedBlock: bigint;
  /** The disputed output root as claimed in the game. */
  readonly disputedOutputRoot: Hex;
  /** Steps before the program halts, 1..2^depth. */
  readonly programLength: number;
  /** The output root this player's machine computes for a block. */
  readonly outputRootAt?: (block: bigint) => Hex;
}

/** The execution trace of the alphabet program for one subgame. */
export class AlphabetTraceProvider implements TraceProvider {
  private readonly base: bigint;
  private readonly status: VMStatus;

  constructor(private readonly options: AlphabetTraceOptions) {
    const { depth, programLength } = options;
    if (!Number.isInteger(programLength) || programLength < 1 || BigInt(programLength) > 1n << BigInt(depth)) {
      throw new AlphabetError(`program length ${programLength} must be 1..2^${depth} so the trace ends halted`);
    }
    this.base = baseFor(options.disputedBlock);
    const computed = (options.outputRootAt ?? alphabetOutputRoot)(options.disputedBlock);
    this.status = finalStatus(options.disputedOutputRoot, computed);
  }

  /** The state after `k` steps (k >= 1), padded past the end of the program. */
  private state(k: bigint): Uint8Array {
    const steps = k > BigInt(this.options.programLength) ? BigInt(this.options.programLength) : k;
    return encodeState(this.base + steps, LETTER_BEFORE_A + this.base + steps);
  }

  private checkIndex(position: Position): bigint {
    if (position.depth > this.options.depth) throw new AlphabetError(`position depth ${position.depth} exceeds ${this.options.depth}`);
    return position.traceIndex(this.options.depth);
  }

  get(position: Position): Promise<Hex> {
    const i = this.checkIndex(position);
    const k = i + 1n;
    const halted = k >= BigInt(this.options.programLength);
    return Promise.resolve(commit(this.state(k), halted ? this.status : VMStatus.UNFINISHED));
  }

  /** The pre-state of trace index i is the state after i steps; index 0 starts from the absolute prestate. */
  getStepData(position: Position): Promise<StepData> {
    const i = this.checkIndex(position);
    const preState = i === 0n ? ALPHABET_PRESTATE_PREIMAGE : this.state(i);
    return Promise.resolve({ preState, proof: new Uint8Array(0) });
  }

  absolutePrestateHash(): Promise<Hex> {
    return Promise.resolve(ALPHABET_ABSOLUTE_PRESTATE);
  }
}

/** The alphabet VM's one-step function, for the referee (the contract side). */
export class AlphabetStepVerifier implements StepVerifier {
  constructor(
    private readonly programLength: number,
    private readonly outputRootAt: (block: bigint) => Hex = alphabetOutputRoot,
  ) {}

  step(stateData: Uint8Array, _proof: Uint8Array, context: LocalContext): Hex {
    const base = baseFor(context.disputedL2BlockNumber);
    let traceIndex: bigint;
    let letter: bigint;
    if (equalIgnoringStatus(bytesToHex(keccak256(stateData)), ALPHABET_ABSOLUTE_PRESTATE)) {
      traceIndex = base;
      letter = bytesToBigInt(stateData) + base;
    } else {
      if (stateData.length !== 64) throw new AlphabetError(`alphabet state is 64 bytes, got ${stateData.length}`);
      traceIndex = bytesToBigInt(stateData.subarray(0, 32));
      letter = bytesToBigInt(stateData.subarray(32, 64));
    }
    const length = BigInt(this.programLength);
    // A halted machine stays where it is; that is how the trace is padded.
    if (traceIndex - base < length) {
      traceIndex += 1n;
      letter += 1n;
    }
    const halted = traceIndex - base >= length;
    const status = halted ? finalStatus(context.disputedOutputRoot, this.outputRootAt(context.disputedL2BlockNumber)) : VMStatus.UNFINISHED;
    return commit(encodeState(traceIndex, letter), status);
  }
}

/** Execution providers for a player who believes `outputRootAt`. */
export function alphabetExecCreator(programLength: number, outputRootAt: (block: bigint) => Hex = alphabetOutputRoot): ExecProviderCreator {
  return (sub) =>
    Promise.resolve(
      new AlphabetTraceProvider({
        depth: sub.depth,
        disputedBlock: sub.postBlock,
        disputedOutputRoot: sub.postOutputRoot,
        programLength,
        outputRootAt,
      }),
    );
}

/** A whole split-game accessor for a player whose view of the chain is `outputRootAt`. */
export function alphabetSplitAccessor(
  params: GameParams,
  programLength: number,
  outputRootAt: (block: bigint) => Hex = alphabetOutputRoot,
): SplitTraceAccessor {
  const top = new OutputRootTraceProvider(params, (block) => Promise.resolve(outputRootAt(block)));
  return new SplitTraceAccessor(top, alphabetExecCreator(programLength, outputRootAt));
}
