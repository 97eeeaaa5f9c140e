// Retrieval for Metis Andromeda's inbox: inbox transactions carry a 70-byte header; with DA type 3
// the body lists the hashes of blob transactions (sent separately to the inbox) whose blobs hold
// OP frames; with DA type 0 the blocks are inline. Blob transactions are therefore read through the
// inbox transaction that references them, never on their own (that would count them twice).
import { decodeBlob, BlobDecodeError, type BlobFetcher } from '../blob/index.js';
import { MetisFormatError, blobTxHashes, decodeInlineBlocks, parseInboxCalldata, type MetisInboxBatch, type MetisInlineBlock } from '../metis/index.js';
import type { Rpc } from '../../vm/rpc/client.js';
import { fetchL1Block, fetchL1Transaction, type L1Block } from './l1.js';
import { isBatcherTransaction, RetrievalConfigError, type BatcherConfig, type BatcherPayload, type SkippedBatcherData } from './batcher.js';

export interface MetisBatchData {
  readonly txHash: BatcherPayload['txHash'];
  readonly batch: MetisInboxBatch;
  /** DA type 3: the frame payloads of the referenced blobs, in order. */
  readonly payloads: readonly BatcherPayload[];
  /** DA type 0: the blocks in the calldata. */
  readonly inlineBlocks: readonly MetisInlineBlock[];
}

export interface MetisRetrievalResult {
  readonly batches: readonly MetisBatchData[];
  readonly skipped: readonly SkippedBatcherData[];
}

export async function retrieveMetisBatches(
  rpc: Rpc,
  block: L1Block,
  cfg: BatcherConfig & { readonly blobSenders?: readonly BatcherConfig['batchers'][number][] },
  deps: { readonly blobs?: BlobFetcher },
): Promise<MetisRetrievalResult> {
  const batches: MetisBatchData[] = [];
  const skipped: SkippedBatcherData[] = [];
  const inbox = cfg.inbox.toLowerCase();
  for (const tx of block.transactions) {
    if (tx.to !== inbox || tx.type === 3) continue;
    const skip = (reason: string): void => void skipped.push({ l1Block: block.number, txHash: tx.hash, reason });
    if (!isBatcherTransaction(tx, cfg)) {
      skip(`sender ${tx.from} is not an authorised batcher`);
      continue;
    }
    let batch: MetisInboxBatch;
    try {
      batch = parseInboxCalldata(tx.input);
    } catch (e) {
      if (!(e instanceof MetisFormatError)) throw e;
      skip(`not a Metis inbox batch: ${e.message}`);
      continue;
    }
    if (batch.daType === 'calldata') {
      let inlineBlocks: MetisInlineBlock[];
      try {
        inlineBlocks = decodeInlineBlocks(batch);
      } catch (e) {
        if (!(e instanceof MetisFormatError)) throw e;
        skip(`Metis inline batch ${batch.batchIndex} does not decode: ${e.message}`);
        continue;
      }
      batches.push({ txHash: tx.hash, batch, payloads: [], inlineBlocks });
      continue;
    }
    if (batch.daType !== 'blobs') {
      skip(`DA type ${batch.daType} keeps the data off L1; it cannot be derived from L1 alone`);
      continue;
    }
    if (deps.blobs === undefined) throw new RetrievalConfigError(`Metis inbox batch ${batch.batchIndex} references blobs: a beacon endpoint is needed`);
    const payloads: BatcherPayload[] = [];
    for (const hash of blobTxHashes(batch)) {
      const blobTx = await fetchL1Transaction(rpc, hash);
      if (blobTx.to !== inbox || blobTx.type !== 3 || blobTx.blockNumber === null || blobTx.blockNumber > block.number) {
        throw new MetisFormatError('transaction', `Metis batch ${batch.batchIndex}: ${hash} is not a mined blob transaction to the inbox before this block`);
      }
      if (cfg.blobSenders !== undefined && cfg.blobSenders.length > 0 && !cfg.blobSenders.some((s) => s.toLowerCase() === blobTx.from)) {
        throw new MetisFormatError('transaction', `Metis batch ${batch.batchIndex}: blob transaction ${hash} comes from ${blobTx.from}, not an authorised blob sender`);
      }
      const at = blobTx.blockNumber === block.number ? block : await fetchL1Block(rpc, blobTx.blockNumber);
      const blobs = await deps.blobs.fetchBlobs({ number: at.number, timestamp: at.timestamp }, blobTx.blobVersionedHashes);
      blobs.forEach((b, i) => {
        try {
          payloads.push({ l1Block: at.number, txHash: hash, txIndex: blobTx.index, origin: 'blob', blobIndex: i, data: decodeBlob(b.blob) });
        } catch (e) {
          if (!(e instanceof BlobDecodeError)) throw e;
          skip(`blob ${i} of ${hash} does not decode: ${e.message}`);
        }
      });
    }
    batches.push({ txHash: tx.hash, batch, payloads, inlineBlocks: [] });
  }
  return { batches, skipped };
}
