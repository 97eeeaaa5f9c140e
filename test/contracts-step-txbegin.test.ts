// The transaction-begin step of the TRANSACTIONS part (contracts/src/MetisTxStep.sol) against the
// TypeScript reference (vm/step/boundary.ts txBegin), on a real anvil. This version of the part
// proves the begin step of a transaction the reference rejects (the block becomes invalid:
// status 1, every other word unchanged): a chain id mismatch, a signature naming no sender (high
// s, r = 0, yParity 2, a bad legacy v), intrinsic gas or the EIP-7623 floor above the gas limit,
// the block's gas exceeded (also by the gas earlier transactions used), fee caps below the base
// fee, a priority fee above the max fee, a wrong nonce, an insufficient balance; for legacy
// (pre-EIP-155 and EIP-155), EIP-2930 and EIP-1559 transactions, first or later in a block. A
// valid transaction's begin step (also one exactly at the balance and nonce limits) reverts
// TransactionBeginUnsupported, blob and set-code transactions UnsupportedTransaction(type);
// tampered witnesses never give another post-state. Gas per class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFunctionSelector } from 'viem';
import { contractArtifact } from '../contracts/artifacts.js';
import { hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { MESSAGE_PASSER } from '../vm/block/output-root.js';
import { MemoryState } from '../vm/state/memory.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { SECP256K1_N } from '../vm/tx/signature.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { AccessListTx, FeeMarketTx, LegacyTx, Transaction } from '../vm/tx/types.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { blockStepWitness, type BlockStepTrace } from '../vm/step/block-steps.js';
import { STATUS_INVALID, decodeStepState } from '../vm/step/state.js';
import { startStepVerifier, type OnChainStepVerifier } from './support/onchain-step.js';
import { GasTable, fixtureBlockTrace, stepsOf } from './support/block-fixture.js';

let v: OnChainStepVerifier;

beforeAll(async () => {
  v = await startStepVerifier({ calls: 'MetisCallStep', creates: 'MetisCreateStep', transactions: 'MetisTxStep' });
}, 120_000);

afterAll(async () => {
  await v?.stop();
});

const CHAIN_ID = 133717n;
const KEY = ('0x' + '11'.repeat(32)) as `0x${string}`;
const SENDER = addressOfPrivateKey(KEY);
// A second sender whose balance is exactly what one 1559 transaction below may spend.
const KEY2 = ('0x' + '22'.repeat(32)) as `0x${string}`;
const SENDER2 = addressOfPrivateKey(KEY2);
const EXACT_GAS = 50_000n;
const EXACT_VALUE = 1234n;
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');
const COINBASE = toAddress('0x00000000000000000000000000000000000fee00');
const BLOCK_GAS = 30_000_000n;
const BASE_FEE = 7n;
const MAX_FEE = 1000n;

function parentState(): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n, nonce: 3n });
  s.put(SENDER2, { balance: EXACT_GAS * MAX_FEE + EXACT_VALUE });
  s.put(CONTRACT, { code: hexToBytes('0x6001600055600160015500'), storage: new Map([[1n, 5n]]) });
  s.put(MESSAGE_PASSER, { code: hexToBytes('0x00') });
  return s;
}

interface TxOpts {
  readonly type?: 0 | 1 | 2;
  readonly nonce?: bigint;
  readonly to?: Address | null;
  readonly data?: Uint8Array;
  readonly gasLimit?: bigint;
  readonly value?: bigint;
  readonly tip?: bigint;
  readonly maxFee?: bigint;
  readonly gasPrice?: bigint;
  /** null: pre-EIP-155 (legacy only). */
  readonly chainId?: bigint | null;
  readonly key?: `0x${string}`;
}

function unsignedTx(o: TxOpts): Transaction {
  const nonce = o.nonce ?? 3n;
  const gasLimit = o.gasLimit ?? 300_000n;
  const value = o.value ?? 0n;
  const data = o.data ?? new Uint8Array(0);
  const to = o.to === undefined ? OTHER : o.to;
  const chainId = o.chainId === undefined ? CHAIN_ID : o.chainId;
  if ((o.type ?? 2) === 0) {
    const t: LegacyTx = { type: 0, chainId, nonce, gasPrice: o.gasPrice ?? 500n, gasLimit, to, value, data };
    return t;
  }
  if (o.type === 1) {
    const t: AccessListTx = { type: 1, chainId: chainId!, nonce, gasPrice: o.gasPrice ?? 300n, gasLimit, to, value, data, accessList: [{ address: CONTRACT, storageKeys: [1n, 2n] }, { address: OTHER, storageKeys: [] }] };
    return t;
  }
  const t: FeeMarketTx = { type: 2, chainId: chainId!, nonce, maxPriorityFeePerGas: o.tip ?? 2n, maxFeePerGas: o.maxFee ?? MAX_FEE, gasLimit, to, value, data, accessList: [{ address: CONTRACT, storageKeys: [3n] }] };
  return t;
}

const tx = (o: TxOpts = {}): Uint8Array => encodeTransaction(signTransaction(unsignedTx(o), o.key ?? KEY));

/** A signed transaction with its signature changed by `f` (r, s, the parity / v). */
function resigned(o: TxOpts, f: (sig: { r: bigint; s: bigint; p: bigint }) => { r: bigint; s: bigint; p: bigint }): Uint8Array {
  const signed = signTransaction(unsignedTx(o), KEY) as Transaction & { signature: { r: bigint; s: bigint; v?: bigint; yParity?: bigint } };
  const sig = signed.signature;
  const p = sig.v ?? sig.yParity!;
  const n = f({ r: sig.r, s: sig.s, p });
  const signature = sig.v !== undefined ? { v: n.p, r: n.r, s: n.s } : { yParity: n.p, r: n.r, s: n.s };
  return encodeTransaction({ ...signed, signature } as Transaction);
}

/** The same signature's other half: s → n - s with the parity flipped recovers the same key (EIP-2 forbids it). */
const highS = (o: TxOpts): Uint8Array =>
  resigned(o, ({ r, s, p }) => {
    // The recovery bit: yParity, v - 27 (pre-EIP-155) or (v - 35) & 1 (EIP-155).
    const rec = (o.type ?? 2) !== 0 ? p : p < 35n ? p - 27n : (p - 35n) & 1n;
    return { r, s: SECP256K1_N - s, p: rec === 0n ? p + 1n : p - 1n };
  });

const PRAGUE = hyperionRules(CHAIN_ID, 'prague');
const CANCUN = hyperionRules(CHAIN_ID, 'cancun');

const blockTrace = (transactions: Uint8Array[], chain: ChainRules = PRAGUE): BlockStepTrace => fixtureBlockTrace(transactions, chain, COINBASE, parentState());
const steps = stepsOf;

const gas = new GasTable();

/**
 * The trace ends in the invalid block at its last transaction begin, which the part proves to the
 * trace's commitment; every earlier (valid) begin reverts TransactionBeginUnsupported.
 */
async function checkInvalid(t: BlockStepTrace, label: string, cls: string): Promise<void> {
  const begins = steps(t, 'tx-begin');
  const last = begins.at(-1)!;
  expect(t.kinds.at(-1), label).toBe('tx-begin');
  expect(decodeStepState(t.encodings[last + 1]!).status, label).toBe(STATUS_INVALID);
  const w = blockStepWitness(t, last);
  expect(await v.verify(w.state, w.preimages), `${label}: step ${last}`).toEqual({ ok: true, post: bytesToHex(t.commitments[last + 1]!) });
  gas.record(cls, await v.estimateGas(w.state, w.preimages));
  for (const k of begins.slice(0, -1)) await expectUnsupported(t, k, label);
}

async function expectUnsupported(t: BlockStepTrace, k: number, label: string, error = 'TransactionBeginUnsupported()'): Promise<void> {
  const w = blockStepWitness(t, k);
  const out = await v.verify(w.state, w.preimages);
  expect(out.ok, `${label}: step ${k}`).toBe(false);
  if (!out.ok) expect(out.error, `${label}: step ${k}`).toContain(toFunctionSelector(error));
}

describe('MetisTxStep: the transaction begin of an invalid transaction', () => {
  it('still fits the EIP-170 code size limit', () => {
    const size = (contractArtifact('MetisTxStep').deployedBytecode.length - 2) / 2;
    process.stdout.write(`MetisTxStep: ${size} bytes of runtime code\n`);
    expect(size).toBeLessThanOrEqual(24_576);
  });

  it('a wrong nonce (too high, too low), legacy / EIP-2930 / EIP-1559, first and second in a block', async () => {
    for (const type of [0, 1, 2] as const) {
      await checkInvalid(blockTrace([tx({ type, nonce: 4n })]), `type ${type} nonce too high`, 'nonce / balance (account read)');
      await checkInvalid(blockTrace([tx({ type }), tx({ type, nonce: 3n })]), `type ${type} nonce reused`, 'nonce / balance (account read)');
    }
    // Pre-EIP-155 legacy (v = 27/28, no chain id).
    await checkInvalid(blockTrace([tx({ type: 0, chainId: null, nonce: 9n })]), 'pre-155 nonce', 'nonce / balance (account read)');
  }, 180_000);

  it('an insufficient balance (gas at the max fee plus the value), an absent sender; the exact limit is valid', async () => {
    await checkInvalid(blockTrace([tx({ type: 0, value: 10n ** 21n })]), 'legacy value', 'nonce / balance (account read)');
    await checkInvalid(blockTrace([tx({ type: 2, key: KEY2, nonce: 0n, gasLimit: EXACT_GAS, value: EXACT_VALUE + 1n })]), '1559 one wei short', 'nonce / balance (account read)');
    await checkInvalid(blockTrace([tx({ type: 1, key: ('0x' + '33'.repeat(32)) as `0x${string}`, nonce: 0n })]), 'absent sender', 'nonce / balance (account read)');
    // Exactly enough: the transaction is valid, its begin is not proven invalid.
    const ok = blockTrace([tx({ type: 2, key: KEY2, nonce: 0n, gasLimit: EXACT_GAS, value: EXACT_VALUE })]);
    expect(ok.kinds).toContain('tx-end');
    await expectUnsupported(ok, steps(ok, 'tx-begin')[0]!, 'exact balance');
  }, 180_000);

  it('a chain id mismatch (typed and EIP-155)', async () => {
    for (const type of [0, 1, 2] as const) await checkInvalid(blockTrace([tx({ type, chainId: 1n })]), `type ${type} chain id`, 'chain id / signature');
    await checkInvalid(blockTrace([tx({ type: 2 }), tx({ type: 0, chainId: CHAIN_ID + 1n, nonce: 4n })]), 'second tx chain id', 'chain id / signature');
  }, 120_000);

  it('a signature naming no sender: high s, r = 0, yParity 2, legacy v 29', async () => {
    for (const type of [0, 1, 2] as const) await checkInvalid(blockTrace([highS({ type })]), `type ${type} high s`, 'chain id / signature');
    await checkInvalid(blockTrace([highS({ type: 0, chainId: null })]), 'pre-155 high s', 'chain id / signature');
    await checkInvalid(blockTrace([resigned({ type: 2 }, (x) => ({ ...x, r: 0n }))]), 'r = 0', 'chain id / signature');
    await checkInvalid(blockTrace([resigned({ type: 1 }, (x) => ({ ...x, p: 2n }))]), 'yParity 2', 'chain id / signature');
    await checkInvalid(blockTrace([resigned({ type: 0, chainId: null }, (x) => ({ ...x, p: 29n }))]), 'v 29', 'chain id / signature');
    await checkInvalid(blockTrace([resigned({ type: 2 }, (x) => ({ ...x, s: SECP256K1_N - 1n }))]), 's = n - 1', 'chain id / signature');
  }, 180_000);

  it('gas: intrinsic and floor above the gas limit, the block gas exceeded (alone and after another transaction)', async () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i % 250) + 1);
    const zeros = new Uint8Array(100);
    // 21000 + 300·16 = 25,800 intrinsic; the floor 21000 + 10·1200 = 33,000 (Prague only).
    await checkInvalid(blockTrace([tx({ type: 2, data, gasLimit: 25_799n })]), 'intrinsic', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 2, data, gasLimit: 32_999n })]), 'floor', 'gas / fee rules');
    const cancun = blockTrace([tx({ type: 2, data, gasLimit: 32_999n })], CANCUN);
    expect(cancun.kinds).toContain('tx-end');
    await expectUnsupported(cancun, steps(cancun, 'tx-begin')[0]!, 'no floor before Prague');
    // Access list (2 addresses, 2 keys: 8,600) and a creation (32,000 + 2 per word).
    await checkInvalid(blockTrace([tx({ type: 1, gasLimit: 21_000n + 8_600n - 1n })]), 'access list', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 0, to: null, data: zeros, gasLimit: 21_000n + 400n + 32_000n + 8n - 1n })]), 'creation', 'gas / fee rules');
    const create = blockTrace([tx({ type: 0, to: null, data: zeros, gasLimit: 21_000n + 400n + 32_000n + 8n })]);
    await expectUnsupported(create, steps(create, 'tx-begin')[0]!, 'creation at its intrinsic gas');
    await checkInvalid(blockTrace([tx({ type: 1, gasLimit: BLOCK_GAS + 1n })]), 'over the block', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 2 }), tx({ type: 2, nonce: 4n, gasLimit: BLOCK_GAS - 21_000n })]), 'over what is left', 'gas / fee rules');
  }, 240_000);

  it('fees: max fee or gas price below the base fee, priority fee above the max fee', async () => {
    await checkInvalid(blockTrace([tx({ type: 2, maxFee: BASE_FEE - 1n, tip: 0n })]), 'max fee', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 2, maxFee: 100n, tip: 101n })]), 'priority', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 0, gasPrice: BASE_FEE - 1n })]), 'legacy price', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 1, gasPrice: 0n })]), '2930 price', 'gas / fee rules');
    const at = blockTrace([tx({ type: 0, gasPrice: BASE_FEE })]);
    await expectUnsupported(at, steps(at, 'tx-begin')[0]!, 'price at the base fee');
  }, 120_000);

  it('valid transactions of every type revert TransactionBeginUnsupported, blob and set-code types UnsupportedTransaction', async () => {
    const t = blockTrace([tx({ type: 0 }), tx({ type: 1, nonce: 4n, to: CONTRACT }), tx({ type: 2, nonce: 5n, to: null, data: hexToBytes('0x600160005500') }), tx({ type: 0, chainId: null, nonce: 6n, to: toAddress('0x0000000000000000000000000000000000000002') })]);
    const begins = steps(t, 'tx-begin');
    expect(begins).toHaveLength(4);
    for (const k of begins) await expectUnsupported(t, k, 'valid');
    // A raw type-3 / type-4 envelope: the part does not decode it (whatever the reference says).
    for (const type of [3, 4]) {
      const body = tx({ type: 2 });
      const raw = Uint8Array.from([type, ...body.subarray(1)]);
      const trace = blockTrace([raw]);
      await expectUnsupported(trace, steps(trace, 'tx-begin')[0]!, `type ${type}`, 'UnsupportedTransaction(uint8)');
    }
  }, 120_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    const traces = [
      blockTrace([tx({ type: 2 }), tx({ type: 1, nonce: 9n })]),
      blockTrace([highS({ type: 0 })]),
      blockTrace([tx({ type: 2, key: KEY2, nonce: 0n, gasLimit: EXACT_GAS, value: EXACT_VALUE + 1n })]),
    ];
    let checked = 0;
    let reverted = 0;
    for (const t of traces) {
      const k = steps(t, 'tx-begin').at(-1)!;
      const w = blockStepWitness(t, k);
      const honest = bytesToHex(t.commitments[k + 1]!);
      for (let i = 0; i < w.preimages.length; i++) {
        const flipped = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
        const dropped = w.preimages.filter((_, j) => j !== i);
        for (const bad of [flipped, dropped]) {
          const r = await v.verify(w.state, bad);
          checked++;
          if (r.ok) expect(r.post, `step ${k} preimage ${i}`).toBe(honest);
          else reverted++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(reverted).toBeGreaterThan(checked / 2);
  }, 600_000);

  it('records the gas of each class', () => {
    process.stdout.write(`transaction begin (invalid) gas, worst per class: ${JSON.stringify(gas)}\n`);
    expect(gas.size).toBe(3);
  });
});
