// Data types of the bisection (fault dispute) game, shared by the in-process referee, the
// honest solver and the L1 binding. Field names follow the OP Stack FaultDisputeGame's
// ClaimData so a claim read from the contract maps one to one.
import { bytesToHex, hexToBytes, type Hex } from '../../vm/util/bytes.js';
import { Position } from './position.js';

export type { Hex };
export type Address = Hex;

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
/** The root's parentIndex in the contract: type(uint32).max. */
export const NO_PARENT = 0xffffffff;

/** VM status, the top byte of a state commitment (Cannon's convention). */
export const VMStatus = { VALID: 0, INVALID: 1, PANIC: 2, UNFINISHED: 3 } as const;
export type VMStatus = (typeof VMStatus)[keyof typeof VMStatus];

export class GameTypeError extends Error {
  override readonly name = 'GameTypeError';
}

/** A chess clock: time already used by this side, and when this claim was made (seconds). */
export interface Clock {
  readonly duration: bigint;
  readonly timestamp: bigint;
}

export interface Claim {
  /** Index in claimData. */
  readonly index: number;
  /** Index of the claim this one counters; NO_PARENT for the root. */
  readonly parentIndex: number;
  readonly position: Position;
  /** bytes32: an output root above the split depth, a VM state commitment (status byte on top) below it. */
  readonly value: Hex;
  readonly claimant: Address;
  /** Who successfully countered this claim (set by step at the leaves, by resolveClaim above); zero when nobody. */
  readonly counteredBy: Address;
  readonly bond: bigint;
  readonly clock: Clock;
}

export interface GameParams {
  /** Depth of the leaves: steps are played against claims at this depth. */
  readonly maxGameDepth: number;
  /** Depth of the output-root leaves; execution trace subgames start at splitDepth + 1. */
  readonly splitDepth: number;
  /** Seconds each side has in total. */
  readonly maxClockDuration: bigint;
  /** Time granted when a side is left with less than this. */
  readonly clockExtension: bigint;
  /** Preimage oracle challenge period, added to the extension just before a step (0 without an oracle). */
  readonly preimageChallengePeriod: bigint;
  /** Commitment to the VM state every execution trace starts from. */
  readonly absolutePrestate: Hex;
  /** The anchor: the agreed output root and its L2 block. */
  readonly startingBlockNumber: bigint;
  readonly startingOutputRoot: Hex;
  /** The L2 block the root claim is about. */
  readonly l2BlockNumber: bigint;
  /** Required bond for a claim at each depth, 0..maxGameDepth (index 0 is the root's). */
  readonly bonds: readonly bigint[];
}

export type GameStatus = 'IN_PROGRESS' | 'CHALLENGER_WINS' | 'DEFENDER_WINS';

/** What a player sees of a game: enough to decide and check moves, from L1 or from the referee. */
export interface GameView {
  readonly params: GameParams;
  readonly claims: readonly Claim[];
  readonly status: GameStatus;
  /** resolvedSubgames[i] of the contract. */
  readonly resolved: readonly boolean[];
}

export interface MoveAction {
  readonly type: 'attack' | 'defend';
  readonly parentIndex: number;
  /** The parent's value, which the contract checks against claimData[parentIndex]. */
  readonly disputed: Hex;
  readonly value: Hex;
  /** msg.value: the required bond at the new claim's depth. */
  readonly bond: bigint;
}

export interface StepAction {
  readonly type: 'step';
  readonly claimIndex: number;
  readonly isAttack: boolean;
  readonly preState: Uint8Array;
  readonly proof: Uint8Array;
}

export interface ResolveClaimAction {
  readonly type: 'resolveClaim';
  readonly claimIndex: number;
  /** 0 resolves all of the claim's children at once, as in the contract. */
  readonly numToResolve: number;
}

export interface ResolveAction {
  readonly type: 'resolve';
}

export type Action = MoveAction | StepAction | ResolveClaimAction | ResolveAction;

function checkHash(hash: Hex): Uint8Array {
  const bytes = hexToBytes(hash);
  if (bytes.length !== 32) throw new GameTypeError(`expected 32 bytes, got ${bytes.length}: ${hash}`);
  return bytes;
}

/** `hash` with its top byte replaced by `status`. */
export function withStatus(hash: Hex, status: VMStatus): Hex {
  const bytes = checkHash(hash);
  bytes[0] = status;
  return bytesToHex(bytes);
}

/** The status byte of a state commitment. */
export function statusOf(hash: Hex): number {
  return checkHash(hash)[0]!;
}

/** Equal ignoring the status byte: how the contract matches a pre-state preimage to its claim. */
export function equalIgnoringStatus(a: Hex, b: Hex): boolean {
  return a.slice(4).toLowerCase() === b.slice(4).toLowerCase() && a.length === 66 && b.length === 66;
}

export function sameHash(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A bytes32 from a bigint (tests and synthetic traces). */
export function hashFromBigInt(value: bigint): Hex {
  if (value < 0n || value >= 1n << 256n) throw new GameTypeError(`not a uint256: ${value}`);
  return `0x${value.toString(16).padStart(64, '0')}`;
}
