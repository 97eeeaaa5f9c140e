// Restart safety of the challenger: a challenger in a child process plays a game against a
// dishonest proposer and is SIGKILLed while one of its moves is still in the mempool (anvil's
// automine off). A new Challenger on the same data dir awaits that move instead of sending it
// again, then finishes the game. Checked from the journal and the chain: every purpose once, no
// duplicate claims, the account's nonces continuous and each one a journaled transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestClient, http, type Address } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { l1Clients, type L1Clients } from '../contracts/deploy.js';
import { Challenger } from '../challenger/challenger.js';
import { challengerMetrics } from '../challenger/metrics.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { beliefVerdict, divergentChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { ANCHOR_BLOCK, GAME_TYPE, MAX_CLOCK, PROGRAM_STEPS, arrayLogger, deployAlphabetSystem, honestAccessorFor, truth } from './challenger-support.js';

const work = mkdtempSync(join(tmpdir(), 'hv-challenger-restart-'));
const repo = new URL('../', import.meta.url);

// Node 20 cannot import TypeScript: these loader hooks send a `./x.js` import made from a .ts
// module to `./x.ts` when that exists, and compile .ts modules with the project's TypeScript
// (types stripped, ESM kept).
const HOOKS = `
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(new URL('node_modules/typescript/lib/typescript.js', repo).href)};
export async function resolve(specifier, context, nextResolve) {
  const fromTs = context.parentURL !== undefined && context.parentURL.endsWith('.ts');
  if (fromTs && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier.replace(/\\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(path, 'utf8'), {
    fileName: path,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`;

describe('challenger restart safety', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let honest: L1Clients;
  let liar: L1Clients;
  let factory: Address;
  let testClient: ReturnType<typeof createTestClient>;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    deployer = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 20 });
    honest = l1Clients(node.rpcUrl, node.privateKeys[1]!, { pollingIntervalMs: 20 });
    liar = l1Clients(node.rpcUrl, node.privateKeys[2]!, { pollingIntervalMs: 20 });
    factory = await deployAlphabetSystem(deployer);
    writeFileSync(join(work, 'hooks.mjs'), HOOKS);
    writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  }, 120_000);
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await node?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const me = (): Address => honest.wallet.account.address;
  const pendingOf = async (a: Address): Promise<number> =>
    (await honest.public.getTransactionCount({ address: a, blockTag: 'pending' })) - (await honest.public.getTransactionCount({ address: a }));

  it('a new instance on the same data dir finishes the game without re-sending a mined or pending move', async () => {
    const dataDir = join(work, 'data');
    const lie = divergentChain(truth, ANCHOR_BLOCK + 1n, 'restart');
    const block = ANCHOR_BLOCK + 4n;
    const { address } = await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(block), l2BlockNumber: block });
    const game = new L1GameContract({ public: honest.public }, address);
    const view0 = await game.view();
    const liarAgent = new GameAgent(
      new L1GameContract(liar, address),
      new GameSolver(l1AlphabetAccessor(view0.params, PROGRAM_STEPS, lie, beliefVerdict(lie))),
      { resolve: false },
    );

    // Phase 1: the challenger runs in a child process; the liar answers from here.
    const runner = fileURLToPath(new URL('challenger-runner.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', join(work, 'register.mjs'), runner, node.rpcUrl, node.privateKeys[1]!, factory, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    // The state only moves when it is someone's turn: the child answers each of the liar's claims,
    // and the liar ticks only while the newest claim is ours (so the child has nothing to do).
    // Stop at our second claim, before the liar answers it: that answer is made below, by hand.
    for (;;) {
      expect(child.exitCode, err).toBeNull();
      const claims = (await game.view()).claims;
      const lastIsOurs = claims[claims.length - 1]!.claimant === me();
      if (lastIsOurs && claims.filter((x) => x.claimant === me()).length >= 2) break;
      if (lastIsOurs) await liarAgent.tick();
      await sleep(30);
    }
    // Mining stops; the liar's next answer is mined by hand, and the child's reply to it stays in the mempool.
    await testClient.setAutomine(false);
    const answering = liarAgent.tick();
    let settled = false;
    void answering.then(() => (settled = true));
    while (!settled) {
      if ((await pendingOf(liar.wallet.account.address)) > 0) await testClient.mine({ blocks: 1 });
      await sleep(20);
    }
    expect((await answering).sent.length).toBeGreaterThan(0);
    while ((await pendingOf(me())) === 0) {
      expect(child.exitCode, err).toBeNull();
      await sleep(20);
    }
    const claimsAtKill = (await game.view()).claims.length;
    child.kill('SIGKILL');
    await exited;
    expect(out).toContain('"ready":true');
    const pendingNonce = await honest.public.getTransactionCount({ address: me() });
    expect(await pendingOf(me())).toBe(1);

    // Phase 2: a new instance on the same data dir. Its start settles the journaled pending move
    // (mined when a block comes), and sends nothing for it.
    const lines: Record<string, unknown>[] = [];
    const creating = Challenger.create({
      l1: honest,
      factory,
      accessorFor: honestAccessorFor(),
      claimants: [],
      dataDir,
      logger: arrayLogger(lines),
      metrics: challengerMetrics(),
      txmgr: { pollIntervalMs: 20 },
    });
    let challenger: Challenger | undefined;
    void creating.then((c) => (challenger = c));
    await testClient.mine({ blocks: 1 });
    await testClient.setAutomine(true);
    await creating;
    expect(challenger).toBeDefined();
    const c = challenger!;
    const resumed = (await c.journal.txs(`game:${address.toLowerCase()}:`)).find((t) => t.nonce === pendingNonce)!;
    expect(resumed).toMatchObject({ status: 'mined' });
    expect(resumed.attempts).toHaveLength(1);
    expect((await game.view()).claims.length).toBe(claimsAtKill + 1);
    expect(lines.some((l) => l.purpose === resumed.purpose && l.msg === 'a transaction left pending by the last run is mined')).toBe(true);
    expect(c.txmgr.nextNonce).toBe(pendingNonce + 1);

    let done = false;
    for (let round = 0; round < 100 && !done; round++) {
      const tick = await c.tick();
      expect(tick.failed).toEqual([]);
      const mine = tick.games.find((g) => g.address === address);
      done = mine?.done === true;
      const theirs = await liarAgent.tick();
      if ((mine?.sent.length ?? 0) === 0 && theirs.sent.length === 0) {
        await testClient.increaseTime({ seconds: Number(MAX_CLOCK / 4n) });
        await testClient.mine({ blocks: 1 });
      }
    }
    expect(done).toBe(true);
    const final = await game.view();
    expect(final.status).toBe('CHALLENGER_WINS');
    expect(await game.credit(me())).toBe(0n);
    expect(existsSync(c.gameDir(address))).toBe(false);

    // No duplicate claims: every (parent, position, value) once.
    const ids = final.claims.map((x) => `${x.parentIndex}:${x.position.gindex}:${x.value}`);
    expect(new Set(ids).size).toBe(ids.length);
    // Every purpose once, mined, with one attempt; our claims are exactly the journaled moves.
    const txs = await c.journal.txs(`game:${address.toLowerCase()}:`);
    expect(txs.every((t) => t.status === 'mined' && t.attempts.length === 1)).toBe(true);
    expect(txs.filter((t) => t.purpose.includes(':move:'))).toHaveLength(final.claims.filter((x) => x.claimant === me()).length);
    // Nonces continuous, each a journaled transaction of this game, and nothing else sent.
    const nonces = await c.journal.nonces(me());
    expect(nonces.map((n) => n.nonce)).toEqual(nonces.map((_, i) => i));
    expect(new Set(nonces.map((n) => n.purpose))).toEqual(new Set(txs.map((t) => t.purpose)));
    expect(await honest.public.getTransactionCount({ address: me() })).toBe(nonces.length);
    for (const t of txs) expect((await honest.public.getTransaction({ hash: t.minedHash! })).nonce).toBe(t.nonce);
    // Some of the moves were made by the first instance, the rest by the second.
    expect(pendingNonce).toBeGreaterThanOrEqual(2);
    expect(nonces.length).toBeGreaterThan(pendingNonce + 1);
    await c.close();
  }, 300_000);
});
