// A devnet batcher round trip on real L2 blocks: anvil (as the L2) mines blocks of transactions
// we sign; the encoder turns them into batches, channels, frames and blobs; the pipeline must
// give back exactly anvil's blocks: timestamps, parent hashes and the raw transactions in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { decodeBlob, encodeBlob, MAX_BLOB_DATA_SIZE } from '../da/blob/codec.js';
import { buildBatcherPayloads, DerivationPipeline, type DerivedBatch, type L2BlockInput } from '../da/derivation/index.js';
import { encodeTransaction, signTransaction, addressOfPrivateKey, type Transaction } from '../vm/tx/index.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';

const CHAIN_ID = 901n;
const BLOCK_TIME = 2n;
const GWEI = 10n ** 9n;

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

interface RpcBlock {
  hash: string;
  parentHash: string;
  timestamp: string;
  transactions: string[];
}

describe('devnet batcher round trip on anvil blocks', () => {
  let node: AnvilNode;
  let l2: { input: L2BlockInput; hash: string; txHashes: string[] }[] = [];
  let genesisTimestamp = 0n;

  beforeAll(async () => {
    node = await startAnvil({ chainId: Number(CHAIN_ID), noMining: true });
    const keys = node.privateKeys.slice(0, 3);
    const nonces = keys.map(() => 0n);
    const recipient = addressOfPrivateKey(node.privateKeys[5]!);
    const genesis = await rpc<RpcBlock>(node.rpcUrl, 'eth_getBlockByNumber', ['0x0', false]);
    genesisTimestamp = BigInt(genesis.timestamp);
    let t = genesisTimestamp;
    for (let i = 0; i < 6; i++) {
      // Blocks 2 and 5 stay empty; the others mix every span-batch transaction type.
      const count = i === 1 || i === 4 ? 0 : 2 + i;
      for (let k = 0; k < count; k++) {
        const who = k % keys.length;
        const nonce = nonces[who]!;
        nonces[who] = nonce + 1n;
        const data = Uint8Array.from({ length: 10 * k }, (_, j) => (j * 7 + i) & 0xff);
        const base = { nonce, value: BigInt(k + 1), data, gasLimit: 200_000n };
        const shape = (i + k) % 4;
        const tx: Transaction =
          shape === 0
            ? { ...base, type: 0, chainId: CHAIN_ID, gasPrice: 5n * GWEI, to: recipient }
            : shape === 1
              ? { ...base, type: 1, chainId: CHAIN_ID, gasPrice: 5n * GWEI, to: recipient, accessList: [{ address: recipient, storageKeys: [BigInt(k)] }] }
              : shape === 2
                ? { ...base, type: 2, chainId: CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 10n * GWEI, to: recipient, accessList: [] }
                : // A contract creation whose init code returns nothing.
                  { ...base, type: 2, chainId: CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 10n * GWEI, to: null, accessList: [], data: Uint8Array.of(0x00) };
        await rpc(node.rpcUrl, 'eth_sendRawTransaction', [bytesToHex(encodeTransaction(signTransaction(tx, keys[who]!)))]);
      }
      t += BLOCK_TIME;
      await rpc(node.rpcUrl, 'evm_setNextBlockTimestamp', [Number(t)]);
      await rpc(node.rpcUrl, 'evm_mine', []);
    }
    for (let n = 1; n <= 6; n++) {
      const b = await rpc<RpcBlock>(node.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
      const raws = await Promise.all(b.transactions.map((h) => rpc<string>(node.rpcUrl, 'eth_getRawTransactionByHash', [h])));
      // L1 origins are made up (anvil is only the L2 here): one epoch per two L2 blocks.
      const epochNum = 5000n + BigInt(Math.floor((n - 1) / 2));
      l2.push({
        input: {
          parentHash: hexToBytes(b.parentHash),
          epochNum,
          epochHash: keccak256(hexToBytes(epochNum.toString(16))),
          timestamp: BigInt(b.timestamp),
          transactions: raws.map(hexToBytes),
        },
        hash: b.hash,
        txHashes: b.transactions,
      });
    }
  });

  afterAll(async () => {
    await node?.stop();
  });

  function checkAgainstAnvil(batches: readonly DerivedBatch[]): void {
    expect(batches).toHaveLength(l2.length);
    batches.forEach((b, i) => {
      const src = l2[i]!;
      expect(b.timestamp).toBe(src.input.timestamp);
      expect(b.epochNum).toBe(src.input.epochNum);
      expect(b.transactions.map((t) => bytesToHex(keccak256(t)))).toEqual(src.txHashes);
      if (b.parentHash !== null) expect(bytesToHex(b.parentHash)).toBe(i === 0 ? bytesToHex(src.input.parentHash) : l2[i - 1]!.hash);
    });
  }

  it('anvil mined the blocks we expect', () => {
    expect(l2.map((b) => b.txHashes.length)).toEqual([2, 0, 4, 5, 0, 7]);
    expect(l2.map((b) => b.input.timestamp - genesisTimestamp)).toEqual([2n, 4n, 6n, 8n, 10n, 12n]);
  });

  it('singular batches, zlib, frames in calldata-sized payloads over several L1 blocks', async () => {
    const out = buildBatcherPayloads(
      l2.map((b) => b.input),
      { batchType: 'singular', compression: 'zlib', channelId: keccak256(Uint8Array.of(1)).subarray(0, 16), maxPayloadSize: 400 },
    );
    expect(out.payloads.length).toBeGreaterThan(3);
    const p = new DerivationPipeline({ channelTimeout: 50, fjord: false, genesisTimestamp, blockTime: BLOCK_TIME, chainId: CHAIN_ID });
    const batches: DerivedBatch[] = [];
    // Two payloads per L1 block, the last frame first.
    const order = [...out.payloads].reverse();
    for (let i = 0; i < order.length; i += 2) {
      const r = await p.addL1Block(100 + i, order.slice(i, i + 2));
      expect(r.events).toEqual([]);
      batches.push(...r.batches);
    }
    checkAgainstAnvil(batches);
    expect(batches.every((b) => b.batchType === 'singular')).toBe(true);
  });

  it('one span batch, brotli, carried in blobs', async () => {
    const out = buildBatcherPayloads(
      l2.map((b) => b.input),
      {
        batchType: 'span',
        compression: 'brotli',
        channelId: keccak256(Uint8Array.of(2)).subarray(0, 16),
        maxPayloadSize: MAX_BLOB_DATA_SIZE,
        span: { genesisTimestamp, blockTime: BLOCK_TIME, chainId: CHAIN_ID, firstOriginChanged: true },
      },
    );
    expect(out.payloads).toHaveLength(1);
    const blob = encodeBlob(out.payloads[0]!);
    const p = new DerivationPipeline({ channelTimeout: 50, fjord: true, genesisTimestamp, blockTime: BLOCK_TIME, chainId: CHAIN_ID });
    const r = await p.addL1Block(7, [decodeBlob(blob)]);
    expect(r.events).toEqual([]);
    checkAgainstAnvil(r.batches);
    expect(r.batches[0]!.parentCheck).toEqual(l2[0]!.input.parentHash.subarray(0, 20));
    // The span batch is smaller than the singular encoding of the same blocks.
    const singular = buildBatcherPayloads(
      l2.map((b) => b.input),
      { batchType: 'singular', compression: 'brotli', channelId: new Uint8Array(16), maxPayloadSize: MAX_BLOB_DATA_SIZE },
    );
    expect(out.channelData.length).toBeLessThan(singular.channelData.length);
  });
});
