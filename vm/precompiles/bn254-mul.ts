// 0x07 ECMUL on alt_bn128 (EIP-196), priced by EIP-1108. Any 256-bit scalar is
// allowed; G1 has prime order r, so reducing it mod r does not change the product.
import type { Precompile } from './types.js';
import { bytesToBigInt, sliceZeroPadded } from '../util/bytes.js';
import { charged, failure, success } from './result.js';
import { BN254_R, Bn254InputError, decodeG1, encodeG1 } from './bn254-codec.js';

export const BN254_MUL_GAS = 6000;

export const bn254Mul: Precompile = (input, gasLimit) =>
  charged(BN254_MUL_GAS, gasLimit, () => {
    const data = sliceZeroPadded(input, 0, 96);
    try {
      const p = decodeG1(data, 0);
      const k = bytesToBigInt(data.subarray(64, 96)) % BN254_R;
      return success(BN254_MUL_GAS, encodeG1(p.multiplyUnsafe(k)));
    } catch (e) {
      if (e instanceof Bn254InputError) return failure(e.message);
      throw e;
    }
  });
