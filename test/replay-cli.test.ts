// `hyperion-verify replay` as an auditor runs it: two worker threads over a real
// anvil chain, one JSON line per block, a report file, a non-zero exit on bad input.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { runCli } from './support/cli.js';


const run = (args: string[]) => runCli(args);

describe('replay CLI', () => {
  let node: AnvilNode;
  let to: bigint;
  let dir: string;
  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'osaka' });
    to = (await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'osaka', rounds: 1 })).toBlock;
    dir = mkdtempSync(join(tmpdir(), 'hv-replay-'));
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('replays a range with two workers, prints JSON lines and writes the report', async () => {
    const report = join(dir, 'report.json');
    const r = await run(['replay', '--rpc', node.rpcUrl, '--block', '2', '--to', String(to), '--jobs', '2', '--json', '--report', report, '--log-level', 'warn']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const blocks = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { number: number; verified: boolean });
    expect(blocks.length).toBe(Number(to) - 1);
    expect(blocks.every((b) => b.verified)).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^${Number(to) - 1} verified, 0 failed`));
    const written = JSON.parse(readFileSync(report, 'utf8')) as { blocks: { number: number; verified: boolean; mismatch: string | null }[] };
    expect(written.blocks.map((b) => b.number)).toEqual(Array.from({ length: Number(to) - 1 }, (_, i) => i + 2));
    expect(written.blocks.every((b) => b.verified && b.mismatch === null)).toBe(true);
  });

  it('exits 2 with one line on bad input', async () => {
    const r = await run(['replay', '--rpc', node.rpcUrl, '--block', '5', '--to', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--to 3 is before --block 5/);
  });

  it('exits non-zero with a clear reason when the node is gone', async () => {
    const r = await run(['replay', '--rpc', 'http://127.0.0.1:1', '--block', '2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/hyperion-verify: .*127\.0\.0\.1:1/);
  });
});
