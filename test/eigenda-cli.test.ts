// `hyperion-verify da eigenda` end to end against the memstore double (in-process commander run).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerDaEigenda } from '../cli/commands/da-eigenda.js';
import { CheckFailedError, UsageError } from '../cli/errors.js';
import { EigenDAClient, loadSrs, type G1Srs } from '../da/eigenda/index.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { startEigenDAMemstore, versionedCert, type Memstore } from './support/eigenda-memstore.js';

const SRS_PATH = fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url));

let srs: G1Srs;
let a: Memstore;
let b: Memstore;
let dir: string;

beforeAll(async () => {
  srs = await loadSrs(SRS_PATH, 128);
  a = await startEigenDAMemstore({ srs });
  b = await startEigenDAMemstore({ srs });
  dir = mkdtempSync(join(tmpdir(), 'eigenda-cli-'));
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string> {
  const root = new Command('hyperion-verify')
    .option('--log-format <format>', 'log format', 'json')
    .option('--log-level <level>', 'log level', 'silent')
    .exitOverride();
  const da = root.command('da').exitOverride();
  registerDaEigenda(da);
  for (const c of da.commands) c.exitOverride();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await root.parseAsync(['node', 'hyperion-verify', '--log-level', 'silent', 'da', 'eigenda', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('hyperion-verify da eigenda', () => {
  it('fetches, verifies and writes a blob; fails over past a 503 proxy', async () => {
    const payload = Uint8Array.from({ length: 700 }, (_, i) => (i * 13) & 0xff);
    const commitment = await new EigenDAClient({ proxyUrls: [b.url], srs }).put(payload);
    a.behaviour = { kind: 'status', status: 503 };
    const outFile = join(dir, 'payload.bin');
    const out = await run(['--proxy', `${a.url},${b.url}`, '--cert', bytesToHex(commitment), '--srs', SRS_PATH, '--out', outFile, '--json', '--retries', '0']);
    a.behaviour = { kind: 'honest' };
    const result = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(result).toMatchObject({
      verified: true,
      mode: 'op-generic',
      certVersion: 3,
      lengthSymbols: 32,
      payloadBytes: 700,
      payloadKeccak256: bytesToHex(keccak256(payload)),
      proxy: b.url,
      out: outFile,
    });
    expect(new Uint8Array(readFileSync(outFile))).toEqual(payload);
  });

  it('uses the fixture SRS by default and prints the payload without --out', async () => {
    const payload = new TextEncoder().encode('metis hyperion');
    const commitment = await new EigenDAClient({ proxyUrls: [a.url], srs }).put(payload, { mode: 'standard' });
    const out = await run(['--proxy', a.url, '--cert', bytesToHex(commitment)]);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^verified: CertV3 blob of 2 symbols/);
    expect(lines[1]).toBe(bytesToHex(payload));
  });

  it('fails the check on tampered data', async () => {
    const commitment = await new EigenDAClient({ proxyUrls: [a.url], srs }).put(Uint8Array.of(1, 2, 3));
    a.behaviour = { kind: 'tamper-data' };
    try {
      await expect(run(['--proxy', a.url, '--cert', bytesToHex(commitment), '--srs', SRS_PATH])).rejects.toBeInstanceOf(CheckFailedError);
    } finally {
      a.behaviour = { kind: 'honest' };
    }
  });

  it('reports bad input as usage errors', async () => {
    const cert = versionedCert({ version: 3, commitment: { x: 1n, y: 2n }, lengthSymbols: 4096 });
    await expect(run(['--proxy', a.url, '--cert', bytesToHex(cert), '--srs', SRS_PATH])).rejects.toThrow(
      /4096 symbols needs 4096 SRS points, .* holds 3000/,
    );
    await expect(run(['--proxy', a.url, '--cert', bytesToHex(cert), '--srs', join(dir, 'missing')])).rejects.toBeInstanceOf(UsageError);
    await expect(run(['--proxy', a.url, '--cert', '0x07c0'])).rejects.toBeInstanceOf(UsageError);
  });
});
