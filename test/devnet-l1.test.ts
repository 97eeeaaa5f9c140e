// The devnet's L1 side on a real anvil (Prague): the dispute system deployed with the L2 genesis
// output root as anchor and the MetisVM game type; the proposer creating games for honest
// roots and waiting when a proposal would span more than 2^SPLIT_DEPTH blocks; the runner end
// to end with a watcher that does nothing: valid roots resolve DEFENDER_WINS after the time warp,
// and a lie nobody disputes also resolves DEFENDER_WINS and is counted as an honest loss. A
// verifier node then derives, from L1 alone, the blocks the runner posted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { bisectionGameArtifact, disputeGameFactoryArtifact } from '../contracts/artifacts.js';
import { l1Clients, sendCall, type L1Clients } from '../contracts/deploy.js';
import { DEVNET_GAME_TYPE, DEVNET_INIT_BOND, deployDevnetL1, maxBlockSteps, DEVNET_MAX_BLOCK_STEPS, type DevnetL1 } from '../devnet/l1.js';
import { LoadGenerator } from '../devnet/load.js';
import { DevnetNode } from '../devnet/node.js';
import { Proposer, ProposerError } from '../devnet/proposer.js';
import { runDevnet, type DevnetContext, type DevnetSummary } from '../devnet/runner.js';
import { Sequencer } from '../devnet/sequencer.js';
import { ABSOLUTE_PRESTATE } from '../vm/step/boundary.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { arrayLogger } from './challenger-support.js';

const gameAbi = () => bisectionGameArtifact().abi;
const factoryAbi = () => disputeGameFactoryArtifact().abi;

async function read<T>(c: L1Clients, address: Address, abi: ReturnType<typeof gameAbi>, functionName: string, args: readonly unknown[] = []): Promise<T> {
  return (await c.public.readContract({ address, abi, functionName, args })) as T;
}

describe('devnet L1: deployment and the proposer', () => {
  let anvil: AnvilNode;
  let deployer: L1Clients;
  let proposerClients: L1Clients;
  let seq: Sequencer;
  let dir: string;
  let l1: DevnetL1;

  beforeAll(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    deployer = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 20 });
    proposerClients = l1Clients(anvil.rpcUrl, anvil.privateKeys[2]!, { pollingIntervalMs: 20 });
    dir = await mkdtemp(join(tmpdir(), 'devnet-l1-'));
    const l1Genesis = await deployer.public.getBlock({ blockNumber: 0n });
    seq = await Sequencer.open({ dataDir: dir, genesisTimestamp: l1Genesis.timestamp });
    // 20 small blocks, all with L1 block 0 as their origin.
    const load = new LoadGenerator({ seed: 5, perBlock: [0, 2], hashRounds: [5, 20] });
    for (let i = 0; i < 20; i++) await seq.buildBlock(load.nextBlock().map((t) => t.raw), { number: 0n, hash: hexToBytes(l1Genesis.hash) });
  }, 120_000);

  afterAll(async () => {
    await seq?.close();
    await anvil?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const truth = async (n: bigint): Promise<Hex> => bytesToHex((await seq.blockAt(n))!.outputRoot);

  it('deploys the factory anchored at the L2 genesis output root and the MetisVM game', async () => {
    const genesisRoot = bytesToHex((await seq.blockAt(0n))!.outputRoot);
    l1 = await deployDevnetL1(deployer, { anchorRoot: genesisRoot });
    expect(await read<readonly [Hex, bigint]>(deployer, l1.factory, factoryAbi(), 'anchors', [DEVNET_GAME_TYPE])).toEqual([genesisRoot, 0n]);
    expect(await read<Address>(deployer, l1.factory, factoryAbi(), 'gameImpls', [DEVNET_GAME_TYPE])).toBe(l1.implementation);
    expect(await read<bigint>(deployer, l1.factory, factoryAbi(), 'initBonds', [DEVNET_GAME_TYPE])).toBe(DEVNET_INIT_BOND);
    const impl = l1.implementation;
    expect(await read<bigint>(deployer, impl, gameAbi(), 'MAX_GAME_DEPTH')).toBe(19n);
    expect(await read<bigint>(deployer, impl, gameAbi(), 'SPLIT_DEPTH')).toBe(4n);
    expect(await read<Hex>(deployer, impl, gameAbi(), 'ABSOLUTE_PRESTATE')).toBe(bytesToHex(ABSOLUTE_PRESTATE));
    expect((await read<Address>(deployer, impl, gameAbi(), 'VERIFIER')).toLowerCase()).toBe(l1.verifier.toLowerCase());
    expect(await read<bigint>(deployer, impl, gameAbi(), 'MAX_CLOCK_DURATION')).toBe(600n);
    expect(maxBlockSteps(l1.game)).toBe(DEVNET_MAX_BLOCK_STEPS);
    expect(DEVNET_MAX_BLOCK_STEPS).toBe(16_384);
    // The verifier is real code on L1.
    expect((await deployer.public.getCode({ address: l1.verifier }))!.length).toBeGreaterThan(1000);
  }, 120_000);

  it('rejects a zero anchor', async () => {
    await expect(deployDevnetL1(deployer, { anchorRoot: `0x${'00'.repeat(32)}` })).rejects.toThrow(/anchor root/);
  });

  it('proposes honest roots every K blocks up to the safe head, and waits past 2^SPLIT_DEPTH blocks from the anchor', async () => {
    let safe = 8n;
    const proposer = new Proposer({ clients: proposerClients, factory: l1.factory, interval: 4n, safeHead: () => Promise.resolve(safe), truth });
    const first = await proposer.poll();
    expect(first.map((p) => p.l2Block)).toEqual([4n, 8n]);
    for (const p of first) {
      expect(p.honest).toBe(true);
      expect(p.rootClaim).toBe(await truth(p.l2Block));
      expect(p.startingBlock).toBe(0n);
      expect(await read<Hex>(deployer, p.game, gameAbi(), 'rootClaim')).toBe(p.rootClaim);
      expect(await read<bigint>(deployer, p.game, gameAbi(), 'l2BlockNumber')).toBe(p.l2Block);
      expect(await deployer.public.getBalance({ address: p.game })).toBe(DEVNET_INIT_BOND);
    }
    expect(await proposer.poll()).toEqual([]);
    safe = 20n;
    const second = await proposer.poll();
    // 12 and 16 fit in 16 blocks from the anchor at 0; 20 does not until a game moves the anchor.
    expect(second.map((p) => p.l2Block)).toEqual([12n, 16n]);
    expect(proposer.blockedOn()).toEqual({ l2Block: 20n, anchorBlock: 0n });
    expect(proposer.proposals().map((p) => p.l2Block)).toEqual([4n, 8n, 12n, 16n]);
    expect(await read<bigint>(deployer, l1.factory, factoryAbi(), 'gameCount')).toBe(4n);
  }, 120_000);

  it('refuses an interval longer than a game can span', () => {
    expect(() => new Proposer({ clients: proposerClients, factory: l1.factory, interval: 17n, safeHead: () => Promise.resolve(0n), truth })).toThrow(ProposerError);
  });
});

describe('devnet runner with a watcher that does nothing', () => {
  let anvil: AnvilNode;
  const dirs: string[] = [];

  beforeAll(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
  }, 60_000);

  afterAll(async () => {
    await anvil?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('valid roots resolve DEFENDER_WINS after the warp and count as untouched honest wins; a node derives the posted chain', async () => {
    const lines: Record<string, unknown>[] = [];
    let ctx: DevnetContext | undefined;
    let ticks = 0;
    let progress = 0;
    const summary: DevnetSummary = await runDevnet(
      { blocks: 8, proposalInterval: 4, seed: 11, l1: anvil, logger: arrayLogger(lines, 'info') },
      {
        watcher: (c) => {
          ctx = c;
          return Promise.resolve({ tick: () => Promise.resolve(void ticks++) });
        },
        onL1Progress: () => void progress++,
      },
    );
    expect(summary).toMatchObject({ gamesCreated: 2, validRoots: 2, validUntouched: 2, invalidRoots: 0, invalidCountered: 0, honestWins: 2, honestLosses: 0, unresolved: 0, l2Blocks: 8 });
    expect(summary.games.map((g) => [g.l2Block, g.status, g.honest, g.challenged])).toEqual([
      [4n, 'DEFENDER_WINS', true, false],
      [8n, 'DEFENDER_WINS', true, false],
    ]);
    expect(ticks).toBe(summary.rounds);
    expect(progress).toBe(summary.rounds);
    const msgs = lines.map((l) => l.msg);
    expect(msgs.filter((m) => m === 'L2 block built')).toHaveLength(8);
    expect(msgs.filter((m) => m === 'game created')).toHaveLength(2);
    expect(msgs.filter((m) => m === 'game resolved')).toHaveLength(2);
    expect(msgs).toContain('batch posted');
    expect(msgs).toContain('L1 time warped past the clocks');

    // The upheld game for block 8 moved the factory's anchor.
    const c = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 20 });
    const anchor = await read<readonly [Hex, bigint]>(c, ctx!.l1.factory, factoryAbi(), 'anchors', [DEVNET_GAME_TYPE]);
    expect(anchor).toEqual([summary.games[1]!.rootClaim, 8n]);

    // A verifier node derives the same chain from the batches on L1 (origins stayed valid across warps).
    const nodeDir = await mkdtemp(join(tmpdir(), 'devnet-runner-node-'));
    dirs.push(nodeDir);
    const node = await DevnetNode.open({
      l1RpcUrl: ctx!.l1RpcUrl,
      inbox: ctx!.inbox,
      batcher: ctx!.batcher,
      l1Start: ctx!.l1Start,
      dataDir: nodeDir,
      genesisTimestamp: ctx!.genesisTimestamp,
      logger: arrayLogger([], 'warn'),
    });
    try {
      const r = await node.sync();
      expect(r.l2Head).toBe(8n);
      for (const g of summary.games) expect((await node.outputAt(g.l2Block))!.outputRoot).toBe(g.honestRoot);
    } finally {
      await node.close();
    }
  }, 300_000);

  it('a lie nobody disputes also resolves DEFENDER_WINS and is counted as an honest loss', async () => {
    const lines: Record<string, unknown>[] = [];
    const lied: bigint[] = [];
    const summary = await runDevnet(
      {
        blocks: 8,
        proposalInterval: 4,
        seed: 12,
        faultyProposer: true,
        lieFor: (block, honest) => {
          if (block !== 8n) return Promise.resolve(null);
          lied.push(block);
          const lie: Hex = `0x${(BigInt(honest) ^ 1n).toString(16).padStart(64, '0')}`;
          return Promise.resolve(lie);
        },
        logger: arrayLogger(lines, 'info'),
      },
      {},
    );
    expect(lied).toEqual([8n]);
    expect(summary).toMatchObject({ gamesCreated: 2, validRoots: 1, validUntouched: 1, invalidRoots: 1, invalidCountered: 0, honestWins: 1, honestLosses: 1, unresolved: 0 });
    const [valid, invalid] = summary.games;
    expect(valid).toMatchObject({ l2Block: 4n, honest: true, status: 'DEFENDER_WINS', honestWin: true });
    expect(invalid).toMatchObject({ l2Block: 8n, honest: false, status: 'DEFENDER_WINS', honestWin: false, countered: false });
    expect(invalid!.rootClaim).not.toBe(invalid!.honestRoot);
    expect(lines.some((l) => l.msg === 'game resolved' && l.honestWin === false && l.l2Block === 8)).toBe(true);
  }, 300_000);

  it('a watcher that attacks the lie: no warp in the round it moves, the lie resolves CHALLENGER_WINS and counts as countered', async () => {
    const lines: Record<string, unknown>[] = [];
    const attacked: Address[] = [];
    let warpsBeforeAttack = -1;
    const summary = await runDevnet(
      { blocks: 8, proposalInterval: 4, seed: 13, faultyProposer: true, logger: arrayLogger(lines, 'info') },
      {
        watcher: (ctx) => {
          const me = l1Clients(ctx.l1RpcUrl, ctx.freeKeys[0]!, { pollingIntervalMs: 20 });
          const seen = new Set<Address>();
          return Promise.resolve({
            tick: async () => {
              for (const l of lines) {
                if (l.msg !== 'game created' || l.honest !== false) continue;
                const game = l.game as Address;
                if (seen.has(game)) continue;
                seen.add(game);
                const root = await read<Hex>(me, game, gameAbi(), 'rootClaim');
                const bond = await read<bigint>(me, game, gameAbi(), 'getRequiredBond', [2n]);
                warpsBeforeAttack = lines.filter((x) => x.msg === 'L1 time warped past the clocks').length;
                await sendCall(me, { address: game, abi: gameAbi(), functionName: 'attack', args: [root, 0n, `0x${'11'.repeat(32)}`], value: bond });
                attacked.push(game);
              }
            },
          });
        },
      },
    );
    // The default lie: every second proposal (block 8).
    expect(summary.games.map((g) => [g.l2Block, g.honest])).toEqual([
      [4n, true],
      [8n, false],
    ]);
    expect(attacked).toEqual([summary.games[1]!.game]);
    expect(summary).toMatchObject({ invalidRoots: 1, invalidCountered: 1, validUntouched: 1, honestWins: 2, honestLosses: 0, unresolved: 0 });
    expect(summary.games[1]).toMatchObject({ status: 'CHALLENGER_WINS', challenged: true, countered: true, honestWin: true });
    // The round of the attack did not warp; a later idle round did, and then the game resolved.
    const attackRoundEnd = lines.findIndex((l) => l.msg === 'game resolved' && l.l2Block === 8);
    const warps = lines.slice(0, attackRoundEnd).filter((l) => l.msg === 'L1 time warped past the clocks').length;
    expect(warps).toBe(warpsBeforeAttack + 1);
  }, 300_000);

  it('refuses bad options before starting anything', async () => {
    await expect(runDevnet({ blocks: 0, logger: arrayLogger([]) })).rejects.toThrow(/--blocks/);
  });
});
