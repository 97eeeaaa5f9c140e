// The BN254 scalar field Fr and radix-2 FFTs over its power-of-two subgroups,
// which map EigenDA blobs between coefficient and evaluation form.

/** Order of BN254's G1 (and modulus of Fr). */
export const FR_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** 2-adicity of Fr - 1: the largest power-of-two domain is 2^28. */
export const FR_MAX_SCALE = 28;

/**
 * Primitive 2^28-th root of unity of Fr, the last entry of EigenDA's
 * Scale2RootOfUnity table; smaller domains use its repeated squares, as EigenDA does.
 */
export const FR_ROOT_OF_UNITY_2_28 = 19103219067921713944291392827692070036145651957329286315305642004821462161904n;

export function frAdd(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s >= FR_MODULUS ? s - FR_MODULUS : s;
}

export function frSub(a: bigint, b: bigint): bigint {
  const s = a - b;
  return s < 0n ? s + FR_MODULUS : s;
}

export function frMul(a: bigint, b: bigint): bigint {
  return (a * b) % FR_MODULUS;
}

export function frPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % FR_MODULUS;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % FR_MODULUS;
    b = (b * b) % FR_MODULUS;
    e >>= 1n;
  }
  return result;
}

/** Inverse by Fermat (the modulus is prime); zero has none. */
export function frInv(a: bigint): bigint {
  if (a % FR_MODULUS === 0n) throw new RangeError('zero has no inverse in Fr');
  return frPow(a, FR_MODULUS - 2n);
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Primitive n-th root of unity, n a power of two up to 2^28. */
export function rootOfUnity(n: number): bigint {
  if (!isPowerOfTwo(n)) throw new RangeError(`FFT size must be a power of two, got ${n}`);
  const scale = Math.log2(n);
  if (scale > FR_MAX_SCALE) throw new RangeError(`FFT size 2^${scale} exceeds Fr's 2^${FR_MAX_SCALE} domain`);
  let w = FR_ROOT_OF_UNITY_2_28;
  for (let i = scale; i < FR_MAX_SCALE; i++) w = frMul(w, w);
  return w;
}

/**
 * Forward FFT: coefficients c_j to evaluations e_i = Σ_j c_j·ω^(ij), ω = rootOfUnity(n).
 * Iterative Cooley–Tukey on a bit-reversed copy; O(n log n).
 */
export function fft(values: readonly bigint[]): bigint[] {
  return transform(values, rootOfUnity(values.length));
}

/** Inverse FFT: evaluations back to coefficients, c_j = n⁻¹·Σ_i e_i·ω^(-ij). */
export function ifft(values: readonly bigint[]): bigint[] {
  const n = values.length;
  const out = transform(values, frInv(rootOfUnity(n)));
  const nInv = frInv(BigInt(n));
  for (let i = 0; i < n; i++) out[i] = frMul(out[i]!, nInv);
  return out;
}

function transform(values: readonly bigint[], omega: bigint): bigint[] {
  const n = values.length;
  const a = new Array<bigint>(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < 0n || v >= FR_MODULUS) throw new RangeError(`FFT input ${i} is not a canonical Fr element`);
    a[bitReverse(i, bits)] = v;
  }
  // Precompute ω^k for k < n/2 once; each stage strides through this table.
  const half = n >> 1;
  const twiddles = new Array<bigint>(half);
  let w = 1n;
  for (let k = 0; k < half; k++) {
    twiddles[k] = w;
    w = frMul(w, omega);
  }
  for (let size = 2; size <= n; size <<= 1) {
    const h = size >> 1;
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < h; k++) {
        const t = frMul(twiddles[k * stride]!, a[start + k + h]!);
        const u = a[start + k]!;
        a[start + k] = frAdd(u, t);
        a[start + k + h] = frSub(u, t);
      }
    }
  }
  return a;
}

function bitReverse(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | ((x >> i) & 1);
  }
  return r;
}
