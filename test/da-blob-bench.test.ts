// The da-blobs bench runs end to end (its internal cross-checks throw on disagreement); no timing is asserted.
import { describe, expect, it } from 'vitest';
import { runDaBlobBench } from '../bench/da-blobs.js';

describe('bench da-blobs', () => {
  it('produces its rows after cross-checking ours against the references', async () => {
    const rows = await runDaBlobBench({ runs: 1, blobs: 2 });
    expect(rows.map((r) => r.workload)).toEqual(['op-blob-decode-130044B', 'op-blob-encode-130044B', 'kzg-verify-blob', 'fetch-verify-2-blobs-anvil']);
    for (const r of rows) {
      expect(r.suite).toBe('da-blobs');
      expect(Number.isFinite(r.ours) && r.ours > 0).toBe(true);
      expect(r.reference === null || (Number.isFinite(r.reference) && r.reference > 0)).toBe(true);
      expect(r.reference === null).toBe(r.referenceName === null);
    }
  });
});
