// A block range recorded from a real anvil node under a varied load replays
// offline (the node is stopped first), every block verified; tampered
// recordings fail verification or raise the typed error; JSON round-trips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { anvilRules } from '../vm/chain/chain.js';
import { RpcMalformedError } from '../vm/rpc/index.js';
import { MissingStateError } from '../vm/state/backend.js';
import { keccak256 } from '../vm/util/hash.js';
import { equalBytes } from '../vm/util/bytes.js';
import { replayBlock, type BlockVerdict } from '../vm/replay/replay.js';
import { createRpcReplaySource } from '../vm/replay/rpc-source.js';
import {
  decodeRecordedRange,
  encodeRecordedRange,
  loadRecordedRange,
  recordReplaySource,
  recordedSource,
  RecordedRangeFormatError,
  saveRecordedRange,
  sliceRecordedRange,
  type RecordedBlock,
  type RecordedRange,
} from '../vm/replay/recorded.js';
import { gasSlices, replayRecordedMetis, replayRecordedReference, ReplayBenchError } from '../bench/replay.js';

const chain = anvilRules('prague', 31337n);
const options = { checkParent: false } as const;

async function replayAll(recorded: RecordedRange): Promise<BlockVerdict[]> {
  const source = recordedSource(recorded);
  const out: BlockVerdict[] = [];
  for (let n = recorded.from; n <= recorded.to; n++) out.push(await replayBlock(source, chain, n, options));
  return out;
}

/** A copy of the recording with block `n` replaced. */
function withBlock(recorded: RecordedRange, n: bigint, change: (b: RecordedBlock) => RecordedBlock): RecordedRange {
  return { ...recorded, blocks: recorded.blocks.map((b) => (b.number === n ? change(b) : b)) };
}

describe('recorded replay ranges (anvil, prague)', () => {
  let node: AnvilNode | undefined;
  let recorded: RecordedRange;
  let liveVerdicts: readonly BlockVerdict[];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recorded-'));
    node = await startAnvil({ hardfork: 'prague' });
    const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'prague', rounds: 1 });
    // anvil's genesis header carries the empty trie root: block 1 cannot be proven.
    const from = load.fromBlock < 2n ? 2n : load.fromBlock;
    const r = await recordReplaySource(createRpcReplaySource(node.rpcUrl), chain, from, load.toBlock, options);
    recorded = r.range;
    liveVerdicts = r.verdicts;
    // Everything after this point runs with no node at all.
    await node.stop();
    node = undefined;
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a verified range with witnesses, refetches and zero-leaf answers', () => {
    expect(liveVerdicts.length).toBeGreaterThan(10);
    expect(liveVerdicts.filter((v) => !v.verified).map((v) => `${v.number}: ${v.mismatch}`)).toEqual([]);
    expect(recorded.blocks.map((b) => b.number)).toEqual(liveVerdicts.map((v) => v.number));
    expect(recorded.blocks.reduce((s, b) => s + b.block.transactions.length, 0)).toBeGreaterThan(20);
    for (const b of recorded.blocks) {
      expect(b.preState.nodes.length).toBeGreaterThan(0);
      expect(b.receipts.length).toBe(b.block.transactions.length);
    }
    // anvil keeps zero leaves: the load clears storage, so some answers were recorded.
    expect(recorded.blocks.some((b) => b.leaves.some((l) => l.slot !== null))).toBe(true);
  });

  it('replays every block offline, verified, with the same gas as live', async () => {
    const verdicts = await replayAll(recorded);
    expect(verdicts.filter((v) => !v.verified).map((v) => `${v.number}: ${v.mismatch}`)).toEqual([]);
    expect(verdicts.map((v) => v.gasUsed)).toEqual(liveVerdicts.map((v) => v.gasUsed));
    expect(verdicts.reduce((s, v) => s + v.gasUsed, 0n)).toBeGreaterThan(1_000_000n);
  });

  it('survives structured cloning (what worker threads receive) and slicing', async () => {
    const mid = recorded.from + (recorded.to - recorded.from) / 2n;
    const second = structuredClone(sliceRecordedRange(recorded, mid, recorded.to));
    const verdicts = await replayAll(second);
    expect(verdicts.length).toBe(Number(recorded.to - mid + 1n));
    expect(verdicts.every((v) => v.verified)).toBe(true);
  });

  it('raises the live source errors for what was not recorded', async () => {
    const source = recordedSource(recorded);
    await expect(source.block(recorded.to + 1n)).rejects.toBeInstanceOf(RpcMalformedError);
    await expect(source.header(recorded.from - 2n)).rejects.toBeInstanceOf(RpcMalformedError);
    await expect(source.blockHashes([recorded.to + 5n])).rejects.toBeInstanceOf(RpcMalformedError);
    await expect(source.receipts(recorded.from - 1n)).rejects.toBeInstanceOf(RpcMalformedError);
    const err = new MissingStateError('storage', '0x00000000000000000000000000000000deadbeef', 7n);
    await expect(source.missing(recorded.from, err)).rejects.toBe(err);
    await expect(source.zeroLeaves!(recorded.from, new Map([['0x00000000000000000000000000000000deadbeef', [1n]]]))).rejects.toBeInstanceOf(MissingStateError);
  });

  it('reordered transactions fail verification', async () => {
    const target = recorded.blocks.find((b) => b.block.transactions.length > 1)!;
    const tampered = withBlock(recorded, target.number, (b) => {
      const [first, second, ...rest] = b.block.transactions;
      return { ...b, block: { ...b.block, transactions: [second!, first!, ...rest] } };
    });
    const v = await replayBlock(recordedSource(tampered), chain, target.number, options);
    expect(v.verified).toBe(false);
    expect(v.mismatch).not.toBeNull();
  });

  it('a transaction with a tampered signature raises MissingStateError, or is invalid where the witness proves its new sender absent', async () => {
    const target = recorded.blocks.find((b) => b.block.transactions.length > 1)!;
    const tampered = withBlock(recorded, target.number, (b) => {
      const txs = [...b.block.transactions];
      const t = Uint8Array.from(txs[0]!);
      t[t.length - 40] ^= 0x01; // a byte of the signature's s
      txs[0] = t;
      return { ...b, block: { ...b.block, transactions: txs } };
    });
    // The recovered sender is some other address: either the witness does not cover it (a
    // missing-state error), or it proves the account absent and the transaction is invalid.
    let verdict: Awaited<ReturnType<typeof replayBlock>> | null = null;
    try {
      verdict = await replayBlock(recordedSource(tampered), chain, target.number, options);
    } catch (e) {
      expect(e).toBeInstanceOf(MissingStateError);
    }
    if (verdict !== null) {
      expect(verdict.verified).toBe(false);
      expect(verdict.mismatch).toMatch(/transaction 0 is invalid/);
    }
  });

  it('a tampered zero-leaf answer fails the state root', async () => {
    const target = recorded.blocks.find((b) => b.leaves.some((l) => l.slot !== null))!;
    const tampered = withBlock(recorded, target.number, (b) => {
      let flipped = false;
      const leaves = b.leaves.map((l) => {
        if (flipped || l.slot === null) return l;
        flipped = true;
        return { ...l, kept: !l.kept };
      });
      return { ...b, leaves };
    });
    const v = await replayBlock(recordedSource(tampered), chain, target.number, options);
    expect(v.verified).toBe(false);
    expect(v.mismatch).toMatch(/stateRoot/);
  });

  it('a tampered witness node raises MissingStateError (it no longer hashes into the trie)', async () => {
    const target = recorded.blocks.find((b) => b.block.transactions.length > 1)!;
    const parentRoot = recorded.blocks.find((b) => b.number === target.number - 1n)?.block.header.stateRoot ?? recorded.parent.header.stateRoot;
    const tampered = withBlock(recorded, target.number, (b) => {
      const nodes = b.preState.nodes.map((n) => {
        if (!equalBytes(keccak256(n), parentRoot)) return n;
        const t = Uint8Array.from(n);
        t[t.length - 1] ^= 0x01;
        return t;
      });
      expect(nodes.some((n, i) => n !== b.preState.nodes[i])).toBe(true);
      return { ...b, preState: { ...b.preState, nodes } };
    });
    await expect(replayBlock(recordedSource(tampered), chain, target.number, options)).rejects.toBeInstanceOf(MissingStateError);
  });

  it('round-trips through JSON and still replays', async () => {
    const path = join(dir, 'range.json');
    await saveRecordedRange(path, recorded);
    const loaded = await loadRecordedRange(path);
    expect(loaded).toEqual(recorded);
    expect(encodeRecordedRange(loaded)).toBe(encodeRecordedRange(recorded));
    const verdicts = await replayAll(loaded);
    expect(verdicts.every((v) => v.verified)).toBe(true);
    expect(() => decodeRecordedRange('{"version":2}')).toThrow(RecordedRangeFormatError);
    expect(() => decodeRecordedRange('{"version":1,"from":{"$bigint":"0xzz"}}')).toThrow(RecordedRangeFormatError);
    const text = encodeRecordedRange(recorded);
    const json = JSON.parse(text) as { blocks: unknown[] };
    json.blocks.pop();
    expect(() => decodeRecordedRange(JSON.stringify(json))).toThrow(RecordedRangeFormatError);
  });
  // The replay bench's two engines on the same recording.
  it('bench: MetisVM and @ethereumjs/vm both replay the recording with the header gas', async () => {
    const total = recorded.blocks.reduce((s, b) => s + b.block.header.gasUsed, 0n);
    const ours = await replayRecordedMetis(recorded, chain);
    const ref = await replayRecordedReference(recorded, chain);
    expect(ours.blocks).toBe(recorded.blocks.length);
    expect(ref.blocks).toBe(recorded.blocks.length);
    expect(ours.gas).toBe(total);
    expect(ref.gas).toBe(total);
    expect(ours.ms).toBeGreaterThan(0);
    expect(ref.ms).toBeGreaterThan(0);
    // Slices for the workers cover the range exactly once, in order.
    const slices = gasSlices(recorded, 4);
    expect(slices.flatMap((r) => r.blocks.map((b) => b.number))).toEqual(recorded.blocks.map((b) => b.number));
  });

  it('bench: either engine throws when a block does not check out', async () => {
    const target = recorded.blocks.find((b) => b.block.transactions.length > 1)!;
    const reordered = withBlock(recorded, target.number, (b) => {
      const [first, second, ...rest] = b.block.transactions;
      return { ...b, block: { ...b.block, transactions: [second!, first!, ...rest] } };
    });
    await expect(replayRecordedMetis(reordered, chain)).rejects.toBeInstanceOf(ReplayBenchError);
    // Reordered, the block's gas or receipts change, and ethereumjs notices.
    await expect(replayRecordedReference(reordered, chain)).rejects.toBeInstanceOf(ReplayBenchError);
    // A header that does not hash to the recorded block hash is not run at all.
    const otherHeader = withBlock(recorded, target.number, (b) => ({ ...b, block: { ...b.block, header: { ...b.block.header, extraData: new Uint8Array([1]) } } }));
    await expect(replayRecordedReference(otherHeader, chain)).rejects.toThrow(/decodes to hash/);
    // A receipt the node reported differently from what ethereumjs computes.
    const wrongReceipt = withBlock(recorded, target.number, (b) => ({
      ...b,
      receipts: b.receipts.map((r, i) => (i === 0 ? { ...r, cumulativeGasUsed: r.cumulativeGasUsed + 1n } : r)),
    }));
    await expect(replayRecordedReference(wrongReceipt, chain)).rejects.toThrow(/receipt 0 differs/);
  });
});
