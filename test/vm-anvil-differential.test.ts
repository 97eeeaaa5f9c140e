// Transaction-level differential test: MetisVM against anvil (revm) on cancun,
// prague and osaka. Every transaction of a varied load plus fork-feature
// transactions (CLZ, EIP-7623 floors, EIP-7702 delegations, TSTORE/MCOPY/
// BLOBBASEFEE) is re-executed by MetisVM on the pre-state anvil's prestateTracer
// reports, and must agree with anvil on status, gas, logs, created address and
// the post-state diff (prestateTracer diffMode).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { RpcClient } from '../vm/rpc/client.js';
import { fetchBlock, fetchHeader, type FetchedBlock } from '../vm/rpc/block.js';
import { obj, type JsonObject } from '../vm/rpc/validate.js';
import { decodeTransaction, recoverSender } from '../vm/tx/index.js';
import { toTxRequest } from '../vm/execution/request.js';
import { applyTransaction } from '../vm/execution/transaction.js';
import { WorldState } from '../vm/state/world.js';
import { MemoryState } from '../vm/state/memory.js';
import { applyChanges } from '../vm/state/root.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { forkRules, type Fork } from '../vm/chain/forks.js';
import type { BlockEnv } from '../vm/env.js';
import type { Address } from '../vm/util/address.js';
import { bytesToBigInt, bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { initCodeFor, loadClients, sendVariedLoad, calldata } from '../cli/devnet/load.js';
import { sendBlobTransaction } from './support/blobs.js';

const CHAIN_ID = 31337n;

interface TracedAccount {
  balance?: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  storage?: Map<bigint, bigint>;
}

function parseTraced(v: unknown): Map<Address, TracedAccount> {
  const out = new Map<Address, TracedAccount>();
  for (const [addr, raw] of Object.entries(obj('trace', v as JsonObject, 'accounts'))) {
    const a = raw as Record<string, unknown>;
    const t: TracedAccount = {};
    if (a.balance !== undefined) t.balance = BigInt(a.balance as string);
    if (a.nonce !== undefined) t.nonce = BigInt(a.nonce as number | string);
    if (a.code !== undefined) t.code = hexToBytes(a.code as string);
    if (a.storage !== undefined) {
      t.storage = new Map(Object.entries(a.storage as Record<string, string>).map(([k, val]) => [BigInt(k), BigInt(val)]));
    }
    out.set(addr.toLowerCase() as Address, t);
  }
  return out;
}

/** A comparable view of an account: nonce, balance, code and non-zero storage. */
type Canon = string;
function canon(nonce: bigint, balance: bigint, code: Uint8Array, storage: Iterable<[bigint, bigint]>): Canon {
  const slots = [...storage].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ nonce: nonce.toString(), balance: balance.toString(), code: bytesToHex(code), storage: slots.map(([k, v]) => [k.toString(16), v.toString(16)]) });
}

const EMPTY_CANON = canon(0n, 0n, new Uint8Array(0), []);

function isEmpty(t: TracedAccount): boolean {
  return (t.nonce ?? 0n) === 0n && (t.balance ?? 0n) === 0n && (t.code?.length ?? 0) === 0 && [...(t.storage?.values() ?? [])].every((v) => v === 0n);
}

function isDelegation(code: Uint8Array): boolean {
  return code.length === 23 && code[0] === 0xef && code[1] === 0x01 && code[2] === 0x00;
}


interface Checked {
  readonly txs: number;
  readonly types: Set<number>;
  readonly failed: number;
  readonly mismatches: string[];
}

/** Re-executes every transaction of blocks 1..latest with MetisVM and compares with anvil. */
async function compareAll(rpc: RpcClient, fork: Fork): Promise<Checked> {
  const latest = BigInt((await rpc.request('eth_blockNumber', [])) as string);
  const hashes = new Map<bigint, Uint8Array>([[0n, (await fetchHeader(rpc, 0n)).hash]]);
  const mismatches: string[] = [];
  const types = new Set<number>();
  let txs = 0;
  let failed = 0;
  for (let n = 1n; n <= latest; n++) {
    const block: FetchedBlock = await fetchBlock(rpc, n, { allowWrappedBlobTxRoot: true });
    hashes.set(n, block.hash);
    const h = block.header;
    const env: BlockEnv = {
      chain: ethereumRules(fork, CHAIN_ID),
      rules: forkRules(fork),
      number: h.number,
      timestamp: h.timestamp,
      coinbase: h.coinbase,
      gasLimit: h.gasLimit,
      baseFee: h.baseFeePerGas ?? 0n,
      prevRandao: bytesToBigInt(h.mixHash),
      excessBlobGas: h.excessBlobGas ?? 0n,
      blockHash: (k) => {
        const hh = k < n && k + 256n >= n ? hashes.get(k) : undefined;
        return hh === undefined ? null : bytesToBigInt(hh);
      },
      ...(h.parentBeaconBlockRoot ? { parentBeaconBlockRoot: h.parentBeaconBlockRoot } : {}),
    };
    let cumulative = 0n;
    for (const btx of block.transactions) {
      txs++;
      const receipt = block.receipts[btx.index]!;
      const id = `block ${n} tx ${btx.index} (${bytesToHex(btx.hash).slice(0, 12)}, type ${btx.type})`;
      const decoded = decodeTransaction(btx.raw);
      const sender = recoverSender(decoded);
      types.add(decoded.type);
      if (sender !== btx.from) mismatches.push(`${id}: sender ${sender} != ${btx.from}`);
      const hashHex = bytesToHex(btx.hash);
      const [preRaw, diffRaw] = await rpc.batch([
        { method: 'debug_traceTransaction', params: [hashHex, { tracer: 'prestateTracer' }] },
        { method: 'debug_traceTransaction', params: [hashHex, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }] },
      ]);
      const pre = parseTraced(preRaw);
      const diff = obj('diff', diffRaw!, 'diff');
      const diffPre = parseTraced(diff.pre);
      const diffPost = parseTraced(diff.post);

      const state = new MemoryState();
      // The tracer lists accounts that do not exist as zero-balance ones; after
      // EIP-161 no empty account exists in state, so empty means absent
      // (EXTCODEHASH tells the two apart).
      for (const [a, t] of pre) {
        if (isEmpty(t)) continue;
        state.put(a, { nonce: t.nonce ?? 0n, balance: t.balance ?? 0n, code: t.code ?? new Uint8Array(0), storage: t.storage ?? [] });
      }
      const world = new WorldState(state);
      const outcome = applyTransaction(world, env, toTxRequest(decoded, sender), { gasUsed: cumulative, blobGasUsed: 0n });
      applyChanges(state, world.changes());

      const gasDelta = receipt.cumulativeGasUsed - cumulative;
      cumulative = receipt.cumulativeGasUsed;
      if (receipt.status === 0) failed++;
      if (outcome.success !== (receipt.status === 1)) mismatches.push(`${id}: status ${outcome.success} (${outcome.error}) vs receipt ${receipt.status}`);
      if (outcome.gasUsed !== gasDelta || outcome.gasUsed !== receipt.gasUsed) mismatches.push(`${id}: gasUsed ${outcome.gasUsed} vs ${gasDelta}`);
      const ourLogs = outcome.logs.map((l) => ({ address: l.address, topics: l.topics.map((t) => t.toString(16)), data: bytesToHex(l.data) }));
      const theirLogs = receipt.logs.map((l) => ({ address: l.address, topics: l.topics.map((t) => bytesToBigInt(t).toString(16)), data: bytesToHex(l.data) }));
      if (JSON.stringify(ourLogs) !== JSON.stringify(theirLogs)) mismatches.push(`${id}: logs differ: ${JSON.stringify(ourLogs)} vs ${JSON.stringify(theirLogs)}`);
      if (outcome.createdAddress !== receipt.contractAddress && decoded.to === null) {
        mismatches.push(`${id}: created ${outcome.createdAddress} vs ${receipt.contractAddress}`);
      }

      // Expected post-state: the full pre-state with anvil's diff applied
      // (diffMode: an account in pre but not post was deleted; a slot in pre but
      // not post became zero).
      const expected = new Map<Address, Canon>();
      for (const [a, t] of pre) {
        if (diffPre.has(a) && !diffPost.has(a)) continue;
        const p = diffPost.get(a) ?? {};
        const storage = new Map(t.storage ?? []);
        for (const k of diffPre.get(a)?.storage?.keys() ?? []) storage.set(k, 0n);
        for (const [k, v] of p.storage ?? []) storage.set(k, v);
        let code = p.code ?? t.code ?? new Uint8Array(0);
        const preCode = diffPre.get(a)?.code;
        if (p.code === undefined && p.nonce !== undefined && preCode !== undefined && isDelegation(preCode)) {
          // diffMode omits code that became empty, so a cleared EIP-7702
          // delegation looks like unchanged code: ask the node for the code after
          // the block, which is the code after this transaction only when it is
          // the block's only one.
          if (block.transactions.length !== 1) {
            mismatches.push(`${id}: cannot resolve ${a}'s post code from diffMode in a multi-transaction block`);
          } else {
            code = hexToBytes((await rpc.request('eth_getCode', [a, `0x${n.toString(16)}`])) as string);
          }
        }
        const c = canon(p.nonce ?? t.nonce ?? 0n, p.balance ?? t.balance ?? 0n, code, storage);
        // An empty account cannot survive a transaction (EIP-161); the tracer
        // still lists e.g. one created and self-destructed in the same one.
        if (c !== EMPTY_CANON) expected.set(a, c);
      }
      for (const [a, p] of diffPost) {
        if (pre.has(a)) continue;
        const c = canon(p.nonce ?? 0n, p.balance ?? 0n, p.code ?? new Uint8Array(0), p.storage ?? []);
        if (c !== EMPTY_CANON) expected.set(a, c);
      }
      const actual = new Map<Address, Canon>();
      for (const [a, acct] of state.accounts) actual.set(a, canon(acct.nonce, acct.balance, acct.code, acct.storage));
      for (const a of new Set([...expected.keys(), ...actual.keys()])) {
        if (expected.get(a) !== actual.get(a)) mismatches.push(`${id}: post-state of ${a}: ours ${actual.get(a) ?? 'absent'} vs anvil ${expected.get(a) ?? 'absent'}`);
      }
    }
    if (cumulative !== h.gasUsed) mismatches.push(`block ${n}: receipts' gas ${cumulative} != header gasUsed ${h.gasUsed}`);
  }
  return { txs, types, failed, mismatches };
}

/** Fork-feature transactions beyond the shared load. */
async function sendForkFeatures(node: AnvilNode, fork: Fork, contracts: Readonly<Record<string, Hex>>): Promise<void> {
  const c = loadClients(node.rpcUrl, node.privateKeys);
  const w = c.wallets[4]!;
  const mined = async (p: Promise<Hex>): Promise<void> => {
    const r = await c.pub.waitForTransactionReceipt({ hash: await p });
    expect(r.blockNumber).toBeGreaterThan(0n);
  };
  // BLOBBASEFEE (0x4a) and a CALLDATALOAD-driven store, as raw bytecode.
  const deployRaw = async (runtime: Hex): Promise<Hex> => {
    const hash = await w.sendTransaction({ data: initCodeFor(runtime), gas: 200_000n });
    const r = await c.pub.waitForTransactionReceipt({ hash });
    expect(r.status).toBe('success');
    return r.contractAddress!;
  };
  const blobFee = await deployRaw('0x4a6000554860015500'); // sstore(0, BLOBBASEFEE); sstore(1, BASEFEE)
  await mined(w.sendTransaction({ to: blobFee, gas: 100_000n }));
  if (fork === 'osaka') {
    // CLZ (0x1e): sstore(calldataload(0)'s clz at slot 0); slot 1 = clz(0) = 256.
    const clz = await deployRaw('0x6000351e6000555f1e60015500');
    for (const word of ['01', '00', 'ff'.repeat(32), '0000000000000000000000000000000000000000000000000000000000010000']) {
      await mined(w.sendTransaction({ to: clz, data: `0x${word.padStart(64, '0')}`, gas: 100_000n }));
    }
  }
  // EIP-4844: BLOBHASH of two blobs and BLOBBASEFEE after a six-blob
  // transaction raised the excess blob gas.
  const blobs = (count: number, seed: number): Uint8Array[] =>
    Array.from({ length: count }, (_, b) => {
      const blob = new Uint8Array(131072);
      // Keep every field element below the BLS modulus: its top byte stays zero.
      for (let i = 0; i < 4096; i += 97) blob[i * 32 + 1] = (seed + b * 31 + i) & 0xff;
      return blob;
    });
  const blobHashes = await deployRaw('0x5f495f556001496001554a60025500');
  await sendBlobTransaction(node.rpcUrl, node.privateKeys[5]!, blobs(6, 1));
  await sendBlobTransaction(node.rpcUrl, node.privateKeys[5]!, blobs(2, 2), blobHashes);
  // Calldata-heavy transactions: EIP-7623's floor decides gas on prague/osaka.
  const a0 = c.accounts[0]!.address;
  await mined(w.sendTransaction({ to: a0, data: `0x${'5a'.repeat(4000)}`, gas: 400_000n }));
  await mined(w.sendTransaction({ to: a0, data: `0x${'00'.repeat(3000)}${'01'.repeat(100)}`, gas: 400_000n }));
  await mined(w.sendTransaction({ to: contracts.Transient!, data: calldata('Transient', 'run', [`0x${'c3'.repeat(3000)}`]), gas: 600_000n }));
  // Execution above the floor: a storage-heavy call with little calldata.
  await mined(w.sendTransaction({ to: contracts.StorageLoop!, data: calldata('StorageLoop', 'sum', [40n]), gas: 600_000n }));
}

const CASES: { fork: Fork; hardfork: 'cancun' | 'prague' | undefined }[] = [
  { fork: 'prague', hardfork: 'prague' },
  { fork: 'osaka', hardfork: undefined }, // anvil's default
  { fork: 'cancun', hardfork: 'cancun' },
];

for (const { fork, hardfork } of CASES) {
  describe(`MetisVM vs anvil, ${fork}${hardfork === undefined ? ' (anvil default)' : ''}`, () => {
    let node: AnvilNode;
    let rpc: RpcClient;
    beforeAll(async () => {
      node = await startAnvil(hardfork ? { hardfork } : {});
      rpc = new RpcClient(node.rpcUrl);
      if (hardfork === undefined) {
        // Confirm the default really is osaka: CLZ must execute.
        // Init code run by eth_call: mstore(0, clz(0)); return(0, 32).
        const out = await rpc.request('eth_call', [{ data: '0x5f1e5f5260205ff3' }, 'latest']);
        expect(out).toBe(`0x${'00'.repeat(30)}0100`);
      }
      const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork });
      await sendForkFeatures(node, fork, load.contracts);
    });
    afterAll(async () => {
      await node?.stop();
    });

    it('every transaction matches anvil: status, gas, logs, created address, post-state', async () => {
      const r = await compareAll(rpc, fork);
      expect(r.mismatches).toEqual([]);
      expect(r.txs).toBeGreaterThan(45);
      expect(r.failed).toBeGreaterThan(4);
      expect([...r.types].sort()).toEqual(fork === 'cancun' ? [0, 1, 2, 3] : [0, 1, 2, 3, 4]);
    });
  });
}
