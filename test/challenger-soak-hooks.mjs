// Module hooks for test/challenger-soak-runner.ts, which runs under plain Node 20 (no TypeScript
// loader): a relative `./x.js` import from a .ts module goes to `./x.ts` when that file exists,
// and .ts modules are compiled by the project's TypeScript (types stripped, ESM kept). Hooks run
// in Node's loader thread, so the compiler never sits in the heap the soak measures.
// Registered with `--import data:text/javascript,...register(<this file>)` by the soak test.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from '../node_modules/typescript/lib/typescript.js';

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const asTs = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
