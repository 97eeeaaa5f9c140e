// The engine's GameContract over a BisectionGame on L1 (viem): reads the claims, clocks and
// parameters (bonds per depth from getRequiredBond, never approximated), sends moves, steps and
// resolutions with the exact value, waits for the receipt, and turns a revert into the typed
// error named by the contract's custom error, so GameAgent sees a GameRevert it can skip.
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  parseAbi,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem';
import { bytesToHex } from '../../vm/util/bytes.js';
import type { GameContract } from '../game/agent.js';
import { committedInputsHash } from './inputs-inbox.js';
import {
  CannotDefendRootClaim,
  ClaimAlreadyExists,
  ClaimAlreadyResolved,
  ClockNotExpired,
  ClockTimeExceeded,
  DuplicateStep,
  GameDepthExceeded,
  GameNotInProgress,
  GameRevert,
  IncorrectBondAmount,
  InvalidParent,
  InvalidPrestate,
  NoCreditToClaim,
  OutOfOrderResolution,
  StepReverted,
  UnexpectedRootClaim,
  ValidStep,
} from '../game/game.js';
import { Position } from '../game/position.js';
import type { Action, Claim, GameParams, GameStatus, GameView } from '../game/types.js';

/** Reverts of the contract that the engine's referee has no class for. */
export class InvalidDisputedClaim extends GameRevert { override readonly name = 'InvalidDisputedClaim'; }
export class BondTransferFailed extends GameRevert { override readonly name = 'BondTransferFailed'; }
export class Reentrancy extends GameRevert { override readonly name = 'Reentrancy'; }
/** Any other revert of the game, the factory or the verifier: `errorName` is the custom error (or Panic / Error). */
export class ContractRevert extends GameRevert {
  override readonly name = 'ContractRevert';
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export class L1GameError extends Error {
  override readonly name = 'L1GameError';
}

type RevertClass = new (message: string) => GameRevert;

/** Custom error name -> the engine's class of the same name (or ours). */
const REVERT_CLASSES: Readonly<Record<string, RevertClass>> = {
  GameNotInProgress,
  InvalidParent,
  InvalidDisputedClaim,
  CannotDefendRootClaim,
  GameDepthExceeded,
  IncorrectBondAmount,
  ClockTimeExceeded,
  ClaimAlreadyExists,
  InvalidPrestate,
  ValidStep,
  DuplicateStep,
  ClockNotExpired,
  ClaimAlreadyResolved,
  OutOfOrderResolution,
  NoCreditToClaim,
  BondTransferFailed,
  Reentrancy,
  UnexpectedRootClaim,
  // The verifier's own revert inside step (malformed state data).
  BadStateData: StepReverted,
};

/**
 * What this binding calls on a BisectionGame, and every custom error a call can bubble up (the
 * game's, the AlphabetVerifier's, the factory's), as human-readable ABI. Written out rather than
 * taken from contracts/artifacts.ts so a CLI run does not compile the Solidity first (seconds);
 * test/l1-game.test.ts checks every entry against the compiled contracts.
 */
export const BISECTION_GAME_ABI = parseAbi([
  'function MAX_GAME_DEPTH() view returns (uint256)',
  'function SPLIT_DEPTH() view returns (uint256)',
  'function MAX_CLOCK_DURATION() view returns (uint64)',
  'function CLOCK_EXTENSION() view returns (uint64)',
  'function ABSOLUTE_PRESTATE() view returns (bytes32)',
  'function INPUTS() view returns (address)',
  'function startingBlockNumber() view returns (uint256)',
  'function startingRootHash() view returns (bytes32)',
  'function l2BlockNumber() view returns (uint256)',
  'function rootClaim() view returns (bytes32)',
  'function status() view returns (uint8)',
  'function claimDataLen() view returns (uint256)',
  'function claimData(uint256) view returns (uint32 parentIndex, address counteredBy, address claimant, uint128 bond, bytes32 claim, uint128 position, uint128 clock)',
  'function resolvedSubgames(uint256) view returns (bool)',
  'function credit(address) view returns (uint256)',
  'function getChallengerDuration(uint256 claimIndex) view returns (uint64)',
  'function getRequiredBond(uint128 position) view returns (uint256)',
  'function attack(bytes32 disputed, uint256 parentIndex, bytes32 claim) payable',
  'function defend(bytes32 disputed, uint256 parentIndex, bytes32 claim) payable',
  'function step(uint256 claimIndex, bool isAttack, bytes stateData, bytes proof)',
  'function resolveClaim(uint256 claimIndex, uint256 numToResolve)',
  'function resolve() returns (uint8 status_)',
  'function claimCredit(address recipient)',
  'error BadConfig()',
  'error NotFactory()',
  'error AlreadyInitialized()',
  'error BadExtraData()',
  'error AnchorRootNotFound()',
  'error UnexpectedRootClaim(bytes32 rootClaim)',
  'error BlockRangeTooLarge()',
  'error GameNotInProgress()',
  'error InvalidParent()',
  'error InvalidDisputedClaim()',
  'error CannotDefendRootClaim()',
  'error GameDepthExceeded()',
  'error IncorrectBondAmount()',
  'error ClockTimeExceeded()',
  'error ClaimAlreadyExists()',
  'error InvalidPrestate()',
  'error ValidStep()',
  'error DuplicateStep()',
  'error ClockNotExpired()',
  'error ClaimAlreadyResolved()',
  'error OutOfOrderResolution()',
  'error NoCreditToClaim()',
  'error BondTransferFailed()',
  'error Reentrancy()',
  // LibPosition
  'error PositionAboveBound()',
  // AlphabetVerifier
  'error BadStateData()',
  // DisputeGameFactory (IncorrectBondAmount is shared)
  'error NotOwner()',
  'error NoImplementation(uint32 gameType)',
  'error ImplementationMismatch(uint32 gameType)',
  'error GameAlreadyExists(bytes32 uuid)',
  'error CloneFailed()',
  'error BadAnchor()',
]);

/** The game's ABI with the errors of the factory and the verifier, so viem decodes every revert. */
export function gameAbiWithErrors(): Abi {
  return BISECTION_GAME_ABI;
}

function formatArg(a: unknown): string {
  return typeof a === 'bigint' ? a.toString() : typeof a === 'string' ? a : JSON.stringify(a);
}

/**
 * Errors of the MetisVM step verifier and its parts, which a step bubbles up through the game
 * (test/contracts-compile checks them against the compiled contracts).
 */
export const STEP_VERIFIER_ERRORS_ABI = parseAbi([
  'error BadPreimage(bytes32 hash)',
  'error BadStateData()',
  'error BoundaryStep()',
  'error MissingPreimage(bytes32 hash)',
  'error UnsupportedStep(uint8 op)',
  'error BadAccount(address account)',
  'error BadChildRef()',
  'error BadHexPrefix()',
  'error EmptyValue()',
  'error InferenceCall()',
  'error InferenceNotFinal(bytes32 modelId, bytes32 inputHash)',
  'error MalformedNode()',
  'error MissingNode(bytes32 hash)',
  'error ModelNotOnL1(bytes32 modelId)',
  'error NonCanonicalNode()',
  'error RLPBadLength(uint256 expected, uint256 actual)',
  'error RLPExpectedBytes()',
  'error RLPExpectedList()',
  'error RLPIntegerTooLong()',
  'error RLPNonCanonical()',
  'error RLPTrailingBytes()',
  'error RLPTruncated()',
  'error UnreproducibleCall()',
  'error BadLog(bytes32 hash)',
  'error BadTrieNode()',
  'error ExecutionGasTooLarge()',
  'error NeedsLocalContext()',
  'error NoNextStep()',
  'error TransactionBeginUnsupported()',
  'error BlobBaseFeeUnsupported()',
  'error MalformedTransaction()',
  'error Unprovable(uint256 target)',
  'error VerifierOutOfGas(uint256 target)',
  'error NotBlockStep()',
  'error SystemContractUnsupported(address account)',
  'error RequestContractUnsupported(address account)',
  'error WithdrawalsUnsupported()',
  'error BadHeaderTemplate(bytes32 hash)',
  'error NoAccount(address account)',
]);

/** Revert data the game does not know, read as a step verifier error (null when it is not one either). */
function stepVerifierRevert(data: Hex | undefined): ContractRevert | null {
  if (data === undefined || data.length < 10) return null;
  try {
    const d = decodeErrorResult({ abi: STEP_VERIFIER_ERRORS_ABI, data });
    const args = (d.args ?? []) as readonly unknown[];
    return new ContractRevert(d.errorName, `the step verifier reverted with ${d.errorName}${args.length > 0 ? `(${args.map(formatArg).join(', ')})` : ''}`);
  } catch {
    return null;
  }
}

/** A viem error carrying a decoded revert -> the typed GameRevert; anything else is returned unchanged. */
export function decodeRevert(e: unknown): unknown {
  if (!(e instanceof BaseError)) return e;
  const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return e;
  if (reverted.data === undefined) {
    const step = stepVerifierRevert(reverted.raw);
    if (step !== null) return step;
  }
  const errorName = reverted.data?.errorName ?? (reverted.reason !== undefined ? 'Error' : 'UnknownRevert');
  const args = reverted.data?.args ?? [];
  const detail = args.length > 0 ? `(${args.map(formatArg).join(', ')})` : '';
  const reason = reverted.reason !== undefined && reverted.data === undefined ? `: ${reverted.reason}` : '';
  const message = `reverted with ${errorName}${detail}${reason}`;
  const cls = REVERT_CLASSES[errorName];
  return cls !== undefined ? new cls(message) : new ContractRevert(errorName, message);
}

/** Raw revert data (from a mined transaction replayed, or an estimate) -> the typed GameRevert. */
export function revertFromData(data: Hex): GameRevert {
  let errorName: string;
  let args: readonly unknown[];
  try {
    const decoded = decodeErrorResult({ abi: BISECTION_GAME_ABI, data });
    errorName = decoded.errorName;
    args = decoded.args ?? [];
  } catch {
    return stepVerifierRevert(data) ?? new ContractRevert('UnknownRevert', `reverted with undecodable data ${data.slice(0, 74)}`);
  }
  const detail = args.length > 0 ? `(${args.map(formatArg).join(', ')})` : '';
  const cls = REVERT_CLASSES[errorName];
  const message = `reverted with ${errorName}${detail}`;
  return cls !== undefined ? new cls(message) : new ContractRevert(errorName, message);
}

/** A call to the game, checked by simulation, ready for any sender (e.g. a transaction manager). */
export interface GameCall {
  readonly functionName: string;
  readonly to: Address;
  readonly data: Hex;
  /** msg.value (the bond of a move; 0 otherwise). */
  readonly value: bigint;
}

export interface L1GameClients {
  readonly public: PublicClient;
  /** Needed only to send. */
  readonly wallet?: WalletClient<Transport, Chain, Account>;
}

const STATUSES: readonly GameStatus[] = ['IN_PROGRESS', 'CHALLENGER_WINS', 'DEFENDER_WINS'];

type RawClaim = readonly [number, Address, Address, bigint, Hex, bigint, bigint];

const MASK64 = (1n << 64n) - 1n;

function claimFromRaw(index: number, c: RawClaim): Claim {
  return {
    index,
    parentIndex: c[0],
    counteredBy: c[1],
    claimant: c[2],
    bond: c[3],
    value: c[4],
    position: new Position(c[5]),
    // clock = duration << 64 | timestamp
    clock: { duration: c[6] >> 64n, timestamp: c[6] & MASK64 },
  };
}

/** A BisectionGame at `address`, seen and played as the engine's GameContract. */
export class L1GameContract implements GameContract {
  private readonly abi = gameAbiWithErrors();
  private paramsCache: Promise<GameParams> | undefined;
  private inboxCache: Promise<Address | null> | undefined;

  constructor(
    private readonly clients: L1GameClients,
    readonly address: Address,
  ) {}

  private read<T>(functionName: string, args: readonly unknown[] = [], blockNumber?: bigint): Promise<T> {
    return this.clients.public.readContract({
      address: this.address,
      abi: this.abi,
      functionName,
      args,
      ...(blockNumber !== undefined ? { blockNumber } : {}),
    }) as Promise<T>;
  }

  /** The bond the contract requires for a claim at `position`. */
  requiredBond(position: Position): Promise<bigint> {
    return this.read<bigint>('getRequiredBond', [position.gindex]);
  }

  /** The immutable configuration and this game's anchor, read once. */
  params(): Promise<GameParams> {
    if (this.paramsCache === undefined) {
      const p = this.readParams();
      this.paramsCache = p;
      // A failed read is not cached: the next call retries.
      p.catch(() => {
        if (this.paramsCache === p) this.paramsCache = undefined;
      });
    }
    return this.paramsCache;
  }

  /** The BlockInputsInbox the game reads inputs hashes from; null when it has none (immutable: read once). */
  inputsInbox(): Promise<Address | null> {
    if (this.inboxCache === undefined) {
      const p = this.read<Address>('INPUTS').then((a) => (/^0x0{40}$/i.test(a) ? null : a));
      this.inboxCache = p;
      // A failed read is not cached: the next call retries.
      p.catch(() => {
        if (this.inboxCache === p) this.inboxCache = undefined;
      });
    }
    return this.inboxCache;
  }

  /**
   * The inputs hash the game's block start is given for `l2Block` (zero when the game has no inbox
   * or nothing was committed): MetisExecOptions.committedInputs for this game.
   */
  async committedInputs(l2Block: bigint): Promise<Uint8Array> {
    const inbox = await this.inputsInbox();
    return inbox === null ? new Uint8Array(32) : committedInputsHash(this.clients.public, inbox, l2Block);
  }

  private async readParams(): Promise<GameParams> {
    const [maxDepth, splitDepth, maxClock, extension, prestate, startBlock, startRoot, l2Block] = await Promise.all([
      this.read<bigint>('MAX_GAME_DEPTH'),
      this.read<bigint>('SPLIT_DEPTH'),
      this.read<bigint>('MAX_CLOCK_DURATION'),
      this.read<bigint>('CLOCK_EXTENSION'),
      this.read<Hex>('ABSOLUTE_PRESTATE'),
      this.read<bigint>('startingBlockNumber'),
      this.read<Hex>('startingRootHash'),
      this.read<bigint>('l2BlockNumber'),
    ]);
    const maxGameDepth = Number(maxDepth);
    // The bond depends only on the depth: ask for the leftmost position of each.
    const bonds = await Promise.all(Array.from({ length: maxGameDepth + 1 }, (_, d) => this.requiredBond(Position.at(d, 0n))));
    return {
      maxGameDepth,
      splitDepth: Number(splitDepth),
      maxClockDuration: maxClock,
      clockExtension: extension,
      // No preimage oracle behind the contract's step.
      preimageChallengePeriod: 0n,
      absolutePrestate: prestate,
      startingBlockNumber: startBlock,
      startingOutputRoot: startRoot,
      l2BlockNumber: l2Block,
      bonds,
    };
  }

  /** Claims, status and resolved flags, all read at one block so they are consistent. */
  async view(): Promise<GameView> {
    const params = await this.params();
    const blockNumber = await this.clients.public.getBlockNumber({ cacheTime: 0 });
    const [len, status] = await Promise.all([
      this.read<bigint>('claimDataLen', [], blockNumber),
      this.read<number>('status', [], blockNumber),
    ]);
    const indices = Array.from({ length: Number(len) }, (_, i) => i);
    const [claims, resolved] = await Promise.all([
      Promise.all(indices.map(async (i) => claimFromRaw(i, await this.read<RawClaim>('claimData', [BigInt(i)], blockNumber)))),
      Promise.all(indices.map((i) => this.read<boolean>('resolvedSubgames', [BigInt(i)], blockNumber))),
    ]);
    const s = STATUSES[status];
    if (s === undefined) throw new L1GameError(`unknown game status ${status}`);
    return { params, claims, status: s, resolved };
  }

  /** The latest block's timestamp: what the contract's clocks compare against. */
  async now(): Promise<bigint> {
    return (await this.clients.public.getBlock({ blockTag: 'latest' })).timestamp;
  }

  async credit(recipient: Address): Promise<bigint> {
    return this.read<bigint>('credit', [recipient]);
  }

  /** Seconds used by whoever would counter claim `index` (the contract's own view). */
  async challengerDuration(index: number): Promise<bigint> {
    return this.read<bigint>('getChallengerDuration', [BigInt(index)]);
  }

  async send(action: Action): Promise<void> {
    await this.sendAction(action);
  }

  /** Like send, returning the mined receipt. */
  async sendAction(action: Action): Promise<TransactionReceipt> {
    return this.sendCall(await this.prepareAction(action));
  }

  async claimCredit(recipient: Address): Promise<TransactionReceipt> {
    return this.sendCall(await this.prepareClaimCredit(recipient));
  }

  /**
   * The call `action` makes, simulated from `from` (default: the wallet's account) so a revert
   * throws the typed GameRevert and costs nothing; sending is left to the caller.
   */
  prepareAction(action: Action, from?: Address): Promise<GameCall> {
    switch (action.type) {
      case 'attack':
      case 'defend':
        return this.prepare(action.type, [action.disputed, BigInt(action.parentIndex), action.value], action.bond, from);
      case 'step':
        return this.prepare('step', [BigInt(action.claimIndex), action.isAttack, bytesToHex(action.preState), bytesToHex(action.proof)], 0n, from);
      case 'resolveClaim':
        return this.prepare('resolveClaim', [BigInt(action.claimIndex), BigInt(action.numToResolve)], 0n, from);
      case 'resolve':
        return this.prepare('resolve', [], 0n, from);
    }
  }

  prepareClaimCredit(recipient: Address, from?: Address): Promise<GameCall> {
    return this.prepare('claimCredit', [recipient], 0n, from);
  }

  /** The call encoded without simulation (to send one that may revert on chain, e.g. in tests). */
  encodeAction(action: Action): GameCall {
    const call = (functionName: string, args: readonly unknown[], value = 0n): GameCall => ({
      functionName,
      to: this.address,
      data: encodeFunctionData({ abi: this.abi, functionName, args }),
      value,
    });
    switch (action.type) {
      case 'attack':
      case 'defend':
        return call(action.type, [action.disputed, BigInt(action.parentIndex), action.value], action.bond);
      case 'step':
        return call('step', [BigInt(action.claimIndex), action.isAttack, bytesToHex(action.preState), bytesToHex(action.proof)]);
      case 'resolveClaim':
        return call('resolveClaim', [BigInt(action.claimIndex), BigInt(action.numToResolve)]);
      case 'resolve':
        return call('resolve', []);
    }
  }

  private async prepare(functionName: string, args: readonly unknown[], value: bigint, from?: Address): Promise<GameCall> {
    const account = from ?? this.clients.wallet?.account;
    if (account === undefined) throw new L1GameError(`${functionName}: no account to simulate from`);
    try {
      await this.clients.public.simulateContract({ address: this.address, abi: this.abi, functionName, args, account, value });
    } catch (e) {
      throw decodeRevert(e);
    }
    return { functionName, to: this.address, data: encodeFunctionData({ abi: this.abi, functionName, args }), value };
  }

  /** Send a prepared call from the wallet and wait for its receipt (no nonce or fee management). */
  private async sendCall(call: GameCall): Promise<TransactionReceipt> {
    const wallet = this.clients.wallet;
    if (wallet === undefined) throw new L1GameError(`${call.functionName}: no account to send from`);
    try {
      const hash = await wallet.sendTransaction({ to: call.to, data: call.data, value: call.value, account: wallet.account, chain: wallet.chain });
      const receipt = await this.clients.public.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new ContractRevert('Reverted', `${call.functionName} reverted on chain in ${hash}`);
      return receipt;
    } catch (e) {
      throw decodeRevert(e);
    }
  }
}
