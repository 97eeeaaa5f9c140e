// The in-process referee: the FaultDisputeGame's rules as a deterministic model with no L1,
// so games can be played and tested in memory. Every rejected call throws the error named like
// the contract's revert; state changes only when a call succeeds.
import { concatBytes, hexToBytes, bytesToHex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import { Position } from './position.js';
import { findStartingAndDisputedOutputs, findTraceAncestor, outputBlockAt } from './tree.js';
import {
  NO_PARENT,
  VMStatus,
  ZERO_ADDRESS,
  equalIgnoringStatus,
  sameHash,
  statusOf,
  type Action,
  type Address,
  type Claim,
  type Clock,
  type GameParams,
  type GameStatus,
  type GameView,
  type Hex,
} from './types.js';

export class GameRevert extends Error {
  override readonly name: string = 'GameRevert';
}
export class InvalidSplitDepth extends GameRevert { override readonly name = 'InvalidSplitDepth'; }
export class MaxDepthTooLarge extends GameRevert { override readonly name = 'MaxDepthTooLarge'; }
export class InvalidClockExtension extends GameRevert { override readonly name = 'InvalidClockExtension'; }
export class InvalidBondSchedule extends GameRevert { override readonly name = 'InvalidBondSchedule'; }
export class GameNotInProgress extends GameRevert { override readonly name = 'GameNotInProgress'; }
export class InvalidClaimIndex extends GameRevert { override readonly name = 'InvalidClaimIndex'; }
export class InvalidDisputedClaimIndex extends GameRevert { override readonly name = 'InvalidDisputedClaimIndex'; }
export class CannotDefendRootClaim extends GameRevert { override readonly name = 'CannotDefendRootClaim'; }
export class GameDepthExceeded extends GameRevert { override readonly name = 'GameDepthExceeded'; }
export class UnexpectedRootClaim extends GameRevert { override readonly name = 'UnexpectedRootClaim'; }
export class IncorrectBondAmount extends GameRevert { override readonly name = 'IncorrectBondAmount'; }
export class ClockTimeExceeded extends GameRevert { override readonly name = 'ClockTimeExceeded'; }
export class ClaimAlreadyExists extends GameRevert { override readonly name = 'ClaimAlreadyExists'; }
export class InvalidParent extends GameRevert { override readonly name = 'InvalidParent'; }
export class InvalidPrestate extends GameRevert { override readonly name = 'InvalidPrestate'; }
export class ValidStep extends GameRevert { override readonly name = 'ValidStep'; }
export class DuplicateStep extends GameRevert { override readonly name = 'DuplicateStep'; }
export class ClockNotExpired extends GameRevert { override readonly name = 'ClockNotExpired'; }
export class ClaimAlreadyResolved extends GameRevert { override readonly name = 'ClaimAlreadyResolved'; }
export class OutOfOrderResolution extends GameRevert { override readonly name = 'OutOfOrderResolution'; }
export class GameNotResolved extends GameRevert { override readonly name = 'GameNotResolved'; }
export class NoCreditToClaim extends GameRevert { override readonly name = 'NoCreditToClaim'; }
/** The contract would run off claimData walking to a trace ancestor (an array bounds panic). */
export class TraceAncestorNotFound extends GameRevert { override readonly name = 'TraceAncestorNotFound'; }
/** The VM's step itself reverted (malformed state or proof). */
export class StepReverted extends GameRevert { override readonly name = 'StepReverted'; }
/** Not a bytes32: the call could not even be ABI-encoded. */
export class InvalidClaimValue extends GameRevert { override readonly name = 'InvalidClaimValue'; }

function checkBytes32(value: Hex): void {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidClaimValue(`not a bytes32: ${value}`);
}

/** What the step verifier learns about its execution subgame (the contract's local preimage data). */
export interface LocalContext {
  /** _findLocalContext: keccak of the starting and disputed outputs and positions. */
  readonly uuid: Hex;
  readonly startingOutputRoot: Hex;
  readonly disputedOutputRoot: Hex;
  readonly disputedL2BlockNumber: bigint;
}

/** The VM's one-step function (IBigStepper.step): the post-state commitment, status byte on top. */
export interface StepVerifier {
  step(stateData: Uint8Array, proof: Uint8Array, context: LocalContext): Hex;
}

export interface TimeSource {
  /** Seconds, as block.timestamp. */
  now(): bigint;
}

/** A time source tests and simulations move by hand. */
export class ManualClock implements TimeSource {
  constructor(private t: bigint = 1_700_000_000n) {}
  now(): bigint {
    return this.t;
  }
  advance(seconds: bigint): void {
    this.t += seconds;
  }
}

/** Parameter checks of the contract's constructor. */
export function checkParams(params: GameParams): void {
  const { maxGameDepth, splitDepth } = params;
  if (!Number.isInteger(maxGameDepth) || maxGameDepth > 125) throw new MaxDepthTooLarge(`max game depth ${maxGameDepth}`);
  if (!Number.isInteger(splitDepth) || splitDepth < 2 || splitDepth + 1 >= maxGameDepth) {
    throw new InvalidSplitDepth(`split depth ${splitDepth} with max depth ${maxGameDepth}`);
  }
  if (params.clockExtension * 2n > params.maxClockDuration) {
    throw new InvalidClockExtension(`extension ${params.clockExtension} is more than half of ${params.maxClockDuration}`);
  }
  // The step's extension includes the oracle's challenge period; it must still fit in the clock.
  if (params.clockExtension + params.preimageChallengePeriod > params.maxClockDuration) {
    throw new InvalidClockExtension('extension plus preimage challenge period exceeds the clock');
  }
  if (params.bonds.length !== maxGameDepth + 1 || params.bonds.some((b) => b <= 0n)) {
    throw new InvalidBondSchedule(`need ${maxGameDepth + 1} positive bonds, got ${params.bonds.length}`);
  }
}

/**
 * Bonds growing geometrically from `baseBond` at the root to `maxBond` at the leaves, rounded
 * to gwei (the contract's own schedule can be read per depth and passed instead).
 */
export function geometricBonds(maxGameDepth: number, baseBond = 80_000_000_000_000_000n, maxBond = 60_000_000_000_000_000_000n): bigint[] {
  const gwei = 1_000_000_000n;
  const base = Number(baseBond / gwei);
  const ratio = Number(maxBond / gwei) / base;
  const out: bigint[] = [];
  for (let d = 0; d <= maxGameDepth; d++) out.push(BigInt(Math.round(base * ratio ** (d / maxGameDepth))) * gwei);
  return out;
}

/** getChallengerDuration: the time the side that would counter claims[index] has used, capped. */
export function challengerDuration(view: GameView, index: number, now: bigint): bigint {
  const claim = view.claims[index];
  if (claim === undefined) throw new InvalidClaimIndex(`no claim ${index}`);
  const parentDuration = claim.parentIndex === NO_PARENT ? 0n : view.claims[claim.parentIndex]!.clock.duration;
  const d = parentDuration + (now - claim.clock.timestamp);
  return d > view.params.maxClockDuration ? view.params.maxClockDuration : d;
}

/** The move's position, or undefined for a defense of the root. */
export function movePosition(parent: Position, isAttack: boolean): Position | undefined {
  if (isAttack) return parent.attack();
  return parent.isRoot() ? undefined : parent.defend();
}

/** The contract's duplicate key: keccak(claim, position, parentIndex), here as a string. */
function claimKey(value: Hex, position: Position, parentIndex: number): string {
  return `${value.toLowerCase()}:${position.gindex}:${parentIndex}`;
}

function abiWord(value: bigint): Uint8Array {
  return hexToBytes(value.toString(16).padStart(64, '0'));
}

interface MutableClaim {
  index: number;
  parentIndex: number;
  position: Position;
  value: Hex;
  claimant: Address;
  counteredBy: Address;
  bond: bigint;
  clock: Clock;
}

interface Checkpoint {
  subgameIndex: number;
  leftmostPosition: bigint;
  counteredBy: Address;
}

export interface GameInit {
  readonly params: GameParams;
  readonly rootClaim: Hex;
  readonly creator: Address;
  readonly verifier: StepVerifier;
  readonly time: TimeSource;
}

export class InProcessGame {
  readonly params: GameParams;
  private readonly verifier: StepVerifier;
  private readonly time: TimeSource;
  private readonly claimData: MutableClaim[] = [];
  private readonly subgames = new Map<number, number[]>();
  private readonly claimKeys = new Set<string>();
  private readonly resolvedSubgames: boolean[] = [];
  private readonly checkpoints = new Map<number, Checkpoint>();
  private readonly credits = new Map<string, bigint>();
  private gameStatus: GameStatus = 'IN_PROGRESS';
  private posted = 0n;
  private resolvedTime: bigint | undefined;

  constructor(init: GameInit) {
    checkParams(init.params);
    // The root claim is an output root for a block after the anchor.
    if (init.params.l2BlockNumber <= init.params.startingBlockNumber) {
      throw new UnexpectedRootClaim(`l2 block ${init.params.l2BlockNumber} is not after the anchor ${init.params.startingBlockNumber}`);
    }
    checkBytes32(init.rootClaim);
    this.params = init.params;
    this.verifier = init.verifier;
    this.time = init.time;
    const bond = init.params.bonds[0]!;
    this.pushClaim(NO_PARENT, Position.root(), init.rootClaim, init.creator, bond, { duration: 0n, timestamp: this.time.now() });
    this.posted += bond;
  }

  get status(): GameStatus {
    return this.gameStatus;
  }

  /** Total of all bonds posted (moves and the root), for accounting checks. */
  get bondsPosted(): bigint {
    return this.posted;
  }

  /** When resolve() ended the game. */
  get resolvedAt(): bigint | undefined {
    return this.resolvedTime;
  }

  get claimCount(): number {
    return this.claimData.length;
  }

  claim(index: number): Claim {
    const c = this.claimData[index];
    if (c === undefined) throw new InvalidClaimIndex(`no claim ${index}`);
    return { ...c };
  }

  /** A snapshot for players. */
  view(): GameView {
    return {
      params: this.params,
      claims: this.claimData.map((c) => ({ ...c })),
      status: this.gameStatus,
      resolved: this.claimData.map((_, i) => this.resolvedSubgames[i] === true),
    };
  }

  getRequiredBond(position: Position): bigint {
    const bond = this.params.bonds[position.depth];
    if (bond === undefined) throw new GameDepthExceeded(`depth ${position.depth} is beyond ${this.params.maxGameDepth}`);
    return bond;
  }

  getChallengerDuration(index: number): bigint {
    this.requireInProgress();
    return challengerDuration(this.view(), index, this.time.now());
  }

  credit(address: Address): bigint {
    return this.credits.get(address.toLowerCase()) ?? 0n;
  }

  /** All credits outstanding, by lower-case address. */
  allCredits(): ReadonlyMap<string, bigint> {
    return new Map(this.credits);
  }

  attack(sender: Address, disputed: Hex, parentIndex: number, value: Hex, bond: bigint): number {
    return this.move(sender, disputed, parentIndex, value, true, bond);
  }

  defend(sender: Address, disputed: Hex, parentIndex: number, value: Hex, bond: bigint): number {
    return this.move(sender, disputed, parentIndex, value, false, bond);
  }

  /** Adds a claim countering claims[parentIndex]; returns its index. */
  move(sender: Address, disputed: Hex, parentIndex: number, value: Hex, isAttack: boolean, bond: bigint): number {
    this.requireInProgress();
    checkBytes32(value);
    const parent = this.claimData[parentIndex];
    if (parent === undefined) throw new InvalidClaimIndex(`no claim ${parentIndex}`);
    if (!sameHash(parent.value, disputed)) throw new InvalidDisputedClaimIndex(`claim ${parentIndex} is not ${disputed}`);
    const next = movePosition(parent.position, isAttack);
    // A root (of the output game or of an execution subgame) commits to the whole trace: agreeing means not moving.
    if (next === undefined || (!isAttack && next.depth === this.params.splitDepth + 2)) {
      throw new CannotDefendRootClaim(`claim ${parentIndex} is a root claim`);
    }
    const depth = next.depth;
    if (depth > this.params.maxGameDepth) throw new GameDepthExceeded(`depth ${depth} is beyond ${this.params.maxGameDepth}; step instead`);
    if (depth === this.params.splitDepth + 1) this.verifyExecBisectionRoot(value, parentIndex, parent.position, isAttack);
    const required = this.getRequiredBond(next);
    if (bond !== required) throw new IncorrectBondAmount(`bond ${bond}, required ${required} at depth ${depth}`);

    let duration = challengerDuration(this.view(), parentIndex, this.time.now());
    if (duration === this.params.maxClockDuration) throw new ClockTimeExceeded(`the clock for countering claim ${parentIndex} has run out`);
    const extension = this.extensionFor(depth);
    // A side left with less than the extension is topped up to it.
    if (duration > this.params.maxClockDuration - extension) duration = this.params.maxClockDuration - extension;

    const key = claimKey(value, next, parentIndex);
    if (this.claimKeys.has(key)) throw new ClaimAlreadyExists(`claim ${value} at ${next.gindex} against ${parentIndex} exists`);
    this.claimKeys.add(key);
    const index = this.pushClaim(parentIndex, next, value, sender, bond, { duration, timestamp: this.time.now() });
    this.subgames.get(parentIndex)!.push(index);
    this.posted += bond;
    return index;
  }

  /** Counters the leaf claims[claimIndex] by running one VM step on L1. */
  step(sender: Address, claimIndex: number, isAttack: boolean, stateData: Uint8Array, proof: Uint8Array): void {
    this.requireInProgress();
    const parent = this.claimData[claimIndex];
    if (parent === undefined) throw new InvalidClaimIndex(`no claim ${claimIndex}`);
    // As the contract: a step is a move, refused once the stepper's clock for this leaf has run out.
    if (challengerDuration(this.view(), claimIndex, this.time.now()) === this.params.maxClockDuration) {
      throw new ClockTimeExceeded(`the clock for stepping against claim ${claimIndex} has run out`);
    }
    const parentPos = parent.position;
    if (parentPos.depth !== this.params.maxGameDepth) throw new InvalidParent(`claim ${claimIndex} is not at the max depth`);
    const { maxGameDepth, splitDepth } = this.params;

    let preStateClaim: Hex;
    let postState: Claim;
    if (isAttack) {
      const stepIndex = parentPos.attack().indexAtDepth;
      if (stepIndex % (1n << BigInt(maxGameDepth - splitDepth)) === 0n) {
        // The first step of an execution subgame starts from the absolute prestate.
        preStateClaim = this.params.absolutePrestate;
      } else {
        const pre = this.traceAncestor(new Position(parentPos.gindex - 1n), parent.parentIndex, false);
        preStateClaim = pre.value;
      }
      postState = parent;
    } else {
      preStateClaim = parent.value;
      postState = this.traceAncestor(new Position(parentPos.gindex + 1n), parent.parentIndex, false);
    }
    if (!equalIgnoringStatus(bytesToHex(keccak256(stateData)), preStateClaim)) {
      throw new InvalidPrestate(`state data does not hash to ${preStateClaim}`);
    }
    const context = this.localContext(claimIndex);
    let post: Hex;
    try {
      post = this.verifier.step(stateData, proof, context);
    } catch (e) {
      // On L1 a reverting VM reverts the whole step.
      throw new StepReverted(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
    const validStep = sameHash(post, postState.value);
    // The post state is the parent itself or an ancestor on the same side (even distance) or the other.
    const parentPostAgree = (parentPos.depth - postState.position.depth) % 2 === 0;
    if (parentPostAgree === validStep) throw new ValidStep(`the step does not counter claim ${claimIndex}`);
    if (parent.counteredBy !== ZERO_ADDRESS) throw new DuplicateStep(`claim ${claimIndex} is already countered`);
    parent.counteredBy = sender;
  }

  /** Resolves the subgame rooted at claims[claimIndex]; its children's subgames must be resolved. */
  resolveClaim(claimIndex: number, numToResolve = 0): void {
    this.requireInProgress();
    const root = this.claimData[claimIndex];
    if (root === undefined) throw new InvalidClaimIndex(`no claim ${claimIndex}`);
    if (challengerDuration(this.view(), claimIndex, this.time.now()) < this.params.maxClockDuration) {
      throw new ClockNotExpired(`claim ${claimIndex} can still be countered`);
    }
    if (this.resolvedSubgames[claimIndex] === true) throw new ClaimAlreadyResolved(`claim ${claimIndex}`);
    const children = this.subgames.get(claimIndex)!;
    if (children.length === 0 && claimIndex !== 0) {
      // A leaf stepped against pays its bond to the stepper; an uncontested claim gets its bond back.
      const recipient = root.counteredBy === ZERO_ADDRESS ? root.claimant : root.counteredBy;
      this.distributeBond(recipient, root);
      this.resolvedSubgames[claimIndex] = true;
      return;
    }
    // Work on a copy: a revert part-way must leave the stored checkpoint as it was.
    const stored = this.checkpoints.get(claimIndex);
    const cp: Checkpoint = stored === undefined
      ? { subgameIndex: 0, leftmostPosition: (1n << 128n) - 1n, counteredBy: ZERO_ADDRESS }
      : { ...stored };
    if (stored === undefined && numToResolve === 0) numToResolve = children.length;
    const finalCursor = Math.min(cp.subgameIndex + numToResolve, children.length);
    for (let i = cp.subgameIndex; i < finalCursor; i++) {
      const childIndex = children[i]!;
      if (this.resolvedSubgames[childIndex] !== true) throw new OutOfOrderResolution(`child ${childIndex} of ${claimIndex} is unresolved`);
      const child = this.claimData[childIndex]!;
      // The leftmost uncountered child wins the bond: a counter via an invalid defence position cannot be countered.
      if (child.counteredBy === ZERO_ADDRESS && cp.leftmostPosition > child.position.gindex) {
        cp.counteredBy = child.claimant;
        cp.leftmostPosition = child.position.gindex;
      }
    }
    cp.subgameIndex = finalCursor;
    this.checkpoints.set(claimIndex, cp);
    if (cp.subgameIndex === children.length) {
      this.resolvedSubgames[claimIndex] = true;
      this.distributeBond(cp.counteredBy !== ZERO_ADDRESS ? cp.counteredBy : root.claimant, root);
      root.counteredBy = cp.counteredBy;
    }
  }

  /** Ends the game once the root's subgame is resolved. */
  resolve(): GameStatus {
    this.requireInProgress();
    if (this.resolvedSubgames[0] !== true) throw new OutOfOrderResolution('the root claim is unresolved');
    this.gameStatus = this.claimData[0]!.counteredBy === ZERO_ADDRESS ? 'DEFENDER_WINS' : 'CHALLENGER_WINS';
    this.resolvedTime = this.time.now();
    return this.gameStatus;
  }

  /** Pays out a recipient's credit (after resolution); returns the amount. */
  claimCredit(recipient: Address): bigint {
    if (this.gameStatus === 'IN_PROGRESS') throw new GameNotResolved('the game is not resolved');
    const key = recipient.toLowerCase();
    const amount = this.credits.get(key) ?? 0n;
    if (amount === 0n) throw new NoCreditToClaim(`${recipient} has no credit`);
    this.credits.delete(key);
    return amount;
  }

  /** Applies an action as sent by `sender`. */
  apply(action: Action, sender: Address): void {
    switch (action.type) {
      case 'attack':
      case 'defend':
        this.move(sender, action.disputed, action.parentIndex, action.value, action.type === 'attack', action.bond);
        return;
      case 'step':
        this.step(sender, action.claimIndex, action.isAttack, action.preState, action.proof);
        return;
      case 'resolveClaim':
        this.resolveClaim(action.claimIndex, action.numToResolve);
        return;
      case 'resolve':
        this.resolve();
        return;
    }
  }

  /** The local preimage context of the execution subgame containing claims[claimIndex]. */
  localContext(claimIndex: number): LocalContext {
    let outputs;
    try {
      outputs = findStartingAndDisputedOutputs(this.claimData, this.params, claimIndex);
    } catch (e) {
      throw new TraceAncestorNotFound(e instanceof Error ? e.message : String(e));
    }
    const { starting, disputed } = outputs;
    const disputedWords = [hexToBytes(disputed.value), abiWord(disputed.position.gindex)];
    const uuid = starting === undefined
      ? keccak256(concatBytes(...disputedWords))
      : keccak256(concatBytes(hexToBytes(starting.value), abiWord(starting.position.gindex), ...disputedWords));
    return {
      uuid: bytesToHex(uuid),
      startingOutputRoot: starting === undefined ? this.params.startingOutputRoot : starting.value,
      disputedOutputRoot: disputed.value,
      disputedL2BlockNumber: outputBlockAt(this.params, disputed.position),
    };
  }

  private verifyExecBisectionRoot(rootClaim: Hex, parentIndex: number, parentPos: Position, isAttack: boolean): void {
    const disputed = this.traceAncestor(new Position(parentPos.gindex + 1n), parentIndex, true);
    const status = statusOf(rootClaim);
    // An attack always disputes the parent output; a defence disputes the next output, which was
    // made by the other side exactly when it sits at the split depth's parity.
    if (isAttack || disputed.position.depth % 2 === this.params.splitDepth % 2) {
      if (status !== VMStatus.INVALID && status !== VMStatus.PANIC) {
        throw new UnexpectedRootClaim(`execution root ${rootClaim} must have status INVALID or PANIC`);
      }
    } else if (status !== VMStatus.VALID) {
      throw new UnexpectedRootClaim(`execution root ${rootClaim} must have status VALID`);
    }
  }

  private traceAncestor(pos: Position, start: number, global: boolean): Claim {
    const found = findTraceAncestor(this.claimData, this.params, pos, start, global);
    if (found === undefined) throw new TraceAncestorNotFound(`no claim at the trace ancestor of ${pos.gindex} above claim ${start}`);
    return found;
  }

  private extensionFor(depth: number): bigint {
    const { maxGameDepth, splitDepth, clockExtension, preimageChallengePeriod } = this.params;
    // Before a step the oracle may need its challenge period; before the split the agent must build a trace.
    if (depth === maxGameDepth - 1) return clockExtension + preimageChallengePeriod;
    if (depth === splitDepth - 1) return clockExtension * 2n;
    return clockExtension;
  }

  private distributeBond(recipient: Address, claim: MutableClaim): void {
    const key = recipient.toLowerCase();
    this.credits.set(key, (this.credits.get(key) ?? 0n) + claim.bond);
  }

  private requireInProgress(): void {
    if (this.gameStatus !== 'IN_PROGRESS') throw new GameNotInProgress(`the game is over: ${this.gameStatus}`);
  }

  private pushClaim(parentIndex: number, position: Position, value: Hex, claimant: Address, bond: bigint, clock: Clock): number {
    const index = this.claimData.length;
    this.claimData.push({ index, parentIndex, position, value, claimant, counteredBy: ZERO_ADDRESS, bond, clock });
    this.subgames.set(index, []);
    return index;
  }
}

export interface ResolutionOutcome {
  readonly status: Exclude<GameStatus, 'IN_PROGRESS'>;
  /** Per claim, who countered it once every subgame is resolved (zero when it stands). */
  readonly counteredBy: readonly Address[];
  /** Bonds paid out, by lower-case address. */
  readonly credits: ReadonlyMap<string, bigint>;
}

/**
 * The outcome if every subgame were resolved now, ignoring clocks: a claim stands unless a child
 * stands (or a step countered it), and its bond goes to the leftmost standing child's claimant.
 * A pure cross-check of the referee's checkpointed resolution, and what a watcher reports.
 */
export function predictResolution(view: GameView): ResolutionOutcome {
  const n = view.claims.length;
  const counteredBy: Address[] = view.claims.map((c) => c.counteredBy);
  const leftmost: (bigint | undefined)[] = new Array<bigint | undefined>(n).fill(undefined);
  const hasChildren: boolean[] = new Array<boolean>(n).fill(false);
  const credits = new Map<string, bigint>();
  const pay = (to: Address, amount: bigint): void => {
    const key = to.toLowerCase();
    credits.set(key, (credits.get(key) ?? 0n) + amount);
  };
  // Children come after their parents, so one backward pass settles each claim before its parent.
  for (let i = n - 1; i >= 0; i--) {
    const claim = view.claims[i]!;
    // The counter (a stepper, or the leftmost standing child's claimant) or else the claimant gets the bond.
    pay(counteredBy[i] === ZERO_ADDRESS ? claim.claimant : counteredBy[i]!, claim.bond);
    if (claim.parentIndex === NO_PARENT) continue;
    const p = claim.parentIndex;
    if (!hasChildren[p]) {
      hasChildren[p] = true;
      counteredBy[p] = ZERO_ADDRESS;
    }
    const best = leftmost[p];
    // Visiting children last to first, `<=` lets the earliest of equal positions win, as in the contract.
    if (counteredBy[i] === ZERO_ADDRESS && (best === undefined || claim.position.gindex <= best)) {
      leftmost[p] = claim.position.gindex;
      counteredBy[p] = claim.claimant;
    }
  }
  return { status: counteredBy[0] === ZERO_ADDRESS ? 'DEFENDER_WINS' : 'CHALLENGER_WINS', counteredBy, credits };
}
