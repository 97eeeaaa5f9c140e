// Conformance: every GeneralStateTests fixture in ../shared must pass on MetisVM,
// except the cases listed with a reason in vm/statetest/known-failures.json.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseStateTestFile } from '../vm/statetest/fixture.js';
import { runStateTestCase } from '../vm/statetest/runner.js';
import { caseKey, loadKnownFailures } from '../vm/statetest/known-failures.js';

const ROOT = fileURLToPath(new URL('../../shared/fixtures/ethereum-tests/GeneralStateTests/', import.meta.url));
const KNOWN = loadKnownFailures(fileURLToPath(new URL('../vm/statetest/known-failures.json', import.meta.url)));
// Files too slow for CI, each with its reason (run them with `hyperion-verify vm statetest`).
const TOO_SLOW = loadKnownFailures(fileURLToPath(new URL('../vm/statetest/too-slow.json', import.meta.url)));

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (e.endsWith('.json')) out.push(p);
  }
  return out;
}

const groups = readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory()).sort();

describe('GeneralStateTests (Cancun fixtures)', () => {
  it('has the fixture set the brief names', () => {
    expect(jsonFiles(ROOT).length).toBeGreaterThanOrEqual(2304);
  });

  for (const group of groups) {
    it(group, () => {
      const failures: string[] = [];
      let cases = 0;
      for (const file of jsonFiles(join(ROOT, group))) {
        if (TOO_SLOW.has(file.slice(ROOT.length))) continue;
        for (const c of parseStateTestFile(JSON.parse(readFileSync(file, 'utf8')) as unknown)) {
          const r = runStateTestCase(c);
          // Pyspecs fixtures carry pre-Cancun forks too; MetisVM starts at Cancun.
          if (r.skipped) continue;
          cases++;
          const key = caseKey(r.name, r.fork, r.index);
          if (!r.pass && !KNOWN.has(key)) failures.push(`${key}: ${r.error} (expected ${r.expectedRoot}, got ${r.actualRoot})`);
          // A listed case that now passes must come off the list.
          if (r.pass && KNOWN.has(key)) failures.push(`${key}: passes now; remove it from known-failures.json`);
        }
      }
      expect(cases).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    });
  }
});
