// AI inference: inferences/s of the reference integer evaluator vs the pinned onnxruntime fast
// path (every node output exposed, as the fast path runs it), on the project MLP and on
// hello_deepa (openwakeword-js), both quantised by our quantiser; and the time to build a trace
// commitment. The fast path only counts if it matched the reference on this machine.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchRow } from './report.js';
import { buildFloatMlp, MLP_INPUT, seededReals } from '../ai/onnx/mlp.js';
import { quantizeOnnx } from '../ai/quantize.js';
import { evaluate } from '../ai/reference.js';
import { checkFastPath, defaultCorpus, FastPath } from '../ai/fast-path.js';
import { commitTrace } from '../ai/trace.js';
import type { IntModel } from '../ai/model.js';

function helloDeepaPath(): string {
  // Walk up from this file to the node_modules holding openwakeword-js (it exports no file paths).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'node_modules', 'openwakeword-js', 'models', 'hello_deepa.onnx');
    if (existsSync(p) || dirname(dir) === dir) return p;
    dir = dirname(dir);
  }
}

async function timeLoop(minMs: number, f: () => unknown): Promise<number> {
  for (let i = 0; i < 5; i++) await f();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    await f();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function benchModel(name: string, m: IntModel): Promise<BenchRow[]> {
  const input = defaultCorpus(m, 1, 99)[3];
  const ref = await timeLoop(1000, () => evaluate(m, input));
  const check = await checkFastPath(m, defaultCorpus(m, 4), () => {});
  let fast: number | null = null;
  if (check.enabled) {
    const fp = await FastPath.create(m);
    fast = await timeLoop(1000, () => fp.evaluate(input));
    await fp.release();
  }
  const ev = evaluate(m, input);
  const commits = await timeLoop(500, () => commitTrace(m, ev));
  return [
    {
      suite: 'ai', workload: `${name} inference (all node outputs)`, unit: 'inferences/s', ours: ref,
      reference: fast, referenceName: 'onnxruntime-node (pinned, integer graph)', higherIsBetter: true,
      note: check.enabled ? 'ours = reference TS evaluator' : `fast path disabled: ${check.reason ?? ''}`,
    },
    {
      suite: 'ai', workload: `${name} trace commitment`, unit: 'ms', ours: 1000 / commits,
      reference: null, referenceName: null, higherIsBetter: false,
      note: `${m.nodes.length + 1} leaves, keccak Merkle over 32-byte chunks`,
    },
  ];
}

export async function runAiBench(): Promise<BenchRow[]> {
  const mlpCal = Array.from({ length: 32 }, (_, i) => seededReals(100 + i, MLP_INPUT, 2));
  const mlp = await quantizeOnnx(buildFloatMlp(), mlpCal);
  const deepaCal = Array.from({ length: 16 }, (_, i) => seededReals(200 + i, 2400, 3));
  const deepa = await quantizeOnnx(new Uint8Array(readFileSync(helloDeepaPath())), deepaCal);
  return [...(await benchModel('mlp-16-32-32-10', mlp.model)), ...(await benchModel('hello_deepa', deepa.model))];
}
