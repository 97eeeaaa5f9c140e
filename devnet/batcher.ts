// The devnet batcher: a run of sequenced L2 blocks → batches (span by default) → one compressed
// channel → frames → blobs, posted to the batch inbox on L1 as type-3 transactions from the
// batcher key, each waited for. With EigenDA, each frame payload is dispersed through an
// eigenda-proxy instead and its certificate goes to the inbox as calldata (`0x01 ‖ commitment`,
// OP alt-DA). The node's derivation reads them back from the inbox.
import { createPublicClient, createWalletClient, http, type Kzg } from 'viem';
import { DERIVATION_VERSION_ALT_DA } from '../da/retrieval/batcher.js';
import { BYTES_PER_CHUNK } from '../da/eigenda/codec.js';
import type { EigenDAClient } from '../da/eigenda/client.js';
import { privateKeyToAccount } from 'viem/accounts';
import { encodeBlob, MAX_BLOB_DATA_SIZE } from '../da/blob/codec.js';
import { ckzg } from '../da/blob/kzg.js';
import { buildBatcherPayloads, type L2BlockInput } from '../da/derivation/encoder.js';
import type { ChannelCompression } from '../da/derivation/compression.js';
import type { Address } from '../vm/util/address.js';
import { bytesToHex, concatBytes, type Hex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { DEVNET_BLOCK_TIME, DEVNET_CHAIN_ID } from './chain.js';
import type { SealedBlock } from './state.js';

/** The devnet's batch inbox on L1 (OP's convention: 0xff0000… ++ chain id). */
export const DEVNET_BATCH_INBOX: Address = '0xff00000000000000000000000000000000133717';
/** Blobs per batcher transaction (Cancun's maximum; Prague allows 9). */
export const BLOBS_PER_TX = 6;

export class BatcherError extends Error {
  override readonly name = 'BatcherError';
}

export interface BatcherOptions {
  readonly l1RpcUrl: string;
  readonly privateKey: Hex;
  readonly inbox?: Address;
  readonly genesisTimestamp: bigint;
  /** Default 'span'. */
  readonly batchType?: 'span' | 'singular';
  /** Default 'brotli' (Fjord); the node must run with fjord for brotli. */
  readonly compression?: ChannelCompression;
  /** Largest batcher payload per blob; default a full blob (tests use less to force several frames). */
  readonly maxPayloadSize?: number;
}

export interface PostedBatcherTx {
  readonly txHash: Hex;
  readonly l1Block: bigint;
  readonly blobs: number;
  readonly versionedHashes: readonly Hex[];
  /** EigenDA: the proxy commitment sent as calldata (after the 0x01 alt-DA byte). */
  readonly commitment?: Hex;
}

export interface EigenDABatcherOptions extends BatcherOptions {
  /** The proxy client; it checks every certificate it gets against the payload sent. */
  readonly eigenda: EigenDAClient;
  /** SRS points the watchers load: a blob may not have more symbols than that. */
  readonly srsPoints: number;
}

export interface PostedChannel {
  readonly channelId: Hex;
  readonly frames: number;
  readonly transactions: readonly PostedBatcherTx[];
}

/** The batcher's view of a sealed block: parent hash, epoch (L1 origin), timestamp, transactions. */
export function toL2BlockInput(block: SealedBlock): L2BlockInput {
  if (block.l1Origin === null) throw new BatcherError(`block ${block.number} has no L1 origin (genesis is never batched)`);
  return {
    parentHash: block.header.parentHash,
    epochNum: block.l1Origin.number,
    epochHash: block.l1Origin.hash,
    timestamp: block.header.timestamp,
    transactions: block.transactions,
  };
}

/** The blobs (131072 bytes each) carrying `blocks` as one channel. */
export function channelBlobs(blocks: readonly SealedBlock[], opts: Omit<BatcherOptions, 'l1RpcUrl' | 'privateKey' | 'inbox'>): { channelId: Uint8Array; blobs: Uint8Array[] } {
  const { channelId, payloads } = channelPayloads(blocks, opts);
  return { channelId, blobs: payloads.map((p) => encodeBlob(p)) };
}

/** The batcher payloads (version byte 0, then frames) carrying `blocks` as one channel. */
export function channelPayloads(blocks: readonly SealedBlock[], opts: Omit<BatcherOptions, 'l1RpcUrl' | 'privateKey' | 'inbox'>): { channelId: Uint8Array; payloads: Uint8Array[] } {
  if (blocks.length === 0) throw new BatcherError('nothing to batch');
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i]!.number !== blocks[i - 1]!.number + 1n) throw new BatcherError(`blocks ${blocks[i - 1]!.number} and ${blocks[i]!.number} are not consecutive`);
  }
  // Deterministic per run of blocks, distinct between runs.
  const channelId = keccak256(concatBytes(blocks[0]!.hash, blocks[blocks.length - 1]!.hash)).subarray(0, 16);
  const out = buildBatcherPayloads(blocks.map(toL2BlockInput), {
    batchType: opts.batchType ?? 'span',
    compression: opts.compression ?? 'brotli',
    channelId,
    maxPayloadSize: opts.maxPayloadSize ?? MAX_BLOB_DATA_SIZE,
    span: { genesisTimestamp: opts.genesisTimestamp, blockTime: DEVNET_BLOCK_TIME, chainId: DEVNET_CHAIN_ID, firstOriginChanged: false },
  });
  return { channelId, payloads: [...out.payloads] };
}

/** The largest payload an EigenDA blob of at most `srsPoints` symbols carries (one symbol is the header). */
export function maxEigenDAPayload(srsPoints: number): number {
  let symbols = 1;
  while (symbols * 2 <= srsPoints) symbols *= 2;
  if (symbols < 2) throw new BatcherError(`an SRS of ${srsPoints} point(s) cannot commit to any EigenDA payload`);
  return (symbols - 1) * BYTES_PER_CHUNK;
}

/**
 * Posts `blocks` as one channel through EigenDA: each frame payload dispersed through the proxy,
 * each certificate sent to the inbox as alt-DA calldata; returns where they landed.
 */
export async function postBlocksEigenDA(blocks: readonly SealedBlock[], opts: EigenDABatcherOptions): Promise<PostedChannel> {
  const limit = maxEigenDAPayload(opts.srsPoints);
  const { channelId, payloads } = channelPayloads(blocks, { ...opts, maxPayloadSize: Math.min(opts.maxPayloadSize ?? limit, limit) });
  const transactions: PostedBatcherTx[] = [];
  for (const payload of payloads) {
    const commitment = await opts.eigenda.put(payload, { mode: 'op-generic' });
    const calldata = new Uint8Array(1 + commitment.length);
    calldata[0] = DERIVATION_VERSION_ALT_DA;
    calldata.set(commitment, 1);
    const tx = await sendCalldata(opts.l1RpcUrl, opts.privateKey, opts.inbox ?? DEVNET_BATCH_INBOX, calldata);
    transactions.push({ ...tx, commitment: bytesToHex(commitment) });
  }
  return { channelId: bytesToHex(channelId), frames: payloads.length, transactions };
}

/** One plain (type-2) transaction carrying `data` to `to`, waited for. */
export async function sendCalldata(l1RpcUrl: string, privateKey: Hex, to: Address, data: Uint8Array): Promise<PostedBatcherTx> {
  const account = privateKeyToAccount(privateKey);
  const transport = http(l1RpcUrl, { timeout: 120_000 });
  const wallet = createWalletClient({ account, transport });
  const client = createPublicClient({ transport });
  const txHash = await wallet.sendTransaction({ chain: null, to, data: bytesToHex(data) });
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new BatcherError(`batcher transaction ${txHash} reverted`);
  return { txHash, l1Block: receipt.blockNumber, blobs: 0, versionedHashes: [] };
}

/** Posts `blocks` as one channel in blob transactions to the inbox; returns where they landed. */
export async function postBlocks(blocks: readonly SealedBlock[], opts: BatcherOptions): Promise<PostedChannel> {
  const { channelId, blobs } = channelBlobs(blocks, opts);
  const transactions: PostedBatcherTx[] = [];
  for (let i = 0; i < blobs.length; i += BLOBS_PER_TX) {
    const part = blobs.slice(i, i + BLOBS_PER_TX);
    transactions.push(await sendBlobs(opts.l1RpcUrl, opts.privateKey, opts.inbox ?? DEVNET_BATCH_INBOX, part));
  }
  return { channelId: bytesToHex(channelId), frames: blobs.length, transactions };
}

/** viem's `kzg` parameter wants c-kzg 1.x/2.x's call shape; c-kzg 4.x (mainnet setup loaded) fits it. */
export function viemKzg(): Kzg {
  const lib = ckzg();
  return {
    blobToKzgCommitment: (blob) => lib.blobToKzgCommitment(blob),
    computeBlobKzgProof: (blob, commitment) => lib.computeBlobKzgProof(blob, commitment),
  };
}

/** One type-3 transaction carrying `blobs` (131072 bytes each) to `to`, waited for. */
export async function sendBlobs(l1RpcUrl: string, privateKey: Hex, to: Address, blobs: readonly Uint8Array[]): Promise<PostedBatcherTx> {
  if (blobs.length === 0 || blobs.length > 9) throw new BatcherError(`a blob transaction carries 1 to 9 blobs, not ${blobs.length}`);
  const account = privateKeyToAccount(privateKey);
  const transport = http(l1RpcUrl, { timeout: 120_000 });
  const wallet = createWalletClient({ account, transport });
  const client = createPublicClient({ transport });
  const blobBaseFee = await client.getBlobBaseFee();
  const txHash = await wallet.sendTransaction({
    chain: null,
    to,
    blobs: [...blobs],
    kzg: viemKzg(),
    maxFeePerBlobGas: blobBaseFee * 2n + 1_000_000_000n,
  });
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new BatcherError(`batcher transaction ${txHash} reverted`);
  const tx = await client.getTransaction({ hash: txHash });
  return { txHash, l1Block: receipt.blockNumber, blobs: blobs.length, versionedHashes: (tx.blobVersionedHashes ?? []) as Hex[] };
}
