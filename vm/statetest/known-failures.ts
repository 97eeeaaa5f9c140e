// The checked-in list of state-test cases MetisVM is known to fail, each with a reason.
import { readFileSync } from 'node:fs';

export class KnownFailuresFormatError extends Error {
  override readonly name = 'KnownFailuresFormatError';
}

/** Key of one case: `name[Fork:d,g,v]`. */
export function caseKey(name: string, fork: string, index: { data: number; gas: number; value: number }): string {
  return `${name}[${fork}:${index.data},${index.gas},${index.value}]`;
}

export function loadKnownFailures(path: string): Map<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new KnownFailuresFormatError(`cannot read known-failures file ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new KnownFailuresFormatError(`${path}: expected an object of case key -> reason`);
  }
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string' || v.trim() === '') throw new KnownFailuresFormatError(`${path}: ${k} needs a reason`);
    out.set(k, v);
  }
  return out;
}
