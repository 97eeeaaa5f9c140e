// Starts and stops a local anvil node (from @foundry-rs/anvil): the L1 of the
// demo, the devnet and the tests. Its beacon blob API shares the RPC port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

export interface AnvilOptions {
  /** `--hardfork`; anvil's default is the newest fork. */
  readonly hardfork?: 'cancun' | 'prague' | 'osaka';
  readonly chainId?: number;
  /** Seconds between blocks; omitted means a block per transaction (automine). */
  readonly blockTime?: number;
  /** Disable automine: blocks only on `evm_mine`. */
  readonly noMining?: boolean;
  readonly gasLimit?: bigint;
  readonly extraArgs?: readonly string[];
  /** Give up waiting for the node after this many milliseconds. */
  readonly startTimeoutMs?: number;
}

export interface AnvilNode {
  readonly rpcUrl: string;
  readonly port: number;
  /** anvil's default mnemonic accounts' private keys, first ten. */
  readonly privateKeys: readonly `0x${string}`[];
  stop(): Promise<void>;
}

export class AnvilStartError extends Error {
  override readonly name = 'AnvilStartError';
}

/** anvil's well-known default dev keys (mnemonic "test test ... junk"). */
export const ANVIL_PRIVATE_KEYS: readonly `0x${string}`[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

/** Path of the anvil binary shipped inside the platform package of @foundry-rs/anvil. */
export function anvilBinaryPath(): string {
  const require = createRequire(import.meta.url);
  const platformPkg = `@foundry-rs/anvil-${process.platform === 'win32' ? 'win32' : process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  try {
    const pkgJson = require.resolve(`${platformPkg}/package.json`);
    const bin = join(dirname(pkgJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
    if (existsSync(bin)) return bin;
  } catch {
    // fall through to the error below
  }
  throw new AnvilStartError(`anvil binary not found (expected the npm package ${platformPkg}); run npm install`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--silent'];
  if (options.hardfork) args.push('--hardfork', options.hardfork);
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId));
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.noMining) args.push('--no-mining');
  if (options.gasLimit !== undefined) args.push('--gas-limit', options.gasLimit.toString());
  if (options.extraArgs) args.push(...options.extraArgs);
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.stdout?.resume();
  const rpcUrl = `http://127.0.0.1:${port}`;
  await waitForRpc(rpcUrl, child, options.startTimeoutMs ?? 30_000, () => stderr);
  return {
    rpcUrl,
    port,
    privateKeys: ANVIL_PRIVATE_KEYS,
    stop: () => stopChild(child),
  };
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new AnvilStartError(`anvil exited with code ${exited}: ${stderr().trim()}`);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new AnvilStartError(`anvil did not answer on ${url} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
