// `npm run bench`: every suite prints ours beside the reference in one run.
// Suites run one after another (two cores: parallel suites would skew both).
import type { BenchRow, BenchSuite } from './report.js';
import { runVmBench } from './vm.js';
import { runDaBlobBench } from './da-blobs.js';
import { runDaEigendaBench } from './da-eigenda.js';
import { runKeccakBench } from './keccak.js';

const SUITES: readonly (readonly [string, BenchSuite])[] = [
  ['vm', runVmBench],
  ['keccak', runKeccakBench],
  ['da-blobs', () => runDaBlobBench()],
  ['da-eigenda', runDaEigendaBench],
  ['replay', async () => (await import('./replay.js')).runReplayBench()],
  ['step', async () => (await import('./step.js')).runStepBench()],
  ['ai', async () => (await import('./ai.js')).runAiBench()],
];

function fmt(n: number | null): string {
  if (n === null) return '—';
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function printRows(rows: readonly BenchRow[]): void {
  for (const r of rows) {
    const ratio =
      r.reference === null || r.reference === 0 || r.ours === 0
        ? ''
        : r.higherIsBetter
          ? `${(r.ours / r.reference).toFixed(1)}x`
          : `${(r.reference / r.ours).toFixed(1)}x`;
    process.stdout.write(
      `${r.suite.padEnd(11)} ${r.workload.padEnd(30)} ${fmt(r.ours).padStart(10)} ${fmt(r.reference).padStart(10)} ${r.unit.padEnd(9)} ${ratio.padStart(7)}  ${r.referenceName ?? ''}${r.note ? `  (${r.note})` : ''}\n`,
    );
  }
}

const only = process.argv.slice(2);
process.stdout.write(`${'suite'.padEnd(11)} ${'workload'.padEnd(30)} ${'ours'.padStart(10)} ${'reference'.padStart(10)} ${'unit'.padEnd(9)} ${'speedup'.padStart(7)}  reference\n`);
let failed = 0;
for (const [name, suite] of SUITES) {
  if (only.length > 0 && !only.includes(name)) continue;
  try {
    printRows(await suite());
  } catch (e) {
    failed++;
    process.stdout.write(`${name.padEnd(11)} FAILED: ${(e as Error).message}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
