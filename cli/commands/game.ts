// `hyperion-verify game`: the operator's hands on the dispute games of an L1 DisputeGameFactory:
// list and show games (the claim tree), create one, attack / defend a claim paying the bond the
// contract requires, step at the leaves, resolve bottom-up, claim credit. A revert prints the
// contract's custom error name and what it means on one line (exit 1); bad input exits 2. The
// key comes from --private-key, a V3 keystore (--keystore + --password-env) or
// HYPERION_PRIVATE_KEY, and is never printed or logged.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt.js';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import {
  createPublicClient,
  createWalletClient,
  formatEther,
  getAddress,
  http,
  keccak256,
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
import { contextOf } from '../context.js';
import { CheckFailedError, UsageError } from '../errors.js';
import { parseAddress, parseBigInt, parseHexBytes, parseNonNegativeInt, parseUrl } from '../options.js';
import { GameRevert, challengerDuration } from '../../prover/game/game.js';
import { NO_PARENT, ZERO_ADDRESS, type Action, type Claim, type GameView } from '../../prover/game/types.js';
import { ContractRevert, L1GameContract, type L1GameClients } from '../../prover/l1/game-contract.js';
import { L1Factory, type GameSummary } from '../../prover/l1/factory.js';

export const PRIVATE_KEY_ENV = 'HYPERION_PRIVATE_KEY';

/** A transaction the contract refused: `Name: what it means (call)`, exit 1. */
export class GameRevertError extends Error {
  override readonly name: string;
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = errorName;
  }
}

export class KeystoreError extends Error {
  override readonly name = 'KeystoreError';
}

/** What each custom error of the game and factory means to an operator. */
const REVERT_REASONS: Readonly<Record<string, string>> = {
  GameNotInProgress: 'the game is already resolved',
  InvalidParent: 'no such claim, or not a claim that can be stepped against',
  InvalidDisputedClaim: 'the parent claim changed (disputed value does not match claimData)',
  CannotDefendRootClaim: 'the root of the game or of an execution subgame can only be attacked',
  GameDepthExceeded: 'the move would go below the max game depth (step instead)',
  IncorrectBondAmount: 'the value sent is not the required bond for the new claim',
  ClockTimeExceeded: "the mover's chess clock has run out",
  ClaimAlreadyExists: 'the same claim at the same position against the same parent exists',
  UnexpectedRootClaim: 'the execution root claim has the wrong VM status byte (or the game block is not after the anchor)',
  InvalidPrestate: 'the state data does not hash to the pre-state claim',
  ValidStep: 'the step agrees with the claim: it does not counter it',
  DuplicateStep: 'the claim has already been countered by a step',
  ClockNotExpired: "the claim's counter clock is still running",
  ClaimAlreadyResolved: 'the claim is already resolved',
  OutOfOrderResolution: 'resolve the children (or the root subgame) first',
  NoCreditToClaim: 'no credit for this recipient',
  BondTransferFailed: 'the recipient refused the ETH',
  Reentrancy: 're-entrant claimCredit',
  BadStateData: 'the verifier rejected the state data',
  BlockRangeTooLarge: 'the L2 block is too far past the anchor for the split depth',
  NoImplementation: 'no game implementation registered for this game type',
  GameAlreadyExists: 'a game with this type, root claim and block exists',
  AnchorRootNotFound: 'the factory has no anchor for this game type',
};

/** A typed revert from prover/l1 -> the one-line CLI error; anything else passes through. */
function explain(what: string, e: unknown): unknown {
  if (!(e instanceof GameRevert)) return e;
  const errorName = e instanceof ContractRevert ? e.errorName : e.name;
  const reason = REVERT_REASONS[errorName] ?? e.message;
  const args = /\((.*)\)$/.exec(e.message)?.[1];
  return new GameRevertError(errorName, `${reason}${args ? ` (${args})` : ''} [${what} reverted]`);
}

// ---------------------------------------------------------------------------------------------
// Keys

interface KeystoreV3 {
  readonly version: number;
  readonly crypto: {
    readonly cipher: string;
    readonly ciphertext: string;
    readonly cipherparams: { readonly iv: string };
    readonly kdf: string;
    readonly kdfparams: Record<string, unknown>;
    readonly mac: string;
  };
}

function hexField(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(v)) throw new KeystoreError(`keystore: ${what} is not hex`);
  return Buffer.from(v.replace(/^0x/, ''), 'hex');
}

function intField(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new KeystoreError(`keystore: ${what} is not a positive integer`);
  return v;
}

function deriveKey(ks: KeystoreV3, password: string): Buffer {
  const p = ks.crypto.kdfparams;
  const salt = hexField(p.salt, 'kdfparams.salt');
  const dklen = intField(p.dklen, 'kdfparams.dklen');
  if (dklen < 32) throw new KeystoreError('keystore: dklen must be at least 32');
  if (ks.crypto.kdf === 'scrypt') {
    const N = intField(p.n, 'kdfparams.n');
    const r = intField(p.r, 'kdfparams.r');
    const par = intField(p.p, 'kdfparams.p');
    // @noble's scrypt rather than node's: OpenSSL refuses N >= 2^(16 r) (RFC 7914's bound), which
    // rules out the Web3 Secret Storage definition's own vector (n 262144, r 1) and files like it.
    return Buffer.from(nobleScrypt(Buffer.from(password, 'utf8'), salt, { N, r, p: par, dkLen: dklen, maxmem: 256 * N * r * par + (1 << 20) }));
  }
  if (ks.crypto.kdf === 'pbkdf2') {
    if (p.prf !== 'hmac-sha256') throw new KeystoreError(`keystore: unsupported pbkdf2 prf ${String(p.prf)}`);
    return pbkdf2Sync(password, salt, intField(p.c, 'kdfparams.c'), dklen, 'sha256');
  }
  throw new KeystoreError(`keystore: unsupported kdf ${ks.crypto.kdf}`);
}

/** The private key in a Web3 Secret Storage (V3) file: scrypt or pbkdf2, aes-128-ctr, keccak MAC. */
export function decryptKeystoreV3(json: string, password: string): Hex {
  let ks: KeystoreV3;
  try {
    ks = JSON.parse(json) as KeystoreV3;
  } catch {
    throw new KeystoreError('keystore: not JSON');
  }
  if (ks.version !== 3 || typeof ks.crypto !== 'object' || ks.crypto === null) throw new KeystoreError('keystore: not a version 3 keystore');
  if (ks.crypto.cipher !== 'aes-128-ctr') throw new KeystoreError(`keystore: unsupported cipher ${ks.crypto.cipher}`);
  const derived = deriveKey(ks, password);
  const ciphertext = hexField(ks.crypto.ciphertext, 'ciphertext');
  const mac = keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext]));
  if (mac.slice(2).toLowerCase() !== hexField(ks.crypto.mac, 'mac').toString('hex')) {
    throw new KeystoreError('keystore: wrong password (MAC mismatch)');
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), hexField(ks.crypto.cipherparams?.iv, 'cipherparams.iv'));
  const key = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  if (key.length !== 32) throw new KeystoreError(`keystore: decrypted key is ${key.length} bytes, not 32`);
  return `0x${key.toString('hex')}`;
}

/** A V3 keystore of `privateKey` (scrypt with the given cost; tests use a small N). */
export function encryptKeystoreV3(privateKey: Hex, password: string, options: { n?: number; r?: number; p?: number } = {}): string {
  const n = options.n ?? 262_144;
  const r = options.r ?? 8;
  const p = options.p ?? 1;
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = scryptSync(password, salt, 32, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKey.slice(2), 'hex')), cipher.final()]);
  const mac = keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2);
  return JSON.stringify({
    version: 3,
    address: privateKeyToAccount(privateKey).address.slice(2).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      ciphertext: ciphertext.toString('hex'),
      cipherparams: { iv: iv.toString('hex') },
      kdf: 'scrypt',
      kdfparams: { dklen: 32, n, r, p, salt: salt.toString('hex') },
      mac,
    },
  });
}

interface KeyOptions {
  privateKey?: string;
  keystore?: string;
  passwordEnv?: string;
}

function checkKey(key: string, source: string): Hex {
  const k = key.trim();
  // Never echo the value: it is a secret.
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(k)) throw new UsageError(`${source}: not a 32-byte hex private key`);
  return (k.startsWith('0x') ? k : `0x${k}`) as Hex;
}

/** The signing key: --private-key, else --keystore with --password-env, else $HYPERION_PRIVATE_KEY. */
export function resolvePrivateKey(opts: KeyOptions, env: NodeJS.ProcessEnv = process.env): Hex {
  if (opts.privateKey !== undefined && opts.keystore !== undefined) throw new UsageError('give either --private-key or --keystore, not both');
  if (opts.privateKey !== undefined) return checkKey(opts.privateKey, '--private-key');
  if (opts.keystore !== undefined) {
    if (opts.passwordEnv === undefined) throw new UsageError('--keystore needs --password-env VAR (the variable holding its password)');
    const password = env[opts.passwordEnv];
    if (password === undefined) throw new UsageError(`--password-env ${opts.passwordEnv}: the variable is not set`);
    let json: string;
    try {
      json = readFileSync(opts.keystore, 'utf8');
    } catch (e) {
      throw new UsageError(`--keystore ${opts.keystore}: ${(e as Error).message}`);
    }
    try {
      return decryptKeystoreV3(json, password);
    } catch (e) {
      if (e instanceof KeystoreError) throw new UsageError(`--keystore ${opts.keystore}: ${e.message}`);
      throw e;
    }
  }
  const fromEnv = env[PRIVATE_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return checkKey(fromEnv, PRIVATE_KEY_ENV);
  throw new UsageError(`no key: give --private-key, --keystore FILE --password-env VAR, or set ${PRIVATE_KEY_ENV}`);
}

// ---------------------------------------------------------------------------------------------
// Clients

interface RpcOptions {
  l1Rpc: string;
}

async function readClients(opts: RpcOptions): Promise<{ public: PublicClient; chain: Chain }> {
  const probe = createPublicClient({ transport: http(opts.l1Rpc, { retryCount: 1 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (e) {
    const reason = (e as { shortMessage?: string }).shortMessage ?? (e as Error).message;
    throw new CheckFailedError(`--l1-rpc ${opts.l1Rpc}: ${reason.split('\n')[0]}`);
  }
  const chain: Chain = { ...foundry, id: chainId, name: `chain ${chainId}` };
  // Anvil mines at once; a short poll keeps receipt waits quick elsewhere too.
  return { public: createPublicClient({ chain, transport: http(opts.l1Rpc, { retryCount: 1 }), pollingInterval: 250 }), chain };
}

async function sendingClients(opts: RpcOptions & KeyOptions): Promise<L1GameClients & { wallet: WalletClient<Transport, Chain, Account> }> {
  const key = resolvePrivateKey(opts);
  const { public: pub, chain } = await readClients(opts);
  const wallet = createWalletClient({ chain, transport: http(opts.l1Rpc, { retryCount: 1 }), account: privateKeyToAccount(key), pollingInterval: 250 });
  return { public: pub, wallet };
}

async function requireCode(pub: PublicClient, address: Address, flag: string): Promise<void> {
  const code = await pub.getCode({ address });
  if (code === undefined || code === '0x') throw new UsageError(`${flag} ${address}: no contract at this address`);
}

// ---------------------------------------------------------------------------------------------
// Presentation

const jsonReplacer = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer) + '\n');
}

export interface ClaimRow {
  readonly index: number;
  readonly parentIndex: number | null;
  readonly move: 'root' | 'attack' | 'defend';
  readonly position: bigint;
  readonly depth: number;
  /** 'output' above and at the split depth (trace index i is block anchor + i + 1), 'execution' below. */
  readonly half: 'output' | 'execution';
  readonly traceIndex: bigint;
  /** The L2 block of an output claim. */
  readonly block: bigint | null;
  readonly claim: Hex;
  readonly claimant: Address;
  readonly counteredBy: Address | null;
  readonly bond: bigint;
  readonly clockDuration: bigint;
  readonly clockTimestamp: bigint;
  /** Seconds the side countering this claim has used (capped at the max clock); null once resolved. */
  readonly counterClock: bigint | null;
  readonly resolved: boolean;
}

export function claimRows(view: GameView, now: bigint): ClaimRow[] {
  const { splitDepth, maxGameDepth, startingBlockNumber, l2BlockNumber } = view.params;
  return view.claims.map((c) => {
    const output = c.position.depth <= splitDepth;
    const traceIndex = output
      ? c.position.traceIndex(splitDepth)
      : c.position.relativeToAncestorAtDepth(splitDepth + 1).traceIndex(maxGameDepth - splitDepth - 1);
    const block = output ? (startingBlockNumber + traceIndex + 1n > l2BlockNumber ? l2BlockNumber : startingBlockNumber + traceIndex + 1n) : null;
    const parent = c.parentIndex === NO_PARENT ? undefined : view.claims[c.parentIndex];
    return {
      index: c.index,
      parentIndex: parent === undefined ? null : c.parentIndex,
      move: parent === undefined ? 'root' : c.position.gindex === parent.position.gindex << 1n ? 'attack' : 'defend',
      position: c.position.gindex,
      depth: c.position.depth,
      half: output ? 'output' : 'execution',
      traceIndex,
      block,
      claim: c.value,
      claimant: c.claimant,
      counteredBy: c.counteredBy === ZERO_ADDRESS ? null : c.counteredBy,
      bond: c.bond,
      clockDuration: c.clock.duration,
      clockTimestamp: c.clock.timestamp,
      counterClock: view.status === 'IN_PROGRESS' && view.resolved[c.index] !== true ? challengerDuration(view, c.index, now) : null,
      resolved: view.resolved[c.index] === true,
    };
  });
}

function printTree(address: Address, view: GameView, rows: readonly ClaimRow[], inputsInbox: Address | null): void {
  const p = view.params;
  const out: string[] = [];
  out.push(`game ${getAddress(address)}  ${view.status}  L2 block ${p.l2BlockNumber}  anchor block ${p.startingBlockNumber} ${p.startingOutputRoot}`);
  // Where a block-start step reads the disputed block's inputs (none: every block start is invalid).
  out.push(`block inputs: ${inputsInbox === null ? 'none (no inbox: a block-start step finds no inputs)' : `BlockInputsInbox ${getAddress(inputsInbox)}`}`);
  out.push(`depths: max ${p.maxGameDepth}, split ${p.splitDepth}; clock ${p.maxClockDuration}s per side (extension ${p.clockExtension}s); ${rows.length} claim(s)`);
  const children = new Map<number, ClaimRow[]>();
  for (const r of rows) {
    if (r.parentIndex === null) continue;
    children.set(r.parentIndex, [...(children.get(r.parentIndex) ?? []), r]);
  }
  const visit = (r: ClaimRow): void => {
    const pad = '  '.repeat(r.depth);
    const where = r.half === 'output' ? `output #${r.traceIndex} (block ${r.block})` : `exec #${r.traceIndex}`;
    const clock = r.counterClock === null ? '' : `  counter clock ${r.counterClock}/${p.maxClockDuration}s${r.counterClock >= p.maxClockDuration ? ' (expired)' : ''}`;
    out.push(`${pad}#${r.index} ${r.move} pos ${r.position} depth ${r.depth} ${where}${r.resolved ? '  [resolved]' : ''}`);
    out.push(`${pad}   claim ${r.claim}  by ${r.claimant}  countered by ${r.counteredBy ?? '-'}`);
    out.push(`${pad}   bond ${formatEther(r.bond)} ETH  clock ${r.clockDuration}s used at ${r.clockTimestamp}${clock}`);
    for (const child of children.get(r.index) ?? []) visit(child);
  };
  const root = rows.find((r) => r.parentIndex === null);
  if (root !== undefined) visit(root);
  process.stdout.write(out.join('\n') + '\n');
}

function printGames(games: readonly GameSummary[]): void {
  if (games.length === 0) {
    process.stdout.write('no games\n');
    return;
  }
  for (const g of games) {
    process.stdout.write(`#${g.index} ${g.address}  type ${g.gameType}  L2 block ${g.l2BlockNumber}  ${g.status}  ${g.claims} claim(s)  root ${g.rootClaim}  created ${g.createdAt}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

function parseBytes32(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError(`not a 0x-prefixed 32-byte hex value: ${value}`);
  return value.toLowerCase() as Hex;
}

function parseGameType(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n > 0xffffffff) throw new InvalidArgumentError(`not a uint32: ${value}`);
  return n;
}

function withKeyOptions(cmd: Command): Command {
  return cmd
    .option('--private-key <hex>', `signing key (prefer ${PRIVATE_KEY_ENV} or --keystore: arguments show up in ps)`)
    .option('--keystore <file>', 'V3 (geth / ethers / viem) keystore JSON with the signing key')
    .option('--password-env <var>', 'environment variable holding the keystore password');
}

function gameCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--l1-rpc <url>', 'L1 JSON-RPC URL', parseUrl)
    .requiredOption('--game <address>', 'the dispute game (a BisectionGame clone)', parseAddress);
}

interface GameOpts extends RpcOptions, KeyOptions {
  game: Address;
  json?: boolean;
}

async function sendAs(opts: GameOpts): Promise<L1GameContract> {
  return (await sendAsAccount(opts)).contract;
}

async function sendAsAccount(opts: GameOpts): Promise<{ contract: L1GameContract; account: Address }> {
  const clients = await sendingClients(opts);
  await requireCode(clients.public, opts.game, '--game');
  return { contract: new L1GameContract(clients, opts.game), account: clients.wallet.account.address };
}

async function sendExplained(game: L1GameContract, what: string, action: Action): Promise<TransactionReceipt> {
  try {
    return await game.sendAction(action);
  } catch (e) {
    throw explain(what, e);
  }
}

function report(opts: { json?: boolean }, json: Record<string, unknown>, line: string): void {
  if (opts.json) printJson(json);
  else process.stdout.write(line + '\n');
}

export function registerGameCommand(program: Command): void {
  const game = program.command('game').description('dispute games on L1: list, show, create, attack, defend, step, resolve, claim credit');

  game
    .command('list')
    .description("the factory's games, oldest first, with their root claim, block, status and claim count")
    .requiredOption('--l1-rpc <url>', 'L1 JSON-RPC URL', parseUrl)
    .requiredOption('--factory <address>', 'the DisputeGameFactory', parseAddress)
    .option('--from <n>', 'first game index', parseNonNegativeInt, 0)
    .option('--limit <n>', 'at most this many games', parseNonNegativeInt)
    .option('--json', 'print one JSON line')
    .action(async (opts: RpcOptions & { factory: Address; from: number; limit?: number; json?: boolean }) => {
      const { public: pub } = await readClients(opts);
      await requireCode(pub, opts.factory, '--factory');
      const games = await new L1Factory({ public: pub }, opts.factory).listGames(opts.from, opts.limit);
      if (opts.json) printJson({ factory: opts.factory, games });
      else printGames(games);
    });

  gameCommand(game, 'show', 'the claim tree: position, trace index, claim, claimant, countered by, bond and clocks of every claim')
    .option('--json', 'print one JSON line')
    .action(async (opts: GameOpts) => {
      const { public: pub } = await readClients(opts);
      await requireCode(pub, opts.game, '--game');
      const contract = new L1GameContract({ public: pub }, opts.game);
      const [view, inputsInbox] = await Promise.all([contract.view(), contract.inputsInbox()]);
      const rows = claimRows(view, await contract.now());
      if (opts.json) printJson({ game: opts.game, status: view.status, params: view.params, inputsInbox, claims: rows });
      else printTree(opts.game, view, rows, inputsInbox);
    });

  withKeyOptions(
    game
      .command('create')
      .description("create a game over a root claim, paying the factory's init bond")
      .requiredOption('--l1-rpc <url>', 'L1 JSON-RPC URL', parseUrl)
      .requiredOption('--factory <address>', 'the DisputeGameFactory', parseAddress)
      .requiredOption('--root <bytes32>', 'the proposed output root', parseBytes32)
      .requiredOption('--l2-block <n>', 'the L2 block the root is for', parseBigInt)
      .option('--game-type <n>', 'game type', parseGameType, 0)
      .option('--bond <wei>', "bond to send (default: the factory's init bond)", parseBigInt)
      .option('--json', 'print one JSON line'),
  ).action(async (opts: RpcOptions & KeyOptions & { factory: Address; root: Hex; l2Block: bigint; gameType: number; bond?: bigint; json?: boolean }, cmd: Command) => {
    const { log } = contextOf(cmd);
    const clients = await sendingClients(opts);
    await requireCode(clients.public, opts.factory, '--factory');
    const factory = new L1Factory(clients, opts.factory);
    let created: { address: Address; receipt: TransactionReceipt };
    try {
      created = await factory.createGame({
        gameType: opts.gameType,
        rootClaim: opts.root,
        l2BlockNumber: opts.l2Block,
        ...(opts.bond !== undefined ? { bond: opts.bond } : {}),
      });
    } catch (e) {
      throw explain('create', e);
    }
    log.info({ game: created.address, tx: created.receipt.transactionHash }, 'game created');
    report(
      opts,
      { game: created.address, tx: created.receipt.transactionHash, gameType: opts.gameType, rootClaim: opts.root, l2BlockNumber: opts.l2Block },
      `created game ${created.address} (type ${opts.gameType}, L2 block ${opts.l2Block}) in tx ${created.receipt.transactionHash}`,
    );
  });

  for (const kind of ['attack', 'defend'] as const) {
    withKeyOptions(
      gameCommand(game, kind, `${kind} claim --parent with --claim, paying the bond the contract requires at the new depth`)
        .requiredOption('--parent <index>', 'index of the claim to counter', parseNonNegativeInt)
        .requiredOption('--claim <bytes32>', 'the new claim', parseBytes32)
        .option('--bond <wei>', 'send this value instead of getRequiredBond (the contract refuses any other)', parseBigInt)
        .option('--json', 'print one JSON line'),
    ).action(async (opts: GameOpts & { parent: number; claim: Hex; bond?: bigint }, cmd: Command) => {
      const { log } = contextOf(cmd);
      const contract = await sendAs(opts);
      const view = await contract.view();
      const parent = view.claims[opts.parent];
      if (parent === undefined) throw new UsageError(`--parent ${opts.parent}: the game has ${view.claims.length} claim(s)`);
      if (kind === 'defend' && parent.position.isRoot()) throw new UsageError('--parent 0: the root claim cannot be defended, only attacked');
      const position = kind === 'attack' ? parent.position.attack() : parent.position.defend();
      if (position.depth > view.params.maxGameDepth) {
        throw new UsageError(`--parent ${opts.parent} is at the max depth ${view.params.maxGameDepth}: counter it with \`game step\``);
      }
      const bond = opts.bond ?? (await contract.requiredBond(position));
      const receipt = await sendExplained(contract, kind, { type: kind, parentIndex: opts.parent, disputed: parent.value, value: opts.claim, bond });
      const index = (await contract.view()).claims.findIndex((c) => c.parentIndex === opts.parent && c.position.equals(position) && c.value === opts.claim);
      log.info({ tx: receipt.transactionHash, index }, `${kind} sent`);
      report(
        opts,
        { tx: receipt.transactionHash, index, parentIndex: opts.parent, position: position.gindex, depth: position.depth, claim: opts.claim, bond },
        `${kind}: claim #${index} at position ${position.gindex} (depth ${position.depth}) against #${opts.parent}, bond ${formatEther(bond)} ETH, tx ${receipt.transactionHash}`,
      );
    });
  }

  withKeyOptions(
    gameCommand(game, 'step', 'counter a leaf claim by running one VM step on L1')
      .requiredOption('--claim <index>', 'index of the leaf claim (at the max depth)', parseNonNegativeInt)
      .option('--attack', 'the claim is wrong: execute its own trace index from the state before it')
      .option('--defend', 'the claim is right: execute the next index from it')
      .requiredOption('--state <hex>', 'the pre-state preimage', parseHexBytes)
      .option('--proof <hex>', "the VM's proof of the step", parseHexBytes, new Uint8Array(0))
      .option('--json', 'print one JSON line'),
  ).action(async (opts: GameOpts & { claim: number; attack?: boolean; defend?: boolean; state: Uint8Array; proof: Uint8Array }) => {
    if (opts.attack === opts.defend) throw new UsageError('give exactly one of --attack and --defend');
    const contract = await sendAs(opts);
    const view = await contract.view();
    if (view.claims[opts.claim] === undefined) throw new UsageError(`--claim ${opts.claim}: the game has ${view.claims.length} claim(s)`);
    const isAttack = opts.attack === true;
    const receipt = await sendExplained(contract, 'step', { type: 'step', claimIndex: opts.claim, isAttack, preState: opts.state, proof: opts.proof });
    report(opts, { tx: receipt.transactionHash, claimIndex: opts.claim, isAttack }, `step (${isAttack ? 'attack' : 'defend'}) countered claim #${opts.claim}, tx ${receipt.transactionHash}`);
  });

  withKeyOptions(
    gameCommand(game, 'resolve', 'resolve every claim whose clock has run out, bottom-up (paginated), then the game')
      .option('--batch <n>', 'children looked at per resolveClaim call (0: all at once)', parseNonNegativeInt, 0)
      .option('--json', 'print one JSON line'),
  ).action(async (opts: GameOpts & { batch: number }, cmd: Command) => {
    const { log } = contextOf(cmd);
    const contract = await sendAs(opts);
    const result = await resolveGame(contract, opts.batch, (index, calls) => log.info({ claim: index, calls }, 'claim resolved'));
    report(
      opts,
      { ...result },
      result.status === 'IN_PROGRESS'
        ? `resolved ${result.claimsResolved.length} claim(s); game still in progress`
        : `resolved ${result.claimsResolved.length} claim(s) in ${result.calls} call(s); game ${result.status}`,
    );
    if (result.status === 'IN_PROGRESS') {
      throw new CheckFailedError(`game not resolved: ${result.pending} claim(s) still have running clocks or unresolved children${result.nextExpiry !== null ? `; next clock expires at ${result.nextExpiry}` : ''}`);
    }
  });

  withKeyOptions(
    gameCommand(game, 'claim', "pay out a recipient's credit (bonds won) in ETH")
      .option('--recipient <address>', 'whose credit (default: the signing account)', parseAddress)
      .option('--json', 'print one JSON line'),
  ).action(async (opts: GameOpts & { recipient?: Address }) => {
    const { contract, account } = await sendAsAccount(opts);
    const recipient = opts.recipient ?? account;
    const credit = await contract.credit(recipient);
    let receipt: TransactionReceipt;
    try {
      receipt = await contract.claimCredit(recipient);
    } catch (e) {
      throw explain('claimCredit', e);
    }
    report(opts, { tx: receipt.transactionHash, recipient, amount: credit }, `paid ${formatEther(credit)} ETH to ${recipient}, tx ${receipt.transactionHash}`);
  });
}

export interface ResolveResult {
  readonly status: GameView['status'];
  readonly claimsResolved: number[];
  readonly calls: number;
  /** Claims left unresolved. */
  readonly pending: number;
  /** Earliest timestamp at which a pending claim's counter clock runs out. */
  readonly nextExpiry: bigint | null;
}

/**
 * Deepest claims first (children always have larger indices than their parent): each claim whose
 * counter clock has run out and whose children are resolved gets resolveClaim(i, batch) until the
 * contract marks it resolved; then resolve() once the root's subgame is.
 */
export async function resolveGame(contract: L1GameContract, batch: number, onResolved: (index: number, calls: number) => void): Promise<ResolveResult> {
  let view = await contract.view();
  const now = await contract.now();
  const resolved = [...view.resolved];
  const done: number[] = [];
  let calls = 0;
  const children = (i: number): Claim[] => view.claims.filter((c) => c.parentIndex === i);
  for (let i = view.claims.length - 1; i >= 0 && view.status === 'IN_PROGRESS'; i--) {
    if (resolved[i] === true) continue;
    if (challengerDuration(view, i, now) < view.params.maxClockDuration) continue;
    if (!children(i).every((c) => resolved[c.index] === true)) continue;
    // Each call looks at `batch` more children; the contract keeps a checkpoint between calls.
    const maxCalls = batch === 0 ? 1 : Math.ceil(Math.max(children(i).length, 1) / batch) + 1;
    let n = 0;
    while (resolved[i] !== true && n < maxCalls) {
      await sendExplained(contract, `resolveClaim(${i})`, { type: 'resolveClaim', claimIndex: i, numToResolve: batch });
      n++;
      resolved[i] = (await contract.view()).resolved[i] === true;
    }
    calls += n;
    if (resolved[i] === true) {
      done.push(i);
      onResolved(i, n);
    }
  }
  if (view.status === 'IN_PROGRESS' && resolved[0] === true) {
    await sendExplained(contract, 'resolve', { type: 'resolve' });
    calls++;
  }
  view = await contract.view();
  const after = await contract.now();
  const pendingIdx = view.claims.map((c) => c.index).filter((i) => view.resolved[i] !== true);
  let nextExpiry: bigint | null = null;
  if (view.status === 'IN_PROGRESS') {
    for (const i of pendingIdx) {
      const left = view.params.maxClockDuration - challengerDuration(view, i, after);
      if (left > 0n && (nextExpiry === null || after + left < nextExpiry)) nextExpiry = after + left;
    }
  }
  return { status: view.status, claimsResolved: done, calls, pending: view.status === 'IN_PROGRESS' ? pendingIdx.length : 0, nextExpiry };
}
