// L1 blocks and transactions as derivation needs them, read over JSON-RPC and validated field by
// field (a malformed answer is an RpcMalformedError naming the field, never a guess).
import type { Rpc, JsonValue } from '../../vm/rpc/client.js';
import { RpcMalformedError } from '../../vm/rpc/client.js';
import { address, arr, data, hash32, obj, quantity, type JsonObject } from '../../vm/rpc/validate.js';
import type { Address } from '../../vm/util/address.js';
import { bytesToHex, type Hex } from '../../vm/util/bytes.js';

export interface L1Transaction {
  readonly hash: Hex;
  readonly index: number;
  /** EIP-2718 type (0 legacy, 1, 2, 3 blob, 4 set-code). */
  readonly type: number;
  readonly from: Address;
  /** null for contract creation. */
  readonly to: Address | null;
  readonly input: Uint8Array;
  readonly blobVersionedHashes: readonly Hex[];
  readonly blockNumber: bigint | null;
}

export interface L1Block {
  readonly number: bigint;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly timestamp: bigint;
  readonly transactions: readonly L1Transaction[];
}

/** The block is not there (beyond the head, or pruned): not an error in the data. */
export class L1BlockNotFoundError extends Error {
  override readonly name = 'L1BlockNotFoundError';
  constructor(readonly blockNumber: bigint) {
    super(`L1 block ${blockNumber} not found`);
  }
}

export class L1TransactionNotFoundError extends Error {
  override readonly name = 'L1TransactionNotFoundError';
  constructor(readonly hash: Hex) {
    super(`L1 transaction ${hash} not found`);
  }
}

function parseTransaction(method: string, t: JsonObject, what: string): L1Transaction {
  const versioned = t.blobVersionedHashes === undefined || t.blobVersionedHashes === null ? [] : arr(method, t.blobVersionedHashes, `${what}.blobVersionedHashes`);
  return {
    hash: bytesToHex(hash32(method, t.hash, `${what}.hash`)),
    index: Number(quantity(method, t.transactionIndex, `${what}.transactionIndex`)),
    type: Number(quantity(method, t.type ?? '0x0', `${what}.type`)),
    from: address(method, t.from, `${what}.from`),
    to: t.to === null || t.to === undefined ? null : address(method, t.to, `${what}.to`),
    input: data(method, t.input, `${what}.input`),
    blobVersionedHashes: versioned.map((h, i) => bytesToHex(hash32(method, h, `${what}.blobVersionedHashes[${i}]`))),
    blockNumber: t.blockNumber === null || t.blockNumber === undefined ? null : quantity(method, t.blockNumber, `${what}.blockNumber`),
  };
}

export async function fetchL1Block(rpc: Rpc, number: bigint): Promise<L1Block> {
  const method = 'eth_getBlockByNumber';
  const answer: JsonValue = await rpc.request(method, [`0x${number.toString(16)}`, true]);
  if (answer === null) throw new L1BlockNotFoundError(number);
  const b = obj(method, answer, 'block');
  const got = quantity(method, b.number, 'block.number');
  if (got !== number) throw new RpcMalformedError(method, `asked for block ${number}, got ${got}`);
  const txs = arr(method, b.transactions, 'block.transactions').map((t, i) => {
    if (typeof t === 'string') throw new RpcMalformedError(method, 'transactions came as hashes, full objects were requested');
    return parseTransaction(method, obj(method, t, `transactions[${i}]`), `transactions[${i}]`);
  });
  return {
    number,
    hash: bytesToHex(hash32(method, b.hash, 'block.hash')),
    parentHash: bytesToHex(hash32(method, b.parentHash, 'block.parentHash')),
    timestamp: quantity(method, b.timestamp, 'block.timestamp'),
    transactions: txs,
  };
}

export async function fetchL1Transaction(rpc: Rpc, hash: Hex): Promise<L1Transaction> {
  const method = 'eth_getTransactionByHash';
  const answer = await rpc.request(method, [hash]);
  if (answer === null) throw new L1TransactionNotFoundError(hash);
  const tx = parseTransaction(method, obj(method, answer, 'transaction'), 'transaction');
  if (tx.hash !== hash.toLowerCase()) throw new RpcMalformedError(method, `asked for ${hash}, got ${tx.hash}`);
  return tx;
}
