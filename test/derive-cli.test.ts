// `hyperion-verify derive` as an operator runs it: the built CLI against a real anvil L1 (prague)
// whose batch inbox received real batcher transactions: singular batches split over calldata
// frames, a span batch in a blob, a stranger's complete channel and a garbage payload. The derived
// L2 blocks must be exactly the ones encoded, with their signed transactions byte for byte; what
// is skipped or dropped must show up in the logs with its reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, createWalletClient, http, keccak256 as viemKeccak } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { encodeBlob } from '../da/blob/index.js';
import {
  buildBatcherPayloads,
  decodeConcatenatedSpanBatches,
  decompressChannel,
  expandSpanBatch,
  parseFrames,
  readBatchData,
  type L2BlockInput,
} from '../da/derivation/index.js';
import { decodeBlob } from '../da/blob/codec.js';
import { encodeInboxCalldata } from '../da/metis/index.js';
import { addressOfPrivateKey, decodeTransaction, encodeTransaction, recoverSender, signTransaction, type Transaction } from '../vm/tx/index.js';
import { bytesToHex, concatBytes, hexToBytes, type Hex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { EigenDAClient, loadSrs } from '../da/eigenda/index.js';
import { sendBlobTransaction } from './support/blobs.js';
import { startEigenDAMemstore, type Memstore } from './support/eigenda-memstore.js';
import { pseudoRandomBytes } from './support/rng.js';
import { runCli } from './support/cli.js';

const INBOX = '0xff00000000000000000000000000000000000901' as const;
const L2_CHAIN_ID = 901n;
const BLOCK_TIME = 2n;
const GWEI = 10n ** 9n;

interface DerivedLine {
  l1Block: number;
  l1BlockHash: string;
  batchType: string;
  channelId: string | null;
  l2BlockNumber: number | null;
  timestamp: number | null;
  epochNumber: number | null;
  epochHash: string | null;
  parentHash: string | null;
  epochCheck: string | null;
  parentCheck: string | null;
  txCount: number;
  txHashes: string[];
  txs?: string[];
  enqueuedTxs?: number;
}

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

// Every run logs JSON lines, which the assertions parse.
const run = (args: string[]) => runCli(['--log-format', 'json', ...args]);

const jsonLines = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
const warnings = (stderr: string): string[] => jsonLines<LogLine>(stderr).filter((l) => l.level === 40).map((l) => l.msg);

/** The L1 node of the describe block that is running (each starts its own). */
let anvil: AnvilNode;
let batcherKey: Hex;
let strangerKey: Hex;

async function sendCalldata(key: Hex, data: Uint8Array): Promise<{ block: bigint; hash: Hex }> {
  const transport = http(anvil.rpcUrl, { timeout: 120_000 });
  const wallet = createWalletClient({ account: privateKeyToAccount(key), transport });
  const hash = await wallet.sendTransaction({ chain: null, to: INBOX, data: bytesToHex(data) });
  const receipt = await createPublicClient({ transport }).waitForTransactionReceipt({ hash, pollingInterval: 50 });
  return { block: receipt.blockNumber, hash };
}

async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function l1Block(n: bigint): Promise<{ hash: Hex }> {
  return createPublicClient({ transport: http(anvil.rpcUrl) }).getBlock({ blockNumber: n }) as Promise<{ hash: Hex }>;
}

/** L2 blocks of real signed transactions (legacy EIP-155, 2930, 1559), epochs on real L1 blocks. */
function makeL2Blocks(count: number, firstTimestamp: bigint, epochs: readonly { number: bigint; hash: Hex }[], seed: number): L2BlockInput[] {
  const keys = anvil.privateKeys.slice(3, 6);
  const to = addressOfPrivateKey(anvil.privateKeys[7]!);
  const blocks: L2BlockInput[] = [];
  let parent = keccak256(Uint8Array.of(seed));
  for (let i = 0; i < count; i++) {
    const txs: Uint8Array[] = [];
    const n = i === 1 ? 0 : 1 + ((i + seed) % 3);
    for (let k = 0; k < n; k++) {
      const base = { nonce: BigInt(seed * 100 + i * 10 + k), value: BigInt(1000 + k), gasLimit: 21_000n + BigInt(k) * 1000n, to, data: pseudoRandomBytes(5 * k, seed + i + k) };
      const shape = (i + k) % 3;
      const tx: Transaction =
        shape === 0
          ? { ...base, type: 0, chainId: L2_CHAIN_ID, gasPrice: 3n * GWEI }
          : shape === 1
            ? { ...base, type: 1, chainId: L2_CHAIN_ID, gasPrice: 4n * GWEI, accessList: [{ address: to, storageKeys: [BigInt(k + 1)] }] }
            : { ...base, type: 2, chainId: L2_CHAIN_ID, maxPriorityFeePerGas: GWEI, maxFeePerGas: 9n * GWEI, accessList: [] };
      txs.push(encodeTransaction(signTransaction(tx, keys[k % keys.length]!)));
    }
    const epoch = epochs[Math.min(i >> 1, epochs.length - 1)]!;
    const block: L2BlockInput = { parentHash: parent, epochNum: epoch.number, epochHash: hexToBytes(epoch.hash), timestamp: firstTimestamp + BigInt(i) * BLOCK_TIME, transactions: txs };
    blocks.push(block);
    // A stand-in block hash: derivation does not check parents, the output must only echo them.
    parent = keccak256(concatBytes(parent, Uint8Array.of(i)));
  }
  return blocks;
}

describe('derive CLI (OP batch inbox)', () => {
  const genesis = 1_700_000_000n;
  let singular: L2BlockInput[];
  let span: L2BlockInput[];
  let strangers: L2BlockInput[];
  let from: bigint;
  let to: bigint;
  let closingBlock: bigint;
  let blobBlock: bigint;
  let strangerTx: Hex;
  let garbageTx: { block: bigint; hash: Hex };
  /** Calldata frames of channel A. */
  let framesA: number;

  beforeAll(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    batcherKey = anvil.privateKeys[0]!;
    strangerKey = anvil.privateKeys[1]!;
    await rpc('evm_mine', []);
    const epochs = [
      { number: 0n, hash: (await l1Block(0n)).hash },
      { number: 1n, hash: (await l1Block(1n)).hash },
    ];
    singular = makeL2Blocks(3, genesis + 2n, epochs, 1);
    span = makeL2Blocks(3, genesis + 8n, epochs, 2);
    strangers = makeL2Blocks(1, genesis + 100n, epochs, 3);

    const a = buildBatcherPayloads(singular, { batchType: 'singular', compression: 'zlib', channelId: keccak256(Uint8Array.of(0xa)).subarray(0, 16), maxPayloadSize: 200 });
    framesA = a.payloads.length;
    expect(framesA).toBeGreaterThanOrEqual(3);
    const b = buildBatcherPayloads(span, {
      batchType: 'span',
      compression: 'brotli',
      channelId: keccak256(Uint8Array.of(0xb)).subarray(0, 16),
      maxPayloadSize: 130_044,
      span: { genesisTimestamp: genesis, blockTime: BLOCK_TIME, chainId: L2_CHAIN_ID, firstOriginChanged: false },
    });
    const c = buildBatcherPayloads(strangers, { batchType: 'singular', compression: 'zlib', channelId: keccak256(Uint8Array.of(0xc)).subarray(0, 16), maxPayloadSize: 100_000 });

    from = (await sendCalldata(batcherKey, a.payloads[0]!)).block;
    strangerTx = (await sendCalldata(strangerKey, c.payloads[0]!)).hash;
    for (const p of a.payloads.slice(1, -1)) await sendCalldata(batcherKey, p);
    // Version byte 0, then bytes that are no frame.
    garbageTx = await sendCalldata(batcherKey, concatBytes(Uint8Array.of(0), pseudoRandomBytes(40, 9)));
    closingBlock = (await sendCalldata(batcherKey, a.payloads.at(-1)!)).block;
    const sent = await sendBlobTransaction(anvil.rpcUrl, batcherKey, b.payloads.map(encodeBlob), INBOX);
    blobBlock = sent.blockNumber;
    to = blobBlock + 1n;
    // One more empty block at the end, so the range does not end on the blob.
    await rpc('evm_mine', []);
  }, 120_000);

  afterAll(async () => {
    await anvil?.stop();
  });

  const base = (): string[] => [
    'derive', '--l1-rpc', anvil.rpcUrl, '--inbox', INBOX, '--from', String(from), '--to', String(to),
    '--l2-chain-id', String(L2_CHAIN_ID), '--l2-genesis-timestamp', String(genesis), '--l2-block-time', String(BLOCK_TIME),
  ];

  it('derives exactly the encoded L2 blocks and their transactions; the stranger and the garbage are logged', async () => {
    const r = await run([...base(), '--beacon', anvil.rpcUrl, '--batcher', addressOfPrivateKey(batcherKey), '--json', '--progress-every', '2']);
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    const lines = jsonLines<DerivedLine>(r.stdout);
    expect(lines).toHaveLength(6);

    const got = lines.slice(0, 3);
    got.forEach((l, i) => {
      const want = singular[i]!;
      expect(l).toMatchObject({
        l1Block: Number(closingBlock),
        batchType: 'singular',
        channelId: bytesToHex(keccak256(Uint8Array.of(0xa)).subarray(0, 16)).slice(2),
        timestamp: Number(want.timestamp),
        epochNumber: Number(want.epochNum),
        epochHash: bytesToHex(want.epochHash),
        parentHash: bytesToHex(want.parentHash),
        txCount: want.transactions.length,
      });
      expect(l.txs).toEqual(want.transactions.map(bytesToHex));
      expect(l.txHashes).toEqual(want.transactions.map((t) => viemKeccak(bytesToHex(t))));
    });
    const spanLines = lines.slice(3);
    spanLines.forEach((l, i) => {
      const want = span[i]!;
      expect(l).toMatchObject({ l1Block: Number(blobBlock), batchType: 'span', timestamp: Number(want.timestamp), epochNumber: Number(want.epochNum), epochHash: null, parentHash: null });
      // Span batches rebuild each transaction from columns: the bytes must come back unchanged.
      expect(l.txs).toEqual(want.transactions.map(bytesToHex));
      expect(l.txHashes).toEqual(want.transactions.map((t) => viemKeccak(bytesToHex(t))));
    });
    expect(spanLines[0]!.parentCheck).toBe(bytesToHex(span[0]!.parentHash.subarray(0, 20)));
    expect(spanLines[2]!.epochCheck).toBe(bytesToHex(span[2]!.epochHash.subarray(0, 20)));
    expect(lines.map((l) => l.l1BlockHash)).toEqual([...Array(3).fill((await l1Block(closingBlock)).hash), ...Array(3).fill((await l1Block(blobBlock)).hash)]);
    // Nothing of the stranger's channel came through.
    const strangerHashes = strangers.flatMap((b) => b.transactions.map((t) => viemKeccak(bytesToHex(t))));
    expect(lines.flatMap((l) => l.txHashes).some((h) => strangerHashes.includes(h as Hex))).toBe(false);

    const warns = warnings(r.stderr);
    expect(warns.filter((w) => /not an authorised batcher/.test(w))).toHaveLength(1);
    expect(jsonLines<LogLine>(r.stderr).find((l) => /not an authorised batcher/.test(l.msg))).toMatchObject({ tx: strangerTx });
    expect(warns.filter((w) => /dropped batcher payload/.test(w))).toEqual([expect.stringMatching(new RegExp(`^L1 ${garbageTx.block}: dropped batcher payload #0: `))]);
    expect(warns.some((w) => /ANY sender/.test(w))).toBe(false);
    const logs = jsonLines<LogLine>(r.stderr);
    expect(logs.filter((l) => l.msg === 'derivation progress').length).toBeGreaterThan(0);
    expect(logs.find((l) => l.msg === 'derivation done')).toMatchObject({
      l1BlocksScanned: Number(to - from) + 1,
      // Channel A's frames, the stranger's, the garbage, the blob transaction.
      batcherTxs: framesA + 3,
      skippedTxs: 1,
      l2Blocks: 6,
      drops: 1,
      pendingChannels: 0,
    });
  }, 60_000);

  it('without --batcher accepts any sender, says so, and derives the stranger channel too', async () => {
    const r = await run([...base(), '--beacon', anvil.rpcUrl, '--json', '--no-txs']);
    expect(r.code).toBe(0);
    const lines = jsonLines<DerivedLine>(r.stdout);
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => l.txs === undefined)).toBe(true);
    const s = lines.find((l) => l.timestamp === Number(strangers[0]!.timestamp))!;
    expect(s.txHashes).toEqual(strangers[0]!.transactions.map((t) => viemKeccak(bytesToHex(t))));
    expect(warnings(r.stderr).filter((w) => /ANY sender/.test(w))).toHaveLength(1);
  }, 60_000);

  it('prints one line per L2 block and a summary without --json', async () => {
    const r = await run([...base(), '--beacon', anvil.rpcUrl, '--batcher', addressOfPrivateKey(batcherKey)]);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(7);
    expect(out[0]).toBe(
      `L2 block t=${singular[0]!.timestamp} epoch=0 txs=${singular[0]!.transactions.length} parent=${bytesToHex(singular[0]!.parentHash)}  (singular, L1 ${closingBlock}, channel ${bytesToHex(keccak256(Uint8Array.of(0xa)).subarray(0, 16)).slice(2)})`,
    );
    // Payloads: A's frames, the garbage, one blob; frames: A's and the blob's; channels: A and B.
    expect(out[6]).toBe(
      `L1 blocks ${from}..${to}: ${Number(to - from) + 1} scanned, ${framesA + 3} batcher tx(s) (1 skipped), ${framesA + 2} payload(s), ${framesA + 1} frame(s), 2 channel(s), 6 L2 block(s), 1 drop(s)`,
    );
  }, 60_000);

  it('fails with exit code 2 and a clear message when blob data is met without --beacon', async () => {
    const r = await run([...base(), '--batcher', addressOfPrivateKey(batcherKey), '--json']);
    expect(r.code).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toBe(`hyperion-verify: UsageError: L1 block ${blobBlock} has batcher blob transaction ${(await blobTxHash())}: a beacon endpoint is needed: pass --beacon URL`);
  }, 60_000);

  async function blobTxHash(): Promise<string> {
    const b = await createPublicClient({ transport: http(anvil.rpcUrl) }).getBlock({ blockNumber: blobBlock });
    return b.transactions[0]!;
  }

  it('a beacon that cannot serve the blobs ends the command with exit 1 and one line', async () => {
    const r = await run([...base(), '--beacon', 'http://127.0.0.1:9', '--batcher', addressOfPrivateKey(batcherKey), '--json', '--retries', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^hyperion-verify: BlobNotFoundError: /);
  }, 60_000);

  it('a range that ends inside a channel says the channel is incomplete', async () => {
    const r = await run([...base().slice(0, 8), String(closingBlock - 1n), '--batcher', addressOfPrivateKey(batcherKey)]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/0 L2 block\(s\), 1 drop\(s\), 1 channel\(s\) incomplete at the end$/)]);
    expect(warnings(r.stderr).filter((w) => /1 channel\(s\) still incomplete at the end of the range/.test(w))).toHaveLength(1);
  }, 60_000);

  it('rejects a range beyond the head (exit 2) and an unreachable node (exit 1), one line each', async () => {
    const beyond = await run(['derive', '--l1-rpc', anvil.rpcUrl, '--inbox', INBOX, '--from', '1', '--to', '100000']);
    expect(beyond.code).toBe(2);
    expect(beyond.stderr.trim().split('\n').at(-1)).toMatch(/^hyperion-verify: UsageError: --to 100000 is beyond the L1 head \d+/);
    const gone = await run(['derive', '--l1-rpc', 'http://127.0.0.1:9', '--inbox', INBOX, '--from', '1', '--to', '2', '--retries', '0']);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim().split('\n').at(-1)).toMatch(/^hyperion-verify: RpcUnavailableError: RPC node http:\/\/127\.0\.0\.1:9 unavailable/);
    const bad = await run(['derive', '--l1-rpc', anvil.rpcUrl, '--inbox', 'nope', '--from', '1', '--to', '2']);
    expect(bad.code).toBe(2);
  }, 60_000);
});

describe('derive CLI (--format metis)', () => {
  const METIS_CHAIN_ID = 1088n;
  const ANDROMEDA = JSON.parse(readFileSync(new URL('../../shared/fixtures/metis/andromeda-l1-data.json', import.meta.url), 'utf8')) as { l1BlobData: string };
  let node: AnvilNode;
  let batcher: Hex;
  let blobSender: Hex;
  let inline: { l2: bigint; timestamp: number; l1: bigint; raws: Uint8Array[]; enqueued: number }[];
  let from: bigint;
  let to: bigint;
  let inlineBlock: bigint;
  let inboxBlock: bigint;
  let blobBlock: bigint;

  async function send(key: Hex, data: Uint8Array): Promise<bigint> {
    const transport = http(node.rpcUrl, { timeout: 120_000 });
    const wallet = createWalletClient({ account: privateKeyToAccount(key), transport });
    const hash = await wallet.sendTransaction({ chain: null, to: INBOX, data: bytesToHex(data) });
    return (await createPublicClient({ transport }).waitForTransactionReceipt({ hash, pollingInterval: 50 })).blockNumber;
  }

  /** DA type 0 body: per block tx_count(3) timestamp(5) l1_block(32), then per tx kind(1) and its fields. */
  function inlineBody(blocks: typeof inline, sigs: Uint8Array[][]): Uint8Array {
    const out: number[] = [];
    const be = (v: bigint, n: number): void => {
      for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    };
    blocks.forEach((b, i) => {
      be(BigInt(b.raws.length + b.enqueued), 3);
      be(BigInt(b.timestamp), 5);
      be(b.l1, 32);
      b.raws.forEach((raw, k) => {
        out.push(0);
        be(BigInt(raw.length), 3);
        out.push(...raw);
        be(BigInt(sigs[i]![k]!.length), 3);
        out.push(...sigs[i]![k]!);
      });
      for (let k = 0; k < b.enqueued; k++) {
        out.push(1);
        out.push(...hexToBytes(addressOfPrivateKey(node.privateKeys[8]!)));
        be(BigInt(40 + k), 16);
      }
    });
    return Uint8Array.from(out);
  }

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    batcher = node.privateKeys[0]!;
    blobSender = node.privateKeys[2]!;
    const to7 = addressOfPrivateKey(node.privateKeys[7]!);
    const sign = (nonce: bigint, key: Hex): Uint8Array =>
      encodeTransaction(signTransaction({ type: 0, chainId: METIS_CHAIN_ID, nonce, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: to7, value: nonce + 1n, data: new Uint8Array(0) }, key));
    inline = [
      { l2: 5000n, timestamp: 1_710_000_000, l1: 19_000_000n, raws: [sign(0n, node.privateKeys[3]!), sign(0n, node.privateKeys[4]!)], enqueued: 1 },
      { l2: 5001n, timestamp: 1_710_000_002, l1: 19_000_001n, raws: [sign(1n, node.privateKeys[3]!)], enqueued: 0 },
    ];
    const sigs = inline.map((b) => b.raws.map((r) => keccak256(r)));
    const body = inlineBody(inline, sigs);
    from = await send(batcher, encodeInboxCalldata({ daType: 'calldata', compression: 'none', batchIndex: 7n, l2StartBlock: 5000n, blockCount: 2, body }));
    inlineBlock = from;
    const sent = await sendBlobTransaction(node.rpcUrl, blobSender, [hexToBytes(ANDROMEDA.l1BlobData)], INBOX);
    blobBlock = sent.blockNumber;
    inboxBlock = await send(batcher, encodeInboxCalldata({ daType: 'blobs', compression: 'none', batchIndex: 8n, l2StartBlock: 0n, blockCount: 0, body: hexToBytes(sent.txHash) }));
    // Not a Metis batch at all.
    to = await send(batcher, Uint8Array.of(1, 2, 3));
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('derives inline (DA 0) blocks and the Andromeda span batch behind a DA 3 batch, once each', async () => {
    const r = await run([
      'derive', '--format', 'metis', '--l1-rpc', node.rpcUrl, '--beacon', node.rpcUrl, '--inbox', INBOX,
      '--batcher', addressOfPrivateKey(batcher), '--blob-sender', addressOfPrivateKey(blobSender),
      '--from', String(from), '--to', String(to), '--l2-chain-id', String(METIS_CHAIN_ID), '--json',
    ]);
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    const lines = jsonLines<DerivedLine>(r.stdout);
    const inl = lines.filter((l) => l.batchType === 'metis-inline');
    expect(inl.map((l) => [l.l1Block, l.l2BlockNumber, l.timestamp, l.epochNumber, l.txCount, l.enqueuedTxs])).toEqual(
      inline.map((b) => [Number(inlineBlock), Number(b.l2), b.timestamp, Number(b.l1), b.raws.length, b.enqueued]),
    );
    expect(inl.map((l) => l.txs)).toEqual(inline.map((b) => b.raws.map(bytesToHex)));
    expect(inl.map((l) => l.txHashes)).toEqual(inline.map((b) => b.raws.map((t) => viemKeccak(bytesToHex(t)))));

    // The blob's own decoding, apart from the CLI: the last of its cumulative span records.
    const frame = parseFrames(decodeBlob(hexToBytes(ANDROMEDA.l1BlobData)))[0]!;
    const channel = await decompressChannel(frame.data, { fjord: true, maxBytes: 100_000_000 });
    const records = decodeConcatenatedSpanBatches(readBatchData(channel.data).batches[0]!, 'metis');
    const last = records.at(-1)!;
    const want = expandSpanBatch(last, { genesisTimestamp: 0n, blockTime: 0n, chainId: METIS_CHAIN_ID });
    const spans = lines.filter((l) => l.batchType === 'metis-span');
    expect(spans).toHaveLength(want.length);
    expect(spans.every((l) => l.l1Block === Number(inboxBlock) && l.timestamp === null && l.epochNumber === null)).toBe(true);
    expect(spans.map((l) => l.l2BlockNumber)).toEqual(want.map((_, i) => Number(last.metis!.l2StartBlock) + i));
    expect(spans.map((l) => l.txHashes)).toEqual(want.map((b) => b.transactions.map((t) => viemKeccak(bytesToHex(t)))));
    // Every transaction is a validly signed Metis (chain 1088) transaction.
    for (const raw of spans.flatMap((l) => l.txs!)) {
      const tx = decodeTransaction(hexToBytes(raw));
      expect(tx.type === 0 && tx.chainId).toBe(METIS_CHAIN_ID);
      expect(recoverSender(tx)).toMatch(/^0x[0-9a-f]{40}$/);
    }
    expect(lines).toHaveLength(inl.length + spans.length);
    // The blob transaction was read through the inbox batch only, and the junk was skipped.
    expect(blobBlock).toBeLessThan(inboxBlock);
    expect(warnings(r.stderr).filter((w) => /not a Metis inbox batch/.test(w))).toHaveLength(1);
  }, 60_000);

  it('prints readable lines for inline and span blocks, and a summary', async () => {
    const r = await run(['derive', '--format', 'metis', '--l1-rpc', node.rpcUrl, '--beacon', node.rpcUrl, '--inbox', INBOX, '--batcher', addressOfPrivateKey(batcher), '--from', String(from), '--to', String(to)]);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out[0]).toBe(`L2 block #5000 t=1710000000 epoch=19000000 txs=2 enqueued=1  (metis-inline, L1 ${inlineBlock})`);
    expect(out[1]).toBe(`L2 block #5001 t=1710000002 epoch=19000001 txs=1  (metis-inline, L1 ${inlineBlock})`);
    expect(out[2]).toMatch(new RegExp(`^L2 block #\\d+ l1time=\\d+ txs=\\d+ parent=0x[0-9a-f]{40}…  \\(metis-span, L1 ${inboxBlock}, channel [0-9a-f]{32}\\)$`));
    // Three inbox transactions (the junk one skipped), one blob payload with one frame and channel.
    expect(out.at(-1)).toBe(`L1 blocks ${from}..${to}: ${Number(to - from) + 1} scanned, 3 batcher tx(s) (1 skipped), 1 payload(s), 1 frame(s), 1 channel(s), ${out.length - 1} L2 block(s), 0 drop(s)`);
  }, 60_000);

  it('a blob transaction from a sender that is not authorised ends the command, non-zero', async () => {
    const r = await run([
      'derive', '--format', 'metis', '--l1-rpc', node.rpcUrl, '--beacon', node.rpcUrl, '--inbox', INBOX,
      '--batcher', addressOfPrivateKey(batcher), '--blob-sender', addressOfPrivateKey(node.privateKeys[9]!),
      '--from', String(from), '--to', String(to), '--json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^hyperion-verify: MetisFormatError: .*not an authorised blob sender/);
  }, 60_000);
});

describe('derive CLI (alt-DA: EigenDA commitments in calldata)', () => {
  const SRS_PATH = fileURLToPath(new URL('../../shared/fixtures/eigenda/g1.point.3000', import.meta.url));
  let node: AnvilNode;
  let proxy: Memstore;
  let blocks: L2BlockInput[];
  let block: bigint;
  let hostileBlock: bigint;

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    const srs = await loadSrs(SRS_PATH, 1024);
    proxy = await startEigenDAMemstore({ srs });
    anvil = node;
    blocks = makeL2Blocks(2, 1_700_000_010n, [{ number: 0n, hash: (await l1Block(0n)).hash }], 4);
    const out = buildBatcherPayloads(blocks, { batchType: 'singular', compression: 'zlib', channelId: keccak256(Uint8Array.of(0xd)).subarray(0, 16), maxPayloadSize: 100_000 });
    const commitment = await new EigenDAClient({ proxyUrls: [proxy.url], srs, retries: 0 }).put(out.payloads[0]!);
    // Derivation version 1 (alt-DA), then the proxy's commitment.
    block = (await sendCalldata(node.privateKeys[0]!, concatBytes(Uint8Array.of(1), commitment))).block;
    // A batch whose timestamp no JSON number holds exactly, next to an ordinary one.
    const hostile = buildBatcherPayloads([{ ...blocks[0]!, timestamp: 1n << 60n }, blocks[1]!], {
      batchType: 'singular', compression: 'zlib', channelId: keccak256(Uint8Array.of(0xe)).subarray(0, 16), maxPayloadSize: 100_000,
    });
    hostileBlock = (await sendCalldata(node.privateKeys[0]!, hostile.payloads[0]!)).block;
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await node?.stop();
  });

  const args = (): string[] => ['derive', '--l1-rpc', node.rpcUrl, '--inbox', INBOX, '--batcher', addressOfPrivateKey(node.privateKeys[0]!), '--from', String(block), '--to', String(block), '--json'];

  it('fetches the data behind the commitment, verifies it and derives the blocks', async () => {
    const r = await run([...args(), '--eigenda-proxy', proxy.url, '--eigenda-srs', SRS_PATH]);
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    const lines = jsonLines<DerivedLine>(r.stdout);
    expect(lines.map((l) => [l.timestamp, l.txHashes])).toEqual(blocks.map((b) => [Number(b.timestamp), b.transactions.map((t) => viemKeccak(bytesToHex(t)))]));
    expect(proxy.requests.some((q) => q.startsWith('GET /get/'))).toBe(true);
  }, 60_000);

  it('drops, with a warning, a batch whose timestamp cannot be printed exactly, and keeps the next', async () => {
    const r = await run(['derive', '--l1-rpc', node.rpcUrl, '--inbox', INBOX, '--from', String(hostileBlock), '--to', String(hostileBlock), '--json']);
    expect(r.code).toBe(0);
    expect(jsonLines<DerivedLine>(r.stdout).map((l) => l.timestamp)).toEqual([Number(blocks[1]!.timestamp)]);
    expect(warnings(r.stderr).filter((w) => w.includes(`timestamp ${1n << 60n} is beyond 2^53`))).toHaveLength(1);
  }, 60_000);

  it('a missing SRS file is a usage error (exit 2)', async () => {
    const r = await run([...args(), '--eigenda-proxy', proxy.url, '--eigenda-srs', '/nonexistent/g1.point']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('hyperion-verify: UsageError: --eigenda-srs: no such file /nonexistent/g1.point');
  }, 60_000);

  it('without --eigenda-proxy skips the commitment with a warning and derives nothing', async () => {
    const r = await run(args());
    expect(r.code).toBe(0);
    expect(jsonLines<DerivedLine>(r.stdout)).toEqual([]);
    expect(warnings(r.stderr).filter((w) => /alt-DA commitment, but no EigenDA proxy/.test(w))).toHaveLength(1);
  }, 60_000);
});
