// Block-level rules written from the specs: header checks against the parent
// (EIP-1559 base fee, gas limit bounds, EIP-4844/7918 excess blob gas), and
// withdrawals credited in gwei with their root.
import { describe, expect, it } from 'vitest';
import { checkHeaderAgainstParent, expectedBaseFee } from '../vm/block/validate.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import { executeBlock } from '../vm/block/execute.js';
import { ethereumRules } from '../vm/chain/chain.js';
import { MemoryState } from '../vm/state/memory.js';
import { WorldState } from '../vm/state/world.js';
import { toAddress } from '../vm/util/address.js';
import { orderedTrieRoot, EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { hexToBytes } from '../vm/util/bytes.js';

const chain = ethereumRules('prague', 1n);
const Z32 = new Uint8Array(32);

function header(over: Partial<BlockHeader>): BlockHeader {
  return {
    parentHash: Z32,
    ommersHash: Z32,
    coinbase: toAddress('0x00000000000000000000000000000000000000cb'),
    stateRoot: EMPTY_TRIE_ROOT,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 100n,
    gasLimit: 30_000_000n,
    gasUsed: 15_000_000n,
    timestamp: 1_000n,
    extraData: new Uint8Array(0),
    mixHash: Z32,
    nonce: new Uint8Array(8),
    baseFeePerGas: 1_000_000_000n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: Z32,
    requestsHash: Z32,
    ...over,
  };
}

describe('EIP-1559 base fee', () => {
  it('stays at target, rises by at most 1/8 when full, falls by at most 1/8 when empty', () => {
    expect(expectedBaseFee(header({ gasUsed: 15_000_000n }), chain)).toBe(1_000_000_000n);
    expect(expectedBaseFee(header({ gasUsed: 30_000_000n }), chain)).toBe(1_125_000_000n);
    expect(expectedBaseFee(header({ gasUsed: 0n }), chain)).toBe(875_000_000n);
    // A nearly-target block still moves the fee by at least one wei upwards.
    expect(expectedBaseFee(header({ gasUsed: 15_000_001n, baseFeePerGas: 7n }), chain)).toBe(8n);
  });
});

describe('header against parent', () => {
  const parent = header({});
  const child = (over: Partial<BlockHeader>): BlockHeader =>
    header({ number: 101n, parentHash: headerHash(parent), timestamp: 1_012n, baseFeePerGas: 1_000_000_000n, gasUsed: 0n, ...over });

  it('accepts a valid child', () => {
    expect(checkHeaderAgainstParent(child({}), parent, chain)).toEqual([]);
  });

  it('names each broken rule', () => {
    const fields = (h: BlockHeader) => checkHeaderAgainstParent(h, parent, chain).map((m) => m.field);
    expect(fields(child({ number: 102n }))).toEqual(['number']);
    expect(fields(child({ parentHash: new Uint8Array(32).fill(1) }))).toEqual(['parentHash']);
    expect(fields(child({ timestamp: 1_000n }))).toEqual(['timestamp']);
    expect(fields(child({ gasLimit: 30_000_000n + 30_000_000n / 1024n }))).toEqual(['gasLimit']);
    expect(fields(child({ baseFeePerGas: 1_000_000_001n }))).toEqual(['baseFeePerGas']);
    expect(fields(child({ excessBlobGas: 1n }))).toEqual(['excessBlobGas']);
  });

  it('carries excess blob gas over the target (EIP-4844, Prague target 6 blobs)', () => {
    const p = header({ excessBlobGas: 0n, blobGasUsed: 9n * 131072n });
    const c = header({ number: 101n, parentHash: headerHash(p), timestamp: 1_012n, gasUsed: 0n, excessBlobGas: 3n * 131072n });
    expect(checkHeaderAgainstParent(c, p, chain)).toEqual([]);
  });
});

describe('withdrawals', () => {
  it('credit gwei amounts and commit to their list in the withdrawals root', () => {
    const state = new MemoryState();
    const a = toAddress('0x00000000000000000000000000000000000000a1');
    const b = toAddress('0x00000000000000000000000000000000000000b2');
    state.put(a, { balance: 5n });
    const world = new WorldState(state);
    const withdrawals = [
      { index: 0n, validatorIndex: 7n, address: a, amount: 3n },
      { index: 1n, validatorIndex: 8n, address: b, amount: 1_000_000n },
      { index: 2n, validatorIndex: 9n, address: toAddress('0x00000000000000000000000000000000000000c3'), amount: 0n },
    ];
    const result = executeBlock(world, chain, { header: header({ gasUsed: 0n }), transactions: [], withdrawals }, () => null);
    expect(world.getBalance(a)).toBe(5n + 3_000_000_000n);
    expect(world.getBalance(b)).toBe(1_000_000n * 1_000_000_000n);
    // A zero-amount withdrawal to an empty address leaves no account behind (EIP-161).
    expect(world.exists(toAddress('0x00000000000000000000000000000000000000c3'))).toBe(false);
    const expectedRoot = orderedTrieRoot(withdrawals.map((w) => rlpEncode([w.index, w.validatorIndex, hexToBytes(w.address), w.amount])));
    expect(result.withdrawalsRoot).toEqual(expectedRoot);
    // No requests: the EIP-7685 hash of an empty list is sha256 of nothing.
    expect(Buffer.from(result.requestsHash!).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('Metis LLM precompile calls', () => {
  it('are reported as not reproducible on Hyperion, per transaction', async () => {
    const { hyperionRules, ethereumRules: eth } = await import('../vm/chain/chain.js');
    const { signTransaction, encodeTransaction, addressOfPrivateKey } = await import('../vm/tx/index.js');
    const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
    const sender = addressOfPrivateKey(key);
    // Contract: STATICCALL(gas, 0x999, 0, 0, 0, 0); STOP
    const caller = toAddress('0x00000000000000000000000000000000000c0de1');
    const code = hexToBytes('5f5f5f5f610999' + '5a' + 'fa' + '00');
    const run = (rules: ReturnType<typeof hyperionRules>) => {
      const state = new MemoryState();
      state.put(sender, { balance: 10n ** 18n });
      state.put(caller, { code });
      const tx = signTransaction(
        { type: 2, chainId: rules.chainId, nonce: 0n, maxPriorityFeePerGas: 1n, maxFeePerGas: 10n ** 10n, gasLimit: 100_000n, to: caller, value: 0n, data: new Uint8Array(0), accessList: [] },
        key,
      );
      return executeBlock(new WorldState(state), rules, { header: header({ gasUsed: 0n, baseFeePerGas: 7n }), transactions: [encodeTransaction(tx)] }, () => null);
    };
    const onHyperion = run(hyperionRules(1n));
    expect(onHyperion.warnings).toHaveLength(1);
    expect(onHyperion.warnings[0]).toMatch(/transaction 0 calls 0x0+999.*not reproducible/);
    expect(run(eth('prague', 1n)).warnings).toEqual([]);
  });
});
