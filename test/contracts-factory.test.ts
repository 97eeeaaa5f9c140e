// The DisputeGameFactory and the game's creation-time rules on a real anvil: clones and their
// lookup, bonds along the exponential curve, the anchor, credits against a re-entrant recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, encodeAbiParameters, http, parseEther, parseEventLogs, type Address, type Hex } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { bisectionGameArtifact, disputeGameFactoryArtifact } from '../contracts/artifacts.js';
import {
  ALPHABET_ABSOLUTE_PRESTATE,
  DEFAULT_GAME_PARAMS,
  GAME_STATUSES,
  alphabetGenesisOutput,
  alphabetOutputAfter,
  createGame,
  deployAlphabetVerifier,
  deployContract,
  deployDisputeSystem,
  deployGameImplementation,
  encodeGameExtraData,
  l1Clients,
  sendCall,
  type GameParams,
  type L1Clients,
} from '../contracts/deploy.js';
import { compileSolidity, contractNamed } from '../contracts/solc.js';

const gameAbi = bisectionGameArtifact().abi;
const factoryAbi = disputeGameFactoryArtifact().abi;
const ANCHOR_BLOCK = 100n;
const ANCHOR_ROOT = alphabetGenesisOutput(ANCHOR_BLOCK, 'factory anchor');
const SMALL = { maxGameDepth: 6, splitDepth: 2, maxClockDuration: 1000n, clockExtension: 100n } as const;

/** The bond curve written independently of the contract: base * (top / base)^(depth / max). */
function bondByFormula(base: bigint, top: bigint, maxDepth: number, depth: number): number {
  return Number(base) * Math.pow(Number(top) / Number(base), depth / maxDepth);
}

/** A recipient whose receive() tries to claim again (re-entrancy probe). */
const GREEDY = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
interface IFactory { function create(uint32, bytes32, bytes calldata) external payable returns (address); }
interface IGame { function claimCredit(address) external; }
contract Greedy {
    address public game;
    bool public reenter;
    uint256 public received;
    function propose(address factory, uint32 gameType, bytes32 root, bytes calldata extraData) external payable {
        game = IFactory(factory).create{value: msg.value}(gameType, root, extraData);
    }
    function setReenter(bool r) external { reenter = r; }
    receive() external payable {
        received += msg.value;
        if (reenter) IGame(game).claimCredit(address(this));
    }
}
`;

describe('DisputeGameFactory', () => {
  let node: AnvilNode;
  let owner: L1Clients;
  let alice: L1Clients;
  let bob: L1Clients;
  let testClient: ReturnType<typeof createTestClient>;
  let verifier: Address;
  let factory: Address;
  let implementation: Address;
  let params: GameParams;

  const readFactory = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
    owner.public.readContract({ address: factory, abi: factoryAbi, functionName, args }) as Promise<T>;
  const readGame = <T>(address: Address, functionName: string, args: readonly unknown[] = []): Promise<T> =>
    owner.public.readContract({ address, abi: gameAbi, functionName, args }) as Promise<T>;
  const advance = async (seconds: bigint): Promise<void> => {
    await testClient.increaseTime({ seconds: Number(seconds) });
    await testClient.mine({ blocks: 1 });
  };
  /** Resolve a game nobody challenged: wait out the clock, resolve the root, then the game. */
  const resolveUncontested = async (game: Address): Promise<string> => {
    await advance(SMALL.maxClockDuration + 1n);
    await sendCall(bob, { address: game, abi: gameAbi, functionName: 'resolveClaim', args: [0n, 0n] });
    await sendCall(bob, { address: game, abi: gameAbi, functionName: 'resolve' });
    return GAME_STATUSES[await readGame<number>(game, 'status')];
  };

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    [owner, alice, bob] = [0, 1, 2].map((i) => l1Clients(node.rpcUrl, node.privateKeys[i], { pollingIntervalMs: 50 }));
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    verifier = await deployAlphabetVerifier(owner, 3n);
    params = { ...DEFAULT_GAME_PARAMS, ...SMALL, gameType: 7, absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE, verifier };
    ({ factory, implementation } = await deployDisputeSystem(owner, {
      anchorRoot: ANCHOR_ROOT,
      anchorL2BlockNumber: ANCHOR_BLOCK,
      game: params,
      initBond: parseEther('0.08'),
    }));
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('creates EIP-1167 clones, records them, and finds them by (type, root, extraData) and by index', async () => {
    expect(await readFactory<Address>('gameImpls', [7])).toBe(implementation);
    expect(await readFactory<bigint>('initBonds', [7])).toBe(parseEther('0.08'));
    const countBefore = await readFactory<bigint>('gameCount');
    const root = alphabetOutputAfter(ANCHOR_ROOT, 101n);
    const { address, receipt } = await createGame(alice, factory, { gameType: 7, rootClaim: root, l2BlockNumber: 101n });
    const [ev] = parseEventLogs({ abi: factoryAbi, logs: receipt.logs, eventName: 'DisputeGameCreated' });
    expect(ev.args).toMatchObject({ game: address, gameType: 7, rootClaim: root });
    expect(await readFactory<bigint>('gameCount')).toBe(countBefore + 1n);
    const block = await owner.public.getBlock({ blockNumber: receipt.blockNumber });
    expect(await readFactory<readonly [Address, bigint]>('games', [7, root, encodeGameExtraData(101n)])).toEqual([address, block.timestamp]);
    expect(await readFactory<readonly [number, bigint, Address]>('gameAtIndex', [countBefore])).toEqual([7, block.timestamp, address]);
    // Not found: another block or another type.
    expect((await readFactory<readonly [Address, bigint]>('games', [7, root, encodeGameExtraData(102n)]))[0]).toBe(
      '0x0000000000000000000000000000000000000000',
    );
    // The clone is the 45-byte EIP-1167 proxy pointing at the implementation.
    expect(await owner.public.getCode({ address })).toBe(
      `0x363d3d373d3d3d363d73${implementation.slice(2).toLowerCase()}5af43d82803e903d91602b57fd5bf3`,
    );
    // Its state is its own; its configuration is the implementation's.
    expect(await readGame<Address>(address, 'gameCreator')).toBe(alice.wallet.account.address);
    expect(await readGame<Hex>(address, 'rootClaim')).toBe(root);
    expect(await readGame<bigint>(address, 'l2BlockNumber')).toBe(101n);
    expect(await readGame<Hex>(address, 'extraData')).toBe(encodeGameExtraData(101n));
    expect(await readGame<number>(address, 'gameType')).toBe(7);
    expect(await readGame<bigint>(address, 'MAX_GAME_DEPTH')).toBe(6n);
    expect(await readGame<bigint>(address, 'startingBlockNumber')).toBe(ANCHOR_BLOCK);
    expect(await readGame<Hex>(address, 'startingRootHash')).toBe(ANCHOR_ROOT);
    expect(await readGame<bigint>(address, 'claimDataLen')).toBe(1n);
    const rootData = await readGame<readonly [number, Address, Address, bigint, Hex, bigint, bigint]>(address, 'claimData', [0n]);
    expect(rootData.slice(0, 6)).toEqual([
      0xffffffff,
      '0x0000000000000000000000000000000000000000',
      alice.wallet.account.address,
      parseEther('0.08'),
      root,
      1n,
    ]);
    expect(rootData[6]).toBe(block.timestamp); // duration 0, created now
    expect(await owner.public.getBalance({ address })).toBe(parseEther('0.08'));
    // The implementation itself was never initialised.
    expect(await readGame<boolean>(implementation, 'initialized')).toBe(false);
  });

  it('refuses duplicates, wrong bonds, unknown types, bad extra data and out-of-range blocks', async () => {
    const root = alphabetOutputAfter(ANCHOR_ROOT, 101n);
    await createGame(alice, factory, { gameType: 7, rootClaim: root, l2BlockNumber: 102n });
    await expect(createGame(bob, factory, { gameType: 7, rootClaim: root, l2BlockNumber: 102n })).rejects.toThrow(/GameAlreadyExists/);
    await expect(createGame(bob, factory, { gameType: 7, rootClaim: root, l2BlockNumber: 103n, bond: 1n })).rejects.toThrow(
      /IncorrectBondAmount/,
    );
    await expect(createGame(bob, factory, { gameType: 8, rootClaim: root, l2BlockNumber: 103n, bond: 0n })).rejects.toThrow(
      /NoImplementation/,
    );
    // At or below the anchor, or more blocks than the output bisection can address (2^2).
    await expect(createGame(bob, factory, { gameType: 7, rootClaim: root, l2BlockNumber: ANCHOR_BLOCK })).rejects.toThrow(
      /UnexpectedRootClaim/,
    );
    await expect(createGame(bob, factory, { gameType: 7, rootClaim: root, l2BlockNumber: ANCHOR_BLOCK + 5n })).rejects.toThrow(
      /BlockRangeTooLarge/,
    );
    await createGame(bob, factory, { gameType: 7, rootClaim: root, l2BlockNumber: ANCHOR_BLOCK + 4n });
    const bond = parseEther('0.08');
    const wide = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], [103n, 0n]);
    await expect(
      sendCall(bob, { address: factory, abi: [...factoryAbi, ...gameAbi], functionName: 'create', args: [7, root, wide], value: bond }),
    ).rejects.toThrow(/BadExtraData/);
    // Only the factory initialises games.
    const [, , clone] = await readFactory<readonly [number, bigint, Address]>('gameAtIndex', [0n]);
    for (const target of [implementation, clone]) {
      await expect(
        sendCall(bob, { address: target, abi: gameAbi, functionName: 'initialize', args: [bob.wallet.account.address, root, encodeGameExtraData(103n)] }),
      ).rejects.toThrow(/NotFactory/);
    }
  });

  it('lets only the owner set implementations and bonds, and checks the implementation game type', async () => {
    await expect(
      sendCall(bob, { address: factory, abi: factoryAbi, functionName: 'setImplementation', args: [7, implementation] }),
    ).rejects.toThrow(/NotOwner/);
    await expect(sendCall(bob, { address: factory, abi: factoryAbi, functionName: 'setInitBond', args: [7, 1n] })).rejects.toThrow(/NotOwner/);
    await expect(
      sendCall(owner, { address: factory, abi: factoryAbi, functionName: 'setImplementation', args: [9, implementation] }),
    ).rejects.toThrow(/ImplementationMismatch/);
  });

  it('charges bonds along the exponential curve, 0.08 ETH at the root to 40 ETH at depth 73', async () => {
    const impl73 = await deployGameImplementation(owner, factory, { ...params, ...DEFAULT_GAME_PARAMS, gameType: 1 });
    const { baseBond, topBond, maxGameDepth } = DEFAULT_GAME_PARAMS;
    const bondAt = (depth: number): Promise<bigint> => readGame<bigint>(impl73, 'getRequiredBond', [1n << BigInt(depth)]);
    expect(await bondAt(0)).toBe(baseBond);
    let previous = 0n;
    for (const depth of [0, 1, 2, 5, 10, 29, 30, 31, 50, 72, 73]) {
      const onChain = await bondAt(depth);
      const formula = bondByFormula(baseBond, topBond, maxGameDepth, depth);
      expect(Math.abs(Number(onChain) - formula) / formula).toBeLessThan(1e-12);
      expect(onChain).toBeGreaterThan(previous);
      previous = onChain;
    }
    // The bond depends on the depth only, not on the index at that depth.
    expect(await readGame<bigint>(impl73, 'getRequiredBond', [(1n << 40n) + 12345n])).toBe(await bondAt(40));
    await expect(readGame<bigint>(impl73, 'getRequiredBond', [1n << 74n])).rejects.toThrow(/GameDepthExceeded/);
    // Other bond parameters give their own curve.
    const cheap = await deployGameImplementation(owner, factory, { ...params, gameType: 2, baseBond: 1000n, topBond: 64_000n });
    for (const depth of [0, 1, 2, 3, 6]) {
      const onChain = await readGame<bigint>(cheap, 'getRequiredBond', [1n << BigInt(depth)]);
      expect(Number(onChain)).toBeCloseTo(bondByFormula(1000n, 64_000n, 6, depth), -1);
    }
    // 64^(1/6) = 2 exactly: the curve doubles per level (floor rounding may lose one wei).
    expect(await readGame<bigint>(cheap, 'getRequiredBond', [1n << 6n])).toBeGreaterThanOrEqual(63_999n);
  });

  it('moves the anchor only for DEFENDER_WINS games on newer blocks of its own type', async () => {
    const a = await deployDisputeSystem(owner, {
      anchorRoot: ANCHOR_ROOT,
      anchorL2BlockNumber: ANCHOR_BLOCK,
      game: params,
      initBond: parseEther('0.08'),
    });
    const anchors = (): Promise<readonly [Hex, bigint]> =>
      owner.public.readContract({ address: a.factory, abi: factoryAbi, functionName: 'anchors', args: [7] }) as Promise<readonly [Hex, bigint]>;
    expect(await anchors()).toEqual([ANCHOR_ROOT, ANCHOR_BLOCK]);
    const out = (n: bigint): Hex => alphabetGenesisOutput(n, `proposal ${n}`);
    const older = await createGame(alice, a.factory, { gameType: 7, rootClaim: out(102n), l2BlockNumber: 102n });
    const newer = await createGame(alice, a.factory, { gameType: 7, rootClaim: out(104n), l2BlockNumber: 104n });
    const contested = await createGame(alice, a.factory, { gameType: 7, rootClaim: out(103n), l2BlockNumber: 103n });
    // Bob attacks the third game's root and nobody answers: it will lose.
    const bond = await readGame<bigint>(contested.address, 'getRequiredBond', [2n]);
    await sendCall(bob, { address: contested.address, abi: gameAbi, functionName: 'attack', args: [out(103n), 0n, out(102n)], value: bond });

    // A stranger calling the anchor update changes nothing.
    const { result } = await owner.public.simulateContract({ address: a.factory, abi: factoryAbi, functionName: 'tryUpdateAnchor', account: bob.wallet.account });
    expect(result).toBe(false);

    expect(await resolveUncontested(newer.address)).toBe('DEFENDER_WINS');
    expect(await anchors()).toEqual([out(104n), 104n]);
    // A game for an older block still wins, but does not move the anchor back.
    expect(await resolveUncontested(older.address)).toBe('DEFENDER_WINS');
    expect(await anchors()).toEqual([out(104n), 104n]);
    // A lost game never moves it.
    await sendCall(bob, { address: contested.address, abi: gameAbi, functionName: 'resolveClaim', args: [1n, 0n] });
    await sendCall(bob, { address: contested.address, abi: gameAbi, functionName: 'resolveClaim', args: [0n, 0n] });
    await sendCall(bob, { address: contested.address, abi: gameAbi, functionName: 'resolve' });
    expect(GAME_STATUSES[await readGame<number>(contested.address, 'status')]).toBe('CHALLENGER_WINS');
    expect(await anchors()).toEqual([out(104n), 104n]);
    // Other game types still start from the genesis anchor.
    expect(await owner.public.readContract({ address: a.factory, abi: factoryAbi, functionName: 'anchors', args: [3] })).toEqual([
      ANCHOR_ROOT,
      ANCHOR_BLOCK,
    ]);
    // Bob took the lost root's bond and his own back.
    expect(await readGame<bigint>(contested.address, 'credit', [bob.wallet.account.address])).toBe(parseEther('0.08') + bond);
  });

  it('pays credit once and refuses a re-entrant recipient', async () => {
    const greedyArtifact = contractNamed(compileSolidity({ 'Greedy.sol': GREEDY }, { evmVersion: 'cancun' }), 'Greedy');
    const { address: greedy } = await deployContract(alice, greedyArtifact);
    const rootClaim = alphabetGenesisOutput(103n, 'greedy');
    await sendCall(alice, {
      address: greedy,
      abi: greedyArtifact.abi,
      functionName: 'propose',
      args: [factory, 7, rootClaim, encodeGameExtraData(103n)],
      value: parseEther('0.08'),
    });
    const game = (await owner.public.readContract({ address: greedy, abi: greedyArtifact.abi, functionName: 'game' })) as Address;
    expect(await readGame<Address>(game, 'gameCreator')).toBe(greedy);
    expect(await resolveUncontested(game)).toBe('DEFENDER_WINS');
    expect(await readGame<bigint>(game, 'credit', [greedy])).toBe(parseEther('0.08'));

    await sendCall(alice, { address: greedy, abi: greedyArtifact.abi, functionName: 'setReenter', args: [true] });
    // The nested claim hits the lock, so the transfer fails and nothing changes.
    await expect(sendCall(bob, { address: game, abi: gameAbi, functionName: 'claimCredit', args: [greedy] })).rejects.toThrow(
      /BondTransferFailed/,
    );
    expect(await readGame<bigint>(game, 'credit', [greedy])).toBe(parseEther('0.08'));
    expect(await owner.public.getBalance({ address: game })).toBe(parseEther('0.08'));

    await sendCall(alice, { address: greedy, abi: greedyArtifact.abi, functionName: 'setReenter', args: [false] });
    const r = await sendCall(bob, { address: game, abi: gameAbi, functionName: 'claimCredit', args: [greedy] });
    const [ev] = parseEventLogs({ abi: gameAbi, logs: r.logs, eventName: 'CreditClaimed' });
    expect(ev.args).toMatchObject({ recipient: greedy, amount: parseEther('0.08') });
    expect(await owner.public.getBalance({ address: greedy })).toBe(parseEther('0.08'));
    expect(await owner.public.readContract({ address: greedy, abi: greedyArtifact.abi, functionName: 'received' })).toBe(parseEther('0.08'));
    expect(await owner.public.getBalance({ address: game })).toBe(0n);
    await expect(sendCall(bob, { address: game, abi: gameAbi, functionName: 'claimCredit', args: [greedy] })).rejects.toThrow(/NoCreditToClaim/);
  });
});
