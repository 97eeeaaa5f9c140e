// The canonical integer evaluator: every node's output tensor, exactly as DESIGN.md defines it.
import {
  isqrt, LN_FRAC_BITS, ModelFormatError, requantize, roundDiv, roundShift, sat8, size, valueShapes,
  type IntModel,
} from './model.js';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Int8Array;
}

export interface Evaluation {
  /** values[0] is the input; values[i + 1] the output of node i. */
  readonly values: readonly Tensor[];
  readonly output: Tensor;
}

export function checkInput(m: IntModel, input: Int8Array): void {
  if (input.length !== size(m.inputShape)) {
    throw new ModelFormatError(`input has ${input.length} elements, the model takes [${m.inputShape}] (${size(m.inputShape)})`);
  }
}

export function evaluate(m: IntModel, input: Int8Array): Evaluation {
  checkInput(m, input);
  const shapes = valueShapes(m);
  const vals: Int8Array[] = [input];
  m.nodes.forEach((n, i) => {
    const shape = shapes[i + 1];
    const out = new Int8Array(size(shape));
    switch (n.op) {
      case 'gemm': {
        const x = vals[n.input];
        const rows = x.length / n.k;
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < n.n; o++) {
            let acc = n.bias[o];
            const wo = o * n.k, xo = r * n.k;
            for (let k = 0; k < n.k; k++) acc += x[xo + k] * n.weights[wo + k];
            out[r * n.n + o] = requantize(acc, n.rq);
          }
        }
        break;
      }
      case 'relu': { const x = vals[n.input]; for (let j = 0; j < x.length; j++) out[j] = x[j] > 0 ? x[j] : 0; break; }
      case 'add': {
        const a = vals[n.a], b = vals[n.b];
        for (let j = 0; j < a.length; j++) out[j] = sat8(roundShift(a[j] * n.ma + b[j] * n.mb, n.shift));
        break;
      }
      case 'max': { const a = vals[n.a], b = vals[n.b]; for (let j = 0; j < a.length; j++) out[j] = Math.max(a[j], b[j]); break; }
      case 'reshape': out.set(vals[n.input]); break;
      case 'lut': { const x = vals[n.input]; for (let j = 0; j < x.length; j++) out[j] = n.table[x[j] + 128]; break; }
      case 'layernorm': {
        const x = vals[n.input];
        const len = n.gamma.length;
        const d = new Array<number>(len);
        for (let r = 0; r < x.length / len; r++) {
          const o = r * len;
          let s = 0;
          for (let j = 0; j < len; j++) s += x[o + j];
          let q = 0;
          for (let j = 0; j < len; j++) { d[j] = len * x[o + j] - s; q += d[j] * d[j]; }
          const sigma = isqrt(Math.floor(q / len) + n.eps);
          for (let j = 0; j < len; j++) {
            const norm = roundDiv(d[j] * 2 ** LN_FRAC_BITS, sigma);
            out[o + j] = requantize(norm * n.gamma[j] + n.beta[j], n.rq);
          }
        }
        break;
      }
    }
    vals.push(out);
  });
  const values = vals.map((data, i) => ({ shape: shapes[i], data }));
  return { values, output: values[values.length - 1] };
}
