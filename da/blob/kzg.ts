// KZG checks of EIP-4844 blobs with c-kzg and the mainnet trusted setup: a blob is only used after its
// recomputed commitment hashes to the versioned hash the transaction committed to.
import { createRequire } from 'node:module';
import { sha256 } from '../../vm/util/hash.js';
import { bytesToHex, type Hex } from '../../vm/util/bytes.js';
import { BYTES_PER_BLOB } from './codec.js';

export const VERSIONED_HASH_VERSION_KZG = 0x01;
export const BYTES_PER_COMMITMENT = 48;
export const BYTES_PER_PROOF = 48;

export class BlobVerificationError extends Error {
  override readonly name = 'BlobVerificationError';
}

interface CKzg {
  loadTrustedSetup(precompute: number, filePath?: string): void;
  blobToKzgCommitment(blob: Uint8Array): Uint8Array;
  computeBlobKzgProof(blob: Uint8Array, commitment: Uint8Array): Uint8Array;
  verifyBlobKzgProofBatch(blobs: Uint8Array[], commitments: Uint8Array[], proofs: Uint8Array[]): boolean;
}

let lib: CKzg | undefined;

/** c-kzg (a CommonJS native addon), with its bundled mainnet setup loaded once per process. */
export function ckzg(): CKzg {
  if (lib) return lib;
  const loaded = createRequire(import.meta.url)('c-kzg') as CKzg;
  try {
    loaded.loadTrustedSetup(0);
  } catch (e) {
    // The setup is process-wide: another module (the point-evaluation precompile) may have loaded it.
    if (!(e instanceof Error) || !/already loaded/i.test(e.message)) throw e;
  }
  lib = loaded;
  return loaded;
}

/** kzg_to_versioned_hash: 0x01 || sha256(commitment)[1:]. */
export function computeVersionedHash(commitment: Uint8Array): Hex {
  if (commitment.length !== BYTES_PER_COMMITMENT) {
    throw new BlobVerificationError(`commitment is ${commitment.length} bytes, expected ${BYTES_PER_COMMITMENT}`);
  }
  const h = sha256(commitment);
  h[0] = VERSIONED_HASH_VERSION_KZG;
  return bytesToHex(h);
}

/** The blob's KZG commitment; a blob with a non-canonical field element is invalid. */
export function blobCommitment(blob: Uint8Array): Uint8Array {
  if (blob.length !== BYTES_PER_BLOB) {
    throw new BlobVerificationError(`blob is ${blob.length} bytes, expected ${BYTES_PER_BLOB}`);
  }
  try {
    // c-kzg answers with a Buffer, whose slice() shares memory: hand out a plain Uint8Array.
    return new Uint8Array(ckzg().blobToKzgCommitment(blob));
  } catch (e) {
    throw new BlobVerificationError(`blob has no KZG commitment: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Recomputes the blob's commitment and requires it to hash to `versionedHash`; returns the commitment. */
export function verifyBlob(blob: Uint8Array, versionedHash: Hex): Uint8Array {
  const commitment = blobCommitment(blob);
  const actual = computeVersionedHash(commitment);
  if (actual !== versionedHash.toLowerCase()) {
    throw new BlobVerificationError(`blob hashes to ${actual}, expected ${versionedHash}`);
  }
  return commitment;
}

/** Batch-verifies blob proofs against their commitments (verify_blob_kzg_proof_batch); throws if any fails. */
export function verifyBlobProofs(blobs: Uint8Array[], commitments: Uint8Array[], proofs: Uint8Array[]): void {
  if (blobs.length !== commitments.length || blobs.length !== proofs.length) {
    throw new BlobVerificationError(`${blobs.length} blobs, ${commitments.length} commitments and ${proofs.length} proofs`);
  }
  let ok: boolean;
  try {
    ok = ckzg().verifyBlobKzgProofBatch(blobs, commitments, proofs);
  } catch (e) {
    throw new BlobVerificationError(`blob proofs malformed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ok) throw new BlobVerificationError(`KZG proof batch of ${blobs.length} blob(s) does not verify`);
}
