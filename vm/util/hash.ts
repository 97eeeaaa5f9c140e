// The hash functions the VM uses, from @noble/hashes.
import { keccak256 as fastKeccak256 } from './keccak.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function keccak256(data: Uint8Array): Uint8Array {
  return fastKeccak256(data);
}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

/** keccak256 of the empty string: the code hash of an account without code. */
export const KECCAK_EMPTY: Uint8Array = fastKeccak256(new Uint8Array(0));
