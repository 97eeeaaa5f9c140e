// `hyperion-verify game` as an operator runs it against a real anvil with the real contracts:
// create (signing with the Web3 Secret Storage definition's own keystore vector), show, attack
// paying the contract's bond, list, bad bond / bad parent / bad key errors, resolve after the
// clocks run out (paginated), claim credit with the balance checked to the wei.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, http, parseEther, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { ALPHABET_ABSOLUTE_PRESTATE, alphabetGenesisOutput, deployAlphabetVerifier, deployDisputeSystem, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { Position } from '../prover/game/position.js';
import { alphabetChain } from '../prover/l1/alphabet-l1.js';
import { L1GameContract } from '../prover/l1/game-contract.js';
import { L1Factory } from '../prover/l1/factory.js';
import { GameAgent } from '../prover/game/agent.js';
import { GameSolver } from '../prover/game/solver.js';
import { beliefVerdict, divergentChain, l1AlphabetAccessor } from '../prover/l1/alphabet-l1.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { decryptKeystoreV3, encryptKeystoreV3 } from '../cli/commands/game.js';
import { runCli, type CliRun } from './support/cli.js';

const GAME_TYPE = 3;
const ANCHOR_BLOCK = 500n;
const ANCHOR_ROOT = alphabetGenesisOutput(ANCHOR_BLOCK, 'game-cli anchor');
const MAX_CLOCK = 7_200n;
const INIT_BOND = parseEther('0.05');

// The Web3 Secret Storage definition's PBKDF2 test vector (password "testpassword").
const VECTOR_KEY: Hex = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d';
const VECTOR_KEYSTORE = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
};

type Run = CliRun;

const outputs: Run[] = [];

/** Runs the CLI without an inherited key in the environment; every run is kept for the key-leak check. */
async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await runCli(args, { HYPERION_PRIVATE_KEY: '', ...env });
  outputs.push(r);
  return r;
}

describe('hyperion-verify game on anvil', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let factory: Address;
  let dir: string;
  let keystore: string;
  let testClient: ReturnType<typeof createTestClient>;
  let game: Address;
  let rpc: string[];
  const truth = alphabetChain(ANCHOR_ROOT, ANCHOR_BLOCK);
  const l2Block = ANCHOR_BLOCK + 5n;
  const wrongRoot = alphabetGenesisOutput(l2Block, 'a wrong proposal');
  const keys = () => node.privateKeys;
  const addressOf = (k: Hex): Address => privateKeyToAccount(k).address;

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    rpc = ['--l1-rpc', node.rpcUrl];
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    deployer = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 20 });
    const verifier = await deployAlphabetVerifier(deployer, 4n);
    ({ factory } = await deployDisputeSystem(deployer, {
      anchorRoot: ANCHOR_ROOT,
      anchorL2BlockNumber: ANCHOR_BLOCK,
      initBond: INIT_BOND,
      game: {
        gameType: GAME_TYPE,
        maxGameDepth: 6,
        splitDepth: 3,
        maxClockDuration: MAX_CLOCK,
        clockExtension: 600n,
        absolutePrestate: ALPHABET_ABSOLUTE_PRESTATE,
        verifier,
        baseBond: parseEther('0.02'),
        topBond: parseEther('2'),
      },
    }));
    // The keystore vector's account pays for the create.
    await testClient.setBalance({ address: addressOf(VECTOR_KEY), value: parseEther('10') });
    dir = mkdtempSync(join(tmpdir(), 'hv-game-'));
    keystore = join(dir, 'key.json');
    writeFileSync(keystore, JSON.stringify(VECTOR_KEYSTORE));
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a game signed with a V3 keystore; a wrong password or no key exits 2', async () => {
    const bad = await run(['game', 'create', ...rpc, '--factory', factory, '--root', wrongRoot, '--l2-block', String(l2Block), '--game-type', String(GAME_TYPE), '--keystore', keystore, '--password-env', 'KS_PW'], { KS_PW: 'nope' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^hyperion-verify: UsageError: --keystore .*wrong password \(MAC mismatch\)$/);
    const none = await run(['game', 'create', ...rpc, '--factory', factory, '--root', wrongRoot, '--l2-block', String(l2Block), '--game-type', String(GAME_TYPE)]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no key: give --private-key, --keystore FILE --password-env VAR, or set HYPERION_PRIVATE_KEY/);

    const r = await run(
      ['game', 'create', ...rpc, '--factory', factory, '--root', wrongRoot, '--l2-block', String(l2Block), '--game-type', String(GAME_TYPE), '--keystore', keystore, '--password-env', 'KS_PW', '--json', '--log-level', 'warn'],
      { KS_PW: 'testpassword' },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { game: Address; tx: Hex };
    game = out.game;
    const view = await new L1GameContract(deployer, game).view();
    expect(view.claims).toHaveLength(1);
    expect(view.claims[0]).toMatchObject({ value: wrongRoot, claimant: addressOf(VECTOR_KEY), bond: INIT_BOND });
    // The same proposal again: the factory's GameAlreadyExists, named, on one line, exit 1.
    const again = await run(['game', 'create', ...rpc, '--factory', factory, '--root', wrongRoot, '--l2-block', String(l2Block), '--game-type', String(GAME_TYPE), '--private-key', keys()[3]!]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/GameAlreadyExists: a game with this type, root claim and block exists \(0x[0-9a-f]{64}\)/);
  }, 60_000);

  it('attacks paying the required bond, shows the tree and lists the game', async () => {
    const honest = keys()[1]!;
    const claim1 = truth(l2Block);
    const r = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '0', '--claim', claim1], { HYPERION_PRIVATE_KEY: honest });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^attack: claim #1 at position 2 \(depth 1\) against #0, bond [0-9.]+ ETH, tx 0x[0-9a-f]{64}$/m);
    // A second, different attack on the root from another account (so the root has two children to paginate).
    const other = alphabetGenesisOutput(l2Block, 'another view');
    const r2 = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '0', '--claim', other, '--private-key', keys()[2]!, '--json']);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toMatchObject({ index: 2, parentIndex: 0, position: '2', depth: 1, claim: other });

    const contract = new L1GameContract(deployer, game);
    const required = await contract.requiredBond(new Position(2n));
    const view = await contract.view();
    expect(view.claims.map((c) => [c.claimant, c.bond])).toEqual([
      [addressOf(VECTOR_KEY), INIT_BOND],
      [addressOf(honest), required],
      [addressOf(keys()[2]!), required],
    ]);

    const show = await run(['game', 'show', ...rpc, '--game', game]);
    expect(show.code).toBe(0);
    const lines = show.stdout.split('\n');
    expect(lines[0]).toBe(`game ${game}  IN_PROGRESS  L2 block ${l2Block}  anchor block ${ANCHOR_BLOCK} ${ANCHOR_ROOT}`);
    // This alphabet game reads no block inputs.
    expect(lines[1]).toBe('block inputs: none (no inbox: a block-start step finds no inputs)');
    expect(lines).toContain('#0 root pos 1 depth 0 output #7 (block 505)');
    expect(lines).toContain('  #1 attack pos 2 depth 1 output #3 (block 504)');
    expect(lines).toContain(`     claim ${claim1}  by ${addressOf(honest)}  countered by -`);
    expect(show.stdout).toMatch(/^ {5}bond 0\.\d+ ETH {2}clock \d+s used at \d+ {2}counter clock \d+\/7200s$/m);

    const json = await run(['game', 'show', ...rpc, '--game', game, '--json']);
    const shown = JSON.parse(json.stdout) as { status: string; inputsInbox: string | null; claims: { index: number; parentIndex: number | null; depth: number; traceIndex: string; block: string; bond: string; claimant: string }[] };
    expect(shown.status).toBe('IN_PROGRESS');
    expect(shown.inputsInbox).toBeNull();
    expect(shown.claims.map((c) => [c.index, c.parentIndex, c.depth, c.traceIndex, c.block])).toEqual([
      [0, null, 0, '7', '505'],
      [1, 0, 1, '3', '504'],
      [2, 0, 1, '3', '504'],
    ]);
    expect(shown.claims[1]!.bond).toBe(required.toString());

    const list = await run(['game', 'list', ...rpc, '--factory', factory, '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { games: { index: number; address: string; status: string; claims: number; rootClaim: string; l2BlockNumber: string }[] };
    expect(listed.games).toEqual([expect.objectContaining({ index: 0, address: game, status: 'IN_PROGRESS', claims: 3, rootClaim: wrongRoot, l2BlockNumber: '505' })]);
    const text = await run(['game', 'list', ...rpc, '--factory', factory]);
    expect(text.stdout).toMatch(new RegExp(`^#0 ${game} {2}type ${GAME_TYPE} {2}L2 block 505 {2}IN_PROGRESS {2}3 claim\\(s\\)`));
  }, 60_000);

  it('reports a bad bond, a bad parent and a bad step on one line', async () => {
    const key = { HYPERION_PRIVATE_KEY: keys()[4]! };
    const bond = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '1', '--claim', wrongRoot, '--bond', '1'], key);
    expect(bond.code).toBe(1);
    expect(bond.stderr.trim()).toBe('hyperion-verify: IncorrectBondAmount: the value sent is not the required bond for the new claim [attack reverted]');
    const parent = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '9', '--claim', wrongRoot], key);
    expect(parent.code).toBe(2);
    expect(parent.stderr.trim()).toBe('hyperion-verify: UsageError: --parent 9: the game has 3 claim(s)');
    const defendRoot = await run(['game', 'defend', ...rpc, '--game', game, '--parent', '0', '--claim', wrongRoot], key);
    expect(defendRoot.code).toBe(2);
    const notLeaf = await run(['game', 'step', ...rpc, '--game', game, '--claim', '1', '--attack', '--state', '0x00'], key);
    expect(notLeaf.code).toBe(1);
    expect(notLeaf.stderr.trim()).toMatch(/^hyperion-verify: InvalidParent: .*\[step reverted\]$/);
    const both = await run(['game', 'step', ...rpc, '--game', game, '--claim', '1', '--state', '0x00'], key);
    expect(both.code).toBe(2);
    const badHex = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '1', '--claim', '0x1234'], key);
    expect(badHex.code).toBe(2);
    const badKey = await run(['game', 'attack', ...rpc, '--game', game, '--parent', '1', '--claim', wrongRoot], { HYPERION_PRIVATE_KEY: 'secret-not-hex' });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).not.toMatch(/secret-not-hex/);
    const notGame = await run(['game', 'show', ...rpc, '--game', '0x00000000000000000000000000000000000000aa']);
    expect(notGame.code).toBe(2);
    expect(await new L1GameContract(deployer, game).view().then((v) => v.claims.length)).toBe(3);
  }, 60_000);

  it('resolves after the clocks run out (paginated), then pays credits exactly', async () => {
    const early = await run(['game', 'resolve', ...rpc, '--game', game, '--private-key', keys()[5]!]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/game not resolved: 3 claim\(s\) still have running clocks or unresolved children; next clock expires at \d+/);

    await testClient.increaseTime({ seconds: Number(MAX_CLOCK) });
    await testClient.mine({ blocks: 1 });
    const r = await run(['game', 'resolve', ...rpc, '--game', game, '--batch', '1', '--json', '--private-key', keys()[5]!]);
    expect(r.code).toBe(0);
    // Claims 2 and 1 one call each, the root's two children one per call, then resolve().
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'CHALLENGER_WINS', claimsResolved: [2, 1, 0], calls: 5, pending: 0 });

    const contract = new L1GameContract(deployer, game);
    const view = await contract.view();
    const [, first, second] = view.claims;
    // The root's bond goes to its first uncountered attacker (equal positions: the earlier child).
    expect(await contract.credit(first!.claimant)).toBe(INIT_BOND + first!.bond);
    expect(await contract.credit(second!.claimant)).toBe(second!.bond);
    expect(await contract.credit(addressOf(VECTOR_KEY))).toBe(0n);

    const before = await deployer.public.getBalance({ address: first!.claimant });
    const paid = await run(['game', 'claim', ...rpc, '--game', game, '--json'], { HYPERION_PRIVATE_KEY: keys()[1]! });
    expect(paid.code).toBe(0);
    const { tx, amount } = JSON.parse(paid.stdout) as { tx: Hex; amount: string };
    expect(BigInt(amount)).toBe(INIT_BOND + first!.bond);
    const receipt = await deployer.public.getTransactionReceipt({ hash: tx });
    expect(await deployer.public.getBalance({ address: first!.claimant })).toBe(before + INIT_BOND + first!.bond - receipt.gasUsed * receipt.effectiveGasPrice);

    // Someone else pays out account 2's credit to it; then there is nothing left to claim.
    const forOther = await run(['game', 'claim', ...rpc, '--game', game, '--recipient', second!.claimant, '--private-key', keys()[5]!]);
    expect(forOther.code).toBe(0);
    expect(forOther.stdout).toMatch(new RegExp(`^paid 0\\.\\d+ ETH to ${second!.claimant.toLowerCase()}, tx 0x`, 'm'));
    expect(await deployer.public.getBalance({ address: game })).toBe(0n);
    const again = await run(['game', 'claim', ...rpc, '--game', game], { HYPERION_PRIVATE_KEY: keys()[1]! });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('hyperion-verify: NoCreditToClaim: no credit for this recipient [claimCredit reverted]');
    const done = await run(['game', 'resolve', ...rpc, '--game', game, '--private-key', keys()[5]!]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/game CHALLENGER_WINS/);
  }, 60_000);

  it('steps against a leaf with the state and proof given on the command line', async () => {
    const liarKey = keys()[6]!;
    const honestKey = keys()[7]!;
    const liarClients = l1Clients(node.rpcUrl, liarKey, { pollingIntervalMs: 20 });
    const honestClients = l1Clients(node.rpcUrl, honestKey, { pollingIntervalMs: 20 });
    const lie = divergentChain(truth, ANCHOR_BLOCK + 2n, 'cli step');
    const block = ANCHOR_BLOCK + 6n;
    const { address } = await new L1Factory(liarClients, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(block), l2BlockNumber: block });
    const contract = new L1GameContract(honestClients, address);
    const params = (await contract.view()).params;
    const honestSolver = new GameSolver(l1AlphabetAccessor(params, 4n, truth));
    const good = new GameAgent(contract, honestSolver, { resolve: false });
    const bad = new GameAgent(new L1GameContract(liarClients, address), new GameSolver(l1AlphabetAccessor(params, 4n, lie, beliefVerdict(lie))), { resolve: false });
    // Both sides play until the liar has made a leaf claim; the honest step is then sent through the CLI.
    let leaf: number | undefined;
    for (let round = 0; round < 30 && leaf === undefined; round++) {
      await bad.tick();
      const view = await contract.view();
      leaf = view.claims.find((c) => c.position.depth === params.maxGameDepth && c.claimant === liarClients.wallet.account.address)?.index;
      if (leaf === undefined) await good.tick();
    }
    expect(leaf).toBeDefined();
    const view = await contract.view();
    const step = (await honestSolver.nextActions(view)).find((a) => a.type === 'step');
    expect(step).toMatchObject({ type: 'step', claimIndex: leaf });
    if (step?.type !== 'step') throw new Error('no step');
    const args = ['game', 'step', ...rpc, '--game', address, '--claim', String(leaf), step.isAttack ? '--attack' : '--defend', '--state', bytesToHex(step.preState), '--proof', '0x'];
    // A wrong pre-state first: refused by name.
    const wrong = await run([...args.slice(0, -4), '--state', '0x' + '11'.repeat(64), '--proof', '0x'], { HYPERION_PRIVATE_KEY: honestKey });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe('hyperion-verify: InvalidPrestate: the state data does not hash to the pre-state claim [step reverted]');
    const r = await run(args, { HYPERION_PRIVATE_KEY: honestKey });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^step \\((attack|defend)\\) countered claim #${leaf}, tx 0x[0-9a-f]{64}$`, 'm'));
    expect((await contract.view()).claims[leaf!]!.counteredBy).toBe(honestClients.wallet.account.address);
    const dup = await run(args, { HYPERION_PRIVATE_KEY: honestKey });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/DuplicateStep: the claim has already been countered by a step/);
  }, 120_000);

  it('decrypts the Web3 Secret Storage scrypt vector and its own keystores', () => {
    const scryptVector = JSON.stringify({
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
        ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
        kdf: 'scrypt',
        kdfparams: { dklen: 32, n: 262144, p: 8, r: 1, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
        mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    });
    expect(decryptKeystoreV3(scryptVector, 'testpassword')).toBe(VECTOR_KEY);
    expect(() => decryptKeystoreV3(scryptVector, 'testpassword!')).toThrow(/MAC mismatch/);
    const mine = encryptKeystoreV3(keys()[8]!, 'pw', { n: 1024, r: 8, p: 1 });
    expect(decryptKeystoreV3(mine, 'pw')).toBe(keys()[8]);
    expect(JSON.parse(mine).address).toBe(addressOf(keys()[8]!).slice(2).toLowerCase());
  }, 60_000);

  it('never prints a private key', () => {
    const secrets = [VECTOR_KEY, ...keys().slice(1, 6)].map((k) => k.slice(2).toLowerCase());
    for (const o of outputs) for (const s of secrets) expect((o.stdout + o.stderr).toLowerCase()).not.toContain(s);
  });
});
