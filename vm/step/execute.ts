// One MetisVM step over commitments. Given the encoding of a step state and a preimage source,
// hydrate the machine for exactly the next instruction (the current frame with the stack items,
// memory words, calldata and return data it can touch, a world state read through the MPT, the
// transaction-scoped sets through their tries), run that one instruction with the real
// interpreter, and write back what changed into the committed structures.
//
// The same function is the prover (over the trace's full preimage store), the witness generator
// (over a recording store: what it read is the one-step proof) and the reference verifier (over
// the witness alone). prover/DESIGN.md describes the layout it commits to.
import { anvilRules, ethereumRules, hyperionRules, type ChainRules } from '../chain/chain.js';
import { forkRules } from '../chain/forks.js';
import type { BlockEnv, TxEnv } from '../env.js';
import { EMPTY, newFrame, type Frame, type Message } from '../interpreter/frame.js';
import { Machine, type Log } from '../interpreter/machine.js';
import { opcodeTable } from '../interpreter/opcodes.js';
import { word32 } from '../interpreter/instructions/words.js';
import { rlpDecode, rlpEncode, rlpToBigInt } from '../rlp/rlp.js';
import { MissingStateError } from '../state/backend.js';
import { WitnessIncompleteError, WitnessState, postStateRoot, type StateWitness } from '../state/witness.js';
import { MissingNodeError, NodeStore, PartialTrie, WitnessError } from '../state/witness-trie.js';
import { WorldState, type TxScopeReader } from '../state/world.js';
import { EMPTY_TRIE_ROOT } from '../trie/index.js';
import { addressFromWord, addressToBytes, type Address } from '../util/address.js';
import { bytesToBigInt, bytesToHex, concatBytes, equalBytes, hexToBytes, type Hex } from '../util/bytes.js';
import { INFERENCE_PRECOMPILE } from '../precompiles/inference.js';
import { ModelFormatError, decodeModel, type IntModel } from '../../ai/model.js';
import { KECCAK_EMPTY, keccak256 } from '../util/hash.js';
import { stepAccess, type ByteRange, type StepAccess } from './access.js';
import { OP_CODECOPY, OP_EXTCODECOPY, OP_KECCAK256, OP_RETURN, OP_REVERT, isSplit, pendingCopyOf, pendingHashOf, pendingReturnOf, pendingStep, readWindow, returnCopySize, splitsReturn } from './pending.js';
import { EMPTY_TREE_ROOT, buildTree, chunkSpan, readChunk, writeChunk } from './bintree.js';
import { EMPTY_CHAIN, chainPush, chainTop } from './chain.js';
import { MissingPreimageError, codeOf, type Preimages } from './preimages.js';
import { blockEnd, blockStart, phaseOf, txBegin, txEnd, type LocalContext } from './boundary.js';
import {
  STATE_WORDS,
  STATUS_UNFINISHED,
  commitmentOf,
  decodeBlockContext,
  decodeFrame,
  decodeSnapshot,
  decodeStepState,
  decodeTxContext,
  encodeFrame,
  encodePendingCopy,
  encodePendingHash,
  encodeResult,
  encodeSnapshot,
  encodeStepState,
  type BlockContext,
  type FrameState,
  type Snapshot,
  type StepState,
} from './state.js';

export type StepErrorReason =
  | 'finished'
  | 'incomplete-witness'
  | 'malformed-witness'
  | 'commitment-mismatch'
  /** A block-start or block-end step was run without the game's local context. */
  | 'no-context'
  /** A block the step machine does not trace yet (withdrawals, deposit requests). */
  | 'unsupported';

export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly reason: StepErrorReason,
    message: string,
    /** The underlying missing-data error, for callers that can fetch what was missing. */
    readonly detail: unknown = null,
  ) {
    super(message);
  }
}

export interface StepResult {
  readonly state: StepState;
  readonly encoding: Uint8Array;
  readonly commitment: Uint8Array;
  /** What the step did, for traces and logs. */
  readonly op: number;
  readonly kind: StepKind;
}

export type StepKind = 'instruction' | 'piece' | 'enter' | 'return' | 'end' | 'block-start' | 'tx-begin' | 'tx-end' | 'block-end' | 'halted';

const ZERO32 = new Uint8Array(32);

// ---- transaction-scoped tries ----------------------------------------------------------

function addressKey(a: Address): Uint8Array {
  return keccak256(addressToBytes(a));
}

function slotKey(a: Address, slot: bigint): Uint8Array {
  return keccak256(concatBytes(addressToBytes(a), word32(slot)));
}

const ONE = Uint8Array.of(1);

class TxScope implements TxScopeReader {
  private readonly access: PartialTrie;
  private readonly transientTrie: PartialTrie;
  private readonly created: PartialTrie;
  private readonly txStart: WitnessState;

  constructor(store: NodeStore, pre: Preimages, s: StepState) {
    this.access = new PartialTrie(store, s.accessRoot);
    this.transientTrie = new PartialTrie(store, s.transientRoot);
    this.created = new PartialTrie(store, s.createdRoot);
    this.txStart = new WitnessState({ stateRoot: s.txStartRoot, nodes: pre, codes: pre });
  }

  isWarmAddress(address: Address): boolean {
    return this.access.get(addressKey(address)) !== null;
  }

  isWarmSlot(address: Address, slot: bigint): boolean {
    return this.access.get(slotKey(address, slot)) !== null;
  }

  transient(address: Address, slot: bigint): bigint {
    const v = this.transientTrie.get(slotKey(address, slot));
    // Leaves hold rlp(value) (DESIGN §3.3).
    return v === null ? 0n : rlpToBigInt(rlpDecode(v));
  }

  original(address: Address, slot: bigint): bigint {
    return this.txStart.getStorage(address, slot);
  }

  isCreated(address: Address): boolean {
    return this.created.get(addressKey(address)) !== null;
  }
}

/** Applies key updates (null deletes) to the secure trie under `root`; new nodes go to `pre`. */
export function updateTrie(pre: Preimages, root: Uint8Array, updates: Iterable<readonly [Uint8Array, Uint8Array | null]>): Uint8Array {
  const trie = new PartialTrie(new NodeStore(pre), root);
  let changed = false;
  const deletes: Uint8Array[] = [];
  for (const [k, v] of updates) {
    changed = true;
    if (v === null) deletes.push(k);
    else trie.put(k, v);
  }
  if (!changed) return root;
  for (const k of deletes) trie.del(k);
  trie.newNodes((enc) => pre.put(enc));
  return trie.rootHash();
}

// ---- chain and block environment ---------------------------------------------------------

function baseRulesOf(b: BlockContext): ChainRules {
  switch (b.chainKind) {
    case 'ethereum':
      return ethereumRules(b.fork, b.chainId);
    case 'hyperion':
      return hyperionRules(b.chainId, b.fork);
    case 'devnet':
      return anvilRules(b.fork, b.chainId);
  }
}

/** The chain rules a block context commits to; registered models are read through `pre`. */
export function chainRulesOf(b: BlockContext, pre?: Preimages): ChainRules {
  const base = baseRulesOf(b);
  if (pre === undefined || equalBytes(b.modelsRoot, EMPTY_TRIE_ROOT)) return base;
  const registry = new PartialTrie(new NodeStore(pre), b.modelsRoot);
  const models = {
    get(id: Hex): IntModel | undefined {
      const idBytes = hexToBytes(id);
      const entry = registry.get(keccak256(idBytes));
      if (entry === null || !equalBytes(entry, idBytes)) return undefined;
      try {
        return decodeModel(pre.preimage(idBytes, 'inference model'));
      } catch (e) {
        // A registered id whose preimage is not a model cannot be: its id is its encoding's hash.
        if (e instanceof ModelFormatError) throw new StepError('malformed-witness', `model ${id}: ${e.message}`);
        throw e;
      }
    },
  };
  return { ...base, inference: { address: INFERENCE_PRECOMPILE, models } };
}

export function blockEnvOf(pre: Preimages, b: BlockContext): BlockEnv {
  return {
    chain: chainRulesOf(b, pre),
    rules: forkRules(b.fork),
    number: b.number,
    timestamp: b.timestamp,
    coinbase: b.coinbase,
    gasLimit: b.gasLimit,
    baseFee: b.baseFee,
    prevRandao: b.prevRandao,
    excessBlobGas: b.excessBlobGas,
    blockHash: (n) => {
      if (n >= b.number || b.number - n > 256n) return null;
      const v = bytesToBigInt(readChunk(pre, b.ancestorsRoot, Number(b.number - n - 1n)));
      return v === 0n ? null : v;
    },
  };
}

// ---- byte arrays ---------------------------------------------------------------------------

/** A buffer of `size` bytes holding the tree's chunks that cover `ranges` (zero elsewhere). */
function hydrateBytes(pre: Preimages, root: Uint8Array, size: number, ranges: readonly ByteRange[], capacity = size): { buf: Uint8Array; chunks: Map<number, Uint8Array> } {
  const buf = new Uint8Array(Math.max(size, capacity));
  const chunks = new Map<number, Uint8Array>();
  for (const r of ranges) {
    const [from, to] = chunkSpan(r.offset, r.length);
    for (let c = from; c < to; c++) {
      if (chunks.has(c)) continue;
      // Beyond the array's size everything is zero: no proof is needed to know it.
      const chunk = c * 32 < size ? readChunk(pre, root, c) : new Uint8Array(32);
      chunks.set(c, chunk);
      if (c * 32 < buf.length) buf.set(chunk.subarray(0, Math.min(32, buf.length - c * 32)), c * 32);
    }
  }
  return { buf, chunks };
}

/** A byte array as a window of a byte tree (DESIGN §3.2): calldata and return data are windows of the memory they came from. */
export interface TreeWindow {
  readonly root: Uint8Array;
  readonly offset: number;
  readonly size: number;
}

const EMPTY_WINDOW: TreeWindow = { root: EMPTY_TREE_ROOT, offset: 0, size: 0 };

/** `size` bytes starting at `offset` of the tree `root`, or the empty window for none. */
function windowOf(root: Uint8Array, offset: number, size: number): TreeWindow {
  return size === 0 ? EMPTY_WINDOW : { root, offset, size };
}

/** A buffer of the window's `size` bytes holding those in `ranges` (zero elsewhere). */
function hydrateWindow(pre: Preimages, w: TreeWindow, ranges: readonly ByteRange[]): Uint8Array {
  const buf = new Uint8Array(w.size);
  for (const r of ranges) {
    if (r.offset >= w.size) continue;
    buf.set(readWindow(pre, w.root, w.offset, w.size, r.offset, Math.min(r.length, w.size - r.offset)), r.offset);
  }
  return buf;
}

function word(b: Uint8Array): bigint {
  return bytesToBigInt(b);
}

// ---- frames ----------------------------------------------------------------------------------

interface Hydrated {
  readonly state: FrameState;
  readonly frame: Frame;
  /** Chain head below the hydrated stack items, and the index of the first of them. */
  readonly below: Uint8Array;
  readonly base: number;
  /** Memory chunks hydrated, with their contents before the step. */
  readonly memChunks: Map<number, Uint8Array>;
  readonly returnData: Uint8Array;
}

function hydrateFrame(
  pre: Preimages,
  fs: FrameState,
  opts: { stackItems: number; memory: readonly ByteRange[]; calldata: readonly ByteRange[]; returnData: readonly ByteRange[] },
): Hydrated {
  const code = codeOf(pre, fs.codeHash);
  const calldata = hydrateWindow(pre, { root: fs.calldataRoot, offset: fs.calldataOffset, size: fs.calldataSize }, opts.calldata);
  const msg: Message = {
    kind: fs.kind,
    caller: fs.caller,
    address: fs.address,
    codeAddress: fs.codeAddress,
    value: fs.value,
    transfersValue: fs.transfersValue,
    input: calldata,
    code,
    gas: fs.gas,
    isStatic: fs.isStatic,
    depth: fs.depth,
    disablePrecompiles: fs.disablePrecompiles,
  };
  // Journal checkpoint and log mark are local to this hydration: the committed ones are in the
  // frame's snapshot, which a failing frame restores.
  const f = newFrame(msg, 0, 0, fs.retOffset, fs.retSize);
  f.pc = fs.pc;
  f.gas = fs.gas;
  f.refund = fs.refund;
  const n = Math.min(opts.stackItems, fs.stackSize);
  const { below, items } = chainTop(pre, fs.stackHash, n, 'stack link');
  const base = fs.stackSize - n;
  for (let i = 0; i < n; i++) f.stack[base + i] = word(items[i]!);
  f.sp = fs.stackSize;
  if (fs.memorySize > 0) f.memory.grow(fs.memorySize);
  const mem = hydrateBytes(pre, fs.memoryRoot, fs.memorySize, opts.memory, 0);
  for (const [c, chunk] of mem.chunks) if (c * 32 < fs.memorySize) f.memory.buf.set(chunk, c * 32);
  const rd = hydrateWindow(pre, { root: fs.returnDataRoot, offset: fs.returnDataOffset, size: fs.returnDataSize }, opts.returnData);
  f.returnData = rd;
  return { state: fs, frame: f, below, base, memChunks: mem.chunks, returnData: rd };
}

/** The frame after the step; `returnData` is its new return data when a frame below it ended (a window of that frame's memory). */
function dehydrateFrame(pre: Preimages, h: Hydrated, returnData?: TreeWindow): FrameState {
  const f = h.frame;
  let stackHash = h.below;
  for (let i = h.base; i < f.sp; i++) stackHash = chainPush(pre, stackHash, word32(f.stack[i]!));
  let memoryRoot = h.state.memoryRoot;
  const size = f.memory.size;
  for (const [c, before] of h.memChunks) {
    if (c * 32 >= size) continue;
    const now = f.memory.buf.subarray(c * 32, c * 32 + 32);
    if (!equalBytes(now, before)) memoryRoot = writeChunk(pre, memoryRoot, c, now.slice());
  }
  let rd: TreeWindow = { root: h.state.returnDataRoot, offset: h.state.returnDataOffset, size: h.state.returnDataSize };
  // A call that ended inside the step (a precompile, an account without code, a failure) leaves
  // its output as a tree of its own.
  if (returnData !== undefined) rd = returnData;
  else if (f.returnData !== h.returnData) rd = windowOf(buildTree(pre, f.returnData), 0, f.returnData.length);
  return {
    ...h.state,
    pc: f.pc,
    gas: f.gas,
    stackHash,
    stackSize: f.sp,
    memoryRoot,
    memorySize: size,
    returnDataRoot: rd.root,
    returnDataOffset: rd.offset,
    returnDataSize: rd.size,
    refund: f.refund,
  };
}

/**
 * The committed state of a frame the machine has just entered (empty stack and memory). A call's
 * calldata is the window of its caller's memory it was given; otherwise a tree of the input.
 */
export function enteredFrameState(pre: Preimages, f: Frame, snapshot: Snapshot, calldata?: TreeWindow): FrameState {
  const msg = f.msg;
  const cd = calldata ?? windowOf(buildTree(pre, msg.input), 0, msg.input.length);
  return {
    kind: msg.kind,
    isStatic: msg.isStatic,
    transfersValue: msg.transfersValue,
    disablePrecompiles: msg.disablePrecompiles,
    depth: msg.depth,
    caller: msg.caller,
    address: msg.address,
    codeAddress: msg.codeAddress,
    value: msg.value,
    codeHash: msg.code.length === 0 ? KECCAK_EMPTY : pre.put(msg.code),
    calldataRoot: cd.root,
    calldataOffset: cd.offset,
    calldataSize: cd.size,
    pc: f.pc,
    gas: f.gas,
    stackHash: EMPTY_CHAIN,
    stackSize: 0,
    memoryRoot: EMPTY_TREE_ROOT,
    memorySize: 0,
    returnDataRoot: EMPTY_TREE_ROOT,
    returnDataOffset: 0,
    returnDataSize: 0,
    refund: f.refund,
    retOffset: f.retOffset,
    retSize: f.retSize,
    snapshotHash: pre.put(encodeSnapshot(snapshot)),
    pendingHash: ZERO32,
  };
}

// ---- world write-back ------------------------------------------------------------------------

/** The log's RLP becomes the preimage of its chain item: the transaction-end step reads it for the receipt. */
export function putLog(pre: Preimages, log: Log): Uint8Array {
  return pre.put(rlpEncode([addressToBytes(log.address), log.topics.map((t) => word32(t)), log.data]));
}

export function appendLogs(pre: Preimages, head: Uint8Array, logs: readonly Log[]): Uint8Array {
  let h = head;
  for (const l of logs) h = chainPush(pre, h, putLog(pre, l));
  return h;
}

/**
 * The committed roots after what `world`, `logs` and `selfdestructs` hold on top of `s`. The
 * self-destructed set maps each key to the address itself, so the transaction end can list it.
 */
export function scopeRoots(
  pre: Preimages,
  s: Pick<StepState, 'accessRoot' | 'transientRoot' | 'selfdestructRoot' | 'logsHash' | 'logCount'>,
  stateWitness: StateWitness,
  world: WorldState,
  logs: readonly Log[],
  selfdestructs: Iterable<Address>,
): Snapshot {
  const changes = world.changes();
  // New code (creations, EIP-7702 delegations) becomes a preimage: later steps load it by hash.
  for (const c of changes.values()) if (c.account !== null && c.account.code.length > 0) pre.put(c.account.code);
  const worldRoot = postStateRoot(stateWitness, changes, { persist: (enc) => pre.put(enc) });
  const access: [Uint8Array, Uint8Array][] = [];
  for (const r of world.journalSince(0)) {
    if (r.kind === 'warm-address') access.push([addressKey(r.address), ONE]);
    else if (r.kind === 'warm-slot') access.push([slotKey(r.address, r.slot!), ONE]);
  }
  const transient: [Uint8Array, Uint8Array | null][] = [];
  for (const [a, m] of world.transientWrites()) {
    for (const [slot, v] of m) transient.push([slotKey(a, slot), v === 0n ? null : rlpEncode(v)]);
  }
  const sd: [Uint8Array, Uint8Array][] = [...selfdestructs].map((a) => [addressKey(a), addressToBytes(a)]);
  return {
    worldRoot,
    accessRoot: updateTrie(pre, s.accessRoot, access),
    transientRoot: updateTrie(pre, s.transientRoot, transient),
    selfdestructRoot: updateTrie(pre, s.selfdestructRoot, sd),
    logsHash: appendLogs(pre, s.logsHash, logs),
    logCount: s.logCount + logs.length,
  };
}

// ---- the step --------------------------------------------------------------------------------

function wrapMissing<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof MissingPreimageError || e instanceof MissingNodeError || e instanceof MissingStateError || e instanceof WitnessIncompleteError) {
      throw new StepError('incomplete-witness', e.message, e);
    }
    if (e instanceof WitnessError) throw new StepError('malformed-witness', e.message);
    throw e;
  }
}

/**
 * Runs the step at the state encoded by `encoding` (an instruction, or a block or transaction
 * boundary); throws StepError('finished') at the end. `local` is the game's local context, which
 * the block-start and block-end steps read.
 */
export function executeStep(encoding: Uint8Array, pre: Preimages, local?: LocalContext): StepResult {
  return wrapMissing(() => step(encoding, pre, local));
}

function step(encoding: Uint8Array, pre: Preimages, local: LocalContext | undefined): StepResult {
  const s = decodeStepState(encoding);
  switch (phaseOf(s, pre)) {
    case 'finished':
      throw new StepError('finished', 'the message has ended: a transaction-only trace has no next step');
    case 'halted': {
      const state = { ...s };
      return { state, encoding, commitment: commitmentOf(encoding, s.status), op: 0, kind: 'halted' };
    }
    case 'block-start':
      return blockStart(pre, s, local);
    case 'tx-begin':
      return txBegin(pre, s);
    case 'tx-end':
      return txEnd(pre, s);
    case 'block-end':
      return blockEnd(pre, s, local);
    case 'instruction':
      return instruction(pre, s);
  }
}

function instruction(pre: Preimages, s: StepState): StepResult {
  const blockCtx = decodeBlockContext(pre.preimage(s.blockHash, 'block context'));
  const txCtx = decodeTxContext(pre.preimage(s.txHash, 'tx context'));
  const blobBytes = equalBytes(txCtx.blobHashesHash, KECCAK_EMPTY) ? EMPTY : pre.preimage(txCtx.blobHashesHash, 'blob hashes');
  const blobHashes: bigint[] = [];
  for (let i = 0; i + 32 <= blobBytes.length; i += 32) blobHashes.push(word(blobBytes.subarray(i, i + 32)));
  const block = blockEnvOf(pre, blockCtx);
  const txEnv: TxEnv = { origin: txCtx.origin, gasPrice: txCtx.gasPrice, blobHashes };
  const fs = decodeFrame(pre.preimage(s.frameHash, 'frame'));
  // An instruction under way runs its next piece before any other: the step reads nothing else.
  if (!equalBytes(fs.pendingHash, ZERO32)) return { ...pendingStep(pre, s, fs), kind: 'piece' };
  const code = codeOf(pre, fs.codeHash);
  const op = fs.pc < code.length ? code[fs.pc]! : 0x00;
  const info = opcodeTable(block.rules)[op]!;
  const { items } = chainTop(pre, fs.stackHash, Math.min(info.pop, fs.stackSize), 'stack link');
  const operands = items.map(word).reverse();
  // A long copy's or hash's own step touches none of its bytes: the steps after it do (DESIGN §2.9).
  const split = isSplit(op, operands) ? { op, operands } : null;
  // A long output's copy into the caller's memory is the caller's next steps: not hydrated here.
  const splitReturn = splitsReturn(op, operands, fs, s.frameCount > 0);
  const access = split !== null ? NO_ACCESS : stepAccess(op, operands, fs.memorySize, fs.gas, { kind: fs.kind, retSize: fs.retSize, hasCaller: s.frameCount > 0, splitReturn });

  // First pass: the frame alone. A frame that halts with a caller needs the caller too, so the
  // step runs again with it; the first pass read nothing the second does not.
  const ins: Instruction = { op, operands, split, splitReturn };
  const first = run(pre, s, block, txEnv, fs, access, info.pop, null, ins);
  if (first.kind !== 'return-needed') return first.result(op);
  const [parentHash] = chainTop(pre, s.frameStackHash, 1, 'frame stack link').items;
  const parent = decodeFrame(pre.preimage(parentHash!, 'caller frame'));
  const second = run(pre, s, block, txEnv, fs, access, info.pop, parent, ins);
  if (second.kind === 'return-needed') throw new Error('a frame halted twice');
  return second.result(op);
}

const NO_ACCESS: StepAccess = { memory: [], calldata: [], returnData: [] };

type RunOutcome = { kind: 'done'; result: (op: number) => StepResult } | { kind: 'return-needed' };

interface Instruction {
  readonly op: number;
  /** Its stack operands, the top first. */
  readonly operands: readonly bigint[];
  /** A copy or KECCAK256 split across steps (its bytes are not hydrated). */
  readonly split: { readonly op: number; readonly operands: readonly bigint[] } | null;
  /** A call frame's RETURN or REVERT whose copy into the caller's memory is split (pending.ts splitsReturn). */
  readonly splitReturn: boolean;
}

/** Where a CALL-family instruction's input lies in memory: (offset, size) operand indices. */
const CALL_INPUT: Readonly<Record<number, number>> = { 0xf1: 3, 0xf2: 3, 0xf4: 2, 0xfa: 2 };

/**
 * The output of the frame that ended as the window of its memory it came from: non-empty only
 * for RETURN and REVERT, whose first operand is its offset.
 */
function outputWindow(ins: Instruction, memoryRoot: Uint8Array, size: number): TreeWindow {
  if (size === 0) return EMPTY_WINDOW;
  if (ins.op !== OP_RETURN && ins.op !== OP_REVERT) throw new Error(`opcode 0x${ins.op.toString(16)} ended a frame with output`);
  return windowOf(memoryRoot, Number(ins.operands[0]!), size);
}

function run(
  pre: Preimages,
  s: StepState,
  block: BlockEnv,
  txEnv: TxEnv,
  fs: FrameState,
  access: StepAccess,
  stackItems: number,
  parentState: FrameState | null,
  ins: Instruction,
): RunOutcome {
  const { split, splitReturn } = ins;
  const store = new NodeStore(pre);
  const stateWitness: StateWitness = { stateRoot: s.worldRoot, nodes: pre, codes: pre };
  const world = new WorldState(new WitnessState(stateWitness), new TxScope(store, pre, s));
  const m = new Machine(world, block, txEnv);
  const entered: { snapshot: Snapshot | null } = { snapshot: null };
  m.enterHook = (mm) => {
    const sd = new Set<Address>();
    for (const fr of mm.frames) if (fr.selfdestructs !== null) for (const a of fr.selfdestructs) sd.add(a);
    entered.snapshot = scopeRoots(pre, s, stateWitness, world, mm.logs, sd);
  };

  let parent: Hydrated | null = null;
  const copied = returnCopySize(ins.op, ins.operands, fs.retSize);
  if (parentState !== null) {
    parent = hydrateFrame(pre, parentState, {
      stackItems: 0,
      // Only the output's copy is written: min(retSize, size) bytes (none after a halt or STOP).
      memory: copied > 0 && !splitReturn ? [{ offset: fs.retOffset, length: copied }] : [],
      calldata: [],
      returnData: [],
    });
    m.frames.push(parent.frame);
  }
  const cur = hydrateFrame(pre, fs, { stackItems, ...access });
  m.frames.push(cur.frame);

  m.step();
  for (const out of m.inferenceOutputs) pre.attest?.(out);

  const selfdestructs = new Set<Address>();
  for (const h of [parent, cur]) if (h !== null && h.frame.selfdestructs !== null) for (const a of h.frame.selfdestructs) selfdestructs.add(a);
  const created: [Uint8Array, Uint8Array][] = [...world.createdAccounts].map((a) => [addressKey(a), ONE]);
  const createdRoot = updateTrie(pre, s.createdRoot, created);
  // An instruction changes the frames and the transaction-scoped roots; the block fields carry over.
  const finish = (next: Pick<StepState, 'status' | 'worldRoot' | 'accessRoot' | 'transientRoot' | 'selfdestructRoot' | 'logsHash' | 'logCount' | 'frameStackHash' | 'frameCount' | 'frameHash' | 'resultHash'>, kind: StepResult['kind']) => {
    const state: StepState = { ...s, ...next, createdRoot };
    const enc = encodeStepState(state);
    pre.put(enc);
    return (op: number): StepResult => ({ state, encoding: enc, commitment: commitmentOf(enc, state.status), op, kind });
  };
  const restored = (frameState: FrameState): Snapshot => decodeSnapshot(pre.preimage(frameState.snapshotHash, 'snapshot'));

  const depthBefore = parent === null ? 1 : 2;
  const frames = m.frames;

  // The message ended: the top-level frame halted.
  if (m.result !== null && parentState === null) {
    if (s.frameCount > 0) return { kind: 'return-needed' };
    const r = m.result;
    const roots = r.success ? scopeRoots(pre, s, stateWitness, world, m.logs, selfdestructs) : restored(fs);
    // The output is a window of the frame's memory: no tree of it is built, none of it read.
    const out = outputWindow(ins, dehydrateFrame(pre, cur).memoryRoot, r.output.length);
    const resultHash = pre.put(
      encodeResult({ success: r.success, gasLeft: r.gasLeft, refund: r.refund, outputRoot: out.root, outputOffset: out.offset, outputSize: out.size, createdAddress: r.createdAddress }),
    );
    return {
      kind: 'done',
      result: finish({ ...roots, status: STATUS_UNFINISHED, frameStackHash: s.frameStackHash, frameCount: 0, frameHash: ZERO32, resultHash }, 'end'),
    };
  }

  // A frame with a caller halted: the caller resumes.
  if (parent !== null && frames.length === 1 && frames[0] === parent.frame) {
    // The caller's pushed status: 1 or the created address on success, 0 on failure.
    const success = parent.frame.stack[parent.frame.sp - 1] !== 0n;
    const roots = success ? scopeRoots(pre, s, stateWitness, world, m.logs, selfdestructs) : restored(fs);
    // The caller's return data is a window of the callee's memory (after the step's expansion).
    let parentNext = dehydrateFrame(pre, parent, outputWindow(ins, dehydrateFrame(pre, cur).memoryRoot, parent.frame.returnData.length));
    // The machine wrote the output into memory the caller did not hydrate: its pieces write it.
    const copied = Math.min(fs.retSize, parent.frame.returnData.length);
    if (splitReturn && copied > 0) parentNext = { ...parentNext, pendingHash: pre.put(encodePendingCopy(pendingReturnOf(parentNext, fs.retOffset, copied))) };
    const { below } = chainTop(pre, s.frameStackHash, 1, 'frame stack link');
    return {
      kind: 'done',
      result: finish(
        { ...roots, status: STATUS_UNFINISHED, frameStackHash: below, frameCount: s.frameCount - 1, frameHash: pre.put(encodeFrame(parentNext)), resultHash: ZERO32 },
        'return',
      ),
    };
  }

  // A child frame was entered and is running.
  if (frames.length === depthBefore + 1) {
    const child = frames[frames.length - 1]!;
    const snapshot = entered.snapshot;
    if (snapshot === null) throw new Error('a frame was entered without a snapshot');
    const roots = scopeRoots(pre, s, stateWitness, world, m.logs, selfdestructs);
    const callerNext = dehydrateFrame(pre, cur);
    // A call's input is a window of the caller's memory (grown over it by the step); a creation's
    // child has none.
    const at = CALL_INPUT[ins.op];
    const input = at === undefined ? EMPTY_WINDOW : windowOf(callerNext.memoryRoot, Number(ins.operands[at]!), child.msg.input.length);
    const childState = enteredFrameState(pre, child, snapshot, input);
    const frameStackHash = chainPush(pre, s.frameStackHash, pre.put(encodeFrame(callerNext)));
    return {
      kind: 'done',
      result: finish(
        { ...roots, status: STATUS_UNFINISHED, frameStackHash, frameCount: s.frameCount + 1, frameHash: pre.put(encodeFrame(childState)), resultHash: ZERO32 },
        'enter',
      ),
    };
  }

  // An instruction inside the frame (a call that returned within the step included).
  if (frames[frames.length - 1] !== cur.frame) {
    if (parent === null && m.result === null) return { kind: 'return-needed' };
    throw new Error('unexpected frame layout after a step');
  }
  const roots = scopeRoots(pre, s, stateWitness, world, m.logs, selfdestructs);
  // A split KECCAK256 pushes a zero: its last piece puts the digest there.
  if (split?.op === OP_KECCAK256) cur.frame.stack[cur.frame.sp - 1] = 0n;
  let next = dehydrateFrame(pre, cur);
  if (split?.op === OP_KECCAK256) next = { ...next, pendingHash: pre.put(encodePendingHash(pendingHashOf(split.operands))) };
  else if (split !== null) {
    // The instruction did not halt: its bytes are left to the copy steps.
    const { op, operands } = split;
    // The code copied: the frame's own (its hash is in the frame), or the account's just accessed.
    const ext = op === OP_EXTCODECOPY ? world.getCode(addressFromWord(operands[0]!)) : null;
    const code =
      op === OP_CODECOPY
        ? { hash: fs.codeHash, size: cur.frame.msg.code.length }
        : ext === null
          ? null
          : { hash: ext.length === 0 ? KECCAK_EMPTY : pre.put(ext), size: ext.length };
    next = { ...next, pendingHash: pre.put(encodePendingCopy(pendingCopyOf(op, operands, fs, code))) };
  }
  return {
    kind: 'done',
    result: finish({ ...roots, status: STATUS_UNFINISHED, frameStackHash: s.frameStackHash, frameCount: s.frameCount, frameHash: pre.put(encodeFrame(next)), resultHash: ZERO32 }, 'instruction'),
  };
}

/** Checks one step: the witness's state matches `preCommitment`, and returns the post commitment. */
export function verifyStep(
  preCommitment: Uint8Array,
  witness: { readonly state: Uint8Array; readonly preimages: readonly Uint8Array[] },
  store: Preimages,
  local?: LocalContext,
): Uint8Array {
  const enc = witness.state;
  const status = enc.length === STATE_WORDS * 32 ? Number(bytesToBigInt(enc.subarray(0, 32))) : -1;
  if (status < 0 || status > 3 || !equalBytes(commitmentOf(enc, status as 0 | 1 | 2 | 3), preCommitment)) {
    throw new StepError('commitment-mismatch', `the witness's step state does not hash to ${bytesToHex(preCommitment)}`);
  }
  return executeStep(enc, store, local).commitment;
}

