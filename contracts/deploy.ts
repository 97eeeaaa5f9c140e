// viem helpers to put the dispute system on an L1 (anvil in tests and the devnet): deploy the
// factory, a verifier and a game implementation, register the game type, create games. Every
// transaction is simulated first, so a revert surfaces as viem's error with the decoded custom
// error, and awaited, so callers see mined state.
import {
  createPublicClient,
  createWalletClient,
  encodeAbiParameters,
  encodePacked,
  getAddress,
  http,
  keccak256,
  parseEther,
  parseEventLogs,
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
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import {
  alphabetVerifierArtifact,
  bisectionGameArtifact,
  contractArtifact,
  disputeGameFactoryArtifact,
  type ContractName,
} from './artifacts.js';
import type { CompiledContract } from './solc.js';

export class DeployError extends Error {
  override readonly name = 'DeployError';
}

export interface L1Clients {
  readonly public: PublicClient;
  readonly wallet: WalletClient<Transport, Chain, Account>;
}

/**
 * Clients for one account. `pollingIntervalMs` is how long a receipt wait sleeps when the
 * receipt is not there on the first look (viem's default 4 s is far too long for anvil).
 */
export function l1Clients(rpcUrl: string, privateKey: Hex, options: { chain?: Chain; pollingIntervalMs?: number } = {}): L1Clients {
  const transport = http(rpcUrl, { timeout: 120_000 });
  const chain = options.chain ?? foundry;
  const pollingInterval = options.pollingIntervalMs ?? 4_000;
  return {
    public: createPublicClient({ chain, transport, pollingInterval }),
    wallet: createWalletClient({ chain, transport, account: privateKeyToAccount(privateKey), pollingInterval }),
  };
}

/** BisectionGame constructor parameters (names as in the contract's Config). */
export interface GameParams {
  readonly gameType: number;
  readonly maxGameDepth: number;
  readonly splitDepth: number;
  /** Seconds each side may spend in total. */
  readonly maxClockDuration: bigint;
  readonly clockExtension: bigint;
  readonly absolutePrestate: Hex;
  readonly verifier: Address;
  /** The BlockInputsInbox the game reads each disputed block's inputs hash from (default: none, a zero inputs hash). */
  readonly inputs?: Address;
  /** Bond at depth 0 and at maxGameDepth, in wei. */
  readonly baseBond: bigint;
  readonly topBond: bigint;
}

/** OP's mainnet values: 73/30 depths, 3.5-day clocks, 3-hour extension, 0.08 ETH → 40 ETH bonds. */
export const DEFAULT_GAME_PARAMS = {
  maxGameDepth: 73,
  splitDepth: 30,
  maxClockDuration: 302_400n,
  clockExtension: 10_800n,
  baseBond: parseEther('0.08'),
  topBond: parseEther('40'),
} as const satisfies Partial<GameParams>;

export type GameStatus = 'IN_PROGRESS' | 'CHALLENGER_WINS' | 'DEFENDER_WINS';
export const GAME_STATUSES: readonly GameStatus[] = ['IN_PROGRESS', 'CHALLENGER_WINS', 'DEFENDER_WINS'];

/** A contract call to send: simulated, then sent and mined. */
export interface ContractCall {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args?: readonly unknown[];
  readonly value?: bigint;
}

/** Simulate (reverts throw with the decoded error), send, wait; throws if the receipt reverted. */
export async function sendCall(clients: L1Clients, call: ContractCall): Promise<TransactionReceipt> {
  const { request } = await clients.public.simulateContract({
    address: call.address,
    abi: call.abi,
    functionName: call.functionName,
    args: call.args ?? [],
    value: call.value,
    account: clients.wallet.account,
  });
  const hash = await clients.wallet.writeContract(request);
  const receipt = await clients.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new DeployError(`${call.functionName} reverted in ${hash}`);
  return receipt;
}

export async function deployContract(
  clients: L1Clients,
  artifact: CompiledContract,
  args: readonly unknown[] = [],
): Promise<{ address: Address; receipt: TransactionReceipt }> {
  const hash = await clients.wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await clients.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new DeployError(`deploying ${artifact.contractName} failed in ${hash}`);
  }
  return { address: getAddress(receipt.contractAddress), receipt };
}

/** What MetisStepVerifier routes each step class to (contracts/src/MetisStepBase.sol, IMetisStepPart); null: not provable on L1 yet. */
export interface MetisStepParts {
  /** CALL, CALLCODE, DELEGATECALL, STATICCALL, and the end of a call frame that has a caller. */
  readonly calls: ContractName | null;
  /** CREATE, CREATE2, SELFDESTRUCT, and the end of a creation frame. */
  readonly creates: ContractName | null;
  /** The transaction boundary steps (begin and end; block start and end without a local context). */
  readonly transactions: ContractName | null;
  /** Block start and block end, given the game's local context (IMetisBlockPart). */
  readonly blocks?: ContractName | null;
}

export const METIS_STEP_PARTS: MetisStepParts = {
  calls: 'MetisCallStep',
  creates: 'MetisCreateStep',
  transactions: 'MetisTxStep',
  blocks: 'MetisBlockStep',
};

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

export interface StepVerifierOptions {
  /**
   * The L1 inference game (IInferenceResults) whose final claims prove calls of the inference
   * precompile; without it such calls are unprovable (they revert InferenceCall).
   */
  readonly inferenceResults?: Address;
}

/** Deploys the parts MetisStepVerifier routes to, then the verifier over them; returns its address. */
export async function deployMetisStepVerifier(clients: L1Clients, parts: MetisStepParts = METIS_STEP_PARTS, options: StepVerifierOptions = {}): Promise<Address> {
  const part = async (name: ContractName | null, args: readonly unknown[] = []): Promise<Address> =>
    name === null ? ZERO_ADDRESS : (await deployContract(clients, contractArtifact(name), args)).address;
  // The CALLS part reads final inferences from the L1 inference game, if there is one.
  const calls = await part(parts.calls, parts.calls === 'MetisCallStep' ? [options.inferenceResults ?? ZERO_ADDRESS] : []);
  const creates = await part(parts.creates);
  // MetisTxStep hands transaction begins to MetisTxBeginStep, deployed apart (EIP-3860), which
  // decodes transactions with MetisTxDecoder (apart too: EIP-170) and reads final inferences for
  // a top-level call of the inference precompile.
  const begin =
    parts.transactions === 'MetisTxStep'
      ? [await part('MetisTxBeginStep', [options.inferenceResults ?? ZERO_ADDRESS, await part('MetisTxDecoder')])]
      : [];
  const transactions = await part(parts.transactions, begin);
  const blocks = await part(parts.blocks ?? null);
  // The pieces of split copies and KECCAK256s are no optional class: every verifier has them.
  const pieces = await part('MetisPieceStep');
  return (await deployContract(clients, contractArtifact('MetisStepVerifier'), [calls, creates, transactions, blocks, pieces])).address;
}

/** Deploys a BlockInputsInbox where only `batcher` commits, starting at L2 block `firstBlock` (the block after the anchor). */
export async function deployBlockInputsInbox(clients: L1Clients, batcher: Address, firstBlock: bigint): Promise<Address> {
  return (await deployContract(clients, contractArtifact('BlockInputsInbox'), [batcher, firstBlock])).address;
}

export interface FactoryOptions {
  /** Defaults to the deploying account. */
  readonly owner?: Address;
  /** The finalised output root games start from until one of them is upheld. */
  readonly anchorRoot: Hex;
  readonly anchorL2BlockNumber: bigint;
}

export async function deployFactory(clients: L1Clients, options: FactoryOptions): Promise<Address> {
  const owner = options.owner ?? clients.wallet.account.address;
  const { address } = await deployContract(clients, disputeGameFactoryArtifact(), [
    owner,
    options.anchorRoot,
    options.anchorL2BlockNumber,
  ]);
  return address;
}

export async function deployGameImplementation(clients: L1Clients, factory: Address, params: GameParams): Promise<Address> {
  const { address } = await deployContract(clients, bisectionGameArtifact(), [
    {
      gameType: params.gameType,
      maxGameDepth: BigInt(params.maxGameDepth),
      splitDepth: BigInt(params.splitDepth),
      maxClockDuration: params.maxClockDuration,
      clockExtension: params.clockExtension,
      absolutePrestate: params.absolutePrestate,
      verifier: params.verifier,
      inputs: params.inputs ?? ZERO_ADDRESS,
      factory,
      baseBond: params.baseBond,
      topBond: params.topBond,
    },
  ]);
  return address;
}

/** Owner only: make `implementation` the game of `gameType`, created for `initBond` wei. */
export async function registerGameType(
  clients: L1Clients,
  factory: Address,
  gameType: number,
  implementation: Address,
  initBond: bigint,
): Promise<void> {
  const abi = disputeGameFactoryArtifact().abi;
  await sendCall(clients, { address: factory, abi, functionName: 'setImplementation', args: [gameType, implementation] });
  await sendCall(clients, { address: factory, abi, functionName: 'setInitBond', args: [gameType, initBond] });
}

export interface DisputeSystem {
  readonly factory: Address;
  readonly implementation: Address;
}

/** Factory + game implementation + registration, in one go. */
export async function deployDisputeSystem(
  clients: L1Clients,
  options: FactoryOptions & { readonly game: GameParams; readonly initBond: bigint },
): Promise<DisputeSystem> {
  const factory = await deployFactory(clients, options);
  const implementation = await deployGameImplementation(clients, factory, options.game);
  await registerGameType(clients, factory, options.game.gameType, implementation, options.initBond);
  return { factory, implementation };
}

/** The factory's extraData for a game: the L2 block number as one ABI word. */
export function encodeGameExtraData(l2BlockNumber: bigint): Hex {
  return encodeAbiParameters([{ type: 'uint256' }], [l2BlockNumber]);
}

export interface CreateGameOptions {
  readonly gameType: number;
  readonly rootClaim: Hex;
  readonly l2BlockNumber: bigint;
  /** Defaults to the factory's init bond for the game type. */
  readonly bond?: bigint;
}

export async function createGame(
  clients: L1Clients,
  factory: Address,
  options: CreateGameOptions,
): Promise<{ address: Address; receipt: TransactionReceipt }> {
  const abi = disputeGameFactoryArtifact().abi;
  // The clone's initialize() reverts bubble up through create(): decode them with the game's errors.
  const gameErrors = bisectionGameArtifact().abi.filter((item) => item.type === 'error');
  const bond =
    options.bond ??
    ((await clients.public.readContract({ address: factory, abi, functionName: 'initBonds', args: [options.gameType] })) as bigint);
  const receipt = await sendCall(clients, {
    address: factory,
    abi: [...abi, ...gameErrors],
    functionName: 'create',
    args: [options.gameType, options.rootClaim, encodeGameExtraData(options.l2BlockNumber)],
    value: bond,
  });
  const [created] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'DisputeGameCreated' });
  const game = (created?.args as { game?: Address } | undefined)?.game;
  if (game === undefined) throw new DeployError('create emitted no DisputeGameCreated event');
  return { address: game, receipt };
}

// ---------------------------------------------------------------------------------------------
// The alphabet test verifier's model (mirrors contracts/src/AlphabetVerifier.sol), so actors can
// compute honest claims and step data off chain.

export const VM_STATUS = { VALID: 0, INVALID: 1, PANIC: 2, UNFINISHED: 3 } as const;

/** keccak of `stateData` with its top byte replaced by `status`. */
export function withStatus(hash: Hex, status: number): Hex {
  return `0x${status.toString(16).padStart(2, '0')}${hash.slice(4)}`;
}

export function alphabetStateData(stepsDone: bigint, l2BlockNumber: bigint): Hex {
  return encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [stepsDone, l2BlockNumber]);
}

export function alphabetStateHash(stepsDone: bigint, l2BlockNumber: bigint, status: number): Hex {
  return withStatus(keccak256(alphabetStateData(stepsDone, l2BlockNumber)), status);
}

/** The absolute prestate of every alphabet execution subgame: state (0, 0), unfinished. */
export const ALPHABET_ABSOLUTE_PRESTATE: Hex = alphabetStateHash(0n, 0n, VM_STATUS.UNFINISHED);

/** Output root of block `n` on the alphabet chain: n in the top 8 bytes, then hash bits. */
export function alphabetOutputAfter(prev: Hex, n: bigint): Hex {
  const h = BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [prev, n])));
  return `0x${((n << 192n) | (h >> 64n)).toString(16).padStart(64, '0')}`;
}

/** An alphabet output root for block `n` not derived from a parent (an anchor). */
export function alphabetGenesisOutput(n: bigint, seed: string): Hex {
  const h = BigInt(keccak256(encodePacked(['string'], [seed])));
  return `0x${((n << 192n) | (h >> 64n)).toString(16).padStart(64, '0')}`;
}

export function alphabetVerdict(starting: Hex, disputed: Hex, l2BlockNumber: bigint): number {
  const startingBlock = BigInt(starting) >> 192n;
  let expected: Hex;
  if (l2BlockNumber <= startingBlock) expected = starting;
  else if (l2BlockNumber === startingBlock + 1n) expected = alphabetOutputAfter(starting, l2BlockNumber);
  else return VM_STATUS.INVALID;
  return BigInt(disputed) === BigInt(expected) ? VM_STATUS.VALID : VM_STATUS.INVALID;
}

export async function deployAlphabetVerifier(clients: L1Clients, programSteps: bigint): Promise<Address> {
  const { address } = await deployContract(clients, alphabetVerifierArtifact(), [programSteps]);
  return address;
}
