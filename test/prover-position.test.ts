// Game-tree position arithmetic against the public vectors in ../shared.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Position, PositionError } from '../prover/game/position.js';

interface Vectors {
  gindex: { gindex: number; depth: number; indexAtDepth: number }[];
  traceIndex: { depth: number; indexAtDepth: number; maxDepth: number; traceIndex: number | string }[];
  attack: { gindex: number; attack: number }[];
  defend: { gindex: number; defend: number }[];
  relativeToAncestorAtDepth: { gindex: number; ancestorDepth: number; relativeGindex: number }[];
}

const V = JSON.parse(readFileSync(new URL('../../shared/fixtures/game/positions.json', import.meta.url), 'utf8')) as Vectors;

describe('Position (shared vectors)', () => {
  it('gindex <-> depth and index at depth', () => {
    expect(V.gindex.length).toBeGreaterThan(0);
    for (const v of V.gindex) {
      const p = new Position(BigInt(v.gindex));
      expect([p.depth, p.indexAtDepth]).toEqual([v.depth, BigInt(v.indexAtDepth)]);
      expect(Position.at(v.depth, BigInt(v.indexAtDepth)).gindex).toBe(BigInt(v.gindex));
    }
  });

  it('trace index', () => {
    for (const v of V.traceIndex) {
      expect(Position.at(v.depth, BigInt(v.indexAtDepth)).traceIndex(v.maxDepth)).toBe(BigInt(v.traceIndex));
    }
  });

  it('attack and defend', () => {
    for (const v of V.attack) expect(new Position(BigInt(v.gindex)).attack().gindex).toBe(BigInt(v.attack));
    for (const v of V.defend) expect(new Position(BigInt(v.gindex)).defend().gindex).toBe(BigInt(v.defend));
  });

  it('relative to an ancestor', () => {
    for (const v of V.relativeToAncestorAtDepth) {
      expect(new Position(BigInt(v.gindex)).relativeToAncestorAtDepth(v.ancestorDepth).gindex).toBe(BigInt(v.relativeGindex));
    }
  });
});

describe('Position properties', () => {
  it('attack and defend children have this position or its right neighbour as parent', () => {
    for (let g = 2n; g < 512n; g++) {
      const p = new Position(g);
      expect(p.attack().parent().gindex).toBe(g);
      expect(p.defend().parent().gindex).toBe(g + 1n);
      // An attack commits to the trace half-way left; the leaf trace index never moves right.
      expect(p.attack().traceIndex(12)).toBeLessThanOrEqual(p.traceIndex(12));
    }
  });

  it('rejects the impossible', () => {
    expect(() => new Position(0n)).toThrow(PositionError);
    expect(() => Position.root().defend()).toThrow(PositionError);
    expect(() => Position.root().parent()).toThrow(PositionError);
    expect(() => Position.at(2, 4n)).toThrow(PositionError);
    expect(() => new Position(8n).relativeToAncestorAtDepth(4)).toThrow(PositionError);
  });

  it('handles OP mainnet depths (73) exactly', () => {
    const leaf = Position.at(73, (1n << 73n) - 1n);
    expect(leaf.traceIndex(73)).toBe((1n << 73n) - 1n);
    expect(Position.root().traceIndex(73)).toBe((1n << 73n) - 1n);
    expect(Position.root().attack().traceIndex(73)).toBe((1n << 72n) - 1n);
  });
});
