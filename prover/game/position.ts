// Positions in the dispute game tree as generalised indices:
// gindex = 2^depth + indexAtDepth, the root is 1 (OP Stack fault dispute game).

export class PositionError extends Error {
  override readonly name = 'PositionError';
}

export class Position {
  readonly gindex: bigint;

  constructor(gindex: bigint) {
    if (gindex < 1n) throw new PositionError(`a generalised index is at least 1, got ${gindex}`);
    this.gindex = gindex;
  }

  static root(): Position {
    return new Position(1n);
  }

  static at(depth: number, indexAtDepth: bigint): Position {
    if (!Number.isInteger(depth) || depth < 0) throw new PositionError(`bad depth ${depth}`);
    if (indexAtDepth < 0n || indexAtDepth >= 1n << BigInt(depth)) {
      throw new PositionError(`index ${indexAtDepth} does not exist at depth ${depth}`);
    }
    return new Position((1n << BigInt(depth)) + indexAtDepth);
  }

  get depth(): number {
    return this.gindex.toString(2).length - 1;
  }

  get indexAtDepth(): bigint {
    return this.gindex - (1n << BigInt(this.depth));
  }

  isRoot(): boolean {
    return this.gindex === 1n;
  }

  parent(): Position {
    if (this.isRoot()) throw new PositionError('the root has no parent');
    return new Position(this.gindex >> 1n);
  }

  /** The left child: disagree with this claim and with its trace up to here. */
  attack(): Position {
    return new Position(this.gindex << 1n);
  }

  /** The right child of this position's parent's right neighbour: agree with the parent, disagree here. */
  defend(): Position {
    if (this.isRoot()) throw new PositionError('the root cannot be defended');
    return new Position((this.gindex + 1n) << 1n);
  }

  /** The rightmost descendant at maxDepth: the trace leaf this claim commits to. */
  rightIndex(maxDepth: number): Position {
    const remaining = maxDepth - this.depth;
    if (remaining < 0) throw new PositionError(`depth ${this.depth} is below max depth ${maxDepth}`);
    const r = BigInt(remaining);
    return new Position(((this.gindex + 1n) << r) - 1n);
  }

  /** Index into the trace of the claim at this position. */
  traceIndex(maxDepth: number): bigint {
    return this.rightIndex(maxDepth).indexAtDepth;
  }

  /** This position seen from its ancestor at `ancestorDepth`, as if that ancestor were the root. */
  relativeToAncestorAtDepth(ancestorDepth: number): Position {
    if (ancestorDepth > this.depth) throw new PositionError(`ancestor depth ${ancestorDepth} is below depth ${this.depth}`);
    const depth = this.depth - ancestorDepth;
    return Position.at(depth, this.indexAtDepth % (1n << BigInt(depth)));
  }

  equals(other: Position): boolean {
    return this.gindex === other.gindex;
  }
}
