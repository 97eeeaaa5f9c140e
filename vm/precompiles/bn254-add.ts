// 0x06 ECADD on alt_bn128 (EIP-196), priced by EIP-1108.
import type { Precompile } from './types.js';
import { sliceZeroPadded } from '../util/bytes.js';
import { charged, failure, success } from './result.js';
import { Bn254InputError, decodeG1, encodeG1 } from './bn254-codec.js';

export const BN254_ADD_GAS = 150;

export const bn254Add: Precompile = (input, gasLimit) =>
  charged(BN254_ADD_GAS, gasLimit, () => {
    const data = sliceZeroPadded(input, 0, 128);
    try {
      const p = decodeG1(data, 0);
      const q = decodeG1(data, 64);
      return success(BN254_ADD_GAS, encodeG1(p.add(q)));
    } catch (e) {
      if (e instanceof Bn254InputError) return failure(e.message);
      throw e;
    }
  });
