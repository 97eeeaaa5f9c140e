// A liar in the inference game, for devnets and tests: the honest evaluation with another final
// output. Its claim is coherent up to the last node, so a dispute against it narrows to that
// node's chunks and is decided there by the chunk verifier.
import type { Evaluation } from '../../ai/reference.js';

export class LyingEvaluationError extends Error {
  override readonly name = 'LyingEvaluationError';
}

export function lyingEvaluation(truth: Evaluation, output: Int8Array): Evaluation {
  const last = truth.values.length - 1;
  const out = truth.values[last]!;
  if (output.length !== out.data.length) throw new LyingEvaluationError(`the model outputs ${out.data.length} elements, not ${output.length}`);
  const values = truth.values.map((t, i) => (i === last ? { ...t, data: Int8Array.from(output) } : t));
  return { ...truth, values, output: values[last]! };
}
