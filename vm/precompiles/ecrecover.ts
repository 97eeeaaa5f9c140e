// 0x01 ECRECOVER (Frontier). An unrecoverable signature is not an error: the call
// succeeds with empty output and still costs the full 3000 gas.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Precompile } from './types.js';
import { bytesToBigInt, sliceZeroPadded } from '../util/bytes.js';
import { keccak256 } from '../util/hash.js';
import { EMPTY, charged, success } from './result.js';

export const ECRECOVER_GAS = 3000;

const SECP256K1_N = secp256k1.Point.CURVE().n;

export const ecrecover: Precompile = (input, gasLimit) =>
  charged(ECRECOVER_GAS, gasLimit, () => {
    const data = sliceZeroPadded(input, 0, 128);
    const hash = data.subarray(0, 32);
    const v = bytesToBigInt(data.subarray(32, 64));
    const r = bytesToBigInt(data.subarray(64, 96));
    const s = bytesToBigInt(data.subarray(96, 128));
    if (v !== 27n && v !== 28n) return success(ECRECOVER_GAS, EMPTY);
    // Homestead's low-s rule applies to transactions only, not to this precompile.
    if (r === 0n || s === 0n || r >= SECP256K1_N || s >= SECP256K1_N) return success(ECRECOVER_GAS, EMPTY);
    let pub: Uint8Array;
    try {
      const sig = new secp256k1.Signature(r, s, Number(v - 27n));
      pub = sig.recoverPublicKey(hash).toBytes(false);
    } catch {
      return success(ECRECOVER_GAS, EMPTY);
    }
    const out = new Uint8Array(32);
    out.set(keccak256(pub.subarray(1)).subarray(12), 12);
    return success(ECRECOVER_GAS, out);
  });
