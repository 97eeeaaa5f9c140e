// The DisputeGameFactory from the operator's side: list its games with a summary of each, and
// create a game paying the factory's init bond. Reverts come back as the typed errors of
// game-contract.ts (the factory's and the clone's initialize() errors are both decoded).
import { parseAbi, parseEventLogs, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { encodeGameExtraData } from '../../contracts/deploy.js';
import type { GameStatus } from '../game/types.js';
import { L1GameError, decodeRevert, gameAbiWithErrors, type L1GameClients } from './game-contract.js';

export interface GameSummary {
  readonly index: number;
  readonly address: Address;
  readonly gameType: number;
  /** When the factory created it (seconds). */
  readonly createdAt: bigint;
  readonly rootClaim: Hex;
  readonly l2BlockNumber: bigint;
  readonly status: GameStatus;
  readonly claims: number;
}

const STATUSES: readonly GameStatus[] = ['IN_PROGRESS', 'CHALLENGER_WINS', 'DEFENDER_WINS'];

/** What this binding calls on the factory (checked against the compiled contract in test/l1-game.test.ts). */
export const DISPUTE_GAME_FACTORY_ABI = parseAbi([
  'function gameCount() view returns (uint256)',
  'function gameAtIndex(uint256 index) view returns (uint32 gameType, uint64 timestamp, address proxy)',
  'function initBonds(uint32) view returns (uint256)',
  'function anchors(uint32 gameType) view returns (bytes32 root, uint256 l2BlockNumber)',
  'function create(uint32 gameType, bytes32 rootClaim, bytes extraData) payable returns (address proxy)',
  'event DisputeGameCreated(address indexed game, uint32 indexed gameType, bytes32 indexed rootClaim)',
]);

function factoryAbi(): Abi {
  // Every error a game's initialize() can bubble up through create(), and the factory's own.
  return [...DISPUTE_GAME_FACTORY_ABI, ...gameAbiWithErrors().filter((i) => i.type === 'error')];
}

export class L1Factory {
  private readonly abi = factoryAbi();
  private readonly gameAbi = gameAbiWithErrors();

  constructor(
    private readonly clients: L1GameClients,
    readonly address: Address,
  ) {}

  private read<T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.clients.public.readContract({ address, abi, functionName, args }) as Promise<T>;
  }

  async gameCount(): Promise<number> {
    return Number(await this.read<bigint>(this.address, this.abi, 'gameCount'));
  }

  async initBond(gameType: number): Promise<bigint> {
    return this.read<bigint>(this.address, this.abi, 'initBonds', [gameType]);
  }

  async anchor(gameType: number): Promise<{ root: Hex; l2BlockNumber: bigint }> {
    const [root, l2BlockNumber] = await this.read<readonly [Hex, bigint]>(this.address, this.abi, 'anchors', [gameType]);
    return { root, l2BlockNumber };
  }

  /** Games `from`..`from + limit - 1` (newest last), each with its root, block, status and claim count. */
  async listGames(from = 0, limit = Number.MAX_SAFE_INTEGER): Promise<GameSummary[]> {
    const count = await this.gameCount();
    const end = Math.min(count, from + limit);
    const out: GameSummary[] = [];
    for (let index = from; index < end; index++) {
      const [gameType, timestamp, address] = await this.read<readonly [number, bigint, Address]>(this.address, this.abi, 'gameAtIndex', [
        BigInt(index),
      ]);
      const [rootClaim, l2BlockNumber, status, claims] = await Promise.all([
        this.read<Hex>(address, this.gameAbi, 'rootClaim'),
        this.read<bigint>(address, this.gameAbi, 'l2BlockNumber'),
        this.read<number>(address, this.gameAbi, 'status'),
        this.read<bigint>(address, this.gameAbi, 'claimDataLen'),
      ]);
      out.push({
        index,
        address,
        gameType,
        createdAt: timestamp,
        rootClaim,
        l2BlockNumber,
        status: STATUSES[status] ?? 'IN_PROGRESS',
        claims: Number(claims),
      });
    }
    return out;
  }

  /** Create a game over `rootClaim` at `l2BlockNumber`, paying `bond` (default: the factory's init bond). */
  async createGame(options: {
    readonly gameType: number;
    readonly rootClaim: Hex;
    readonly l2BlockNumber: bigint;
    readonly bond?: bigint;
  }): Promise<{ address: Address; receipt: TransactionReceipt }> {
    const wallet = this.clients.wallet;
    if (wallet === undefined) throw new L1GameError('create: no account to send from');
    const bond = options.bond ?? (await this.initBond(options.gameType));
    try {
      const { request } = await this.clients.public.simulateContract({
        address: this.address,
        abi: this.abi,
        functionName: 'create',
        args: [options.gameType, options.rootClaim, encodeGameExtraData(options.l2BlockNumber)],
        value: bond,
        account: wallet.account,
      });
      const hash = await wallet.writeContract(request);
      const receipt = await this.clients.public.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new L1GameError(`create reverted on chain in ${hash}`);
      const [created] = parseEventLogs({ abi: this.abi, logs: receipt.logs, eventName: 'DisputeGameCreated' });
      const game = (created?.args as { game?: Address } | undefined)?.game;
      if (game === undefined) throw new L1GameError('create emitted no DisputeGameCreated event');
      return { address: game, receipt };
    } catch (e) {
      throw decodeRevert(e);
    }
  }
}
