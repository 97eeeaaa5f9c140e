// `hyperion-verify da fetch` in-process against a real anvil with real blob transactions.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { registerDaFetch, type DaFetchResult } from '../cli/commands/da-fetch.js';
import { CheckFailedError, UsageError } from '../cli/errors.js';
import { BlobNotFoundError, encodeBlob } from '../da/blob/index.js';
import { sendBlobTransaction, type SentBlobTransaction } from './support/blobs.js';

let anvil: AnvilNode;
let sent: SentBlobTransaction;
let dir: string;
let tamper: Server;
let tamperUrl: string;
const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 0xff);
// Not an OP blob: version byte 5 (still a canonical blob for KZG).
const foreign = new Uint8Array(131072);
foreign[1] = 5;
foreign[40] = 9;

beforeAll(async () => {
  anvil = await startAnvil();
  sent = await sendBlobTransaction(anvil.rpcUrl, anvil.privateKeys[2]!, [encodeBlob(payload), foreign]);
  dir = mkdtempSync(join(tmpdir(), 'da-fetch-'));
  // A beacon endpoint that serves anvil's blobs with one byte changed.
  tamper = createServer((req, res) => {
    void (async () => {
      const up = await fetch(anvil.rpcUrl + (req.url ?? ''), { headers: { accept: 'application/octet-stream' } });
      const body = new Uint8Array(await up.arrayBuffer());
      if (up.status === 200) body[100] ^= 1;
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(body);
    })();
  });
  await new Promise<void>((r) => tamper.listen(0, '127.0.0.1', r));
  tamperUrl = `http://127.0.0.1:${(tamper.address() as AddressInfo).port}`;
});

afterAll(async () => {
  tamper?.closeAllConnections();
  await new Promise<void>((r) => (tamper ? tamper.close(() => r()) : r()));
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string> {
  const root = new Command('hyperion-verify')
    .option('--log-format <format>', 'log format', 'json')
    .option('--log-level <level>', 'log level', 'silent')
    .exitOverride();
  const da = root.command('da').exitOverride();
  registerDaFetch(da);
  for (const c of da.commands) c.exitOverride();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await root.parseAsync(['node', 'hyperion-verify', '--log-level', 'silent', 'da', 'fetch', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

async function failure(args: string[]): Promise<Error> {
  try {
    await run(args);
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
  throw new Error('command succeeded but should have failed');
}

describe('hyperion-verify da fetch', () => {
  it('prints each verified blob with its decoded length, or why it is not an OP blob', async () => {
    const out = await run(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', sent.blockNumber.toString()]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/2 blob\(s\), all verified/);
    expect(lines[1]).toContain(sent.versionedHashes[0]);
    expect(lines[1]).toContain('131072 bytes');
    expect(lines[1]).toContain(`decoded ${payload.length} bytes`);
    expect(lines[2]).toContain(sent.versionedHashes[1]);
    expect(lines[2]).toMatch(/not an OP blob: version/);
  });

  it('--json --raw --out writes the raw blobs, named by versioned hash; anvil is addressed by block number', async () => {
    const out = join(dir, 'raw');
    const text = await run(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', sent.blockNumber.toString(), '--json', '--raw', '--out', out]);
    const result = JSON.parse(text) as DaFetchResult;
    expect(result.blockId).toBe('execution-number');
    expect(result.blobs.map((b) => b.versionedHash)).toEqual(sent.versionedHashes);
    expect(result.blobs.map((b) => b.decodedLength)).toEqual([payload.length, null]);
    expect(readdirSync(out).sort()).toEqual(sent.versionedHashes.map((h) => `${h}.blob`).sort());
    expect(new Uint8Array(readFileSync(join(out, `${sent.versionedHashes[0]}.blob`)))).toEqual(encodeBlob(payload));
    expect(new Uint8Array(readFileSync(join(out, `${sent.versionedHashes[1]}.blob`)))).toEqual(foreign);
  });

  it('--out without --raw writes the decoded payloads of OP blobs', async () => {
    const out = join(dir, 'decoded');
    await run(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', sent.blockNumber.toString(), '--out', out]);
    expect(readdirSync(out)).toEqual([`${sent.versionedHashes[0]}.bin`]);
    expect(new Uint8Array(readFileSync(join(out, `${sent.versionedHashes[0]}.bin`)))).toEqual(payload);
  });

  it('fails the check when the only beacon serves tampered blobs, and succeeds with an honest fallback', async () => {
    const err = await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', tamperUrl, '--block', sent.blockNumber.toString(), '--block-id', 'number']);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect(err.message).toMatch(/verification failed/);
    const out = await run(['--l1-rpc', anvil.rpcUrl, '--beacon', `${tamperUrl},${anvil.rpcUrl}`, '--block', sent.blockNumber.toString(), '--json']);
    expect((JSON.parse(out) as DaFetchResult).blobs.length).toBe(2);
  });

  it('reports a block without blob transactions', async () => {
    const result = JSON.parse(await run(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', '0', '--json'])) as DaFetchResult;
    expect(result.blobs).toEqual([]);
  });

  it('asks for SECONDS_PER_SLOT when slots are requested from a node without the spec route', async () => {
    const err = await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', sent.blockNumber.toString(), '--block-id', 'slot', '--retries', '0']);
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect(err.message).toMatch(/SECONDS_PER_SLOT/);
  });

  it('rejects bad flags and a block the node does not have', async () => {
    expect(await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', '1', '--raw'])).toBeInstanceOf(UsageError);
    expect(await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', '999999'])).toBeInstanceOf(UsageError);
    expect((await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', 'ftp://x', '--block', '1'])).message).toMatch(/URL/);
    expect((await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', '1', '--block-id', 'epoch'])).message).toMatch(/block-id/);
    expect((await failure(['--l1-rpc', anvil.rpcUrl, '--beacon', anvil.rpcUrl, '--block', 'x'])).message).toMatch(/integer/);
  });
});
