// The devnet's chain rules and sequencer: the shipped message-passer code is what its source
// compiles to, the genesis has what it should (and nothing at the system addresses), headers
// follow the documented rules, and the sequencer builds the generated load on its own state,
// every transaction executed, the message passer's storage root moving, and resumes on reopen.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSolidity, contractNamed } from '../contracts/solc.js';
import {
  DEVNET_ACCOUNTS,
  DEVNET_CHAIN_ID,
  DEVNET_RULES,
  EMPTY_REQUESTS_HASH,
  FEE_VAULT,
  MESSAGE_PASSER,
  MESSAGE_PASSER_RUNTIME,
  allocStateRoot,
  devnetAlloc,
  genesisHeader,
  nextHeaderTemplate,
  DevnetBlockRuleError,
  nextL1Origin,
} from '../devnet/chain.js';
import { LoadGenerator, WORKLOAD_INITCODE } from '../devnet/load.js';
import { Sequencer, SequencerError } from '../devnet/sequencer.js';
import { storageRootAt } from '../devnet/state.js';
import { BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS } from '../vm/block/system.js';
import { headerHash } from '../vm/block/header.js';
import { PersistentState } from '../vm/state/persistent.js';
import { WorldState } from '../vm/state/world.js';
import { runWithLoading } from '../vm/state/persistent.js';
import { bytesToHex, equalBytes, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { toAddress } from '../vm/util/address.js';
import { decodeTransaction } from '../vm/tx/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'devnet-chain-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ORIGIN = { number: 7n, hash: keccak256(Uint8Array.of(7)) };

describe('devnet chain rules', () => {
  it('ships the runtime code its Solidity source compiles to', () => {
    const source = readFileSync(new URL('../devnet/MessagePasser.sol', import.meta.url), 'utf8');
    const out = compileSolidity({ 'MessagePasser.sol': source }, { evmVersion: 'prague', optimizer: { enabled: true, runs: 200 } });
    expect(contractNamed(out, 'L2ToL1MessagePasser').deployedBytecode).toBe(MESSAGE_PASSER_RUNTIME);
  }, 120_000);

  it('genesis: funded accounts, the message passer, nothing at the system addresses', async () => {
    const alloc = devnetAlloc();
    expect(DEVNET_RULES.chainId).toBe(133717n);
    expect(new Set(DEVNET_ACCOUNTS).size).toBe(DEVNET_ACCOUNTS.length);
    for (const a of DEVNET_ACCOUNTS) expect(alloc.get(a)?.balance).toBeGreaterThan(0n);
    expect(alloc.get(toAddress(MESSAGE_PASSER))?.code).toEqual(hexToBytes(MESSAGE_PASSER_RUNTIME));
    expect(alloc.has(toAddress(BEACON_ROOTS_ADDRESS))).toBe(false);
    expect(alloc.has(toAddress(HISTORY_STORAGE_ADDRESS))).toBe(false);
    const state = await PersistentState.fromGenesis(await tempDir(), alloc, { durable: false });
    const g = genesisHeader(1000n);
    expect(bytesToHex(state.stateRoot())).toBe(bytesToHex(g.stateRoot));
    expect(bytesToHex(g.stateRoot)).toBe(bytesToHex(allocStateRoot(alloc)));
    expect(g.requestsHash).toEqual(EMPTY_REQUESTS_HASH);
    expect(bytesToHex(EMPTY_REQUESTS_HASH)).toBe('0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // The message passer starts with empty storage.
    expect(await storageRootAt(state, g.stateRoot, MESSAGE_PASSER)).toEqual(EMPTY_TRIE_ROOT);
    await state.close();
  });

  it('next header: parent link, L1-origin randao, fixed fields, EIP-1559 base fee', () => {
    const g = genesisHeader(1000n);
    const t = nextHeaderTemplate(g, { timestamp: 1002n, l1Origin: ORIGIN });
    expect(t.number).toBe(1n);
    expect(t.parentHash).toEqual(headerHash(g));
    expect(t.mixHash).toEqual(ORIGIN.hash);
    expect(t.coinbase).toBe(FEE_VAULT);
    expect(t.gasLimit).toBe(30_000_000n);
    expect(t.extraData.length).toBe(0);
    expect(t.parentBeaconBlockRoot).toEqual(new Uint8Array(32));
    expect(t.withdrawalsRoot).toEqual(EMPTY_TRIE_ROOT);
    expect([t.blobGasUsed, t.excessBlobGas]).toEqual([0n, 0n]);
    // An empty parent: the base fee falls by 1/8.
    expect(t.baseFeePerGas).toBe((g.baseFeePerGas! * 7n) / 8n);
    // A full parent: it rises by 1/8.
    expect(nextHeaderTemplate({ ...g, gasUsed: g.gasLimit }, { timestamp: 1002n, l1Origin: ORIGIN }).baseFeePerGas).toBe((g.baseFeePerGas! * 9n) / 8n);
    expect(() => nextHeaderTemplate(g, { timestamp: 1000n, l1Origin: ORIGIN })).toThrow(DevnetBlockRuleError);
  });

  it('the L1 origin stays, or advances by one block that is not newer than the L2 block', () => {
    const a = { number: 10n, hash: keccak256(Uint8Array.of(10)), timestamp: 100n };
    const b = { number: 11n, hash: keccak256(Uint8Array.of(11)), timestamp: 112n };
    expect(nextL1Origin(a, null, 200n)).toBe(a);
    expect(nextL1Origin(a, b, 110n)).toBe(a);
    expect(nextL1Origin(a, b, 112n)).toBe(b);
    expect(() => nextL1Origin(a, { ...b, number: 12n }, 200n)).toThrow(DevnetBlockRuleError);
  });
});

describe('devnet sequencer', () => {
  it('builds the generated load on its own state and resumes on reopen', async () => {
    const dir = await tempDir();
    const load = new LoadGenerator({ seed: 42 });
    let seq = await Sequencer.open({ dataDir: dir, genesisTimestamp: 5000n });
    const kinds = new Set<string>();
    const mpRoots = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const txs = load.nextBlock();
      txs.forEach((t) => kinds.add(t.kind));
      const { block, rejected, receipts } = await seq.buildBlock(
        txs.map((t) => t.raw),
        ORIGIN,
      );
      expect(rejected).toEqual([]);
      // Every generated transaction runs to success (none runs out of gas or reverts).
      expect(receipts.map((r) => r.success)).toEqual(txs.map(() => true));
      expect(block.number).toBe(BigInt(i + 1));
      expect(block.header.timestamp).toBe(5000n + 2n * BigInt(i + 1));
      expect(block.transactions).toHaveLength(txs.length);
      expect(block.header.gasUsed).toBeGreaterThan(0n);
      mpRoots.add(bytesToHex(block.messagePasserStorageRoot));
      if (i === 2) {
        // A restart in the middle continues from the stored head.
        await seq.close();
        seq = await Sequencer.open({ dataDir: dir, genesisTimestamp: 5000n });
        expect(seq.head().number).toBe(3n);
        expect(seq.head().hash).toEqual(block.hash);
      }
    }
    expect(kinds.has('create')).toBe(true);
    expect(kinds.has('message')).toBe(true);
    expect(kinds.has('storage') || kinds.has('hash')).toBe(true);
    // Messages moved the message passer's storage root.
    expect(mpRoots.size).toBeGreaterThan(1);
    const blocks = await seq.blocks(1n, 6n);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.header.parentHash).toEqual(blocks[i - 1]!.hash);
    await seq.close();
    // The deployed workload contracts hold the runtime code.
    const state = await PersistentState.open(join(dir, 'state'));
    const deployed = load.deployed;
    expect(deployed.length).toBeGreaterThan(0);
    await runWithLoading(state, () => {
      const w = new WorldState(state);
      for (const a of deployed) expect(w.getCode(a)).toEqual(WORKLOAD_INITCODE.subarray(12));
    });
    await state.close();
  }, 120_000);

  it('leaves out a transaction for another chain and reports why', async () => {
    const seq = await Sequencer.open({ dataDir: await tempDir(), genesisTimestamp: 5000n });
    const good = new LoadGenerator({ seed: 1 }).nextTransaction('transfer');
    const foreign = new LoadGenerator({ seed: 2, chainId: DEVNET_CHAIN_ID + 1n }).nextTransaction('transfer');
    const { block, rejected } = await seq.buildBlock([foreign.raw, good.raw], ORIGIN);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.index).toBe(0);
    expect(rejected[0]!.reason).toMatch(/chain id/);
    expect(block.transactions).toEqual([good.raw]);
    expect(decodeTransaction(block.transactions[0]!).chainId).toBe(DEVNET_CHAIN_ID);
    expect(equalBytes(block.stateRoot, genesisHeader(5000n).stateRoot)).toBe(false);
    // The L1 origin may stay or move to the next L1 block, never jump or go back.
    await expect(seq.buildBlock([], { number: ORIGIN.number + 2n, hash: ORIGIN.hash })).rejects.toThrow(SequencerError);
    await expect(seq.buildBlock([], { number: ORIGIN.number - 1n, hash: ORIGIN.hash })).rejects.toThrow(SequencerError);
    expect((await seq.buildBlock([], { number: ORIGIN.number + 1n, hash: ORIGIN.hash })).block.number).toBe(2n);
    await seq.close();
  });
});
