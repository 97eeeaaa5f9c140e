// Everything a step commits to is reached through keccak256 preimages: the step state, frames,
// stack links, Merkle nodes, trie nodes, code. A one-step proof is the set of preimages one step
// reads; the verifier resolves the same lookups from that set and nothing else.
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import { bytesToHex, equalBytes, type Hex } from '../util/bytes.js';
import type { BytesByHash } from '../state/witness-trie.js';

/** A step needed a preimage the witness does not hold. */
export class MissingPreimageError extends Error {
  override readonly name = 'MissingPreimageError';
  constructor(
    readonly hash: Hex,
    readonly what: string,
  ) {
    super(`preimage of ${hash} (${what}) is not in the witness`);
  }
}

/** The preimage of `hash` from any store with `get`, or MissingPreimageError naming what it is. */
function preimageIn(store: BytesByHash, hash: Uint8Array, what: string): Uint8Array {
  const key = bytesToHex(hash);
  const v = store.get(key);
  if (v === undefined) throw new MissingPreimageError(key, what);
  return v;
}

export interface Preimages extends BytesByHash {
  /** The bytes whose keccak256 is `hash`; MissingPreimageError when unknown. */
  preimage(hash: Uint8Array, what: string): Uint8Array;
  /** Stores `bytes` and returns its keccak256. */
  put(bytes: Uint8Array): Uint8Array;
  /**
   * Bytes the step computed that its on-chain verifier must be handed (an inference's output):
   * a recording store puts them in the witness; other stores ignore them.
   */
  attest?(bytes: Uint8Array): void;
}

const NO_CODE = new Uint8Array(0);

/** The code whose keccak256 is `codeHash`: empty for keccak(""), which has no preimage to carry. */
export function codeOf(pre: Preimages, codeHash: Uint8Array): Uint8Array {
  return equalBytes(codeHash, KECCAK_EMPTY) ? NO_CODE : pre.preimage(codeHash, 'code');
}

/** Preimages keyed by the 0x-hex of their hash. Every entry is hashed on the way in. */
export class PreimageStore implements Preimages {
  readonly map = new Map<string, Uint8Array>();

  static of(preimages: Iterable<Uint8Array>): PreimageStore {
    const s = new PreimageStore();
    for (const p of preimages) s.put(p);
    return s;
  }

  get(key: string): Uint8Array | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  preimage(hash: Uint8Array, what: string): Uint8Array {
    return preimageIn(this, hash, what);
  }

  put(bytes: Uint8Array): Uint8Array {
    const h = keccak256(bytes);
    this.map.set(bytesToHex(h), bytes);
    return h;
  }

  /** For stores whose caller already knows the hash (trusted prover-side data). */
  putKnown(hash: Uint8Array, bytes: Uint8Array): void {
    this.map.set(bytesToHex(hash), bytes);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * Reads through to `inner`, recording every preimage read (the witness); new entries go to a
 * scratch layer so proving a step never changes the trace's store.
 */
export class RecordingPreimages implements Preimages {
  readonly recorded = new Map<string, Uint8Array>();
  private readonly scratch = new PreimageStore();

  constructor(private readonly inner: Preimages) {}

  get(key: string): Uint8Array | undefined {
    const own = this.scratch.get(key);
    if (own !== undefined) return own;
    const v = this.inner.get(key);
    if (v !== undefined) this.recorded.set(key, v);
    return v;
  }

  has(key: string): boolean {
    return this.scratch.has(key) || this.inner.has(key);
  }

  preimage(hash: Uint8Array, what: string): Uint8Array {
    return preimageIn(this, hash, what);
  }

  put(bytes: Uint8Array): Uint8Array {
    return this.scratch.put(bytes);
  }

  attest(bytes: Uint8Array): void {
    this.recorded.set(bytesToHex(keccak256(bytes)), bytes);
  }

  /** The witness: every preimage read from the inner store, in a stable order. */
  witness(): Uint8Array[] {
    return [...this.recorded.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }
}

/** New entries land in `outer`; reads try `outer` first, then the shared `base`. */
export class LayeredPreimages implements Preimages {
  constructor(
    private readonly base: Preimages,
    private readonly outer: PreimageStore = new PreimageStore(),
  ) {}

  get(key: string): Uint8Array | undefined {
    return this.outer.get(key) ?? this.base.get(key);
  }

  has(key: string): boolean {
    return this.outer.has(key) || this.base.has(key);
  }

  preimage(hash: Uint8Array, what: string): Uint8Array {
    return preimageIn(this, hash, what);
  }

  put(bytes: Uint8Array): Uint8Array {
    return this.outer.put(bytes);
  }
}
