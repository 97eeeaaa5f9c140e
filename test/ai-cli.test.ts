// `hyperion-verify ai` end to end from the built CLI (dist/, built by `npm test`): quantise the
// project MLP and hello_deepa, register them, and infer with both engines (same output, hash and
// trace root, equal to the library's own computation); bad input files exit with code 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { decodeModel, modelId } from '../ai/model.js';
import { evaluate } from '../ai/reference.js';
import { commitTrace, outputHash } from '../ai/trace.js';
import { quantizeInput } from '../ai/quantize.js';
import { inferenceGas } from '../ai/gas.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { runCli } from './support/cli.js';

const DEEPA = fileURLToPath(new URL('../node_modules/openwakeword-js/models/hello_deepa.onnx', import.meta.url));

const run = (args: string[]) => runCli(args);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ai-cli-'));
  writeFileSync(join(dir, 'mlp.onnx'), buildFloatMlp());
  writeFileSync(join(dir, 'mlp-cal.json'), JSON.stringify(Array.from({ length: 32 }, (_, i) => Array.from(seededReals(100 + i, MLP_INPUT, 2)))));
  // hello_deepa takes [1, 25, 96]: nested arrays are accepted.
  const nested = (seed: number): number[][][] => [Array.from({ length: 25 }, (_, r) => Array.from(seededReals(seed * 100 + r, 96, 3)))];
  writeFileSync(join(dir, 'deepa-cal.json'), JSON.stringify(Array.from({ length: 8 }, (_, i) => nested(i + 1))));
  writeFileSync(join(dir, 'mlp-in.json'), JSON.stringify(Array.from({ length: MLP_INPUT }, (_, i) => ((i * 37) % 256) - 128)));
  writeFileSync(join(dir, 'deepa-in.json'), JSON.stringify({ real: nested(99) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['mlp', 'mlp.onnx', 'mlp-cal.json', 'mlp-in.json'],
  ['deepa', DEEPA, 'deepa-cal.json', 'deepa-in.json'],
] as const)('ai commands on %s', (name, modelFile, calFile, inFile) => {
  const model = (): string => join(dir, `${name}.hvai`);

  it('quantize writes the model and reports accuracy; register prints the id and the fast path', async () => {
    const src = modelFile.startsWith('/') ? modelFile : join(dir, modelFile);
    const q = await run(['ai', 'quantize', '--model', src, '--calibration', join(dir, calFile), '--out', model()]);
    expect(q.code, q.stderr).toBe(0);
    const m = decodeModel(new Uint8Array(readFileSync(model())));
    const id = bytesToHex(modelId(m));
    expect(q.stdout).toContain(`model id: ${id}`);
    expect(q.stdout).toMatch(/max abs error [0-9.e-]+, mean abs error/);

    const r = await run(['ai', 'register', '--model', model()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`model id: ${id}`);
    expect(r.stdout).toContain(`gas per inference: ${inferenceGas(m)}`);
    expect(r.stdout).toMatch(/fast path: enabled \(onnxruntime matched the reference on every node output of \d+ corpus inputs\)/);
    const j = await run(['ai', 'register', '--model', model(), '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ modelId: id, fastPath: { enabled: true } });
  });

  it('infer prints the same output, hash and trace root with both engines', async () => {
    const ref = await run(['ai', 'infer', '--model', model(), '--input', join(dir, inFile)]);
    const ort = await run(['ai', 'infer', '--model', model(), '--input', join(dir, inFile), '--engine', 'onnxruntime']);
    expect(ref.code, ref.stderr).toBe(0);
    expect(ort.code, ort.stderr).toBe(0);
    expect(ort.stdout).toBe(ref.stdout);
    expect(ref.stdout).toMatch(/^output \[1, \d+\]: \[/);

    const json = await run(['ai', 'infer', '--model', model(), '--input', join(dir, inFile), '--engine', 'onnxruntime', '--json']);
    const doc = JSON.parse(json.stdout) as { output: number[]; outputHash: string; traceRoot: string };
    // The library's own result on the same input.
    const m = decodeModel(new Uint8Array(readFileSync(model())));
    const raw = JSON.parse(readFileSync(join(dir, inFile), 'utf8')) as unknown;
    const x = typeof raw === 'object' && raw !== null && 'real' in raw
      ? quantizeInput(m, (raw as { real: number[][][] }).real.flat(2))
      : Int8Array.from(raw as number[]);
    const ev = evaluate(m, x);
    expect(doc.output).toEqual(Array.from(ev.output.data));
    expect(doc.outputHash).toBe(bytesToHex(outputHash(ev.output)));
    expect(doc.traceRoot).toBe(bytesToHex(commitTrace(m, ev).root));
    expect(ref.stdout).toContain(`trace root: ${doc.traceRoot}`);
    expect(ref.stdout).toContain(`output hash: ${doc.outputHash}`);
  });
});

describe('ai command errors', () => {
  it('rejects a non-int8 input, a wrong-size input and a non-model file with exit code 2', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([1, 2, 300]));
    writeFileSync(join(dir, 'short.json'), JSON.stringify([1, 2, 3]));
    const a = await run(['ai', 'infer', '--model', join(dir, 'mlp.hvai'), '--input', join(dir, 'bad.json')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/300 is not an int8 value/);
    const b = await run(['ai', 'infer', '--model', join(dir, 'mlp.hvai'), '--input', join(dir, 'short.json')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/input has 3 elements/);
    const c = await run(['ai', 'register', '--model', join(dir, 'bad.json')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/bad magic/);
  });
});
