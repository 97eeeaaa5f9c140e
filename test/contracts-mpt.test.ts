// LibMPT and LibRLP (contracts/src) against the TypeScript trie on a real anvil: after every
// insert, update and delete of random key sets the contract's root equals PartialTrie's
// (vm/state/witness-trie.ts) and its new nodes are the ones PartialTrie creates, with exactly the
// nodes PartialTrie read as the witness; lookups agree; missing, tampered and malformed nodes
// revert with typed errors. Gas per operation at state-trie depths is printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, getAddress, type Abi, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { CONTRACT_COMPILE_OPTIONS, readContractSources } from '../contracts/artifacts.js';
import { compileSolidity, contractNamed } from '../contracts/solc.js';
import { deployContract, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { NodeStore, PartialTrie, WitnessError, type BytesByHash } from '../vm/state/witness-trie.js';
import { decodeAccount, EMPTY_TRIE_ROOT, trieRoot } from '../vm/trie/index.js';
import { postStateRoot, witnessFromNodes, WitnessState } from '../vm/state/witness.js';
import type { AccountChange } from '../vm/state/world.js';
import type { Address } from '../vm/util/address.js';
import { rlpDecode, rlpEncode, RlpError } from '../vm/rlp/rlp.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../vm/util/hash.js';
import { rng } from './support/rng.js';

let anvil: AnvilNode;
let clients: L1Clients;
let harness: Hex;
let abi: Abi;

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  // Only the harness and the libraries it imports, with the artifacts' settings: other contracts
  // being edited elsewhere cannot break this suite.
  const all = readContractSources();
  const mine = Object.fromEntries(['LibRLP.sol', 'LibMPT.sol', 'test/MPTHarness.sol'].map((f) => [f, all[f]!]));
  const artifact = contractNamed(compileSolidity(mine, CONTRACT_COMPILE_OPTIONS), 'MPTHarness');
  abi = artifact.abi;
  harness = (await deployContract(clients, artifact)).address;
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
});

// ---- calling the harness ------------------------------------------------------------------

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; args: readonly unknown[] };

async function call<T>(functionName: string, args: readonly unknown[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: (await clients.public.readContract({ address: harness, abi, functionName, args })) as T };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) {
      return { ok: false, error: revert.data?.errorName ?? revert.shortMessage, args: revert.data?.args ?? [] };
    }
    throw e;
  }
}

async function must<T>(functionName: string, args: readonly unknown[]): Promise<T> {
  const r = await call<T>(functionName, args);
  if (!r.ok) throw new Error(`${functionName} reverted: ${r.error}(${r.args.map(String).join(', ')})`);
  return r.value;
}

const hex = (b: Uint8Array): Hex => bytesToHex(b);

// ---- the TypeScript reference ---------------------------------------------------------------

/** A node map that records which nodes a PartialTrie reads: the witness of one operation. */
function recording(nodes: ReadonlyMap<string, Uint8Array>): { store: BytesByHash; read: Map<string, Uint8Array> } {
  const read = new Map<string, Uint8Array>();
  return {
    read,
    store: {
      get(key: string) {
        const v = nodes.get(key);
        if (v !== undefined) read.set(key, v);
        return v;
      },
      has: (key: string) => nodes.has(key),
    },
  };
}

type Op = { readonly key: Uint8Array; readonly value: Uint8Array | null };

interface Reference {
  readonly root: Uint8Array;
  readonly witness: Uint8Array[];
  readonly newNodes: Uint8Array[];
}

/** One put (or delete, value null) on the TypeScript trie: the new root, the nodes read, the nodes made. */
function reference(nodes: ReadonlyMap<string, Uint8Array>, root: Uint8Array, op: Op): Reference {
  const { store, read } = recording(nodes);
  const trie = new PartialTrie(new NodeStore(store), root);
  if (op.value === null) trie.del(op.key);
  else trie.put(op.key, op.value);
  const newNodes: Uint8Array[] = [];
  trie.newNodes((n) => newNodes.push(n));
  return { root: trie.rootHash(), witness: [...read.values()], newNodes };
}

function referenceGet(nodes: ReadonlyMap<string, Uint8Array>, root: Uint8Array, key: Uint8Array): { value: Uint8Array | null; witness: Uint8Array[] } {
  const { store, read } = recording(nodes);
  const value = new PartialTrie(new NodeStore(store), root).get(key);
  return { value, witness: [...read.values()] };
}

/** Counts embedded child nodes and branch values in a node: the shapes short keys must produce. */
function countShapes(node: Uint8Array, seen: { embedded: number; branchValues: number }): void {
  const item = rlpDecode(node);
  if (!Array.isArray(item)) return;
  const children = item.length === 17 ? item.slice(0, 16) : item.length === 2 ? [item[1]!] : [];
  seen.embedded += children.filter((c) => Array.isArray(c)).length;
  if (item.length === 17 && item[16] instanceof Uint8Array && item[16].length > 0) seen.branchValues++;
}

const setOf = (xs: readonly Uint8Array[]): string[] => [...new Set(xs.map(bytesToHex))].sort();

// ---- generated data -------------------------------------------------------------------------

function bytesOf(r: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  return b;
}

type Shape = 'account' | 'slot' | 'short' | 'prefixed';

/** A key of the given shape: secure keys of addresses and slots, or short raw keys that share prefixes. */
function keyOf(r: () => number, shape: Shape): Uint8Array {
  switch (shape) {
    case 'account':
      return keccak256(bytesOf(r, 20));
    case 'slot': {
      const slot = new Uint8Array(32);
      slot[31] = Math.floor(r() * 64);
      slot[30] = Math.floor(r() * 4);
      return keccak256(slot);
    }
    case 'short':
      // 0-3 bytes from a small alphabet: keys that are prefixes of others (branch values; the empty
      // key's value sits in the root) and tiny embedded nodes.
      return Uint8Array.from({ length: r() < 0.05 ? 0 : 1 + Math.floor(r() * 3) }, () => [0x00, 0x01, 0x10, 0x11, 0xf0, 0x7f][Math.floor(r() * 6)]!);
    case 'prefixed': {
      // 6-byte keys under a few shared prefixes of odd and even nibble lengths: long extensions.
      const k = bytesOf(r, 6);
      const p = Math.floor(r() * 3);
      if (p === 0) k.set([0xab, 0xcd, 0xe0 | (k[2]! & 0x0f)]);
      else if (p === 1) k.set([0xab]);
      return k;
    }
  }
}

/** Values of many lengths: one byte below and above 0x80, storage-like RLP integers, long blobs. */
function valueOf(r: () => number): Uint8Array {
  const pick = Math.floor(r() * 6);
  if (pick === 0) return Uint8Array.of(Math.floor(r() * 0x80));
  if (pick === 1) return Uint8Array.of(0x80 + Math.floor(r() * 0x80));
  if (pick === 2) return rlpEncode(BigInt(1 + Math.floor(r() * 1_000_000)));
  if (pick === 3) return bytesOf(r, 2 + Math.floor(r() * 30));
  if (pick === 4) return bytesOf(r, 32 + Math.floor(r() * 40));
  return bytesOf(r, 55 + Math.floor(r() * 400)); // past 255 bytes: two-byte RLP lengths
}

// ---- tests ------------------------------------------------------------------------------------

describe('LibRLP', () => {
  it('decodes and encodes like the TypeScript RLP, and rejects non-canonical input with typed errors', async () => {
    const r = rng(7);
    for (let i = 0; i < 12; i++) {
      const items = Array.from({ length: Math.floor(r() * 20) }, () => (r() < 0.3 ? bytesOf(r, Math.floor(r() * 3)) : bytesOf(r, Math.floor(r() * 80))));
      const enc = rlpEncode(items);
      expect(await must<Hex>('rlpEncodeBytesList', [items.map(hex)])).toBe(hex(enc));
      expect(await must<Hex[]>('rlpListBytes', [hex(enc)])).toEqual(items.map(hex));
    }
    for (const v of [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 64n - 1n, 2n ** 255n, 2n ** 256n - 1n]) {
      expect(await must<Hex>('rlpEncodeUint', [v])).toBe(hex(rlpEncode(v)));
      expect(await must<bigint>('rlpUint', [hex(rlpEncode(v))])).toBe(v);
    }
    // Each of these is rejected by the TypeScript decoder too.
    const bad: [string, string, string][] = [
      ['rlpUint', '0x8105', 'RLPNonCanonical'], // one byte below 0x80 as a string
      ['rlpUint', '0xb801ff', 'RLPNonCanonical'], // long form for a short length
      ['rlpUint', '0xb90001' + 'ff', 'RLPNonCanonical'], // length with a leading zero
      ['rlpUint', '0x83ffff', 'RLPTruncated'],
      ['rlpListBytes', '0xc3830102', 'RLPTruncated'], // an item overruns its list
      ['rlpUint', '0x8080', 'RLPTrailingBytes'],
      ['rlpListBytes', '0xc28105', 'RLPNonCanonical'], // the same faults inside a list
      ['rlpListBytes', '0xc3b801ff', 'RLPNonCanonical'],
      ['rlpListBytes', '0xc4b9000100', 'RLPNonCanonical'],
      ['rlpListBytes', '0xc2b9ff', 'RLPTruncated'],
    ];
    for (const [fn, enc, error] of bad) {
      expect(() => rlpDecode(hexToBytes(enc)), enc).toThrow(RlpError);
      expect(await call(fn, [enc]), enc).toMatchObject({ ok: false, error });
    }
    expect(await call('rlpUint', ['0x820001'])).toMatchObject({ ok: false, error: 'RLPNonCanonical' }); // integer with a leading zero
    expect(await call('rlpListBytes', ['0x80'])).toMatchObject({ ok: false, error: 'RLPExpectedList' });
  });
});

describe('LibMPT against PartialTrie', () => {
  const shapes: Shape[] = ['account', 'slot', 'short', 'prefixed'];

  for (const shape of shapes) {
    it(`${shape} keys: inserts, updates, deletes down to the empty trie; same roots, same new nodes, same lookups`, async () => {
      const r = rng(shape.length * 1000 + 17);
      const nodes = new Map<string, Uint8Array>();
      const live = new Map<string, Uint8Array>(); // key hex -> value
      let root: Uint8Array = EMPTY_TRIE_ROOT.slice();
      let ops = 0;
      let collapses = 0;
      const shapesSeen = { embedded: 0, branchValues: 0 };

      const step = async (op: Op): Promise<void> => {
        const ref = reference(nodes, root, op);
        const fn = op.value === null ? 'remove' : 'update';
        const args = op.value === null ? [hex(root), hex(op.key), ref.witness.map(hex)] : [hex(root), hex(op.key), hex(op.value), ref.witness.map(hex)];
        const [newRoot, newNodes] = await must<[Hex, Hex[]]>(fn, args);
        expect(newRoot, `${fn} ${hex(op.key)} (op ${ops})`).toBe(hex(ref.root));
        expect(setOf(newNodes.map(hexToBytes)), `new nodes of ${fn} ${hex(op.key)}`).toEqual(setOf(ref.newNodes));
        for (const n of ref.newNodes) countShapes(n, shapesSeen);
        // The next operation reads the nodes the contract made.
        for (const n of newNodes) nodes.set(bytesToHex(keccak256(hexToBytes(n))), hexToBytes(n));
        if (op.value === null) {
          if (live.has(hex(op.key)) && ref.newNodes.length > 0 && ref.witness.length > ref.newNodes.length) collapses++;
          live.delete(hex(op.key));
        } else live.set(hex(op.key), op.value);
        root = ref.root;
        ops++;
        // The root is the one of the whole key set, computed without any trie machinery.
        expect(hex(root)).toBe(hex(trieRoot([...live].map(([k, v]) => [hexToBytes(k), v] as const))));
      };

      const target = shape === 'short' ? 60 : 90;
      while (live.size < target && ops < 400) {
        const p = r();
        const keys = [...live.keys()];
        if (p < 0.65 || keys.length === 0) await step({ key: keyOf(r, shape), value: valueOf(r) });
        else if (p < 0.8) await step({ key: hexToBytes(keys[Math.floor(r() * keys.length)]!), value: valueOf(r) });
        else if (p < 0.95) await step({ key: hexToBytes(keys[Math.floor(r() * keys.length)]!), value: null });
        else await step({ key: keyOf(r, shape), value: null }); // usually absent: the root must not change
      }
      // Lookups of present and absent keys, each with exactly the nodes PartialTrie read.
      const probes = [...[...live.keys()].slice(0, 25).map(hexToBytes), ...Array.from({ length: 15 }, () => keyOf(r, shape))];
      for (const key of probes) {
        const ref = referenceGet(nodes, root, key);
        const [found, value] = await must<[boolean, Hex]>('get', [hex(root), hex(key), ref.witness.map(hex)]);
        expect({ found, value }, `get ${hex(key)}`).toEqual({ found: ref.value !== null, value: ref.value === null ? '0x' : hex(ref.value) });
      }
      // Delete everything, in random order: every collapse of a branch onto its last child.
      const rest = [...live.keys()].sort(() => r() - 0.5);
      for (const k of rest) await step({ key: hexToBytes(k), value: null });
      expect(hex(root)).toBe(hex(EMPTY_TRIE_ROOT));
      console.log(
        `${shape}: ${ops} operations agreed (${collapses} deletions merged a branch into its sibling; ` +
          `${shapesSeen.embedded} new nodes embedding a node, ${shapesSeen.branchValues} branches holding a value)`,
      );
      expect(collapses).toBeGreaterThan(0);
      if (shape === 'short') expect(Math.min(shapesSeen.embedded, shapesSeen.branchValues)).toBeGreaterThan(0);
    }, 300_000);
  }

  it('keeps the nodes it makes for later operations in the same call', async () => {
    const r = rng(99);
    const nodes = new Map<string, Uint8Array>();
    let root: Uint8Array = EMPTY_TRIE_ROOT.slice();
    // A starting trie of 40 account keys.
    const base: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const key = keyOf(r, i % 2 === 0 ? 'account' : 'short');
      base.push(key);
      const ref = reference(nodes, root, { key, value: valueOf(r) });
      for (const n of ref.newNodes) nodes.set(bytesToHex(keccak256(n)), n);
      root = ref.root;
    }
    // A batch mixing inserts, updates and deletes (some of keys inserted earlier in the batch).
    const ops: Op[] = [];
    for (let i = 0; i < 24; i++) {
      const p = r();
      if (p < 0.4) ops.push({ key: keyOf(r, 'account'), value: valueOf(r) });
      else if (p < 0.6 && ops.length > 0) ops.push({ key: ops[Math.floor(r() * ops.length)]!.key, value: null });
      else if (p < 0.8) ops.push({ key: base[Math.floor(r() * base.length)]!, value: null });
      else ops.push({ key: base[Math.floor(r() * base.length)]!, value: valueOf(r) });
    }
    const { store, read } = recording(nodes);
    const trie = new PartialTrie(new NodeStore(store), root);
    const roots: Hex[] = [];
    for (const op of ops) {
      if (op.value === null) trie.del(op.key);
      else trie.put(op.key, op.value);
      roots.push(hex(trie.rootHash()));
    }
    const expectedValues = ops.map((op) => {
      const v = trie.get(op.key);
      return v === null ? '0x' : hex(v);
    });
    const [gotRoots, readBack] = await must<[Hex[], Hex[]]>('applyAll', [
      hex(root),
      ops.map((o) => hex(o.key)),
      ops.map((o) => (o.value === null ? '0x' : hex(o.value))),
      [...read.values()].map(hex),
    ]);
    expect(gotRoots).toEqual(roots);
    expect(readBack).toEqual(expectedValues);
  }, 120_000);
});

describe('LibMPT on bad witnesses', () => {
  /** A small trie with some depth, its nodes, and a key to read and write. */
  function sample(): { nodes: Map<string, Uint8Array>; root: Uint8Array; key: Uint8Array; collapsing: Uint8Array } {
    const r = rng(5);
    const nodes = new Map<string, Uint8Array>();
    let root: Uint8Array = EMPTY_TRIE_ROOT.slice();
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const key = keyOf(r, 'account');
      keys.push(key);
      const ref = reference(nodes, root, { key, value: valueOf(r) });
      for (const n of ref.newNodes) nodes.set(bytesToHex(keccak256(n)), n);
      root = ref.root;
    }
    // A key whose deletion leaves a branch with one child: the merge must read that sibling.
    const collapsing = keys.find((k) => reference(nodes, root, { key: k, value: null }).witness.length > referenceGet(nodes, root, k).witness.length)!;
    return { nodes, root, key: keys[7]!, collapsing };
  }

  it('reverts MissingNode (naming it) when any node read is dropped or tampered, the sibling a deletion merges with included', async () => {
    const { nodes, root, key, collapsing } = sample();
    expect(collapsing).toBeDefined();
    const ops: [string, Uint8Array, (w: Hex[]) => unknown[]][] = [
      ['get', key, (w) => [hex(root), hex(key), w]],
      ['update', key, (w) => [hex(root), hex(key), '0x1234', w]],
      ['remove', key, (w) => [hex(root), hex(key), w]],
      ['remove', collapsing, (w) => [hex(root), hex(collapsing), w]],
    ];
    for (const [fn, k, args] of ops) {
      const op: Op = fn === 'get' ? { key: k, value: Uint8Array.of(1) } : { key: k, value: fn === 'remove' ? null : Uint8Array.of(0x12, 0x34) };
      const witness = fn === 'get' ? referenceGet(nodes, root, k).witness : reference(nodes, root, op).witness;
      expect(witness.length).toBeGreaterThan(2);
      expect((await call(fn, args(witness.map(hex)))).ok).toBe(true);
      for (let i = 0; i < witness.length; i++) {
        const dropped = witness.filter((_, j) => j !== i);
        expect(await call(fn, args(dropped.map(hex))), `${fn} without node ${i}`).toEqual({
          ok: false,
          error: 'MissingNode',
          args: [hex(keccak256(witness[i]!))],
        });
        // A flipped byte makes another preimage: the node the path names is still absent.
        const tampered = witness.map((n, j) => {
          if (j !== i) return hex(n);
          const t = n.slice();
          t[Math.floor(t.length / 2)]! ^= 0x01;
          return hex(t);
        });
        expect(await call(fn, args(tampered)), `${fn} with node ${i} tampered`).toEqual({
          ok: false,
          error: 'MissingNode',
          args: [hex(keccak256(witness[i]!))],
        });
      }
    }
  }, 120_000);

  it('rejects non-canonical nodes as the TypeScript trie does', async () => {
    const leaf = (hp: number[], value: Uint8Array): Uint8Array => rlpEncode([Uint8Array.from(hp), value]);
    const branchWith = (entries: [number, Uint8Array][], value?: Uint8Array): Uint8Array =>
      rlpEncode([...Array.from({ length: 16 }, (_, i) => entries.find(([j]) => j === i)?.[1] ?? new Uint8Array()), value ?? new Uint8Array()]);
    const h32 = keccak256(Uint8Array.of(1));
    const cases: [string, Uint8Array, string][] = [
      ['hex-prefix flag 4', leaf([0x40, 0x12], Uint8Array.of(1)), 'BadHexPrefix'],
      ['even path with a non-zero pad nibble', leaf([0x25, 0x12], Uint8Array.of(1)), 'BadHexPrefix'],
      ['empty hex-prefix', leaf([], Uint8Array.of(1)), 'BadHexPrefix'],
      ['leaf without a value', leaf([0x20], new Uint8Array()), 'NonCanonicalNode'],
      ['branch with one child', branchWith([[3, h32]]), 'NonCanonicalNode'],
      ['branch with a 5-byte child reference', branchWith([[3, h32], [4, Uint8Array.of(1, 2, 3, 4, 5)]]), 'BadChildRef'],
      ['extension with an empty path', rlpEncode([Uint8Array.of(0x00), h32]), 'NonCanonicalNode'],
      ['list of three', rlpEncode([Uint8Array.of(0x20), h32, h32]), 'MalformedNode'],
      ['a byte string', rlpEncode(h32), 'MalformedNode'],
    ];
    for (const [what, node, error] of cases) {
      const root = keccak256(node);
      const nodes = new Map([[bytesToHex(root), node]]);
      expect(() => new PartialTrie(new NodeStore(nodes), root).get(Uint8Array.of(0x12)), what).toThrow(WitnessError);
      expect(await call('get', [hex(root), '0x12', [hex(node)]]), what).toMatchObject({ ok: false, error });
      expect(await call('update', [hex(root), '0x12', '0x01', [hex(node)]]), what).toMatchObject({ ok: false, error });
    }
    // An embedded node of 32 bytes or more (it must be referenced by hash).
    const big = rlpEncode([Uint8Array.of(0x3a), new Uint8Array(30).fill(7)]);
    expect(big.length).toBeGreaterThanOrEqual(32);
    const node = rlpEncode([...Array.from({ length: 16 }, (_, i) => (i === 1 ? rlpDecode(big) : i === 2 ? h32 : new Uint8Array())), new Uint8Array()] as never);
    const root = keccak256(node);
    expect(() => new PartialTrie(new NodeStore(new Map([[bytesToHex(root), node]])), root).get(Uint8Array.of(0x1a)), 'embedded').toThrow(WitnessError);
    expect(await call('get', [hex(root), '0x1a', [hex(node)]])).toMatchObject({ ok: false, error: 'BadChildRef' });
    expect(await call('update', [hex(root), '0x12', '0x', [hex(node)]])).toMatchObject({ ok: false, error: 'EmptyValue' });
  });
});

describe('LibMPT gas at state-trie depths', () => {
  /**
   * A trie where the path to `key` runs through `depth` full branches (all 16 children present,
   * as in a state trie of 16^depth accounts) and ends in an account-sized leaf.
   */
  function fullPath(
    depth: number,
    seed: number,
    key: Uint8Array = keccak256(bytesOf(rng(seed + 1), 20)),
    account: Uint8Array = rlpEncode([7n, 10n ** 18n, keccak256(Uint8Array.of(1)), keccak256(Uint8Array.of(2))]),
  ): { nodes: Map<string, Uint8Array>; root: Uint8Array; key: Uint8Array; value: Uint8Array } {
    const r = rng(seed);
    const entries: [Uint8Array, Uint8Array][] = [[key, account]];
    for (let level = 0; level < depth; level++) {
      for (let nib = 0; nib < 16; nib++) {
        const cur = level % 2 === 0 ? key[level >> 1]! >> 4 : key[level >> 1]! & 0x0f;
        if (nib === cur) continue;
        const sib = bytesOf(r, 32);
        sib.set(key.subarray(0, level >> 1));
        if (level % 2 === 1) sib[level >> 1] = (key[level >> 1]! & 0xf0) | nib;
        else sib[level >> 1] = (nib << 4) | (sib[level >> 1]! & 0x0f);
        entries.push([sib, rlpEncode([1n, BigInt(level), keccak256(sib), keccak256(sib)])]);
      }
    }
    const nodes = new Map<string, Uint8Array>();
    let root: Uint8Array = EMPTY_TRIE_ROOT.slice();
    for (const [k, v] of entries) {
      const ref = reference(nodes, root, { key: k, value: v });
      for (const n of ref.newNodes) nodes.set(bytesToHex(keccak256(n)), n);
      root = ref.root;
    }
    expect(hex(root)).toBe(hex(trieRoot(entries)));
    return { nodes, root, key, value: account };
  }

  it('records gas of get, update and remove (the operation alone, and the whole call with its witness)', async () => {
    const rows: string[] = [];
    for (const depth of [4, 6, 8]) {
      const { nodes, root, key } = fullPath(depth, depth);
      const newValue = rlpEncode([8n, 10n ** 18n - 21_000n, keccak256(Uint8Array.of(1)), keccak256(Uint8Array.of(2))]);
      const getW = referenceGet(nodes, root, key).witness;
      const upd = reference(nodes, root, { key, value: newValue });
      const del = reference(nodes, root, { key, value: null });
      expect(getW.length).toBe(depth + 1);
      const cases: [string, number, Uint8Array[], Uint8Array][] = [
        ['get', 0, getW, new Uint8Array()],
        ['update', 1, upd.witness, newValue],
        ['remove', 2, del.witness, new Uint8Array()],
      ];
      for (const [name, op, witness, value] of cases) {
        const w = witness.map(hex);
        const alone = await must<bigint>('measure', [op, hex(root), hex(key), hex(value), w]);
        const fnArgs = name === 'get' ? [hex(root), hex(key), w] : name === 'update' ? [hex(root), hex(key), hex(value), w] : [hex(root), hex(key), w];
        const total = await clients.public.estimateContractGas({ address: harness, abi, functionName: name, args: fnArgs, account: clients.wallet.account });
        const bytes = witness.reduce((a, n) => a + n.length, 0);
        rows.push(`depth ${depth} ${name.padEnd(6)} op ${String(alone).padStart(7)} gas   call ${String(total).padStart(7)} gas   witness ${witness.length} nodes ${bytes} bytes`);
        expect(alone).toBeGreaterThan(0n);
      }
      // Sanity: the update and removal the gas was measured on give PartialTrie's roots.
      expect((await must<[Hex, Hex[]]>('update', [hex(root), hex(key), hex(newValue), upd.witness.map(hex)]))[0]).toBe(hex(upd.root));
      expect((await must<[Hex, Hex[]]>('remove', [hex(root), hex(key), del.witness.map(hex)]))[0]).toBe(hex(del.root));
    }
    console.log(['LibMPT gas (full 16-way branches on the path, account-sized leaf):', ...rows].join('\n'));
  }, 120_000);

  it('records gas of an SLOAD-like read and an SSTORE-like write (account at depth 7, slot at depth 4)', async () => {
    const addr = getAddress('0x' + '5a'.repeat(20));
    const slot = 3n;
    const slotWord = new Uint8Array(32);
    slotWord[31] = Number(slot);
    const storage = fullPath(4, 41, keccak256(slotWord), rlpEncode(0x1234n));
    const account = rlpEncode([1n, 10n ** 18n, storage.root, keccak256(Uint8Array.of(9))]);
    const world = fullPath(7, 42, keccak256(hexToBytes(addr)), account);
    const nodes = new Map([...world.nodes, ...storage.nodes]);
    const rec = recording(nodes);
    const state = new WitnessState({ stateRoot: world.root, nodes: rec.store, codes: new Map() });
    expect(state.getStorage(addr as Address, slot)).toBe(0x1234n);
    const pre = state.getAccount(addr as Address)!;
    const write = referenceWorld(nodes, world.root, new Map([[addr as Address, { account: { ...pre, code: new Uint8Array() }, storage: new Map([[slot, 0x5678n]]), storageCleared: false }]]));
    const witness = [...new Map([...rec.read, ...write.witness.map((n) => [bytesToHex(keccak256(n)), n] as const)]).values()].map(hex);
    const [roots] = await must<[Hex[], Hex[]]>('setStorage', [hex(world.root), [addr], [slot], [0x5678n], witness]);
    expect(roots).toEqual([hex(write.root)]);
    const [readGas, writeGas] = await must<[bigint, bigint]>('measureStorage', [hex(world.root), addr, slot, 0x5678n, witness]);
    const call = await clients.public.estimateContractGas({ address: harness, abi, functionName: 'setStorage', args: [hex(world.root), [addr], [slot], [0x5678n], witness], account: clients.wallet.account });
    console.log(`storage (account depth 7, slot depth 4, ${witness.length} nodes): read ${readGas} gas, write ${writeGas} gas, whole setStorage call ${call} gas`);
    expect(readGas).toBeGreaterThan(0n);
  }, 120_000);
});

// ---- the world state ----------------------------------------------------------------------------

interface OnChainAccount {
  readonly exists: boolean;
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly storageRoot: Hex;
  readonly codeHash: Hex;
}

/** Applies `changes` with the project's own post-state code; the new root, the nodes read and made. */
function referenceWorld(nodes: ReadonlyMap<string, Uint8Array>, root: Uint8Array, changes: ReadonlyMap<Address, AccountChange>): Reference {
  const { store, read } = recording(nodes);
  const newNodes: Uint8Array[] = [];
  const post = postStateRoot({ stateRoot: root, nodes: store, codes: new Map() }, changes, { persist: (n) => newNodes.push(n) });
  return { root: post, witness: [...read.values()], newNodes };
}

function addressOf(r: () => number): Address {
  return getAddress(hex(bytesOf(r, 20))) as Address;
}

describe('LibMPT world state against the TypeScript state code', () => {
  const r = rng(2024);
  const nodes = new Map<string, Uint8Array>();
  let root: Uint8Array = EMPTY_TRIE_ROOT.slice();
  const addresses: Address[] = [];
  const slotsOf = new Map<Address, bigint[]>();

  const learn = (ns: readonly Uint8Array[]): void => {
    for (const n of ns) nodes.set(bytesToHex(keccak256(n)), n);
  };

  beforeAll(() => {
    // 60 accounts, half with storage (slots 0..40 and a few huge ones), some with code.
    const changes = new Map<Address, AccountChange>();
    for (let i = 0; i < 60; i++) {
      const a = addressOf(r);
      addresses.push(a);
      const storage = new Map<bigint, bigint>();
      if (i % 2 === 0) {
        for (let j = 0; j < 1 + Math.floor(r() * 30); j++) {
          const slot = r() < 0.8 ? BigInt(Math.floor(r() * 40)) : BigInt(hex(bytesOf(r, 32)));
          storage.set(slot, r() < 0.5 ? BigInt(1 + Math.floor(r() * 255)) : BigInt(hex(bytesOf(r, 1 + Math.floor(r() * 32)))) || 1n);
        }
      }
      slotsOf.set(a, [...storage.keys()]);
      const codeHash = i % 3 === 0 ? keccak256(bytesOf(r, 50)) : KECCAK_EMPTY;
      changes.set(a, { account: { nonce: BigInt(Math.floor(r() * 1000)), balance: BigInt(hex(bytesOf(r, 12))), code: new Uint8Array(), codeHash }, storage, storageCleared: false });
    }
    const built = referenceWorld(nodes, root, changes);
    learn(built.newNodes);
    root = built.root;
  });

  it('reads accounts and storage slots as WitnessState does, present and absent', async () => {
    const probes = [...addresses.slice(0, 20), addressOf(r), addressOf(r)];
    for (const a of probes) {
      const { store, read } = recording(nodes);
      const state = new WitnessState({ stateRoot: root, nodes: store, codes: new Map() });
      const expected = state.getAccount(a);
      const leaf = new PartialTrie(new NodeStore(nodes), root).get(keccak256(hexToBytes(a)));
      const got = await must<OnChainAccount>('accountAt', [hex(root), a, [...read.values()].map(hex)]);
      expect(got, a).toEqual({
        exists: expected !== null,
        nonce: expected?.nonce ?? 0n,
        balance: expected?.balance ?? 0n,
        storageRoot: hex(leaf === null ? EMPTY_TRIE_ROOT : decodeAccount(leaf).storageRoot),
        codeHash: hex(expected?.codeHash ?? KECCAK_EMPTY),
      });
      const slots = [...(slotsOf.get(a) ?? []).slice(0, 5), 12345n, 2n ** 255n];
      for (const slot of slots) {
        const rec = recording(nodes);
        const value = new WitnessState({ stateRoot: root, nodes: rec.store, codes: new Map() }).getStorage(a, slot);
        expect(await must<bigint>('storageAt', [hex(root), a, slot, [...rec.read.values()].map(hex)]), `${a} slot ${slot}`).toBe(value);
      }
    }
  }, 120_000);

  it('SSTORE-like writes: new, changed and zeroed slots (down to an empty storage trie) give postStateRoot\'s roots and nodes', async () => {
    const withStorage = addresses.filter((a) => (slotsOf.get(a) ?? []).length > 0).slice(0, 6);
    const empty = addresses.find((a) => (slotsOf.get(a) ?? []).length === 0)!;
    let emptied = 0;
    const writes: [Address, bigint, bigint][] = [];
    for (let i = 0; i < 60; i++) {
      const a = withStorage[Math.floor(r() * withStorage.length)]!;
      const slots = slotsOf.get(a)!;
      const p = r();
      if (p < 0.35 && slots.length > 0) writes.push([a, slots[Math.floor(r() * slots.length)]!, 0n]);
      else if (p < 0.6 && slots.length > 0) writes.push([a, slots[Math.floor(r() * slots.length)]!, BigInt(hex(bytesOf(r, 1 + Math.floor(r() * 32)))) || 7n]);
      else writes.push([a, BigInt(Math.floor(r() * 60)), BigInt(1 + Math.floor(r() * 70000))]);
    }
    // Every slot of one account zeroed: its storage root returns to the empty trie's.
    const victim = withStorage[0]!;
    const live = new Set(slotsOf.get(victim)!);
    for (const [a, slot, v] of writes) if (a === victim) v === 0n ? live.delete(slot) : live.add(slot);
    for (const slot of live) writes.push([victim, slot, 0n]);
    writes.push([empty, 3n, 0n], [empty, 3n, 99n]);

    for (const [a, slot, value] of writes) {
      const pre = new WitnessState({ stateRoot: root, nodes, codes: new Map() }).getAccount(a)!;
      const change: AccountChange = { account: { ...pre, code: new Uint8Array() }, storage: new Map([[slot, value]]), storageCleared: false };
      const ref = referenceWorld(nodes, root, new Map([[a, change]]));
      const [roots, newNodes] = await must<[Hex[], Hex[]]>('setStorage', [hex(root), [a], [slot], [value], ref.witness.map(hex)]);
      expect(roots, `${a} slot ${slot} := ${value}`).toEqual([hex(ref.root)]);
      expect(setOf(newNodes.map(hexToBytes))).toEqual(setOf(ref.newNodes));
      learn(newNodes.map(hexToBytes));
      root = ref.root;
      const leaf = new PartialTrie(new NodeStore(nodes), root).get(keccak256(hexToBytes(a)))!;
      if (a === victim && hex(decodeAccount(leaf).storageRoot) === hex(EMPTY_TRIE_ROOT)) emptied++;
    }
    expect(emptied).toBeGreaterThan(0);
    // Storage is only written for an account that exists.
    const ghost = addressOf(r);
    const rec = referenceGet(nodes, root, keccak256(hexToBytes(ghost)));
    expect(await call('setStorage', [hex(root), [ghost], [1n], [1n], rec.witness.map(hex)])).toMatchObject({ ok: false, error: 'NoAccount' });
  }, 180_000);

  it('writes and deletes accounts (EIP-161 clearing is a deletion) as postStateRoot does', async () => {
    const batch: [Address, AccountChange][] = [];
    for (let i = 0; i < 12; i++) {
      const a = r() < 0.7 ? addresses[Math.floor(r() * addresses.length)]! : addressOf(r);
      if (batch.some(([b]) => b === a)) continue;
      const pre = new WitnessState({ stateRoot: root, nodes, codes: new Map() }).getAccount(a);
      const del = pre !== null && r() < 0.4;
      batch.push([a, { account: del ? null : { nonce: BigInt(Math.floor(r() * 5)), balance: BigInt(hex(bytesOf(r, 9))), code: new Uint8Array(), codeHash: pre?.codeHash ?? KECCAK_EMPTY }, storage: new Map(), storageCleared: false }]);
    }
    // postStateRoot applies updates before deletions; the contract is given them in that order.
    const ordered = [...batch.filter(([, c]) => c.account !== null), ...batch.filter(([, c]) => c.account === null)];
    const ref = referenceWorld(nodes, root, new Map(ordered));
    const accounts = ordered.map(([a, c]) => {
      const leaf = new PartialTrie(new NodeStore(nodes), root).get(keccak256(hexToBytes(a)));
      const storageRoot = leaf === null ? EMPTY_TRIE_ROOT : decodeAccount(leaf).storageRoot;
      return { exists: c.account !== null, nonce: c.account?.nonce ?? 0n, balance: c.account?.balance ?? 0n, storageRoot: hex(storageRoot), codeHash: hex(c.account?.codeHash ?? KECCAK_EMPTY) };
    });
    expect(ordered.some(([, c]) => c.account === null)).toBe(true);
    const got = await must<Hex>('putAccounts', [hex(root), ordered.map(([a]) => a), accounts, ref.witness.map(hex)]);
    expect(got).toBe(hex(ref.root));
  }, 120_000);
});
