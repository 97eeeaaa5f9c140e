// Block and pre-state fetching against a real anvil node carrying a varied load,
// checked against viem's view of the same node and anvil's own prestateTracer;
// and against a proxy that tampers with proofs, receipts, raw transactions and
// headers, or serves debug_executionWitness (as reth does) from anvil's proofs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicClient, http, keccak256 as viemKeccak, parseTransaction, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { RpcClient, type JsonValue } from '../vm/rpc/client.js';
import { BlockIntegrityError, encodeHeader, fetchBlock, fetchHeader } from '../vm/rpc/block.js';
import { fetchBlockHashes, fetchMissing, fetchPreState, PreStateProofError, proofPath, type PreState } from '../vm/rpc/prestate.js';
import { MissingStateError } from '../vm/state/backend.js';
import { decodeAccount, EMPTY_TRIE_ROOT, verifyMptProof } from '../vm/trie/index.js';
import { rlpDecode, rlpToBigInt } from '../vm/rlp/rlp.js';
import { bigIntToBytes, bytesToHex, equalBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256, KECCAK_EMPTY } from '../vm/util/hash.js';
import type { Address } from '../vm/util/address.js';
import { sendVariedLoad, type LoadResult } from '../cli/devnet/load.js';
import { sendBlobTransaction } from './support/blobs.js';

type Tamper = (method: string, params: JsonValue[], result: JsonValue) => JsonValue;
interface RpcMsg {
  id: number;
  method: string;
  params: JsonValue[];
}

/** A JSON-RPC proxy to anvil whose answers pass through `tamper`, and which may serve methods itself. */
class Proxy {
  tamper: Tamper = (_m, _p, r) => r;
  serve: ((method: string, params: JsonValue[]) => Promise<JsonValue | undefined>) | null = null;
  rename: Record<string, string> = {};
  private server!: Server;
  url = '';
  constructor(private readonly upstream: string) {}
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', async () => {
        const body = JSON.parse(text) as RpcMsg | RpcMsg[];
        const msgs = Array.isArray(body) ? body : [body];
        const answers = await Promise.all(msgs.map((m) => this.answer(m)));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  private async answer(m: RpcMsg): Promise<unknown> {
    const own = this.serve ? await this.serve(m.method, m.params) : undefined;
    if (own !== undefined) return { jsonrpc: '2.0', id: m.id, result: own };
    const res = await fetch(this.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...m, method: this.rename[m.method] ?? m.method }) });
    const a = (await res.json()) as { result?: JsonValue; error?: unknown };
    if (a.error !== undefined) return a;
    return { ...a, result: this.tamper(m.method, m.params, a.result!) };
  }
  reset(): void {
    this.tamper = (_m, _p, r) => r;
    this.serve = null;
    this.rename = {};
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** Flips the last byte of a hex string. */
function flip(h: string): string {
  const last = parseInt(h.slice(-2), 16) ^ 0x01;
  return h.slice(0, -2) + last.toString(16).padStart(2, '0');
}

let node: AnvilNode;
let rpc: RpcClient;
let proxy: Proxy;
let prpc: RpcClient;
let load: LoadResult;
let viem: ReturnType<typeof createPublicClient>;

beforeAll(async () => {
  node = await startAnvil({ hardfork: 'prague' });
  rpc = new RpcClient(node.rpcUrl);
  proxy = new Proxy(node.rpcUrl);
  await proxy.start();
  prpc = new RpcClient(proxy.url, { retries: 0 });
  viem = createPublicClient({ transport: http(node.rpcUrl) });
  // anvil's genesis header carries the empty trie root, not its real state
  // root, so nothing proves against it: start the load from block 2.
  await rpc.request('eth_sendTransaction', [{ from: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', to: '0x0000000000000000000000000000000000000001', value: '0x1' }]);
  load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'prague', rounds: 1 });
  expect(load.fromBlock).toBe(2n);
});

afterAll(async () => {
  await proxy?.stop();
  await node?.stop();
});

/** The block of the load with the most transactions. */
async function busiestBlock(): Promise<bigint> {
  let best = load.fromBlock;
  let most = -1;
  for (let n = load.fromBlock; n <= load.toBlock; n++) {
    const count = await viem.getBlockTransactionCount({ blockNumber: n });
    if (count > most) [best, most] = [n, count];
  }
  return best;
}

describe('fetchBlock', () => {
  it('every block of the load agrees with viem; raw transactions parse and hash to their hashes', async () => {
    const types = new Set<number>();
    for (let n = 0n; n <= load.toBlock; n++) {
      const b = await fetchBlock(rpc, n);
      const v = await viem.getBlock({ blockNumber: n, includeTransactions: false });
      expect(bytesToHex(b.hash)).toBe(v.hash);
      expect(bytesToHex(b.header.stateRoot)).toBe(v.stateRoot);
      expect(b.header.gasUsed).toBe(v.gasUsed);
      expect(b.header.baseFeePerGas).toBe(v.baseFeePerGas);
      expect(b.header.requestsHash).toBeDefined(); // prague header
      expect(b.transactions.map((t) => bytesToHex(t.hash))).toEqual(v.transactions);
      for (const t of b.transactions) {
        const raw = bytesToHex(t.raw);
        expect(viemKeccak(raw)).toBe(bytesToHex(t.hash));
        parseTransaction(raw); // viem accepts the encoding
        types.add(t.type);
        const r = await viem.getTransactionReceipt({ hash: bytesToHex(t.hash) });
        const ours = b.receipts[t.index]!;
        expect(ours.status).toBe(r.status === 'success' ? 1 : 0);
        expect(ours.cumulativeGasUsed).toBe(r.cumulativeGasUsed);
        expect(ours.logs.length).toBe(r.logs.length);
      }
    }
    expect([...types].sort()).toEqual([0, 1, 2, 4]);
  });

  it('falls back to per-transaction receipts when eth_getBlockReceipts is missing', async () => {
    const n = await busiestBlock();
    const direct = await fetchBlock(rpc, n);
    // anvil has the method: forward it under a name anvil does not know.
    proxy.rename = { eth_getBlockReceipts: 'eth_getBlockReceiptz' };
    const viaFallback = await fetchBlock(prpc, n);
    proxy.reset();
    expect(viaFallback.receipts).toEqual(direct.receipts);
    expect(direct.receipts.length).toBeGreaterThan(3);
  });

  it('blob transactions come back in canonical form; anvil\'s wrapped-form transactionsRoot only with the opt-in', async () => {
    const blob = new Uint8Array(131072);
    blob[33] = 7;
    const sent = await sendBlobTransaction(node.rpcUrl, node.privateKeys[6]!, [blob]);
    await expect(fetchBlock(rpc, sent.blockNumber)).rejects.toThrow(/transactionsRoot/);
    const b = await fetchBlock(rpc, sent.blockNumber, { allowWrappedBlobTxRoot: true });
    const t = b.transactions.find((x) => bytesToHex(x.hash) === sent.txHash)!;
    expect(t.type).toBe(3);
    expect(viemKeccak(bytesToHex(t.raw))).toBe(sent.txHash);
    const parsed = parseTransaction(bytesToHex(t.raw));
    expect(parsed.blobVersionedHashes).toEqual(sent.versionedHashes);
    expect(parsed.sidecars).toBeUndefined();
  });

  it('tampered receipts, raw transactions and headers are BlockIntegrityError', async () => {
    const n = await busiestBlock();
    const tampers: Tamper[] = [
      (m, _p, r) => (m === 'eth_getBlockReceipts' ? (r as { cumulativeGasUsed: string }[]).map((x, i) => (i === 1 ? { ...x, cumulativeGasUsed: `0x${(BigInt(x.cumulativeGasUsed) + 1n).toString(16)}` } : x)) : r),
      (m, _p, r) => (m === 'eth_getBlockReceipts' ? (r as { status: string }[]).map((x, i) => (i === 0 ? { ...x, status: x.status === '0x1' ? '0x0' : '0x1' } : x)) : r),
      (m, _p, r) => (m === 'eth_getRawTransactionByHash' ? flip(r as string) : r),
      (m, _p, r) => (m === 'eth_getBlockByNumber' ? { ...(r as object), gasUsed: `0x${(BigInt((r as { gasUsed: string }).gasUsed) + 1n).toString(16)}` } : r),
    ];
    for (const t of tampers) {
      proxy.tamper = t;
      await expect(fetchBlock(prpc, n)).rejects.toBeInstanceOf(BlockIntegrityError);
    }
    proxy.reset();
    await expect(fetchBlock(prpc, n)).resolves.toBeDefined();
  });
});

/** Checks a PreState against anvil's prestateTracer for block n, walking only the returned nodes. */
async function checkAgainstTracer(pre: PreState, n: bigint): Promise<number> {
  const byHash = new Map(pre.nodes.map((x) => [bytesToHex(keccak256(x)), x]));
  const codes = new Map(pre.codes.map((c) => [bytesToHex(keccak256(c)), c]));
  const trace = (await rpc.request('debug_traceBlockByNumber', [`0x${n.toString(16)}`, { tracer: 'prestateTracer' }])) as { result: Record<string, { balance?: string; nonce?: number; code?: string; storage?: Record<string, string> }> }[];
  let checked = 0;
  // Each transaction's prestate is the state before it, so only the first
  // sighting of an account or slot in the block is its parent-state value.
  const seen = new Set<string>();
  for (const { result } of trace) {
    for (const [addr, t] of Object.entries(result)) {
      const a = addr as Address;
      const first = !seen.has(a);
      seen.add(a);
      const key = keccak256(hexToBytes(a));
      const value = verifyMptProof(pre.parentStateRoot, key, proofPath(pre.parentStateRoot, key, byHash, a));
      const acct = value === null ? null : decodeAccount(value);
      if (first) {
        expect(acct?.balance ?? 0n).toBe(BigInt(t.balance ?? '0x0'));
        expect(acct?.nonce ?? 0n).toBe(BigInt(t.nonce ?? 0));
        const codeHash = acct?.codeHash ?? KECCAK_EMPTY;
        if (!equalBytes(codeHash, KECCAK_EMPTY)) expect(bytesToHex(codes.get(bytesToHex(codeHash))!)).toBe(t.code);
      }
      for (const [slot, v] of Object.entries(t.storage ?? {})) {
        if (seen.has(`${a}:${BigInt(slot)}`)) continue;
        seen.add(`${a}:${BigInt(slot)}`);
        const skey = keccak256(bigIntToBytes(BigInt(slot)));
        // The slot must be proven even where the account does not exist yet (it then reads 0).
        const root = acct?.storageRoot ?? EMPTY_TRIE_ROOT;
        const sv = verifyMptProof(root, skey, proofPath(root, skey, byHash, a));
        expect(sv === null ? 0n : rlpToBigInt(rlpDecode(sv))).toBe(BigInt(v));
        checked++;
      }
      checked++;
    }
  }
  return checked;
}

describe('fetchPreState', () => {
  it('proves every account and slot the tracer reports, from the parent state root (anvil: proofs path)', async () => {
    let checked = 0;
    for (let n = load.fromBlock; n <= load.toBlock; n++) {
      const pre = await fetchPreState(rpc, n); // auto: anvil lacks debug_executionWitness
      const parent = await viem.getBlock({ blockNumber: n - 1n });
      expect(bytesToHex(pre.parentStateRoot)).toBe(parent.stateRoot);
      expect(bytesToHex(pre.blockHashes.get(n - 1n)!)).toBe(parent.hash);
      checked += await checkAgainstTracer(pre, n);
      // System-call state the tracer does not report is proven too (prague: EIP-2935's slot for n - 1).
      const byHash = new Map(pre.nodes.map((x) => [bytesToHex(keccak256(x)), x]));
      const history = '0x0000f90827f1c53a10cb7a02335b175320002935' as Address;
      const hk = keccak256(hexToBytes(history));
      const hv = verifyMptProof(pre.parentStateRoot, hk, proofPath(pre.parentStateRoot, hk, byHash, history));
      const hroot = hv === null ? EMPTY_TRIE_ROOT : decodeAccount(hv).storageRoot;
      const sk = keccak256(bigIntToBytes((n - 1n) % 8191n));
      verifyMptProof(hroot, sk, proofPath(hroot, sk, byHash, history));
    }
    expect(checked).toBeGreaterThan(100);
    // Block 1's parent is anvil's genesis, whose header does not commit to its state.
    await expect(fetchPreState(rpc, 1n)).rejects.toBeInstanceOf(PreStateProofError);
  });

  it('a flipped proof byte, a wrong balance or storage value, or bad code is PreStateProofError naming the account or slot', async () => {
    const n = await busiestBlock();
    const token = load.contracts.Token!.toLowerCase();
    type Proof = { address: string; balance: string; accountProof: string[]; storageProof: { key: string; value: string; proof: string[] }[] };
    const onProof = (f: (p: Proof) => Proof): Tamper => (m, _p, r) => (m === 'eth_getProof' && (r as Proof).address.toLowerCase() === token ? f(r as Proof) : r);
    const cases: [Tamper, (e: PreStateProofError) => void][] = [
      [onProof((p) => ({ ...p, accountProof: p.accountProof.map((x, i) => (i === 1 ? flip(x) : x)) })), (e) => expect(e.slot).toBeNull()],
      [onProof((p) => ({ ...p, accountProof: p.accountProof.slice(0, -1) })), (e) => expect(e.slot).toBeNull()],
      [onProof((p) => ({ ...p, balance: '0x1' })), (e) => expect(e.message).toMatch(/differ from the proven/)],
      [onProof((p) => ({ ...p, storageProof: p.storageProof.map((s, i) => (i === 0 ? { ...s, proof: s.proof.map((x, j) => (j === s.proof.length - 1 ? flip(x) : x)) } : s)) })), (e) => expect(e.slot).not.toBeNull()],
      [onProof((p) => ({ ...p, storageProof: p.storageProof.map((s, i) => (i === 0 ? { ...s, value: `0x${(BigInt(s.value) + 1n).toString(16)}` } : s)) })), (e) => expect(e.message).toMatch(/node reports/)],
      [onProof((p) => ({ ...p, storageProof: p.storageProof.slice(1) })), (e) => expect(e.message).toMatch(/no storage proof/)],
      [
        (m, p, r) => {
          if (m === 'debug_traceBlockByNumber') return (r as { result: Record<string, { code?: string }> }[]).map((x) => ({ ...x, result: Object.fromEntries(Object.entries(x.result).map(([a, v]) => [a, { ...v, code: undefined }])) })) as unknown as JsonValue;
          if (m === 'eth_getCode' && String(p[0]).toLowerCase() === token) return flip(r as string);
          return r;
        },
        (e) => expect(e.message).toMatch(/code does not hash/),
      ],
    ];
    for (const [t, check] of cases) {
      proxy.tamper = t;
      const err = await fetchPreState(prpc, n, { source: 'proofs' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PreStateProofError);
      expect((err as PreStateProofError).address).toBe(token);
      check(err as PreStateProofError);
    }
    proxy.reset();
    await expect(fetchPreState(prpc, n, { source: 'proofs' })).resolves.toBeDefined();
  });

  it('fetchMissing proves one more slot or account, present or absent', async () => {
    const n = load.toBlock;
    const token = load.contracts.Token!.toLowerCase() as Address;
    const header = (await fetchHeader(rpc, n - 1n)).header;
    const totalSupplySlot = 2n; // Token: balanceOf (0), allowance (1), totalSupply (2)
    for (const [missing, expected] of [
      [new MissingStateError('storage', token, totalSupplySlot), 10n ** 24n],
      [new MissingStateError('storage', token, 123456789n), 0n],
    ] as const) {
      const extra = await fetchMissing(rpc, n, missing);
      const byHash = new Map(extra.nodes.map((x) => [bytesToHex(keccak256(x)), x]));
      const key = keccak256(hexToBytes(token));
      const acct = decodeAccount(verifyMptProof(header.stateRoot, key, proofPath(header.stateRoot, key, byHash, token))!);
      const skey = keccak256(bigIntToBytes(missing.slot!));
      const v = verifyMptProof(acct.storageRoot, skey, proofPath(acct.storageRoot, skey, byHash, token));
      expect(v === null ? 0n : rlpToBigInt(rlpDecode(v))).toBe(expected);
      expect(extra.codes.map((c) => bytesToHex(keccak256(c)))).toEqual([bytesToHex(acct.codeHash)]);
    }
    const nobody = '0x00000000000000000000000000000000deadbeef' as Address;
    const extra = await fetchMissing(rpc, n, new MissingStateError('account', nobody), header.stateRoot);
    const byHash = new Map(extra.nodes.map((x) => [bytesToHex(keccak256(x)), x]));
    const key = keccak256(hexToBytes(nobody));
    expect(verifyMptProof(header.stateRoot, key, proofPath(header.stateRoot, key, byHash, nobody))).toBeNull();
    expect(extra.codes).toEqual([]);
  });

  it('fetchBlockHashes links ancestors to a trusted anchor', async () => {
    const n = load.toBlock;
    const top = await viem.getBlock({ blockNumber: n });
    const numbers = Array.from({ length: Number(n) }, (_, i) => BigInt(i));
    const hashes = await fetchBlockHashes(rpc, numbers, { number: n - 1n, hash: hexToBytes(top.parentHash) });
    expect(hashes.size).toBe(Number(n));
    for (const k of [0n, 1n, n - 1n]) expect(bytesToHex(hashes.get(k)!)).toBe((await viem.getBlock({ blockNumber: k })).hash);
    await expect(fetchBlockHashes(rpc, numbers, { number: n - 1n, hash: new Uint8Array(32) })).rejects.toBeInstanceOf(BlockIntegrityError);
    await expect(fetchBlockHashes(rpc, [1n, 3n], { number: 3n, hash: hashes.get(3n)! })).rejects.toBeInstanceOf(BlockIntegrityError);
  });
});

describe('fetchPreState from debug_executionWitness', () => {
  /** Serves a reth-shaped witness for block n built from anvil's verified proofs. */
  async function serveWitness(n: bigint, edit: (w: { state: Hex[]; codes: Hex[]; keys: Hex[]; headers: Hex[] }) => void = () => {}): Promise<PreState> {
    const pre = await fetchPreState(rpc, n, { source: 'proofs' });
    const trace = (await rpc.request('debug_traceBlockByNumber', [`0x${n.toString(16)}`, { tracer: 'prestateTracer' }])) as { result: Record<string, unknown> }[];
    const keys = [...new Set(trace.flatMap((t) => Object.keys(t.result)))] as Hex[];
    const headers = await Promise.all([n - 1n, n - 2n, n - 3n].map(async (k) => bytesToHex(encodeHeader((await fetchHeader(rpc, k)).header))));
    const w = { state: pre.nodes.map(bytesToHex), codes: pre.codes.map(bytesToHex), keys, headers };
    edit(w);
    proxy.serve = async (method, params) => (method === 'debug_executionWitness' && params[0] === `0x${n.toString(16)}` ? (w as unknown as JsonValue) : undefined);
    return pre;
  }

  it('uses the witness when the node has it, with ancestor hashes from its headers', async () => {
    const n = await busiestBlock();
    const fromProofs = await serveWitness(n);
    const viaWitness = await fetchPreState(prpc, n);
    proxy.reset();
    expect(new Set(viaWitness.nodes.map(bytesToHex))).toEqual(new Set(fromProofs.nodes.map(bytesToHex)));
    expect(new Set(viaWitness.codes.map(bytesToHex))).toEqual(new Set(fromProofs.codes.map(bytesToHex)));
    for (const k of [n - 1n, n - 2n, n - 3n]) expect(bytesToHex(viaWitness.blockHashes.get(k)!)).toBe((await viem.getBlock({ blockNumber: k })).hash);
    expect(await checkAgainstTracer(viaWitness, n)).toBeGreaterThan(5);
  });

  it('a witness lacking a node, or with a foreign header, is rejected', async () => {
    const n = await busiestBlock();
    const parentRoot = bytesToHex((await fetchHeader(rpc, n - 1n)).header.stateRoot);
    // Drop a node below the root on the path to the first account.
    await serveWitness(n, (w) => {
      const byHash = new Map(w.state.map((x) => [bytesToHex(keccak256(hexToBytes(x))), hexToBytes(x)]));
      const a = w.keys[0]! as Address;
      const path = proofPath(hexToBytes(parentRoot), keccak256(hexToBytes(a)), byHash, a);
      const drop = bytesToHex(path[1]!);
      w.state = w.state.filter((x) => x !== drop);
    });
    await expect(fetchPreState(prpc, n, { source: 'witness' })).rejects.toBeInstanceOf(PreStateProofError);
    await serveWitness(n, (w) => {
      w.state = w.state.filter((x) => bytesToHex(keccak256(hexToBytes(x))) !== parentRoot);
    });
    await expect(fetchPreState(prpc, n, { source: 'witness' })).rejects.toThrow(/parent state root/);
    await serveWitness(n, (w) => {
      w.headers[1] = flip(w.headers[1]!) as Hex;
    });
    await expect(fetchPreState(prpc, n, { source: 'witness' })).rejects.toBeInstanceOf(BlockIntegrityError);
    proxy.reset();
  });
});
