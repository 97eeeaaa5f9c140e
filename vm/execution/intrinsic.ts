// Intrinsic gas (execution-specs' calculate_intrinsic_cost) and the EIP-7623 floor.
import type { ForkRules } from '../chain/forks.js';
import type { TxRequest } from './request.js';

const TX_BASE_COST = 21000n;
const TX_CREATE_COST = 32000n;
const TX_ACCESS_LIST_ADDRESS_COST = 2400n;
const TX_ACCESS_LIST_STORAGE_KEY_COST = 1900n;
const INIT_CODE_WORD_COST = 2n;
const PER_EMPTY_ACCOUNT_COST = 25000n;
const FLOOR_CALLDATA_COST = 10n;
const STANDARD_CALLDATA_TOKEN_COST = 4n;

/** EIP-7623 tokens: zero bytes count one, non-zero bytes four. */
export function calldataTokens(data: Uint8Array): bigint {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return BigInt(zeros) + BigInt(data.length - zeros) * 4n;
}

export function intrinsicGas(
  tx: Pick<TxRequest, 'data' | 'to' | 'accessList' | 'authorizationList'>,
  rules: ForkRules,
): { intrinsic: bigint; floor: bigint } {
  const tokens = calldataTokens(tx.data);
  let gas = TX_BASE_COST + tokens * STANDARD_CALLDATA_TOKEN_COST;
  // 4 gas per token is EIP-2028's 4 per zero byte and 16 per non-zero byte.
  if (tx.to === null) gas += TX_CREATE_COST + INIT_CODE_WORD_COST * BigInt(Math.ceil(tx.data.length / 32));
  for (const entry of tx.accessList) {
    gas += TX_ACCESS_LIST_ADDRESS_COST + TX_ACCESS_LIST_STORAGE_KEY_COST * BigInt(entry.storageKeys.length);
  }
  gas += PER_EMPTY_ACCOUNT_COST * BigInt(tx.authorizationList.length);
  const floor = rules.isEip7623 ? TX_BASE_COST + tokens * FLOOR_CALLDATA_COST : 0n;
  return { intrinsic: gas, floor };
}
