// Data retrieval (OP Stack derivation spec, "L1 Retrieval"): the batcher payloads one L1 block
// carries. A transaction counts when it is sent to the batch inbox by an authorised batcher. Its
// data is the calldata (type 0/1/2/4), or for a type-3 transaction its blobs (calldata ignored);
// calldata starting with 0x01 is an alt-DA commitment whose data is fetched and checked (EigenDA).
// What is skipped is returned with the reason, so the caller can log every one.
import { BlobDecodeError, decodeBlob, type BlobFetcher } from '../blob/index.js';
import { EigenDACertParseError, EigenDAInvalidCertError, type EigenDAClient } from '../eigenda/index.js';
import type { Address } from '../../vm/util/address.js';
import type { Hex } from '../../vm/util/bytes.js';
import type { L1Block, L1Transaction } from './l1.js';

/** The first byte of a batcher payload: 0 carries frames, 1 an alt-DA commitment. */
export const DERIVATION_VERSION_FRAMES = 0x00;
export const DERIVATION_VERSION_ALT_DA = 0x01;

export interface BatcherConfig {
  readonly inbox: Address;
  /** Authorised senders; empty accepts any sender (the caller should say so loudly). */
  readonly batchers: readonly Address[];
}

export interface BatcherPayload {
  readonly l1Block: bigint;
  readonly txHash: Hex;
  readonly txIndex: number;
  readonly origin: 'calldata' | 'blob' | 'alt-da';
  /** Position of the blob in its transaction (blob payloads only). */
  readonly blobIndex: number | null;
  /** Starts with the derivation version byte (0: frames follow). */
  readonly data: Uint8Array;
}

export interface SkippedBatcherData {
  readonly l1Block: bigint;
  readonly txHash: Hex;
  readonly reason: string;
  /** Which kind of data was dropped, where it got that far (absent: the transaction itself, e.g. its sender). */
  readonly origin?: BatcherPayload['origin'];
}

export interface RetrievalResult {
  readonly payloads: readonly BatcherPayload[];
  readonly skipped: readonly SkippedBatcherData[];
}

export interface RetrievalDeps {
  /** Needed when the block has batcher blob transactions. */
  readonly blobs?: BlobFetcher;
  /** Needed for alt-DA commitments; without it they are skipped with a reason. */
  readonly eigenda?: EigenDAClient;
}

/** Thrown when a block needs a data source the caller did not configure: nothing is skipped silently. */
export class RetrievalConfigError extends Error {
  override readonly name = 'RetrievalConfigError';
}

export function isBatcherTransaction(tx: L1Transaction, cfg: BatcherConfig): boolean {
  return tx.to === cfg.inbox.toLowerCase() && (cfg.batchers.length === 0 || cfg.batchers.some((b) => b.toLowerCase() === tx.from));
}

/**
 * The batcher payloads of `block` in transaction order. Blob fetch failures (missing or invalid)
 * propagate as the fetcher's typed errors: a block whose data cannot be had is not half-derived.
 */
export async function retrieveBatcherData(block: L1Block, cfg: BatcherConfig, deps: RetrievalDeps): Promise<RetrievalResult> {
  const payloads: BatcherPayload[] = [];
  const skipped: SkippedBatcherData[] = [];
  const skip = (tx: L1Transaction, reason: string, origin?: BatcherPayload['origin']): void =>
    void skipped.push({ l1Block: block.number, txHash: tx.hash, reason, ...(origin === undefined ? {} : { origin }) });
  const inbox = cfg.inbox.toLowerCase();
  const base = (tx: L1Transaction) => ({ l1Block: block.number, txHash: tx.hash, txIndex: tx.index });

  const batcherTxs = block.transactions.filter((tx) => tx.to === inbox);
  for (const tx of batcherTxs) {
    if (!isBatcherTransaction(tx, cfg)) {
      skip(tx, `sender ${tx.from} is not an authorised batcher`);
      continue;
    }
    if (tx.type === 3) {
      if (tx.blobVersionedHashes.length === 0) {
        skip(tx, 'blob transaction without blobs');
        continue;
      }
      if (deps.blobs === undefined) throw new RetrievalConfigError(`L1 block ${block.number} has batcher blob transaction ${tx.hash}: a beacon endpoint is needed`);
      const blobs = await deps.blobs.fetchBlobs({ number: block.number, timestamp: block.timestamp }, tx.blobVersionedHashes);
      blobs.forEach((b, i) => {
        try {
          payloads.push({ ...base(tx), origin: 'blob', blobIndex: i, data: decodeBlob(b.blob) });
        } catch (e) {
          // The spec ignores a blob that does not decode; it is still reported.
          if (!(e instanceof BlobDecodeError)) throw e;
          skip(tx, `blob ${i} (${b.versionedHash}) does not decode: ${e.message}`, 'blob');
        }
      });
      continue;
    }
    const input = tx.input;
    if (input.length === 0) {
      skip(tx, 'empty calldata');
      continue;
    }
    if (input[0] === DERIVATION_VERSION_ALT_DA) {
      if (deps.eigenda === undefined) {
        skip(tx, 'alt-DA commitment, but no EigenDA proxy is configured', 'alt-da');
        continue;
      }
      let data: Uint8Array;
      try {
        data = await deps.eigenda.get(input.subarray(1));
      } catch (e) {
        // Data that does not match its certificate, or a certificate that does not parse, is dropped
        // like any invalid batcher data; an unreachable proxy is not (that propagates, to retry).
        if (!(e instanceof EigenDAInvalidCertError) && !(e instanceof EigenDACertParseError)) throw e;
        skip(tx, `alt-DA commitment rejected: ${e.message}`, 'alt-da');
        continue;
      }
      payloads.push({ ...base(tx), origin: 'alt-da', blobIndex: null, data });
      continue;
    }
    payloads.push({ ...base(tx), origin: 'calldata', blobIndex: null, data: input });
  }
  return { payloads, skipped };
}
