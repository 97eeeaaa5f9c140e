// A block over JSON-RPC, checked end to end: the header must hash to the block
// hash, every raw transaction to its hash, and the transactions, withdrawals
// and receipts to the roots the header commits to. What leaves this module is
// what the chain committed to, not what the node claimed.
import { addressToBytes, type Address } from '../util/address.js';
import { bytesToHex, equalBytes } from '../util/bytes.js';
import { keccak256 } from '../util/hash.js';
import { rlpDecode, rlpEncode, RlpError, type RlpInput, type RlpItem } from '../rlp/rlp.js';
import { orderedTrieRoot } from '../trie/index.js';
import { RpcMalformedError, RpcResponseError, type JsonValue, type Rpc } from './client.js';
import { encodeHeader, headerHash, type BlockHeader } from '../block/header.js';

export { encodeHeader, headerHash, type BlockHeader };
import { address, arr, data, hash32, obj, quantity, quantityHex, type JsonObject } from './validate.js';


export interface BlockTransaction {
  readonly hash: Uint8Array;
  readonly index: number;
  readonly type: number;
  /** The node's claim; the executor recovers the sender from `raw` itself. */
  readonly from: Address;
  /** EIP-2718 encoding (legacy: the RLP list), keccak256(raw) === hash. */
  readonly raw: Uint8Array;
}

export interface Withdrawal {
  readonly index: bigint;
  readonly validatorIndex: bigint;
  readonly address: Address;
  /** In Gwei. */
  readonly amount: bigint;
}

export interface ReceiptLog {
  readonly address: Address;
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
}

export interface Receipt {
  readonly transactionHash: Uint8Array;
  readonly type: number;
  readonly status: 0 | 1;
  readonly cumulativeGasUsed: bigint;
  readonly gasUsed: bigint;
  readonly logsBloom: Uint8Array;
  readonly logs: readonly ReceiptLog[];
  readonly contractAddress: Address | null;
}

export interface FetchedBlock {
  readonly hash: Uint8Array;
  readonly header: BlockHeader;
  readonly transactions: readonly BlockTransaction[];
  readonly withdrawals: readonly Withdrawal[];
  readonly receipts: readonly Receipt[];
}

/** The chain's data contradicts itself: a hash or root does not match what it commits to. */
export class BlockIntegrityError extends Error {
  override readonly name = 'BlockIntegrityError';
}

const OPTIONAL_FIELDS = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash'] as const;

/** Parses a header from an eth_getBlockBy* answer, validating every field. */
export function parseHeader(method: string, b: JsonObject): BlockHeader {
  const h: { -readonly [K in keyof BlockHeader]: BlockHeader[K] } = {
    parentHash: hash32(method, b.parentHash, 'parentHash'),
    ommersHash: hash32(method, b.sha3Uncles, 'sha3Uncles'),
    coinbase: address(method, b.miner, 'miner'),
    stateRoot: hash32(method, b.stateRoot, 'stateRoot'),
    transactionsRoot: hash32(method, b.transactionsRoot, 'transactionsRoot'),
    receiptsRoot: hash32(method, b.receiptsRoot, 'receiptsRoot'),
    logsBloom: data(method, b.logsBloom, 'logsBloom', 256),
    difficulty: quantity(method, b.difficulty, 'difficulty'),
    number: quantity(method, b.number, 'number'),
    gasLimit: quantity(method, b.gasLimit, 'gasLimit'),
    gasUsed: quantity(method, b.gasUsed, 'gasUsed'),
    timestamp: quantity(method, b.timestamp, 'timestamp'),
    extraData: data(method, b.extraData, 'extraData'),
    mixHash: hash32(method, b.mixHash, 'mixHash'),
    nonce: data(method, b.nonce, 'nonce', 8),
  };
  // Each optional field implies the ones before it (they were added fork by fork).
  let missingFrom: string | null = null;
  for (const f of OPTIONAL_FIELDS) {
    const v = b[f];
    if (v === undefined || v === null) {
      missingFrom ??= f;
      continue;
    }
    if (missingFrom !== null) throw new RpcMalformedError(method, `header has ${f} but lacks ${missingFrom}`);
    if (f === 'baseFeePerGas' || f === 'blobGasUsed' || f === 'excessBlobGas') h[f] = quantity(method, v, f);
    else h[f] = hash32(method, v, f);
  }
  return h;
}


/** Fetches and checks one header (without transactions). */
export async function fetchHeader(rpc: Rpc, number: bigint): Promise<{ hash: Uint8Array; header: BlockHeader }> {
  return parseHeaderAnswer('eth_getBlockByNumber', number, await rpc.request('eth_getBlockByNumber', [quantityHex(number), false]));
}

export function parseHeaderAnswer(method: string, number: bigint, answer: JsonValue): { hash: Uint8Array; header: BlockHeader } {
  if (answer === null) throw new RpcMalformedError(method, `block ${number} not found`);
  const b = obj(method, answer, 'block');
  const header = parseHeader(method, b);
  const hash = hash32(method, b.hash, 'hash');
  if (header.number !== number) throw new RpcMalformedError(method, `asked for block ${number}, got ${header.number}`);
  if (!equalBytes(headerHash(header), hash)) {
    throw new BlockIntegrityError(`block ${number}: header does not hash to the claimed ${bytesToHex(hash)}`);
  }
  return { hash, header };
}

function parseWithdrawal(method: string, v: JsonValue): Withdrawal {
  const w = obj(method, v, 'withdrawal');
  return {
    index: quantity(method, w.index, 'withdrawal.index'),
    validatorIndex: quantity(method, w.validatorIndex, 'withdrawal.validatorIndex'),
    address: address(method, w.address, 'withdrawal.address'),
    amount: quantity(method, w.amount, 'withdrawal.amount'),
  };
}

function parseReceipt(method: string, v: JsonValue): Receipt {
  const r = obj(method, v, 'receipt');
  const status = quantity(method, r.status, 'status');
  if (status !== 0n && status !== 1n) throw new RpcMalformedError(method, `status ${status}`);
  const type = r.type === undefined ? 0n : quantity(method, r.type, 'type');
  if (type > 0x7fn) throw new RpcMalformedError(method, `receipt type ${type}`);
  return {
    transactionHash: hash32(method, r.transactionHash, 'transactionHash'),
    type: Number(type),
    status: status === 1n ? 1 : 0,
    cumulativeGasUsed: quantity(method, r.cumulativeGasUsed, 'cumulativeGasUsed'),
    gasUsed: quantity(method, r.gasUsed, 'gasUsed'),
    logsBloom: data(method, r.logsBloom, 'logsBloom', 256),
    logs: arr(method, r.logs, 'logs').map((lv) => {
      const l = obj(method, lv, 'log');
      return {
        address: address(method, l.address, 'log.address'),
        topics: arr(method, l.topics, 'log.topics').map((t) => hash32(method, t, 'log.topic')),
        data: data(method, l.data, 'log.data'),
      };
    }),
    contractAddress: r.contractAddress === null || r.contractAddress === undefined ? null : address(method, r.contractAddress, 'contractAddress'),
  };
}

/** The consensus encoding of a receipt (EIP-2718 envelope for typed ones). */
export function encodeReceipt(r: Receipt): Uint8Array {
  const body = rlpEncode([
    BigInt(r.status),
    r.cumulativeGasUsed,
    r.logsBloom,
    r.logs.map((l) => [addressToBytes(l.address), [...l.topics], l.data]),
  ]);
  if (r.type === 0) return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = r.type;
  out.set(body, 1);
  return out;
}

/**
 * Fetches block `number` with its raw transactions, withdrawals and receipts,
 * and checks each against the header. Throws BlockIntegrityError on any mismatch.
 */
export interface FetchBlockOptions {
  /**
   * anvil commits transactionsRoot to blob transactions in their network form
   * (with blobs, commitments and proofs), unlike every consensus client. Accept
   * that root too (the transactions returned are still the canonical form).
   * Only for anvil; default false.
   */
  readonly allowWrappedBlobTxRoot?: boolean;
}

export async function fetchBlock(rpc: Rpc, number: bigint, options: FetchBlockOptions = {}): Promise<FetchedBlock> {
  const method = 'eth_getBlockByNumber';
  const answer = await rpc.request(method, [quantityHex(number), true]);
  const { hash, header } = parseHeaderAnswer(method, number, answer);
  const b = obj(method, answer, 'block');

  const txs = arr(method, b.transactions, 'transactions').map((tv, i) => {
    const t = obj(method, tv, `transactions[${i}]`);
    const index = quantity(method, t.transactionIndex, 'transactionIndex');
    if (index !== BigInt(i)) throw new RpcMalformedError(method, `transaction ${i} has index ${index}`);
    return {
      hash: hash32(method, t.hash, 'transaction hash'),
      type: Number(t.type === undefined ? 0n : quantity(method, t.type, 'transaction type')),
      from: address(method, t.from, 'from'),
    };
  });
  const raws = await rpc.batch(txs.map((t) => ({ method: 'eth_getRawTransactionByHash', params: [bytesToHex(t.hash)] })));
  const asSent = raws.map((r) => data('eth_getRawTransactionByHash', r, 'raw transaction'));
  const transactions: BlockTransaction[] = txs.map((t, i) => {
    const raw = canonicalRaw(asSent[i]!);
    if (!equalBytes(keccak256(raw), t.hash)) {
      throw new BlockIntegrityError(`block ${number}: raw transaction ${i} does not hash to ${bytesToHex(t.hash)}`);
    }
    const type = raw[0]! < 0x80 ? raw[0]! : 0;
    if (type !== t.type) throw new RpcMalformedError(method, `transaction ${i}: type ${t.type} but the raw encoding is type ${type}`);
    return { ...t, index: i, raw };
  });
  if (
    !equalBytes(orderedTrieRoot(transactions.map((t) => t.raw)), header.transactionsRoot) &&
    !(options.allowWrappedBlobTxRoot === true && equalBytes(orderedTrieRoot(asSent), header.transactionsRoot))
  ) {
    throw new BlockIntegrityError(`block ${number}: transactions do not match transactionsRoot`);
  }

  const withdrawals = b.withdrawals === undefined || b.withdrawals === null ? [] : arr(method, b.withdrawals, 'withdrawals').map((w) => parseWithdrawal(method, w));
  if (header.withdrawalsRoot !== undefined) {
    const root = orderedTrieRoot(withdrawals.map((w) => rlpEncode([w.index, w.validatorIndex, addressToBytes(w.address), w.amount])));
    if (!equalBytes(root, header.withdrawalsRoot)) throw new BlockIntegrityError(`block ${number}: withdrawals do not match withdrawalsRoot`);
  }

  const receipts = await fetchReceipts(rpc, number, transactions.map((t) => t.hash));
  if (!equalBytes(orderedTrieRoot(receipts.map(encodeReceipt)), header.receiptsRoot)) {
    throw new BlockIntegrityError(`block ${number}: receipts do not match receiptsRoot`);
  }
  return { hash, header, transactions, withdrawals, receipts };
}

/**
 * Some nodes (anvil) answer eth_getRawTransactionByHash for a blob transaction
 * with its network form, 0x03 || rlp([tx, (wrapper version,) blobs, commitments,
 * proofs]); the block commits to 0x03 || rlp(tx). Anything else passes as is.
 */
export function canonicalRaw(raw: Uint8Array): Uint8Array {
  if (raw.length < 2 || raw[0] !== 0x03) return raw;
  let item: RlpItem;
  try {
    item = rlpDecode(raw.subarray(1));
  } catch (e) {
    if (e instanceof RlpError) return raw; // the hash check rejects it
    throw e;
  }
  if (!Array.isArray(item) || item.length === 0 || !Array.isArray(item[0])) return raw;
  const body = rlpEncode(item[0]);
  const out = new Uint8Array(body.length + 1);
  out[0] = 0x03;
  out.set(body, 1);
  return out;
}

/** eth_getBlockReceipts, or per-transaction receipts where the node lacks it. */
async function fetchReceipts(rpc: Rpc, number: bigint, hashes: readonly Uint8Array[]): Promise<Receipt[]> {
  let list: JsonValue[];
  let method = 'eth_getBlockReceipts';
  try {
    list = arr(method, await rpc.request(method, [quantityHex(number)]), 'receipts');
  } catch (e) {
    if (!(e instanceof RpcResponseError)) throw e;
    method = 'eth_getTransactionReceipt';
    list = await rpc.batch(hashes.map((h) => ({ method, params: [bytesToHex(h)] })));
  }
  if (list.length !== hashes.length) throw new RpcMalformedError(method, `${list.length} receipts for ${hashes.length} transactions`);
  return list.map((v, i) => {
    const r = parseReceipt(method, v);
    if (!equalBytes(r.transactionHash, hashes[i]!)) throw new RpcMalformedError(method, `receipt ${i} is for another transaction`);
    return r;
  });
}
