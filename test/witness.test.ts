// Stateless witness backend: reads proven against the root (vs MemoryState, with
// proofs made by @ethereumjs/mpt), missing and tampered nodes, post-state roots over
// partial tries (vs stateRoot after applyChanges), and proofs from a real anvil node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMPT, createMerkleProof } from '@ethereumjs/mpt';
import type { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { createPublicClient, createWalletClient, http, parseEther, type Hex as ViemHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { MemoryState } from '../vm/state/memory.js';
import { applyChanges, stateRoot, storageRoot } from '../vm/state/root.js';
import { MissingStateError } from '../vm/state/backend.js';
import type { AccountChange } from '../vm/state/world.js';
import {
  MissingNodeError,
  WitnessError,
  WitnessIncompleteError,
  WitnessState,
  witnessFromNodes,
  witnessPostStateRoot,
} from '../vm/state/witness.js';
import { NodeStore, PartialTrie } from '../vm/state/witness-trie.js';
import { encodeAccount, EMPTY_TRIE_ROOT, trieRoot } from '../vm/trie/index.js';
import { rlpDecode, rlpEncode, type RlpItem } from '../vm/rlp/rlp.js';
import { word32 } from '../vm/interpreter/instructions/words.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../vm/util/hash.js';
import { addressFromBytes, toAddress, type Address } from '../vm/util/address.js';
import { rng } from './support/rng.js';


function bytesOf(r: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function randomWord(r: () => number): bigint {
  // Mix tiny and full-width values: short RLP values and 32-byte ones.
  const len = r() < 0.5 ? 1 + Math.floor(r() * 3) : 32;
  let v = 0n;
  for (const b of bytesOf(r, len)) v = (v << 8n) | BigInt(b);
  return v === 0n ? 1n : v;
}

const accountKey = (a: Address): Uint8Array => keccak256(hexToBytes(a));
const slotKey = (s: bigint): Uint8Array => keccak256(word32(s));

/** The same world as @ethereumjs/mpt tries, to make proofs with an independent implementation. */
class Prover {
  accounts!: MerklePatriciaTrie;
  readonly storage = new Map<Address, MerklePatriciaTrie>();

  static async of(state: MemoryState): Promise<Prover> {
    const p = new Prover();
    p.accounts = await createMPT({ useKeyHashing: false });
    for (const [address, a] of state.accounts) {
      const st = await createMPT({ useKeyHashing: false });
      for (const [k, v] of a.storage) if (v !== 0n) await st.put(slotKey(k), rlpEncode(v));
      p.storage.set(address, st);
      const value = encodeAccount({ nonce: a.nonce, balance: a.balance, storageRoot: st.root(), codeHash: a.codeHash });
      await p.accounts.put(accountKey(address), value);
    }
    return p;
  }

  async accountProof(address: Address): Promise<Uint8Array[]> {
    return createMerkleProof(this.accounts, accountKey(address));
  }

  async slotProof(address: Address, slot: bigint): Promise<Uint8Array[]> {
    const st = this.storage.get(address);
    return st === undefined ? [] : createMerkleProof(st, slotKey(slot));
  }
}

function randomWorld(seed: number, n: number): MemoryState {
  const r = rng(seed);
  const state = new MemoryState();
  for (let i = 0; i < n; i++) {
    const address = addressFromBytes(bytesOf(r, 20));
    const storage: [bigint, bigint][] = [];
    const slots = r() < 0.4 ? Math.floor(r() * (r() < 0.2 ? 60 : 8)) : 0;
    for (let j = 0; j < slots; j++) storage.push([r() < 0.5 ? BigInt(j) : randomWord(r), randomWord(r)]);
    state.put(address, {
      nonce: BigInt(Math.floor(r() * 1000)),
      balance: r() < 0.1 ? 0n : randomWord(r),
      ...(r() < 0.3 ? { code: bytesOf(r, 1 + Math.floor(r() * 300)) } : {}),
      storage,
    });
  }
  return state;
}

function cloneState(s: MemoryState): MemoryState {
  const out = new MemoryState();
  for (const [a, acc] of s.accounts) {
    out.accounts.set(a, { ...acc, storage: new Map(acc.storage) });
  }
  return out;
}

function codesOf(state: MemoryState, addresses: Iterable<Address>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of addresses) {
    const acc = state.accounts.get(a);
    if (acc && acc.code.length > 0) out.push(acc.code);
  }
  return out;
}

describe('WitnessState reads over a random world', () => {
  const state = randomWorld(1, 400);
  const addresses = [...state.accounts.keys()];
  const r = rng(2);
  const proven = addresses.filter(() => r() < 0.4);
  const unproven = addresses.filter((a) => !proven.includes(a));
  const absent = Array.from({ length: 30 }, () => addressFromBytes(bytesOf(r, 20)));
  let prover: Prover;
  let nodes: Uint8Array[];
  let witness: ReturnType<typeof witnessFromNodes>;
  const provenSlots = new Map<Address, bigint[]>();
  const absentSlots = new Map<Address, bigint[]>();

  beforeAll(async () => {
    prover = await Prover.of(state);
    nodes = [];
    for (const a of [...proven, ...absent]) nodes.push(...(await prover.accountProof(a)));
    for (const a of proven) {
      const slots = [...state.accounts.get(a)!.storage.keys()].filter(() => r() < 0.6);
      const missing = Array.from({ length: 3 }, () => randomWord(r)).filter((s) => !state.accounts.get(a)!.storage.has(s));
      provenSlots.set(a, slots);
      absentSlots.set(a, missing);
      for (const s of [...slots, ...missing]) nodes.push(...(await prover.slotProof(a, s)));
    }
    witness = witnessFromNodes(stateRoot(state), nodes, codesOf(state, proven));
  });

  it('the independent tries agree with stateRoot', () => {
    expect(bytesToHex(prover.accounts.root())).toBe(bytesToHex(stateRoot(state)));
  });

  it('answers proven accounts, slots and code exactly as MemoryState', () => {
    const ws = new WitnessState(witness);
    let slotsChecked = 0;
    let withStorage = 0;
    for (const a of proven) {
      const want = state.getAccount(a)!;
      const got = ws.getAccount(a);
      expect(got).not.toBeNull();
      expect(got!.nonce).toBe(want.nonce);
      expect(got!.balance).toBe(want.balance);
      expect(bytesToHex(got!.codeHash)).toBe(bytesToHex(want.codeHash));
      expect(bytesToHex(ws.getCode(a, got!.codeHash))).toBe(bytesToHex(state.getCode(a)));
      expect(ws.hasStorage(a)).toBe(state.hasStorage(a));
      if (state.hasStorage(a)) withStorage++;
      for (const s of provenSlots.get(a)!) {
        expect(ws.getStorage(a, s)).toBe(state.getStorage(a, s));
        slotsChecked++;
      }
      for (const s of absentSlots.get(a)!) expect(ws.getStorage(a, s)).toBe(0n);
      // Cached answers stay the same.
      expect(ws.getAccount(a)!.balance).toBe(want.balance);
    }
    expect(slotsChecked).toBeGreaterThan(100);
    expect(withStorage).toBeGreaterThan(20);
  });

  it('proves absent accounts absent (null account, zero storage, no storage)', () => {
    const ws = new WitnessState(witness);
    for (const a of absent) {
      expect(ws.getAccount(a)).toBeNull();
      expect(ws.getStorage(a, 7n)).toBe(0n);
      expect(ws.hasStorage(a)).toBe(false);
    }
  });

  /** Whether the node ending `proof` is in the witness (a proof of absence may carry another key's leaf). */
  const leafIncluded = (proof: Uint8Array[]): boolean => witness.nodes.has(bytesToHex(keccak256(proof[proof.length - 1]!)));

  it('throws MissingStateError for anything unproven', async () => {
    const ws = new WitnessState(witness);
    let incidental = 0;
    for (const a of unproven) {
      if (leafIncluded(await prover.accountProof(a))) {
        // Proven incidentally, by an absence proof ending in this account's leaf.
        expect(ws.getAccount(a)!.balance).toBe(state.getAccount(a)!.balance);
        incidental++;
        continue;
      }
      expect(() => ws.getAccount(a)).toThrow(MissingStateError);
      try {
        ws.getStorage(a, 1n);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MissingStateError);
        expect((e as MissingStateError).what).toBe('storage');
        expect((e as MissingStateError).slot).toBe(1n);
      }
    }
    let unprovenSlots = 0;
    for (const a of proven) {
      for (const s of state.accounts.get(a)!.storage.keys()) {
        if (provenSlots.get(a)!.includes(s)) continue;
        if (leafIncluded(await prover.slotProof(a, s))) {
          expect(ws.getStorage(a, s)).toBe(state.getStorage(a, s));
          continue;
        }
        const err = (() => {
          try {
            ws.getStorage(a, s);
          } catch (e) {
            return e;
          }
          return null;
        })();
        expect(err).toBeInstanceOf(MissingStateError);
        expect((err as MissingStateError).what).toBe('storage');
        expect((err as MissingStateError).address).toBe(a);
        unprovenSlots++;
      }
    }
    expect(unprovenSlots).toBeGreaterThan(20);
    expect(incidental).toBeLessThan(unproven.length / 4);
    // Code the witness does not carry.
    const withCode = proven.find((a) => state.accounts.get(a)!.code.length > 0)!;
    const bare = new WitnessState(witnessFromNodes(stateRoot(state), nodes, []));
    const acc = bare.getAccount(withCode)!;
    try {
      bare.getCode(withCode, acc.codeHash);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingStateError);
      expect((e as MissingStateError).what).toBe('code');
    }
    expect(bare.getCode(withCode, KECCAK_EMPTY)).toHaveLength(0);
  });

  it('an altered node is simply missing; a node filed under a wrong hash is a WitnessError', async () => {
    const a = proven[0]!;
    const proof = await prover.accountProof(a);
    const leaf = proof[proof.length - 1]!;
    const altered = leaf.slice();
    altered[altered.length - 1] ^= 1;
    const others = nodes.filter((n) => bytesToHex(n) !== bytesToHex(leaf));
    const ws = new WitnessState(witnessFromNodes(stateRoot(state), [...others, altered], []));
    expect(() => ws.getAccount(a)).toThrow(MissingStateError);
    // Hand-built map lying about a key.
    const lying = new Map(witness.nodes);
    lying.set(bytesToHex(keccak256(leaf)), altered);
    const ws2 = new WitnessState({ stateRoot: witness.stateRoot, nodes: lying, codes: witness.codes });
    expect(() => ws2.getAccount(a)).toThrow(WitnessError);
    const codeLie = new Map([[bytesToHex(state.accounts.get(a)!.codeHash), Uint8Array.of(1, 2, 3)]]);
    const ws3 = new WitnessState({ stateRoot: witness.stateRoot, nodes: witness.nodes, codes: codeLie });
    const hash = state.accounts.get(a)!.codeHash;
    if (bytesToHex(hash) !== bytesToHex(KECCAK_EMPTY)) expect(() => ws3.getCode(a, hash)).toThrow(WitnessError);
  });

  it('detects a witness for another root', async () => {
    const other = cloneState(state);
    other.put(addressFromBytes(new Uint8Array(20).fill(7)), { balance: 1n });
    const otherRoot = stateRoot(other);
    const w = witnessFromNodes(otherRoot, nodes, []);
    const ws = new WitnessState(w);
    expect(() => ws.getAccount(proven[0]!)).toThrow(MissingStateError);
    const change: AccountChange = {
      account: { nonce: 1n, balance: 1n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY },
      storage: new Map(),
      storageCleared: false,
    };
    const err = await witnessPostStateRoot(w, new Map([[proven[0]!, change]])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WitnessIncompleteError);
    expect((err as WitnessIncompleteError).nodeHash).toBe(bytesToHex(otherRoot));
    expect((err as WitnessIncompleteError).path).toBe('');
  });
});

describe('malformed witness nodes', () => {
  const addr = toAddress('0x' + '11'.repeat(20));
  const reader = (node: Uint8Array): WitnessState =>
    new WitnessState(witnessFromNodes(keccak256(node), [node], []));

  it('rejects undecodable and non-canonical nodes with WitnessError', () => {
    const bad: Uint8Array[] = [
      Uint8Array.of(0xc3, 0x01, 0x02, 0x03), // a list of 3 items
      Uint8Array.of(0xc2, 0x01), // truncated RLP
      Uint8Array.of(0x83, 0x01, 0x02, 0x03), // a byte string
      rlpEncode([Uint8Array.of(0x40), Uint8Array.of(1)]), // hex-prefix flag 4
      rlpEncode([Uint8Array.of(0x21), new Uint8Array(0)]), // leaf with an empty value
      rlpEncode([...Array.from({ length: 16 }, (_, i) => (i === 3 ? new Uint8Array(32).fill(1) : new Uint8Array(0))), new Uint8Array(0)]), // one-entry branch
      rlpEncode([...Array.from({ length: 16 }, () => Uint8Array.of(1, 2)), new Uint8Array(0)]), // 2-byte child references
    ];
    for (const node of bad) expect(() => reader(node).getAccount(addr), bytesToHex(node)).toThrow(WitnessError);
  });

  it('rejects an account leaf that is not an account and a non-canonical slot value; reads a stored zero as zero', async () => {
    const t = await createMPT({ useKeyHashing: false });
    await t.put(accountKey(addr), rlpEncode([1n, 2n]));
    const nodes = await createMerkleProof(t, accountKey(addr));
    expect(() => new WitnessState(witnessFromNodes(t.root(), nodes, [])).getAccount(addr)).toThrow(WitnessError);

    const st = await createMPT({ useKeyHashing: false });
    await st.put(slotKey(1n), Uint8Array.of(0x00)); // rlp of "0x00": a zero with a leading zero byte
    await st.put(slotKey(2n), Uint8Array.of(0x80)); // rlp(0): an explicit zero, as anvil leaves behind
    await t.put(accountKey(addr), encodeAccount({ nonce: 0n, balance: 0n, storageRoot: st.root(), codeHash: KECCAK_EMPTY }));
    const all = [
      ...(await createMerkleProof(t, accountKey(addr))),
      ...(await createMerkleProof(st, slotKey(1n))),
      ...(await createMerkleProof(st, slotKey(2n))),
    ];
    const ws = new WitnessState(witnessFromNodes(t.root(), all, []));
    expect(ws.hasStorage(addr)).toBe(true);
    expect(() => ws.getStorage(addr, 1n)).toThrow(WitnessError);
    expect(ws.getStorage(addr, 2n)).toBe(0n);
  });
});

/** Proofs of every key: a witness holding the whole trie. */
async function fullNodes(prover: Prover, state: MemoryState): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const [a, acc] of state.accounts) {
    out.push(...(await prover.accountProof(a)));
    for (const s of acc.storage.keys()) out.push(...(await prover.slotProof(a, s)));
  }
  return out;
}

function randomChanges(r: () => number, state: MemoryState, size: number): Map<Address, AccountChange> {
  const addresses = [...state.accounts.keys()];
  const changes = new Map<Address, AccountChange>();
  while (changes.size < size) {
    const roll = r();
    if (roll < 0.15) {
      changes.set(addressFromBytes(bytesOf(r, 20)), {
        account: { nonce: 1n, balance: randomWord(r), code: new Uint8Array(0), codeHash: KECCAK_EMPTY },
        storage: new Map(r() < 0.5 ? [[1n, randomWord(r)], [randomWord(r), randomWord(r)]] : []),
        storageCleared: false,
      });
      continue;
    }
    const a = addresses[Math.floor(r() * addresses.length)]!;
    const prev = state.accounts.get(a)!;
    if (roll < 0.35) {
      changes.set(a, { account: null, storage: new Map(), storageCleared: true });
      continue;
    }
    const storage = new Map<bigint, bigint>();
    const existing = [...prev.storage.keys()];
    const cleared = roll > 0.92;
    for (const s of existing) {
      const x = r();
      if (x < 0.3) storage.set(s, 0n);
      else if (x < 0.45) storage.set(s, randomWord(r));
    }
    for (let i = Math.floor(r() * 4); i > 0; i--) storage.set(randomWord(r), randomWord(r));
    if (r() < 0.2) storage.set(randomWord(r), 0n); // clearing a slot that was never set
    const code = cleared ? bytesOf(r, 10) : prev.code;
    changes.set(a, {
      account: { nonce: prev.nonce + 1n, balance: r() < 0.5 ? prev.balance : randomWord(r), code, codeHash: code.length === 0 ? KECCAK_EMPTY : keccak256(code) },
      storage,
      storageCleared: cleared,
    });
  }
  return changes;
}

/** Nodes proving every key the change set touches: the witness a block execution would have. */
async function touchedNodes(prover: Prover, state: MemoryState, changes: ReadonlyMap<Address, AccountChange>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const [a, c] of changes) {
    out.push(...(await prover.accountProof(a)));
    if (state.accounts.has(a)) for (const s of c.storage.keys()) out.push(...(await prover.slotProof(a, s)));
  }
  return out;
}

describe('witnessPostStateRoot', () => {
  const state = randomWorld(10, 300);
  let prover: Prover;
  let full: Uint8Array[];
  const root = stateRoot(state);

  beforeAll(async () => {
    prover = await Prover.of(state);
    full = await fullNodes(prover, state);
  });

  it('equals stateRoot after applyChanges for random change sets, or names a node the witness lacks', async () => {
    const r = rng(11);
    const fullWitness = witnessFromNodes(root, full, []);
    let direct = 0;
    let incomplete = 0;
    for (let trial = 0; trial < 40; trial++) {
      const changes = randomChanges(r, state, 1 + Math.floor(r() * 12));
      const after = cloneState(state);
      applyChanges(after, changes);
      const want = bytesToHex(stateRoot(after));
      // With the whole trie at hand it always works.
      expect(bytesToHex(await witnessPostStateRoot(fullWitness, changes))).toBe(want);
      // With only the touched keys' proofs, it works unless a collapse needs a sibling:
      // then the named node must be absent from the witness and present in the trie.
      const nodes = await touchedNodes(prover, state, changes);
      let first = true;
      for (let round = 0; ; round++) {
        const w = witnessFromNodes(root, nodes, []);
        const got = await witnessPostStateRoot(w, changes).catch((e: unknown) => e);
        if (got instanceof Uint8Array) {
          expect(bytesToHex(got)).toBe(want);
          if (first) direct++;
          break;
        }
        expect(got).toBeInstanceOf(WitnessIncompleteError);
        const e = got as WitnessIncompleteError;
        expect(w.nodes.has(e.nodeHash)).toBe(false);
        expect(changes.has(e.address)).toBe(true);
        const node = fullWitness.nodes.get(e.nodeHash);
        expect(node, e.message).toBeDefined();
        if (first) incomplete++;
        first = false;
        nodes.push(node!);
        expect(round).toBeLessThan(20);
      }
    }
    expect(direct).toBeGreaterThan(5);
    expect(incomplete).toBeGreaterThan(0);
  });

  /** A key whose proof ends in a two-entry branch: deleting it collapses onto the other entry. */
  function collapsingSibling(proof: Uint8Array[]): Uint8Array | null {
    const parent = rlpDecode(proof[proof.length - 2]!) as RlpItem[];
    if (parent.length !== 17) return null;
    const entries = parent.filter((c, i) => i < 16 && (Array.isArray(c) || (c as Uint8Array).length > 0));
    if (entries.length !== 2) return null;
    const leafRef = keccak256(proof[proof.length - 1]!);
    const other = entries.find((c) => c instanceof Uint8Array && bytesToHex(c) !== bytesToHex(leafRef));
    return other instanceof Uint8Array && other.length === 32 ? other : null;
  }

  it('a deletion collapsing a branch needs the sibling: typed error without it, the right root with it', async () => {
    let account: { a: Address; sibling: Uint8Array } | null = null;
    for (const a of state.accounts.keys()) {
      const s = collapsingSibling(await prover.accountProof(a));
      if (s) {
        account = { a, sibling: s };
        break;
      }
    }
    expect(account).not.toBeNull();
    const { a, sibling } = account!;
    const changes = new Map<Address, AccountChange>([[a, { account: null, storage: new Map(), storageCleared: true }]]);
    const after = cloneState(state);
    applyChanges(after, changes);
    const nodes = await prover.accountProof(a);
    const err = await witnessPostStateRoot(witnessFromNodes(root, nodes, []), changes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WitnessIncompleteError);
    expect((err as WitnessIncompleteError).trie).toBe('account');
    expect((err as WitnessIncompleteError).nodeHash).toBe(bytesToHex(sibling));
    const fullWitness = witnessFromNodes(root, full, []);
    const withSibling = witnessFromNodes(root, [...nodes, fullWitness.nodes.get(bytesToHex(sibling))!], []);
    expect(bytesToHex(await witnessPostStateRoot(withSibling, changes))).toBe(bytesToHex(stateRoot(after)));
  });

  it('the same for a storage slot deletion', async () => {
    let found: { a: Address; slot: bigint; sibling: Uint8Array } | null = null;
    outer: for (const [a, acc] of state.accounts) {
      for (const s of acc.storage.keys()) {
        const proof = await prover.slotProof(a, s);
        if (proof.length < 2) continue;
        const sib = collapsingSibling(proof);
        if (sib) {
          found = { a, slot: s, sibling: sib };
          break outer;
        }
      }
    }
    expect(found).not.toBeNull();
    const { a, slot, sibling } = found!;
    const prev = state.accounts.get(a)!;
    const changes = new Map<Address, AccountChange>([
      [a, { account: { nonce: prev.nonce, balance: prev.balance, code: prev.code, codeHash: prev.codeHash }, storage: new Map([[slot, 0n]]), storageCleared: false }],
    ]);
    const nodes = [...(await prover.accountProof(a)), ...(await prover.slotProof(a, slot))];
    const err = await witnessPostStateRoot(witnessFromNodes(root, nodes, []), changes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WitnessIncompleteError);
    expect((err as WitnessIncompleteError).trie).toBe('storage');
    expect((err as WitnessIncompleteError).address).toBe(a);
    expect((err as WitnessIncompleteError).nodeHash).toBe(bytesToHex(sibling));
    const after = cloneState(state);
    applyChanges(after, changes);
    const fullWitness = witnessFromNodes(root, full, []);
    const withSibling = witnessFromNodes(root, [...nodes, fullWitness.nodes.get(bytesToHex(sibling))!], []);
    expect(bytesToHex(await witnessPostStateRoot(withSibling, changes))).toBe(bytesToHex(stateRoot(after)));
  });

  it('builds a world from the empty root and deletes it again', async () => {
    const empty = witnessFromNodes(EMPTY_TRIE_ROOT, [], []);
    const changes = new Map<Address, AccountChange>();
    for (const [a, acc] of state.accounts) {
      changes.set(a, { account: { nonce: acc.nonce, balance: acc.balance, code: acc.code, codeHash: acc.codeHash }, storage: acc.storage, storageCleared: false });
    }
    expect(bytesToHex(await witnessPostStateRoot(empty, changes))).toBe(bytesToHex(root));
    const gone = new Map<Address, AccountChange>([...state.accounts.keys()].map((a) => [a, { account: null, storage: new Map(), storageCleared: true }]));
    expect(bytesToHex(await witnessPostStateRoot(witnessFromNodes(root, full, []), gone))).toBe(bytesToHex(EMPTY_TRIE_ROOT));
    // Clearing an account's storage empties its storage root.
    const [a, acc] = [...state.accounts].find(([, x]) => x.storage.size > 0)!;
    const cleared = new Map<Address, AccountChange>([[a, { account: { ...acc }, storage: new Map(), storageCleared: true }]]);
    const after = cloneState(state);
    applyChanges(after, cleared);
    expect(storageRoot(after.accounts.get(a)!.storage)).toEqual(EMPTY_TRIE_ROOT);
    expect(bytesToHex(await witnessPostStateRoot(witnessFromNodes(root, await prover.accountProof(a), []), cleared))).toBe(bytesToHex(stateRoot(after)));
  });
});

describe('PartialTrie on short, variable-length keys (embedded nodes, branch values)', () => {
  it('matches trieRoot through random puts and deletes, and reads like the full map', async () => {
    const r = rng(21);
    for (let round = 0; round < 12; round++) {
      const prefixes = [bytesOf(r, 1), bytesOf(r, 2)];
      const map = new Map<string, Uint8Array>();
      const t = await createMPT({ useKeyHashing: false });
      const randomKey = (): Uint8Array => {
        const p = prefixes[Math.floor(r() * prefixes.length)]!;
        const k = new Uint8Array(p.length + Math.floor(r() * 3));
        k.set(p);
        k.set(bytesOf(r, k.length - p.length), p.length);
        return k;
      };
      for (let i = 0; i < 40; i++) {
        const k = randomKey();
        const v = bytesOf(r, 1 + Math.floor(r() * (r() < 0.6 ? 3 : 40)));
        map.set(bytesToHex(k), v);
        await t.put(k, v);
      }
      const entries = (): [Uint8Array, Uint8Array][] => [...map].map(([k, v]) => [hexToBytes(k), v]);
      const root = trieRoot(entries());
      expect(bytesToHex(t.root())).toBe(bytesToHex(root));
      const nodes: Uint8Array[] = [];
      for (const k of map.keys()) nodes.push(...(await createMerkleProof(t, hexToBytes(k))));
      const store = new NodeStore(witnessFromNodes(root, nodes, []).nodes);
      const trie = new PartialTrie(store, root);
      for (const [k, v] of map) expect(bytesToHex(trie.get(hexToBytes(k))!)).toBe(bytesToHex(v));
      for (let i = 0; i < 60; i++) {
        const k = r() < 0.5 ? hexToBytes([...map.keys()][Math.floor(r() * map.size)] ?? '0x00') : randomKey();
        if (r() < 0.5) {
          map.delete(bytesToHex(k));
          trie.del(k);
        } else {
          const v = bytesOf(r, 1 + Math.floor(r() * 5));
          map.set(bytesToHex(k), v);
          trie.put(k, v);
        }
        expect(bytesToHex(trie.rootHash())).toBe(bytesToHex(trieRoot(entries())));
        expect(trie.get(k) === null).toBe(!map.has(bytesToHex(k)));
      }
    }
  });

  it('names the missing node and its path', () => {
    const hash = keccak256(Uint8Array.of(1));
    const trie = new PartialTrie(new NodeStore(new Map()), hash);
    try {
      trie.get(Uint8Array.of(0xab));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingNodeError);
      expect((e as MissingNodeError).hash).toBe(bytesToHex(hash));
      expect((e as MissingNodeError).path).toBe('');
    }
  });
});

describe('WitnessState on a real anvil node', () => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil();
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  it('answers like the RPC from eth_getProof nodes at a block', async () => {
    const pub = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) });
    const sender = privateKeyToAccount(node.privateKeys[0]!);
    const wallet = createWalletClient({ account: sender, chain: foundry, transport: http(node.rpcUrl) });
    // Init code: SSTORE(0, 42); SSTORE(5, 0xbeef); return runtime, which stores calldata word 0 in slot 1.
    const runtime = '600035600155' + '00';
    const init = '602a600055' + '61beef600555' + '6007' + '6017' + '6000' + '39' + '6007' + '6000' + 'f3';
    expect(init.length / 2).toBe(0x17);
    const deployHash = await wallet.sendTransaction({ data: `0x${init}${runtime}` as ViemHex });
    const contract = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;
    const call = await wallet.sendTransaction({ to: contract, data: `0x${(0x1234567n).toString(16).padStart(64, '0')}` as ViemHex });
    await pub.waitForTransactionReceipt({ hash: call });
    const recipient = toAddress('0x' + 'ab'.repeat(20));
    const transfer = await wallet.sendTransaction({ to: recipient, value: parseEther('1.5') });
    const { blockNumber } = await pub.waitForTransactionReceipt({ hash: transfer });
    // A later block must not leak into reads at `blockNumber`.
    await pub.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: recipient, value: 1n }) });

    const block = await pub.getBlock({ blockNumber });
    const slots = [0n, 1n, 5n, 9n];
    const who = [toAddress(contract), toAddress(sender.address), recipient, toAddress('0x' + 'cd'.repeat(20))];
    const nodes: Uint8Array[] = [];
    const codes: Uint8Array[] = [];
    for (const a of who) {
      const proof = await pub.getProof({ address: a, storageKeys: slots.map((s) => `0x${s.toString(16).padStart(64, '0')}` as ViemHex), blockNumber });
      for (const n of proof.accountProof) nodes.push(hexToBytes(n));
      for (const sp of proof.storageProof) for (const n of sp.proof) nodes.push(hexToBytes(n));
      const code = await pub.getCode({ address: a, blockNumber });
      if (code && code !== '0x') codes.push(hexToBytes(code));
    }
    const ws = new WitnessState(witnessFromNodes(hexToBytes(block.stateRoot), nodes, codes));
    for (const a of who) {
      const code = hexToBytes((await pub.getCode({ address: a, blockNumber })) ?? '0x');
      const balance = await pub.getBalance({ address: a, blockNumber });
      const nonce = BigInt(await pub.getTransactionCount({ address: a, blockNumber }));
      const acc = ws.getAccount(a);
      if (a === who[3]) {
        expect(acc).toBeNull();
        expect(balance).toBe(0n);
      } else {
        expect(acc).not.toBeNull();
        expect(acc!.balance).toBe(balance);
        expect(acc!.nonce).toBe(nonce);
        expect(bytesToHex(acc!.codeHash)).toBe(bytesToHex(code.length === 0 ? KECCAK_EMPTY : keccak256(code)));
        expect(bytesToHex(ws.getCode(a, acc!.codeHash))).toBe(bytesToHex(code));
      }
      for (const s of slots) {
        const raw = await pub.getStorageAt({ address: a, slot: `0x${s.toString(16)}` as ViemHex, blockNumber });
        expect(ws.getStorage(a, s)).toBe(BigInt(raw ?? '0x0'));
      }
    }
    expect(ws.getStorage(toAddress(contract), 1n)).toBe(0x1234567n);
    expect(ws.getStorage(toAddress(contract), 5n)).toBe(0xbeefn);
    expect(ws.hasStorage(toAddress(contract))).toBe(true);
    expect(ws.hasStorage(toAddress(sender.address))).toBe(false);
    // A dev account nobody proved.
    expect(() => ws.getAccount(toAddress(privateKeyToAccount(node.privateKeys[9]!).address))).toThrow(MissingStateError);
  }, 60_000);

  it('block N witness plus block N+1 changes gives block N+1 state root', async () => {
    const pub = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) });
    const sender = privateKeyToAccount(node.privateKeys[1]!);
    const wallet = createWalletClient({ account: sender, chain: foundry, transport: http(node.rpcUrl) });
    const runtime = '600035600155' + '00';
    const init = '602a600055' + '61beef600555' + '6007' + '6017' + '6000' + '39' + '6007' + '6000' + 'f3';
    const deploy = await wallet.sendTransaction({ data: `0x${init}${runtime}` as ViemHex });
    const contract = toAddress((await pub.waitForTransactionReceipt({ hash: deploy })).contractAddress!);
    const set = await wallet.sendTransaction({ to: contract, data: `0x${'77'.repeat(32)}` as ViemHex });
    const n = (await pub.waitForTransactionReceipt({ hash: set })).blockNumber;
    // Block N+1 rewrites slot 1. (Not to zero: anvil 1.7.1 keeps a zeroed slot in its storage
    // trie as rlp(0) instead of deleting it, so its roots after a clear are not Ethereum's.)
    const clear = await wallet.sendTransaction({ to: contract, data: `0x${'00'.repeat(31)}05` as ViemHex });
    const next = (await pub.waitForTransactionReceipt({ hash: clear })).blockNumber;
    expect(next).toBe(n + 1n);
    const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
      const res = await fetch(node.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
      return ((await res.json()) as { result: unknown }).result;
    };
    // What the block touched, by the node's own diff tracer, plus the EIP-2935 history
    // contract the block's system call writes (slot (N+1-1) % 8191 holds block N's hash).
    const diff = (await rpc('debug_traceTransaction', [clear, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }])) as {
      pre: Record<string, { storage?: Record<string, string> }>;
      post: Record<string, { storage?: Record<string, string> }>;
    };
    const touched = new Map<Address, Set<bigint>>();
    for (const side of [diff.pre, diff.post]) {
      for (const [a, acc] of Object.entries(side)) {
        const slots = touched.get(toAddress(a)) ?? new Set<bigint>();
        for (const k of Object.keys(acc.storage ?? {})) slots.add(BigInt(k));
        touched.set(toAddress(a), slots);
      }
    }
    expect(touched.get(contract)?.has(1n)).toBe(true);
    const history = toAddress('0x0000F90827F1C53a10cb7A02335B175320002935');
    if ((await pub.getCode({ address: history, blockNumber: n })) !== undefined) {
      const slots = touched.get(history) ?? new Set<bigint>();
      slots.add(n % 8191n);
      touched.set(history, slots);
    }
    const slotHex = (s: bigint): ViemHex => `0x${s.toString(16).padStart(64, '0')}`;
    const nodes: Uint8Array[] = [];
    const changes = new Map<Address, AccountChange>();
    for (const [a, slots] of touched) {
      const before = await pub.getProof({ address: a, storageKeys: [...slots].map(slotHex), blockNumber: n });
      for (const x of before.accountProof) nodes.push(hexToBytes(x));
      for (const sp of before.storageProof) for (const x of sp.proof) nodes.push(hexToBytes(x));
      const after = await pub.getProof({ address: a, storageKeys: [...slots].map(slotHex), blockNumber: next });
      const code = hexToBytes((await pub.getCode({ address: a, blockNumber: next })) ?? '0x');
      const gone = after.nonce === 0 && after.balance === 0n && code.length === 0 && after.storageHash === bytesToHex(EMPTY_TRIE_ROOT);
      changes.set(a, {
        account: gone ? null : { nonce: BigInt(after.nonce), balance: after.balance, code, codeHash: hexToBytes(after.codeHash) },
        storage: new Map(after.storageProof.map((sp) => [BigInt(sp.key), sp.value])),
        storageCleared: false,
      });
    }
    const [blockN, blockNext] = await Promise.all([pub.getBlock({ blockNumber: n }), pub.getBlock({ blockNumber: next })]);
    const witness = witnessFromNodes(hexToBytes(blockN.stateRoot), nodes, []);
    expect(new WitnessState(witness).getStorage(contract, 1n)).toBe(BigInt('0x' + '77'.repeat(32)));
    expect(changes.get(contract)!.storage.get(1n)).toBe(5n);
    expect(bytesToHex(await witnessPostStateRoot(witness, changes))).toBe(blockNext.stateRoot);
  }, 60_000);
});
