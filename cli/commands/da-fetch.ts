// `hyperion-verify da fetch`: the EIP-4844 blobs of one L1 block's type-3 transactions, fetched from
// beacon nodes / archivers, each verified against its versioned hash, then decoded as OP blobs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { createPublicClient, http, type Block, type Transaction } from 'viem';
import { CheckFailedError, UsageError } from '../errors.js';
import { contextOf } from '../context.js';
import { parseBigInt, parseNonNegativeInt, parseUrl } from '../options.js';
import type { Hex } from '../../vm/util/bytes.js';
import {
  BlobDecodeError,
  BlobFetcher,
  BlobVerificationError,
  decodeBlob,
  type BeaconEndpoint,
} from '../../da/blob/index.js';

export interface DaFetchOptions {
  l1Rpc: string;
  beacon: string[];
  archiver?: string[];
  block: bigint;
  raw?: boolean;
  out?: string;
  json?: boolean;
  secondsPerSlot?: number;
  /** How beacon endpoints name blocks; `auto` picks `number` for an anvil L1 and `slot` otherwise. */
  blockId: 'slot' | 'number' | 'auto';
  retries: number;
}

export interface DaFetchBlob {
  tx: Hex;
  /** Position of the blob among its transaction's blobs. */
  index: number;
  versionedHash: Hex;
  size: number;
  /** Payload length when the blob decodes as an OP blob (version 0), else null. */
  decodedLength: number | null;
  decodeError: string | null;
  file: string | null;
}

export interface DaFetchResult {
  block: string;
  blockHash: Hex | null;
  blockId: 'slot' | 'execution-number';
  blobs: DaFetchBlob[];
}

export function registerDaFetch(parent: Command): void {
  parent
    .command('fetch')
    .description("fetch the EIP-4844 blobs of an L1 block's type-3 transactions, verify each against its versioned hash (KZG) and decode them")
    .requiredOption('--l1-rpc <url>', 'L1 execution JSON-RPC URL', parseUrl)
    .requiredOption('--beacon <urls>', 'beacon node URL(s), comma-separated, tried in order', parseUrlList)
    .option('--archiver <urls>', 'blob archiver URL(s) with the beacon API, comma-separated, tried after the beacon nodes', parseUrlList)
    .requiredOption('--block <n>', 'L1 block number', parseBigInt)
    .option('--raw', 'with --out: write the raw 131072-byte blobs instead of decoded payloads')
    .option('--out <dir>', 'write each blob to DIR/<versionedHash>.blob (--raw) or its decoded payload to DIR/<versionedHash>.bin')
    .option('--json', 'print the result as one JSON line')
    .option('--seconds-per-slot <s>', 'SECONDS_PER_SLOT for beacon nodes without /eth/v1/config/spec', parsePositiveInt)
    .addOption(
      new Option('--block-id <kind>', 'how the beacon API names blocks: slot (real beacon nodes), number (anvil), auto')
        .choices(['slot', 'number', 'auto'])
        .default('auto'),
    )
    .option('--retries <n>', 'extra rounds over the endpoint list for missing blobs', parseNonNegativeInt, 2)
    .action(async (opts: DaFetchOptions, cmd: Command) => {
      const { log } = contextOf(cmd);
      const result = await runDaFetch(opts, log);
      if (opts.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
        return;
      }
      process.stdout.write(`block ${result.block}: ${result.blobs.length} blob(s), all verified against their versioned hashes\n`);
      for (const b of result.blobs) {
        const decoded = b.decodedLength !== null ? `decoded ${b.decodedLength} bytes` : `not an OP blob: ${b.decodeError}`;
        process.stdout.write(`${b.versionedHash}  ${b.size} bytes  ${decoded}  (tx ${b.tx} #${b.index})${b.file ? `  -> ${b.file}` : ''}\n`);
      }
    });
}

/** The command's work, apart from printing: returns what it found, throws UsageError / CheckFailedError. */
export async function runDaFetch(opts: DaFetchOptions, log: Logger): Promise<DaFetchResult> {
  if (opts.raw && !opts.out) throw new UsageError('--raw needs --out DIR');
  const client = createPublicClient({ transport: http(opts.l1Rpc, { retryCount: 1 }) });
  let block: Block<bigint, true>;
  try {
    block = await client.getBlock({ blockNumber: opts.block, includeTransactions: true });
  } catch (e) {
    const reason = e instanceof Error ? (e as Error & { shortMessage?: string }).shortMessage ?? e.message : String(e);
    throw new UsageError(`--block ${opts.block}: cannot read it from ${opts.l1Rpc}: ${reason.split('\n')[0]}`);
  }
  const blobTxs = block.transactions.filter((tx: Transaction) => tx.type === 'eip4844' && (tx.blobVersionedHashes?.length ?? 0) > 0);
  const refs = blobTxs.flatMap((tx) => (tx.blobVersionedHashes ?? []).map((vh, index) => ({ tx: tx.hash as Hex, index, versionedHash: vh as Hex })));
  const strategy = await blockIdStrategy(opts, client, log);
  const result: DaFetchResult = { block: opts.block.toString(), blockHash: block.hash, blockId: strategy, blobs: [] };
  if (refs.length === 0) {
    log.info({ block: opts.block.toString() }, 'block has no blob transactions');
    return result;
  }
  const endpoints: BeaconEndpoint[] = [
    ...opts.beacon.map((url): BeaconEndpoint => ({ url, kind: 'beacon', blockId: strategy })),
    ...(opts.archiver ?? []).map((url): BeaconEndpoint => ({ url, kind: 'archiver', blockId: strategy })),
  ];
  const fetcher = new BlobFetcher({
    endpoints,
    retries: opts.retries,
    log,
    ...(opts.secondsPerSlot !== undefined ? { secondsPerSlot: opts.secondsPerSlot } : {}),
  });
  let verified;
  try {
    verified = await fetcher.fetchBlobs({ number: opts.block, timestamp: block.timestamp }, refs.map((r) => r.versionedHash));
  } catch (e) {
    if (e instanceof BlobVerificationError) throw new CheckFailedError(`blob verification failed: ${e.message}`);
    throw e;
  }
  if (opts.out) await mkdir(opts.out, { recursive: true });
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    const { blob } = verified[i]!;
    let payload: Uint8Array | null = null;
    let decodeError: string | null = null;
    try {
      payload = decodeBlob(blob);
    } catch (e) {
      if (!(e instanceof BlobDecodeError)) throw e;
      decodeError = `${e.reason}: ${e.message}`;
    }
    let file: string | null = null;
    if (opts.out && opts.raw) {
      file = join(opts.out, `${ref.versionedHash}.blob`);
      await writeFile(file, blob);
    } else if (opts.out && payload) {
      file = join(opts.out, `${ref.versionedHash}.bin`);
      await writeFile(file, payload);
    }
    result.blobs.push({ ...ref, size: blob.length, decodedLength: payload?.length ?? null, decodeError, file });
  }
  log.info({ block: result.block, blobs: result.blobs.length, blockId: strategy }, 'blobs fetched and verified');
  return result;
}

async function blockIdStrategy(
  opts: DaFetchOptions,
  client: ReturnType<typeof createPublicClient>,
  log: Logger,
): Promise<'slot' | 'execution-number'> {
  if (opts.blockId === 'slot') return 'slot';
  if (opts.blockId === 'number') return 'execution-number';
  // anvil's beacon API takes execution block numbers; real beacon nodes take slots.
  let version = '';
  try {
    version = await client.request({ method: 'web3_clientVersion' });
  } catch {
    // a node without web3_clientVersion is not anvil
  }
  const strategy = /^anvil\//i.test(version) ? 'execution-number' : 'slot';
  log.debug({ clientVersion: version, blockId: strategy }, 'block id strategy');
  return strategy;
}

function parseUrlList(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (urls.length === 0) throw new InvalidArgumentError('no URL given');
  return urls.map(parseUrl);
}

function parsePositiveInt(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('must be at least 1');
  return n;
}
