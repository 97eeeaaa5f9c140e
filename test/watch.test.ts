// `hyperion-verify watch --mode watch-only` against two real anvil nodes: an L2 under the devnet
// load and an L1 with the dispute game factory. Games over the right output root pass; a game
// over a wrong root is an alert; the output roots are checked against ones computed independently
// from the L2 node's own headers and proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, createPublicClient, http, keccak256, parseEther, type Address, type Hex } from 'viem';
import { pino } from 'pino';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { deployAlphabetVerifier, deployDisputeSystem, l1Clients, ALPHABET_ABSOLUTE_PRESTATE, type L1Clients } from '../contracts/deploy.js';
import { L1Factory } from '../prover/l1/factory.js';
import { Watcher } from '../challenger/watcher.js';
import { serveMetrics, watcherMetrics } from '../challenger/metrics.js';
import { MESSAGE_PASSER } from '../challenger/output-root.js';
import { anvilRules } from '../vm/chain/chain.js';
import { RpcClient } from '../vm/rpc/client.js';
import { createRpcReplaySource } from '../vm/replay/rpc-source.js';
import { runCli } from './support/cli.js';

const GAME_TYPE = 3;

const run = (args: string[]) => runCli(args);

/** The output root straight from the L2 node's header and proof, not through the watcher's code. */
async function nodeOutputRoot(rpcUrl: string, n: bigint): Promise<Hex> {
  const c = createPublicClient({ transport: http(rpcUrl) });
  const block = await c.getBlock({ blockNumber: n });
  const proof = await c.getProof({ address: MESSAGE_PASSER, storageKeys: [], blockNumber: n });
  return keccak256(concat([`0x${'00'.repeat(32)}`, block.stateRoot, proof.storageHash, block.hash!]));
}

describe('watch-only mode', () => {
  let l1: AnvilNode;
  let l2: AnvilNode;
  let deployer: L1Clients;
  let factory: Address;
  let a: bigint;
  let b: bigint;
  const games: Record<'rightA' | 'wrongB' | 'rightB', Address> = { rightA: '0x', wrongB: '0x', rightB: '0x' } as Record<'rightA' | 'wrongB' | 'rightB', Address>;

  beforeAll(async () => {
    [l1, l2] = await Promise.all([startAnvil({ hardfork: 'prague' }), startAnvil({ hardfork: 'prague' })]);
    const load = await sendVariedLoad(l2.rpcUrl, l2.privateKeys, { fork: 'prague', rounds: 1 });
    b = load.toBlock;
    a = b - 3n;
    deployer = l1Clients(l1.rpcUrl, l1.privateKeys[0]!, { pollingIntervalMs: 20 });
    const verifier = await deployAlphabetVerifier(deployer, 16n);
    const sys = await deployDisputeSystem(deployer, {
      anchorRoot: await nodeOutputRoot(l2.rpcUrl, 1n),
      anchorL2BlockNumber: 1n,
      initBond: parseEther('0.01'),
      game: { gameType: GAME_TYPE, maxGameDepth: 14, splitDepth: 8, maxClockDuration: 3600n, clockExtension: 300n, absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE, verifier, baseBond: parseEther('0.01'), topBond: parseEther('1') },
    });
    factory = sys.factory;
    const f = new L1Factory(deployer, factory);
    games.rightA = (await f.createGame({ gameType: GAME_TYPE, rootClaim: await nodeOutputRoot(l2.rpcUrl, a), l2BlockNumber: a })).address;
    games.wrongB = (await f.createGame({ gameType: GAME_TYPE, rootClaim: keccak256('0x1234'), l2BlockNumber: b })).address;
    games.rightB = (await f.createGame({ gameType: GAME_TYPE, rootClaim: await nodeOutputRoot(l2.rpcUrl, b), l2BlockNumber: b })).address;
  }, 300_000);

  afterAll(async () => {
    await Promise.all([l1?.stop(), l2?.stop()]);
  });

  it('checks every game once, alerts on the wrong root, and exposes the counts as Prometheus metrics', async () => {
    const metrics = watcherMetrics();
    const l1Client = createPublicClient({ transport: http(l1.rpcUrl) });
    const watcher = new Watcher({
      factory: new L1Factory({ public: l1Client }, factory),
      l1: l1Client,
      l2Source: createRpcReplaySource(l2.rpcUrl),
      l2Rpc: new RpcClient(l2.rpcUrl),
      chain: anvilRules('prague', 31337n),
      replayOptions: { checkParent: false },
      log: pino({ level: 'silent' }),
      metrics,
    });
    const first = await watcher.tick();
    const byGame = Object.fromEntries(first.map((v) => [v.game.toLowerCase(), v.verdict]));
    expect(byGame).toEqual({ [games.rightA.toLowerCase()]: 'valid', [games.wrongB.toLowerCase()]: 'invalid', [games.rightB.toLowerCase()]: 'valid' });
    const wrong = first.find((v) => v.verdict === 'invalid')!;
    expect(wrong.expected).toBe(await nodeOutputRoot(l2.rpcUrl, b));
    // Nothing new: nothing re-checked.
    expect(await watcher.tick()).toEqual([]);
    // An L1 reorg: a game created after a snapshot disappears when the chain goes back to it.
    const snapshot = (await l1Client.request({ method: 'evm_snapshot' as never })) as unknown as Hex;
    const extra = (await new L1Factory(deployer, factory).createGame({ gameType: GAME_TYPE, rootClaim: keccak256('0x99'), l2BlockNumber: a })).address;
    const more = await watcher.tick();
    expect(more.map((v) => [v.game.toLowerCase(), v.verdict])).toEqual([[extra.toLowerCase(), 'invalid']]);
    await l1Client.request({ method: 'evm_revert' as never, params: [snapshot] as never });
    expect(await watcher.tick()).toEqual([]);
    expect(watcher.checked.has(extra.toLowerCase())).toBe(false);
    expect(watcher.checked.size).toBe(3);
    const { server, url } = await serveMetrics(metrics.registry, 0);
    try {
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/hyperion_watch_games_seen_total 4/);
      expect(text).toMatch(/hyperion_watch_games_invalid_root_total 2/);
      expect(text).toMatch(new RegExp(`hyperion_watch_l2_verified_head ${b}`));
    } finally {
      server.close();
    }
  }, 300_000);

  it('the CLI pass prints one verdict per game, honours --allow, and exits 1 on an invalid root', async () => {
    const all = await run(['watch', '--once', '--l1-rpc', l1.rpcUrl, '--l2-rpc', l2.rpcUrl, '--factory', factory, '--chain', 'ethereum', '--fork', 'prague', '--log-level', 'error']);
    const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as { game: string; verdict: string });
    expect(lines.map((l) => l.verdict).sort()).toEqual(['invalid', 'valid', 'valid']);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/INVALID ROOT CLAIM/);
    const allowed = await run(['watch', '--once', '--l1-rpc', l1.rpcUrl, '--l2-rpc', l2.rpcUrl, '--factory', factory, '--chain', 'ethereum', '--fork', 'prague', '--allow', games.rightA, '--log-level', 'error']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { game: string }).game.toLowerCase())).toEqual([games.rightA.toLowerCase()]);
    const challenge = await run(['watch', '--once', '--mode', 'challenge', '--l1-rpc', l1.rpcUrl, '--l2-rpc', l2.rpcUrl, '--factory', factory]);
    // Challenge mode derives the chain itself: it needs the rollup config and a data dir, and says so.
    expect(challenge.code).toBe(2);
    expect(challenge.stderr).toMatch(/--mode challenge needs --rollup-config/);
  }, 300_000);
});
