// Everything a step state can still read: the preimages reachable from its commitment. A trace
// keeps only these at a checkpoint (old stack links, replaced frames and overwritten tree nodes
// are garbage), so a checkpoint is self-contained and memory stays bounded by the live state.
import { rlpDecode, rlpToList, type RlpItem } from '../rlp/rlp.js';
import { decodeAccount } from '../trie/index.js';
import { EMPTY_TRIE_ROOT } from '../trie/index.js';
import { bytesToHex, equalBytes } from '../util/bytes.js';
import { KECCAK_EMPTY } from '../util/hash.js';
import { ZERO_HASHES, TREE_DEPTH } from './bintree.js';
import { EMPTY_CHAIN } from './chain.js';
import { PreimageStore, type Preimages } from './preimages.js';
import { EMPTY_BLOOM_HASH } from './boundary.js';
import { readChunk } from './bintree.js';
import { OP_CODECOPY, OP_EXTCODECOPY, OP_MCOPY } from './pending.js';
import { decodeBlockContext, decodeBlockInputs, decodeFrame, decodePendingCopy, decodeSnapshot, decodeStepState, decodeTxContext } from './state.js';

const ZERO32 = new Uint8Array(32);

class Collector {
  readonly out = new PreimageStore();
  constructor(private readonly pre: Preimages) {}

  /** Copies the preimage of `h`; false when it was already copied (its subtree too). */
  take(h: Uint8Array, what: string): Uint8Array | null {
    const key = bytesToHex(h);
    if (this.out.has(key)) return null;
    const v = this.pre.preimage(h, what);
    this.out.putKnown(h, v);
    return v;
  }

  tree(root: Uint8Array, height = TREE_DEPTH): void {
    if (height === 0 || equalBytes(root, ZERO_HASHES[height]!)) return;
    const pair = this.take(root, 'tree node');
    if (pair === null) return;
    this.tree(pair.subarray(0, 32), height - 1);
    this.tree(pair.subarray(32, 64), height - 1);
  }

  chain(head: Uint8Array, onItem?: (item: Uint8Array) => void): void {
    let h = head;
    while (!equalBytes(h, EMPTY_CHAIN)) {
      const link = this.take(h, 'chain link');
      if (link === null) return;
      onItem?.(link.subarray(32, 64));
      h = link.subarray(0, 32);
    }
  }

  /** A log's RLP (kept by traces made since logs carry their preimage). */
  logPreimage(h: Uint8Array): void {
    if (this.pre.has(bytesToHex(h))) this.take(h, 'log');
  }

  code(h: Uint8Array): void {
    // Codes of accounts nothing ran are not in a partial witness either.
    if (!equalBytes(h, KECCAK_EMPTY) && this.pre.has(bytesToHex(h))) this.take(h, 'code');
  }

  /** A trie (and, for the state trie, every account's storage trie and code; for the model registry, the models). */
  trie(root: Uint8Array, accounts: boolean | 'models'): void {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return;
    // A state witness is a partial trie: subtrees nothing read were never in the store.
    if (!this.pre.has(bytesToHex(root))) return;
    const enc = this.take(root, 'trie node');
    if (enc === null) return;
    this.node(rlpDecode(enc), accounts);
  }

  private ref(item: RlpItem, accounts: boolean | 'models'): void {
    if (item instanceof Uint8Array) {
      if (item.length === 32) this.trie(item, accounts);
      return;
    }
    this.node(item, accounts); // an embedded node
  }

  private node(item: RlpItem, accounts: boolean | 'models'): void {
    const fields = rlpToList(item, 'trie node');
    if (fields.length === 17) {
      for (let i = 0; i < 16; i++) this.ref(fields[i]!, accounts);
      return;
    }
    const path = fields[0] as Uint8Array;
    const isLeaf = (path[0]! >> 4) >= 2;
    if (!isLeaf) return this.ref(fields[1]!, accounts);
    if (accounts === 'models') {
      this.take(fields[1] as Uint8Array, 'inference model');
    } else if (accounts) {
      const a = decodeAccount(fields[1] as Uint8Array);
      this.trie(a.storageRoot, false);
      this.code(a.codeHash);
    }
  }

  frame(h: Uint8Array): void {
    const enc = this.take(h, 'frame');
    if (enc === null) return;
    const f = decodeFrame(enc);
    this.code(f.codeHash);
    this.tree(f.calldataRoot);
    this.chain(f.stackHash);
    this.tree(f.memoryRoot);
    this.tree(f.returnDataRoot);
    if (!equalBytes(f.pendingHash, ZERO32)) {
      const rec = this.take(f.pendingHash, 'pending record');
      if (rec !== null && rec.length === 6 * 32) {
        const c = decodePendingCopy(rec);
        if (c.op === OP_CODECOPY || c.op === OP_EXTCODECOPY) this.code(c.sourceRoot);
        else if (c.op !== OP_MCOPY) this.tree(c.sourceRoot);
      }
    }
    const snap = this.take(f.snapshotHash, 'snapshot');
    if (snap !== null) {
      const s = decodeSnapshot(snap);
      this.trie(s.worldRoot, true);
      this.trie(s.accessRoot, false);
      this.trie(s.transientRoot, false);
      this.trie(s.selfdestructRoot, false);
      this.chain(s.logsHash, (logHash) => this.logPreimage(logHash));
    }
  }
}

/** The preimages a step state (given by its encoding) can reach, copied out of `pre`. */
export function reachablePreimages(encoding: Uint8Array, pre: Preimages): PreimageStore {
  const c = new Collector(pre);
  const s = decodeStepState(encoding);
  c.out.put(encoding);
  const block = equalBytes(s.blockHash, ZERO32) ? null : c.take(s.blockHash, 'block context');
  if (block !== null) {
    const b = decodeBlockContext(block);
    c.tree(b.ancestorsRoot);
    c.trie(b.modelsRoot, 'models');
  }
  const tx = equalBytes(s.txHash, ZERO32) ? null : c.take(s.txHash, 'tx context');
  if (tx !== null) {
    const t = decodeTxContext(tx);
    if (!equalBytes(t.blobHashesHash, KECCAK_EMPTY)) c.take(t.blobHashesHash, 'blob hashes');
  }
  c.trie(s.worldRoot, true);
  c.trie(s.txStartRoot, true);
  c.trie(s.accessRoot, false);
  c.trie(s.transientRoot, false);
  c.trie(s.createdRoot, false);
  c.trie(s.selfdestructRoot, false);
  c.chain(s.logsHash, (logHash) => c.logPreimage(logHash));
  c.chain(s.frameStackHash, (frameHash) => c.frame(frameHash));
  if (!equalBytes(s.frameHash, ZERO32)) c.frame(s.frameHash);
  if (!equalBytes(s.resultHash, ZERO32)) {
    const r = c.take(s.resultHash, 'result');
    if (r !== null) c.tree(r.subarray(96, 128));
  }
  if (!equalBytes(s.inputsHash, ZERO32)) {
    const rec = c.take(s.inputsHash, 'block inputs');
    if (rec !== null) {
      const inputs = decodeBlockInputs(rec);
      c.take(inputs.headerTemplateHash, 'header template');
      const ctx = c.take(inputs.contextHash, 'block context');
      if (ctx !== null) {
        const b = decodeBlockContext(ctx);
        c.tree(b.ancestorsRoot);
        c.trie(b.modelsRoot, 'models');
      }
      c.tree(inputs.txListRoot);
      for (let i = 0; i < inputs.txCount; i++) c.take(readChunk(pre, inputs.txListRoot, i), 'transaction');
    }
  }
  c.trie(s.receiptsRoot, false);
  if (!equalBytes(s.bloomHash, ZERO32) && !equalBytes(s.bloomHash, EMPTY_BLOOM_HASH)) c.take(s.bloomHash, 'logs bloom');
  if (!equalBytes(s.outputRoot, ZERO32)) c.take(s.outputRoot, 'output root');
  return c.out;
}
