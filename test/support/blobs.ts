// Sends real EIP-4844 (type-3) transactions to an anvil node: the devnet batcher's sender (viem,
// committing with c-kzg 4.x), in the shape the DA tests read.
import type { Hex } from '../../vm/util/bytes.js';
import { sendBlobs } from '../../devnet/batcher.js';

export { viemKzg as ckzgForViem } from '../../devnet/batcher.js';

export interface SentBlobTransaction {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly versionedHashes: readonly Hex[];
}

/** Posts `blobs` (each exactly 131072 bytes) in one type-3 transaction and waits for its receipt. */
export async function sendBlobTransaction(
  rpcUrl: string,
  privateKey: Hex,
  blobs: Uint8Array[],
  to: Hex = '0x000000000000000000000000000000000000b10b',
): Promise<SentBlobTransaction> {
  const r = await sendBlobs(rpcUrl, privateKey, to, blobs);
  return { txHash: r.txHash, blockNumber: r.l1Block, versionedHashes: r.versionedHashes };
}
