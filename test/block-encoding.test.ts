// Header, receipt, bloom and transaction-root encodings against a real anvil
// node: our hashes and roots must equal what the node committed to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, http, parseEther, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { headerHash, decodeHeader, encodeHeader, type BlockHeader } from '../vm/block/header.js';
import { encodeReceipt, logsBloom, orBlooms } from '../vm/block/receipt.js';
import { orderedTrieRoot } from '../vm/trie/index.js';
import { hexToBytes, bytesToHex } from '../vm/util/bytes.js';
import { toAddress } from '../vm/util/address.js';

type Json = Record<string, unknown>;

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

function headerOf(b: Json): BlockHeader {
  const h = (k: string) => hexToBytes(b[k] as string);
  const n = (k: string) => BigInt(b[k] as string);
  const opt = <T,>(k: string, f: (k: string) => T): T | undefined => (b[k] === undefined || b[k] === null ? undefined : f(k));
  const header: BlockHeader = {
    parentHash: h('parentHash'),
    ommersHash: h('sha3Uncles'),
    coinbase: toAddress(b['miner'] as string),
    stateRoot: h('stateRoot'),
    transactionsRoot: h('transactionsRoot'),
    receiptsRoot: h('receiptsRoot'),
    logsBloom: h('logsBloom'),
    difficulty: n('difficulty'),
    number: n('number'),
    gasLimit: n('gasLimit'),
    gasUsed: n('gasUsed'),
    timestamp: n('timestamp'),
    extraData: h('extraData'),
    mixHash: h('mixHash'),
    nonce: h('nonce'),
    ...(opt('baseFeePerGas', n) !== undefined ? { baseFeePerGas: n('baseFeePerGas') } : {}),
    ...(opt('withdrawalsRoot', h) ? { withdrawalsRoot: h('withdrawalsRoot') } : {}),
    ...(opt('blobGasUsed', n) !== undefined ? { blobGasUsed: n('blobGasUsed') } : {}),
    ...(opt('excessBlobGas', n) !== undefined ? { excessBlobGas: n('excessBlobGas') } : {}),
    ...(opt('parentBeaconBlockRoot', h) ? { parentBeaconBlockRoot: h('parentBeaconBlockRoot') } : {}),
    ...(opt('requestsHash', h) ? { requestsHash: h('requestsHash') } : {}),
  };
  return header;
}

// LOG2 with two topics and 32 bytes of data, then an SSTORE: a contract whose calls make logs.
const EMITTER_INIT = '0x' + '6011600c60003960116000f3' + '602a5f5260aa60bb60205fa260015f5500';

describe.each(['prague', 'osaka'] as const)('block encodings against anvil (%s)', (hardfork) => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil({ hardfork });
    const account = privateKeyToAccount(node.privateKeys[0]!);
    const wallet = createWalletClient({ account, chain: foundry, transport: http(node.rpcUrl) });
    const deployHash = await wallet.sendTransaction({ data: EMITTER_INIT as Hex });
    // On a busy machine the receipt can trail the send: wait for it.
    let receipt: Json | null = null;
    for (let i = 0; i < 600 && receipt === null; i++) {
      receipt = await rpc<Json | null>(node.rpcUrl, 'eth_getTransactionReceipt', [deployHash]);
      if (receipt === null) await new Promise((r) => setTimeout(r, 50));
    }
    if (receipt === null) throw new Error(`no receipt for ${deployHash}`);
    const emitter = receipt['contractAddress'] as Hex;
    await rpc(node.rpcUrl, 'evm_setAutomine', [false]);
    await wallet.sendTransaction({ to: emitter, data: '0x' });
    await wallet.sendTransaction({ to: '0x00000000000000000000000000000000000000aa', value: parseEther('1'), type: 'legacy', gasPrice: 10_000_000_000n });
    await wallet.sendTransaction({ to: emitter, data: '0x01', type: 'eip2930', gasPrice: 10_000_000_000n, accessList: [{ address: emitter, storageKeys: ['0x' + '00'.repeat(32) as Hex] }] });
    await rpc(node.rpcUrl, 'evm_mine', []);
    await rpc(node.rpcUrl, 'evm_setAutomine', [true]);
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('hashes every header to the node\'s block hash and round-trips the RLP', async () => {
    const latest = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber', []));
    expect(latest).toBeGreaterThanOrEqual(2);
    for (let n = 0; n <= latest; n++) {
      const b = await rpc<Json>(node.rpcUrl, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
      const header = headerOf(b);
      expect(bytesToHex(headerHash(header))).toBe(b['hash']);
      expect(bytesToHex(encodeHeader(decodeHeader(encodeHeader(header))))).toBe(bytesToHex(encodeHeader(header)));
    }
  });

  it('reproduces transactions root, receipts root and logs bloom', async () => {
    const latest = Number(await rpc<string>(node.rpcUrl, 'eth_blockNumber', []));
    let sawLogs = false;
    for (let n = 1; n <= latest; n++) {
      const b = await rpc<Json>(node.rpcUrl, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
      const hashes = b['transactions'] as string[];
      const raws = await Promise.all(hashes.map((h) => rpc<string>(node.rpcUrl, 'eth_getRawTransactionByHash', [h])));
      expect(bytesToHex(orderedTrieRoot(raws.map((r) => hexToBytes(r))))).toBe(b['transactionsRoot']);
      const receipts = await rpc<Json[]>(node.rpcUrl, 'eth_getBlockReceipts', ['0x' + n.toString(16)]);
      const ours = receipts.map((r) => {
        const logs = (r['logs'] as Json[]).map((l) => ({
          address: toAddress(l['address'] as string),
          topics: (l['topics'] as string[]).map((t) => BigInt(t)),
          data: hexToBytes(l['data'] as string),
        }));
        if (logs.length > 0) sawLogs = true;
        const bloom = logsBloom(logs);
        expect(bytesToHex(bloom)).toBe(r['logsBloom']);
        return { type: Number(r['type']), success: r['status'] === '0x1', cumulativeGasUsed: BigInt(r['cumulativeGasUsed'] as string), logsBloom: bloom, logs };
      });
      expect(bytesToHex(orderedTrieRoot(ours.map(encodeReceipt)))).toBe(b['receiptsRoot']);
      expect(bytesToHex(orBlooms(ours.map((r) => r.logsBloom)))).toBe(b['logsBloom']);
    }
    expect(sawLogs).toBe(true);
  });
});
