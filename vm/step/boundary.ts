// The steps around a block's instructions (prover/DESIGN.md §4.2): block start, transaction
// begin, transaction end and block end. Each runs the interpreter's own code for that part of the
// block (system calls, beginTransaction, finishTransaction, request calls) on a world read through
// the committed MPT, so the step machine and the fast executor share one definition.
import { blockRequests, requestsHashOf } from '../block/execute.js';
import { decodeHeader, encodeHeader, headerHash, type BlockHeader } from '../block/header.js';
import { MESSAGE_PASSER, outputRootPreimage } from '../block/output-root.js';
import { encodeReceipt, logsBloom, orBlooms, BLOOM_BYTES } from '../block/receipt.js';
import { BEACON_ROOTS_ADDRESS, HISTORY_STORAGE_ADDRESS, systemCall } from '../block/system.js';
import { toTxRequest } from '../execution/request.js';
import { InvalidTransactionError, beginTransaction, finishTransaction, type PreparedTransaction } from '../execution/transaction.js';
import { Machine, type Log } from '../interpreter/machine.js';
import { rlpDecode, rlpEncode, rlpToList, type RlpItem } from '../rlp/rlp.js';
import { WitnessState, postStateRoot, type StateWitness } from '../state/witness.js';
import { WorldState } from '../state/world.js';
import { EMPTY_TRIE_ROOT, decodeAccount } from '../trie/index.js';
import { MissingNodeError, NodeStore, PartialTrie } from '../state/witness-trie.js';
import { MissingStateError } from '../state/backend.js';
import { decodeTransaction } from '../tx/index.js';
import { addressFromBytes, addressToBytes, type Address } from '../util/address.js';
import { bigIntToBytes, bytesToBigInt, concatBytes, equalBytes } from '../util/bytes.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import { EMPTY_CHAIN, chainTop } from './chain.js';
import { buildTree, readChunk } from './bintree.js';
import { StepError, blockEnvOf, enteredFrameState, scopeRoots, type StepResult } from './execute.js';
import type { Preimages } from './preimages.js';
import {
  STATUS_INVALID,
  STATUS_UNFINISHED,
  STATUS_VALID,
  commitmentOf,
  decodeBlockContext,
  decodeBlockInputs,
  decodeResult,
  decodeTxContext,
  encodeBlockContext,
  encodeBlockInputs,
  encodeFrame,
  encodeResult,
  encodeStepState,
  encodeTxContext,
  type BlockContext,
  type BlockInputs,
  type Snapshot,
  type StepState,
} from './state.js';

/**
 * What the game knows about the block an execution trace argues over (OP's local context): the
 * agreed output root it starts from (its 128-byte preimage must be supplied), the disputed output
 * root, the block number, and the hash of the block's inputs record as the chain committed it.
 */
export interface LocalContext {
  readonly startingOutputRoot: Uint8Array;
  readonly disputedOutputRoot: Uint8Array;
  /** The disputed block, and the block of the starting output (equal past the game's block: no block runs). */
  readonly l2BlockNumber: bigint;
  readonly startingBlockNumber: bigint;
  readonly inputsHash: Uint8Array;
}

const ZERO32 = new Uint8Array(32);
/** keccak of an all-zero 256-byte bloom: the empty bloom needs no preimage. */
export const EMPTY_BLOOM_HASH = keccak256(new Uint8Array(BLOOM_BYTES));

/** The absolute pre-state of every block trace: nothing loaded yet. */
export const BOOT_STATE: StepState = {
  status: STATUS_UNFINISHED,
  blockHash: ZERO32,
  txHash: ZERO32,
  worldRoot: ZERO32,
  txStartRoot: ZERO32,
  accessRoot: ZERO32,
  transientRoot: ZERO32,
  createdRoot: ZERO32,
  selfdestructRoot: ZERO32,
  logsHash: ZERO32,
  logCount: 0,
  frameStackHash: ZERO32,
  frameCount: 0,
  frameHash: ZERO32,
  resultHash: ZERO32,
  inputsHash: ZERO32,
  txIndex: 0,
  gasUsed: 0n,
  blobGasUsed: 0n,
  receiptsRoot: ZERO32,
  bloomHash: ZERO32,
  outputRoot: ZERO32,
};
export const BOOT_ENCODING = encodeStepState(BOOT_STATE);
/** The commitment every execution subgame starts from (the game's ABSOLUTE_PRESTATE). */
export const ABSOLUTE_PRESTATE = commitmentOf(BOOT_ENCODING, STATUS_UNFINISHED);

export type Phase = 'block-start' | 'tx-begin' | 'instruction' | 'tx-end' | 'block-end' | 'halted' | 'finished';

const isZero = (b: Uint8Array): boolean => equalBytes(b, ZERO32);

/**
 * Which step comes next from `s`. A final state (status 0, 1 or 2) steps to itself, as Cannon's
 * exited VM does, so a trace padded with its final state can be stepped anywhere. A
 * transaction-only trace (no inputs) has no step after its message.
 */
export function phaseOf(s: StepState, pre: Preimages): Phase {
  if (s.status !== STATUS_UNFINISHED) return 'halted';
  if (!isZero(s.frameHash)) return 'instruction';
  if (isZero(s.inputsHash)) return isZero(s.blockHash) ? 'block-start' : 'finished';
  if (!isZero(s.resultHash)) return 'tx-end';
  return s.txIndex < inputsOf(pre, s.inputsHash).txCount ? 'tx-begin' : 'block-end';
}

function inputsOf(pre: Preimages, h: Uint8Array): BlockInputs {
  return decodeBlockInputs(pre.preimage(h, 'block inputs'));
}

/** The header with the fields execution produces zeroed: what the block inputs commit to. */
export function headerTemplate(h: BlockHeader): BlockHeader {
  return {
    ...h,
    stateRoot: ZERO32,
    receiptsRoot: ZERO32,
    logsBloom: new Uint8Array(BLOOM_BYTES),
    gasUsed: 0n,
    ...(h.blobGasUsed === undefined ? {} : { blobGasUsed: 0n }),
    ...(h.requestsHash === undefined ? {} : { requestsHash: ZERO32 }),
  };
}

/** Files a block's inputs record and its parts in `pre`; returns the record's hash. */
export function putBlockInputs(pre: Preimages, header: BlockHeader, context: BlockContext, transactions: readonly Uint8Array[]): Uint8Array {
  const headerTemplateHash = pre.put(encodeHeader(headerTemplate(header)));
  const contextHash = pre.put(encodeBlockContext(context));
  const list = new Uint8Array(transactions.length * 32);
  transactions.forEach((raw, i) => list.set(pre.put(raw), i * 32));
  const txListRoot = buildTree(pre, list);
  return pre.put(encodeBlockInputs({ headerTemplateHash, contextHash, txListRoot, txCount: transactions.length }));
}

function result(pre: Preimages, state: StepState, kind: StepResult['kind'], op = 0): StepResult {
  const encoding = encodeStepState(state);
  pre.put(encoding);
  return { state, encoding, commitment: commitmentOf(encoding, state.status), op, kind };
}

/** Between transactions: the transaction-scoped fields are empty. */
function between(s: StepState): StepState {
  return {
    ...s,
    txHash: ZERO32,
    txStartRoot: ZERO32,
    accessRoot: EMPTY_TRIE_ROOT,
    transientRoot: EMPTY_TRIE_ROOT,
    createdRoot: EMPTY_TRIE_ROOT,
    selfdestructRoot: EMPTY_TRIE_ROOT,
    logsHash: EMPTY_CHAIN,
    logCount: 0,
    frameStackHash: EMPTY_CHAIN,
    frameCount: 0,
    frameHash: ZERO32,
    resultHash: ZERO32,
  };
}

/** The block cannot be valid on the agreed parent: every claimed output root is wrong. */
function invalidBlock(pre: Preimages, s: StepState, kind: StepResult['kind']): StepResult {
  return result(pre, { ...s, status: STATUS_INVALID }, kind);
}

function worldAt(pre: Preimages, root: Uint8Array): { witness: StateWitness; world: WorldState } {
  const witness: StateWitness = { stateRoot: root, nodes: pre, codes: pre };
  return { witness, world: new WorldState(new WitnessState(witness)) };
}

function rootAfter(pre: Preimages, witness: StateWitness, world: WorldState): Uint8Array {
  const changes = world.changes();
  for (const c of changes.values()) if (c.account !== null && c.account.code.length > 0) pre.put(c.account.code);
  return postStateRoot(witness, changes, { persist: (enc) => pre.put(enc) });
}

// ---- block start -------------------------------------------------------------------------

export function blockStart(pre: Preimages, s: StepState, local: LocalContext | undefined): StepResult {
  if (local === undefined) throw new StepError('no-context', 'the block-start step needs the local context (starting output root, inputs)');
  if (local.l2BlockNumber <= local.startingBlockNumber) {
    // Past the game's block both outputs name the same block: nothing runs, the roots must be equal.
    const same = equalBytes(local.startingOutputRoot, local.disputedOutputRoot);
    return result(pre, { ...BOOT_STATE, status: same ? STATUS_VALID : STATUS_INVALID, outputRoot: local.startingOutputRoot }, 'block-start');
  }
  const loaded: StepState = { ...between(BOOT_STATE), inputsHash: local.inputsHash, receiptsRoot: EMPTY_TRIE_ROOT, bloomHash: EMPTY_BLOOM_HASH };
  // Inputs the chain never committed: no block can be valid there (the state keeps no inputs,
  // so nothing can step past it).
  if (isZero(local.inputsHash)) return invalidBlock(pre, loaded, 'block-start');
  const out = pre.preimage(local.startingOutputRoot, 'starting output root');
  if (out.length !== 128) throw new StepError('malformed-witness', `the starting output root's preimage is ${out.length} bytes, expected 128`);
  const parentStateRoot = out.slice(32, 64);
  const parentHash = out.slice(96, 128);
  const inputs = inputsOf(pre, local.inputsHash);
  let template: BlockHeader;
  try {
    template = decodeHeader(pre.preimage(inputs.headerTemplateHash, 'header template'));
  } catch (e) {
    if (e instanceof Error && e.name === 'HeaderDecodeError') return invalidBlock(pre, loaded, 'block-start');
    throw e;
  }
  const ctx = decodeBlockContext(pre.preimage(inputs.contextHash, 'block context'));
  if (!templateMatches(pre, template, ctx, parentHash, local.l2BlockNumber)) return invalidBlock(pre, loaded, 'block-start');
  const env = blockEnvOf(pre, ctx);
  const { witness, world } = worldAt(pre, parentStateRoot);
  if (template.parentBeaconBlockRoot !== undefined) systemCall(world, env, BEACON_ROOTS_ADDRESS, template.parentBeaconBlockRoot);
  if (env.rules.isEip2935) systemCall(world, env, HISTORY_STORAGE_ADDRESS, template.parentHash);
  return result(pre, { ...loaded, blockHash: inputs.contextHash, worldRoot: rootAfter(pre, witness, world) }, 'block-start');
}

/** The inputs describe a block on the agreed parent, with its context and execution fields consistent. */
function templateMatches(pre: Preimages, t: BlockHeader, c: BlockContext, parentHash: Uint8Array, number: bigint): boolean {
  const zeroBloom = t.logsBloom.every((b) => b === 0);
  return (
    equalBytes(t.parentHash, parentHash) &&
    t.number === number &&
    c.number === number &&
    c.timestamp === t.timestamp &&
    c.coinbase === t.coinbase &&
    c.gasLimit === t.gasLimit &&
    c.baseFee === (t.baseFeePerGas ?? 0n) &&
    c.prevRandao === bytesToBigInt(t.mixHash) &&
    c.excessBlobGas === (t.excessBlobGas ?? 0n) &&
    isZero(t.stateRoot) &&
    isZero(t.receiptsRoot) &&
    zeroBloom &&
    t.gasUsed === 0n &&
    (t.blobGasUsed ?? 0n) === 0n &&
    (t.requestsHash === undefined || isZero(t.requestsHash)) &&
    (number === 0n || equalBytes(readChunk(pre, c.ancestorsRoot, 0), parentHash))
  );
}

// ---- transaction begin --------------------------------------------------------------------

export function txBegin(pre: Preimages, s: StepState): StepResult {
  const inputs = inputsOf(pre, s.inputsHash);
  const ctx = decodeBlockContext(pre.preimage(s.blockHash, 'block context'));
  const env = blockEnvOf(pre, ctx);
  const raw = pre.preimage(readChunk(pre, inputs.txListRoot, s.txIndex), 'transaction');
  let prepared: PreparedTransaction;
  const { witness, world } = worldAt(pre, s.worldRoot);
  try {
    const tx = decodeTransaction(raw);
    if (tx.chainId !== null && tx.chainId !== ctx.chainId) return invalidBlock(pre, s, 'tx-begin');
    prepared = beginTransaction(world, env, toTxRequest(tx), { gasUsed: s.gasUsed, blobGasUsed: s.blobGasUsed });
  } catch (e) {
    // An undecodable, unsigned or invalid transaction makes the block invalid, as in executeBlock.
    if (e instanceof InvalidTransactionError || (e instanceof Error && /Tx(Decode|Signature)Error/.test(e.name))) return invalidBlock(pre, s, 'tx-begin');
    throw e;
  }
  const blobs = concatBytes(...prepared.txEnv.blobHashes.map((h) => bigIntToBytes(h, 32)));
  const txHash = pre.put(
    encodeTxContext({
      origin: prepared.sender,
      gasPrice: prepared.effectiveGasPrice,
      blobHashesHash: blobs.length === 0 ? KECCAK_EMPTY : pre.put(blobs),
      type: prepared.type,
      gasLimit: prepared.gasLimit,
      intrinsic: prepared.intrinsic,
      floor: prepared.floor,
      blobGas: prepared.blobGas,
      authRefund: prepared.authRefund,
    }),
  );
  const base: StepState = { ...between(s), txHash, txStartRoot: s.worldRoot };
  const m = new Machine(world, env, prepared.txEnv);
  let snapshot: Snapshot | null = null;
  m.enterHook = (mm) => {
    if (snapshot === null && mm.frames.length === 0) snapshot = scopeRoots(pre, base, witness, world, mm.logs, []);
  };
  if (prepared.message !== null) m.begin(prepared.message);
  // A top-level call of the inference precompile ends in this step: its output is what L1 proves
  // from the inference game, so the witness carries it (as an instruction step's does).
  for (const out of m.inferenceOutputs) pre.attest?.(out);
  const created: Address[] = [...world.createdAccounts];
  const createdRoot = secureSet(pre, EMPTY_TRIE_ROOT, created);
  if (prepared.message !== null && m.result === null) {
    // The top-level frame is running: its first instruction is the next step.
    const f = m.frames[0]!;
    if (snapshot === null) throw new Error('the top-level message was entered without a snapshot');
    const roots = scopeRoots(pre, base, witness, world, m.logs, []);
    const frameHash = pre.put(encodeFrame(enteredFrameState(pre, f, snapshot)));
    return result(pre, { ...base, ...roots, createdRoot, frameHash }, 'tx-begin');
  }
  // Nothing to run (a transfer, a precompile, an account without code, an address collision):
  // the message ended inside this step and the world already holds its outcome.
  const r = m.result;
  const roots = scopeRoots(pre, base, witness, world, r?.logs ?? [], r?.selfdestructs ?? []);
  const resultHash = pre.put(
    encodeResult({
      success: r?.success ?? false,
      gasLeft: r?.gasLeft ?? 0,
      refund: r?.refund ?? 0,
      outputRoot: buildTree(pre, r?.output ?? new Uint8Array(0)),
      outputSize: r?.output.length ?? 0,
      outputOffset: 0,
      createdAddress: r?.createdAddress ?? null,
    }),
  );
  return result(pre, { ...base, ...roots, createdRoot, resultHash }, 'tx-begin');
}

/** A secure set of addresses (keccak(address) → 0x01). */
function secureSet(pre: Preimages, root: Uint8Array, addresses: readonly Address[]): Uint8Array {
  if (addresses.length === 0) return root;
  const trie = new PartialTrie(new NodeStore(pre), root);
  for (const a of addresses) trie.put(keccak256(addressToBytes(a)), Uint8Array.of(1));
  trie.newNodes((enc) => pre.put(enc));
  return trie.rootHash();
}

// ---- transaction end ----------------------------------------------------------------------

export function txEnd(pre: Preimages, s: StepState): StepResult {
  const ctx = decodeBlockContext(pre.preimage(s.blockHash, 'block context'));
  const env = blockEnvOf(pre, ctx);
  const t = decodeTxContext(pre.preimage(s.txHash, 'tx context'));
  const r = decodeResult(pre.preimage(s.resultHash, 'message result'));
  if (t.gasLimit - t.intrinsic > 1n << 52n) throw new StepError('unsupported', 'a transaction with more than 2^52 execution gas is not traced');
  const { witness, world } = worldAt(pre, s.worldRoot);
  const selfdestructs = trieValues(pre, s.selfdestructRoot).map((v) => addressFromBytes(v));
  const prepared: PreparedTransaction = {
    type: t.type,
    sender: t.origin,
    gasLimit: t.gasLimit,
    intrinsic: t.intrinsic,
    floor: t.floor,
    effectiveGasPrice: t.gasPrice,
    blobGas: t.blobGas,
    authRefund: t.authRefund,
    txEnv: { origin: t.origin, gasPrice: t.gasPrice, blobHashes: [] },
    message: null,
  };
  const { gasUsed } = finishTransaction(world, env, prepared, { success: r.success, error: r.success ? null : 'revert', gasLeft: r.gasLeft, refund: r.refund, selfdestructs });
  const logs = logsOf(pre, s.logsHash, s.logCount);
  const cumulativeGasUsed = s.gasUsed + gasUsed;
  const bloom = logsBloom(logs);
  const receipt = encodeReceipt({ type: t.type, success: r.success, cumulativeGasUsed, logsBloom: bloom, logs });
  const receiptsRoot = orderedInsert(pre, s.receiptsRoot, s.txIndex, receipt);
  const blockBloom = orBlooms([bloomOf(pre, s.bloomHash), bloom]);
  const bloomHash = blockBloom.every((b) => b === 0) ? EMPTY_BLOOM_HASH : pre.put(blockBloom);
  return result(
    pre,
    {
      ...between(s),
      worldRoot: rootAfter(pre, witness, world),
      txIndex: s.txIndex + 1,
      gasUsed: cumulativeGasUsed,
      blobGasUsed: s.blobGasUsed + t.blobGas,
      receiptsRoot,
      bloomHash,
    },
    'tx-end',
  );
}

function bloomOf(pre: Preimages, h: Uint8Array): Uint8Array {
  if (equalBytes(h, EMPTY_BLOOM_HASH)) return new Uint8Array(BLOOM_BYTES);
  return pre.preimage(h, 'logs bloom');
}

/** The receipts trie is keyed by rlp(index), not hashed. */
function orderedInsert(pre: Preimages, root: Uint8Array, index: number, value: Uint8Array): Uint8Array {
  const trie = new PartialTrie(new NodeStore(pre), root);
  trie.put(rlpEncode(BigInt(index)), value);
  trie.newNodes((enc) => pre.put(enc));
  return trie.rootHash();
}

/** The transaction's logs, oldest first, from the preimages of the logs chain. */
function logsOf(pre: Preimages, head: Uint8Array, count: number): Log[] {
  const { items } = chainTop(pre, head, count, 'log link');
  return items.map((h) => {
    const fields = rlpToList(rlpDecode(pre.preimage(h, 'log')), 'log');
    const [address, topics, data] = fields;
    if (!(address instanceof Uint8Array) || !Array.isArray(topics) || !(data instanceof Uint8Array)) throw new StepError('malformed-witness', 'a log preimage is not [address, topics, data]');
    return {
      address: addressFromBytes(address),
      topics: topics.map((t) => {
        if (!(t instanceof Uint8Array)) throw new StepError('malformed-witness', 'a log topic is not a byte string');
        return bytesToBigInt(t);
      }),
      data,
    };
  });
}

/** Every value stored in the trie under `root` (its nodes read from `pre`). */
export function trieValues(pre: Preimages, root: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (equalBytes(root, EMPTY_TRIE_ROOT)) return out;
  const visit = (node: RlpItem): void => {
    if (node instanceof Uint8Array) {
      if (node.length === 0) return;
      if (node.length !== 32) throw new StepError('malformed-witness', 'a trie reference is neither a hash nor an inline node');
      visit(rlpDecode(pre.preimage(node, 'trie node')));
      return;
    }
    if (node.length === 17) {
      for (let i = 0; i < 16; i++) visit(node[i]!);
      const v = node[16]!;
      if (v instanceof Uint8Array && v.length > 0) out.push(v);
      return;
    }
    if (node.length !== 2 || !(node[0] instanceof Uint8Array)) throw new StepError('malformed-witness', 'a trie node is neither a branch nor a short node');
    const flag = node[0][0]! >> 4;
    if (flag >= 2) {
      const v = node[1]!;
      if (!(v instanceof Uint8Array)) throw new StepError('malformed-witness', 'a trie leaf value is not a byte string');
      out.push(v);
    } else visit(node[1]!);
  };
  visit(root);
  return out;
}

// ---- block end -----------------------------------------------------------------------------

export function blockEnd(pre: Preimages, s: StepState, local: LocalContext | undefined): StepResult {
  if (local === undefined) throw new StepError('no-context', 'the block-end step needs the local context (disputed output root)');
  const inputs = inputsOf(pre, s.inputsHash);
  const template = decodeHeader(pre.preimage(inputs.headerTemplateHash, 'header template'));
  const ctx = decodeBlockContext(pre.preimage(s.blockHash, 'block context'));
  const env = blockEnvOf(pre, ctx);
  if (template.withdrawalsRoot !== undefined && !equalBytes(template.withdrawalsRoot, EMPTY_TRIE_ROOT)) {
    throw new StepError('unsupported', 'blocks with withdrawals are not traced');
  }
  if (env.chain.depositContract !== null && env.rules.isEip7685) throw new StepError('unsupported', 'chains with a deposit contract are not traced');
  const { witness, world } = worldAt(pre, s.worldRoot);
  const requestsHash = env.rules.isEip7685 ? requestsHashOf(blockRequests(world, env, env.chain, [])) : undefined;
  const stateRoot = rootAfter(pre, witness, world);
  const header: BlockHeader = {
    ...template,
    stateRoot,
    receiptsRoot: s.receiptsRoot,
    logsBloom: bloomOf(pre, s.bloomHash),
    gasUsed: s.gasUsed,
    ...(template.blobGasUsed === undefined ? {} : { blobGasUsed: s.blobGasUsed }),
    ...(template.requestsHash === undefined || requestsHash === undefined ? {} : { requestsHash }),
  };
  const blockHash = headerHash(header);
  let mp: Uint8Array | null;
  try {
    mp = new PartialTrie(new NodeStore(pre), stateRoot).get(keccak256(addressToBytes(MESSAGE_PASSER)));
  } catch (e) {
    // Name the account, so a prover with a partial witness knows which proof to fetch.
    if (e instanceof MissingNodeError) throw new MissingStateError('account', MESSAGE_PASSER);
    throw e;
  }
  const mpRoot = mp === null ? EMPTY_TRIE_ROOT : decodeAccount(mp).storageRoot;
  const outputRoot = pre.put(outputRootPreimage(stateRoot, mpRoot, blockHash));
  const status = equalBytes(outputRoot, local.disputedOutputRoot) ? STATUS_VALID : STATUS_INVALID;
  return result(pre, { ...s, status, worldRoot: stateRoot, outputRoot }, 'block-end');
}

