// The MetisVM step state and its commitment (prover/DESIGN.md, "Step state"). Every record is a
// sequence of 32-byte words (big-endian integers, left-padded addresses), hashed with keccak256;
// the step state's hash carries the VM status in its top byte (Cannon's convention).
import { keccak256 } from '../util/hash.js';
import { addressFromWord, type Address } from '../util/address.js';
import { bytesToBigInt } from '../util/bytes.js';
import type { Preimages } from './preimages.js';

/** Cannon's status byte: 0 valid, 1 invalid, 2 panic, 3 unfinished (still running). */
export const STATUS_VALID = 0;
export const STATUS_INVALID = 1;
export const STATUS_PANIC = 2;
export const STATUS_UNFINISHED = 3;
export type VmStatus = 0 | 1 | 2 | 3;

export class StepStateError extends Error {
  override readonly name = 'StepStateError';
}

const TWO_255 = 1n << 255n;
const TWO_256 = 1n << 256n;

class Words {
  readonly out: Uint8Array;
  private i = 0;
  constructor(n: number) {
    this.out = new Uint8Array(32 * n);
  }
  uint(v: bigint | number): this {
    const o = 32 * this.i++;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      // Small fields (counters, gas, offsets): two 32-bit halves at the word's end, no bigint.
      const view = new DataView(this.out.buffer, this.out.byteOffset + o + 24, 8);
      view.setUint32(0, Math.floor(v / 0x1_0000_0000));
      view.setUint32(4, v >>> 0);
      return this;
    }
    const b = BigInt(v);
    if (b < 0n || b >= TWO_256) throw new StepStateError(`word out of range: ${b}`);
    const view = new DataView(this.out.buffer, this.out.byteOffset + o, 32);
    view.setBigUint64(0, b >> 192n);
    view.setBigUint64(8, (b >> 128n) & 0xffffffffffffffffn);
    view.setBigUint64(16, (b >> 64n) & 0xffffffffffffffffn);
    view.setBigUint64(24, b & 0xffffffffffffffffn);
    return this;
  }
  int(v: bigint | number): this {
    const b = BigInt(v);
    if (b < -TWO_255 || b >= TWO_255) throw new StepStateError(`signed word out of range: ${b}`);
    return this.uint(b < 0n ? b + TWO_256 : b);
  }
  bytes32(b: Uint8Array): this {
    if (b.length !== 32) throw new StepStateError(`expected 32 bytes, got ${b.length}`);
    this.out.set(b, 32 * this.i++);
    return this;
  }
  address(a: Address): this {
    return this.uint(BigInt(a));
  }
}

class Reader {
  private i = 0;
  constructor(
    private readonly b: Uint8Array,
    readonly what: string,
    words: number,
  ) {
    if (b.length !== 32 * words) throw new StepStateError(`${what}: preimage is ${b.length} bytes, expected ${32 * words}`);
  }
  word(): Uint8Array {
    return this.b.subarray(32 * this.i, 32 * ++this.i);
  }
  uint(): bigint {
    return bytesToBigInt(this.word());
  }
  /** A small unsigned field (counters, offsets): must fit a safe integer. */
  num(max = Number.MAX_SAFE_INTEGER): number {
    const w = this.word();
    // Fast path: the top 24 bytes zero, the value in the last 8 (read as two 32-bit halves).
    let high = 0;
    for (let j = 0; j < 24; j++) high |= w[j]!;
    if (high === 0) {
      const view = new DataView(w.buffer, w.byteOffset + 24, 8);
      const v = view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
      if (Number.isSafeInteger(v) && v <= max) return v;
    }
    throw new StepStateError(`${this.what}: field ${this.i - 1} is ${bytesToBigInt(w)}, above ${max}`);
  }
  int(): bigint {
    const v = this.uint();
    return v >= TWO_255 ? v - TWO_256 : v;
  }
  bool(): boolean {
    const v = this.uint();
    if (v > 1n) throw new StepStateError(`${this.what}: field ${this.i - 1} is not a boolean`);
    return v === 1n;
  }
  address(): Address {
    const v = this.uint();
    if (v >> 160n !== 0n) throw new StepStateError(`${this.what}: field ${this.i - 1} is not an address`);
    return addressFromWord(v);
  }
  bytes32(): Uint8Array {
    return this.word().slice();
  }
}

// ---- block and transaction context -------------------------------------------------

export type ChainKind = 'ethereum' | 'hyperion' | 'devnet';
const CHAIN_KINDS: readonly ChainKind[] = ['ethereum', 'hyperion', 'devnet'];
const FORK_IDS = ['cancun', 'prague', 'osaka'] as const;
export type StepFork = (typeof FORK_IDS)[number];

export interface BlockContext {
  readonly chainKind: ChainKind;
  readonly chainId: bigint;
  readonly fork: StepFork;
  readonly number: bigint;
  readonly timestamp: bigint;
  readonly coinbase: Address;
  readonly gasLimit: bigint;
  readonly baseFee: bigint;
  readonly prevRandao: bigint;
  readonly excessBlobGas: bigint;
  /** Bytes tree of the 256 most recent ancestor hashes: chunk d-1 holds the hash of block number-d. */
  readonly ancestorsRoot: Uint8Array;
  /**
   * Secure trie of the inference models registered on the chain (keccak(modelId) → 0x01; the
   * model's encoding is the preimage of its id). Empty: no inference precompile.
   */
  readonly modelsRoot: Uint8Array;
}

const BLOCK_WORDS = 12;

export function encodeBlockContext(b: BlockContext): Uint8Array {
  return new Words(BLOCK_WORDS)
    .uint(CHAIN_KINDS.indexOf(b.chainKind))
    .uint(b.chainId)
    .uint(FORK_IDS.indexOf(b.fork))
    .uint(b.number)
    .uint(b.timestamp)
    .address(b.coinbase)
    .uint(b.gasLimit)
    .uint(b.baseFee)
    .uint(b.prevRandao)
    .uint(b.excessBlobGas)
    .bytes32(b.ancestorsRoot)
    .bytes32(b.modelsRoot).out;
}

export function decodeBlockContext(bytes: Uint8Array): BlockContext {
  const r = new Reader(bytes, 'block context', BLOCK_WORDS);
  const chainKind = CHAIN_KINDS[r.num()];
  const chainId = r.uint();
  const fork = FORK_IDS[r.num()];
  if (chainKind === undefined || fork === undefined) throw new StepStateError('block context: unknown chain kind or fork');
  return {
    chainKind,
    chainId,
    fork,
    number: r.uint(),
    timestamp: r.uint(),
    coinbase: r.address(),
    gasLimit: r.uint(),
    baseFee: r.uint(),
    prevRandao: r.uint(),
    excessBlobGas: r.uint(),
    ancestorsRoot: r.bytes32(),
    modelsRoot: r.bytes32(),
  };
}

export interface TxContext {
  readonly origin: Address;
  readonly gasPrice: bigint;
  /** keccak256 of the concatenated blob versioned hashes (their preimage). */
  readonly blobHashesHash: Uint8Array;
  /** What settlement (the transaction-end step) needs, fixed when the gas was bought. */
  readonly type: number;
  readonly gasLimit: bigint;
  readonly intrinsic: bigint;
  readonly floor: bigint;
  readonly blobGas: bigint;
  readonly authRefund: number;
}

const TX_WORDS = 9;

export function encodeTxContext(t: TxContext): Uint8Array {
  return new Words(TX_WORDS)
    .address(t.origin)
    .uint(t.gasPrice)
    .bytes32(t.blobHashesHash)
    .uint(t.type)
    .uint(t.gasLimit)
    .uint(t.intrinsic)
    .uint(t.floor)
    .uint(t.blobGas)
    .uint(t.authRefund).out;
}

export function decodeTxContext(bytes: Uint8Array): TxContext {
  const r = new Reader(bytes, 'tx context', TX_WORDS);
  return {
    origin: r.address(),
    gasPrice: r.uint(),
    blobHashesHash: r.bytes32(),
    type: r.num(0xff),
    gasLimit: r.uint(),
    intrinsic: r.uint(),
    floor: r.uint(),
    blobGas: r.uint(),
    authRefund: r.num(),
  };
}

// ---- block inputs ----------------------------------------------------------------------

/**
 * What a block is made of before it runs, as the chain's inputs commitment fixes it: the header
 * with its execution fields zeroed, the block context, and the transactions.
 */
export interface BlockInputs {
  /** keccak of the RLP of the header whose stateRoot, receiptsRoot, logsBloom, gasUsed, blobGasUsed and requestsHash are zero. */
  readonly headerTemplateHash: Uint8Array;
  readonly contextHash: Uint8Array;
  /** Byte tree whose chunk i is keccak of transaction i's consensus encoding (its preimage). */
  readonly txListRoot: Uint8Array;
  readonly txCount: number;
}

const INPUTS_WORDS = 4;

export function encodeBlockInputs(b: BlockInputs): Uint8Array {
  return new Words(INPUTS_WORDS).bytes32(b.headerTemplateHash).bytes32(b.contextHash).bytes32(b.txListRoot).uint(b.txCount).out;
}

export function decodeBlockInputs(bytes: Uint8Array): BlockInputs {
  const r = new Reader(bytes, 'block inputs', INPUTS_WORDS);
  return { headerTemplateHash: r.bytes32(), contextHash: r.bytes32(), txListRoot: r.bytes32(), txCount: r.num() };
}

// ---- frames --------------------------------------------------------------------------

/** What a failing frame restores: the commitments as they were when it was entered. */
export interface Snapshot {
  readonly worldRoot: Uint8Array;
  readonly accessRoot: Uint8Array;
  readonly transientRoot: Uint8Array;
  readonly selfdestructRoot: Uint8Array;
  readonly logsHash: Uint8Array;
  readonly logCount: number;
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  return new Words(6).bytes32(s.worldRoot).bytes32(s.accessRoot).bytes32(s.transientRoot).bytes32(s.selfdestructRoot).bytes32(s.logsHash).uint(s.logCount).out;
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const r = new Reader(bytes, 'snapshot', 6);
  return { worldRoot: r.bytes32(), accessRoot: r.bytes32(), transientRoot: r.bytes32(), selfdestructRoot: r.bytes32(), logsHash: r.bytes32(), logCount: r.num() };
}

export interface FrameState {
  readonly kind: 'call' | 'create';
  readonly isStatic: boolean;
  readonly transfersValue: boolean;
  readonly disablePrecompiles: boolean;
  readonly depth: number;
  readonly caller: Address;
  readonly address: Address;
  readonly codeAddress: Address;
  readonly value: bigint;
  /** keccak256 of the running code (its preimage is the code). */
  readonly codeHash: Uint8Array;
  /** The calldata is the window [calldataOffset, calldataOffset + calldataSize) of this byte tree (DESIGN §3.2). */
  readonly calldataRoot: Uint8Array;
  readonly calldataSize: number;
  readonly pc: number;
  readonly gas: number;
  readonly stackHash: Uint8Array;
  readonly stackSize: number;
  readonly memoryRoot: Uint8Array;
  readonly memorySize: number;
  /** The return data is the window [returnDataOffset, returnDataOffset + returnDataSize) of this byte tree. */
  readonly returnDataRoot: Uint8Array;
  readonly returnDataSize: number;
  readonly refund: number;
  readonly retOffset: number;
  readonly retSize: number;
  readonly snapshotHash: Uint8Array;
  /** keccak256 of the instruction still under way (a PendingCopy or PendingHash record, DESIGN §2.9), or zero. */
  readonly pendingHash: Uint8Array;
  /** Where the calldata starts in `calldataRoot`'s tree: a call's input is a window of its caller's memory. */
  readonly calldataOffset: number;
  /** Where the return data starts in `returnDataRoot`'s tree: a frame's output is a window of its memory. */
  readonly returnDataOffset: number;
}

const FRAME_WORDS = 27;

export function encodeFrame(f: FrameState): Uint8Array {
  return new Words(FRAME_WORDS)
    .uint(f.kind === 'create' ? 1 : 0)
    .uint(f.isStatic ? 1 : 0)
    .uint(f.transfersValue ? 1 : 0)
    .uint(f.disablePrecompiles ? 1 : 0)
    .uint(f.depth)
    .address(f.caller)
    .address(f.address)
    .address(f.codeAddress)
    .uint(f.value)
    .bytes32(f.codeHash)
    .bytes32(f.calldataRoot)
    .uint(f.calldataSize)
    .uint(f.pc)
    .uint(f.gas)
    .bytes32(f.stackHash)
    .uint(f.stackSize)
    .bytes32(f.memoryRoot)
    .uint(f.memorySize)
    .bytes32(f.returnDataRoot)
    .uint(f.returnDataSize)
    .int(f.refund)
    .uint(f.retOffset)
    .uint(f.retSize)
    .bytes32(f.snapshotHash)
    .bytes32(f.pendingHash)
    .uint(f.calldataOffset)
    .uint(f.returnDataOffset).out;
}

export function decodeFrame(bytes: Uint8Array): FrameState {
  const r = new Reader(bytes, 'frame', FRAME_WORDS);
  const kind = r.num(1) === 1 ? 'create' : 'call';
  return {
    kind,
    isStatic: r.bool(),
    transfersValue: r.bool(),
    disablePrecompiles: r.bool(),
    depth: r.num(1024),
    caller: r.address(),
    address: r.address(),
    codeAddress: r.address(),
    value: r.uint(),
    codeHash: r.bytes32(),
    calldataRoot: r.bytes32(),
    calldataSize: r.num(),
    pc: r.num(),
    gas: r.num(),
    stackHash: r.bytes32(),
    stackSize: r.num(1024),
    memoryRoot: r.bytes32(),
    memorySize: r.num(),
    returnDataRoot: r.bytes32(),
    returnDataSize: r.num(),
    refund: Number(r.int()),
    retOffset: r.num(),
    retSize: r.num(),
    snapshotHash: r.bytes32(),
    pendingHash: r.bytes32(),
    calldataOffset: r.num(),
    returnDataOffset: r.num(),
  };
}

/**
 * A copy into memory too long for one step (DESIGN §2.9): the instruction's own step charges the
 * gas, expands memory and pops its operands; each following step copies the next piece of at most
 * COPY_CHUNK bytes, which ends at a multiple of COPY_CHUNK in memory, until nothing remains.
 */
export interface PendingCopy {
  /** CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY or MCOPY. */
  readonly op: number;
  /** Where the bytes left to copy go in memory, and where they come from in the source. */
  readonly dst: number;
  readonly src: number;
  readonly remaining: number;
  /** The source: a byte tree's root (calldata, return data) or a code hash (CODECOPY, EXTCODECOPY); zero for MCOPY (memory itself). */
  readonly sourceRoot: Uint8Array;
  readonly sourceSize: number;
}

/** Bytes one copy piece moves at most; a longer copy is split (2 KiB: at most ~3.3M L1 gas a piece). */
export const COPY_CHUNK = 2048;

const COPY_WORDS = 6;

export function encodePendingCopy(c: PendingCopy): Uint8Array {
  return new Words(COPY_WORDS).uint(c.op).uint(c.dst).uint(c.src).uint(c.remaining).bytes32(c.sourceRoot).uint(c.sourceSize).out;
}

export function decodePendingCopy(bytes: Uint8Array): PendingCopy {
  const r = new Reader(bytes, 'pending copy', COPY_WORDS);
  return { op: r.num(0xff), dst: r.num(), src: r.num(), remaining: r.num(), sourceRoot: r.bytes32(), sourceSize: r.num() };
}

/** A KECCAK256 too long for one step (DESIGN §2.9): the memory left to absorb and the sponge so far. */
export interface PendingHash {
  /** KECCAK256 (the piece checks it, as a copy piece checks its op). */
  readonly op: number;
  readonly offset: number;
  readonly remaining: number;
  /** The Keccak-f[1600] state in 7 words (vm/step/sponge.ts encodeSponge). */
  readonly sponge: readonly bigint[];
}

/** Bytes one KECCAK256 piece absorbs: 15 blocks of the 136-byte rate. */
export const HASH_PIECE = 15 * 136;

const HASH_WORDS = 10;

export function encodePendingHash(h: PendingHash): Uint8Array {
  if (h.sponge.length !== 7) throw new StepStateError('a sponge is 7 words');
  const w = new Words(HASH_WORDS).uint(h.op).uint(h.offset).uint(h.remaining);
  for (const x of h.sponge) w.uint(x);
  return w.out;
}

export function decodePendingHash(bytes: Uint8Array): PendingHash {
  const r = new Reader(bytes, 'pending hash', HASH_WORDS);
  const op = r.num(0xff);
  const offset = r.num();
  const remaining = r.num();
  const sponge = Array.from({ length: 7 }, () => r.uint());
  return { op, offset, remaining, sponge };
}

/** Which pending record an encoding is (by its length: 6 words a copy, 10 a hash). */
export function pendingKind(bytes: Uint8Array): 'copy' | 'hash' {
  if (bytes.length === 32 * COPY_WORDS) return 'copy';
  if (bytes.length === 32 * HASH_WORDS) return 'hash';
  throw new StepStateError(`pending record: ${bytes.length} bytes is neither a copy nor a hash`);
}

// ---- the step state ----------------------------------------------------------------

export interface StepState {
  readonly status: VmStatus;
  readonly blockHash: Uint8Array;
  readonly txHash: Uint8Array;
  /** The MPT state root with every write so far applied. */
  readonly worldRoot: Uint8Array;
  /** The state root when the transaction began (EIP-2200 original values). */
  readonly txStartRoot: Uint8Array;
  /** Secure tries (keys hashed) of the transaction-scoped sets and maps. */
  readonly accessRoot: Uint8Array;
  readonly transientRoot: Uint8Array;
  readonly createdRoot: Uint8Array;
  readonly selfdestructRoot: Uint8Array;
  /** Hash chain over keccak256(rlp(log)) of this transaction's logs. */
  readonly logsHash: Uint8Array;
  readonly logCount: number;
  /** Hash chain of the suspended frames' hashes (the caller's on top). */
  readonly frameStackHash: Uint8Array;
  readonly frameCount: number;
  /** The running frame's hash, or zero once the message has ended. */
  readonly frameHash: Uint8Array;
  /** Once the message has ended: keccak256 of its result record. */
  readonly resultHash: Uint8Array;
  /** Hash of the block inputs record (zero in a transaction-only trace). */
  readonly inputsHash: Uint8Array;
  /** The transaction running, or next to begin. */
  readonly txIndex: number;
  /** Gas and blob gas of the block's finished transactions. */
  readonly gasUsed: bigint;
  readonly blobGasUsed: bigint;
  /** Receipts trie of the finished transactions (keys rlp(index)). */
  readonly receiptsRoot: Uint8Array;
  /** keccak of the 256-byte logs bloom of the finished transactions. */
  readonly bloomHash: Uint8Array;
  /** After the block-end step: the output root the block produced. */
  readonly outputRoot: Uint8Array;
}

export const STATE_WORDS = 22;

export function encodeStepState(s: StepState): Uint8Array {
  return new Words(STATE_WORDS)
    .uint(s.status)
    .bytes32(s.blockHash)
    .bytes32(s.txHash)
    .bytes32(s.worldRoot)
    .bytes32(s.txStartRoot)
    .bytes32(s.accessRoot)
    .bytes32(s.transientRoot)
    .bytes32(s.createdRoot)
    .bytes32(s.selfdestructRoot)
    .bytes32(s.logsHash)
    .uint(s.logCount)
    .bytes32(s.frameStackHash)
    .uint(s.frameCount)
    .bytes32(s.frameHash)
    .bytes32(s.resultHash)
    .bytes32(s.inputsHash)
    .uint(s.txIndex)
    .uint(s.gasUsed)
    .uint(s.blobGasUsed)
    .bytes32(s.receiptsRoot)
    .bytes32(s.bloomHash)
    .bytes32(s.outputRoot).out;
}

export function decodeStepState(bytes: Uint8Array): StepState {
  const r = new Reader(bytes, 'step state', STATE_WORDS);
  const status = r.num(3) as VmStatus;
  return {
    status,
    blockHash: r.bytes32(),
    txHash: r.bytes32(),
    worldRoot: r.bytes32(),
    txStartRoot: r.bytes32(),
    accessRoot: r.bytes32(),
    transientRoot: r.bytes32(),
    createdRoot: r.bytes32(),
    selfdestructRoot: r.bytes32(),
    logsHash: r.bytes32(),
    logCount: r.num(),
    frameStackHash: r.bytes32(),
    frameCount: r.num(1024),
    frameHash: r.bytes32(),
    resultHash: r.bytes32(),
    inputsHash: r.bytes32(),
    txIndex: r.num(),
    gasUsed: r.uint(),
    blobGasUsed: r.uint(),
    receiptsRoot: r.bytes32(),
    bloomHash: r.bytes32(),
    outputRoot: r.bytes32(),
  };
}

/** keccak256 of the encoding with its top byte replaced by the status. */
export function commitmentOf(encoded: Uint8Array, status: VmStatus): Uint8Array {
  const h = keccak256(encoded);
  h[0] = status;
  return h;
}

/** Stores the state (by the keccak of its encoding) and returns its commitment. */
export function putStepState(pre: Preimages, s: StepState): Uint8Array {
  const enc = encodeStepState(s);
  pre.put(enc);
  return commitmentOf(enc, s.status);
}

/** The state behind a commitment: its preimage is filed under the hash with the real top byte. */
export function stepStateOf(pre: Preimages, commitment: Uint8Array, rawHash: Uint8Array): StepState {
  const enc = pre.preimage(rawHash, 'step state');
  const s = decodeStepState(enc);
  const c = commitmentOf(enc, s.status);
  for (let i = 0; i < 32; i++) if (c[i] !== commitment[i]) throw new StepStateError('step state preimage does not match the commitment');
  return s;
}

export interface MessageResultRecord {
  readonly success: boolean;
  readonly gasLeft: number;
  readonly refund: number;
  /** The output is the window [outputOffset, outputOffset + outputSize) of this byte tree (the frame's memory). */
  readonly outputRoot: Uint8Array;
  readonly outputSize: number;
  readonly createdAddress: Address | null;
  readonly outputOffset: number;
}

export function encodeResult(r: MessageResultRecord): Uint8Array {
  return new Words(7)
    .uint(r.success ? 1 : 0)
    .uint(r.gasLeft)
    .int(r.refund)
    .bytes32(r.outputRoot)
    .uint(r.outputSize)
    .uint(r.createdAddress === null ? 0n : BigInt(r.createdAddress))
    .uint(r.outputOffset).out;
}

export function decodeResult(bytes: Uint8Array): MessageResultRecord {
  const r = new Reader(bytes, 'message result', 7);
  const success = r.bool();
  const gasLeft = r.num();
  const refund = Number(r.int());
  const outputRoot = r.bytes32();
  const outputSize = r.num();
  const created = r.uint();
  if (created >> 160n !== 0n) throw new StepStateError('message result: created address is not an address');
  const outputOffset = r.num();
  return { success, gasLeft, refund, outputRoot, outputSize, createdAddress: created === 0n ? null : addressFromWord(created), outputOffset };
}
