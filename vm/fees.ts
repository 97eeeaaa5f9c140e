// Fee arithmetic shared by the interpreter (BLOBBASEFEE) and block execution.
import type { ForkRules } from './chain/forks.js';

export const GAS_PER_BLOB = 131072n;
export const MIN_BLOB_GASPRICE = 1n;
/** EIP-7918 BLOB_BASE_COST. */
export const BLOB_BASE_COST = 8192n;

/** EIP-4844's fake_exponential: factor * e^(numerator/denominator), integer Taylor series. */
export function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n;
  let output = 0n;
  let accum = factor * denominator;
  while (accum > 0n) {
    output += accum;
    accum = (accum * numerator) / (denominator * i);
    i += 1n;
  }
  return output / denominator;
}

export function blobBaseFee(excessBlobGas: bigint, rules: ForkRules): bigint {
  return fakeExponential(MIN_BLOB_GASPRICE, excessBlobGas, rules.blobs.baseFeeUpdateFraction);
}

/** Excess blob gas of a block from its parent's header fields (EIP-4844, with EIP-7918 from Osaka). */
export function nextExcessBlobGas(
  parent: { excessBlobGas: bigint; blobGasUsed: bigint; baseFee: bigint },
  rules: ForkRules,
): bigint {
  const target = BigInt(rules.blobs.target) * GAS_PER_BLOB;
  const parentBlobGas = parent.excessBlobGas + parent.blobGasUsed;
  if (parentBlobGas < target) return 0n;
  if (rules.isEip7918) {
    const targetBlobGasPrice = GAS_PER_BLOB * blobBaseFee(parent.excessBlobGas, rules);
    if (BLOB_BASE_COST * parent.baseFee > targetBlobGasPrice) {
      const max = BigInt(rules.blobs.max);
      const delta = max - BigInt(rules.blobs.target);
      return parent.excessBlobGas + (parent.blobGasUsed * delta) / max;
    }
  }
  return parentBlobGas - target;
}
