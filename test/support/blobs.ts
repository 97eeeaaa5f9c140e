// Sends real EIP-4844 (type-3) transactions to an anvil node with viem, committing with c-kzg 4.x.
import { createPublicClient, createWalletClient, http, type Kzg } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Hex } from '../../vm/util/bytes.js';
import { ckzg } from '../../da/blob/kzg.js';

export interface SentBlobTransaction {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly versionedHashes: readonly Hex[];
}

/** viem's `kzg` parameter expects the c-kzg 1.x/2.x call shape; c-kzg 4.x fits with these two wrappers. */
export function ckzgForViem(): Kzg {
  const lib = ckzg();
  return {
    blobToKzgCommitment: (blob) => lib.blobToKzgCommitment(blob),
    computeBlobKzgProof: (blob, commitment) => lib.computeBlobKzgProof(blob, commitment),
  };
}

/** Posts `blobs` (each exactly 131072 bytes) in one type-3 transaction and waits for its receipt. */
export async function sendBlobTransaction(
  rpcUrl: string,
  privateKey: Hex,
  blobs: Uint8Array[],
  to: Hex = '0x000000000000000000000000000000000000b10b',
): Promise<SentBlobTransaction> {
  const account = privateKeyToAccount(privateKey);
  const transport = http(rpcUrl, { timeout: 120_000 });
  const wallet = createWalletClient({ account, transport });
  const client = createPublicClient({ transport });
  const blobBaseFee = await client.getBlobBaseFee();
  const txHash = await wallet.sendTransaction({
    chain: null,
    to,
    blobs,
    kzg: ckzgForViem(),
    maxFeePerBlobGas: blobBaseFee * 2n + 1_000_000_000n,
  });
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 50 });
  if (receipt.status !== 'success') throw new Error(`blob transaction ${txHash} reverted`);
  const tx = await client.getTransaction({ hash: txHash });
  return { txHash, blockNumber: receipt.blockNumber, versionedHashes: (tx.blobVersionedHashes ?? []) as Hex[] };
}
