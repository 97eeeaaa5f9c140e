// The BLOCKS part of the on-chain MetisVM step verifier (contracts/src/MetisBlockStep.sol) against
// the TypeScript reference (vm/step/boundary.ts blockStart and blockEnd), on a real anvil: the
// first and last steps of real block traces (devnet, Hyperion and Ethereum-kind chains; Cancun,
// Prague, Osaka), and block starts and ends built for one condition each (past the game's block,
// no committed inputs, templates that do not match, malformed templates, the EIP-4788 and
// EIP-2935 system contracts with their canonical code, absent, or with other code, a wrong and a
// right disputed root, a non-empty bloom, templates with and without blobGasUsed/requestsHash, the
// message passer present and absent, request contracts with code, withdrawals) give the
// reference's next commitment or a typed revert where the reference has no post-state or the
// contract does not prove the step; a tampered witness never gives a post-state. Gas per class is
// recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseError, ContractFunctionRevertedError, encodeAbiParameters, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { contractArtifact } from '../contracts/artifacts.js';
import { deployContract, deployMetisStepVerifier, l1Clients, type L1Clients } from '../contracts/deploy.js';
import { anvilRules, ethereumRules, hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { blockEnvOf } from '../vm/block/execute.js';
import { encodeHeader, type BlockHeader } from '../vm/block/header.js';
import { MESSAGE_PASSER, outputRootPreimage } from '../vm/block/output-root.js';
import { BEACON_ROOTS_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS, HISTORY_STORAGE_ADDRESS, WITHDRAWAL_REQUEST_ADDRESS } from '../vm/block/system.js';
import { MemoryState } from '../vm/state/memory.js';
import { encodeTransaction } from '../vm/tx/codec.js';
import { addressOfPrivateKey, signTransaction } from '../vm/tx/signature.js';
import type { FeeMarketTx } from '../vm/tx/types.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { rlpDecode, rlpEncode, type RlpItem } from '../vm/rlp/rlp.js';
import { buildTree } from '../vm/step/bintree.js';
import { BOOT_ENCODING, headerTemplate, type LocalContext } from '../vm/step/boundary.js';
import { blockStepCount, blockStepWitness, traceBlockSteps, type BlockStepTrace } from '../vm/step/block-steps.js';
import { executeStep } from '../vm/step/execute.js';
import { fullWitness } from '../vm/step/full-witness.js';
import { PreimageStore, RecordingPreimages } from '../vm/step/preimages.js';
import {
  STATUS_INVALID,
  STATUS_VALID,
  decodeStepState,
  encodeBlockContext,
  encodeBlockInputs,
  encodeStepState,
  type BlockContext,
} from '../vm/step/state.js';
import { blockContextOf, storeFromWitness } from '../vm/step/trace.js';
import { asm } from './support/step-traces.js';
import { GasTable, PARENT_HASH, fixtureBlockHashes, fixtureHeader, mpRootOf } from './support/block-fixture.js';

const CHAIN_ID = 133717n;
const KEY = ('0x' + '11'.repeat(32)) as `0x${string}`;
const SENDER = addressOfPrivateKey(KEY);
const OTHER = toAddress('0x0000000000000000000000000000000000000b0b');
const LOGGER = toAddress('0x00000000000000000000000000000000000c0de4');
// Three logs: LOG0 of 40 bytes, LOG2, LOG1 of nothing (a non-empty block bloom).
const LOGGER_CODE = asm('6028 6000 a0  61beef 6011 6010 6000 a2  6099 6000 6000 a1 00');
// The message passer stores the block number under the caller.
const PASSER_CODE = asm('43 33 55 00');

// The runtime code EIP-4788 and EIP-2935 deploy (the EIPs' bytecode), whose effect the contract applies.
const BEACON_ROOTS_CODE = hexToBytes(
  '0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500',
);
const HISTORY_STORAGE_CODE = hexToBytes(
  '0x3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500',
);

const HYPERION = hyperionRules(CHAIN_ID, 'prague');
const DEVNET = anvilRules('prague', CHAIN_ID);
const ETH_CANCUN = ethereumRules('cancun', CHAIN_ID);
const ETH_PRAGUE = ethereumRules('prague', CHAIN_ID);
const ETH_OSAKA = ethereumRules('osaka', CHAIN_ID);
const ZERO32 = new Uint8Array(32);

function tx(nonce: bigint, to: Address, value = 0n): Uint8Array {
  const t: FeeMarketTx = { type: 2, chainId: CHAIN_ID, nonce, maxPriorityFeePerGas: 2n, maxFeePerGas: 1000n, gasLimit: 300_000n, to, value, data: new Uint8Array(0), accessList: [] };
  return encodeTransaction(signTransaction(t, KEY));
}

function parentState(opts: { passer?: boolean; extra?: (s: MemoryState) => void } = {}): MemoryState {
  const s = new MemoryState();
  s.put(SENDER, { balance: 10n ** 21n });
  s.put(LOGGER, { code: LOGGER_CODE });
  if (opts.passer ?? true) s.put(MESSAGE_PASSER, { code: PASSER_CODE, storage: new Map([[7n, 7n]]) });
  opts.extra?.(s);
  return s;
}

/** The fixture header without its trailing optional fields from `from` on (header.ts OPTIONAL order). */
function headerUpTo(count: number, base: BlockHeader = fixtureHeader()): BlockHeader {
  const names = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash'] as const;
  const h: Record<string, unknown> = { ...base };
  names.forEach((n, i) => {
    if (15 + i >= count) delete h[n];
  });
  return h as unknown as BlockHeader;
}

// ---- the reference, one step ---------------------------------------------------------------

interface TsStep {
  readonly ok: true;
  readonly commitment: Hex;
  readonly encoding: Uint8Array;
  readonly preimages: Uint8Array[];
}
type TsOutcome = TsStep | { readonly ok: false; readonly error: string };

function tsStep(store: PreimageStore, state: Uint8Array, local: LocalContext): TsOutcome {
  const rec = new RecordingPreimages(store);
  try {
    const r = executeStep(state, rec, local);
    return { ok: true, commitment: bytesToHex(r.commitment), encoding: r.encoding, preimages: rec.witness() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function mustStep(store: PreimageStore, state: Uint8Array, local: LocalContext): TsStep {
  const r = tsStep(store, state, local);
  if (!r.ok) throw new Error(`the reference has no post-state: ${r.error}`);
  return r;
}

/** A block start built for one condition: the inputs record, context and starting output filed in the store. */
interface StartSpec {
  readonly chain?: ChainRules;
  readonly state?: MemoryState;
  readonly header?: BlockHeader;
  /** The template's bytes as filed (default: the RLP of headerTemplate(header)). */
  readonly template?: Uint8Array;
  readonly context?: (c: BlockContext, store: PreimageStore) => BlockContext;
  /** The block hash in the starting output (default: the template's parent). */
  readonly parentHash?: Uint8Array;
  readonly local?: Partial<LocalContext>;
}

interface Built {
  readonly store: PreimageStore;
  readonly local: LocalContext;
}

function buildStart(spec: StartSpec = {}): Built {
  const witness = fullWitness(spec.state ?? parentState());
  const store = storeFromWitness(witness);
  const h = spec.header ?? fixtureHeader();
  const env = blockEnvOf(h, spec.chain ?? HYPERION, fixtureBlockHashes);
  const base = blockContextOf(store, env);
  const ctx = spec.context === undefined ? base : spec.context(base, store);
  const headerTemplateHash = store.put(spec.template ?? encodeHeader(headerTemplate(h)));
  const inputsHash = store.put(
    encodeBlockInputs({ headerTemplateHash, contextHash: store.put(encodeBlockContext(ctx)), txListRoot: buildTree(store, new Uint8Array(0)), txCount: 0 }),
  );
  const startingOutputRoot = store.put(outputRootPreimage(witness.stateRoot, mpRootOf(witness.nodes, witness.stateRoot), spec.parentHash ?? PARENT_HASH));
  const local: LocalContext = { startingOutputRoot, disputedOutputRoot: ZERO32, l2BlockNumber: h.number, startingBlockNumber: h.number - 1n, inputsHash, ...spec.local };
  return { store, local };
}

// ---- the contract --------------------------------------------------------------------------

let anvil: AnvilNode;
let clients: L1Clients;
let address: Hex;
const abi = contractArtifact('MetisBlockStep').abi;
const gas = new GasTable();

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  address = (await deployContract(clients, contractArtifact('MetisBlockStep'))).address;
}, 120_000);

afterAll(async () => {
  console.log(`MetisBlockStep gas (eth_estimateGas), worst per class: ${JSON.stringify(gas.toJSON(), null, 1)}`);
  await anvil?.stop();
});

type Outcome = { ok: true; post: Hex } | { ok: false; error: string };

const args = (state: Uint8Array, preimages: readonly Uint8Array[], l: LocalContext) =>
  [
    bytesToHex(state),
    preimages.map(bytesToHex),
    {
      startingOutputRoot: bytesToHex(l.startingOutputRoot),
      disputedOutputRoot: bytesToHex(l.disputedOutputRoot),
      l2BlockNumber: l.l2BlockNumber,
      startingBlockNumber: l.startingBlockNumber,
      inputsHash: bytesToHex(l.inputsHash),
    },
  ] as const;

async function onChain(state: Uint8Array, preimages: readonly Uint8Array[], local: LocalContext): Promise<Outcome> {
  try {
    const post = (await clients.public.readContract({ address, abi, functionName: 'verifyBlock', args: args(state, preimages, local) })) as Hex;
    return { ok: true, post };
  } catch (e) {
    const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    if (revert instanceof ContractFunctionRevertedError) return { ok: false, error: revert.data?.errorName ?? revert.shortMessage };
    throw e;
  }
}

async function estimate(state: Uint8Array, preimages: readonly Uint8Array[], local: LocalContext): Promise<number> {
  return Number(await clients.public.estimateContractGas({ address, abi, functionName: 'verifyBlock', args: args(state, preimages, local), account: clients.wallet.account }));
}

/** The contract proves the reference's step: the same post commitment; its gas recorded under `cls`. */
async function agrees(store: PreimageStore, state: Uint8Array, local: LocalContext, cls: string): Promise<TsStep> {
  const ts = mustStep(store, state, local);
  const out = await onChain(state, ts.preimages, local);
  expect(out, cls).toEqual({ ok: true, post: ts.commitment });
  gas.record(cls, await estimate(state, ts.preimages, local));
  return ts;
}

/** The contract reverts `error` on the step's witness (whether or not the reference has a post-state). */
async function reverts(store: PreimageStore, state: Uint8Array, local: LocalContext, error: string, referenceThrows: boolean): Promise<void> {
  const rec = new RecordingPreimages(store);
  let threw = false;
  try {
    executeStep(state, rec, local);
  } catch {
    threw = true;
  }
  expect(threw, `the reference ${referenceThrows ? 'throws' : 'has a post-state'}`).toBe(referenceThrows);
  expect(await onChain(state, rec.witness(), local)).toEqual({ ok: false, error });
}

/** The block end after a built block start (no transactions: the next step is block end). */
function endAfter(b: Built): { state: Uint8Array; local: LocalContext } {
  // Run on the store itself: the nodes the start's writes create are the end's to read.
  return { state: executeStep(BOOT_ENCODING, b.store, b.local).encoding, local: b.local };
}

/** The disputed root the block end yields (its computed output root). */
function computedRoot(store: PreimageStore, state: Uint8Array, local: LocalContext): Uint8Array {
  return decodeStepState(mustStep(store, state, local).encoding).outputRoot;
}

// ---- real block traces -----------------------------------------------------------------------

function blockTrace(chain: ChainRules, header: BlockHeader, transactions: Uint8Array[], state: MemoryState, disputed: Uint8Array = ZERO32): BlockStepTrace {
  const witness = fullWitness(state);
  const store = storeFromWitness(witness);
  return traceBlockSteps(store, {
    header,
    transactions,
    env: blockEnvOf(header, chain, fixtureBlockHashes),
    parent: { stateRoot: witness.stateRoot, messagePasserStorageRoot: mpRootOf(witness.nodes, witness.stateRoot), blockHash: PARENT_HASH },
    disputedOutputRoot: disputed,
  });
}

async function checkTraceEnds(t: BlockStepTrace, label: string): Promise<void> {
  expect(t.kinds[0]).toBe('block-start');
  expect(t.kinds.at(-1)).toBe('block-end');
  for (const [k, cls] of [
    [0, 'block start (trace)'],
    [blockStepCount(t) - 1, 'block end (trace)'],
  ] as const) {
    const w = blockStepWitness(t, k);
    const out = await onChain(w.state, w.preimages, t.local);
    expect(out, `${label}: step ${k}`).toEqual({ ok: true, post: bytesToHex(t.commitments[k + 1]!) });
    gas.record(cls, await estimate(w.state, w.preimages, t.local));
  }
}

const TXS = (): Uint8Array[] => [tx(0n, OTHER, 5n), tx(1n, LOGGER), tx(2n, MESSAGE_PASSER)];

describe('MetisBlockStep on real block traces', () => {
  it('fits the EIP-170 code size limit', () => {
    const size = (contractArtifact('MetisBlockStep').deployedBytecode.length - 2) / 2;
    console.log(`MetisBlockStep: ${size} bytes of runtime code`);
    expect(size).toBeLessThanOrEqual(24_576);
  });

  for (const [name, chain, header] of [
    ['hyperion prague', HYPERION, fixtureHeader()],
    ['devnet prague', DEVNET, fixtureHeader()],
    ['ethereum cancun (no requestsHash)', ETH_CANCUN, headerUpTo(20)],
    ['ethereum prague', ETH_PRAGUE, fixtureHeader()],
    ['ethereum osaka', ETH_OSAKA, fixtureHeader()],
    ['hyperion, a template without blobGasUsed on (Shanghai fields)', HYPERION, headerUpTo(17)],
    ['hyperion, a template of 15 fields', HYPERION, headerUpTo(15)],
  ] as const) {
    it(`proves the first and last steps, wrong and right disputed root: ${name}`, async () => {
      const wrong = blockTrace(chain, header, TXS(), parentState());
      expect(wrong.status).toBe(STATUS_INVALID);
      await checkTraceEnds(wrong, name);
      const right = blockTrace(chain, header, TXS(), parentState(), wrong.outputRoot);
      expect(right.status).toBe(STATUS_VALID);
      await checkTraceEnds(right, `${name}, right root`);
    }, 120_000);
  }

  it('proves a block without transactions and without the message passer', async () => {
    const t = blockTrace(HYPERION, fixtureHeader(), [], parentState({ passer: false }));
    await checkTraceEnds(t, 'empty block, no message passer');
    const right = blockTrace(HYPERION, fixtureHeader(), [], parentState({ passer: false }), t.outputRoot);
    expect(right.status).toBe(STATUS_VALID);
    await checkTraceEnds(right, 'empty block, no message passer, right root');
  }, 120_000);
});

describe('MetisBlockStep block start', () => {
  it('past the game block: valid only when both outputs are one root', async () => {
    const store = new PreimageStore();
    const root = keccak256(Uint8Array.of(7));
    const base = { startingOutputRoot: root, l2BlockNumber: 9n, startingBlockNumber: 9n, inputsHash: ZERO32 };
    const same = await agrees(store, BOOT_ENCODING, { ...base, disputedOutputRoot: root }, 'past the game block');
    expect(Number.parseInt(same.commitment.slice(2, 4), 16)).toBe(STATUS_VALID);
    const other = await agrees(store, BOOT_ENCODING, { ...base, disputedOutputRoot: keccak256(root) }, 'past the game block');
    expect(Number.parseInt(other.commitment.slice(2, 4), 16)).toBe(STATUS_INVALID);
    // Below the starting block too, with inputs that are never read.
    await agrees(store, BOOT_ENCODING, { ...base, l2BlockNumber: 3n, inputsHash: keccak256(root), disputedOutputRoot: root }, 'past the game block');
  });

  it('no committed inputs: the invalid block', async () => {
    const b = buildStart({ local: { inputsHash: ZERO32 } });
    const r = await agrees(b.store, BOOT_ENCODING, b.local, 'no inputs');
    expect(decodeStepState(r.encoding).status).toBe(STATUS_INVALID);
  });

  it('a template that does not match its parent or context: the invalid block, condition by condition', async () => {
    const h = fixtureHeader();
    const other = keccak256(Uint8Array.of(0xbb));
    const cases: [string, StartSpec][] = [
      ['parent hash', { parentHash: other }],
      ['number (the disputed block is another)', { local: { l2BlockNumber: 9n, startingBlockNumber: 8n } }],
      ['context number', { context: (c) => ({ ...c, number: 9n }) }],
      ['timestamp', { context: (c) => ({ ...c, timestamp: c.timestamp + 1n }) }],
      ['coinbase', { context: (c) => ({ ...c, coinbase: OTHER }) }],
      ['gas limit', { context: (c) => ({ ...c, gasLimit: c.gasLimit - 1n }) }],
      ['base fee', { context: (c) => ({ ...c, baseFee: c.baseFee + 1n }) }],
      ['base fee absent from the template', { header: headerUpTo(15), context: (c) => ({ ...c, baseFee: 7n }) }],
      ['prevRandao', { context: (c) => ({ ...c, prevRandao: c.prevRandao ^ 1n }) }],
      ['mixHash of 33 bytes, the first non-zero', { template: encodeHeader({ ...headerTemplate(h), mixHash: new Uint8Array([1, ...h.mixHash]) }) }],
      ['excess blob gas', { context: (c) => ({ ...c, excessBlobGas: 1n }) }],
      ['ancestor chunk 0', { context: (c, store) => ({ ...c, ancestorsRoot: buildTree(store, other) }) }],
      ['template stateRoot', { template: encodeHeader({ ...headerTemplate(h), stateRoot: other }) }],
      ['template receiptsRoot', { template: encodeHeader({ ...headerTemplate(h), receiptsRoot: EMPTY_TRIE_ROOT }) }],
      ['template bloom', { template: encodeHeader({ ...headerTemplate(h), logsBloom: new Uint8Array(256).fill(1, 3, 4) }) }],
      ['template gasUsed', { template: encodeHeader({ ...headerTemplate(h), gasUsed: 1n }) }],
      ['template blobGasUsed', { template: encodeHeader({ ...headerTemplate(h), blobGasUsed: 131072n }) }],
      ['template requestsHash', { template: encodeHeader({ ...headerTemplate(h), requestsHash: other }) }],
      ['template stateRoot of 31 bytes', { template: encodeHeader({ ...headerTemplate(h), stateRoot: new Uint8Array(31) }) }],
      ['template parentHash of 33 bytes', { template: encodeHeader({ ...headerTemplate(h), parentHash: new Uint8Array([...PARENT_HASH, 0]) }) }],
    ];
    for (const [name, spec] of cases) {
      const b = buildStart(spec);
      const r = await agrees(b.store, BOOT_ENCODING, b.local, name === 'ancestor chunk 0' ? 'template mismatch, ancestor chunk' : 'template mismatch');
      expect(decodeStepState(r.encoding).status, name).toBe(STATUS_INVALID);
    }
  }, 120_000);

  it('a template the reference accepts at its edges: the block runs', async () => {
    const h = fixtureHeader();
    const t = headerTemplate(h);
    const cases: [string, StartSpec][] = [
      // A mixHash of 33 bytes whose first is zero is the same number; a bloom of another length that is all zeros.
      ['mixHash with a leading zero byte', { template: encodeHeader({ ...t, mixHash: new Uint8Array([0, ...h.mixHash]) }) }],
      ['short zero bloom', { template: encodeHeader({ ...t, logsBloom: new Uint8Array(3) }) }],
      ['short mixHash', { template: encodeHeader({ ...t, mixHash: Uint8Array.of(5) }), context: (c) => ({ ...c, prevRandao: 5n }) }],
      ['empty mixHash', { template: encodeHeader({ ...t, mixHash: new Uint8Array(0) }), context: (c) => ({ ...c, prevRandao: 0n }) }],
      ['mixHash of 40 bytes, leading zeros', { template: encodeHeader({ ...t, mixHash: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, ...h.mixHash]) }) }],
    ];
    for (const [name, spec] of cases) {
      const b = buildStart(spec);
      const r = await agrees(b.store, BOOT_ENCODING, b.local, 'block start, no system contracts');
      expect(decodeStepState(r.encoding).status, name).toBe(3);
    }
  });

  it('a template that is not a header: the invalid block; a header field the decoder rejects: a revert', async () => {
    const fields = rlpDecode(encodeHeader(headerTemplate(fixtureHeader()))) as RlpItem[];
    const malformed: [string, Uint8Array][] = [
      ['a byte string', hexToBytes('0x80')],
      ['an empty list', hexToBytes('0xc0')],
      ['14 items', rlpEncode(fields.slice(0, 14) as Uint8Array[])],
      ['22 items', rlpEncode([...(fields as Uint8Array[]), new Uint8Array(0)])],
      ['trailing bytes', new Uint8Array([...encodeHeader(headerTemplate(fixtureHeader())), 0])],
      ['a non-canonical single byte inside', rlpEncodeRaw([...fields.slice(0, 12).map((f) => rlpEncode(f as Uint8Array)), hexToBytes('0x8105'), ...fields.slice(13).map((f) => rlpEncode(f as Uint8Array))])],
      ['a truncated list', encodeHeader(headerTemplate(fixtureHeader())).slice(0, 100)],
      ['a malformed nested list in a field', rlpEncodeRaw([...fields.slice(0, 12).map((f) => rlpEncode(f as Uint8Array)), hexToBytes('0xc2c1'), ...fields.slice(13).map((f) => rlpEncode(f as Uint8Array))])],
      ['no bytes', new Uint8Array(0)],
      ['a long-form length for 3 bytes', rlpEncodeRaw([...fields.slice(0, 12).map((f) => rlpEncode(f as Uint8Array)), hexToBytes('0xb803616263'), ...fields.slice(13).map((f) => rlpEncode(f as Uint8Array))])],
      ['lists nested 1025 deep in a field', rlpEncodeRaw([...fields.slice(0, 12).map((f) => rlpEncode(f as Uint8Array)), nested(1025), ...fields.slice(13).map((f) => rlpEncode(f as Uint8Array))])],
      ['lists nested 1100 deep in a field', rlpEncodeRaw([...fields.slice(0, 12).map((f) => rlpEncode(f as Uint8Array)), nested(1100), ...fields.slice(13).map((f) => rlpEncode(f as Uint8Array))])],
    ];
    for (const [name, template] of malformed) {
      const b = buildStart({ template });
      const r = await agrees(b.store, BOOT_ENCODING, b.local, name.includes('deep') ? 'template not a header, lists 1025+ deep' : 'template not a header');
      expect(decodeStepState(r.encoding).status, name).toBe(STATUS_INVALID);
    }
    const t = headerTemplate(fixtureHeader());
    const rejected: [string, Uint8Array][] = [
      ['coinbase of 19 bytes', replaceField(2, rlpEncode(new Uint8Array(19)))],
      ['a list as extraData', replaceField(12, hexToBytes('0xc180'))],
      ['a number with a leading zero', replaceField(9, hexToBytes('0x820001'))],
      ['a number of 33 bytes', replaceField(11, rlpEncode(new Uint8Array(33).fill(1)))],
      ['lists nested 1024 deep as extraData', replaceField(12, nested(1024))],
    ];
    for (const [name, template] of rejected) {
      const b = buildStart({ template });
      const out = await onChain(BOOT_ENCODING, witnessOf(b), b.local);
      expect(tsStep(b.store, BOOT_ENCODING, b.local).ok, name).toBe(false);
      expect(out.ok, name).toBe(false);
    }
    expect(t.number).toBe(8n);
  }, 120_000);

  it('the EIP-4788 and EIP-2935 system contracts with their canonical code: their writes applied', async () => {
    const h = fixtureHeader();
    const root = keccak256(Uint8Array.of(0x4788));
    const ts = h.timestamp % 8191n;
    const withSystem = (opts: { beacon?: boolean; history?: boolean; slots?: boolean } = {}): MemoryState =>
      parentState({
        extra: (s) => {
          // Earlier ring entries: one slot overwritten, one cleared (zero root), others kept.
          const beaconSlots = opts.slots ? new Map([[ts, 1n], [ts + 8191n, 5n], [3n, 3n]]) : new Map<bigint, bigint>();
          const historySlots = opts.slots ? new Map([[7n % 8191n, 9n], [1n, 1n]]) : new Map<bigint, bigint>();
          if (opts.beacon ?? true) s.put(BEACON_ROOTS_ADDRESS, { code: BEACON_ROOTS_CODE, storage: beaconSlots, nonce: 1n });
          if (opts.history ?? true) s.put(HISTORY_STORAGE_ADDRESS, { code: HISTORY_STORAGE_CODE, storage: historySlots, nonce: 1n });
        },
      });
    const cases: [string, StartSpec, string][] = [
      ['both, prague, a beacon root', { header: { ...h, parentBeaconBlockRoot: root }, state: withSystem() }, 'block start, EIP-4788 and EIP-2935'],
      ['both, prague, zero root over earlier entries', { state: withSystem({ slots: true }) }, 'block start, EIP-4788 and EIP-2935'],
      ['both, osaka', { chain: ETH_OSAKA, header: { ...h, parentBeaconBlockRoot: root }, state: withSystem({ slots: true }) }, 'block start, EIP-4788 and EIP-2935'],
      ['beacon roots only, cancun (no EIP-2935)', { chain: ETH_CANCUN, header: { ...headerUpTo(20), parentBeaconBlockRoot: root }, state: withSystem({ slots: true }) }, 'block start, EIP-4788'],
      ['history only (no beacon root in the template)', { header: headerUpTo(19), state: withSystem() }, 'block start, EIP-2935'],
      ['history only (no beacon contract)', { state: withSystem({ beacon: false }) }, 'block start, EIP-2935'],
      ['beacon only (no history contract)', { state: withSystem({ history: false, slots: true }), header: { ...h, parentBeaconBlockRoot: root } }, 'block start, EIP-4788'],
      ['a short beacon root (calldata padded)', { header: { ...h, parentBeaconBlockRoot: Uint8Array.of(1, 2, 3) }, state: withSystem() }, 'block start, EIP-4788 and EIP-2935'],
      ['neither present', {}, 'block start, no system contracts'],
      ['neither present, cancun', { chain: ETH_CANCUN, header: headerUpTo(20) }, 'block start, no system contracts'],
    ];
    for (const [name, spec, cls] of cases) {
      const b = buildStart(spec);
      const r = await agrees(b.store, BOOT_ENCODING, b.local, cls);
      expect(decodeStepState(r.encoding).status, name).toBe(3);
    }
  }, 120_000);

  it('a system contract holding other code: SystemContractUnsupported', async () => {
    const stop = Uint8Array.of(0x00);
    const b1 = buildStart({ state: parentState({ extra: (s) => s.put(BEACON_ROOTS_ADDRESS, { code: stop }) }) });
    await reverts(b1.store, BOOT_ENCODING, b1.local, 'SystemContractUnsupported', false);
    const b2 = buildStart({ state: parentState({ extra: (s) => s.put(HISTORY_STORAGE_ADDRESS, { code: BEACON_ROOTS_CODE }) }) });
    await reverts(b2.store, BOOT_ENCODING, b2.local, 'SystemContractUnsupported', false);
    // Before Prague the history contract is not called, whatever it holds.
    const b3 = buildStart({ chain: ETH_CANCUN, state: parentState({ extra: (s) => s.put(HISTORY_STORAGE_ADDRESS, { code: stop }) }) });
    await agrees(b3.store, BOOT_ENCODING, b3.local, 'block start, no system contracts');
  });
});

describe('MetisBlockStep block end', () => {
  it('a wrong and a right disputed root, with and without the message passer, across chain kinds and forks', async () => {
    for (const [chain, header] of [
      [HYPERION, fixtureHeader()],
      [DEVNET, fixtureHeader()],
      [ETH_CANCUN, headerUpTo(20)],
      [ETH_OSAKA, fixtureHeader()],
      [HYPERION, headerUpTo(17)],
      [ETH_CANCUN, fixtureHeader()],
    ] as const) {
      for (const passer of [true, false]) {
        const b = buildStart({ chain, header, state: parentState({ passer }) });
        const e = endAfter(b);
        const wrong = await agrees(b.store, e.state, e.local, 'block end, empty bloom');
        expect(decodeStepState(wrong.encoding).status).toBe(STATUS_INVALID);
        const local = { ...e.local, disputedOutputRoot: computedRoot(b.store, e.state, e.local) };
        const right = await agrees(b.store, e.state, local, 'block end, empty bloom');
        expect(decodeStepState(right.encoding).status).toBe(STATUS_VALID);
      }
    }
  }, 120_000);

  it('a non-empty bloom, gas used and receipts filled in from the state', async () => {
    for (const header of [fixtureHeader(), headerUpTo(17), headerUpTo(20)]) {
      const b = buildStart({ header });
      const e = endAfter(b);
      const s = decodeStepState(e.state);
      const bloom = new Uint8Array(256).fill(0x11, 10, 20);
      const state = encodeStepState({ ...s, bloomHash: b.store.put(bloom), gasUsed: 123_456n, blobGasUsed: 262_144n, receiptsRoot: keccak256(Uint8Array.of(1)) });
      const r = await agrees(b.store, state, e.local, 'block end, bloom');
      expect(decodeStepState(r.encoding).status).toBe(STATUS_INVALID);
      const local = { ...e.local, disputedOutputRoot: computedRoot(b.store, state, e.local) };
      await agrees(b.store, state, local, 'block end, bloom');
    }
  });

  it('request contracts with code: RequestContractUnsupported from Prague on; ignored before', async () => {
    for (const target of [WITHDRAWAL_REQUEST_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS]) {
      const b = buildStart({ state: parentState({ extra: (s) => s.put(target, { code: Uint8Array.of(0x00) }) }) });
      const e = endAfter(b);
      await reverts(b.store, e.state, e.local, 'RequestContractUnsupported', false);
      const c = buildStart({ chain: ETH_CANCUN, state: parentState({ extra: (s) => s.put(target, { code: Uint8Array.of(0x00) }) }) });
      const ce = endAfter(c);
      await agrees(c.store, ce.state, ce.local, 'block end, empty bloom');
    }
  });

  it('withdrawals: WithdrawalsUnsupported (the reference does not trace them)', async () => {
    const b = buildStart({ header: { ...fixtureHeader(), withdrawalsRoot: keccak256(Uint8Array.of(1)) } });
    const e = endAfter(b);
    await reverts(b.store, e.state, e.local, 'WithdrawalsUnsupported', true);
  });

  it('steps outside its class: NotBlockStep', async () => {
    const b = buildStart();
    const e = endAfter(b);
    const s = decodeStepState(e.state);
    for (const other of [{ ...s, status: 1 as const }, { ...s, frameHash: keccak256(Uint8Array.of(1)) }, { ...s, resultHash: keccak256(Uint8Array.of(1)) }, { ...s, inputsHash: ZERO32 }]) {
      expect(await onChain(encodeStepState(other), witnessOf(b), e.local)).toEqual({ ok: false, error: 'NotBlockStep' });
    }
  });
});

describe('MetisBlockStep on a larger state', () => {
  it('block start with both system contracts and block end, on 4,000 accounts', async () => {
    const state = parentState({
      extra: (s) => {
        for (let i = 1; i <= 4000; i++) s.put(toAddress('0x' + (0x100000 + i).toString(16).padStart(40, '0')), { balance: BigInt(i) });
        s.put(BEACON_ROOTS_ADDRESS, { code: BEACON_ROOTS_CODE, storage: new Map([[1n, 1n], [2n, 2n]]) });
        s.put(HISTORY_STORAGE_ADDRESS, { code: HISTORY_STORAGE_CODE, storage: new Map([[1n, 1n], [2n, 2n]]) });
      },
    });
    const b = buildStart({ header: { ...fixtureHeader(), parentBeaconBlockRoot: keccak256(Uint8Array.of(9)) }, state });
    await agrees(b.store, BOOT_ENCODING, b.local, 'block start, EIP-4788 and EIP-2935, 4,000 accounts');
    const e = endAfter(b);
    const local = { ...e.local, disputedOutputRoot: computedRoot(b.store, e.state, e.local) };
    await agrees(b.store, e.state, local, 'block end, 4,000 accounts');
  }, 120_000);
});

describe('MetisStepVerifier.step routes block start and block end to MetisBlockStep', () => {
  it('proves both through the verifier, with the game\'s local context', async () => {
    const verifier = await deployMetisStepVerifier(clients, { calls: null, creates: null, transactions: null, blocks: 'MetisBlockStep' });
    const vabi = contractArtifact('MetisStepVerifier').abi;
    const t = blockTrace(HYPERION, fixtureHeader(), TXS(), parentState());
    const right = blockTrace(HYPERION, fixtureHeader(), TXS(), parentState(), t.outputRoot);
    for (const [trace, k] of [
      [right, 0],
      [right, blockStepCount(right) - 1],
      [t, blockStepCount(t) - 1],
    ] as const) {
      const w = blockStepWitness(trace, k);
      const [state, preimages, local] = args(w.state, w.preimages, trace.local);
      const proof = encodeAbiParameters([{ type: 'bytes[]' }], [preimages]);
      const post = await clients.public.readContract({ address: verifier, abi: vabi, functionName: 'step', args: [state, proof, local] });
      expect(post).toBe(bytesToHex(trace.commitments[k + 1]!));
    }
    expect(right.commitments.at(-1)![0]).toBe(STATUS_VALID);
  }, 120_000);
});

describe('MetisBlockStep on a tampered witness', () => {
  for (const [name, make] of [
    ['block start with the system contracts', () => {
      const b = buildStart({
        header: { ...fixtureHeader(), parentBeaconBlockRoot: keccak256(Uint8Array.of(2)) },
        state: parentState({ extra: (s) => { s.put(BEACON_ROOTS_ADDRESS, { code: BEACON_ROOTS_CODE, storage: new Map([[3n, 3n]]) }); s.put(HISTORY_STORAGE_ADDRESS, { code: HISTORY_STORAGE_CODE }); } }),
      });
      return { store: b.store, state: BOOT_ENCODING, local: b.local };
    }],
    ['block start without system contracts', () => {
      const b = buildStart();
      return { store: b.store, state: BOOT_ENCODING, local: b.local };
    }],
    ['block end with a bloom', () => {
      const b = buildStart();
      const e = endAfter(b);
      const state = encodeStepState({ ...decodeStepState(e.state), bloomHash: b.store.put(new Uint8Array(256).fill(3, 0, 1)) });
      return { store: b.store, state, local: e.local };
    }],
  ] as const) {
    it(`never proves the honest post-state from a witness missing a preimage or with a byte flipped: ${name}`, async () => {
      const c = make();
      const honest = mustStep(c.store, c.state, c.local);
      expect(await onChain(c.state, honest.preimages, c.local)).toEqual({ ok: true, post: honest.commitment });
      const codes = new Set([bytesToHex(BEACON_ROOTS_CODE), bytesToHex(HISTORY_STORAGE_CODE)]);
      for (let i = 0; i < honest.preimages.length; i++) {
        const p = honest.preimages[i]!;
        // The system contracts' code is read by the reference (it runs it); L1 knows its hash.
        const needed = !codes.has(bytesToHex(p));
        const dropped = honest.preimages.filter((_, j) => j !== i);
        const flipped = honest.preimages.map((q, j) => (j === i ? flip(q) : q));
        for (const [how, w] of [['dropped', dropped], ['flipped', flipped]] as const) {
          const out = await onChain(c.state, w, c.local);
          if (needed) expect(out.ok, `preimage ${i} ${how}`).toBe(false);
          else expect(out, `code preimage ${i} ${how}`).toEqual({ ok: true, post: honest.commitment });
        }
      }
    }, 300_000);
  }
});

// ---- helpers -----------------------------------------------------------------------------

function flip(b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b);
  c[c.length - 1] = c[c.length - 1]! ^ 1;
  return c;
}

/** An RLP list of already-encoded items. */
function rlpEncodeRaw(items: readonly Uint8Array[]): Uint8Array {
  const payload = new Uint8Array(items.reduce((n, i) => n + i.length, 0));
  let o = 0;
  for (const i of items) {
    payload.set(i, o);
    o += i.length;
  }
  const len = payload.length;
  const lengthBytes: number[] = [];
  for (let x = len; x > 0; x = Math.floor(x / 256)) lengthBytes.unshift(x & 0xff);
  const header = len < 56 ? [0xc0 + len] : [0xf7 + lengthBytes.length, ...lengthBytes];
  return new Uint8Array([...header, ...payload]);
}

/** `depth` lists, each holding the next, the innermost empty. */
function nested(depth: number): Uint8Array {
  let enc = hexToBytes('0xc0');
  for (let i = 1; i < depth; i++) enc = rlpEncodeRaw([enc]);
  return enc;
}

/** The fixture template with item `i` replaced by the encoding `item`. */
function replaceField(i: number, item: Uint8Array): Uint8Array {
  const fields = rlpDecode(encodeHeader(headerTemplate(fixtureHeader()))) as RlpItem[];
  return rlpEncodeRaw(fields.map((f, j) => (j === i ? item : rlpEncode(f as Uint8Array))));
}

/** Every preimage a built case filed (a superset of what any step reads). */
function witnessOf(b: Built): Uint8Array[] {
  return [...b.store.map.values()];
}

