// The JSON file formats of the `ai` commands (documented in ai/DESIGN.md).
export class AiFileError extends Error {
  override readonly name = 'AiFileError';
}

function flatten(v: unknown, out: number[], where: string): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out, where);
  else if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  else throw new AiFileError(`${where}: expected numbers (nested arrays allowed), found ${JSON.stringify(v)}`);
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AiFileError(`${where}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Calibration file: a JSON array of samples; each sample is an array (possibly nested) of reals. */
export function parseCalibration(text: string): number[][] {
  const doc = parse(text, 'calibration');
  if (!Array.isArray(doc) || doc.length === 0) throw new AiFileError('calibration: expected a non-empty array of samples');
  return doc.map((s, i) => {
    const out: number[] = [];
    flatten(s, out, `calibration sample ${i}`);
    return out;
  });
}

export type InferInput = { readonly kind: 'int8'; readonly values: Int8Array } | { readonly kind: 'real'; readonly values: number[] };

/**
 * Input file: a JSON array (possibly nested) of int8 integers in [-128, 127], the input tensor in
 * row-major order; or {"real": [...]} with reals, quantised with the model's input scale.
 */
export function parseInput(text: string): InferInput {
  const doc = parse(text, 'input');
  const out: number[] = [];
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'real' in doc) {
    flatten((doc as { real: unknown }).real, out, 'input.real');
    return { kind: 'real', values: out };
  }
  flatten(doc, out, 'input');
  for (const v of out) if (!Number.isInteger(v) || v < -128 || v > 127) throw new AiFileError(`input: ${v} is not an int8 value`);
  return { kind: 'int8', values: Int8Array.from(out) };
}
