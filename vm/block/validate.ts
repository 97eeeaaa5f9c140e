// Header checks: what an executed block must reproduce, and what a header must
// satisfy against its parent (execution-specs' validate_header).
import { bytesToHex, equalBytes } from '../util/bytes.js';
import { rulesAt, type ChainRules } from '../chain/chain.js';
import { nextExcessBlobGas } from '../fees.js';
import type { BlockHeader } from './header.js';
import { headerHash } from './header.js';
import type { BlockResult } from './execute.js';

export interface Mismatch {
  /** Header field (or 'blockHash'). */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

function hex(v: Uint8Array | bigint | null | undefined): string {
  if (v === null || v === undefined) return 'absent';
  return typeof v === 'bigint' ? v.toString() : bytesToHex(v);
}

/**
 * Compares an execution result and the post-state root with the header. The
 * first mismatch in this order is the most useful to report: gas, then logs,
 * then receipts, then state.
 */
export function compareWithHeader(header: BlockHeader, result: BlockResult, postStateRoot: Uint8Array): Mismatch[] {
  const out: Mismatch[] = [];
  const cmp = (field: string, expected: Uint8Array | bigint | null | undefined, actual: Uint8Array | bigint | null | undefined): void => {
    const same =
      expected instanceof Uint8Array && actual instanceof Uint8Array ? equalBytes(expected, actual) : expected === actual;
    if (!same) out.push({ field, expected: hex(expected), actual: hex(actual) });
  };
  cmp('gasUsed', header.gasUsed, result.gasUsed);
  if (header.blobGasUsed !== undefined) cmp('blobGasUsed', header.blobGasUsed, result.blobGasUsed);
  cmp('transactionsRoot', header.transactionsRoot, result.transactionsRoot);
  cmp('logsBloom', header.logsBloom, result.logsBloom);
  cmp('receiptsRoot', header.receiptsRoot, result.receiptsRoot);
  if (header.withdrawalsRoot !== undefined || result.withdrawalsRoot !== null) cmp('withdrawalsRoot', header.withdrawalsRoot, result.withdrawalsRoot);
  if (header.requestsHash !== undefined || result.requestsHash !== null) cmp('requestsHash', header.requestsHash, result.requestsHash);
  cmp('stateRoot', header.stateRoot, postStateRoot);
  return out;
}

/** EIP-1559 base fee of a child of `parent`. */
export function expectedBaseFee(parent: BlockHeader, chain: ChainRules): bigint {
  const parentBaseFee = parent.baseFeePerGas ?? 0n;
  const target = parent.gasLimit / chain.baseFee.elasticityMultiplier;
  const d = chain.baseFee.maxChangeDenominator;
  if (parent.gasUsed === target) return parentBaseFee;
  if (parent.gasUsed > target) {
    const delta = (parentBaseFee * (parent.gasUsed - target)) / target / d;
    return parentBaseFee + (delta > 1n ? delta : 1n);
  }
  return parentBaseFee - (parentBaseFee * (target - parent.gasUsed)) / target / d;
}

/** Checks a header against its parent; returns what is wrong (empty when valid). */
export function checkHeaderAgainstParent(header: BlockHeader, parent: BlockHeader, chain: ChainRules): Mismatch[] {
  const out: Mismatch[] = [];
  const cmp = (field: string, expected: bigint | Uint8Array, actual: bigint | Uint8Array): void => {
    const same = expected instanceof Uint8Array && actual instanceof Uint8Array ? equalBytes(expected, actual) : expected === actual;
    if (!same) out.push({ field, expected: hex(expected), actual: hex(actual) });
  };
  cmp('number', parent.number + 1n, header.number);
  cmp('parentHash', headerHash(parent), header.parentHash);
  if (header.timestamp <= parent.timestamp) {
    out.push({ field: 'timestamp', expected: `> ${parent.timestamp}`, actual: header.timestamp.toString() });
  }
  const maxDelta = parent.gasLimit / 1024n;
  if (header.gasLimit >= parent.gasLimit + maxDelta || header.gasLimit <= parent.gasLimit - maxDelta || header.gasLimit < 5000n) {
    out.push({ field: 'gasLimit', expected: `within ${parent.gasLimit} ± ${maxDelta}`, actual: header.gasLimit.toString() });
  }
  if (header.gasUsed > header.gasLimit) out.push({ field: 'gasUsed', expected: `<= ${header.gasLimit}`, actual: header.gasUsed.toString() });
  if (parent.baseFeePerGas !== undefined && header.baseFeePerGas !== undefined) {
    cmp('baseFeePerGas', expectedBaseFee(parent, chain), header.baseFeePerGas);
  }
  if (header.excessBlobGas !== undefined) {
    const expected = nextExcessBlobGas(
      { excessBlobGas: parent.excessBlobGas ?? 0n, blobGasUsed: parent.blobGasUsed ?? 0n, baseFee: parent.baseFeePerGas ?? 0n },
      rulesAt(chain, header.timestamp),
    );
    cmp('excessBlobGas', expected, header.excessBlobGas);
  }
  return out;
}
