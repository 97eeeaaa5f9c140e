// The challenge-mode loop on a real anvil with the alphabet dispute system: an honest Challenger
// beats a dishonest proposer through its transaction manager and journal, resolves the game once
// the clocks run out (anvil time warped), claims its credit and deletes the game's data dir; a
// game with an honest root gets no move, and a second claimant's credit there is claimed for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createTestClient, createWalletClient, custom, http, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { l1Clients, type L1Clients } from '../contracts/deploy.js';
import { Challenger, ChallengerError, purposeKey } from '../challenger/challenger.js';
import { challengerMetrics } from '../challenger/metrics.js';
import { TxRevertedError } from '../challenger/txmgr.js';
import { GameAgent } from '../prover/game/agent.js';
import { ClaimAlreadyExists, predictResolution } from '../prover/game/game.js';
import { GameSolver, resolutionActions } from '../prover/game/solver.js';
import { beliefVerdict, divergentChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { ANCHOR_BLOCK, GAME_TYPE, INIT_BOND, MAX_CLOCK, MAX_DEPTH, PROGRAM_STEPS, arrayLogger, deployAlphabetSystem, honestAccessorFor, truth } from './challenger-support.js';

describe('the challenger plays dispute games on anvil', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let proposer: L1Clients;
  let bystander: L1Clients;
  let factory: Address;
  let testClient: ReturnType<typeof createTestClient>;
  const dataDir = mkdtempSync(join(tmpdir(), 'hv-challenger-'));

  const advance = async (seconds: bigint): Promise<void> => {
    await testClient.increaseTime({ seconds: Number(seconds) });
    await testClient.mine({ blocks: 1 });
  };

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    const keys = node.privateKeys;
    deployer = l1Clients(node.rpcUrl, keys[0]!, { pollingIntervalMs: 20 });
    honest = l1Clients(node.rpcUrl, keys[1]!, { pollingIntervalMs: 20 });
    liar = l1Clients(node.rpcUrl, keys[2]!, { pollingIntervalMs: 20 });
    proposer = l1Clients(node.rpcUrl, keys[3]!, { pollingIntervalMs: 20 });
    bystander = l1Clients(node.rpcUrl, keys[6]!, { pollingIntervalMs: 20 });
    factory = await deployAlphabetSystem(deployer);
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad options with a typed error', async () => {
    const base = {
      l1: honest,
      factory,
      accessorFor: honestAccessorFor(),
      claimants: [],
      dataDir: join(dataDir, 'unused'),
      logger: arrayLogger([]),
      metrics: challengerMetrics(),
    };
    await expect(Challenger.create({ ...base, claimants: ['0x1234' as Address] })).rejects.toBeInstanceOf(ChallengerError);
    await expect(Challenger.create({ ...base, maxConcurrency: 0 })).rejects.toBeInstanceOf(ChallengerError);
  });

  it('beats a dishonest proposer, wins the bonds, and leaves an honest root untouched', async () => {
    const lines: Record<string, unknown>[] = [];
    const metrics = challengerMetrics();
    const f = new L1Factory(proposer, factory);
    // An honest proposal by one of the challenger's claimants, a lie, and a stranger's honest proposal.
    const goodBlock = ANCHOR_BLOCK + 3n;
    const good = await f.createGame({ gameType: GAME_TYPE, rootClaim: truth(goodBlock), l2BlockNumber: goodBlock });
    const lie = divergentChain(truth, ANCHOR_BLOCK + 2n, 'dishonest proposer');
    const badBlock = ANCHOR_BLOCK + 4n;
    const bad = await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(badBlock), l2BlockNumber: badBlock });
    const otherBlock = ANCHOR_BLOCK + 5n;
    const other = await new L1Factory(bystander, factory).createGame({ gameType: GAME_TYPE, rootClaim: truth(otherBlock), l2BlockNumber: otherBlock });
    const proposerBefore = await honest.public.getBalance({ address: proposer.wallet.account.address });

    const accessed: Address[] = [];
    const honestAccessor = honestAccessorFor();
    const challenger = await Challenger.create({
      l1: honest,
      factory,
      accessorFor: (g) => {
        accessed.push(g.address);
        expect(existsSync(g.dataDir)).toBe(true);
        return honestAccessor(g);
      },
      claimants: [proposer.wallet.account.address],
      gameWindowSeconds: 10n * MAX_CLOCK,
      maxConcurrency: 2,
      dataDir,
      logger: arrayLogger(lines),
      metrics,
      txmgr: { pollIntervalMs: 20 },
    });
    const badGame = new L1GameContract({ public: honest.public }, bad.address);
    const goodGame = new L1GameContract({ public: honest.public }, good.address);
    const liarView = await badGame.view();
    const liarAgent = new GameAgent(
      new L1GameContract(liar, bad.address),
      new GameSolver(l1AlphabetAccessor(liarView.params, PROGRAM_STEPS, lie, beliefVerdict(lie))),
      { resolve: false },
    );
    let sawDir = false;
    let maxStake = 0;
    let done = false;
    for (let round = 0; round < 100 && !done; round++) {
      const tick = await challenger.tick();
      expect(tick.failed).toEqual([]);
      sawDir ||= existsSync(challenger.gameDir(bad.address));
      const stake = (await metrics.bondsAtStake.get()).values[0]?.value ?? 0;
      if (stake > maxStake) maxStake = stake;
      const mine = tick.games.find((g) => g.address === bad.address);
      done = (await challenger.journal.game(bad.address))?.done === true && (await challenger.journal.game(good.address))?.done === true;
      const theirs = await liarAgent.tick();
      // Nobody moved: let a quarter of the clock pass.
      if ((mine?.sent.length ?? 0) === 0 && theirs.sent.length === 0) await advance(MAX_CLOCK / 4n);
    }
    expect(done).toBe(true);
    expect(sawDir).toBe(true);
    expect(existsSync(challenger.gameDir(bad.address))).toBe(false);

    const final = await badGame.view();
    expect(final.status).toBe('CHALLENGER_WINS');
    expect(final.resolved.every(Boolean)).toBe(true);
    const me = honest.wallet.account.address;
    expect(final.claims[0]!.counteredBy).toBe(me);
    // It went down to a step against the liar's leaf.
    expect(final.claims.some((c) => c.position.depth === MAX_DEPTH && c.claimant === liar.wallet.account.address && c.counteredBy === me)).toBe(true);
    // Won: its credit (the engine's prediction) exceeds what it posted, and it was claimed.
    const posted = final.claims.filter((c) => c.claimant === me).reduce((s, c) => s + c.bond, 0n);
    const predicted = predictResolution(final).credits.get(me.toLowerCase()) ?? 0n;
    expect(predicted).toBeGreaterThan(posted);
    expect(await badGame.credit(me)).toBe(0n);
    const record = (await challenger.journal.game(bad.address))!;
    expect(record).toMatchObject({ status: 'CHALLENGER_WINS', outcome: 'won', done: true, bondsAtStake: posted });
    expect(BigInt(record.claimed[me.toLowerCase()]!)).toBe(predicted);
    expect(await honest.public.getBalance({ address: bad.address })).toBe(predictResolution(final).credits.get(liar.wallet.account.address.toLowerCase()) ?? 0n);

    // Every claim of ours is one journaled, mined move; nothing was sent twice.
    const txs = await challenger.journal.txs(`game:${bad.address.toLowerCase()}:`);
    expect(txs.every((t) => t.status === 'mined' && t.attempts.length === 1)).toBe(true);
    const moves = txs.filter((t) => t.purpose.includes(':move:'));
    expect(moves).toHaveLength(final.claims.filter((c) => c.claimant === me).length);
    for (const c of final.claims.filter((x) => x.claimant === me)) {
      const action = { type: 'attack' as const, parentIndex: c.parentIndex, disputed: '0x' as Hex, value: c.value, bond: c.bond };
      const asAttack = purposeKey(bad.address, action);
      const asDefend = purposeKey(bad.address, { ...action, type: 'defend' });
      expect(moves.filter((t) => t.purpose === asAttack || t.purpose === asDefend)).toHaveLength(1);
    }
    expect(txs.filter((t) => t.purpose.endsWith(':resolve'))).toHaveLength(1);
    expect(txs.filter((t) => t.purpose.includes(':step:')).length).toBeGreaterThanOrEqual(1);
    const nonces = (await challenger.journal.nonces(me)).map((n) => n.nonce);
    expect(nonces).toEqual(nonces.map((_, i) => i));
    expect(await honest.public.getTransactionCount({ address: me })).toBe(nonces.length);

    // The claimant's honest root: never moved against; resolved once its clock ran out (its bond
    // is ours) and the proposer's credit claimed for it.
    expect(accessed).toContain(good.address);
    const goodView = await goodGame.view();
    expect(goodView.claims).toHaveLength(1);
    expect(goodView.status).toBe('DEFENDER_WINS');
    expect(await honest.public.getBalance({ address: proposer.wallet.account.address })).toBe(proposerBefore + INIT_BOND);
    expect((await challenger.journal.txs(`game:${good.address.toLowerCase()}:`)).map((t) => t.purpose).sort()).toEqual(
      [
        purposeKey(good.address, { type: 'resolveClaim', claimIndex: 0, numToResolve: 0 }),
        purposeKey(good.address, { type: 'resolve' }),
        purposeKey(good.address, { type: 'claimCredit', recipient: proposer.wallet.account.address }),
      ].sort(),
    );
    expect(existsSync(challenger.gameDir(good.address))).toBe(false);
    // A stranger's honest root: judged, left entirely alone (no bond of ours to recover).
    expect(accessed).toContain(other.address);
    const otherGame = new L1GameContract({ public: honest.public }, other.address);
    expect((await otherGame.view()).claims).toHaveLength(1);
    expect((await otherGame.view()).status).toBe('IN_PROGRESS');
    const again = await challenger.tick();
    expect(again.games.map((g) => g.address)).toEqual([other.address]);
    expect(again.games[0]).toMatchObject({ sent: [], rejected: [], done: false });
    expect(await challenger.journal.txs(`game:${other.address.toLowerCase()}:`)).toEqual([]);

    // Metrics (both games with our bonds were won) and logs.
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/hyperion_challenger_games_won_total 2\b/);
    expect(text).toMatch(/hyperion_challenger_games_lost_total 0\b/);
    expect(text).toMatch(/hyperion_challenger_games_seen_total 3\b/);
    expect(text).toMatch(/hyperion_challenger_games_in_progress 1\b/);
    // Bonds were at stake while the games ran (the proposer's root bond and our moves); none now.
    expect(maxStake).toBeGreaterThan(Number(INIT_BOND));
    expect(text).toMatch(/^hyperion_challenger_bonds_at_stake_wei 0$/m);
    expect(text).toMatch(/hyperion_challenger_moves_sent_total\{type="step"\} [1-9]/);
    // Wei as a float gauge: equal up to rounding.
    const claimedMetric = Number(/^hyperion_challenger_bonds_claimed_wei_total (\S+)$/m.exec(text)![1]);
    expect(Math.abs(claimedMetric - Number(predicted + INIT_BOND)) / Number(predicted + INIT_BOND)).toBeLessThan(1e-12);
    const about = (addr: Address) => lines.filter((l) => typeof l.purpose === 'string' && (l.purpose as string).startsWith(`game:${addr.toLowerCase()}:`));
    expect(about(bad.address).length).toBeGreaterThan(0);
    expect(about(good.address).length).toBeGreaterThan(0);
    for (const l of [...about(bad.address), ...about(good.address)]) expect(String(l.game).toLowerCase()).toBe(String(l.purpose).split(':')[1]);
    await challenger.close();
  }, 300_000);

  it('a move someone else got in first is rejected with the typed revert, journaled, and not retried', async () => {
    const lie = divergentChain(truth, ANCHOR_BLOCK + 1n, 'race');
    const block = ANCHOR_BLOCK + 6n;
    const { address } = await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(block), l2BlockNumber: block });
    // Both estimate against a pool without the other's move (else the second one's estimation
    // already reverts and nothing races): each broadcast waits until both have reached theirs.
    let arrived = 0;
    let release!: () => void;
    const bothArrived = new Promise<void>((r) => (release = r));
    const gated = (key: Hex): L1Clients => {
      const inner = http(node.rpcUrl)({ chain: foundry, retryCount: 0 });
      const transport = custom({
        request: async (args: { method: string; params?: unknown }) => {
          if (args.method === 'eth_sendRawTransaction') {
            if (++arrived === 2) release();
            await bothArrived;
          }
          return inner.request(args as never);
        },
      });
      const account = privateKeyToAccount(key);
      return {
        public: createPublicClient({ chain: foundry, transport, pollingInterval: 20 }),
        wallet: createWalletClient({ chain: foundry, transport, account, pollingInterval: 20 }),
      };
    };
    const first = gated(node.privateKeys[1]!);
    const rival = gated(node.privateKeys[4]!);
    const registries = [challengerMetrics(), challengerMetrics()];
    const make = (l1: L1Clients, dir: string, lines: Record<string, unknown>[], metrics: ReturnType<typeof challengerMetrics>) =>
      Challenger.create({
        l1,
        factory,
        accessorFor: honestAccessorFor(),
        claimants: [],
        allow: [address],
        dataDir: join(dataDir, dir),
        logger: arrayLogger(lines),
        metrics,
        txmgr: { pollIntervalMs: 20 },
      });
    const aLines: Record<string, unknown>[] = [];
    const bLines: Record<string, unknown>[] = [];
    const a = await make(first, 'race-a', aLines, registries[0]!);
    const b = await make(rival, 'race-b', bLines, registries[1]!);
    const pending = async (who: Address): Promise<number> =>
      (await honest.public.getTransactionCount({ address: who, blockTag: 'pending' })) - (await honest.public.getTransactionCount({ address: who }));
    // Both see the same game and send the same counter; one block carries both.
    await testClient.setAutomine(false);
    let ticks: Awaited<ReturnType<Challenger['tick']>>[];
    try {
      let settled = false;
      const both = Promise.all([a.tick(), b.tick()]).finally(() => (settled = true));
      // Until both are in the pool (or a tick ended early, which the checks below then report).
      while (!settled && ((await pending(first.wallet.account.address)) === 0 || (await pending(rival.wallet.account.address)) === 0)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await testClient.mine({ blocks: 1 });
      ticks = await both;
    } finally {
      await testClient.setAutomine(true);
    }
    const reports = ticks.map((t) => t.games.find((g) => g.address === address)!);
    const winner = reports.findIndex((r) => r.sent.length === 1);
    expect(winner).toBeGreaterThanOrEqual(0);
    const loser = reports[1 - winner]!;
    expect(loser.sent).toEqual([]);
    expect(loser.rejected).toHaveLength(1);
    const rejection = loser.rejected[0]!;
    expect(rejection.purpose).toBe(reports[winner]!.sent[0]);
    expect(rejection.error).toBeInstanceOf(TxRevertedError);
    expect((rejection.error as TxRevertedError).revert).toBeInstanceOf(ClaimAlreadyExists);
    const loserChallenger = [a, b][1 - winner]!;
    expect(await loserChallenger.journal.tx(rejection.purpose)).toMatchObject({ status: 'reverted' });
    expect([aLines, bLines][1 - winner]!.some((l) => l.game === address && l.purpose === rejection.purpose && String(l.reason).includes('ClaimAlreadyExists'))).toBe(true);
    expect(await registries[1 - winner]!.registry.metrics()).toMatch(/hyperion_challenger_moves_rejected_total\{type="attack"\} 1/);
    // Next tick: recomputed from the game, which already has that claim; nothing is sent again.
    const view = await new L1GameContract({ public: honest.public }, address).view();
    expect(view.claims).toHaveLength(2);
    const next = (await loserChallenger.tick()).games.find((g) => g.address === address)!;
    expect(next.sent).toEqual([]);
    expect(next.rejected).toEqual([]);
    expect((await new L1GameContract({ public: honest.public }, address).view()).claims).toHaveLength(2);
    await a.close();
    await b.close();
  }, 120_000);

  it('run() backs off while the RPC fails, recovers, and stops when aborted', async () => {
    let broken = false;
    const inner = http(node.rpcUrl)({ chain: foundry, retryCount: 0 });
    const transport = custom(
      {
        request: (args: { method: string; params?: unknown }) => {
          if (broken) return Promise.reject(new Error('connection refused'));
          return inner.request(args as never);
        },
      },
      { retryCount: 0 },
    );
    const account = privateKeyToAccount(node.privateKeys[7]!);
    const l1 = {
      public: createPublicClient({ chain: foundry, transport, pollingInterval: 20 }),
      wallet: createWalletClient({ chain: foundry, transport, account, pollingInterval: 20 }),
    };
    const metrics = challengerMetrics();
    const c = await Challenger.create({
      l1,
      factory,
      accessorFor: honestAccessorFor(),
      claimants: [],
      allow: [],
      dataDir: join(dataDir, 'backoff'),
      logger: arrayLogger([]),
      metrics,
    });
    const errors = async (): Promise<number> => Number(/^hyperion_challenger_errors_total\{kind="[^"]*"\} (\S+)$/m.exec(await metrics.registry.metrics())?.[1] ?? 0);
    const stop = new AbortController();
    broken = true;
    const running = c.run(stop.signal, 5);
    while ((await errors()) < 3) await new Promise((r) => setTimeout(r, 10));
    expect(c.nextDelayMs(5)).toBeGreaterThanOrEqual(5 * 2 ** 3);
    broken = false;
    while (c.nextDelayMs(5) !== 5) await new Promise((r) => setTimeout(r, 10));
    expect(await metrics.registry.metrics()).toMatch(/^hyperion_challenger_l1_head [1-9]/m);
    stop.abort();
    await running;
    await c.close();
  }, 60_000);
});
