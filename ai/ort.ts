// onnxruntime-node, loaded lazily (it is an optional dependency) and pinned for reproducibility:
// one thread, sequential execution, no graph optimisation.
import type * as Ort from 'onnxruntime-node';

export class OrtUnavailableError extends Error {
  override readonly name = 'OrtUnavailableError';
}

let ortPromise: Promise<typeof Ort> | undefined;

export function loadOrt(): Promise<typeof Ort> {
  ortPromise ??= import('onnxruntime-node').catch((e: unknown) => {
    ortPromise = undefined;
    throw new OrtUnavailableError(`onnxruntime-node is not available: ${e instanceof Error ? e.message : String(e)}`);
  });
  return ortPromise;
}

export const PINNED_SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'disabled',
  executionProviders: ['cpu'],
};

export async function createSession(model: Uint8Array): Promise<Ort.InferenceSession> {
  const ort = await loadOrt();
  return ort.InferenceSession.create(model, PINNED_SESSION_OPTIONS);
}
