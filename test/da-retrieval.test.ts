// L1 retrieval against a real anvil: batcher calldata and blob transactions to an inbox, senders
// that are not batchers, alt-DA commitments without a proxy, and Metis inbox batches that
// reference blob transactions by hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { fileURLToPath } from 'node:url';
import { BlobFetcher, encodeBlob } from '../da/blob/index.js';
import { EigenDAClient, loadSrs } from '../da/eigenda/index.js';
import { startEigenDAMemstore } from './support/eigenda-memstore.js';
import { encodeInboxCalldata } from '../da/metis/index.js';
import {
  L1BlockNotFoundError,
  L1TransactionNotFoundError,
  RetrievalConfigError,
  fetchL1Block,
  fetchL1Transaction,
  retrieveBatcherData,
  retrieveMetisBatches,
} from '../da/retrieval/index.js';
import { RpcClient } from '../vm/rpc/client.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { bytesToHex, concatBytes, hexToBytes, type Hex } from '../vm/util/bytes.js';
import { sendBlobTransaction } from './support/blobs.js';
import { pseudoRandomBytes } from './support/rng.js';

const INBOX = '0xff00000000000000000000000000000000000420' as const;

let anvil: AnvilNode;
let rpc: RpcClient;
let fetcher: BlobFetcher;
let batcher: Hex;
let stranger: Hex;

async function sendCalldata(key: Hex, data: Uint8Array, to: Hex = INBOX): Promise<bigint> {
  const transport = http(anvil.rpcUrl, { timeout: 120_000 });
  const wallet = createWalletClient({ account: privateKeyToAccount(key), transport });
  const hash = await wallet.sendTransaction({ chain: null, to, data: bytesToHex(data) });
  const receipt = await createPublicClient({ transport }).waitForTransactionReceipt({ hash, pollingInterval: 50 });
  return receipt.blockNumber;
}

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  rpc = new RpcClient(anvil.rpcUrl, { retries: 0 });
  fetcher = new BlobFetcher({ endpoints: [{ url: anvil.rpcUrl, kind: 'beacon', blockId: 'execution-number' }], retries: 0 });
  batcher = anvil.privateKeys[0]!;
  stranger = anvil.privateKeys[1]!;
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

describe('retrieveBatcherData', () => {
  const cfg = () => ({ inbox: INBOX, batchers: [addressOfPrivateKey(batcher)] });

  it('takes calldata from an authorised batcher to the inbox, byte for byte', async () => {
    const payload = concatBytes(new Uint8Array([0]), pseudoRandomBytes(1000, 1));
    const n = await sendCalldata(batcher, payload);
    const block = await fetchL1Block(rpc, n);
    const r = await retrieveBatcherData(block, cfg(), {});
    expect(r.skipped).toEqual([]);
    expect(r.payloads).toHaveLength(1);
    expect(r.payloads[0]).toMatchObject({ l1Block: n, origin: 'calldata', blobIndex: null });
    expect(bytesToHex(r.payloads[0]!.data)).toBe(bytesToHex(payload));
  });

  it('skips, with a reason, data from a sender that is not a batcher; ignores other recipients', async () => {
    const n1 = await sendCalldata(stranger, new Uint8Array([0, 1, 2]));
    const r1 = await retrieveBatcherData(await fetchL1Block(rpc, n1), cfg(), {});
    expect(r1.payloads).toEqual([]);
    expect(r1.skipped).toHaveLength(1);
    expect(r1.skipped[0]!.reason).toMatch(/not an authorised batcher/);
    const n2 = await sendCalldata(batcher, new Uint8Array([0, 1, 2]), '0x00000000000000000000000000000000000000aa');
    const r2 = await retrieveBatcherData(await fetchL1Block(rpc, n2), cfg(), {});
    expect(r2).toEqual({ payloads: [], skipped: [] });
  });

  it('reads a blob transaction from its verified blobs, in order, ignoring its calldata', async () => {
    const datas = [pseudoRandomBytes(5000, 2), pseudoRandomBytes(130044, 3)].map((d) => concatBytes(new Uint8Array([0]), d.subarray(1)));
    const sent = await sendBlobTransaction(anvil.rpcUrl, batcher, datas.map(encodeBlob), INBOX);
    const block = await fetchL1Block(rpc, sent.blockNumber);
    await expect(retrieveBatcherData(block, cfg(), {})).rejects.toBeInstanceOf(RetrievalConfigError);
    const r = await retrieveBatcherData(block, cfg(), { blobs: fetcher });
    expect(r.payloads.map((p) => [p.origin, p.blobIndex, p.txHash])).toEqual([
      ['blob', 0, sent.txHash],
      ['blob', 1, sent.txHash],
    ]);
    expect(r.payloads.map((p) => bytesToHex(p.data))).toEqual(datas.map(bytesToHex));
  });

  it('skips an alt-DA commitment when no EigenDA proxy is configured, saying so', async () => {
    const n = await sendCalldata(batcher, concatBytes(new Uint8Array([1, 0]), pseudoRandomBytes(32, 4)));
    const r = await retrieveBatcherData(await fetchL1Block(rpc, n), cfg(), {});
    expect(r.payloads).toEqual([]);
    expect(r.skipped[0]!.reason).toMatch(/alt-DA/);
  });

  it('takes alt-DA data through EigenDA when it matches its certificate, and skips it when the proxy tampers', async () => {
    const srs = await loadSrs(fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url)), 1024);
    const proxy = await startEigenDAMemstore({ srs });
    try {
      const eigenda = new EigenDAClient({ proxyUrls: [proxy.url], srs, retries: 0 });
      const frames = concatBytes(new Uint8Array([0]), pseudoRandomBytes(2000, 6));
      const commitment = await eigenda.put(frames);
      const n = await sendCalldata(batcher, concatBytes(new Uint8Array([1]), commitment));
      const block = await fetchL1Block(rpc, n);
      const good = await retrieveBatcherData(block, cfg(), { eigenda });
      expect(good.skipped).toEqual([]);
      expect(good.payloads.map((p) => p.origin)).toEqual(['alt-da']);
      expect(bytesToHex(good.payloads[0]!.data)).toBe(bytesToHex(frames));
      proxy.behaviour = { kind: 'tamper-data' };
      const bad = await retrieveBatcherData(block, cfg(), { eigenda });
      expect(bad.payloads).toEqual([]);
      expect(bad.skipped[0]!.reason).toMatch(/alt-DA commitment rejected/);
    } finally {
      await proxy.stop();
    }
  });

  it('says which block or transaction is missing', async () => {
    await expect(fetchL1Block(rpc, 10_000_000n)).rejects.toBeInstanceOf(L1BlockNotFoundError);
    await expect(fetchL1Transaction(rpc, `0x${'ab'.repeat(32)}`)).rejects.toBeInstanceOf(L1TransactionNotFoundError);
  });
});

describe('retrieveMetisBatches', () => {
  it('follows a DA-type-3 inbox batch to its blob transactions and returns their frames', async () => {
    const frames = concatBytes(new Uint8Array([0]), pseudoRandomBytes(3000, 5));
    const blobSender = anvil.privateKeys[2]!;
    const sent = await sendBlobTransaction(anvil.rpcUrl, blobSender, [encodeBlob(frames)], INBOX);
    const calldata = encodeInboxCalldata({ daType: 'blobs', compression: 'none', batchIndex: 5n, l2StartBlock: 1000n, blockCount: 4, body: hexToBytes(sent.txHash) });
    const n = await sendCalldata(batcher, calldata);
    const cfg = { inbox: INBOX, batchers: [addressOfPrivateKey(batcher)], blobSenders: [addressOfPrivateKey(blobSender)] };
    const r = await retrieveMetisBatches(rpc, await fetchL1Block(rpc, n), cfg, { blobs: fetcher });
    expect(r.skipped).toEqual([]);
    expect(r.batches).toHaveLength(1);
    const b = r.batches[0]!;
    expect(b.batch).toMatchObject({ daType: 'blobs', batchIndex: 5n, l2StartBlock: 1000n, blockCount: 4 });
    expect(b.payloads.map((p) => [p.l1Block, p.txHash, p.blobIndex])).toEqual([[sent.blockNumber, sent.txHash, 0]]);
    expect(bytesToHex(b.payloads[0]!.data)).toBe(bytesToHex(frames));
    // The blob transaction's own block yields nothing in Metis mode: it is read through the inbox batch.
    const own = await retrieveMetisBatches(rpc, await fetchL1Block(rpc, sent.blockNumber), cfg, { blobs: fetcher });
    expect(own.batches).toEqual([]);
    // A blob sender that is not authorised is an error, not a silent skip.
    await expect(
      retrieveMetisBatches(rpc, await fetchL1Block(rpc, n), { ...cfg, blobSenders: [addressOfPrivateKey(stranger)] }, { blobs: fetcher }),
    ).rejects.toThrow(/not an authorised blob sender/);
  });

  it('skips an inline (DA type 0) batch whose blocks do not decode, saying why', async () => {
    const calldata = encodeInboxCalldata({ daType: 'calldata', compression: 'none', batchIndex: 9n, l2StartBlock: 1n, blockCount: 1, body: new Uint8Array([0, 0, 1, 0]) });
    const n = await sendCalldata(batcher, calldata);
    const r = await retrieveMetisBatches(rpc, await fetchL1Block(rpc, n), { inbox: INBOX, batchers: [] }, {});
    expect(r.batches).toEqual([]);
    expect(r.skipped[0]!.reason).toMatch(/inline batch 9 does not decode/);
  });

  it('skips inbox calldata that is not a Metis batch, with the parse error as the reason', async () => {
    const n = await sendCalldata(batcher, new Uint8Array(10));
    const r = await retrieveMetisBatches(rpc, await fetchL1Block(rpc, n), { inbox: INBOX, batchers: [] }, {});
    expect(r.batches).toEqual([]);
    expect(r.skipped[0]!.reason).toMatch(/not a Metis inbox batch/);
  });
});
