// A transaction manager for one key on L1, after op-service's txmgr: it owns the nonce (read from
// the node's `pending` count once, then counted locally), signs locally, journals every signed
// transaction before broadcasting it, waits for a confirmation depth, and replaces a transaction
// that is not mined within N blocks by the same nonce with fees raised by at least 10% (geth's
// replacement rule), up to a cap of attempts. Whichever of the attempts is mined settles it.
import type { Logger } from 'pino';
import {
  BaseError,
  HttpRequestError,
  keccak256,
  TimeoutError,
  TransactionReceiptNotFoundError,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem';
import type { Journal, TxAttempt, TxRecord } from './journal.js';

export class TxManagerError extends Error {
  override readonly name: string = 'TxManagerError';
}

/** Not mined after the cap of attempts (or a replacement would exceed the fee limit). */
export class TxNotMinedError extends TxManagerError {
  override readonly name = 'TxNotMinedError';
  constructor(
    readonly purpose: string,
    readonly nonce: number,
    readonly hashes: readonly Hex[],
    reason: string,
  ) {
    super(`${purpose} (nonce ${nonce}) not mined: ${reason}`);
  }
}

/** Mined and reverted; `revert` is the decoded custom error when the revert could be replayed. */
export class TxRevertedError extends TxManagerError {
  override readonly name = 'TxRevertedError';
  constructor(
    readonly purpose: string,
    readonly hash: Hex,
    readonly blockNumber: bigint,
    readonly revert: Error | null,
    readonly revertData: Hex | null,
  ) {
    super(`${purpose} reverted in ${hash}${revert !== null ? `: ${revert.message}` : ''}`);
  }
}

/** The nonce was used by a transaction this manager did not sign (another process with the key). */
export class TxNonceConsumedError extends TxManagerError {
  override readonly name = 'TxNonceConsumedError';
  constructor(
    readonly purpose: string,
    readonly nonce: number,
  ) {
    super(`${purpose}: nonce ${nonce} was used by a transaction not in the journal`);
  }
}

/** The node refused the first broadcast (the record is marked failed; the nonce is re-read). */
export class TxBroadcastError extends TxManagerError {
  override readonly name = 'TxBroadcastError';
}

export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export interface TxManagerOptions {
  readonly public: PublicClient;
  /** Must hold a local account (private key): transactions are signed here to be journaled first. */
  readonly wallet: WalletClient<Transport, Chain, Account>;
  readonly journal: Journal;
  /** Blocks a receipt must be under (1: mined in the head). Default 1. */
  readonly confirmations?: number;
  /** Replace a transaction not mined this many blocks after it was sent. Default 3. */
  readonly resubmitAfterBlocks?: number;
  /** Broadcasts (original + replacements) before giving up. Default 5. */
  readonly maxAttempts?: number;
  /** Fee increase per replacement, percent; at least 10. Default 10. */
  readonly feeBumpPercent?: number;
  /** Never sign a fee cap above this (wei). */
  readonly maxFeePerGasLimit?: bigint;
  /** Gas limit = estimate × this / 100. Default 130. */
  readonly gasPaddingPercent?: number;
  readonly pollIntervalMs?: number;
  readonly logger?: Logger;
}

export interface TxCandidate {
  /** Journal key: one transaction per purpose, never sent twice. */
  readonly purpose: string;
  readonly to: Address;
  readonly data: Hex;
  readonly value?: bigint;
  /** Gas limit; estimated (and padded) when omitted. */
  readonly gas?: bigint;
  /** Fees of the first attempt; estimated when omitted. */
  readonly fees?: Fees;
  /** Revert data → typed error (e.g. the game's custom errors). */
  readonly decodeRevert?: (data: Hex) => Error;
  /** Logs about this transaction go here (e.g. a child with `game` bound); default the manager's. */
  readonly logger?: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bumped = (x: bigint, percent: number): bigint => (x * BigInt(100 + percent) + 99n) / 100n;
const max = (...xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b));

/** The raw revert data somewhere in a viem error chain, if the node returned any. */
export function revertDataOf(e: unknown): Hex | null {
  if (!(e instanceof BaseError)) return null;
  const hit = e.walk((x) => {
    const d = (x as { data?: unknown }).data;
    return typeof d === 'string' && d.startsWith('0x');
  }) as { data?: unknown } | null;
  const d = hit?.data;
  return typeof d === 'string' && d.startsWith('0x') ? (d as Hex) : null;
}

const message = (e: unknown): string => (e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e));

export class TxManager {
  private nonce = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly confirmations: number;
  private readonly resubmitAfter: bigint;
  private readonly maxAttempts: number;
  private readonly bump: number;
  private readonly poll: number;

  private constructor(private readonly o: TxManagerOptions) {
    this.confirmations = Math.max(1, o.confirmations ?? 1);
    this.resubmitAfter = BigInt(Math.max(1, o.resubmitAfterBlocks ?? 3));
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 5);
    this.bump = Math.max(10, o.feeBumpPercent ?? 10);
    this.poll = o.pollIntervalMs ?? 1_000;
  }

  /** A manager for the wallet's account; its nonce starts at the node's pending count (or past the journal's). */
  static async create(options: TxManagerOptions): Promise<TxManager> {
    const account = options.wallet.account;
    if (account.type !== 'local') throw new TxManagerError('the transaction manager signs locally: it needs a private-key account');
    const m = new TxManager(options);
    await m.syncNonce();
    return m;
  }

  get address(): Address {
    return this.o.wallet.account.address;
  }

  /** The next nonce this manager will use. */
  get nextNonce(): number {
    return this.nonce;
  }

  /** Re-reads the nonce: the node's pending count, or past a journaled pending transaction the node forgot. */
  private async syncNonce(): Promise<void> {
    const chain = await this.o.public.getTransactionCount({ address: this.address, blockTag: 'pending' });
    let n = chain;
    for (const r of await this.o.journal.txs()) {
      if (r.status === 'pending' && r.from.toLowerCase() === this.address.toLowerCase() && r.nonce >= n) n = r.nonce + 1;
    }
    this.nonce = n;
  }

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Fees for a new transaction now (viem: base fee × 2 + tip), capped by the limit. */
  async fees(): Promise<Fees> {
    const f = await this.o.public.estimateFeesPerGas({ chain: this.o.wallet.chain, type: 'eip1559' });
    return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
  }

  private async sign(r: Pick<TxRecord, 'to' | 'data' | 'value' | 'gas' | 'nonce'>, fees: Fees, sentAtBlock: bigint): Promise<TxAttempt> {
    const { wallet } = this.o;
    const raw = await wallet.signTransaction({
      account: wallet.account,
      chain: wallet.chain,
      type: 'eip1559',
      to: r.to,
      data: r.data,
      value: r.value,
      gas: r.gas,
      nonce: r.nonce,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return { hash: keccak256(raw), raw, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, sentAtBlock };
  }

  private broadcast(raw: Hex): Promise<Hex> {
    return this.o.wallet.sendRawTransaction({ serializedTransaction: raw });
  }

  /**
   * Sends the candidate once per purpose and waits for it: a purpose already mined returns its
   * receipt without sending, one pending is awaited (or bumped), one reverted throws again; only a
   * failed one (never mined) is sent anew.
   */
  async send(c: TxCandidate): Promise<TransactionReceipt> {
    const existing = await this.o.journal.tx(c.purpose);
    const log = c.logger ?? this.o.logger;
    if (existing !== undefined && existing.status !== 'failed') return this.settle(existing, c.decodeRevert, log);
    const record = await this.exclusive(() => this.signAndBroadcast(c, log));
    return this.settle(record, c.decodeRevert, log);
  }

  private async signAndBroadcast(c: TxCandidate, logger: Logger | undefined): Promise<TxRecord> {
    const { public: pub, journal } = this.o;
    // A concurrent send of the same purpose got here first: wait for that one instead.
    const already = await journal.tx(c.purpose);
    if (already !== undefined && already.status !== 'failed') return already;
    const value = c.value ?? 0n;
    let gas = c.gas;
    if (gas === undefined) {
      try {
        const est = await pub.estimateGas({ account: this.o.wallet.account, to: c.to, data: c.data, value });
        gas = (est * BigInt(this.o.gasPaddingPercent ?? 130)) / 100n;
      } catch (e) {
        // A revert at estimation costs nothing: hand back the typed error, nothing was signed.
        const data = revertDataOf(e);
        if (data !== null && c.decodeRevert !== undefined) throw c.decodeRevert(data);
        throw e;
      }
    }
    let fees = c.fees ?? (await this.fees());
    if (this.o.maxFeePerGasLimit !== undefined && fees.maxFeePerGas > this.o.maxFeePerGasLimit) {
      const limit = this.o.maxFeePerGasLimit;
      fees = { maxFeePerGas: limit, maxPriorityFeePerGas: fees.maxPriorityFeePerGas > limit ? limit : fees.maxPriorityFeePerGas };
    }
    const head = await pub.getBlockNumber({ cacheTime: 0 });
    const base = { purpose: c.purpose, from: this.address, nonce: this.nonce, to: c.to, data: c.data, value, gas };
    const attempt = await this.sign(base, fees, head);
    const record: TxRecord = { ...base, attempts: [attempt], status: 'pending' };
    // Journaled before it can reach the network: a crash from here on finds it on restart.
    await journal.putTx(record);
    this.nonce++;
    try {
      await this.broadcast(attempt.raw);
    } catch (e) {
      // No answer (timeout, connection) may still mean it reached the node: keep it pending, the
      // wait finds it mined or replaces it.
      if (e instanceof BaseError && e.walk((x) => x instanceof HttpRequestError || x instanceof TimeoutError) !== null) {
        logger?.warn({ purpose: c.purpose, hash: attempt.hash, err: message(e) }, 'no answer to the broadcast: waiting for it anyway');
        return record;
      }
      const failed: TxRecord = { ...record, status: 'failed', error: `broadcast refused: ${message(e)}` };
      await journal.putTx(failed);
      await this.syncNonce();
      throw new TxBroadcastError(`${c.purpose}: the node refused the transaction: ${message(e)}`);
    }
    logger?.info({ purpose: c.purpose, hash: attempt.hash, nonce: record.nonce, maxFeePerGas: String(fees.maxFeePerGas) }, 'transaction sent');
    return record;
  }

  /** Settles a journaled transaction after a restart: rebroadcast (the node may have dropped it) and wait. */
  async resume(purpose: string, decodeRevert?: (data: Hex) => Error, logger: Logger | undefined = this.o.logger): Promise<TransactionReceipt> {
    const r = await this.o.journal.tx(purpose);
    if (r === undefined) throw new TxManagerError(`no journaled transaction for ${purpose}`);
    if (r.status === 'pending') {
      const last = r.attempts[r.attempts.length - 1]!;
      // "already known" or "nonce too low" (it was mined) are both fine here.
      await this.broadcast(last.raw).catch(() => undefined);
    }
    return this.settle(r, decodeRevert, logger);
  }

  /** Every journaled transaction of this account still pending, settled (errors are returned, not thrown). */
  async resumeAll(decodeRevert?: (data: Hex) => Error): Promise<{ purpose: string; receipt?: TransactionReceipt; error?: Error }[]> {
    const out: { purpose: string; receipt?: TransactionReceipt; error?: Error }[] = [];
    const mine = (await this.o.journal.txs()).filter((r) => r.status === 'pending' && r.from.toLowerCase() === this.address.toLowerCase());
    await Promise.all(
      mine.map(async (r) => {
        try {
          out.push({ purpose: r.purpose, receipt: await this.resume(r.purpose, decodeRevert) });
        } catch (e) {
          out.push({ purpose: r.purpose, error: e instanceof Error ? e : new Error(String(e)) });
        }
      }),
    );
    return out;
  }

  private async receiptOf(r: TxRecord): Promise<TransactionReceipt | null> {
    for (const a of r.attempts) {
      try {
        return await this.o.public.getTransactionReceipt({ hash: a.hash });
      } catch (e) {
        if (!(e instanceof TransactionReceiptNotFoundError)) throw e;
      }
    }
    return null;
  }

  /** Waits until one attempt is mined under `confirmations` blocks, bumping fees when it is late. */
  private async settle(record: TxRecord, decodeRevert: ((data: Hex) => Error) | undefined, log: Logger | undefined): Promise<TransactionReceipt> {
    const { public: pub, journal } = this.o;
    let r = record;
    if (r.status === 'failed') throw new TxNotMinedError(r.purpose, r.nonce, r.attempts.map((a) => a.hash), r.error ?? 'failed earlier');
    for (;;) {
      const head = await pub.getBlockNumber({ cacheTime: 0 });
      const receipt = await this.receiptOf(r);
      if (receipt !== null) {
        if (head - receipt.blockNumber + 1n >= BigInt(this.confirmations)) {
          // Still the same block after the wait (a reorg would have moved or dropped it).
          const again = await this.receiptOf(r);
          if (again !== null && again.blockHash === receipt.blockHash) return this.finish(r, again, decodeRevert, log);
        }
      } else {
        const last = r.attempts[r.attempts.length - 1]!;
        if (head >= last.sentAtBlock + this.resubmitAfter) {
          const used = await pub.getTransactionCount({ address: r.from, blockTag: 'latest' });
          if (used > r.nonce) {
            // Mined between the two reads, or someone else used the nonce.
            if ((await this.receiptOf(r)) !== null) continue;
            await journal.putTx({ ...r, status: 'failed', error: 'nonce used by another transaction' });
            throw new TxNonceConsumedError(r.purpose, r.nonce);
          }
          r = await this.replace(r, head, log);
          continue;
        }
      }
      await sleep(this.poll);
    }
  }

  private async finish(r: TxRecord, receipt: TransactionReceipt, decodeRevert: ((data: Hex) => Error) | undefined, log: Logger | undefined): Promise<TransactionReceipt> {
    if (receipt.status === 'success') {
      if (r.status !== 'mined') {
        await this.o.journal.putTx({ ...r, status: 'mined', minedHash: receipt.transactionHash, blockNumber: receipt.blockNumber });
        log?.info({ purpose: r.purpose, hash: receipt.transactionHash, block: Number(receipt.blockNumber) }, 'transaction mined');
      }
      return receipt;
    }
    const data = await this.replayRevert(r, receipt.transactionHash, receipt.blockNumber);
    const revert = data !== null && decodeRevert !== undefined ? decodeRevert(data) : null;
    const err = new TxRevertedError(r.purpose, receipt.transactionHash, receipt.blockNumber, revert, data);
    if (r.status !== 'reverted') {
      await this.o.journal.putTx({ ...r, status: 'reverted', minedHash: receipt.transactionHash, blockNumber: receipt.blockNumber, error: err.message });
    }
    throw err;
  }

  /**
   * The revert data: from the node's call tracer when it has one (exact), else by calling the
   * transaction again on the state after its block (what a competitor's earlier transaction in
   * the same block changed), then on the state before it.
   */
  private async replayRevert(r: TxRecord, hash: Hex, blockNumber: bigint): Promise<Hex | null> {
    try {
      const trace = (await this.o.public.request({
        method: 'debug_traceTransaction',
        params: [hash, { tracer: 'callTracer' }],
      } as never)) as { output?: unknown } | null;
      const out = trace?.output;
      if (typeof out === 'string' && out.startsWith('0x') && out.length > 2) return out as Hex;
    } catch {
      // No debug namespace on this node: replay with eth_call below.
    }
    for (const at of [blockNumber, blockNumber - 1n]) {
      try {
        await this.o.public.call({ account: r.from, to: r.to, data: r.data, value: r.value, gas: r.gas, blockNumber: at });
      } catch (e) {
        const data = revertDataOf(e);
        if (data !== null) return data;
      }
    }
    return null;
  }

  /** The same nonce again with at least +bump% on tip and fee cap (and no less than fees now). */
  private async replace(r: TxRecord, head: bigint, log: Logger | undefined): Promise<TxRecord> {
    const last = r.attempts[r.attempts.length - 1]!;
    const hashes = r.attempts.map((a) => a.hash);
    if (r.attempts.length >= this.maxAttempts) {
      await this.o.journal.putTx({ ...r, status: 'failed', error: `not mined after ${r.attempts.length} attempts` });
      throw new TxNotMinedError(r.purpose, r.nonce, hashes, `not mined after ${r.attempts.length} attempts`);
    }
    const now = await this.fees();
    const tip = max(bumped(last.maxPriorityFeePerGas, this.bump), now.maxPriorityFeePerGas);
    const cap = max(bumped(last.maxFeePerGas, this.bump), now.maxFeePerGas, tip);
    const limit = this.o.maxFeePerGasLimit;
    if (limit !== undefined && cap > limit) {
      await this.o.journal.putTx({ ...r, status: 'failed', error: `a replacement would exceed the fee limit ${limit}` });
      throw new TxNotMinedError(r.purpose, r.nonce, hashes, `a replacement needs a fee cap of ${cap} wei, above the limit ${limit}`);
    }
    const attempt = await this.sign(r, { maxFeePerGas: cap, maxPriorityFeePerGas: tip }, head);
    const next: TxRecord = { ...r, attempts: [...r.attempts, attempt] };
    await this.o.journal.putTx(next);
    try {
      await this.broadcast(attempt.raw);
      log?.warn({ purpose: r.purpose, nonce: r.nonce, hash: attempt.hash, replaces: last.hash, maxFeePerGas: String(cap) }, 'transaction replaced with higher fees');
    } catch (e) {
      // Typically "nonce too low": an earlier attempt was mined meanwhile; the loop finds its receipt.
      log?.warn({ purpose: r.purpose, nonce: r.nonce, err: message(e) }, 'replacement refused by the node');
    }
    return next;
  }
}
