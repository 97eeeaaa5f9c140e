// `hyperion-verify derive`: the L2 block batches an L1 range carries. L1 blocks are read over
// JSON-RPC, the batch inbox's transactions from authorised batchers are taken (calldata, blobs
// from beacon nodes verified against their versioned hashes, EigenDA commitments verified against
// their certificates), and the OP derivation core turns their frames into per-L2-block batches.
// Every skipped transaction and every dropped payload, frame or channel is logged with its reason;
// a block whose data cannot be had ends the command with an error, never a partial result.
import { stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { contextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { parseAddress, parseBigInt, parseNonNegativeInt, parseUrl } from '../options.js';
import { BlobFetcher, type BeaconEndpoint } from '../../da/blob/index.js';
import {
  DerivationPipeline,
  FrameError,
  formatEvent,
  parseFrames,
  type DerivationEvent,
  type DerivedBatch,
} from '../../da/derivation/index.js';
import { MetisDerivation, type MetisDerivedBlock } from '../../da/derivation/metis-pipeline.js';
import { EigenDAClient, EigenDASrsError, loadSrs, type G1Srs } from '../../da/eigenda/index.js';
import {
  fetchL1Block,
  RetrievalConfigError,
  retrieveBatcherData,
  retrieveMetisBatches,
  type BatcherPayload,
  type L1Block,
  type SkippedBatcherData,
} from '../../da/retrieval/index.js';
import { RpcClient, type Rpc } from '../../vm/rpc/client.js';
import type { Address } from '../../vm/util/address.js';
import { bytesToHex, type Hex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';

/** OP devnet defaults (op-e2e / the local devnet): L2 chain id 901, 2-second blocks. */
export const DEFAULT_L2_CHAIN_ID = 901n;
export const DEFAULT_L2_BLOCK_TIME = 2n;
/** CHANNEL_TIMEOUT from Granite on (300 before). */
export const DEFAULT_CHANNEL_TIMEOUT = 50;
export const DEFAULT_PROGRESS_EVERY = 100;
/** SRS points an EigenDA blob of the largest size (16 MiB, 2^19 symbols) needs. */
const MAX_EIGENDA_SRS_POINTS = 1 << 19;
/** L1 blocks fetched ahead of the one being derived. */
const PREFETCH = 8;

export interface DeriveOptions {
  l1Rpc: string;
  beacon?: string[];
  archiver?: string[];
  eigendaProxy?: string[];
  eigendaSrs?: string;
  inbox: Address;
  batcher?: Address[];
  blobSender?: Address[];
  from: bigint;
  to: bigint;
  format: 'op' | 'metis';
  l2ChainId: bigint;
  /** Span batches count L2 timestamps from here; 0 when not given (a warning says so). */
  l2GenesisTimestamp?: bigint;
  l2BlockTime: bigint;
  channelTimeout: number;
  /** Fjord: brotli channels and the larger size caps. Default true. */
  fjord: boolean;
  json?: boolean;
  /** --no-txs sets this to false: JSON lines then carry tx hashes only. */
  txs: boolean;
  blockId: 'slot' | 'number' | 'auto';
  progressEvery: number;
  retries: number;
}

/** One derived L2 block batch, as printed by --json. */
export interface DerivedL2Block {
  /** L1 block in which the batch's channel completed (its inclusion block). */
  l1Block: number;
  l1BlockHash: Hex;
  /** 'op': a singular or span batch; 'metis': a Metis span batch or an inline (DA type 0) block. */
  batchType: 'singular' | 'span' | 'metis-span' | 'metis-inline';
  channelId: string | null;
  /** Metis only: the L2 block number the batch names. */
  l2BlockNumber: number | null;
  /** Null where the batch does not say (Metis span batches: see l1Timestamp). */
  timestamp: number | null;
  /** The L1 origin; null where the batch does not say (Metis span batches). */
  epochNumber: number | null;
  /** Full hashes where the batch carries them (singular batches), else null. */
  epochHash: Hex | null;
  parentHash: Hex | null;
  /** First 20 bytes, where known (span batches carry them for their first / last block). */
  epochCheck: Hex | null;
  parentCheck: Hex | null;
  txCount: number;
  txHashes: Hex[];
  txs?: Hex[];
  /** Metis only: the span batch's L1 timestamp, and the L1→L2 (enqueued) transactions the block holds besides txs. */
  l1Timestamp?: number | null;
  enqueuedTxs?: number;
}

export interface DeriveSummary {
  l1BlocksScanned: number;
  batcherTxs: number;
  skippedTxs: number;
  payloads: number;
  frames: number;
  channels: number;
  l2Blocks: number;
  drops: number;
  pendingChannels: number;
}

export function registerDeriveCommand(program: Command): void {
  program
    .command('derive')
    .description('derive the L2 block batches carried by an L1 block range (batch inbox calldata, blobs, EigenDA)')
    .requiredOption('--l1-rpc <url>', 'L1 execution JSON-RPC URL', parseUrl)
    .option('--beacon <urls>', 'beacon node URL(s), comma-separated; needed when batcher data is in blobs', parseUrlList)
    .option('--archiver <urls>', 'blob archiver URL(s) with the beacon API, comma-separated, tried after the beacon nodes', parseUrlList)
    .option('--eigenda-proxy <urls>', 'eigenda-proxy URL(s) for alt-DA commitments (without it they are skipped)', parseUrlList)
    .option('--eigenda-srs <path>', 'EigenDA G1 SRS file (gnark-compressed points) to verify EigenDA blobs')
    .requiredOption('--inbox <address>', 'batch inbox address', parseAddress)
    .option('--batcher <addresses>', 'authorised batcher sender(s), comma-separated (default: any sender, with a warning)', parseAddressList)
    .option('--blob-sender <addresses>', 'metis: authorised senders of the referenced blob transactions, comma-separated', parseAddressList)
    .requiredOption('--from <n>', 'first L1 block', parseBigInt)
    .requiredOption('--to <n>', 'last L1 block (inclusive)', parseBigInt)
    .addOption(new Option('--format <format>', 'batch inbox format: op (OP Stack frames) or metis (Metis Andromeda inbox batches)').choices(['op', 'metis']).default('op'))
    .addOption(new Option('--l2-chain-id <id>', 'L2 chain id (span batches leave it out of transactions)').argParser(parseBigInt).default(DEFAULT_L2_CHAIN_ID, `${DEFAULT_L2_CHAIN_ID} (OP devnet)`))
    .option('--l2-genesis-timestamp <s>', 'L2 genesis timestamp; span-batch timestamps count from it (default 0, with a warning)', parseBigInt)
    .addOption(new Option('--l2-block-time <s>', 'L2 block time in seconds').argParser(parseBigInt).default(DEFAULT_L2_BLOCK_TIME, `${DEFAULT_L2_BLOCK_TIME}`))
    .option('--channel-timeout <n>', 'CHANNEL_TIMEOUT in L1 blocks (50 from Granite, 300 before)', parseNonNegativeInt, DEFAULT_CHANNEL_TIMEOUT)
    .option('--no-fjord', 'pre-Fjord rules: zlib channels only, smaller channel bank and decompression caps')
    .option('--json', 'print one JSON object per derived L2 block batch')
    .option('--no-txs', 'with --json: leave out the raw transactions (hashes are kept)')
    .addOption(
      new Option('--block-id <kind>', 'how the beacon API names blocks: slot (real beacon nodes), number (anvil), auto')
        .choices(['slot', 'number', 'auto'])
        .default('auto'),
    )
    .option('--progress-every <n>', 'log progress every N L1 blocks', parsePositiveInt, DEFAULT_PROGRESS_EVERY)
    .option('--retries <n>', 'extra rounds over the beacon / proxy lists for missing data', parseNonNegativeInt, 2)
    .action(async (opts: DeriveOptions, cmd: Command) => {
      const { log } = contextOf(cmd);
      const summary = await runDerive(opts, log, (b) => {
        if (opts.json) process.stdout.write(JSON.stringify(b) + '\n');
        else process.stdout.write(formatBlockLine(b) + '\n');
      });
      if (!opts.json) process.stdout.write(formatSummary(opts, summary) + '\n');
    });
}

/**
 * The command's work: derives the range and hands each L2 block batch to `emit` as soon as it is
 * derived. Throws UsageError for bad options and missing data sources, the transport's typed
 * errors (RPC, beacon, proxy) when data cannot be had.
 */
export async function runDerive(opts: DeriveOptions, log: Logger, emit: (b: DerivedL2Block) => void): Promise<DeriveSummary> {
  if (opts.to < opts.from) throw new UsageError(`--to ${opts.to} is below --from ${opts.from}`);
  if (opts.to > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--to ${opts.to} is too large`);
  if (opts.l2BlockTime === 0n && opts.format === 'op') throw new UsageError('--l2-block-time must be at least 1');
  if (opts.eigendaSrs !== undefined && opts.eigendaProxy === undefined) throw new UsageError('--eigenda-srs needs --eigenda-proxy');
  if (opts.blobSender !== undefined && opts.format !== 'metis') throw new UsageError('--blob-sender applies to --format metis only');

  const rpc = new RpcClient(opts.l1Rpc, { retries: opts.retries });
  const head = await headOf(rpc);
  if (opts.to > head) throw new UsageError(`--to ${opts.to} is beyond the L1 head ${head} of ${opts.l1Rpc}`);
  const batchers = opts.batcher ?? [];
  if (batchers.length === 0) log.warn({ inbox: opts.inbox }, 'no --batcher given: data from ANY sender to the inbox is accepted');
  if (opts.l2GenesisTimestamp === undefined && opts.format === 'op') {
    log.warn('no --l2-genesis-timestamp given: span-batch timestamps are counted from 0');
  }
  const blobs = await blobFetcherFor(opts, rpc, log);
  const eigenda = await eigendaClientFor(opts, log);

  const summary: DeriveSummary = { l1BlocksScanned: 0, batcherTxs: 0, skippedTxs: 0, payloads: 0, frames: 0, channels: 0, l2Blocks: 0, drops: 0, pendingChannels: 0 };
  const channelsSeen = new Set<string>();
  // Batches always come out in the L1 block being fed: only its hash is needed.
  let l1Hash: Hex = '0x';
  const logSkipped = (s: readonly SkippedBatcherData[]): void => {
    for (const k of s) log.warn({ l1Block: Number(k.l1Block), tx: k.txHash, reason: k.reason }, `skipped inbox transaction: ${k.reason}`);
    summary.skippedTxs += s.length;
  };
  const logEvents = (events: readonly DerivationEvent[]): void => {
    for (const e of events) log.warn({ event: e.kind, l1Block: e.l1Block }, formatEvent(e));
    summary.drops += events.length;
  };
  const countFrames = (payloads: readonly BatcherPayload[]): void => {
    summary.payloads += payloads.length;
    for (const p of payloads) {
      try {
        for (const f of parseFrames(p.data)) {
          summary.frames++;
          channelsSeen.add(bytesToHex(f.channelId));
        }
      } catch (e) {
        // The pipeline reports the payload as dropped, with the reason.
        if (!(e instanceof FrameError)) throw e;
      }
    }
  };

  const genesisTimestamp = opts.l2GenesisTimestamp ?? 0n;
  const op = new DerivationPipeline({ channelTimeout: opts.channelTimeout, fjord: opts.fjord, genesisTimestamp, blockTime: opts.l2BlockTime, chainId: opts.l2ChainId });
  const metis = new MetisDerivation({ channelTimeout: opts.channelTimeout, fjord: opts.fjord, chainId: opts.l2ChainId });
  const emitChecked = (l1Block: number, make: () => DerivedL2Block): void => {
    let out: DerivedL2Block;
    try {
      out = make();
    } catch (e) {
      // op-node's batch queue would reject such a batch; it is dropped here, loudly.
      if (!(e instanceof BatchValueRangeError)) throw e;
      log.warn({ l1Block }, `L1 ${l1Block}: dropped an L2 block batch: ${e.message}`);
      summary.drops++;
      return;
    }
    summary.l2Blocks++;
    emit(out);
  };
  const emitOp = (b: DerivedBatch): void => emitChecked(b.l1Block, () => opBlockOut(b, l1Hash, opts.txs));
  const emitMetis = (b: MetisDerivedBlock): void => emitChecked(b.l1Block, () => metisBlockOut(b, l1Hash, opts.txs));

  const total = Number(opts.to - opts.from) + 1;
  log.info({ from: Number(opts.from), to: Number(opts.to), format: opts.format, inbox: opts.inbox }, `deriving ${total} L1 block(s)`);
  try {
    for await (const block of prefetchBlocks(rpc, opts.from, opts.to)) {
      const n = Number(block.number);
      l1Hash = block.hash;
      if (opts.format === 'op') {
        const r = await retrieveBatcherData(block, { inbox: opts.inbox, batchers }, { ...(blobs ? { blobs } : {}), ...(eigenda ? { eigenda } : {}) });
        summary.batcherTxs += new Set([...r.payloads.map((p) => p.txHash), ...r.skipped.map((s) => s.txHash)]).size;
        logSkipped(r.skipped);
        countFrames(r.payloads);
        // The pipeline is always fed, even without payloads: a new L1 block can time channels out.
        const out = await op.addL1Block(n, r.payloads.map((p) => p.data));
        logEvents(out.events);
        out.batches.forEach(emitOp);
      } else {
        const cfg = { inbox: opts.inbox, batchers, ...(opts.blobSender ? { blobSenders: opts.blobSender } : {}) };
        const r = await retrieveMetisBatches(rpc, block, cfg, blobs ? { blobs } : {});
        // Referenced blob transactions are counted through their inbox transaction.
        summary.batcherTxs += new Set([...r.batches.map((b) => b.txHash), ...r.skipped.map((s) => s.txHash)]).size;
        logSkipped(r.skipped);
        const payloads = r.batches.flatMap((b) => b.payloads);
        countFrames(payloads);
        const out = await metis.addL1Block(n, r.batches);
        logEvents(out.events);
        out.blocks.forEach(emitMetis);
      }
      summary.l1BlocksScanned++;
      if (summary.l1BlocksScanned % opts.progressEvery === 0 && summary.l1BlocksScanned < total) {
        log.info({ l1Block: n, scanned: summary.l1BlocksScanned, of: total, l2Blocks: summary.l2Blocks }, 'derivation progress');
      }
    }
  } catch (e) {
    if (e instanceof RetrievalConfigError) throw new UsageError(`${e.message}: pass --beacon URL`);
    throw e;
  }
  summary.channels = channelsSeen.size;
  summary.pendingChannels = opts.format === 'op' ? op.pendingChannels : metis.pendingChannels;
  if (summary.pendingChannels > 0) {
    log.warn({ pending: summary.pendingChannels, l1Block: Number(opts.to) }, `${summary.pendingChannels} channel(s) still incomplete at the end of the range: their remaining frames may be in later L1 blocks`);
  }
  log.info({ ...summary }, 'derivation done');
  return summary;
}

async function headOf(rpc: Rpc): Promise<bigint> {
  const h = await rpc.request('eth_blockNumber', []);
  if (typeof h !== 'string' || !/^0x[0-9a-f]+$/i.test(h)) throw new UsageError(`${rpc.url}: eth_blockNumber answered ${JSON.stringify(h)}`);
  return BigInt(h);
}

/** L1 blocks in order, fetched up to PREFETCH ahead; the first failure ends the iteration. */
async function* prefetchBlocks(rpc: Rpc, from: bigint, to: bigint): AsyncGenerator<L1Block> {
  const queue: Promise<L1Block>[] = [];
  let next = from;
  const fill = (): void => {
    while (queue.length < PREFETCH && next <= to) {
      const p = fetchL1Block(rpc, next++);
      // Failures surface when the block's turn comes; until then they must not count as unhandled.
      p.catch(() => undefined);
      queue.push(p);
    }
  };
  fill();
  while (queue.length > 0) {
    const block = await queue.shift()!;
    fill();
    yield block;
  }
}

async function blobFetcherFor(opts: DeriveOptions, rpc: Rpc, log: Logger): Promise<BlobFetcher | undefined> {
  const urls = [...(opts.beacon ?? []), ...(opts.archiver ?? [])];
  if (urls.length === 0) return undefined;
  const blockId = await blockIdStrategy(opts.blockId, rpc, log);
  const endpoints: BeaconEndpoint[] = [
    ...(opts.beacon ?? []).map((url): BeaconEndpoint => ({ url, kind: 'beacon', blockId })),
    ...(opts.archiver ?? []).map((url): BeaconEndpoint => ({ url, kind: 'archiver', blockId })),
  ];
  return new BlobFetcher({ endpoints, retries: opts.retries, log });
}

async function eigendaClientFor(opts: DeriveOptions, log: Logger): Promise<EigenDAClient | undefined> {
  if (opts.eigendaProxy === undefined) return undefined;
  // Without an SRS only OP keccak commitments can be checked; others fail with the client's SRS error.
  let srs: G1Srs = { points: [] };
  if (opts.eigendaSrs !== undefined) {
    try {
      // A full EigenDA SRS is gigabytes: load only what the largest blob (16 MiB) can use.
      const available = Math.floor((await stat(opts.eigendaSrs)).size / 32);
      srs = await loadSrs(opts.eigendaSrs, Math.min(available, MAX_EIGENDA_SRS_POINTS));
    } catch (e) {
      if (e instanceof EigenDASrsError) throw new UsageError(`--eigenda-srs: ${e.message}`);
      if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--eigenda-srs: no such file ${opts.eigendaSrs}`);
      throw e;
    }
  }
  if (opts.eigendaSrs === undefined) log.warn('no --eigenda-srs given: only OP keccak commitments can be verified');
  return new EigenDAClient({ proxyUrls: opts.eigendaProxy, srs, retries: opts.retries, log });
}

async function blockIdStrategy(kind: DeriveOptions['blockId'], rpc: Rpc, log: Logger): Promise<'slot' | 'execution-number'> {
  if (kind === 'slot') return 'slot';
  if (kind === 'number') return 'execution-number';
  // anvil's beacon API takes execution block numbers; real beacon nodes take slots.
  let version = '';
  try {
    const v = await rpc.request('web3_clientVersion', []);
    if (typeof v === 'string') version = v;
  } catch {
    // a node without web3_clientVersion is not anvil
  }
  const strategy = /^anvil\//i.test(version) ? 'execution-number' : 'slot';
  log.debug({ clientVersion: version, blockId: strategy }, 'block id strategy');
  return strategy;
}

// --- output ---------------------------------------------------------------------------------------

/**
 * Timestamps and block numbers as JSON numbers. Batch fields are uint64 and a hostile batch may
 * hold one past 2^53: that batch is dropped with a warning rather than printed rounded.
 */
function num(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BatchValueRangeError(`${what} ${v} is beyond 2^53 and cannot be printed exactly as a JSON number`);
  return Number(v);
}

function numOrNull(v: bigint | null, what: string): number | null {
  return v === null ? null : num(v, what);
}

export class BatchValueRangeError extends Error {
  override readonly name = 'BatchValueRangeError';
}

function hexOrNull(b: Uint8Array | null): Hex | null {
  return b === null ? null : bytesToHex(b);
}

function txFields(txs: readonly Uint8Array[], withRaw: boolean): Pick<DerivedL2Block, 'txCount' | 'txHashes' | 'txs'> {
  return {
    txCount: txs.length,
    txHashes: txs.map((t) => bytesToHex(keccak256(t))),
    ...(withRaw ? { txs: txs.map((t) => bytesToHex(t)) } : {}),
  };
}

function opBlockOut(b: DerivedBatch, l1BlockHash: Hex, withRaw: boolean): DerivedL2Block {
  return {
    l1Block: b.l1Block,
    l1BlockHash,
    batchType: b.batchType,
    channelId: b.channelId,
    l2BlockNumber: null,
    timestamp: num(b.timestamp, 'timestamp'),
    epochNumber: num(b.epochNum, 'epoch number'),
    epochHash: hexOrNull(b.epochHash),
    parentHash: hexOrNull(b.parentHash),
    epochCheck: hexOrNull(b.epochCheck),
    parentCheck: hexOrNull(b.parentCheck),
    ...txFields(b.transactions, withRaw),
  };
}

function metisBlockOut(b: MetisDerivedBlock, l1BlockHash: Hex, withRaw: boolean): DerivedL2Block {
  return {
    l1Block: b.l1Block,
    l1BlockHash,
    batchType: b.source === 'span' ? 'metis-span' : 'metis-inline',
    channelId: b.channelId,
    l2BlockNumber: num(b.l2BlockNumber, 'L2 block number'),
    timestamp: numOrNull(b.timestamp, 'timestamp'),
    epochNumber: numOrNull(b.epochNum, 'L1 block number'),
    epochHash: null,
    parentHash: null,
    epochCheck: hexOrNull(b.epochCheck),
    parentCheck: hexOrNull(b.parentCheck),
    ...txFields(b.transactions, withRaw),
    l1Timestamp: numOrNull(b.l1Timestamp, 'L1 timestamp'),
    enqueuedTxs: b.enqueued,
  };
}

export function formatBlockLine(b: DerivedL2Block): string {
  const number = b.l2BlockNumber === null ? '' : `#${b.l2BlockNumber} `;
  const parent = b.parentHash ?? (b.parentCheck === null ? null : `${b.parentCheck}…`);
  const time = b.timestamp === null ? (b.l1Timestamp == null ? '' : ` l1time=${b.l1Timestamp}`) : ` t=${b.timestamp}`;
  return (
    `L2 block ${number}${time.trimStart()}${b.epochNumber === null ? '' : ` epoch=${b.epochNumber}`} txs=${b.txCount}` +
    (b.enqueuedTxs ? ` enqueued=${b.enqueuedTxs}` : '') +
    (parent === null ? '' : ` parent=${parent}`) +
    `  (${b.batchType}, L1 ${b.l1Block}${b.channelId === null ? '' : `, channel ${b.channelId}`})`
  );
}

export function formatSummary(opts: Pick<DeriveOptions, 'from' | 'to'>, s: DeriveSummary): string {
  return (
    `L1 blocks ${opts.from}..${opts.to}: ${s.l1BlocksScanned} scanned, ${s.batcherTxs} batcher tx(s) (${s.skippedTxs} skipped), ` +
    `${s.payloads} payload(s), ${s.frames} frame(s), ${s.channels} channel(s), ${s.l2Blocks} L2 block(s), ${s.drops} drop(s)` +
    (s.pendingChannels > 0 ? `, ${s.pendingChannels} channel(s) incomplete at the end` : '')
  );
}

// --- option parsers -------------------------------------------------------------------------------

function parseUrlList(value: string): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (urls.length === 0) throw new InvalidArgumentError('no URL given');
  return urls.map(parseUrl);
}

function parseAddressList(value: string): Address[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new InvalidArgumentError('no address given');
  return list.map((a) => parseAddress(a) as Address);
}

function parsePositiveInt(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('must be at least 1');
  return n;
}
