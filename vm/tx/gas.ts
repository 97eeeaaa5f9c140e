// Intrinsic gas: what a transaction costs before any code runs.
import type { ForkRules } from '../chain/forks.js';
import type { AccessListEntry } from './types.js';
import type { Address } from '../util/address.js';

export const TX_BASE_COST = 21000n;
/** EIP-2: contract creation surcharge on top of the base cost (53000 total). */
export const TX_CREATE_COST = 32000n;
/** EIP-2028 calldata prices. */
export const TX_DATA_COST_PER_ZERO = 4n;
export const TX_DATA_COST_PER_NON_ZERO = 16n;
/** EIP-2930 access list prices. */
export const TX_ACCESS_LIST_ADDRESS_COST = 2400n;
export const TX_ACCESS_LIST_STORAGE_KEY_COST = 1900n;
/** EIP-3860: per 32-byte word of initcode. */
export const INITCODE_WORD_COST = 2n;
/** EIP-7702: charged per authorization up front (part is refunded for existing accounts). */
export const PER_EMPTY_ACCOUNT_COST = 25000n;
/** EIP-7623 floor price per calldata token. */
export const TOTAL_COST_FLOOR_PER_TOKEN = 10n;

/** EIP-7623 tokens: zero bytes count 1, non-zero bytes 4. */
export function calldataTokens(data: Uint8Array): bigint {
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return BigInt(zeros) + 4n * BigInt(data.length - zeros);
}

export interface IntrinsicGas {
  /** Charged before execution; the gas limit must cover it. */
  readonly intrinsic: bigint;
  /** EIP-7623 minimum gas used (0 before Prague); the gas limit must cover it too. */
  readonly floor: bigint;
}

/** What intrinsic gas depends on: a decoded transaction or the executor's normalised request. */
export interface IntrinsicGasInput {
  readonly data: Uint8Array;
  readonly to: Address | null;
  readonly accessList?: readonly AccessListEntry[];
  readonly authorizationList?: readonly unknown[];
}

export function intrinsicGas(tx: IntrinsicGasInput, rules: ForkRules): IntrinsicGas {
  const data = tx.data;
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  const nonZeros = data.length - zeros;
  let gas = TX_BASE_COST + TX_DATA_COST_PER_ZERO * BigInt(zeros) + TX_DATA_COST_PER_NON_ZERO * BigInt(nonZeros);
  if (tx.to === null) {
    gas += TX_CREATE_COST + INITCODE_WORD_COST * BigInt(Math.ceil(data.length / 32));
  }
  for (const e of tx.accessList ?? []) {
    gas += TX_ACCESS_LIST_ADDRESS_COST + TX_ACCESS_LIST_STORAGE_KEY_COST * BigInt(e.storageKeys.length);
  }
  gas += PER_EMPTY_ACCOUNT_COST * BigInt(tx.authorizationList?.length ?? 0);
  const floor = rules.isEip7623
    ? TX_BASE_COST + TOTAL_COST_FLOOR_PER_TOKEN * (BigInt(zeros) + 4n * BigInt(nonZeros))
    : 0n;
  return { intrinsic: gas, floor };
}
