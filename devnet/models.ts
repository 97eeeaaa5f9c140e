// The devnet's inference model store: the project's small MLP (ai/onnx/mlp.ts), quantised by our
// quantiser from a fixed calibration set, so every run (and every machine) gets the same model id.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeModel, type IntModel } from '../ai/model.js';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { quantizeOnnx } from '../ai/quantize.js';

/** The MLP of the devnet's model store. */
export async function devnetModel(): Promise<IntModel> {
  const corpus = Array.from({ length: 8 }, (_, i) => seededReals(100 + i, MLP_INPUT));
  return (await quantizeOnnx(buildFloatMlp(), corpus)).model;
}

/** Writes `models` into `dir` as model files (what `watch` reads through rollup.json); their paths. */
export async function writeModels(dir: string, models: readonly IntModel[]): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, m] of models.entries()) {
    const path = join(dir, `model-${i}.bin`);
    await writeFile(path, encodeModel(m));
    paths.push(path);
  }
  return paths;
}
