// The TRANSACTIONS part of the on-chain MetisVM step verifier (contracts/src/MetisTxStep.sol)
// against the TypeScript reference (vm/step/boundary.ts), on a real anvil: every transaction-end
// step of block traces (transfers, calls with logs, reverts, halts, refunds, the EIP-7623 floor,
// self-destructed accounts deleted, several transactions a block, legacy/2930/1559 receipts,
// Hyperion's and Ethereum's fee rules, the coinbase as the sender, an absent coinbase paid
// nothing) gives the trace's next commitment; a tampered witness never gives another post-state;
// the transaction begins of a block are proven too (test/contracts-step-txbegin.test.ts by class);
// the boundaries it does not prove revert their typed errors. Gas per class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFunctionSelector } from 'viem';
import { contractArtifact } from '../contracts/artifacts.js';
import { anvilRules, ethereumRules, hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { MESSAGE_PASSER } from '../vm/block/output-root.js';
import { createAddress } from '../vm/interpreter/instructions/system.js';
import { MemoryState } from '../vm/state/memory.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { AccessListTx, FeeMarketTx, LegacyTx } from '../vm/tx/types.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex } from '../vm/util/bytes.js';
import { blockStepCount, blockStepWitness, type BlockStepTrace } from '../vm/step/block-steps.js';
import { decodeResult, decodeStepState } from '../vm/step/state.js';
import { trieValues } from '../vm/step/boundary.js';
import { startStepVerifier, type OnChainStepVerifier } from './support/onchain-step.js';
import { asm, callTx, stateWith, traceTx } from './support/step-traces.js';
import { GasTable, fixtureBlockTrace, stepsOf } from './support/block-fixture.js';

let v: OnChainStepVerifier;

beforeAll(async () => {
  v = await startStepVerifier({ calls: null, creates: 'MetisCreateStep', transactions: 'MetisTxStep' });
}, 120_000);

afterAll(async () => {
  await v?.stop();
});

const CHAIN_ID = 133717n;
const KEY = ('0x' + '11'.repeat(32)) as `0x${string}`;
const SENDER = addressOfPrivateKey(KEY);
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
const REVERTER = toAddress('0x00000000000000000000000000000000000c0de1');
const HALTER = toAddress('0x00000000000000000000000000000000000c0de2');
const FACTORY = toAddress('0x00000000000000000000000000000000000c0de3');
const LOGGER = toAddress('0x00000000000000000000000000000000000c0de4');
const CLEARER = toAddress('0x00000000000000000000000000000000000c0de5');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');
const COINBASE = toAddress('0x00000000000000000000000000000000000fee00');

// Clears slot 1 (a refund), writes slot 3, logs one topic, then calls the message passer.
const CONTRACT_CODE = asm(`6000 6001 55  602a 6003 55  6077 6020 6000 a1
  6000 6000 6020 6000 6000 73${MESSAGE_PASSER.slice(2)} 5a f1 50 00`);
const PASSER_CODE = asm('43 33 55 00');
// Logs, writes a slot, then reverts: the log and the write are dropped.
const REVERTER_CODE = asm('6077 6020 6000 a1 6001 6005 55 6000 6000 fd');
// Writes a slot, then halts (INVALID): all the gas is used.
const HALTER_CODE = asm('6001 6005 55 fe');
// Creates two children whose init code self-destructs to the caller (both deleted at the end), logs with four topics.
const FACTORY_CODE = asm(`6133ff 5f 52  6002 601e 5f f0 50  6002 601e 6003 f0 50
  6004 6003 6002 6001 6020 6000 a4 00`);
// Three logs: LOG0 of 40 bytes, LOG2, LOG1 of nothing.
const LOGGER_CODE = asm(`6028 6000 a0  61beef 6011 6010 6000 a2  6099 6000 6000 a1 00`);
// Clears three slots: a refund counter above a fifth of the gas used (the EIP-3529 cap applies).
const CLEARER_CODE = asm('5f 6001 55 5f 6002 55 5f 6003 55 00');
// Init code that self-destructs to OTHER (a creation transaction whose account is deleted at its end).
const SELFDESTRUCT_INIT = asm(`73${OTHER.slice(2)} ff`);
const INIT_CODE = asm('6000 6000 53 6001 6000 f3');

function parentState(): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(CONTRACT, { code: CONTRACT_CODE, storage: new Map([[1n, 5n]]) });
  s.put(REVERTER, { code: REVERTER_CODE });
  s.put(HALTER, { code: HALTER_CODE });
  s.put(FACTORY, { code: FACTORY_CODE, balance: 3n });
  s.put(LOGGER, { code: LOGGER_CODE });
  s.put(CLEARER, { code: CLEARER_CODE, storage: new Map([[1n, 1n], [2n, 2n], [3n, 3n]]) });
  s.put(MESSAGE_PASSER, { code: PASSER_CODE, storage: new Map([[7n, 7n]]) });
  return s;
}

interface TxOpts {
  readonly type?: 0 | 1 | 2;
  readonly gasLimit?: bigint;
  readonly value?: bigint;
  readonly tip?: bigint;
}

function tx(nonce: bigint, to: Address | null, data: Uint8Array, o: TxOpts = {}): Uint8Array {
  const gasLimit = o.gasLimit ?? 300_000n;
  const value = o.value ?? 0n;
  const type = o.type ?? 2;
  if (type === 0) {
    const t: LegacyTx = { type: 0, chainId: CHAIN_ID, nonce, gasPrice: 500n, gasLimit, to, value, data };
    return encodeTransaction(signTransaction(t, KEY));
  }
  if (type === 1) {
    const t: AccessListTx = { type: 1, chainId: CHAIN_ID, nonce, gasPrice: 300n, gasLimit, to, value, data, accessList: [{ address: CONTRACT, storageKeys: [1n] }] };
    return encodeTransaction(signTransaction(t, KEY));
  }
  const t: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: o.tip ?? 2n, maxFeePerGas: 1000n, gasLimit, to, value, data, accessList: [] };
  return encodeTransaction(signTransaction(t, KEY));
}

const HYPERION = hyperionRules(CHAIN_ID, 'prague');
const ETHEREUM = ethereumRules('prague', CHAIN_ID);
const DEVNET = anvilRules('prague', CHAIN_ID);

const blockTrace = (transactions: Uint8Array[], chain: ChainRules = HYPERION, coinbase: Address = COINBASE, state = parentState()): BlockStepTrace =>
  fixtureBlockTrace(transactions, chain, coinbase, state);
const steps = stepsOf;

const gas = new GasTable();

/** The class of a transaction-end step, for the gas table. */
function endClass(t: BlockStepTrace, k: number): string {
  const s = decodeStepState(t.encodings[k]!);
  const r = decodeResult(t.store.preimage(s.resultHash, 'result'));
  const gone = trieValues(t.store, s.selfdestructRoot).length;
  if (gone > 0) return `end, ${gone} self-destructed`;
  if (s.logCount > 0) return `end, ${s.logCount} log(s)`;
  return r.success ? 'end, no logs' : 'end, failed';
}

/** Every transaction end of the trace proven to the trace's next commitment; returns how many. */
async function checkEnds(t: BlockStepTrace, label: string): Promise<number> {
  const ends = steps(t, 'tx-end');
  for (const k of ends) {
    const w = blockStepWitness(t, k);
    const out = await v.verify(w.state, w.preimages);
    expect(out, `${label}: step ${k}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    const cls = endClass(t, k);
    gas.record(cls, await v.estimateGas(w.state, w.preimages));
  }
  return ends.length;
}

describe('MetisTxStep against the reference verifier', () => {
  it('fits the EIP-170 code size limit', () => {
    const size = (contractArtifact('MetisTxStep').deployedBytecode.length - 2) / 2;
    process.stdout.write(`MetisTxStep: ${size} bytes of runtime code\n`);
    expect(size).toBeLessThanOrEqual(24_576);
  });

  it('transaction ends of a Hyperion block: a call with a refund, a log and a nested call, a value transfer, a creation, the message passer', async () => {
    const t = blockTrace([tx(0n, CONTRACT, new Uint8Array(0)), tx(1n, OTHER, new Uint8Array(0), { value: 5n }), tx(2n, null, INIT_CODE), tx(3n, MESSAGE_PASSER, new Uint8Array(0))]);
    expect(await checkEnds(t, 'hyperion')).toBe(4);
  }, 120_000);

  it('the same block under Ethereum rules (the base fee burnt, the coinbase paid the tip)', async () => {
    const txs = [tx(0n, CONTRACT, new Uint8Array(0)), tx(1n, OTHER, new Uint8Array(0), { value: 5n }), tx(2n, null, INIT_CODE), tx(3n, MESSAGE_PASSER, new Uint8Array(0))];
    const eth = blockTrace(txs, ETHEREUM);
    const hyp = blockTrace(txs, HYPERION);
    expect(await checkEnds(eth, 'ethereum')).toBe(4);
    // The fee rule matters: the two chains' post-states differ after the first transaction end.
    const k = steps(eth, 'tx-end')[0]!;
    expect(bytesToHex(eth.commitments[k + 1]!)).not.toBe(bytesToHex(hyp.commitments[steps(hyp, 'tx-end')[0]! + 1]!));
  }, 120_000);

  it('reverting and halting transactions, legacy and EIP-2930 receipts, several logs, the EIP-7623 floor', async () => {
    const calldata = Uint8Array.from({ length: 300 }, (_, i) => (i % 250) + 1);
    const txs = [
      tx(0n, REVERTER, new Uint8Array(0)),
      tx(1n, HALTER, new Uint8Array(0), { gasLimit: 100_000n }),
      tx(2n, LOGGER, new Uint8Array(0), { type: 0 }),
      tx(3n, CONTRACT, new Uint8Array(0), { type: 1 }),
      tx(4n, OTHER, calldata),
      tx(5n, CLEARER, new Uint8Array(0)),
    ];
    for (const chain of [HYPERION, ETHEREUM, DEVNET]) {
      const t = blockTrace(txs, chain);
      expect(await checkEnds(t, chain.name)).toBe(6);
      const ends = steps(t, 'tx-end').map((k) => decodeResult(t.store.preimage(decodeStepState(t.encodings[k]!).resultHash, 'result')));
      expect(ends.map((r) => r.success)).toEqual([false, false, true, true, true, true]);
    }
  }, 180_000);

  it('self-destructed accounts created in the transaction are deleted at its end', async () => {
    const txs = [tx(0n, FACTORY, new Uint8Array(0)), tx(1n, null, SELFDESTRUCT_INIT, { value: 9n }), tx(2n, FACTORY, new Uint8Array(0))];
    const t = blockTrace(txs);
    const ends = steps(t, 'tx-end');
    const gone = ends.map((k) => trieValues(t.store, decodeStepState(t.encodings[k]!).selfdestructRoot).length);
    expect(gone).toEqual([2, 1, 2]);
    expect(await checkEnds(t, 'selfdestruct')).toBe(3);
    // The coinbase is the factory's first child: paid the fee, then deleted with it.
    const child = createAddress(FACTORY, 0n);
    const c = blockTrace([tx(0n, FACTORY, new Uint8Array(0))], HYPERION, child);
    expect(trieValues(c.store, decodeStepState(c.encodings[steps(c, 'tx-end')[0]!]!).selfdestructRoot).map((b) => bytesToHex(b))).toContain(child);
    expect(await checkEnds(c, 'coinbase self-destructed')).toBe(1);
  }, 120_000);

  it('the coinbase as the sender, and an absent coinbase paid nothing (a zero tip under Ethereum rules)', async () => {
    const a = blockTrace([tx(0n, CONTRACT, new Uint8Array(0)), tx(1n, OTHER, new Uint8Array(0), { value: 1n })], HYPERION, SENDER);
    expect(await checkEnds(a, 'coinbase = sender')).toBe(2);
    const b = blockTrace([tx(0n, LOGGER, new Uint8Array(0), { tip: 0n }), tx(1n, OTHER, new Uint8Array(0), { tip: 0n })], ETHEREUM);
    expect(await checkEnds(b, 'zero tip')).toBe(2);
    const c = blockTrace([tx(0n, OTHER, new Uint8Array(0), { tip: 0n })], ETHEREUM, SENDER);
    expect(await checkEnds(c, 'coinbase = sender, zero tip')).toBe(1);
  }, 120_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    const t = blockTrace([tx(0n, FACTORY, new Uint8Array(0)), tx(1n, LOGGER, new Uint8Array(0), { type: 0 }), tx(2n, REVERTER, new Uint8Array(0))]);
    let reverted = 0;
    let checked = 0;
    for (const k of steps(t, 'tx-end')) {
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
      // Another pre-state: another post-state, or a revert.
      for (const word of [14, 16, 17]) {
        const state = w.state.slice();
        state[32 * word + 31] ^= 1;
        const other = await v.verify(state, w.preimages);
        if (other.ok) expect(other.post).not.toBe(honest);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(reverted).toBeGreaterThan(checked / 2);
  }, 600_000);

  it('block start and block end revert NeedsLocalContext, transaction begins are proven; final states step to themselves', async () => {
    const t = blockTrace([tx(0n, CONTRACT, new Uint8Array(0)), tx(1n, OTHER, new Uint8Array(0), { value: 5n })]);
    const expected: Record<string, string> = { 'block-start': 'NeedsLocalContext', 'block-end': 'NeedsLocalContext' };
    for (const [kind, error] of Object.entries(expected)) {
      const ks = steps(t, kind);
      expect(ks.length).toBeGreaterThan(0);
      for (const k of ks) {
        const w = blockStepWitness(t, k);
        // The part's errors are not in MetisStepVerifier's ABI: the harness names them by selector.
        const out = await v.verify(w.state, w.preimages);
        expect(out.ok, `${kind} step ${k}`).toBe(false);
        if (!out.ok) expect(out.error, `${kind} step ${k}`).toContain(toFunctionSelector(`${error}()`));
      }
    }
    // The begins (test/contracts-step-txbegin.test.ts covers them by class).
    const begins = steps(t, 'tx-begin');
    expect(begins).toHaveLength(2);
    for (const k of begins) {
      const w = blockStepWitness(t, k);
      expect(await v.verify(w.state, w.preimages), `tx-begin step ${k}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    }
    // The part itself: no frame to halt at a boundary.
    const part = (await v.clients.public.readContract({ address: v.address, abi: contractArtifact('MetisStepVerifier').abi, functionName: 'TRANSACTIONS' })) as `0x${string}`;
    const w = blockStepWitness(t, steps(t, 'tx-end')[0]!);
    await expect(
      v.clients.public.readContract({ address: part, abi: contractArtifact('MetisTxStep').abi, functionName: 'verifyHalt', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)] }),
    ).rejects.toThrow(/UnsupportedStep/);
    expect(blockStepCount(t)).toBeGreaterThan(5);
  }, 120_000);

  it('the step after a transaction-only trace\'s message reverts NoNextStep (the reference has none)', async () => {
    const t = traceTx(stateWith(asm('6001 6002 01 50 00')), callTx(CONTRACT, new Uint8Array()));
    const last = t.encodings.at(-1)!;
    const s = decodeStepState(last);
    expect(s.resultHash.some((b) => b !== 0)).toBe(true);
    const out = await v.verify(last, []);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toContain(toFunctionSelector('NoNextStep()'));
  }, 60_000);

  it('records the gas on a state of 4,000 accounts (deeper tries: more nodes walked and sent)', async () => {
    const state = parentState();
    for (let i = 1; i <= 4000; i++) state.put(toAddress('0x' + (0x10000000n + BigInt(i) * 7919n).toString(16).padStart(40, '0')), { balance: BigInt(i) });
    const t = blockTrace([tx(0n, FACTORY, new Uint8Array(0)), tx(1n, LOGGER, new Uint8Array(0)), tx(2n, OTHER, new Uint8Array(0), { value: 1n })], HYPERION, COINBASE, state);
    const table: Record<string, number> = {};
    for (const [i, k] of steps(t, 'tx-end').entries()) {
      const w = blockStepWitness(t, k);
      expect(await v.verify(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
      table[`${['2 self-destructed + 1 log', '3 logs', 'transfer'][i]}`] = await v.estimateGas(w.state, w.preimages);
    }
    process.stdout.write(`transactions part gas, 4,000 accounts: ${JSON.stringify(table)}\n`);
    expect(Object.keys(table)).toHaveLength(3);
  }, 300_000);

  it('records the gas of each class', () => {
    process.stdout.write(`transactions part gas (worst seen per class): ${JSON.stringify(gas)}\n`);
    expect(gas.size).toBeGreaterThan(3);
  });
});
