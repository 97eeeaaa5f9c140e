// The integer semantics: requantisation rounding and saturation, integer square root, the
// canonical encoding and model id, and a hand-built model using every operator, evaluated by the
// reference (checked against independently computed values) and by the onnxruntime fast path.
import { describe, expect, it } from 'vitest';
import {
  decodeModel, encodeModel, isqrt, modelId, ModelFormatError, requantize, roundDiv, roundShift, sat8, toRequant,
  type IntModel,
} from '../ai/model.js';
import { evaluate } from '../ai/reference.js';
import { buildTable } from '../ai/quantize.js';
import { checkFastPath, defaultCorpus, FastPath, firstMismatch } from '../ai/fast-path.js';
import { inferenceGas, macCount, GAS_BASE, GAS_PER_MAC, GAS_PER_INPUT_BYTE } from '../ai/gas.js';
import { keccak256 } from '../vm/util/hash.js';

describe('requantisation', () => {
  it('rounds halves away from zero', () => {
    expect(roundShift(5, 1)).toBe(3); // 2.5
    expect(roundShift(-5, 1)).toBe(-3); // -2.5
    expect(roundShift(3, 1)).toBe(2); // 1.5
    expect(roundShift(-3, 1)).toBe(-2);
    expect(roundShift(6, 2)).toBe(2); // 1.5
    expect(roundShift(5, 2)).toBe(1); // 1.25
    expect(roundShift(-5, 2)).toBe(-1);
    expect(roundShift(7, 2)).toBe(2); // 1.75
    expect(roundShift(-7, 2)).toBe(-2);
    expect(roundShift(1, 1)).toBe(1); // 0.5
    expect(roundShift(-1, 1)).toBe(-1);
    expect(roundShift(0, 9)).toBe(0);
    expect(roundShift(-17, 0)).toBe(-17);
    // Large products stay exact below 2^53.
    expect(roundShift(2 ** 52 + 2 ** 10, 11)).toBe(2 ** 41 + 1);
    expect(roundShift(-(2 ** 52) - 2 ** 10, 11)).toBe(-(2 ** 41) - 1);
  });

  it('agrees with BigInt arithmetic on random values', () => {
    let s = 12345;
    for (let i = 0; i < 2000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const p = ((s % 2 ** 30) - 2 ** 29) * ((i % 5000) + 1);
      const shift = i % 40;
      const bp = BigInt(p), d = 1n << BigInt(shift);
      const abs = bp < 0n ? -bp : bp;
      const q = shift === 0 ? abs : (abs + d / 2n) / d;
      expect(roundShift(p, shift)).toBe(Number(bp < 0n ? -q : q));
    }
  });

  it('saturates at -128 and 127', () => {
    expect(sat8(128)).toBe(127);
    expect(sat8(127)).toBe(127);
    expect(sat8(-128)).toBe(-128);
    expect(sat8(-129)).toBe(-128);
    // 255.5 * 0.5 rounds to 128 → 127; -256.5 * 0.5 → -128.25 → -128 (no wrap).
    expect(requantize(511, { mult: 1, shift: 2 })).toBe(127);
    expect(requantize(-1_000_000, { mult: 3, shift: 1 })).toBe(-128);
    expect(requantize(254, { mult: 1, shift: 1 })).toBe(127);
    expect(requantize(-257, { mult: 1, shift: 1 })).toBe(-128); // -128.5 → -129 → saturates
    expect(requantize(-255, { mult: 1, shift: 1 })).toBe(-128); // -127.5 → -128
    expect(requantize(253, { mult: 1, shift: 1 })).toBe(127); // 126.5 → 127
  });

  it('roundDiv and isqrt are exact', () => {
    expect(roundDiv(7, 2)).toBe(4);
    expect(roundDiv(-7, 2)).toBe(-4);
    expect(roundDiv(5, 3)).toBe(2);
    expect(roundDiv(-4, 3)).toBe(-1);
    for (const k of [1, 2, 3, 1000, 46340, 2 ** 25 - 1]) {
      expect(isqrt(k * k)).toBe(k);
      expect(isqrt(k * k - 1)).toBe(k - 1);
      expect(isqrt(k * k + 2 * k)).toBe(k);
    }
    expect(isqrt(0)).toBe(0);
  });

  it('toRequant approximates the ratio to 15 bits', () => {
    for (const r of [1e-6, 3.3e-4, 0.0123, 0.5, 0.999, 1.7, 300]) {
      const { mult, shift } = toRequant(r);
      expect(mult).toBeLessThan(2 ** 15);
      expect(Math.abs(mult / 2 ** shift - r) / r).toBeLessThan(2 ** -13);
    }
  });
});

/** Every operator, small enough to check by hand. */
function allOpsModel(): IntModel {
  return {
    inputShape: [1, 2, 3],
    inputScale: 0.05,
    nodes: [
      { op: 'reshape', input: 0, shape: [1, 6], scale: 0.05 }, // v1
      // v2 = gemm(v1): n=4, k=6
      {
        op: 'gemm', input: 1, n: 4, k: 6, scale: 0.1,
        weights: Int8Array.from([1, -2, 3, -4, 5, -6, 63, 63, 63, 63, 63, 63, -64, -64, -64, -64, -64, -64, 0, 1, 0, 1, 0, 1]),
        bias: Int32Array.from([10, -10, 1000, 0]), rq: { mult: 3, shift: 4 },
      },
      { op: 'relu', input: 2, scale: 0.1 }, // v3
      { op: 'add', a: 2, b: 3, ma: 3, mb: 5, shift: 2, scale: 0.1 }, // v4
      { op: 'max', a: 3, b: 4, scale: 0.1 }, // v5
      { op: 'lut', input: 5, fn: 'exp', table: buildTable('exp', 0.1, 0.25), scale: 0.25 }, // v6
      { op: 'lut', input: 4, fn: 'gelu', table: buildTable('gelu', 0.1, 0.1), scale: 0.1 }, // v7
      {
        op: 'layernorm', input: 7, eps: 3, gamma: Int8Array.from([10, -20, 30, 63]),
        beta: Int32Array.from([0, 5000, -5000, 100]), rq: { mult: 1, shift: 10 }, scale: 0.1,
      }, // v8
      { op: 'lut', input: 8, fn: 'sigmoid', table: buildTable('sigmoid', 0.1, 1 / 127), scale: 1 / 127 }, // v9
      { op: 'lut', input: 9, fn: 'tanh', table: buildTable('tanh', 1 / 127, 1 / 127), scale: 1 / 127 }, // v10
    ],
  };
}

describe('reference evaluator', () => {
  it('computes each operator as specified', () => {
    const m = allOpsModel();
    const x = Int8Array.from([10, -20, 30, -40, 50, -60]);
    const ev = evaluate(m, x);
    expect(ev.values[1].shape).toEqual([1, 6]);
    // Gemm: row 0: 10+40+90+160+250+360 = 910, +10 = 920 → 920*3/16 = 172.5 → sat 127.
    // row 1: 63*(10-20+30-40+50-60) = -1890, -10 → -1900*3/16 = -356.25 → -128.
    // row 2: -64*(-30) = 1920 + 1000 = 2920 → 547.5 → 127. row 3: -20-40-60 = -120 → -22.5 → -23.
    expect(Array.from(ev.values[2].data)).toEqual([127, -128, 127, -23]);
    expect(Array.from(ev.values[3].data)).toEqual([127, 0, 127, 0]);
    // Add: (127*3 + 127*5)/4 = 254 → 127; (-128*3)/4 = -96; -23*3/4 = -17.25 → -17.
    expect(Array.from(ev.values[4].data)).toEqual([127, -96, 127, -17]);
    expect(Array.from(ev.values[5].data)).toEqual([127, 0, 127, 0]);
    expect(ev.values[6].data[1]).toBe(4); // exp(0) / 0.25
    // LayerNorm on v7 = gelu(v4): check against a direct computation with BigInt.
    const v7 = Array.from(ev.values[7].data);
    const n = 4;
    const s = v7.reduce((a, b) => a + b, 0);
    const d = v7.map((v) => BigInt(n * v - s));
    const q = d.reduce((a, b) => a + b * b, 0n);
    let sigma = 0n;
    while ((sigma + 1n) * (sigma + 1n) <= q / BigInt(n) + 3n) sigma++;
    const gamma = [10n, -20n, 30n, 63n], beta = [0n, 5000n, -5000n, 100n];
    const expected = d.map((dj, j) => {
      const num = dj * 4096n, abs = num < 0n ? -num : num;
      const norm = ((2n * abs + sigma) / (2n * sigma)) * (num < 0n ? -1n : 1n);
      const acc = norm * gamma[j] + beta[j];
      const a = acc < 0n ? -acc : acc;
      const r = Number(((a + 512n) / 1024n) * (acc < 0n ? -1n : 1n));
      return Math.max(-128, Math.min(127, r));
    });
    expect(Array.from(ev.values[8].data)).toEqual(expected);
  });

  it('rejects inputs of the wrong size', () => {
    expect(() => evaluate(allOpsModel(), new Int8Array(5))).toThrow(ModelFormatError);
  });
});

describe('canonical encoding and model id', () => {
  it('round-trips, is stable, and changes with any weight', () => {
    const m = allOpsModel();
    const bytes = encodeModel(m);
    expect(encodeModel(decodeModel(bytes))).toEqual(bytes);
    expect(modelId(m)).toEqual(keccak256(bytes));
    expect(modelId(decodeModel(bytes))).toEqual(modelId(m));
    const changed = allOpsModel();
    const g = changed.nodes[1];
    if (g.op !== 'gemm') throw new Error('fixture');
    g.weights[5] = 7;
    expect(modelId(changed)).not.toEqual(modelId(m));
  });

  it('decodes from a view into a larger buffer (a Node Buffer from a pool, a record read from level)', () => {
    const bytes = encodeModel(allOpsModel());
    const pool = new Uint8Array(bytes.length + 100).fill(0x55);
    pool.set(bytes, 37);
    const inPool = Buffer.from(pool.buffer, 37, bytes.length);
    expect(encodeModel(decodeModel(inPool))).toEqual(bytes);
    const input = Int8Array.from({ length: 6 }, (_, i) => i * 11 - 40);
    expect(evaluate(decodeModel(inPool), input).output.data).toEqual(evaluate(allOpsModel(), input).output.data);
  });

  it('rejects trailing bytes, bad magic and invalid structure', () => {
    const bytes = encodeModel(allOpsModel());
    expect(() => decodeModel(Uint8Array.from([...bytes, 0]))).toThrow(ModelFormatError);
    expect(() => decodeModel(Uint8Array.from([0, ...bytes.slice(1)]))).toThrow(/magic/);
    expect(() => decodeModel(bytes.slice(0, bytes.length - 3))).toThrow(ModelFormatError);
    const bad: IntModel = { ...allOpsModel(), nodes: [{ op: 'relu', input: 3, scale: 1 }] };
    expect(() => encodeModel(bad)).toThrow(/earlier value/);
    const wide: IntModel = {
      inputShape: [1, 2], inputScale: 1,
      nodes: [{ op: 'gemm', input: 0, n: 1, k: 2, weights: Int8Array.of(1, 1), bias: Int32Array.of(0), rq: { mult: 2 ** 15, shift: 0 }, scale: 1 }],
    };
    expect(() => encodeModel(wide)).toThrow(/multiplier/);
  });

  it('charges gas from the MAC count', () => {
    const m = allOpsModel();
    // gemm 4*6, layernorm 4*4, and 1 per output element elsewhere (6 + 4*5 + 4 + 4).
    const macs = 24 + 16 + 6 + 4 * 5 + 4 + 4;
    expect(macCount(m)).toBe(macs);
    expect(inferenceGas(m)).toBe(BigInt(GAS_BASE + GAS_PER_MAC * macs + GAS_PER_INPUT_BYTE * 6));
  });
});

describe('onnxruntime fast path', () => {
  it('matches the reference on every node output of every operator', async () => {
    const m = allOpsModel();
    const logs: string[] = [];
    const check = await checkFastPath(m, defaultCorpus(m, 64), (l) => logs.push(l));
    expect(logs).toEqual([]);
    expect(check).toMatchObject({ enabled: true, samples: 67 });
    const fp = await FastPath.create(m);
    for (const x of defaultCorpus(m, 8, 5)) expect(firstMismatch(evaluate(m, x), await fp.evaluate(x), 0)).toBeUndefined();
    await fp.release();
  });

  it('is disabled, with one log line, when any node output differs', async () => {
    const m = allOpsModel();
    const logs: string[] = [];
    // A reference that differs in one element of node 4 on the third corpus input.
    let calls = 0;
    const lying = (mm: IntModel, x: Int8Array) => {
      const ev = evaluate(mm, x);
      if (++calls === 3) ev.values[5].data[2] ^= 1;
      return ev;
    };
    const check = await checkFastPath(m, defaultCorpus(m, 4), (l) => logs.push(l), lying);
    expect(check.enabled).toBe(false);
    expect(check.mismatch).toMatchObject({ sample: 2, node: 4, element: 2 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/fast path DISABLED for model 0x[0-9a-f]{64}: mismatch at node 4 element 2/);
  });
});
