// Merkle-Patricia trie: roots differential against @ethereumjs/mpt, proofs from
// @ethereumjs/mpt and from a real anvil node's eth_getProof, and tampered proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMPT, createMerkleProof } from '@ethereumjs/mpt';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  type Hex as ViemHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import {
  decodeAccount,
  encodeAccount,
  EMPTY_TRIE_ROOT,
  MptProofError,
  orderedTrieRoot,
  trieRoot,
  TrieError,
  verifyMptProof,
  AccountDecodeError,
} from '../vm/trie/index.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../vm/util/hash.js';
import { rng } from './support/rng.js';


function bytesOf(r: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
  return b;
}

type Entry = [Uint8Array, Uint8Array];

/** Random distinct keys; `shape` controls prefix sharing and key-length variety. */
function randomEntries(r: () => number, n: number, shape: 'hashed' | 'shared' | 'varlen'): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  const prefixes = [bytesOf(r, 3), bytesOf(r, 5), bytesOf(r, 1)];
  while (out.length < n) {
    let key: Uint8Array;
    if (shape === 'hashed') key = bytesOf(r, 32);
    else if (shape === 'shared') {
      const p = prefixes[Math.floor(r() * prefixes.length)]!;
      key = new Uint8Array(8);
      key.set(p);
      key.set(bytesOf(r, 8 - p.length), p.length);
      // Keys differing only in the last nibble give deep branches with leaf children.
      if (r() < 0.3) key[7] = key[7]! & 0xf0;
    } else {
      // Variable lengths: some keys are prefixes of others (values held in branches).
      const base = prefixes[Math.floor(r() * prefixes.length)]!;
      const extra = Math.floor(r() * 4);
      key = new Uint8Array(base.length + extra);
      key.set(base);
      key.set(bytesOf(r, extra), base.length);
    }
    const k = bytesToHex(key);
    if (seen.has(k)) continue;
    seen.add(k);
    // Short values make nodes under 32 bytes that must be embedded in their parent.
    const vlen = r() < 0.5 ? 1 + Math.floor(r() * 4) : 1 + Math.floor(r() * 100);
    out.push([key, bytesOf(r, vlen)]);
  }
  return out;
}

async function ejsTrie(entries: readonly Entry[]) {
  const t = await createMPT();
  for (const [k, v] of entries) await t.put(k, v);
  return t;
}

describe('trieRoot', () => {
  it('empty trie is keccak(rlp(""))', async () => {
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe(bytesToHex(keccak256(Uint8Array.of(0x80))));
    expect(trieRoot([])).toEqual(EMPTY_TRIE_ROOT);
    expect(trieRoot([[Uint8Array.of(1), new Uint8Array(0)]])).toEqual(EMPTY_TRIE_ROOT);
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe(bytesToHex((await createMPT()).root()));
  });

  const cases: Array<[string, 'hashed' | 'shared' | 'varlen', number[]]> = [
    ['32-byte hashed keys', 'hashed', [1, 2, 3, 17, 100, 600]],
    ['keys with shared prefixes', 'shared', [2, 5, 30, 200]],
    ['variable-length keys, some prefixes of others', 'varlen', [2, 4, 9, 40, 150]],
  ];
  for (const [name, shape, sizes] of cases) {
    it(`matches @ethereumjs/mpt: ${name}`, async () => {
      const r = rng(sizes.length * 31 + shape.length);
      for (const n of sizes) {
        for (let rep = 0; rep < 3; rep++) {
          const entries = randomEntries(r, n, shape);
          const expected = (await ejsTrie(entries)).root();
          expect(bytesToHex(trieRoot(entries))).toBe(bytesToHex(expected));
          // Order of input must not matter.
          expect(bytesToHex(trieRoot([...entries].reverse()))).toBe(bytesToHex(expected));
        }
      }
    });
  }

  it('skips empty values as absent keys', async () => {
    const r = rng(5);
    const entries = randomEntries(r, 50, 'hashed');
    const withEmpty: Entry[] = [...entries, [bytesOf(r, 32), new Uint8Array(0)]];
    expect(trieRoot(withEmpty)).toEqual((await ejsTrie(entries)).root());
  });

  it('rejects duplicate keys', () => {
    const k = Uint8Array.of(1, 2);
    expect(() => trieRoot([[k, Uint8Array.of(1)], [k.slice(), Uint8Array.of(2)]])).toThrow(TrieError);
  });

  it('orderedTrieRoot matches keys rlp(i) in @ethereumjs/mpt', async () => {
    const r = rng(9);
    for (const n of [1, 2, 16, 127, 128, 129, 300]) {
      const values = Array.from({ length: n }, () => bytesOf(r, 1 + Math.floor(r() * 120)));
      const expected = (await ejsTrie(values.map((v, i) => [rlpEncode(i), v]))).root();
      expect(bytesToHex(orderedTrieRoot(values))).toBe(bytesToHex(expected));
    }
  });
});

describe('verifyMptProof against @ethereumjs/mpt proofs', () => {
  it('proves inclusion and absence, rejects tampering', async () => {
    const r = rng(21);
    for (const shape of ['hashed', 'shared', 'varlen'] as const) {
      for (const n of [1, 3, 40, 300]) {
        const entries = randomEntries(r, n, shape);
        const t = await ejsTrie(entries);
        const root = trieRoot(entries);
        for (let i = 0; i < Math.min(n, 12); i++) {
          const [k, v] = entries[Math.floor(r() * n)]!;
          const proof = await createMerkleProof(t, k);
          expect(verifyMptProof(root, k, proof)).toEqual(v);
        }
        for (let i = 0; i < 8; i++) {
          // Absent keys: random ones, and existing keys with their last nibble changed.
          const k = i % 2 === 0 ? randomEntries(r, 1, shape)[0]![0] : entries[i % n]![0].slice();
          if (i % 2 === 1) k[k.length - 1] = k[k.length - 1]! ^ 0x01;
          if (entries.some(([e]) => bytesToHex(e) === bytesToHex(k))) continue;
          const proof = await createMerkleProof(t, k);
          expect(verifyMptProof(root, k, proof)).toBeNull();
        }
        const [k] = entries[0]!;
        const proof = await createMerkleProof(t, k);
        expectTamperRejected(root, k, proof);
      }
    }
  });

  it('empty trie: empty proof proves absence only under the empty root', () => {
    expect(verifyMptProof(EMPTY_TRIE_ROOT, Uint8Array.of(1), [])).toBeNull();
    expect(() => verifyMptProof(keccak256(Uint8Array.of(1)), Uint8Array.of(1), [])).toThrow(MptProofError);
  });
});

/** Every single-byte flip, dropped node or extra node must be rejected (never a wrong answer). */
function expectTamperRejected(root: Uint8Array, key: Uint8Array, proof: readonly Uint8Array[]): void {
  expect(proof.length).toBeGreaterThan(0);
  for (let n = 0; n < proof.length; n++) {
    const node = proof[n]!;
    for (const at of [0, Math.floor(node.length / 2), node.length - 1]) {
      const bad = proof.map((p) => p.slice());
      bad[n]![at] = bad[n]![at]! ^ 0x10;
      expect(() => verifyMptProof(root, key, bad)).toThrow(MptProofError);
    }
  }
  expect(() => verifyMptProof(root, key, [...proof, Uint8Array.of(0x80)])).toThrow(MptProofError);
  // Dropping a hashed node breaks the proof (@ethereumjs/mpt also lists embedded nodes, which are redundant).
  let lastHashed = -1;
  for (let i = 1; i < proof.length; i++) if (proof[i]!.length >= 32) lastHashed = i;
  if (lastHashed > 0) {
    expect(() => verifyMptProof(root, key, proof.filter((_, i) => i !== lastHashed))).toThrow(MptProofError);
  }
  const wrongRoot = root.slice();
  wrongRoot[0] = wrongRoot[0]! ^ 1;
  expect(() => verifyMptProof(wrongRoot, key, proof)).toThrow(MptProofError);
  // Not hash-linked: a node at the right position from a different trie.
  expect(() => verifyMptProof(root, key, [rlpEncode([Uint8Array.of(0x20), Uint8Array.of(1)])])).toThrow(MptProofError);
}

describe('account encoding', () => {
  it('round-trips and matches the RLP layout [nonce, balance, storageRoot, codeHash]', () => {
    const acc = { nonce: 5n, balance: 10n ** 18n, storageRoot: EMPTY_TRIE_ROOT, codeHash: KECCAK_EMPTY };
    const enc = encodeAccount(acc);
    expect(enc).toEqual(rlpEncode([5n, 10n ** 18n, EMPTY_TRIE_ROOT, KECCAK_EMPTY]));
    expect(decodeAccount(enc)).toEqual(acc);
    expect(() => decodeAccount(rlpEncode([5n, 1n, EMPTY_TRIE_ROOT]))).toThrow(AccountDecodeError);
    expect(() => decodeAccount(rlpEncode([5n, 1n, EMPTY_TRIE_ROOT, Uint8Array.of(1)]))).toThrow(AccountDecodeError);
    expect(() => decodeAccount(hexToBytes('0xc0ff'))).toThrow(AccountDecodeError);
  });
});

describe('verifyMptProof against anvil eth_getProof', () => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('verifies account and storage proofs of real state, rejects tampering', async () => {
    const client = createPublicClient({ chain: foundry, transport: http(node.rpcUrl) });
    const sender = privateKeyToAccount(node.privateKeys[0]!);
    const wallet = createWalletClient({ account: sender, chain: foundry, transport: http(node.rpcUrl) });
    // A contract whose constructor stores slot s := s+1 for s in 0..4 and slot 0x1234 := 7
    // (PUSH1 v PUSH1 s SSTORE ...), then returns the one-byte runtime code 0x01.
    let init = '';
    for (let s = 0; s < 5; s++) init += `60${(s + 1).toString(16).padStart(2, '0')}60${s.toString(16).padStart(2, '0')}55`;
    init += '600761123455'; // SSTORE(0x1234, 7)
    init += '600160005360016000f3'; // MSTORE8(0, 1); RETURN(0, 1)
    const deployHash = await wallet.sendTransaction({ data: `0x${init}` as ViemHex });
    const receipt = await client.waitForTransactionReceipt({ hash: deployHash });
    expect(receipt.status).toBe('success');
    const contract = receipt.contractAddress!;
    const recipients: ViemHex[] = [];
    for (let i = 1; i <= 4; i++) {
      const to = privateKeyToAccount(node.privateKeys[i]!).address;
      recipients.push(to);
      const h = await wallet.sendTransaction({ to, value: parseEther(String(i)) });
      await client.waitForTransactionReceipt({ hash: h });
    }
    const block = await client.getBlock();
    const stateRoot = hexToBytes(block.stateRoot);
    const absent = '0x00000000000000000000000000000000deadbeef' as ViemHex;
    for (const addr of [sender.address, contract, ...recipients, absent]) {
      const slots: ViemHex[] = [0, 1, 4, 5, 0x1234, 0x9999].map((s) => `0x${s.toString(16).padStart(64, '0')}` as ViemHex);
      const p = await client.getProof({ address: addr, storageKeys: slots, blockNumber: block.number });
      const accountProof = p.accountProof.map((h) => hexToBytes(h));
      const value = verifyMptProof(stateRoot, keccak256(hexToBytes(addr)), accountProof);
      if (addr === absent) {
        expect(value).toBeNull();
      } else {
        expect(value).not.toBeNull();
        const acc = decodeAccount(value!);
        expect(acc.nonce).toBe(BigInt(p.nonce));
        expect(acc.balance).toBe(p.balance);
        expect(bytesToHex(acc.storageRoot)).toBe(p.storageHash);
        expect(bytesToHex(acc.codeHash)).toBe(p.codeHash);
        expectTamperRejected(stateRoot, keccak256(hexToBytes(addr)), accountProof);
      }
      for (const sp of p.storageProof) {
        const proof = sp.proof.map((h) => hexToBytes(h));
        const slotKey = keccak256(hexToBytes(sp.key));
        const v = verifyMptProof(hexToBytes(p.storageHash), slotKey, proof);
        if (sp.value === 0n) expect(v).toBeNull();
        else {
          expect(v).toEqual(rlpEncode(sp.value));
          expectTamperRejected(hexToBytes(p.storageHash), slotKey, proof);
        }
      }
      if (addr === contract) {
        expect(p.storageProof.map((s) => s.value)).toEqual([1n, 2n, 5n, 0n, 7n, 0n]);
        // Our root of the contract's storage, from the values anvil reports, equals its storageHash.
        const entries = p.storageProof
          .filter((s) => s.value !== 0n)
          .map((s) => [keccak256(hexToBytes(s.key)), rlpEncode(s.value)] as [Uint8Array, Uint8Array]);
        entries.push(
          [keccak256(hexToBytes(`0x${'2'.padStart(64, '0')}`)), rlpEncode(3n)],
          [keccak256(hexToBytes(`0x${'3'.padStart(64, '0')}`)), rlpEncode(4n)],
        );
        expect(bytesToHex(trieRoot(entries))).toBe(p.storageHash);
      }
    }
  });
});
