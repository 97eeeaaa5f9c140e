// A Merkle-Patricia trie of which only some nodes are known (a stateless witness):
// lookups, inserts and deletions that resolve hashed nodes from a node store on
// demand, and the root hash afterwards. Any operation that needs a node the store
// lacks throws MissingNodeError naming it; nothing is ever guessed. Updates are
// functional (new nodes, old ones untouched) so decoded witness nodes are shared
// safely between readers and writers.
import { keccak256 } from '../util/hash.js';
import { bytesToHex, equalBytes, type Hex } from '../util/bytes.js';
import { rlpDecode, rlpEncodeBytes, rlpListHeader, RlpError, type RlpItem } from '../rlp/rlp.js';
import { EMPTY_TRIE_ROOT } from '../trie/index.js';

/** The witness is malformed: an undecodable or non-canonical node, a node filed under the wrong hash. */
export class WitnessError extends Error {
  override readonly name = 'WitnessError';
}

/** An operation needs a hashed node that the node store does not hold. */
export class MissingNodeError extends Error {
  override readonly name = 'MissingNodeError';
  constructor(
    /** keccak256 of the missing node. */
    readonly hash: Hex,
    /** Nibbles from the root to the missing node, as hex digits. */
    readonly path: string,
  ) {
    super(`trie node ${hash} at path '${path}' is not in the witness`);
  }
}

/** Key paths are nibble arrays (one nibble per byte). */
type Nibbles = Uint8Array;

export type TrieNode =
  | { readonly kind: 'hash'; readonly hash: Uint8Array }
  | { readonly kind: 'branch'; readonly children: readonly (TrieNode | null)[]; readonly value: Uint8Array | null }
  | { readonly kind: 'extension'; readonly path: Nibbles; readonly child: TrieNode }
  | { readonly kind: 'leaf'; readonly path: Nibbles; readonly value: Uint8Array };

type BranchNode = Extract<TrieNode, { kind: 'branch' }>;
/** A node with its content at hand (not a bare hash reference). */
type ResolvedNode = Exclude<TrieNode, { kind: 'hash' }>;

export function keyToNibbles(key: Uint8Array): Nibbles {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 0x0f;
  }
  return out;
}

function nibblesToString(n: Nibbles): string {
  let s = '';
  for (const x of n) s += x.toString(16);
  return s;
}

function concatNibbles(a: Nibbles | readonly number[], b: Nibbles): Nibbles {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function commonPrefix(a: Nibbles, b: Nibbles): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

// ---- decoding -------------------------------------------------------------

/** Hex-prefix (Yellow Paper appendix C) to nibbles and the leaf flag. */
function decodeHexPrefix(b: Uint8Array): { path: Nibbles; leaf: boolean } {
  if (b.length === 0) throw new WitnessError('malformed trie node: empty hex-prefix path');
  const flag = b[0]! >> 4;
  if (flag > 3) throw new WitnessError(`malformed trie node: hex-prefix flag ${flag}`);
  const odd = (flag & 1) === 1;
  if (!odd && (b[0]! & 0x0f) !== 0) throw new WitnessError('malformed trie node: non-zero hex-prefix padding');
  const path = new Uint8Array((b.length - 1) * 2 + (odd ? 1 : 0));
  let o = 0;
  if (odd) path[o++] = b[0]! & 0x0f;
  for (let i = 1; i < b.length; i++) {
    path[o++] = b[i]! >> 4;
    path[o++] = b[i]! & 0x0f;
  }
  return { path, leaf: flag >= 2 };
}

function encodeHexPrefix(path: Nibbles, leaf: boolean): Uint8Array {
  const odd = path.length & 1;
  const out = new Uint8Array((path.length >> 1) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = 0;
  if (odd) out[0]! |= path[i++]!;
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

function asBytes(item: RlpItem, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new WitnessError(`malformed trie node: ${what} is a list`);
  return item;
}

/** A child slot: empty, a 32-byte hash, or a node under 32 bytes embedded in place. */
function decodeChild(item: RlpItem): TrieNode | null {
  if (item instanceof Uint8Array) {
    if (item.length === 0) return null;
    if (item.length !== 32) throw new WitnessError(`malformed trie node: child reference of ${item.length} bytes`);
    return { kind: 'hash', hash: item };
  }
  const node = decodeItem(item);
  // Embedding is only allowed (and required) for nodes shorter than 32 bytes.
  if (encodeNode(node).length >= 32) throw new WitnessError('malformed trie node: embedded node of 32 bytes or more');
  return node;
}

function decodeItem(item: RlpItem): ResolvedNode {
  if (item instanceof Uint8Array) throw new WitnessError('malformed trie node: byte string instead of a list');
  if (item.length === 17) {
    const children: (TrieNode | null)[] = new Array(16);
    let entries = 0;
    for (let i = 0; i < 16; i++) {
      children[i] = decodeChild(item[i]!);
      if (children[i] !== null) entries++;
    }
    const v = asBytes(item[16]!, 'branch value');
    const value = v.length === 0 ? null : v;
    if (value !== null) entries++;
    // A canonical trie never keeps a branch with a single entry: it would be a leaf or extension.
    if (entries < 2) throw new WitnessError(`malformed trie node: branch with ${entries} entr${entries === 1 ? 'y' : 'ies'}`);
    return { kind: 'branch', children, value };
  }
  if (item.length === 2) {
    const { path, leaf } = decodeHexPrefix(asBytes(item[0]!, 'path'));
    if (leaf) {
      const value = asBytes(item[1]!, 'leaf value');
      if (value.length === 0) throw new WitnessError('malformed trie node: leaf with an empty value');
      return { kind: 'leaf', path, value };
    }
    if (path.length === 0) throw new WitnessError('malformed trie node: extension with an empty path');
    const child = decodeChild(item[1]!);
    if (child === null) throw new WitnessError('malformed trie node: extension without a child');
    if (child.kind === 'leaf' || child.kind === 'extension') {
      throw new WitnessError(`malformed trie node: extension pointing at an embedded ${child.kind}`);
    }
    return { kind: 'extension', path, child };
  }
  throw new WitnessError(`malformed trie node: list of ${item.length} items`);
}

// ---- encoding and hashing ---------------------------------------------------

// Encodings of nodes built or decoded here; nodes never change, so this cannot go stale.
const encodings = new WeakMap<object, Uint8Array>();
/** Nodes that came from a store (as opposed to built by an update). */
const decodedNodes = new WeakSet<object>();

const EMPTY_REF = Uint8Array.of(0x80);

/** The bytes a parent embeds for `node`: its RLP if under 32 bytes, else the RLP of its hash. */
function reference(node: TrieNode | null): Uint8Array {
  if (node === null) return EMPTY_REF;
  if (node.kind === 'hash') return rlpEncodeBytes(node.hash);
  const enc = encodeNode(node);
  return enc.length < 32 ? enc : rlpEncodeBytes(keccak256(enc));
}

function list(parts: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const header = rlpListHeader(len);
  const out = new Uint8Array(header.length + len);
  out.set(header);
  let o = header.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeNode(node: ResolvedNode): Uint8Array {
  const cached = encodings.get(node);
  if (cached !== undefined) return cached;
  let enc: Uint8Array;
  switch (node.kind) {
    case 'leaf':
      enc = list([rlpEncodeBytes(encodeHexPrefix(node.path, true)), rlpEncodeBytes(node.value)]);
      break;
    case 'extension':
      enc = list([rlpEncodeBytes(encodeHexPrefix(node.path, false)), reference(node.child)]);
      break;
    case 'branch': {
      const parts = node.children.map(reference);
      parts.push(node.value === null ? EMPTY_REF : rlpEncodeBytes(node.value));
      enc = list(parts);
      break;
    }
  }
  encodings.set(node, enc);
  return enc;
}

/** Root hash of a trie (the root is hashed even when its RLP is under 32 bytes). */
export function nodeHash(root: TrieNode | null): Uint8Array {
  if (root === null) return EMPTY_TRIE_ROOT.slice();
  if (root.kind === 'hash') return root.hash.slice();
  return keccak256(encodeNode(root));
}

// ---- the node store ---------------------------------------------------------

/** Decodes witness nodes on first use (checking each against its hash) and keeps them. */
/** Byte strings looked up by the 0x-hex of their keccak256 (a Map, or a preimage oracle). */
export interface BytesByHash {
  get(key: string): Uint8Array | undefined;
  has(key: string): boolean;
}

export class NodeStore {
  private readonly decoded = new Map<string, ResolvedNode>();

  constructor(private readonly nodes: BytesByHash) {}

  has(hash: Uint8Array): boolean {
    return this.nodes.has(bytesToHex(hash));
  }

  /** The node behind `hash`; `path` (the nibbles leading to it) only names it in errors. */
  resolve(hash: Uint8Array, path: Nibbles | readonly number[]): ResolvedNode {
    const key = bytesToHex(hash);
    const hit = this.decoded.get(key);
    if (hit !== undefined) return hit;
    const raw = this.nodes.get(key);
    if (raw === undefined) throw new MissingNodeError(key, nibblesToString(Uint8Array.from(path)));
    // A hand-built witness could file a node under the wrong key; the root's guarantee rests on this check.
    if (!equalBytes(keccak256(raw), hash)) throw new WitnessError(`witness node filed under ${key} has another hash`);
    let item: RlpItem;
    try {
      item = rlpDecode(raw);
    } catch (e) {
      if (e instanceof RlpError) throw new WitnessError(`witness node ${key}: ${e.message}`);
      throw e;
    }
    const node = decodeItem(item);
    // Remember the encoding so that re-hashing an untouched node is free.
    encodings.set(node, raw);
    decodedNodes.add(node);
    this.decoded.set(key, node);
    return node;
  }
}

// ---- the trie -----------------------------------------------------------------

/** A trie over a node store, starting from a root hash; `put`/`del` change only this object. */
export class PartialTrie {
  private root: TrieNode | null;

  constructor(
    private readonly store: NodeStore,
    rootHash: Uint8Array,
  ) {
    if (rootHash.length !== 32) throw new WitnessError(`trie root must be 32 bytes, got ${rootHash.length}`);
    this.root = equalBytes(rootHash, EMPTY_TRIE_ROOT) ? null : { kind: 'hash', hash: rootHash };
  }

  /** The value at `key`, or null when the known nodes prove it absent. */
  get(key: Uint8Array): Uint8Array | null {
    const k = keyToNibbles(key);
    let node = this.root;
    let pos = 0;
    let underExtension = false;
    for (;;) {
      if (node === null) return null;
      if (node.kind === 'hash') {
        node = this.store.resolve(node.hash, k.subarray(0, pos));
        if (underExtension && node.kind !== 'branch') {
          throw new WitnessError(`malformed trie: extension at '${nibblesToString(k.subarray(0, pos))}' points at a ${node.kind}`);
        }
      }
      underExtension = false;
      switch (node.kind) {
        case 'leaf': {
          const rest = k.length - pos;
          return rest === node.path.length && commonPrefix(node.path, k.subarray(pos)) === rest ? node.value : null;
        }
        case 'extension': {
          const n = node.path.length;
          if (k.length - pos < n || commonPrefix(node.path, k.subarray(pos, pos + n)) !== n) return null;
          pos += n;
          node = node.child;
          underExtension = true;
          continue;
        }
        case 'branch':
          if (pos === k.length) return node.value;
          node = node.children[k[pos]!] ?? null;
          pos++;
          continue;
      }
    }
  }

  put(key: Uint8Array, value: Uint8Array): void {
    if (value.length === 0) throw new WitnessError('trie values must not be empty (delete instead)');
    this.root = this.insert(this.root, keyToNibbles(key), 0, value);
  }

  del(key: Uint8Array): void {
    this.root = this.remove(this.root, keyToNibbles(key), 0);
  }

  rootHash(): Uint8Array {
    return nodeHash(this.root);
  }

  /**
   * Hands out the encoding of every node built since the trie was opened that is referenced by
   * hash (32 bytes or more, or the root): what a node store must learn to reopen the new root.
   */
  newNodes(f: (encoded: Uint8Array) => void): void {
    const walk = (node: TrieNode | null, isRoot: boolean): void => {
      if (node === null || node.kind === 'hash') return;
      // Nodes decoded from the store are already there, and so is everything below them.
      if (decodedNodes.has(node)) return;
      const enc = encodeNode(node);
      if (isRoot || enc.length >= 32) f(enc);
      if (node.kind === 'branch') for (const c of node.children) walk(c, false);
      else if (node.kind === 'extension') walk(node.child, false);
    };
    walk(this.root, true);
  }

  private resolved(node: TrieNode, key: Nibbles, pos: number): ResolvedNode {
    return node.kind === 'hash' ? this.store.resolve(node.hash, key.subarray(0, pos)) : node;
  }

  private insert(node: TrieNode | null, key: Nibbles, pos: number, value: Uint8Array): TrieNode {
    if (node === null) return { kind: 'leaf', path: key.slice(pos), value };
    const n = this.resolved(node, key, pos);
    const rest = key.subarray(pos);
    switch (n.kind) {
      case 'leaf': {
        const c = commonPrefix(n.path, rest);
        if (c === n.path.length && c === rest.length) return { kind: 'leaf', path: n.path, value };
        const branch = twoEntryBranch(n.path.subarray(c), n.value, rest.subarray(c), value);
        return c === 0 ? branch : { kind: 'extension', path: rest.slice(0, c), child: branch };
      }
      case 'extension': {
        const c = commonPrefix(n.path, rest);
        if (c === n.path.length) {
          return { kind: 'extension', path: n.path, child: this.insert(n.child, key, pos + c, value) };
        }
        // The extension splits at nibble c; its remainder (or its child branch) hangs below.
        const tail = n.path.subarray(c + 1);
        const lower: TrieNode = tail.length === 0 ? n.child : { kind: 'extension', path: tail.slice(), child: n.child };
        const children: (TrieNode | null)[] = new Array<TrieNode | null>(16).fill(null);
        children[n.path[c]!] = lower;
        let branchValue: Uint8Array | null = null;
        if (c === rest.length) branchValue = value;
        else children[rest[c]!] = { kind: 'leaf', path: rest.slice(c + 1), value };
        const branch: TrieNode = { kind: 'branch', children, value: branchValue };
        return c === 0 ? branch : { kind: 'extension', path: rest.slice(0, c), child: branch };
      }
      case 'branch': {
        if (rest.length === 0) return { kind: 'branch', children: n.children, value };
        const children = n.children.slice();
        children[rest[0]!] = this.insert(n.children[rest[0]!] ?? null, key, pos + 1, value);
        return { kind: 'branch', children, value: n.value };
      }
    }
  }

  /** Returns `node` itself when the key is absent, so untouched subtrees keep their hashes. */
  private remove(node: TrieNode | null, key: Nibbles, pos: number): TrieNode | null {
    if (node === null) return null;
    const n = this.resolved(node, key, pos);
    const rest = key.subarray(pos);
    switch (n.kind) {
      case 'leaf':
        return n.path.length === rest.length && commonPrefix(n.path, rest) === rest.length ? null : node;
      case 'extension': {
        const len = n.path.length;
        if (rest.length < len || commonPrefix(n.path, rest) !== len) return node;
        const child = this.remove(n.child, key, pos + len);
        if (child === n.child) return node;
        return this.prepend(n.path, child, key, pos + len);
      }
      case 'branch': {
        let children = n.children;
        let value = n.value;
        let at = -1;
        if (rest.length === 0) {
          if (value === null) return node;
          value = null;
        } else {
          at = rest[0]!;
          const child = this.remove(n.children[at] ?? null, key, pos + 1);
          if (child === n.children[at]) return node;
          children = n.children.slice();
          (children as (TrieNode | null)[])[at] = child;
        }
        let count = value === null ? 0 : 1;
        let only = -1;
        for (let i = 0; i < 16; i++) {
          if (children[i] !== null) {
            count++;
            only = i;
          }
        }
        if (count >= 2) return { kind: 'branch', children, value };
        if (count === 0) return null;
        if (value !== null) return { kind: 'leaf', path: new Uint8Array(0), value };
        // One child left: the branch collapses into it, so we must know what it is.
        const prefix = Uint8Array.from(key.subarray(0, pos));
        const path = concatNibbles(prefix, Uint8Array.of(only));
        return this.prepend(Uint8Array.of(only), children[only] ?? null, path, path.length);
      }
    }
  }

  /** `path` followed by `child` (reached at key[0, pos)), merged into the canonical node. */
  private prepend(path: Nibbles, child: TrieNode | null, key: Nibbles, pos: number): TrieNode | null {
    if (child === null) return null;
    const c = this.resolved(child, key, pos);
    switch (c.kind) {
      case 'branch':
        // An unchanged child keeps its hash reference.
        return { kind: 'extension', path: Uint8Array.from(path), child };
      case 'leaf':
        return { kind: 'leaf', path: concatNibbles(path, c.path), value: c.value };
      case 'extension':
        return { kind: 'extension', path: concatNibbles(path, c.path), child: c.child };
    }
  }
}

/** A branch holding two diverging entries (either may end here and become the value). */
function twoEntryBranch(aPath: Nibbles, aValue: Uint8Array, bPath: Nibbles, bValue: Uint8Array): BranchNode {
  const children: (TrieNode | null)[] = new Array<TrieNode | null>(16).fill(null);
  let value: Uint8Array | null = null;
  if (aPath.length === 0) value = aValue;
  else children[aPath[0]!] = { kind: 'leaf', path: aPath.slice(1), value: aValue };
  if (bPath.length === 0) value = bValue;
  else children[bPath[0]!] = { kind: 'leaf', path: bPath.slice(1), value: bValue };
  return { kind: 'branch', children, value };
}
