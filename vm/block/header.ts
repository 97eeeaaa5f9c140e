// Block headers: the fields of each fork, RLP encoding and the block hash.
import type { Address } from '../util/address.js';
import { addressToBytes, addressFromBytes } from '../util/address.js';
import { keccak256 } from '../util/hash.js';
import { rlpDecode, rlpEncode, rlpToBigInt, rlpToBytes, rlpToList, type RlpInput } from '../rlp/rlp.js';

export interface BlockHeader {
  readonly parentHash: Uint8Array;
  readonly ommersHash: Uint8Array;
  readonly coinbase: Address;
  readonly stateRoot: Uint8Array;
  readonly transactionsRoot: Uint8Array;
  readonly receiptsRoot: Uint8Array;
  readonly logsBloom: Uint8Array;
  readonly difficulty: bigint;
  readonly number: bigint;
  readonly gasLimit: bigint;
  readonly gasUsed: bigint;
  readonly timestamp: bigint;
  readonly extraData: Uint8Array;
  /** PREVRANDAO after the merge. */
  readonly mixHash: Uint8Array;
  readonly nonce: Uint8Array;
  readonly baseFeePerGas?: bigint;
  readonly withdrawalsRoot?: Uint8Array;
  readonly blobGasUsed?: bigint;
  readonly excessBlobGas?: bigint;
  readonly parentBeaconBlockRoot?: Uint8Array;
  readonly requestsHash?: Uint8Array;
}

export class HeaderDecodeError extends Error {
  override readonly name = 'HeaderDecodeError';
}

/** Optional trailing fields in consensus order: a later one requires every earlier one. */
const OPTIONAL = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash'] as const;

export function encodeHeader(h: BlockHeader): Uint8Array {
  const fields: RlpInput[] = [
    h.parentHash,
    h.ommersHash,
    addressToBytes(h.coinbase),
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    h.difficulty,
    h.number,
    h.gasLimit,
    h.gasUsed,
    h.timestamp,
    h.extraData,
    h.mixHash,
    h.nonce,
  ];
  let missing: string | null = null;
  for (const name of OPTIONAL) {
    const v = h[name];
    if (v === undefined) {
      missing ??= name;
      continue;
    }
    if (missing !== null) throw new HeaderDecodeError(`header has ${name} but not ${missing}`);
    fields.push(v);
  }
  return rlpEncode(fields);
}

export function headerHash(h: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(h));
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  let items;
  try {
    items = rlpToList(rlpDecode(bytes), 'header');
  } catch (e) {
    throw new HeaderDecodeError(`malformed header RLP: ${(e as Error).message}`);
  }
  if (items.length < 15 || items.length > 21) throw new HeaderDecodeError(`header has ${items.length} fields`);
  const b = (i: number, what: string): Uint8Array => rlpToBytes(items[i]!, what);
  const n = (i: number, what: string): bigint => rlpToBigInt(items[i]!, what);
  const header: Record<string, unknown> = {
    parentHash: b(0, 'parentHash'),
    ommersHash: b(1, 'ommersHash'),
    coinbase: addressFromBytes(b(2, 'coinbase')),
    stateRoot: b(3, 'stateRoot'),
    transactionsRoot: b(4, 'transactionsRoot'),
    receiptsRoot: b(5, 'receiptsRoot'),
    logsBloom: b(6, 'logsBloom'),
    difficulty: n(7, 'difficulty'),
    number: n(8, 'number'),
    gasLimit: n(9, 'gasLimit'),
    gasUsed: n(10, 'gasUsed'),
    timestamp: n(11, 'timestamp'),
    extraData: b(12, 'extraData'),
    mixHash: b(13, 'mixHash'),
    nonce: b(14, 'nonce'),
  };
  const kinds: Record<(typeof OPTIONAL)[number], 'n' | 'b'> = {
    baseFeePerGas: 'n',
    withdrawalsRoot: 'b',
    blobGasUsed: 'n',
    excessBlobGas: 'n',
    parentBeaconBlockRoot: 'b',
    requestsHash: 'b',
  };
  OPTIONAL.forEach((name, i) => {
    if (15 + i < items.length) header[name] = kinds[name] === 'n' ? n(15 + i, name) : b(15 + i, name);
  });
  return header as unknown as BlockHeader;
}
