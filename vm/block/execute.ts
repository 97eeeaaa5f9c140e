// Block execution (execution-specs' apply_body): system calls, transactions,
// withdrawals and requests, producing everything the header commits to except
// the state root, which the state backend computes from `world.changes()`.
import { sha256 } from '../util/hash.js';
import { concatBytes } from '../util/bytes.js';
import type { Address } from '../util/address.js';
import { rulesAt, type ChainRules } from '../chain/chain.js';
import type { BlockEnv } from '../env.js';
import type { WorldState } from '../state/world.js';
import { applyTransaction, InvalidTransactionError, type TxOutcome } from '../execution/transaction.js';
import { toTxRequest } from '../execution/request.js';
import { decodeTransaction } from '../tx/index.js';
import { orderedTrieRoot } from '../trie/index.js';
import { rlpEncode } from '../rlp/rlp.js';
import { addressToBytes } from '../util/address.js';
import { bytesToWord } from '../interpreter/instructions/words.js';
import type { BlockHeader } from './header.js';
import { encodeReceipt, logsBloom, orBlooms, type Receipt } from './receipt.js';
import {
  BEACON_ROOTS_ADDRESS,
  CONSOLIDATION_REQUEST_ADDRESS,
  HISTORY_STORAGE_ADDRESS,
  SystemCallError,
  WITHDRAWAL_REQUEST_ADDRESS,
  systemCall,
} from './system.js';

export interface Withdrawal {
  readonly index: bigint;
  readonly validatorIndex: bigint;
  readonly address: Address;
  /** In gwei. */
  readonly amount: bigint;
}

export interface BlockInput {
  readonly header: BlockHeader;
  /** Consensus encodings (legacy RLP or typed envelopes), as in the block body. */
  readonly transactions: readonly Uint8Array[];
  readonly withdrawals?: readonly Withdrawal[];
}

export interface BlockResult {
  readonly receipts: readonly Receipt[];
  readonly outcomes: readonly TxOutcome[];
  readonly gasUsed: bigint;
  readonly blobGasUsed: bigint;
  readonly logsBloom: Uint8Array;
  readonly transactionsRoot: Uint8Array;
  readonly receiptsRoot: Uint8Array;
  readonly withdrawalsRoot: Uint8Array | null;
  /** EIP-7685 requests (type byte || data), and their commitment. */
  readonly requests: readonly Uint8Array[];
  readonly requestsHash: Uint8Array | null;
  /** Why parts of this block cannot be checked (e.g. calls into Metis's LLM precompile). */
  readonly warnings: readonly string[];
}

/** A block that cannot be valid, whatever the state: an invalid transaction, a failed system call. */
export class InvalidBlockError extends Error {
  override readonly name = 'InvalidBlockError';
}

const DEPOSIT_EVENT_TOPIC = 0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5n;

export function blockEnvOf(header: BlockHeader, chain: ChainRules, blockHash: (n: bigint) => bigint | null): BlockEnv {
  const env: BlockEnv = {
    chain,
    rules: rulesAt(chain, header.timestamp),
    number: header.number,
    timestamp: header.timestamp,
    coinbase: header.coinbase,
    gasLimit: header.gasLimit,
    baseFee: header.baseFeePerGas ?? 0n,
    prevRandao: bytesToWord(header.mixHash, 0),
    excessBlobGas: header.excessBlobGas ?? 0n,
    blockHash,
    ...(header.parentBeaconBlockRoot ? { parentBeaconBlockRoot: header.parentBeaconBlockRoot } : {}),
  };
  return env;
}

export function executeBlock(
  world: WorldState,
  chain: ChainRules,
  block: BlockInput,
  blockHash: (n: bigint) => bigint | null,
): BlockResult {
  const header = block.header;
  const env = blockEnvOf(header, chain, blockHash);
  const rules = env.rules;

  // Pre-block system calls.
  if (header.parentBeaconBlockRoot !== undefined) systemCall(world, env, BEACON_ROOTS_ADDRESS, header.parentBeaconBlockRoot);
  if (rules.isEip2935) systemCall(world, env, HISTORY_STORAGE_ADDRESS, header.parentHash);

  const receipts: Receipt[] = [];
  const outcomes: TxOutcome[] = [];
  let gasUsed = 0n;
  let blobGasUsed = 0n;
  for (const [i, raw] of block.transactions.entries()) {
    let outcome: TxOutcome;
    let type: number;
    try {
      const tx = decodeTransaction(raw);
      type = tx.type;
      if (tx.type !== 0 && tx.chainId !== chain.chainId) throw new InvalidBlockError(`transaction ${i}: chain id ${tx.chainId}, expected ${chain.chainId}`);
      if (tx.type === 0 && tx.chainId !== null && tx.chainId !== chain.chainId) {
        throw new InvalidBlockError(`transaction ${i}: chain id ${tx.chainId}, expected ${chain.chainId}`);
      }
      outcome = applyTransaction(world, env, toTxRequest(tx), { gasUsed, blobGasUsed });
    } catch (e) {
      if (e instanceof InvalidTransactionError) throw new InvalidBlockError(`transaction ${i} is invalid: ${e.reason}`);
      if (e instanceof InvalidBlockError) throw e;
      if (e instanceof Error && /Tx(Decode|Signature)Error/.test(e.name)) throw new InvalidBlockError(`transaction ${i}: ${e.message}`);
      throw e;
    }
    gasUsed += outcome.gasUsed;
    blobGasUsed += outcome.blobGasUsed;
    outcomes.push(outcome);
    receipts.push({ type, success: outcome.success, cumulativeGasUsed: gasUsed, logsBloom: logsBloom(outcome.logs), logs: outcome.logs });
  }

  // Withdrawals credit gwei amounts without touching gas.
  let withdrawalsRoot: Uint8Array | null = null;
  if (block.withdrawals !== undefined) {
    for (const w of block.withdrawals) world.addBalance(w.address, w.amount * 1_000_000_000n);
    withdrawalsRoot = orderedTrieRoot(block.withdrawals.map((w) => rlpEncode([w.index, w.validatorIndex, addressToBytes(w.address), w.amount])));
  }

  // EIP-7685 requests.
  let requests: Uint8Array[] = [];
  let requestsHash: Uint8Array | null = null;
  if (rules.isEip7685) {
    requests = blockRequests(world, env, chain, outcomes);
    requestsHash = requestsHashOf(requests);
  }

  const warnings: string[] = [];
  outcomes.forEach((o, i) => {
    if (o.unreproducibleCalls.length > 0) {
      warnings.push(
        `transaction ${i} calls ${[...new Set(o.unreproducibleCalls)].join(', ')}, a precompile whose output is not reproducible (float LLM inference); MetisVM cannot check it`,
      );
    }
  });
  return {
    warnings,
    receipts,
    outcomes,
    gasUsed,
    blobGasUsed,
    logsBloom: orBlooms(receipts.map((r) => r.logsBloom)),
    transactionsRoot: orderedTrieRoot(block.transactions),
    receiptsRoot: orderedTrieRoot(receipts.map(encodeReceipt)),
    withdrawalsRoot,
    requests,
    requestsHash,
  };
}

/**
 * EIP-7685 requests after the transactions: deposits (EIP-6110, from the block's logs) and the
 * withdrawal and consolidation request system calls.
 */
export function blockRequests(world: WorldState, env: BlockEnv, chain: ChainRules, outcomes: readonly TxOutcome[]): Uint8Array[] {
  const requests: Uint8Array[] = [];
  if (chain.depositContract !== null) {
    const deposits = depositRequests(outcomes, chain.depositContract);
    if (deposits.length > 0) requests.push(concatBytes(Uint8Array.of(0), deposits));
  }
  for (const [type, target] of [
    [1, WITHDRAWAL_REQUEST_ADDRESS],
    [2, CONSOLIDATION_REQUEST_ADDRESS],
  ] as const) {
    const r = systemCall(world, env, target, new Uint8Array(0));
    if (r === null) {
      if (chain.requestContracts === 'required') throw new InvalidBlockError(`request contract ${target} has no code`);
      continue;
    }
    if (!r.success) throw new SystemCallError(`request system call to ${target} failed: ${r.error}`);
    if (r.output.length > 0) requests.push(concatBytes(Uint8Array.of(type), r.output));
  }
  return requests;
}

export function requestsHashOf(requests: readonly Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...requests.map((r) => sha256(r))));
}

/** EIP-6110: the DepositEvent logs of the deposit contract, as request data. */
function depositRequests(outcomes: readonly TxOutcome[], depositContract: Address): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const o of outcomes) {
    for (const log of o.logs) {
      if (log.address !== depositContract || log.topics[0] !== DEPOSIT_EVENT_TOPIC) continue;
      parts.push(parseDepositLog(log.data));
    }
  }
  return concatBytes(...parts);
}

/** The ABI-encoded (bytes pubkey, bytes wc, bytes amount, bytes signature, bytes index) of a DepositEvent. */
function parseDepositLog(data: Uint8Array): Uint8Array {
  const field = (headIndex: number, size: number): Uint8Array => {
    const offset = Number(bytesToWord(data, headIndex * 32));
    const len = Number(bytesToWord(data, offset));
    if (len !== size) throw new InvalidBlockError(`deposit log field ${headIndex} has length ${len}, expected ${size}`);
    return data.slice(offset + 32, offset + 32 + size);
  };
  if (data.length !== 576) throw new InvalidBlockError(`deposit log data is ${data.length} bytes, expected 576`);
  return concatBytes(field(0, 48), field(1, 32), field(2, 8), field(3, 96), field(4, 8));
}

