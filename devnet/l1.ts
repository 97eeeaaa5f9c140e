// The devnet's L1 side: the dispute system on anvil for the MetisVM game type. The factory's
// anchor is the L2 genesis output root at block 0; a MetisStepVerifier proves single steps; a
// BisectionGame implementation with devnet depths, short clocks and small bonds is registered
// as DEVNET_GAME_TYPE.
import { bytesToHex as viemBytesToHex, parseEther, type Address, type Hex } from 'viem';
import type { IntModel } from '../ai/model.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployBlockInputsInbox, deployContract, deployDisputeSystem, deployMetisStepVerifier, METIS_STEP_PARTS, type GameParams, type L1Clients } from '../contracts/deploy.js';
import { InferenceGameContract, registerModelCall } from '../prover/inference/index.js';
import { ABSOLUTE_PRESTATE } from '../vm/step/boundary.js';

/** The MetisVM game type id on the devnet factory. */
export const DEVNET_GAME_TYPE = 1337;
/** Output bisection depth: a game spans at most 2^4 = 16 L2 blocks past its anchor. */
export const DEVNET_SPLIT_DEPTH = 4;
/** Execution bisection depth: at most 2^14 = 16384 steps per L2 block. */
export const DEVNET_TRACE_DEPTH = 14;
/** The step budget of one L2 block in an execution subgame. */
export const DEVNET_MAX_BLOCK_STEPS = 2 ** DEVNET_TRACE_DEPTH;

/** Devnet parameters: everything of GameParams but the verifier, which deployDevnetL1 deploys. */
export type DevnetGameParams = Omit<GameParams, 'verifier'>;

export const DEVNET_GAME_PARAMS: DevnetGameParams = {
  gameType: DEVNET_GAME_TYPE,
  // One level between the output and execution parts: the execution subgame's root.
  maxGameDepth: DEVNET_SPLIT_DEPTH + 1 + DEVNET_TRACE_DEPTH,
  splitDepth: DEVNET_SPLIT_DEPTH,
  // Short clocks: the runner warps anvil time past them once nobody moves.
  maxClockDuration: 600n,
  clockExtension: 60n,
  absolutePrestate: viemBytesToHex(ABSOLUTE_PRESTATE),
  baseBond: parseEther('0.01'),
  topBond: parseEther('0.1'),
};

/** The proposer's bond to create a game. */
export const DEVNET_INIT_BOND = parseEther('0.01');

export class DevnetL1Error extends Error {
  override readonly name = 'DevnetL1Error';
}

export interface DevnetL1Params {
  /** The L2 genesis output root (the factory's anchor at block 0). */
  readonly anchorRoot: Hex;
  /** Default 0 (the genesis). */
  readonly anchorL2BlockNumber?: bigint;
  /** Overrides of the devnet game parameters (the verifier is always the one deployed here). */
  readonly game?: Partial<DevnetGameParams>;
  readonly initBond?: bigint;
  /** Deploy the L1 inference game with these models registered, read by the step verifier. */
  readonly inference?: { readonly models: readonly IntModel[] };
  /** The account that commits block inputs to the inbox (default: the deployer). */
  readonly batcher?: Address;
}

/** The devnet's inference game: short windows and clocks (the runner warps L1 time past them). */
export const DEVNET_INFERENCE_PARAMS = {
  claimBond: parseEther('0.01'),
  challengeBond: parseEther('0.004'),
  /** Seconds a claim can be challenged. */
  challengeWindow: 60n,
  /** Seconds each side of a dispute has. */
  maxClock: 60n,
  /** Gemm accumulators opened whole below this many blocks. */
  maxWholeBlocks: 2n,
} as const;

export interface DevnetL1 {
  readonly factory: Address;
  readonly implementation: Address;
  readonly verifier: Address;
  /** The parameters the implementation was built with. */
  readonly game: GameParams;
  readonly initBond: bigint;
  readonly anchorRoot: Hex;
  readonly anchorL2BlockNumber: bigint;
  /** The L1 block of the last deployment transaction. */
  readonly deployedAt: bigint;
  /** The inference game and its chunk verifier, when deployed. */
  readonly inference?: { readonly game: Address; readonly chunkVerifier: Address };
  /** The BlockInputsInbox the games read block inputs from (the batcher commits each block's). */
  readonly inputsInbox: Address;
}

/** Deploys the verifier, the factory (owned by the deploying account) and the MetisVM game. */
export async function deployDevnetL1(clients: L1Clients, params: DevnetL1Params): Promise<DevnetL1> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(params.anchorRoot) || BigInt(params.anchorRoot) === 0n) {
    throw new DevnetL1Error(`anchor root must be a non-zero 32-byte hex, not ${params.anchorRoot}`);
  }
  const base = { ...DEVNET_GAME_PARAMS, ...params.game };
  if (base.maxGameDepth <= base.splitDepth + 1) throw new DevnetL1Error(`maxGameDepth ${base.maxGameDepth} leaves no execution bisection below split depth ${base.splitDepth}`);
  let inference: DevnetL1['inference'];
  if (params.inference !== undefined) {
    const p = DEVNET_INFERENCE_PARAMS;
    const chunkVerifier = (await deployContract(clients, contractArtifact('InferenceChunkVerifier'))).address;
    const game = (
      await deployContract(clients, contractArtifact('InferenceGame'), [chunkVerifier, clients.wallet.account.address, p.claimBond, p.challengeBond, p.challengeWindow, p.maxClock, p.maxWholeBlocks])
    ).address;
    // The deployer is the registrar: a model's commitment and gas are taken on its word (ai/DESIGN.md).
    const contract = new InferenceGameContract(clients, game);
    for (const m of params.inference.models) await contract.send(registerModelCall(m));
    inference = { game, chunkVerifier };
  }
  const verifier = await deployMetisStepVerifier(clients, METIS_STEP_PARTS, inference === undefined ? {} : { inferenceResults: inference.game });
  const anchorL2BlockNumber = params.anchorL2BlockNumber ?? 0n;
  const inputsInbox = await deployBlockInputsInbox(clients, params.batcher ?? clients.wallet.account.address, anchorL2BlockNumber + 1n);
  const game: GameParams = { ...base, verifier, inputs: inputsInbox };
  const initBond = params.initBond ?? DEVNET_INIT_BOND;
  const { factory, implementation } = await deployDisputeSystem(clients, { anchorRoot: params.anchorRoot, anchorL2BlockNumber, game, initBond });
  const deployedAt = await clients.public.getBlockNumber();
  return { factory, implementation, verifier, game, initBond, anchorRoot: params.anchorRoot, anchorL2BlockNumber, deployedAt, inputsInbox, ...(inference === undefined ? {} : { inference }) };
}

/** Steps of one L2 block an execution subgame of `game` can bisect: 2^(maxGameDepth - splitDepth - 1). */
export function maxBlockSteps(game: Pick<GameParams, 'maxGameDepth' | 'splitDepth'>): number {
  return 2 ** (game.maxGameDepth - game.splitDepth - 1);
}
