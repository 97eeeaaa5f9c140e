// Receipts and logs blooms (the Yellow Paper's M3:2048 bloom).
import { keccak256 } from '../util/hash.js';
import { addressToBytes } from '../util/address.js';
import { rlpEncode, type RlpInput } from '../rlp/rlp.js';
import type { Log } from '../interpreter/machine.js';
import { word32 } from '../interpreter/instructions/words.js';

export interface Receipt {
  readonly type: number;
  readonly success: boolean;
  readonly cumulativeGasUsed: bigint;
  readonly logsBloom: Uint8Array;
  readonly logs: readonly Log[];
}

export const BLOOM_BYTES = 256;

function addToBloom(bloom: Uint8Array, item: Uint8Array): void {
  const h = keccak256(item);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[BLOOM_BYTES - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

export function logsBloom(logs: readonly Log[]): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const log of logs) {
    addToBloom(bloom, addressToBytes(log.address));
    for (const t of log.topics) addToBloom(bloom, word32(t));
  }
  return bloom;
}

export function orBlooms(blooms: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(BLOOM_BYTES);
  for (const b of blooms) for (let i = 0; i < BLOOM_BYTES; i++) out[i]! |= b[i]!;
  return out;
}

export function encodeLog(log: Log): RlpInput {
  return [addressToBytes(log.address), log.topics.map((t) => word32(t)), log.data];
}

/** Consensus encoding: RLP for legacy receipts, `type || RLP` for typed ones (EIP-2718). */
export function encodeReceipt(r: Receipt): Uint8Array {
  const body = rlpEncode([r.success ? 1n : 0n, r.cumulativeGasUsed, r.logsBloom, r.logs.map(encodeLog)]);
  if (r.type === 0) return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = r.type;
  out.set(body, 1);
  return out;
}
