// Trace-ancestor arithmetic (LibPosition.traceAncestor / traceAncestorBounded) by its definition.
import { describe, expect, it } from 'vitest';
import { Position } from '../prover/game/position.js';
import { ClaimTreeError, traceAncestor, traceAncestorBounded } from '../prover/game/tree.js';

const MAX = 9;

describe('trace ancestors', () => {
  it('is the highest ancestor committing to the same trace index', () => {
    for (let g = 1n; g < 1n << BigInt(MAX + 1); g++) {
      const p = new Position(g);
      const a = traceAncestor(p);
      expect(a.traceIndex(MAX)).toBe(p.traceIndex(MAX));
      // a is p or an ancestor of p, and its parent (if any) commits elsewhere.
      expect(p.gindex >> BigInt(p.depth - a.depth)).toBe(a.gindex);
      if (!a.isRoot()) expect(a.parent().traceIndex(MAX)).not.toBe(p.traceIndex(MAX));
    }
    expect(traceAncestor(new Position(0b1011n)).gindex).toBe(0b10n);
    expect(traceAncestor(new Position(0b111n)).gindex).toBe(1n);
    expect(traceAncestor(new Position(0b1010n)).gindex).toBe(0b1010n);
  });

  it('bounded: stays below the split depth', () => {
    const split = 3;
    for (let g = 1n << BigInt(split + 1); g < 1n << BigInt(MAX + 1); g++) {
      const p = new Position(g);
      const a = traceAncestorBounded(p, split);
      expect(a.depth).toBeGreaterThan(split);
      expect(a.traceIndex(MAX)).toBe(p.traceIndex(MAX));
      if (a.depth > split + 1) expect(a.parent().traceIndex(MAX) !== p.traceIndex(MAX) || a.parent().depth <= split).toBe(true);
    }
    // All ones below the split goes up to the subtree's top, then back down to depth split + 1.
    expect(traceAncestorBounded(Position.at(6, 63n), split).gindex).toBe(Position.at(split + 1, 15n).gindex);
    expect(() => traceAncestorBounded(Position.at(3, 1n), split)).toThrow(ClaimTreeError);
  });
});
