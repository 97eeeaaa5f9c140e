// The transaction-begin step of the TRANSACTIONS part (contracts/src/MetisTxStep.sol, which hands
// it to MetisTxBeginStep, which decodes with MetisTxDecoder) against the TypeScript reference
// (vm/step/boundary.ts txBegin), on a real anvil. The begin of a transaction the reference rejects
// gives the invalid block (status 1, every other word unchanged): an envelope its decoder rejects
// (type bytes, field counts and shapes, integer sizes, `to` and address lengths, RLP errors, set-code
// and blob envelopes without `to`, authorizations or hashes, malformed authorizations), a chain id
// mismatch, a signature naming no sender (high s, r = 0, yParity 2, a bad legacy v), intrinsic gas
// or the EIP-7623 floor above the gas limit, the block's gas or blob gas exceeded (also by what
// earlier transactions used), fee caps below the base fee, a priority fee above the max fee, the
// blob rules (count per block and per Osaka transaction, version byte, the blob fee cap against the
// blob base fee of excessBlobGas), a wrong nonce, an insufficient balance (blob gas at its cap
// included), a sender with code (EIP-3607) that is no EIP-7702 delegation; for legacy (pre-EIP-155
// and EIP-155), EIP-2930, EIP-1559, EIP-4844 and EIP-7702 transactions, first or later in a block.
// The begin of a valid one gives the reference's post-state: the frame of a call into code (also
// through an EIP-7702 delegation), the result of a message that ends in the step (transfers,
// accounts without code, precompiles that succeed or fail, an address collision, an empty
// creation, the inference precompile proven from the L1 inference game), the frame of init code;
// under Cancun, Prague, Osaka and Ethereum rules; EIP-7702 set-code transactions with their
// authorizations applied, skipped or rejected; blob transactions with 1 to the most blobs. A
// top-level call of Hyperion's LLM precompile reverts UnreproducibleCall (the reference's step
// gives a post-state for it no chain agrees with); tampered witnesses never give another
// post-state. Gas per class is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, encodeFunctionData, parseEther, type Hex } from 'viem';
import { inferenceGas } from '../ai/gas.js';
import { evaluate } from '../ai/reference.js';
import { modelId, type IntModel } from '../ai/model.js';
import { buildFloatMlp, seededReals, MLP_INPUT } from '../ai/onnx/mlp.js';
import { quantizeInput, quantizeOnnx } from '../ai/quantize.js';
import { INFERENCE_PRECOMPILE } from '../vm/precompiles/inference.js';
import { compiledContracts, contractArtifact } from '../contracts/artifacts.js';
import { deployContract } from '../contracts/deploy.js';
import { InferenceGameContract, InferencePlayer, registerModelCall } from '../prover/inference/index.js';
import { blobBaseFee } from '../vm/fees.js';
import { forkRules } from '../vm/chain/forks.js';
import { contractNamed } from '../contracts/solc.js';
import { ethereumRules, hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { createAddress } from '../vm/interpreter/instructions/system.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { MESSAGE_PASSER } from '../vm/block/output-root.js';
import { MemoryState } from '../vm/state/memory.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { SECP256K1_N } from '../vm/tx/signature.js';
import { addressOfPrivateKey, signAuthorization, signTransaction } from '../vm/tx/signature.js';
import type { AccessListTx, BlobTx, FeeMarketTx, LegacyTx, SetCodeAuthorization, SetCodeTx, Transaction } from '../vm/tx/types.js';
import { rlpDecode, rlpEncode, rlpListHeader, type RlpItem } from '../vm/rlp/rlp.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex, concatBytes, hexToBytes } from '../vm/util/bytes.js';
import { blockStepWitness, type BlockStepTrace } from '../vm/step/block-steps.js';
import { STATUS_INVALID, STATUS_UNFINISHED, decodeBlockInputs, decodeFrame, decodeResult, decodeStepState, decodeTxContext, encodeBlockInputs, encodeStepState } from '../vm/step/state.js';
import { keccak256 } from '../vm/util/hash.js';
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
// A sender delegated by EIP-7702 (valid from Prague), and one with code (EIP-3607: rejected).
const KEY3 = ('0x' + '33'.repeat(32)) as `0x${string}`;
const DELEGATED_SENDER = addressOfPrivateKey(KEY3);
const KEY4 = ('0x' + '44'.repeat(32)) as `0x${string}`;
const CODE_SENDER = addressOfPrivateKey(KEY4);
const EXACT_GAS = 50_000n;
const EXACT_VALUE = 1234n;
const CONTRACT = toAddress('0x00000000000000000000000000000000000c0de0');
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');
const COINBASE = toAddress('0x00000000000000000000000000000000000fee00');
// Accounts whose code is an EIP-7702 designator: to CONTRACT, and to the identity precompile.
const DELEGATED = toAddress('0x00000000000000000000000000000000000de1e6');
const DELEGATED_TO_PRECOMPILE = toAddress('0x00000000000000000000000000000000000de1e4');
const IDENTITY = toAddress('0x0000000000000000000000000000000000000004');
const SHA256 = toAddress('0x0000000000000000000000000000000000000002');
const ECRECOVER = toAddress('0x0000000000000000000000000000000000000001');
const LLM = toAddress('0x0000000000000000000000000000000000000999');
const designator = (a: Address): Uint8Array => hexToBytes(`0xef0100${a.slice(2)}`);
const BLOCK_GAS = 30_000_000n;
const BASE_FEE = 7n;
const MAX_FEE = 1000n;

function parentState(): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n, nonce: 3n });
  s.put(SENDER2, { balance: EXACT_GAS * MAX_FEE + EXACT_VALUE });
  s.put(CONTRACT, { code: hexToBytes('0x6001600055600160015500'), storage: new Map([[1n, 5n]]) });
  s.put(MESSAGE_PASSER, { code: hexToBytes('0x00') });
  s.put(DELEGATED_SENDER, { balance: 10n ** 20n, code: designator(CONTRACT) });
  s.put(CODE_SENDER, { balance: 10n ** 20n, code: hexToBytes('0x00') });
  s.put(DELEGATED, { code: designator(CONTRACT), balance: 1n });
  s.put(DELEGATED_TO_PRECOMPILE, { code: designator(IDENTITY) });
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

// An authority with no account yet.
const AUTH_KEY = ('0x' + '66'.repeat(32)) as `0x${string}`;

interface AuthOpts {
  readonly address: Address;
  readonly chainId?: bigint;
  readonly nonce?: bigint;
}

const auth = (key: `0x${string}`, o: AuthOpts): SetCodeAuthorization => signAuthorization({ chainId: o.chainId ?? CHAIN_ID, address: o.address, nonce: o.nonce ?? 0n }, key);

interface SetCodeOpts {
  readonly auths: readonly SetCodeAuthorization[];
  readonly nonce?: bigint;
  readonly to?: Address;
  readonly value?: bigint;
  readonly gasLimit?: bigint;
  readonly chainId?: bigint;
}

/** A signed EIP-7702 transaction from SENDER. */
function setCode(o: SetCodeOpts): Uint8Array {
  const t: SetCodeTx = {
    type: 4,
    chainId: o.chainId ?? CHAIN_ID,
    nonce: o.nonce ?? 3n,
    maxPriorityFeePerGas: 2n,
    maxFeePerGas: MAX_FEE,
    gasLimit: o.gasLimit ?? 300_000n,
    to: o.to ?? OTHER,
    value: o.value ?? 0n,
    data: new Uint8Array(0),
    accessList: [{ address: OTHER, storageKeys: [9n] }],
    authorizationList: o.auths,
  };
  return encodeTransaction(signTransaction(t, KEY));
}

interface BlobOpts {
  readonly count?: number;
  readonly hashes?: readonly Uint8Array[];
  readonly maxFeePerBlobGas?: bigint;
  readonly nonce?: bigint;
  readonly to?: Address;
  readonly value?: bigint;
  readonly gasLimit?: bigint;
  readonly key?: `0x${string}`;
}

/** A versioned hash (version byte first, 0x01 for KZG). */
const versioned = (i: number, version = 1): Uint8Array => Uint8Array.from(keccak256(Uint8Array.of(i, 0xb1)), (b, n) => (n === 0 ? version : b));

/** A signed EIP-4844 transaction (canonical form) from SENDER. */
function blobTx(o: BlobOpts): Uint8Array {
  const t: BlobTx = {
    type: 3,
    chainId: CHAIN_ID,
    nonce: o.nonce ?? 3n,
    maxPriorityFeePerGas: 2n,
    maxFeePerGas: MAX_FEE,
    gasLimit: o.gasLimit ?? 300_000n,
    to: o.to ?? OTHER,
    value: o.value ?? 0n,
    data: new Uint8Array(0),
    accessList: [{ address: OTHER, storageKeys: [4n] }],
    maxFeePerBlobGas: o.maxFeePerBlobGas ?? 10n,
    blobVersionedHashes: o.hashes ?? Array.from({ length: o.count ?? 1 }, (_, i) => versioned(i)),
  };
  return encodeTransaction(signTransaction(t, o.key ?? KEY));
}

/** A typed envelope with its nonce's encoding replaced by the raw bytes `enc` (what rlpEncode never writes). */
function spliceNonce(raw: Uint8Array, enc: readonly number[]): Uint8Array {
  const f = rlpDecode(raw.subarray(1)) as RlpItem[];
  const payload = concatBytes(...f.map((x, i) => (i === 1 ? Uint8Array.from(enc) : rlpEncode(x))));
  return concatBytes(Uint8Array.of(raw[0]!), rlpListHeader(payload.length), payload);
}

/** A typed envelope with RLP field `i` replaced (what the encoder refuses to build: no `to`, no authorizations). */
function withField(raw: Uint8Array, i: number, value: RlpItem): Uint8Array {
  const fields = rlpDecode(raw.subarray(1)) as RlpItem[];
  fields[i] = value;
  return Uint8Array.from([raw[0]!, ...rlpEncode(fields)]);
}

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
const OSAKA = hyperionRules(CHAIN_ID, 'osaka');
const ETHEREUM = ethereumRules('prague', CHAIN_ID);

const blockTrace = (transactions: Uint8Array[], chain: ChainRules = PRAGUE, state = parentState()): BlockStepTrace => fixtureBlockTrace(transactions, chain, COINBASE, state);
const steps = stepsOf;

const gas = new GasTable();

const INFERENCE_WINDOW = 3_600n;
let inferenceModel: IntModel | undefined;
let otherModel: IntModel | undefined;

/** PRAGUE with the inference precompile and two models registered (built once). */
async function inferenceChain(): Promise<ChainRules> {
  if (inferenceModel === undefined || otherModel === undefined) {
    const corpus = Array.from({ length: 4 }, (_, i) => seededReals(100 + i, MLP_INPUT));
    inferenceModel = (await quantizeOnnx(buildFloatMlp(), corpus)).model;
    otherModel = (await quantizeOnnx(buildFloatMlp(8), corpus)).model;
  }
  const models = new Map<Hex, IntModel>([
    [bytesToHex(modelId(inferenceModel)), inferenceModel],
    [bytesToHex(modelId(otherModel)), otherModel],
  ]);
  return { ...PRAGUE, inference: { address: INFERENCE_PRECOMPILE, models } };
}

async function rpcCall(node: OnChainStepVerifier, method: string, params: unknown[]): Promise<void> {
  const res = await fetch(node.anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
}

/** The class of a valid begin, for the gas table: what the post-state holds. */
function beginClass(t: BlockStepTrace, k: number): string {
  const post = decodeStepState(t.encodings[k + 1]!);
  if (post.frameHash.some((b) => b !== 0)) return decodeFrame(t.store.preimage(post.frameHash, 'frame')).kind === 'create' ? 'valid: init code entered' : 'valid: call frame entered';
  const r = decodeResult(t.store.preimage(post.resultHash, 'result'));
  if (r.createdAddress !== null) return 'valid: empty creation';
  return r.success ? 'valid: finished in the step' : 'valid: failed in the step';
}

/** A valid transaction's begin step proven to the trace's next commitment; returns its class. */
async function checkValid(t: BlockStepTrace, k: number, label: string, gasClass?: string): Promise<string> {
  expect(t.kinds[k], label).toBe('tx-begin');
  expect(decodeStepState(t.encodings[k + 1]!).status, label).toBe(STATUS_UNFINISHED);
  const w = blockStepWitness(t, k);
  expect(await v.verify(w.state, w.preimages), `${label}: step ${k}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
  const cls = beginClass(t, k);
  gas.record(gasClass ?? cls, await v.estimateGas(w.state, w.preimages));
  return cls;
}

/** Every begin of a trace of valid transactions proven; returns their classes. */
async function checkAllValid(t: BlockStepTrace, label: string): Promise<string[]> {
  const out: string[] = [];
  for (const [i, k] of steps(t, 'tx-begin').entries()) out.push(await checkValid(t, k, `${label}, transaction ${i}`));
  return out;
}

/**
 * The trace ends in the invalid block at its last transaction begin, which the part proves to the
 * trace's commitment; every earlier (valid) begin is proven too.
 */
async function checkInvalid(t: BlockStepTrace, label: string, cls: string): Promise<void> {
  const begins = steps(t, 'tx-begin');
  const last = begins.at(-1)!;
  expect(t.kinds.at(-1), label).toBe('tx-begin');
  expect(decodeStepState(t.encodings[last + 1]!).status, label).toBe(STATUS_INVALID);
  const w = blockStepWitness(t, last);
  expect(await v.verify(w.state, w.preimages), `${label}: step ${last}`).toEqual({ ok: true, post: bytesToHex(t.commitments[last + 1]!) });
  gas.record(cls, await v.estimateGas(w.state, w.preimages));
  for (const k of begins.slice(0, -1)) await checkValid(t, k, label);
}

describe('MetisTxStep: the transaction begin', () => {
  it('MetisTxStep, MetisTxBeginStep and its MetisTxDecoder fit the EIP-170 and EIP-3860 code size limits', () => {
    for (const name of ['MetisTxStep', 'MetisTxBeginStep', 'MetisTxDecoder']) {
      const c = contractNamed(compiledContracts(), name);
      const size = (c.deployedBytecode.length - 2) / 2;
      // MetisTxBeginStep's init code carries MetisPrecompiles' creation code.
      const init = (c.bytecode.length - 2) / 2;
      process.stdout.write(`${name}: ${size} bytes of runtime code, ${init} of init code\n`);
      expect(size).toBeGreaterThan(1000);
      expect(size).toBeLessThanOrEqual(24_576);
      expect(init).toBeLessThanOrEqual(49_152);
    }
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
    await checkInvalid(blockTrace([tx({ type: 1, key: ('0x' + '55'.repeat(32)) as `0x${string}`, nonce: 0n })]), 'absent sender', 'nonce / balance (account read)');
    // Exactly enough: the transaction is valid, its begin is not proven invalid.
    const ok = blockTrace([tx({ type: 2, key: KEY2, nonce: 0n, gasLimit: EXACT_GAS, value: EXACT_VALUE })]);
    expect(ok.kinds).toContain('tx-end');
    await checkValid(ok, steps(ok, 'tx-begin')[0]!, 'exact balance');
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
    await checkValid(cancun, steps(cancun, 'tx-begin')[0]!, 'no floor before Prague');
    // Access list (2 addresses, 2 keys: 8,600) and a creation (32,000 + 2 per word).
    await checkInvalid(blockTrace([tx({ type: 1, gasLimit: 21_000n + 8_600n - 1n })]), 'access list', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 0, to: null, data: zeros, gasLimit: 21_000n + 400n + 32_000n + 8n - 1n })]), 'creation', 'gas / fee rules');
    const create = blockTrace([tx({ type: 0, to: null, data: zeros, gasLimit: 21_000n + 400n + 32_000n + 8n })]);
    await checkValid(create, steps(create, 'tx-begin')[0]!, 'creation at its intrinsic gas');
    await checkInvalid(blockTrace([tx({ type: 1, gasLimit: BLOCK_GAS + 1n })]), 'over the block', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 2 }), tx({ type: 2, nonce: 4n, gasLimit: BLOCK_GAS - 21_000n })]), 'over what is left', 'gas / fee rules');
  }, 240_000);

  it('fees: max fee or gas price below the base fee, priority fee above the max fee', async () => {
    await checkInvalid(blockTrace([tx({ type: 2, maxFee: BASE_FEE - 1n, tip: 0n })]), 'max fee', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 2, maxFee: 100n, tip: 101n })]), 'priority', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 0, gasPrice: BASE_FEE - 1n })]), 'legacy price', 'gas / fee rules');
    await checkInvalid(blockTrace([tx({ type: 1, gasPrice: 0n })]), '2930 price', 'gas / fee rules');
    const at = blockTrace([tx({ type: 0, gasPrice: BASE_FEE })]);
    await checkValid(at, steps(at, 'tx-begin')[0]!, 'price at the base fee');
  }, 120_000);

  it('a sender with code (EIP-3607) is rejected unless it is an EIP-7702 delegation (from Prague)', async () => {
    for (const type of [0, 1, 2] as const) await checkInvalid(blockTrace([tx({ type, key: KEY4, nonce: 0n })]), `type ${type} sender with code`, 'nonce / balance (account read)');
    await checkInvalid(blockTrace([tx({ type: 2 }), tx({ type: 1, key: KEY4, nonce: 0n })]), 'second tx sender with code', 'nonce / balance (account read)');
    // A delegated sender is an EOA from Prague on; before Prague its designator is just code.
    await checkInvalid(blockTrace([tx({ type: 2, key: KEY3, nonce: 0n })], CANCUN), 'delegated sender before Prague', 'nonce / balance (account read)');
    const ok = blockTrace([tx({ type: 2, key: KEY3, nonce: 0n, to: CONTRACT, value: 5n })]);
    expect(ok.kinds).toContain('tx-end');
    expect(await checkAllValid(ok, 'delegated sender')).toEqual(['valid: call frame entered']);
  }, 180_000);

  it('malformed envelopes the reference decoder rejects give the invalid block: type bytes, field counts and shapes, integer sizes, RLP errors', async () => {
    const t2 = tx({ type: 2 });
    const t0 = tx({ type: 0 });
    const sc = setCode({ auths: [auth(AUTH_KEY, { address: CONTRACT })] });
    const bl = blobTx({});
    const fields = (raw: Uint8Array): RlpItem[] => rlpDecode(raw.subarray(1)) as RlpItem[];
    const authAt = (f: (a: RlpItem[]) => RlpItem[]): Uint8Array => {
      const list = fields(sc)[9] as RlpItem[][];
      return withField(sc, 9, [f([...list[0]!]), ...list.slice(1)]);
    };
    const cases: [string, Uint8Array][] = [
      // Type bytes: a 1559 body under type 3 (12 fields, 14 wanted) and type 4 (13), unknown types.
      ['type 3 with a 1559 body', Uint8Array.from([3, ...t2.subarray(1)])],
      ['type 4 with a 1559 body', Uint8Array.from([4, ...t2.subarray(1)])],
      ['type 0x00', Uint8Array.from([0, ...t2.subarray(1)])],
      ['type 0x05', Uint8Array.from([5, ...t2.subarray(1)])],
      ['type 0x7f', Uint8Array.from([0x7f, ...t2.subarray(1)])],
      ['first byte 0x80', Uint8Array.from([0x80, ...t2.subarray(1)])],
      // Field counts and shapes.
      ['legacy with 8 fields', rlpEncode((rlpDecode(t0) as RlpItem[]).slice(0, 8))],
      ['1559 with 13 fields', Uint8Array.from([2, ...rlpEncode([...fields(t2), new Uint8Array(0)])])],
      ['typed payload a string', Uint8Array.from([2, ...rlpEncode(Uint8Array.of(1, 2, 3))])],
      ['to of 19 bytes', withField(t2, 5, new Uint8Array(19))],
      ['to a list', withField(t2, 5, [])],
      ['data a list', withField(t2, 7, [])],
      ['access list a string', withField(t2, 8, new Uint8Array(1))],
      ['access entry of 3 fields', withField(t2, 8, [[hexToBytes(CONTRACT), [], []]])],
      ['access address of 21 bytes', withField(t2, 8, [[new Uint8Array(21), []]])],
      ['storage key of 31 bytes', withField(t2, 8, [[hexToBytes(CONTRACT), [new Uint8Array(31)]]])],
      // Integer sizes: nonce and gas limit at most 8 bytes, others 32; no leading zero.
      ['nonce of 9 bytes', withField(t2, 1, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 3]))],
      ['gas limit of 9 bytes', withField(t2, 4, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]))],
      ['value of 33 bytes', withField(t2, 6, Uint8Array.from({ length: 33 }, () => 1))],
      ['nonce with a leading zero', withField(t2, 1, Uint8Array.of(0, 3))],
      ['legacy v with a leading zero', rlpEncode((rlpDecode(t0) as RlpItem[]).map((x, i) => (i === 6 ? Uint8Array.of(0, ...(x as Uint8Array)) : x)))],
      // RLP: trailing bytes, truncated, a single byte as a string, a long form below 56.
      ['trailing byte', Uint8Array.from([...t2, 0])],
      ['truncated', t2.subarray(0, t2.length - 1)],
      ['legacy truncated', t0.subarray(0, t0.length - 1)],
      ['legacy trailing byte', Uint8Array.from([...t0, 0x80])],
      ['empty bytes', new Uint8Array(0)],
      ['0x81 0x05 for a nonce', spliceNonce(t2, [0x81, 0x05])],
      ['long-form list header below 56', Uint8Array.from([2, 0xf8, 3, 0x01, 0x02, 0x03])],
      // Set-code: no authorizations as a string, tuples of 5 or 7 fields, the address, nonce and yParity sizes.
      ['authorization list a string', withField(sc, 9, new Uint8Array(2))],
      ['authorization of 5 fields', authAt((x) => x.slice(0, 5))],
      ['authorization of 7 fields', authAt((x) => [...x, new Uint8Array(0)])],
      ['authorization address of 19 bytes', authAt((x) => [x[0]!, new Uint8Array(19), ...x.slice(2)])],
      ['authorization address empty', authAt((x) => [x[0]!, new Uint8Array(0), ...x.slice(2)])],
      ['authorization nonce of 9 bytes', authAt((x) => [x[0]!, x[1]!, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]), ...x.slice(3)])],
      ['authorization yParity of 2 bytes', authAt((x) => [...x.slice(0, 3), Uint8Array.of(1, 0), ...x.slice(4)])],
      ['authorization a string', withField(sc, 9, [new Uint8Array(3)])],
      // Blob: no `to`, no hashes, a hash of 31 bytes, the hashes a string.
      ['blob to = null', withField(bl, 5, new Uint8Array(0))],
      ['blob without hashes', withField(bl, 10, [])],
      ['blob hash of 31 bytes', withField(bl, 10, [new Uint8Array(31)])],
      ['blob hashes a string', withField(bl, 10, new Uint8Array(32))],
      ['blob max fee of 33 bytes', withField(bl, 9, Uint8Array.from({ length: 33 }, () => 1))],
    ];
    for (const [label, raw] of cases) await checkInvalid(blockTrace([raw]), label, 'malformed: decoder rejects');
    // Second in a block.
    await checkInvalid(blockTrace([tx({ type: 2 }), Uint8Array.from([4, ...tx({ type: 2, nonce: 4n }).subarray(1)])]), 'second, type 4 with a 1559 body', 'malformed: decoder rejects');
  }, 600_000);

  it('EIP-7702: one authorization (a new account delegated to code), alone and after another transaction', async () => {
    const one = setCode({ auths: [auth(AUTH_KEY, { address: CONTRACT })] });
    const t = blockTrace([one]);
    expect(t.kinds).toContain('tx-end');
    expect(await checkValid(t, steps(t, 'tx-begin')[0]!, 'one authorization', 'set-code: 1 authorization')).toBe('valid: finished in the step');
    const later = blockTrace([tx({ type: 2, to: CONTRACT }), setCode({ nonce: 4n, to: CONTRACT, value: 3n, auths: [auth(AUTH_KEY, { address: IDENTITY, chainId: 0n })] })]);
    expect(await checkAllValid(later, 'second in the block')).toEqual(['valid: call frame entered', 'valid: call frame entered']);
    // Osaka and Ethereum rules.
    for (const chain of [OSAKA, ETHEREUM]) expect(await checkAllValid(blockTrace([one], chain), chain.name)).toEqual(['valid: finished in the step']);
  }, 180_000);

  it('EIP-7702: several authorizations (an existing account refunded, chain id 0, a delegation cleared, the sender itself, one authority twice); a call of a fresh delegation runs its target', async () => {
    const auths = [
      auth(KEY2, { address: CONTRACT }),
      auth(AUTH_KEY, { address: IDENTITY, chainId: 0n }),
      auth(AUTH_KEY, { address: CONTRACT, nonce: 1n }),
      // DELEGATED_SENDER's designator is cleared (address zero: empty code).
      auth(KEY3, { address: toAddress('0x0000000000000000000000000000000000000000') }),
      // The sender's nonce is bumped by the gas purchase first: 4 matches.
      auth(KEY, { address: CONTRACT, nonce: 4n }),
    ];
    const t = blockTrace([setCode({ to: SENDER2, value: 1n, auths })]);
    const k = steps(t, 'tx-begin')[0]!;
    expect(await checkValid(t, k, 'several', 'set-code: 5 authorizations')).toBe('valid: call frame entered');
    const f = decodeFrame(t.store.preimage(decodeStepState(t.encodings[k + 1]!).frameHash, 'frame'));
    expect([f.address, f.codeAddress, f.disablePrecompiles]).toEqual([SENDER2, CONTRACT, true]);
    // A target delegated in the step to code no witness carries a designator of.
    const fresh = blockTrace([setCode({ to: SENDER2, auths: [auth(KEY2, { address: DELEGATED })] })]);
    expect(await checkAllValid(fresh, 'fresh designator')).toEqual(['valid: call frame entered']);
    // The cleared account then calls as a plain EOA target: no code runs.
    const cleared = blockTrace([setCode({ to: DELEGATED_SENDER, auths: [auth(KEY3, { address: toAddress('0x0000000000000000000000000000000000000000') })] })]);
    expect(await checkAllValid(cleared, 'cleared')).toEqual(['valid: finished in the step']);
  }, 180_000);

  it('EIP-7702: skipped authorizations (foreign chain id, nonce 2^64-1, high s, yParity 2, r = 0, an authority with code, a wrong nonce) leave the rest applied', async () => {
    const good = auth(AUTH_KEY, { address: CONTRACT });
    const skipped: [string, SetCodeAuthorization][] = [
      ['foreign chain id', auth(AUTH_KEY, { address: CONTRACT, chainId: CHAIN_ID + 1n })],
      ['nonce 2^64-1', auth(AUTH_KEY, { address: CONTRACT, nonce: 2n ** 64n - 1n })],
      ['high s', { ...good, s: SECP256K1_N - good.s, yParity: 1n - good.yParity }],
      ['yParity 2', { ...good, yParity: 2n }],
      ['r = 0', { ...good, r: 0n }],
      ['authority with code', auth(KEY4, { address: CONTRACT })],
      ['wrong nonce', auth(KEY2, { address: CONTRACT, nonce: 1n })],
    ];
    for (const [label, a] of skipped) {
      const t = blockTrace([setCode({ to: CONTRACT, auths: [a, auth(KEY2, { address: IDENTITY })] })]);
      expect(await checkAllValid(t, label)).toEqual(['valid: call frame entered']);
      // Skipped alone: nothing changes but the gas bought.
      const alone = blockTrace([setCode({ to: OTHER, auths: [a] })]);
      expect(await checkAllValid(alone, `${label} alone`)).toEqual(['valid: finished in the step']);
    }
    const all = blockTrace([setCode({ to: CONTRACT, auths: [...skipped.map(([, a]) => a), good] })]);
    await checkValid(all, steps(all, 'tx-begin')[0]!, 'all skipped kinds', 'set-code: 8 authorizations');
  }, 300_000);

  it('EIP-7702: invalid set-code transactions (no `to`, an empty authorization list, before Prague, intrinsic gas, nonce, chain id) give the invalid block', async () => {
    const one = [auth(AUTH_KEY, { address: CONTRACT })];
    await checkInvalid(blockTrace([withField(setCode({ auths: one }), 5, new Uint8Array(0))]), 'to = null', 'set-code: rejected');
    await checkInvalid(blockTrace([withField(setCode({ auths: one }), 9, [])]), 'empty list', 'set-code: rejected');
    await checkInvalid(blockTrace([tx({ type: 2 }), withField(setCode({ nonce: 4n, auths: one }), 9, [])]), 'empty list, second', 'set-code: rejected');
    await checkInvalid(blockTrace([setCode({ auths: one })], CANCUN), 'cancun', 'set-code: rejected');
    // 21,000 + 25,000 per authorization + 4,300 for the access list.
    await checkInvalid(blockTrace([setCode({ auths: [...one, ...one], gasLimit: 75_299n })]), 'intrinsic', 'gas / fee rules');
    const exact = blockTrace([setCode({ auths: [...one, ...one], gasLimit: 75_300n })]);
    await checkValid(exact, steps(exact, 'tx-begin')[0]!, 'intrinsic exact', 'set-code: 2 authorizations');
    await checkInvalid(blockTrace([setCode({ auths: one, nonce: 2n })]), 'nonce', 'nonce / balance (account read)');
    await checkInvalid(blockTrace([setCode({ auths: one, chainId: 1n })]), 'chain id', 'chain id / signature');
  }, 240_000);

  it('EIP-7702: a tampered or incomplete witness reverts or gives the honest answer', async () => {
    const t = blockTrace([setCode({ to: SENDER2, auths: [auth(KEY2, { address: CONTRACT }), auth(KEY4, { address: CONTRACT }), auth(KEY3, { address: OTHER })] })]);
    const k = steps(t, 'tx-begin')[0]!;
    const w = blockStepWitness(t, k);
    const honest = bytesToHex(t.commitments[k + 1]!);
    let checked = 0;
    let reverted = 0;
    for (let i = 0; i < w.preimages.length; i++) {
      const flipped = w.preimages.map((p, j) => (j === i ? Uint8Array.from(p, (b, n) => (n === p.length - 1 ? b ^ 1 : b)) : p));
      const dropped = w.preimages.filter((_, j) => j !== i);
      for (const bad of [flipped, dropped]) {
        const r = await v.verify(w.state, bad);
        checked++;
        if (r.ok) expect(r.post, `preimage ${i}`).toBe(honest);
        else reverted++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(reverted).toBeGreaterThan(checked / 2);
  }, 300_000);

  it('a valid call into code enters the top-level frame: legacy (pre-155, EIP-155), EIP-2930 with its access list, EIP-1559, with and without value, first and later in a block', async () => {
    const txs = [
      tx({ type: 0, to: CONTRACT, value: 7n }),
      tx({ type: 1, nonce: 4n, to: CONTRACT }),
      tx({ type: 2, nonce: 5n, to: CONTRACT, data: hexToBytes('0x12340000ff'), value: 1n }),
      tx({ type: 0, chainId: null, nonce: 6n, to: CONTRACT, gasPrice: 9n }),
      // EIP-7702: the designator's target runs at DELEGATED (its code address, precompiles off).
      tx({ type: 2, nonce: 7n, to: DELEGATED, value: 2n }),
    ];
    for (const [label, chain] of [['prague', PRAGUE], ['cancun', CANCUN], ['osaka', OSAKA], ['ethereum', ETHEREUM]] as const) {
      const t = blockTrace(txs, chain);
      expect(steps(t, 'tx-end'), label).toHaveLength(5);
      expect(await checkAllValid(t, `calls, ${label}`)).toEqual(Array(5).fill('valid: call frame entered'));
    }
    // The delegation is followed from Prague only (before, DELEGATED's designator is plain code).
    const t = blockTrace(txs, PRAGUE);
    const k = steps(t, 'tx-begin')[4]!;
    const f = decodeFrame(t.store.preimage(decodeStepState(t.encodings[k + 1]!).frameHash, 'frame'));
    expect([f.address, f.codeAddress, f.disablePrecompiles]).toEqual([DELEGATED, CONTRACT, true]);
  }, 300_000);

  it('a message that runs no code ends in the begin step: transfers (an absent account, the sender, the coinbase, no value), precompiles (success, failure, behind a delegation)', async () => {
    const data = Uint8Array.from({ length: 70 }, (_, i) => i);
    const txs = [
      tx({ type: 2, to: OTHER, value: 5n }),
      tx({ type: 0, nonce: 4n, to: SENDER, value: 9n }),
      tx({ type: 1, nonce: 5n, to: COINBASE, value: 1n }),
      tx({ type: 2, nonce: 6n, to: toAddress('0x0000000000000000000000000000000000abcdef') }),
      tx({ type: 2, nonce: 7n, to: IDENTITY, data, value: 3n }),
      tx({ type: 0, nonce: 8n, to: SHA256, data }),
      // ecrecover needs 3,000 gas: with 28,000 - 26,408 intrinsic it fails, takes all the gas, the value stays.
      tx({ type: 2, nonce: 9n, to: ECRECOVER, data, value: 4n, gasLimit: 28_000n }),
      tx({ type: 1, nonce: 10n, to: DELEGATED_TO_PRECOMPILE, data }),
      // Not Hyperion: 0x…0999 is an empty account.
      tx({ type: 2, nonce: 11n, to: LLM, value: 1n }),
    ];
    for (const chain of [PRAGUE, ETHEREUM]) {
      const t = blockTrace(chain === PRAGUE ? txs.slice(0, -1) : txs, chain);
      const classes = await checkAllValid(t, `no code, ${chain.name}`);
      const expected = Array(classes.length).fill('valid: finished in the step');
      expected[6] = 'valid: failed in the step';
      expect(classes).toEqual(expected);
    }
    // The identity's output is the result's output; the failed call's gas is all used.
    const t = blockTrace(txs.slice(0, 8));
    const results = steps(t, 'tx-begin').map((k) => decodeResult(t.store.preimage(decodeStepState(t.encodings[k + 1]!).resultHash, 'result')));
    expect(results[4]!.outputSize).toBe(70);
    expect([results[6]!.success, results[6]!.gasLeft]).toEqual([false, 0]);
    expect([results[7]!.success, results[7]!.outputSize]).toEqual([true, 0]);
  }, 300_000);

  it("Hyperion's LLM precompile as the target: the reference's step runs it as an account without code, the part refuses it (UnreproducibleCall)", async () => {
    const t = blockTrace([tx({ type: 2, to: LLM, value: 1n })]);
    const k = steps(t, 'tx-begin')[0]!;
    // The reference gives a post-state (the message ends in the step, the LLM's answer unknown) ...
    expect(beginClass(t, k)).toBe('valid: finished in the step');
    // ... which the part does not prove: no verifier can reproduce the precompile (as MetisCallStep).
    const w = blockStepWitness(t, k);
    expect(await v.verify(w.state, w.preimages)).toEqual({ ok: false, error: 'UnreproducibleCall' });
  }, 60_000);

  it('a chain with registered inference models warms the inference precompile; without L1 inference results a top-level call of it reverts InferenceCall', async () => {
    const chain = await inferenceChain();
    const t = blockTrace([tx({ type: 2, to: CONTRACT }), tx({ type: 0, nonce: 4n, to: OTHER, value: 1n })], chain);
    expect(await checkAllValid(t, 'models')).toEqual(['valid: call frame entered', 'valid: finished in the step']);
    // The warm set differs from the same block's without models (0x…0a10 is in it).
    const plain = blockTrace([tx({ type: 2, to: CONTRACT })]);
    const k = steps(t, 'tx-begin')[0]!;
    expect(decodeStepState(t.encodings[k + 1]!).accessRoot).not.toEqual(decodeStepState(plain.encodings[steps(plain, 'tx-begin')[0]! + 1]!).accessRoot);
    const call = blockTrace([tx({ type: 2, to: INFERENCE_PRECOMPILE, data: new Uint8Array(64) })], chain);
    const w = blockStepWitness(call, steps(call, 'tx-begin')[0]!);
    expect(await v.verify(w.state, w.preimages)).toEqual({ ok: false, error: 'InferenceCall' });
  }, 120_000);

  it('creations: init code entered, empty init code, value, an address collision (code, nonce or storage)', async () => {
    const init = hexToBytes('0x600160005560206000f3');
    const txs = [
      tx({ type: 2, to: null, data: init, value: 11n }),
      tx({ type: 0, nonce: 4n, to: null, data: new Uint8Array(0), value: 3n }),
      tx({ type: 1, nonce: 5n, to: null, data: init }),
    ];
    const t = blockTrace(txs);
    expect(await checkAllValid(t, 'creations')).toEqual(['valid: init code entered', 'valid: empty creation', 'valid: init code entered']);
    const created = steps(t, 'tx-begin').map((k) => decodeStepState(t.encodings[k + 1]!).createdRoot);
    expect(created.every((r) => bytesToHex(r) !== bytesToHex(EMPTY_TRIE_ROOT))).toBe(true);
    // A created address already with a balance is no collision.
    const rich = parentState();
    rich.put(createAddress(SENDER, 3n), { balance: 77n });
    expect(await checkAllValid(blockTrace([txs[0]!], PRAGUE, rich), 'balance there')).toEqual(['valid: init code entered']);
    for (const [what, account] of [
      ['code', { code: hexToBytes('0x00') }],
      ['nonce', { nonce: 1n }],
      ['storage', { storage: new Map([[5n, 1n]]) }],
    ] as const) {
      const s = parentState();
      s.put(createAddress(SENDER, 3n), account);
      const c = blockTrace([txs[0]!], PRAGUE, s);
      expect(await checkAllValid(c, `collision: ${what}`)).toEqual(['valid: failed in the step']);
      expect(decodeStepState(c.encodings[steps(c, 'tx-begin')[0]! + 1]!).createdRoot).toEqual(EMPTY_TRIE_ROOT);
    }
  }, 300_000);

  it('records the gas on a state of 4,000 accounts (deeper tries: more nodes walked and sent)', async () => {
    const state = parentState();
    for (let i = 1; i <= 4000; i++) state.put(toAddress('0x' + (0x10000000n + BigInt(i) * 7919n).toString(16).padStart(40, '0')), { balance: BigInt(i) });
    const t = blockTrace([tx({ type: 2, to: CONTRACT, value: 1n }), tx({ type: 1, nonce: 4n, to: OTHER, value: 2n }), tx({ type: 0, nonce: 5n, to: null, data: hexToBytes('0x600160005500') })], PRAGUE, state);
    const table: Record<string, number> = {};
    for (const [i, k] of steps(t, 'tx-begin').entries()) {
      const w = blockStepWitness(t, k);
      expect(await v.verify(w.state, w.preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
      table[['call frame', 'transfer to a new account', 'init code'][i]!] = await v.estimateGas(w.state, w.preimages);
    }
    process.stdout.write(`transaction begin gas, 4,000 accounts: ${JSON.stringify(table)}\n`);
    expect(Object.keys(table)).toHaveLength(3);
  }, 300_000);

  it('an access list that repeats entries and names the sender, the coinbase, a precompile and the target warms each once', async () => {
    const accessList = [
      { address: CONTRACT, storageKeys: [1n, 1n, 2n ** 255n] },
      { address: CONTRACT, storageKeys: [1n] },
      { address: SENDER, storageKeys: [] },
      { address: COINBASE, storageKeys: [0n] },
      { address: IDENTITY, storageKeys: [] },
    ];
    const t2: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce: 3n, maxPriorityFeePerGas: 2n, maxFeePerGas: MAX_FEE, gasLimit: 300_000n, to: CONTRACT, value: 0n, data: new Uint8Array(0), accessList };
    const t1: AccessListTx = { type: 1, chainId: CHAIN_ID, nonce: 4n, gasPrice: 300n, gasLimit: 300_000n, to: COINBASE, value: 1n, data: new Uint8Array(0), accessList };
    const t = blockTrace([encodeTransaction(signTransaction(t2, KEY)), encodeTransaction(signTransaction(t1, KEY))]);
    expect(await checkAllValid(t, 'repeated access list')).toEqual(['valid: call frame entered', 'valid: finished in the step']);
  }, 60_000);

  it('a transaction index past the 2^24 chunks of txListRoot reverts (the reference reads no chunk there)', async () => {
    const t = blockTrace([tx({ type: 2, to: CONTRACT })]);
    const k = steps(t, 'tx-begin')[0]!;
    const w = blockStepWitness(t, k);
    const s = decodeStepState(w.state);
    const inputs = encodeBlockInputs({ ...decodeBlockInputs(t.store.preimage(s.inputsHash, 'inputs')), txCount: 2 ** 25 });
    const state = encodeStepState({ ...s, inputsHash: keccak256(inputs), txIndex: 2 ** 24 });
    const out = await v.verify(state, [...w.preimages, inputs]);
    expect(out.ok).toBe(false);
    // MetisStepBase's errors are in the verifier's ABI: the harness names them.
    if (!out.ok) expect(out.error).toBe('BadStateData');
    // The same record at index 0 is the honest begin.
    const at0 = encodeStepState({ ...s, inputsHash: keccak256(inputs) });
    expect((await v.verify(at0, [...w.preimages, inputs])).ok).toBe(true);
  }, 60_000);

  it('a tampered or incomplete witness reverts or gives the honest answer, never another post-state', async () => {
    const traces = [
      blockTrace([tx({ type: 1, to: CONTRACT, value: 3n })]),
      blockTrace([tx({ type: 2, to: IDENTITY, data: Uint8Array.of(1, 2, 3) })]),
      blockTrace([tx({ type: 0, to: null, data: hexToBytes('0x600160005500') })]),
      blockTrace([tx({ type: 2 }), tx({ type: 1, nonce: 9n })]),
      blockTrace([highS({ type: 0 })]),
      blockTrace([tx({ type: 2, key: KEY2, nonce: 0n, gasLimit: EXACT_GAS, value: EXACT_VALUE + 1n })]),
      blockTrace([blobTx({ count: 2, to: CONTRACT, value: 1n })]),
      blockTrace([blobTx({ count: 1, maxFeePerBlobGas: 0n })]),
      blockTrace([withField(tx({ type: 2 }), 5, new Uint8Array(19))]),
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
    expect(checked).toBeGreaterThan(60);
    expect(reverted).toBeGreaterThan(checked / 2);
  }, 600_000);

  it('EIP-4844: valid blob transactions (1 blob, the most a transaction may carry, two filling the block) under Cancun, Prague, Osaka and Ethereum rules', async () => {
    for (const [chain, perTx, perBlock] of [[CANCUN, 6, 6], [PRAGUE, 9, 9], [OSAKA, 6, 9], [ETHEREUM, 9, 9]] as const) {
      const label = `${chain.name} ${chain.schedule[0]!.fork}`;
      const one = blockTrace([blobTx({ count: 1, to: CONTRACT, value: 2n })], chain);
      expect(await checkValid(one, steps(one, 'tx-begin')[0]!, `${label}: 1 blob`, 'blob: 1 blob')).toBe('valid: call frame entered');
      const most = blockTrace([blobTx({ count: perTx })], chain);
      expect(await checkValid(most, steps(most, 'tx-begin')[0]!, `${label}: ${perTx} blobs`, 'blob: the most blobs')).toBe('valid: finished in the step');
      // Two in a block: the second's blob gas is what the first left.
      const two = blockTrace([blobTx({ count: perBlock - perTx + 1 }), blobTx({ nonce: 4n, count: perTx - 1, to: CONTRACT })], chain);
      expect(await checkAllValid(two, `${label}: two`)).toEqual(['valid: finished in the step', 'valid: call frame entered']);
      // The first one's end (MetisTxStep): the receipt of type 3, blobGasUsed advanced.
      const end = steps(two, 'tx-end')[0]!;
      const ew = blockStepWitness(two, end);
      expect(await v.verify(ew.state, ew.preimages), `${label}: end`).toEqual({ ok: true, post: bytesToHex(two.commitments[end + 1]!) });
      expect(decodeStepState(two.encodings[end + 1]!).blobGasUsed).toBe(131072n * BigInt(perBlock - perTx + 1));
      // The context record: keccak of the concatenated hashes (a preimage) and the blob gas.
      const k = steps(most, 'tx-begin')[0]!;
      const ctx = decodeTxContext(most.store.preimage(decodeStepState(most.encodings[k + 1]!).txHash, 'tx context'));
      expect(ctx.blobGas).toBe(131072n * BigInt(perTx));
      const hashes = concatBytes(...Array.from({ length: perTx }, (_, i) => versioned(i)));
      expect(bytesToHex(ctx.blobHashesHash)).toBe(bytesToHex(keccak256(hashes)));
      expect(bytesToHex(most.store.preimage(ctx.blobHashesHash, 'blob hashes'))).toBe(bytesToHex(hashes));
    }
  }, 600_000);

  it('EIP-4844: the blob rules give the invalid block (blob count per block and, from Osaka, per transaction; the block\'s blob gas left; the version byte; the blob fee cap)', async () => {
    await checkInvalid(blockTrace([blobTx({ count: 7 })], CANCUN), 'cancun 7 blobs', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ count: 10 })], PRAGUE), 'prague 10 blobs', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ count: 7 })], OSAKA), 'osaka 7 blobs (per transaction)', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ count: 4 }), blobTx({ nonce: 4n, count: 3 })], CANCUN), 'cancun blob gas left', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ count: 6 }), blobTx({ nonce: 4n, count: 4 })], PRAGUE), 'prague blob gas left', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ hashes: [versioned(0), versioned(1, 2)] })]), 'version 2', 'blob: rejected');
    await checkInvalid(blockTrace([blobTx({ hashes: [versioned(0, 0)] })], OSAKA), 'version 0', 'blob: rejected');
    // The blob base fee of excessBlobGas 0 is 1 wei.
    await checkInvalid(blockTrace([blobTx({ maxFeePerBlobGas: 0n })]), 'blob fee cap 0', 'blob: rejected');
    // A blob fee cap past 2^256 / blob gas: no balance covers it.
    await checkInvalid(blockTrace([blobTx({ maxFeePerBlobGas: 2n ** 256n - 1n })]), 'blob fee cap 2^256 - 1', 'blob: rejected');
    // The blob rules come after the gas and fee rules (an invalid block either way), before the nonce.
    await checkInvalid(blockTrace([blobTx({ count: 1, nonce: 9n })]), 'blob nonce', 'nonce / balance (account read)');
  }, 600_000);

  it('EIP-4844: the blob fee cap against the blob base fee of the block\'s excessBlobGas (each fork\'s update fraction), and the balance with the blob gas at the cap', async () => {
    const traceAt = (txs: Uint8Array[], chain: ChainRules, excess: bigint, state = parentState()): BlockStepTrace => fixtureBlockTrace(txs, chain, COINBASE, state, { excessBlobGas: excess });
    for (const chain of [CANCUN, PRAGUE, OSAKA]) {
      for (const excess of [20_000_000n, 61_234_567n]) {
        const price = blobBaseFee(excess, forkRules(chain.schedule[0]!.fork));
        expect(price).toBeGreaterThan(1n);
        await checkInvalid(traceAt([blobTx({ count: 2, maxFeePerBlobGas: price - 1n })], chain, excess), `${chain.schedule[0]!.fork} below ${price}`, 'blob: rejected');
        const at = traceAt([blobTx({ count: 2, maxFeePerBlobGas: price, to: CONTRACT })], chain, excess);
        expect(await checkValid(at, steps(at, 'tx-begin')[0]!, `${chain.schedule[0]!.fork} at ${price}`, 'blob: 2 blobs at a high blob base fee')).toBe('valid: call frame entered');
      }
    }
    // A blob base fee far beyond any cap (the reference's series is long; the part stops early).
    await checkInvalid(traceAt([blobTx({ maxFeePerBlobGas: 10n ** 30n })], PRAGUE, 500_000_000n), 'prague huge excess', 'blob: rejected');
    // The balance: gasLimit·maxFee + blobGas·maxFeePerBlobGas + value exactly, and one wei less.
    const key = ('0x' + '77'.repeat(32)) as `0x${string}`;
    const need = 300_000n * MAX_FEE + 3n * 131072n * 100n + 9n;
    for (const [balance, valid] of [[need, true], [need - 1n, false]] as const) {
      const state = parentState();
      state.put(addressOfPrivateKey(key), { balance });
      const t = traceAt([blobTx({ key, nonce: 0n, count: 3, maxFeePerBlobGas: 100n, value: 9n })], PRAGUE, 20_000_000n, state);
      if (valid) expect(await checkAllValid(t, 'exact blob balance')).toEqual(['valid: finished in the step']);
      else await checkInvalid(t, 'blob balance one wei short', 'blob: rejected');
    }
  }, 600_000);

  it('a top-level call of the inference precompile is proven from the L1 inference game: InferenceNotFinal before its claim is final, then the settled output; its failures proven; ModelNotOnL1', async () => {
    const chain = await inferenceChain();
    const mlp = inferenceModel!;
    const other = otherModel!;
    const input = quantizeInput(mlp, seededReals(5, MLP_INPUT));
    const tensor = new Uint8Array(input.buffer, input.byteOffset, input.length);
    const cost = inferenceGas(mlp);
    let game!: InferenceGameContract;
    const vi = await startStepVerifier({ calls: 'MetisCallStep', creates: 'MetisCreateStep', transactions: 'MetisTxStep' }, async (clients) => {
      const verifier = (await deployContract(clients, contractArtifact('InferenceChunkVerifier'))).address;
      const args = [verifier, clients.wallet.account.address, parseEther('1'), parseEther('0.4'), INFERENCE_WINDOW, 1_800n, 2n];
      const { address } = await deployContract(clients, contractArtifact('InferenceGame'), args);
      game = new InferenceGameContract(clients, address);
      await game.send(registerModelCall(mlp));
      return { inferenceResults: address };
    });
    try {
      const data = concatBytes(modelId(mlp), tensor);
      const gasLimit = 1_000_000n + cost;
      const t = blockTrace([tx({ type: 2, to: INFERENCE_PRECOMPILE, data, gasLimit, value: 5n })], chain);
      const k = steps(t, 'tx-begin')[0]!;
      const r = decodeResult(t.store.preimage(decodeStepState(t.encodings[k + 1]!).resultHash, 'result'));
      const expected = evaluate(mlp, input).output.data;
      const output = new Uint8Array(expected.buffer, expected.byteOffset, expected.length).slice();
      expect([r.success, r.outputSize]).toEqual([true, output.length]);
      const w = blockStepWitness(t, k);
      // The reference's begin step attests the output it computed: the witness carries it for L1.
      expect(w.preimages.map(bytesToHex)).toContain(bytesToHex(output));
      const preimages = w.preimages;
      expect(await vi.verify(w.state, preimages)).toEqual({ ok: false, error: 'InferenceNotFinal' });
      const player = new InferencePlayer(game, mlp, evaluate(mlp, input));
      const claimId = await player.post();
      expect(await vi.verify(w.state, preimages)).toEqual({ ok: false, error: 'InferenceNotFinal' });
      await rpcCall(vi, 'evm_increaseTime', [Number(INFERENCE_WINDOW) + 1]);
      await rpcCall(vi, 'evm_mine', []);
      expect(await game.isFinal(claimId)).toBe(true);
      expect(await vi.verify(w.state, preimages)).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
      gas.record('inference: top-level call, final claim', await vi.estimateGas(w.state, preimages));
      // Without the output preimage it cannot be proven.
      const withoutOutput = w.preimages.filter((p) => bytesToHex(p) !== bytesToHex(output));
      expect(await vi.verify(w.state, withoutOutput)).toEqual({ ok: false, error: 'MissingPreimage' });
      // The precompile failing takes all the gas and keeps the value: a short input, an unknown
      // model, too little gas for the model, a wrong input size.
      const failing: [string, Uint8Array, bigint][] = [
        ['short input', modelId(mlp).subarray(0, 31), gasLimit],
        ['unknown model', concatBytes(keccak256(Uint8Array.of(1)), tensor), gasLimit],
        ['too little gas', data, 21_000n + 16n * BigInt(data.length) + cost - 1n],
        ['wrong input size', concatBytes(data, Uint8Array.of(0)), gasLimit],
      ];
      for (const [label, d, g] of failing) {
        const f = blockTrace([tx({ type: 2, to: INFERENCE_PRECOMPILE, data: d, gasLimit: g, value: 5n })], chain);
        const fk = steps(f, 'tx-begin')[0]!;
        expect(beginClass(f, fk), label).toBe('valid: failed in the step');
        const fw = blockStepWitness(f, fk);
        expect(await vi.verify(fw.state, fw.preimages), label).toEqual({ ok: true, post: bytesToHex(f.commitments[fk + 1]!) });
      }
      // A model the L2 registered and the L1 game does not know.
      const otherInput = quantizeInput(other, seededReals(5, MLP_INPUT));
      const o = blockTrace([tx({ type: 2, to: INFERENCE_PRECOMPILE, data: concatBytes(modelId(other), new Uint8Array(otherInput.buffer, otherInput.byteOffset, otherInput.length)), gasLimit })], chain);
      const ow = blockStepWitness(o, steps(o, 'tx-begin')[0]!);
      expect(await vi.verify(ow.state, ow.preimages)).toEqual({ ok: false, error: 'ModelNotOnL1' });
      // Behind an EIP-7702 delegation precompiles are off: the delegate's (empty) code runs.
      const s = parentState();
      s.put(DELEGATED_TO_PRECOMPILE, { code: designator(INFERENCE_PRECOMPILE) });
      const d = blockTrace([tx({ type: 2, to: DELEGATED_TO_PRECOMPILE, data, gasLimit })], chain, s);
      const dk = steps(d, 'tx-begin')[0]!;
      expect(beginClass(d, dk)).toBe('valid: finished in the step');
      const dw = blockStepWitness(d, dk);
      expect(await vi.verify(dw.state, dw.preimages)).toEqual({ ok: true, post: bytesToHex(d.commitments[dk + 1]!) });
    } finally {
      await vi.stop();
    }
  }, 600_000);

  it('the decoder running out of gas never gives the invalid block: at any gas the begin of a valid transaction reverts or gives the honest post-state', async () => {
    const t = blockTrace([tx({ type: 2, to: CONTRACT, data: Uint8Array.from({ length: 3000 }, (_, i) => (i % 255) + 1) })]);
    const k = steps(t, 'tx-begin')[0]!;
    const w = blockStepWitness(t, k);
    const honest = bytesToHex(t.commitments[k + 1]!);
    const full = await v.estimateGas(w.state, w.preimages);
    const data = encodeFunctionData({ abi: contractArtifact('MetisStepVerifier').abi, functionName: 'verify', args: [bytesToHex(w.state), w.preimages.map(bytesToHex)] });
    let reverted = 0;
    let proven = 0;
    const from = 250_000;
    const limits = [...Array.from({ length: 40 }, (_, i) => from + Math.floor(((full - from) * i) / 40)), full, full + 50_000];
    for (const g of limits) {
      try {
        const r = await v.clients.public.call({ to: v.address, data, gas: BigInt(g) });
        expect(r.data, `gas ${g}`).toBe(honest);
        proven++;
      } catch (e) {
        expect(e, `gas ${g}`).toBeInstanceOf(BaseError);
        reverted++;
      }
    }
    expect(reverted).toBeGreaterThan(20);
    expect(proven).toBeGreaterThan(0);
  }, 300_000);

  it('records the gas of each class', () => {
    process.stdout.write(`transaction begin gas, worst per class: ${JSON.stringify(gas)}\n`);
    expect(Object.keys(gas.toJSON()).sort()).toEqual(
      [
        'blob: 1 blob',
        'blob: 2 blobs at a high blob base fee',
        'blob: rejected',
        'blob: the most blobs',
        'chain id / signature',
        'gas / fee rules',
        'inference: top-level call, final claim',
        'malformed: decoder rejects',
        'nonce / balance (account read)',
        'set-code: 1 authorization',
        'set-code: 2 authorizations',
        'set-code: 5 authorizations',
        'set-code: 8 authorizations',
        'set-code: rejected',
        'valid: call frame entered',
        'valid: empty creation',
        'valid: failed in the step',
        'valid: finished in the step',
        'valid: init code entered',
      ].sort(),
    );
  });
});
