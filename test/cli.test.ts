// The built CLI as users run it: help, one-line errors with exit code 2, JSON output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/hyperion-verify.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/ethereum-tests/GeneralStateTests/', import.meta.url));

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('hyperion-verify CLI', () => {
  it.each([[], ['vm'], ['vm', 'run'], ['vm', 'statetest'], ['da'], ['da', 'fetch'], ['da', 'eigenda'], ['demo']])('%j --help exits 0', (...cmd) => {
    const r = run(...(cmd as string[]), '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: hyperion-verify/);
  });

  it('vm run --json prints one line with gas, output and error', () => {
    // PUSH1 42, PUSH0, MSTORE, PUSH1 32, PUSH0, RETURN
    const r = run('vm', 'run', '--code', '0x602a5f5260205ff3', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ gasUsed: 16, output: '0x' + '2a'.padStart(64, '0'), error: null });
  });

  it('vm run reports a halt as the error, not a crash', () => {
    const r = run('vm', 'run', '--code', '0x56', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim()).error).toBe('stack underflow');
  });

  it('vm run --trace prints a line per instruction before the result', () => {
    const r = run('vm', 'run', '--code', '0x6001600201', '--trace');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['opName'])).toEqual(['PUSH1', 'PUSH1', 'ADD', 'STOP', undefined]);
    expect(lines[2]!['stack']).toEqual(['0x1', '0x2']);
    expect(lines[4]).toEqual({ gasUsed: 9, output: '0x', error: null });
  });

  it('bad input exits 2 with one line', () => {
    for (const args of [['vm', 'run', '--code', 'xyz'], ['vm', 'run', '--code', '0x00', '--fork', 'london'], ['vm', 'statetest', '/no/such/dir']]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(')).length).toBe(1);
    }
  });

  it('vm statetest prints a JSON line per case and the closing summary', () => {
    const r = run('vm', 'statetest', FIXTURES + 'stExample', '--log-level', 'silent');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ fork: 'Cancun', pass: true });
    expect(first['expectedRoot']).toBe(first['actualRoot']);
  });
});
