// The devnet's L2 chain end to end on a real anvil (Prague) as L1: the sequencer builds blocks
// of the generated load, the batcher posts them as blobs to the inbox, and verifier nodes with
// their own data directories derive and re-execute them from L1 alone. Every derived block's
// hash, state root and output root must equal the sequencer's; a node closed half-way resumes;
// garbage in the inbox is skipped with a reason; an L1 reorg rolls the node back and it re-derives.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { encodeBlob } from '../da/blob/codec.js';
import { DEVNET_BATCH_INBOX, postBlocks, sendBlobs, type BatcherOptions } from '../devnet/batcher.js';
import { LoadGenerator } from '../devnet/load.js';
import { DevnetNode, type DevnetNodeOptions } from '../devnet/node.js';
import { Sequencer } from '../devnet/sequencer.js';
import type { SealedBlock } from '../devnet/state.js';
import { headerHash } from '../vm/block/header.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { bytesToHex, hexToBytes, type Hex } from '../vm/util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../vm/util/hash.js';
import { PersistentState } from '../vm/state/persistent.js';
import { toAddress } from '../vm/util/address.js';

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

interface LogLine {
  msg: string;
  reason?: string;
  [k: string]: unknown;
}

function capturingLogger(lines: LogLine[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

describe('devnet L2 chain on anvil: sequencer → batcher → deriving node', () => {
  let anvil: AnvilNode;
  let seq: Sequencer;
  let batcher: BatcherOptions;
  let batcherKey: Hex;
  let genesisTimestamp: bigint;
  const blocks: SealedBlock[] = [];
  const dirs: string[] = [];
  let l1Start: bigint;
  let snapshot: string;

  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'devnet-node-'));
    dirs.push(d);
    return d;
  };
  const nodeOptions = (dataDir: string, lines: LogLine[]): DevnetNodeOptions => ({
    l1RpcUrl: anvil.rpcUrl,
    inbox: DEVNET_BATCH_INBOX,
    batcher: addressOfPrivateKey(batcherKey),
    l1Start,
    dataDir,
    genesisTimestamp,
    logger: capturingLogger(lines),
  });

  /** Every derived block equals the sequencer's: hash, state root, output root and transactions. */
  async function expectAgrees(node: DevnetNode, upTo: number): Promise<void> {
    expect(node.head().number).toBe(BigInt(upTo));
    for (const b of blocks.slice(0, upTo)) {
      const out = await node.outputAt(b.number);
      expect(out).not.toBeNull();
      expect(out!.blockHash).toBe(bytesToHex(b.hash));
      expect(out!.stateRoot).toBe(bytesToHex(b.stateRoot));
      expect(out!.messagePasserStorageRoot).toBe(bytesToHex(b.messagePasserStorageRoot));
      expect(out!.outputRoot).toBe(bytesToHex(b.outputRoot));
      const nb = await node.blockAt(b.number);
      expect(nb!.transactions.map(bytesToHex)).toEqual(b.transactions.map(bytesToHex));
      expect(bytesToHex(headerHash(nb!.header))).toBe(bytesToHex(b.hash));
      expect(bytesToHex(headerHash(nb!.parentHeader))).toBe(bytesToHex(nb!.header.parentHash));
    }
    expect(await node.outputAt(BigInt(upTo + 1))).toBeNull();
  }

  beforeAll(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    batcherKey = anvil.privateKeys[1]!;
    // L1 blocks 1 and 2 give the L2 blocks three L1 origins (0, 1, 2).
    await rpc(anvil.rpcUrl, 'evm_mine', []);
    await rpc(anvil.rpcUrl, 'evm_mine', []);
    const latest = await rpc<{ timestamp: string; number: string }>(anvil.rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    genesisTimestamp = BigInt(latest.timestamp);
    l1Start = BigInt(latest.number) + 1n;
    const seqDir = await tempDir();
    seq = await Sequencer.open({ dataDir: seqDir, genesisTimestamp });
    batcher = { l1RpcUrl: anvil.rpcUrl, privateKey: batcherKey, genesisTimestamp };
  }, 60_000);

  afterAll(async () => {
    await seq?.close();
    await anvil?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('the sequencer builds six blocks of the generated load', async () => {
    const load = new LoadGenerator({ seed: 20261125 });
    for (let i = 0; i < 6; i++) {
      const n = BigInt(Math.floor(i / 2));
      const l1 = await rpc<{ hash: string }>(anvil.rpcUrl, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
      const { block, rejected } = await seq.buildBlock(
        load.nextBlock().map((t) => t.raw),
        { number: n, hash: hexToBytes(l1.hash) },
      );
      expect(rejected).toEqual([]);
      blocks.push(block);
    }
    expect(blocks.map((b) => b.number)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(blocks.reduce((s, b) => s + b.transactions.length, 0)).toBeGreaterThan(10);
  }, 60_000);

  let halfDir: string;
  it('a node with an empty data dir derives the first channel (span batch, brotli, one blob)', async () => {
    const posted = await postBlocks(blocks.slice(0, 3), batcher);
    expect(posted.transactions).toHaveLength(1);
    expect(posted.transactions[0]!.blobs).toBe(1);
    snapshot = await rpc<string>(anvil.rpcUrl, 'evm_snapshot', []);
    halfDir = await tempDir();
    const lines: LogLine[] = [];
    const node = await DevnetNode.open(nodeOptions(halfDir, lines));
    const r = await node.sync();
    expect(r.l1Head).toBe(posted.transactions[0]!.l1Block);
    await expectAgrees(node, 3);
    // The stored preimages are the state's trie nodes: the root's node hashes to the root.
    const rootNode = await node.preimage(blocks[2]!.stateRoot);
    expect(rootNode).not.toBeNull();
    expect(bytesToHex(keccak256(rootNode!))).toBe(bytesToHex(blocks[2]!.stateRoot));
    expect(await node.preimage(keccak256(Uint8Array.of(1, 2, 3)))).toBeNull();
    await node.close();
  }, 120_000);

  it('garbage in the inbox is skipped with a reason; a fresh node derives all six blocks', async () => {
    const garbage = Uint8Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) & 0xff);
    // One blob with an unknown version byte, one with version 0 and junk where frames should be.
    const junk = await sendBlobs(anvil.rpcUrl, batcherKey, DEVNET_BATCH_INBOX, [encodeBlob(garbage), encodeBlob(Uint8Array.of(0, ...garbage))]);
    // Singular batches, zlib, frames small enough to need several blobs.
    const posted = await postBlocks(blocks.slice(3), { ...batcher, batchType: 'singular', compression: 'zlib', maxPayloadSize: 600 });
    expect(posted.frames).toBeGreaterThan(1);
    const lines: LogLine[] = [];
    const node = await DevnetNode.open(nodeOptions(await tempDir(), lines));
    await node.sync();
    await expectAgrees(node, 6);
    const drops = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('derivation dropped data') && l.l1Block === Number(junk.l1Block));
    expect(drops).toHaveLength(2);
    for (const d of drops) expect(d.reason).toMatch(/\w+/);
    await node.close();
  }, 180_000);

  it('a node closed half-way reopens on its data dir, continues and agrees', async () => {
    // As if killed after committing an L2 block's state but before its L1 block's batch: the
    // state directory is one block ahead of the store, with a state the chain never had.
    const state = await PersistentState.open(join(halfDir, 'state'));
    const changes = new Map([[toAddress('0x00000000000000000000000000000000000000aa'), { account: { nonce: 0n, balance: 1n, code: new Uint8Array(0), codeHash: KECCAK_EMPTY }, storage: new Map<bigint, bigint>(), storageCleared: false }]]);
    await state.commit(changes, 4n);
    await state.close();
    const lines: LogLine[] = [];
    const node = await DevnetNode.open(nodeOptions(halfDir, lines));
    expect(node.head().number).toBe(3n);
    const r = await node.sync();
    expect(r.derived).toBe(3);
    await expectAgrees(node, 6);
    await node.close();
  }, 120_000);

  it('an L1 reorg drops the L2 blocks derived from the lost L1 blocks and re-derives from the new chain', async () => {
    const lines: LogLine[] = [];
    const dir = await tempDir();
    const node = await DevnetNode.open(nodeOptions(dir, lines));
    await node.sync();
    expect(node.head().number).toBe(6n);
    const oldL1Head = node.l1Head()!;
    // Back to just after the first channel, then a different L1 history: a plain transfer
    // and a channel carrying only blocks 4 and 5.
    expect(await rpc<boolean>(anvil.rpcUrl, 'evm_revert', [snapshot])).toBe(true);
    const from = addressOfPrivateKey(anvil.privateKeys[3]!);
    await rpc(anvil.rpcUrl, 'eth_sendTransaction', [{ from, to: from, value: '0x1' }]);
    const posted = await postBlocks(blocks.slice(3, 5), batcher);
    expect(posted.transactions[0]!.l1Block).toBeLessThanOrEqual(oldL1Head);
    const r = await node.sync();
    expect(r.reorgs).toBe(1);
    expect(lines.some((l) => l.msg === 'L1 reorg: rolling back' && l.l2To === 3)).toBe(true);
    await expectAgrees(node, 5);
    expect(await node.blockAt(6n)).toBeNull();
    expect((await node.outputAt(4n))!.derivedFrom!.number).toBe(posted.transactions[0]!.l1Block);
    await node.close();
    // Reopened, the rolled-back node holds exactly the new history.
    reorgedDir = dir;
    const again = await DevnetNode.open(nodeOptions(dir, []));
    await expectAgrees(again, 5);
    expect((await again.sync()).reorgs).toBe(0);
    await again.close();
  }, 180_000);

  let reorgedDir: string;
  it('batches that cannot be the next block are dropped with a reason, and the right one still derives', async () => {
    // A block 6 whose transaction replays a spent nonce, and block 3 again (already derived).
    const stale = new LoadGenerator({ seed: 99 }).nextTransaction('transfer').raw;
    const invalid: SealedBlock = { ...blocks[5]!, hash: keccak256(Uint8Array.of(6, 6)), transactions: [stale] };
    await postBlocks([invalid], batcher);
    await postBlocks([blocks[2]!], batcher);
    await postBlocks([blocks[5]!], batcher);
    const lines: LogLine[] = [];
    const node = await DevnetNode.open(nodeOptions(reorgedDir, lines));
    await node.sync();
    await expectAgrees(node, 6);
    const dropped = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('batch dropped'));
    expect(dropped.map((l) => l.reason)).toEqual([expect.stringMatching(/nonce/), expect.stringMatching(/already derived/)]);
    await node.close();
  }, 180_000);
});
