// The devnet's verifier node, what the watcher runs: it walks L1, reads the batcher's blobs from
// the inbox (KZG-checked) or its EigenDA certificates (commitment-checked), derives L2 blocks with the OP pipeline, checks each batch against its
// own head and L1 (parent, timestamp, epoch, sequencing window), and re-executes it with MetisVM
// on its own state built from genesis, never trusting the sequencer. Per L1 block everything it
// learnt is one level batch; on reopen it resumes, on an L1 reorg it rolls back and re-derives.
import type { Logger } from 'pino';
import type { VerifiedOutput } from '../challenger/output-root.js';
import { BlobFetcher, BlobNotFoundError } from '../da/blob/fetcher.js';
import { EigenDAClient, EigenDARequestError, EigenDAUnavailableError, type G1Srs } from '../da/eigenda/index.js';
import { DerivationPipeline, type DerivedBatch } from '../da/derivation/index.js';
import { fetchL1Block, retrieveBatcherData, type L1Block, type SkippedBatcherData } from '../da/retrieval/index.js';
import type { BlockHeader } from '../vm/block/header.js';
import { RpcClient, RpcUnavailableError, type Rpc } from '../vm/rpc/client.js';
import { hash32, obj, quantity, quantityHex } from '../vm/rpc/validate.js';
import type { PersistentState } from '../vm/state/persistent.js';
import type { Address } from '../vm/util/address.js';
import { bytesToHex, equalBytes, hexToBytes } from '../vm/util/bytes.js';
import { DEVNET_BLOCK_TIME, DEVNET_CHAIN_ID, DEVNET_RULES, type BlockAttributes } from './chain.js';
import type { ChainRules } from '../vm/chain/chain.js';
import type { InferenceCall } from '../vm/precompiles/inference.js';
import { buildBlock, hashLookup, InvalidBlockError, statePreimage } from './state.js';
import { openChainDir, type BlockStore, type L1Ref, type StoredBlock } from './store.js';

export interface DevnetNodeOptions {
  readonly l1RpcUrl: string;
  /** Beacon API for blobs; default the L1 RPC URL (anvil serves it there, by execution block number). */
  readonly beaconUrl?: string;
  readonly inbox: Address;
  readonly batcher: Address;
  /** The first L1 block to read. */
  readonly l1Start: bigint;
  readonly dataDir: string;
  /** Must equal the sequencer's. */
  readonly genesisTimestamp: bigint;
  readonly logger: Logger;
  /** CHANNEL_TIMEOUT in L1 blocks; also how far back a restart or reorg replays the pipeline. Default 50 (Granite). */
  readonly channelTimeout?: number;
  /** SEQUENCING_WINDOW: a batch must land within this many L1 blocks of its epoch. Default 3600. */
  readonly sequencingWindow?: bigint;
  /** eigenda-proxy URLs (tried in order) and the SRS to check certificates with; without it alt-DA commitments are skipped. */
  readonly eigenda?: { readonly proxyUrls: readonly string[]; readonly srs: G1Srs };
  readonly observer?: DevnetNodeObserver;
  /** The chain's rules (default the devnet's); the sequencer's must be the same, model store included. */
  readonly chain?: ChainRules;
}

/** Where batcher data comes from: the beacon API (blobs), an EigenDA proxy, the L1 RPC (blocks, calldata). */
export type DaSource = 'beacon' | 'eigenda' | 'l1';

/** What the node reports as it goes (the challenge daemon turns it into metrics). */
export interface DevnetNodeObserver {
  /** Data of an L1 block could not be had; the block is retried on the next sync. */
  daFetchFailed?(source: DaSource, l1Block: bigint, error: Error): void;
  /** Batcher data dropped for good (logged with the reason too). */
  payloadSkipped?(source: DaSource, skipped: SkippedBatcherData): void;
  /** One L2 block re-executed: its gas and the seconds MetisVM took. */
  blockExecuted?(l2Block: bigint, gasUsed: bigint, seconds: number): void;
}

/** A DA fetch failure that stopped a sync at an L1 block (retried by the next sync). */
export interface DaFetchFailure {
  readonly source: DaSource;
  readonly l1Block: bigint;
  readonly message: string;
}

/** An L2 block as the step prover wants it: its header, raw transactions and its parent's header. */
export interface NodeBlock {
  readonly number: bigint;
  readonly hash: Uint8Array;
  readonly header: BlockHeader;
  readonly transactions: readonly Uint8Array[];
  readonly parentHeader: BlockHeader;
  /** The L1 block its batch was read from. */
  readonly derivedFrom: L1Ref;
  /** Its runs of the inference precompile, in order. */
  readonly inferences: readonly InferenceCall[];
}

export interface DevnetOutput extends VerifiedOutput {
  readonly derivedFrom: { readonly number: bigint; readonly hash: `0x${string}` } | null;
}

export interface SyncResult {
  /** The last L1 block processed. */
  readonly l1Head: bigint | null;
  readonly l2Head: bigint;
  /** L2 blocks derived by this call. */
  readonly derived: number;
  /** L1 reorgs this call rolled back. */
  readonly reorgs: number;
  /** Set when the sync stopped early because an L1 block's data could not be fetched. */
  readonly daFailure: DaFetchFailure | null;
}

export class DevnetNodeError extends Error {
  override readonly name = 'DevnetNodeError';
}

interface L1HeaderRef {
  readonly hash: Uint8Array;
  readonly timestamp: bigint;
}

export class DevnetNode {
  private readonly hashes = new Map<bigint, Uint8Array>();
  private readonly l1Headers = new Map<bigint, L1HeaderRef>();
  private pipeline!: DerivationPipeline;
  /** The next L1 block to feed the pipeline (≤ cursor + 1 while replaying after a restart or reorg). */
  private pipelineNext = 0n;
  private syncing: Promise<SyncResult> | null = null;
  private readonly channelTimeout: number;
  private readonly window: bigint;

  private constructor(
    private readonly opts: DevnetNodeOptions,
    private readonly rpc: Rpc,
    private readonly blobs: BlobFetcher,
    private readonly eigenda: EigenDAClient | null,
    private readonly state: PersistentState,
    private readonly store: BlockStore,
    private tip: StoredBlock,
    /** The last L1 block fully processed, or null before l1Start. */
    private cursor: bigint | null,
  ) {
    this.channelTimeout = opts.channelTimeout ?? 50;
    this.window = opts.sequencingWindow ?? 3600n;
  }

  /** Opens (or creates from genesis) the node's data directory and resumes from what it stored. */
  static async open(opts: DevnetNodeOptions): Promise<DevnetNode> {
    const { store, state, tip } = await openChainDir(opts.dataDir, 'chain', opts.genesisTimestamp, (m) => new DevnetNodeError(m));
    try {
      const rpc = new RpcClient(opts.l1RpcUrl);
      const blobs = new BlobFetcher({
        endpoints: [{ url: opts.beaconUrl ?? opts.l1RpcUrl, kind: 'beacon', blockId: 'execution-number' }],
        retries: 2,
        backoffMs: 200,
        log: opts.logger,
      });
      // Few retries inside the client: a failed block is retried by the next sync anyway.
      const eigenda = opts.eigenda === undefined ? null : new EigenDAClient({ proxyUrls: opts.eigenda.proxyUrls, srs: opts.eigenda.srs, retries: 1, backoffMs: 200, log: opts.logger });
      const node = new DevnetNode(opts, rpc, blobs, eigenda, state, store, tip, await store.l1Cursor());
      await node.loadRecentHashes();
      node.resetPipeline();
      opts.logger.info({ l2Head: tip.number, l1Cursor: node.cursor }, 'devnet node opened');
      return node;
    } catch (e) {
      await state.close();
      await store.close();
      throw e;
    }
  }

  /** The rules the node executes blocks by. */
  get chain(): ChainRules {
    return this.opts.chain ?? DEVNET_RULES;
  }

  /** The newest derived L2 block. */
  head(): StoredBlock {
    return this.tip;
  }

  /** The last L1 block fully processed (null before the start block). */
  l1Head(): bigint | null {
    return this.cursor;
  }

  async outputAt(n: bigint): Promise<DevnetOutput | null> {
    const b = await this.store.block(n);
    if (b === null) return null;
    return {
      blockNumber: b.number,
      outputRoot: bytesToHex(b.outputRoot),
      stateRoot: bytesToHex(b.stateRoot),
      messagePasserStorageRoot: bytesToHex(b.messagePasserStorageRoot),
      blockHash: bytesToHex(b.hash),
      derivedFrom: b.derivedFrom === null ? null : { number: b.derivedFrom.number, hash: bytesToHex(b.derivedFrom.hash) },
    };
  }

  async blockAt(n: bigint): Promise<NodeBlock | null> {
    if (n < 1n) return null;
    const [b, parent] = await Promise.all([this.store.block(n), this.store.block(n - 1n)]);
    if (b === null || parent === null || b.derivedFrom === null) return null;
    return { number: b.number, hash: b.hash, header: b.header, transactions: b.transactions, parentHeader: parent.header, derivedFrom: b.derivedFrom, inferences: b.inferences ?? [] };
  }

  /** The inference calls block `n` made (empty for a block not derived, or one without any). */
  async inferencesAt(n: bigint): Promise<readonly InferenceCall[]> {
    return (await this.store.block(n))?.inferences ?? [];
  }

  /** A trie node or contract code by its keccak256 from the node's state store (null when unknown). */
  preimage(hash: Uint8Array): Promise<Uint8Array | null> {
    return statePreimage(this.state, hash);
  }

  /** Processes every L1 block up to the current L1 head; one call at a time (a second call joins the first). */
  sync(): Promise<SyncResult> {
    this.syncing ??= this.syncOnce().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.state.close();
    await this.store.close();
  }

  // ---- sync ------------------------------------------------------------------------------------

  private async syncOnce(): Promise<SyncResult> {
    const before = this.tip.number;
    let reorgs = 0;
    let derivedFloor = before;
    for (;;) {
      const ancestor = await this.findReorg();
      if (ancestor !== null) {
        await this.rollbackTo(ancestor);
        reorgs++;
        derivedFloor = this.tip.number < derivedFloor ? this.tip.number : derivedFloor;
      }
      const latest = quantity('eth_blockNumber', await this.rpc.request('eth_blockNumber', []), 'block number');
      let reorged = false;
      while (this.pipelineNext <= latest) {
        const n = this.pipelineNext;
        let block: L1Block;
        try {
          block = await fetchL1Block(this.rpc, n);
        } catch (e) {
          if (e instanceof Error && e.name === 'L1BlockNotFoundError') break; // the chain shrank under us
          const failure = this.daFailure(e, n);
          if (failure !== null) return { l1Head: this.cursor, l2Head: this.tip.number, derived: Number(this.tip.number - derivedFloor), reorgs, daFailure: failure };
          throw e;
        }
        const prev = n > this.opts.l1Start ? await this.store.l1Hash(n - 1n) : null;
        if (prev !== null && !equalBytes(prev, hexToBytes(block.parentHash))) {
          reorged = true;
          break;
        }
        try {
          await this.processL1(block);
        } catch (e) {
          // Nothing of the block was kept (retrieval comes first): the next sync starts again at it.
          const failure = this.daFailure(e, n);
          if (failure !== null) return { l1Head: this.cursor, l2Head: this.tip.number, derived: Number(this.tip.number - derivedFloor), reorgs, daFailure: failure };
          throw e;
        }
      }
      if (!reorged) break;
    }
    return { l1Head: this.cursor, l2Head: this.tip.number, derived: Number(this.tip.number - derivedFloor), reorgs, daFailure: null };
  }

  /** A data-availability failure worth retrying (reported and logged), or null for any other error. */
  private daFailure(e: unknown, l1Block: bigint): DaFetchFailure | null {
    let source: DaSource;
    if (e instanceof BlobNotFoundError) source = 'beacon';
    // A 4xx refusal will likely repeat, but dropping the data would fork us off the chain: retried, loudly.
    else if (e instanceof EigenDAUnavailableError || e instanceof EigenDARequestError) source = 'eigenda';
    else if (e instanceof RpcUnavailableError) source = 'l1';
    else return null;
    const err = e as Error;
    this.opts.observer?.daFetchFailed?.(source, l1Block, err);
    this.opts.logger.warn({ source, l1Block: Number(l1Block), err: err.message }, 'DA fetch failed: the L1 block is retried on the next sync');
    return { source, l1Block, message: err.message };
  }

  /** The newest stored L1 block still on the chain, when the stored cursor no longer is; else null. */
  private async findReorg(): Promise<bigint | null> {
    if (this.cursor === null) return null;
    let n = this.cursor;
    for (; n >= this.opts.l1Start; n--) {
      const stored = await this.store.l1Hash(n);
      const live = await this.l1HeaderHash(n);
      if (stored !== null && live !== null && equalBytes(stored, live)) break;
    }
    return n === this.cursor ? null : n;
  }

  private async l1HeaderHash(n: bigint): Promise<Uint8Array | null> {
    const answer = await this.rpc.request('eth_getBlockByNumber', [quantityHex(n), false]);
    if (answer === null) return null;
    return hash32('eth_getBlockByNumber', obj('eth_getBlockByNumber', answer, 'block').hash, 'hash');
  }

  /** Drops everything derived from L1 blocks after `ancestor` (or with an L1 origin after it). */
  private async rollbackTo(ancestor: bigint): Promise<void> {
    let keep = this.tip;
    while (keep.number > 0n && ((keep.derivedFrom?.number ?? -1n) > ancestor || (keep.l1Origin?.number ?? -1n) > ancestor)) {
      const parent = await this.store.block(keep.number - 1n);
      if (parent === null) throw new DevnetNodeError(`block ${keep.number - 1n} is missing from the store`);
      keep = parent;
    }
    const cursor = ancestor < this.opts.l1Start ? null : ancestor;
    this.opts.logger.warn({ l1Ancestor: ancestor, l2From: this.tip.number, l2To: keep.number }, 'L1 reorg: rolling back');
    // The store first: a crash after it leaves the state ahead, which reopening repairs.
    await this.store.update({ dropL2Above: keep.number, dropL1Above: ancestor, l2Head: keep.number, l1Cursor: cursor });
    await this.state.setHead(keep.number, keep.stateRoot);
    for (const n of [...this.hashes.keys()]) if (n > keep.number) this.hashes.delete(n);
    this.l1Headers.clear();
    this.tip = keep;
    this.cursor = cursor;
    this.resetPipeline();
  }

  /** A fresh pipeline, replaying the L1 blocks in which an unfinished channel may have begun. */
  private resetPipeline(): void {
    this.pipeline = new DerivationPipeline({
      channelTimeout: this.channelTimeout,
      fjord: true,
      genesisTimestamp: this.opts.genesisTimestamp,
      blockTime: DEVNET_BLOCK_TIME,
      chainId: DEVNET_CHAIN_ID,
    });
    const from = this.cursor === null ? this.opts.l1Start : this.cursor + 1n - BigInt(this.channelTimeout);
    this.pipelineNext = from > this.opts.l1Start ? from : this.opts.l1Start;
  }

  private async loadRecentHashes(): Promise<void> {
    for (let n = this.tip.number; n >= 0n && n + 256n > this.tip.number; n--) {
      const b = await this.store.block(n);
      if (b !== null) this.hashes.set(n, b.hash);
    }
  }

  private async processL1(block: L1Block): Promise<void> {
    const log = this.opts.logger;
    const n = block.number;
    const retrieved = await retrieveBatcherData(block, { inbox: this.opts.inbox, batchers: [this.opts.batcher] }, { blobs: this.blobs, ...(this.eigenda === null ? {} : { eigenda: this.eigenda }) });
    // A replayed block (restart, reorg) reports its skips again; count them only the first time.
    const fresh = this.cursor === null || n > this.cursor;
    for (const s of retrieved.skipped) {
      const source: DaSource = s.origin === 'alt-da' ? 'eigenda' : s.origin === 'blob' ? 'beacon' : 'l1';
      log.warn({ l1Block: s.l1Block, tx: s.txHash, source, reason: s.reason }, `batcher data skipped: ${s.reason}`);
      if (fresh) this.opts.observer?.payloadSkipped?.(source, s);
    }
    const result = await this.pipeline.addL1Block(Number(n), retrieved.payloads.map((p) => p.data));
    for (const ev of result.events) log.warn({ ...ev }, `derivation dropped data: ${ev.reason}`);
    this.pipelineNext = n + 1n;
    // Replaying a block already processed only rebuilds channels; its batches are all derived.
    if (this.cursor !== null && n <= this.cursor) return;

    const l1: L1Ref = { number: n, hash: hexToBytes(block.hash) };
    const derived: StoredBlock[] = [];
    let parent: StoredBlock = this.tip;
    try {
      for (const batch of result.batches) {
        const attrs = await this.checkBatch(batch, n, parent);
        if (typeof attrs === 'string') {
          log.warn({ l1Block: n, channel: batch.channelId, timestamp: batch.timestamp, reason: attrs }, 'batch dropped');
          continue;
        }
        let built;
        const started = performance.now();
        try {
          built = await buildBlock(this.state, parent.header, attrs, batch.transactions, hashLookup(this.hashes), this.chain);
        } catch (e) {
          if (!(e instanceof InvalidBlockError)) throw e;
          log.warn({ l1Block: n, channel: batch.channelId, reason: e.message }, 'batch dropped: invalid block');
          continue;
        }
        this.opts.observer?.blockExecuted?.(built.block.number, built.block.header.gasUsed, (performance.now() - started) / 1000);
        for (const w of built.result.warnings) log.warn({ l2Block: built.block.number }, w);
        parent = { ...built.block, derivedFrom: l1 };
        derived.push(parent);
        this.hashes.set(parent.number, parent.hash);
      }
      await this.store.update({ put: derived, l1, l2Head: parent.number, l1Cursor: n });
    } catch (e) {
      // Nothing of this L1 block was stored: put the state back where the store is.
      for (const b of derived) this.hashes.delete(b.number);
      await this.state.setHead(this.tip.number, this.tip.stateRoot);
      throw e;
    }
    for (const b of derived) this.hashes.delete(b.number - 256n);
    this.tip = parent;
    this.cursor = n;
    if (derived.length > 0) log.info({ l1Block: n, l2From: derived[0]!.number, l2To: parent.number }, 'derived L2 blocks');
  }

  /** The block attributes of `batch` as the child of `parent`, or why it is dropped. */
  private async checkBatch(batch: DerivedBatch, inclusion: bigint, parent: StoredBlock): Promise<BlockAttributes | string> {
    const next = parent.header.timestamp + DEVNET_BLOCK_TIME;
    if (batch.timestamp < next) return `batch for timestamp ${batch.timestamp} is at or before the head's next slot ${next} (already derived)`;
    if (batch.timestamp > next) return `batch for timestamp ${batch.timestamp} is ahead of the next slot ${next}`;
    const parentRef = batch.parentHash ?? batch.parentCheck;
    if (parentRef !== null && !isPrefix(parentRef, parent.hash)) return `batch parent ${bytesToHex(parentRef)} is not the head ${bytesToHex(parent.hash)}`;
    const epoch = batch.epochNum;
    const parentEpoch = parent.l1Origin?.number;
    if (parentEpoch !== undefined && (epoch < parentEpoch || epoch > parentEpoch + 1n)) {
      return `L1 origin ${epoch} does not stay at or advance by one from the parent's ${parentEpoch}`;
    }
    if (epoch > inclusion) return `L1 origin ${epoch} is after the L1 block ${inclusion} that carried the batch`;
    if (inclusion > epoch + this.window) return `L1 origin ${epoch} is outside the sequencing window at L1 block ${inclusion}`;
    const origin = await this.l1Header(epoch);
    if (origin === null) return `L1 origin ${epoch} is not on the chain`;
    const epochRef = batch.epochHash ?? batch.epochCheck;
    if (epochRef !== null && !isPrefix(epochRef, origin.hash)) return `L1 origin hash ${bytesToHex(epochRef)} is not L1 block ${epoch}'s ${bytesToHex(origin.hash)}`;
    if (batch.timestamp < origin.timestamp) return `timestamp ${batch.timestamp} is before its L1 origin's ${origin.timestamp}`;
    return { timestamp: batch.timestamp, l1Origin: { number: epoch, hash: origin.hash } };
  }

  private async l1Header(n: bigint): Promise<L1HeaderRef | null> {
    const hit = this.l1Headers.get(n);
    if (hit !== undefined) return hit;
    const method = 'eth_getBlockByNumber';
    const answer = await this.rpc.request(method, [quantityHex(n), false]);
    if (answer === null) return null;
    const b = obj(method, answer, 'block');
    const ref = { hash: hash32(method, b.hash, 'hash'), timestamp: quantity(method, b.timestamp, 'timestamp') };
    this.l1Headers.set(n, ref);
    return ref;
  }
}

function isPrefix(prefix: Uint8Array, full: Uint8Array): boolean {
  return prefix.length <= full.length && equalBytes(prefix, full.subarray(0, prefix.length));
}
