// Crash safety of PersistentState: a child node process commits blocks in a loop
// and is SIGKILLed at random moments, several times over the same directory.
// After each kill the reopened head must be the last block the child reported
// done or the one it was committing, its root must equal the root of a
// MemoryState that applied exactly those blocks' change sets (the child prints
// each change set before committing it), and every read must agree.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PersistentState, type GenesisAccount } from '../vm/state/persistent.js';
import { MemoryState } from '../vm/state/memory.js';
import { applyChanges, stateRoot } from '../vm/state/root.js';
import type { AccountChange } from '../vm/state/world.js';
import type { Address } from '../vm/util/address.js';
import { KECCAK_EMPTY, keccak256 } from '../vm/util/hash.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';

const work = mkdtempSync(join(tmpdir(), 'hv-persistent-crash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const repoRoot = new URL('../', import.meta.url);

// Node 20 runs no TypeScript: these module hooks map `./x.js` imports of .ts
// files to the .ts source and strip the types with the project's own compiler.
const HOOKS = `
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(new URL('node_modules/typescript/lib/typescript.js', repoRoot).href)};
export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const out = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

const REGISTER = `
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
`;

// The child: resumes from the head, then forever prints a block's change set,
// commits it with its block number, and prints the root.
const CHILD = `
const [persistentUrl, hashUrl, dir, seedArg] = process.argv.slice(2);
const { PersistentState } = await import(persistentUrl);
const { keccak256 } = await import(hashUrl);

let s = 0;
const rand = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rand() * n);
const bytes = (n) => Uint8Array.from({ length: n }, () => int(256));
const hex = (b) => '0x' + Buffer.from(b).toString('hex');
const word = () => BigInt(hex(bytes(1 + int(32)))) || 1n;

const POOL = 400;
const address = (i) => '0x' + (0xa0000 + i).toString(16).padStart(40, '0');

const state = await PersistentState.open(dir);
let n = state.head().blockNumber;
process.stdout.write('ready ' + n + '\\n');
for (;;) {
  n++;
  s = Number(seedArg) * 1_000_003 + Number(n);
  const changes = new Map();
  const wire = [];
  for (let i = 0; i < 150; i++) {
    const a = address(int(POOL));
    if (changes.has(a)) continue;
    if (rand() < 0.05) {
      changes.set(a, { account: null, storage: new Map(), storageCleared: true });
      wire.push([a, null, [], true]);
      continue;
    }
    const storage = new Map();
    for (let j = int(8); j > 0; j--) storage.set(BigInt(int(16)), rand() < 0.25 ? 0n : word());
    const code = rand() < 0.2 ? bytes(1 + int(200)) : new Uint8Array(0);
    const account = { nonce: BigInt(int(1000)), balance: word(), code, codeHash: keccak256(code) };
    const storageCleared = rand() < 0.05;
    changes.set(a, { account, storage, storageCleared });
    wire.push([a, [account.nonce.toString(), account.balance.toString(), hex(code)], [...storage].map(([k, v]) => [k.toString(), v.toString()]), storageCleared]);
  }
  process.stdout.write('intent ' + n + ' ' + JSON.stringify(wire) + '\\n');
  const root = await state.commit(changes, n);
  process.stdout.write('done ' + n + ' ' + hex(root) + '\\n');
}
`;

type Wire = [Address, [string, string, string] | null, [string, string][], boolean][];

function fromWire(wire: Wire): Map<Address, AccountChange> {
  const out = new Map<Address, AccountChange>();
  for (const [a, acct, slots, storageCleared] of wire) {
    const storage = new Map(slots.map(([k, v]) => [BigInt(k), BigInt(v)] as const));
    if (acct === null) {
      out.set(a, { account: null, storage, storageCleared });
      continue;
    }
    const code = hexToBytes(acct[2]);
    out.set(a, {
      account: { nonce: BigInt(acct[0]), balance: BigInt(acct[1]), code, codeHash: code.length === 0 ? KECCAK_EMPTY : keccak256(code) },
      storage,
      storageCleared,
    });
  }
  return out;
}

interface RunLog {
  ready: bigint;
  intents: Map<bigint, Map<Address, AccountChange>>;
  done: Map<bigint, string>;
}

/** Runs the child until it has been up `killAfterMs` past `ready`, then SIGKILLs it. */
function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<RunLog> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(work, 'register.mjs')).href,
        join(work, 'child.mjs'),
        new URL('vm/state/persistent.ts', repoRoot).href,
        new URL('vm/util/hash.ts', repoRoot).href,
        dir,
        String(seed),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: RunLog = { ready: -1n, intents: new Map(), done: new Map() };
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [kind, num, rest] = [line.slice(0, line.indexOf(' ')), ...splitOnce(line.slice(line.indexOf(' ') + 1))];
        if (kind === 'ready') {
          log.ready = BigInt(num!);
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (kind === 'intent') log.intents.set(BigInt(num!), fromWire(JSON.parse(rest!) as Wire));
        else if (kind === 'done') log.done.set(BigInt(num!), rest!);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      // A partial last line is a write the kill cut short: it was never acted on.
      if (signal === 'SIGKILL') resolve(log);
      else reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
    });
  });
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

const POOL_ADDRESSES: Address[] = Array.from({ length: 400 }, (_, i) => ('0x' + (0xa0000 + i).toString(16).padStart(40, '0')) as Address);

async function expectSameReads(state: PersistentState, mem: MemoryState): Promise<void> {
  const slots = new Map<Address, bigint[]>();
  for (const a of POOL_ADDRESSES) slots.set(a, Array.from({ length: 17 }, (_, i) => BigInt(i)));
  await state.prefetch(POOL_ADDRESSES, slots);
  for (const a of POOL_ADDRESSES) {
    const want = mem.getAccount(a);
    const got = state.getAccount(a);
    expect(got === null, a).toBe(want === null);
    if (want !== null && got !== null) {
      expect([got.nonce, got.balance, bytesToHex(got.codeHash)]).toEqual([want.nonce, want.balance, bytesToHex(want.codeHash)]);
      expect(bytesToHex(state.getCode(a, got.codeHash))).toBe(bytesToHex(mem.getCode(a)));
    }
    expect(state.hasStorage(a)).toBe(mem.hasStorage(a));
    for (const s of slots.get(a)!) expect(state.getStorage(a, s)).toBe(mem.getStorage(a, s));
  }
}

describe('PersistentState survives SIGKILL during commits', () => {
  it('reopens at a committed head with consistent data, kill after kill', async () => {
    writeFileSync(join(work, 'hooks.mjs'), HOOKS);
    writeFileSync(join(work, 'register.mjs'), REGISTER);
    writeFileSync(join(work, 'child.mjs'), CHILD);
    const dir = join(work, 'state');
    const alloc = new Map<Address, GenesisAccount>();
    for (const a of POOL_ADDRESSES.slice(0, 50)) alloc.set(a, { balance: 1n, storage: [[1n, 2n]] });
    await (await PersistentState.fromGenesis(dir, alloc)).close();

    const mem = new MemoryState();
    for (const [a, g] of alloc) mem.put(a, { balance: g.balance ?? 0n, storage: g.storage ?? [] });
    const roots = new Map<bigint, string>([[0n, bytesToHex(stateRoot(mem))]]);
    let head = 0n;
    let midCommit = 0;
    const kills = 6;
    for (let k = 0; k < kills; k++) {
      const delay = 300 + Math.floor(Math.random() * 1700);
      const log = await runAndKill(dir, 7, delay);
      expect(log.ready).toBe(head);

      const t0 = Date.now();
      const state = await PersistentState.open(dir);
      const h = state.head()!;
      const lastDone = [...log.done.keys()].reduce((m, n) => (n > m ? n : m), head);
      // Either the last reported block or the one being committed when the kill came.
      expect(h.blockNumber === lastDone || (h.blockNumber === lastDone + 1n && log.intents.has(h.blockNumber))).toBe(true);
      // Killed inside a commit: the next block's change set was out, its done line was not.
      if (h.blockNumber > lastDone || log.intents.has(lastDone + 1n)) midCommit++;
      for (let n = head + 1n; n <= h.blockNumber; n++) {
        applyChanges(mem, log.intents.get(n)!);
        roots.set(n, bytesToHex(stateRoot(mem)));
        if (log.done.has(n)) expect(log.done.get(n), `root the child reported for block ${n}`).toBe(roots.get(n));
      }
      expect(bytesToHex(h.stateRoot)).toBe(roots.get(h.blockNumber));
      await expectSameReads(state, mem);
      // Earlier heads stay recorded and readable.
      for (const n of [0n, h.blockNumber / 2n, h.blockNumber]) expect(bytesToHex((await state.rootAt(n))!)).toBe(roots.get(n));
      await state.close();
      console.log(`kill ${k + 1} after ${delay} ms: head ${h.blockNumber} (child reported ${lastDone}${log.intents.has(lastDone + 1n) ? `, was committing ${lastDone + 1n}` : ''}), checked in ${Date.now() - t0} ms`);
      head = h.blockNumber;
    }
    // The runs must have committed blocks, not only been killed while starting up.
    expect(head).toBeGreaterThanOrEqual(BigInt(kills));
    console.log(`crash test: ${kills} kills, head ${head}, ${midCommit} kill(s) landed inside a commit`);
  });
});
