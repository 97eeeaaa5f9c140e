// Instructions split across steps (prover/DESIGN.md §2.9): a copy into memory or a KECCAK256 of
// more than COPY_CHUNK bytes costs its gas, memory expansion and operands in the instruction's own
// step, which leaves a pending record in the frame; every following step moves (or absorbs) one
// piece through the byte trees, so no step's witness or L1 gas grows with the instruction's length.
import { equalBytes } from '../util/bytes.js';
import { chunkSpan, readChunk, writeChunk } from './bintree.js';
import { codeOf, type Preimages } from './preimages.js';
import { chainPush, chainTop } from './chain.js';
import { absorbBlocks, decodeSponge, emptySponge, encodeSponge, finishSponge } from './sponge.js';
import {
  COPY_CHUNK,
  HASH_PIECE,
  STATUS_UNFINISHED,
  StepStateError,
  commitmentOf,
  decodePendingCopy,
  decodePendingHash,
  encodeFrame,
  encodePendingHash,
  encodePendingCopy,
  encodeStepState,
  pendingKind,
  type FrameState,
  type PendingCopy,
  type PendingHash,
  type StepState,
} from './state.js';

export const OP_KECCAK256 = 0x20;
export const OP_CALLDATACOPY = 0x37;
export const OP_CODECOPY = 0x39;
export const OP_EXTCODECOPY = 0x3c;
export const OP_RETURNDATACOPY = 0x3e;
export const OP_MCOPY = 0x5e;

const ZERO32 = new Uint8Array(32);

/** The copy's length operand (`operands[0]` the top of the stack), for the copy instructions. */
export function copyLength(op: number, operands: readonly bigint[]): bigint | null {
  switch (op) {
    case OP_CALLDATACOPY:
    case OP_CODECOPY:
    case OP_RETURNDATACOPY:
    case OP_MCOPY:
      return operands[2] ?? 0n;
    case OP_EXTCODECOPY:
      return operands[3] ?? 0n;
    default:
      return null;
  }
}

/** Whether the instruction is split across steps: a copy or KECCAK256 of more than COPY_CHUNK bytes. */
export function isSplit(op: number, operands: readonly bigint[]): boolean {
  const len = op === OP_KECCAK256 ? (operands[1] ?? 0n) : copyLength(op, operands);
  return len !== null && len > BigInt(COPY_CHUNK);
}

export const OP_RETURN = 0xf3;
export const OP_REVERT = 0xfd;

/**
 * Whether a call frame's RETURN or REVERT leaves its output's copy into the caller's memory to
 * the caller's next steps: more than COPY_CHUNK bytes of it land there (min(retSize, size)). The
 * output itself is still read and becomes the caller's return data in the step (DESIGN §2.9).
 */
export function splitsReturn(op: number, operands: readonly bigint[], fs: Pick<FrameState, 'kind' | 'retSize'>, hasCaller: boolean): boolean {
  if (fs.kind !== 'call' || !hasCaller) return false;
  return returnCopySize(op, operands, fs.retSize) > COPY_CHUNK;
}

/** The bytes a RETURN or REVERT (operands offset, size) copies into its caller's output area: min(size, retSize); 0 for any other instruction. */
export function returnCopySize(op: number, operands: readonly bigint[], retSize: number): number {
  if (op !== OP_RETURN && op !== OP_REVERT) return 0;
  const size = operands[1] ?? 0n;
  return size < BigInt(retSize) ? Number(size) : retSize;
}

/** The copy a split return leaves on the caller: its new return data (the output) into [retOffset, retOffset + n). */
export function pendingReturnOf(caller: FrameState, retOffset: number, n: number): PendingCopy {
  return windowCopy(OP_RETURNDATACOPY, retOffset, 0, n, caller.returnDataRoot, caller.returnDataOffset, caller.returnDataSize);
}

/**
 * A copy from the window [offset, offset + size) of a byte tree, recorded in tree positions: `src`
 * from the window's start and `sourceSize` its end (the record has no offset of its own).
 */
function windowCopy(op: number, dst: number, src: number, remaining: number, root: Uint8Array, offset: number, size: number): PendingCopy {
  return { op, dst, src: Math.min(offset + src, SOURCE_OFFSET_CAP), remaining, sourceRoot: root, sourceSize: offset + size };
}

/** The hash left after a split KECCAK256's own step: all its memory, an empty sponge. */
export function pendingHashOf(operands: readonly bigint[]): PendingHash {
  return { op: OP_KECCAK256, offset: Number(operands[0]!), remaining: Number(operands[1]!), sponge: encodeSponge(emptySponge()) };
}

/** Sources past this offset are all zero (no code or byte tree is this long): larger offsets are clamped to it. */
export const SOURCE_OFFSET_CAP = 2 ** 40;

/**
 * The copy left after the instruction's own step: its operands and where its bytes come from.
 * `code` is the code copied for CODECOPY (the frame's) and EXTCODECOPY (the account's).
 */
export function pendingCopyOf(op: number, operands: readonly bigint[], fs: FrameState, code: { hash: Uint8Array; size: number } | null): PendingCopy {
  const at = op === OP_EXTCODECOPY ? 1 : 0;
  const dst = Number(operands[at]!);
  const srcWord = operands[at + 1]!;
  const src = srcWord > BigInt(SOURCE_OFFSET_CAP) ? SOURCE_OFFSET_CAP : Number(srcWord);
  const remaining = Number(operands[at + 2]!);
  switch (op) {
    case OP_CALLDATACOPY:
      return windowCopy(op, dst, src, remaining, fs.calldataRoot, fs.calldataOffset, fs.calldataSize);
    case OP_RETURNDATACOPY:
      return windowCopy(op, dst, src, remaining, fs.returnDataRoot, fs.returnDataOffset, fs.returnDataSize);
    case OP_MCOPY:
      return { op, dst, src, remaining, sourceRoot: ZERO32, sourceSize: 0 };
    case OP_CODECOPY:
    case OP_EXTCODECOPY:
      if (code === null) throw new Error('a code copy split without its code');
      return { op, dst, src, remaining, sourceRoot: code.hash, sourceSize: code.size };
    default:
      throw new Error(`opcode 0x${op.toString(16)} is not a copy`);
  }
}

/**
 * The next piece of a pending copy: [dst, dst + n) from [src, src + n). Forward pieces end at the
 * next multiple of COPY_CHUNK in memory; an MCOPY to a higher address goes backward from the end
 * (as memmove must, the source ahead of the destination not yet overwritten).
 */
export function nextPiece(c: PendingCopy): { dst: number; src: number; length: number; rest: PendingCopy | null } {
  if (c.op === OP_MCOPY && c.dst > c.src) {
    const end = c.dst + c.remaining;
    const start = Math.max(c.dst, Math.floor((end - 1) / COPY_CHUNK) * COPY_CHUNK);
    const length = end - start;
    const rest = c.remaining === length ? null : { ...c, remaining: c.remaining - length };
    return { dst: start, src: c.src + (start - c.dst), length, rest };
  }
  const length = Math.min(c.remaining, COPY_CHUNK - (c.dst % COPY_CHUNK));
  const rest = c.remaining === length ? null : { ...c, dst: c.dst + length, src: c.src + length, remaining: c.remaining - length };
  return { dst: c.dst, src: c.src, length, rest };
}

/** `length` bytes of a byte tree from `offset`; chunks at or past `size` read as zero without proof. */
export function readTreeBytes(pre: Preimages, root: Uint8Array, size: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const [from, to] = chunkSpan(offset, length);
  for (let c = from; c < to; c++) {
    if (c * 32 >= size) break;
    const chunk = readChunk(pre, root, c);
    const lo = Math.max(offset, c * 32);
    const hi = Math.min(offset + length, c * 32 + 32);
    out.set(chunk.subarray(lo - c * 32, hi - c * 32), lo - offset);
  }
  return out;
}

/**
 * `length` bytes from `src` of the window [offset, offset + size) of a byte tree: zero past the
 * window's end, whatever the tree holds there (a window of memory is followed by more memory).
 * Only the bytes inside the window are read, so only their chunks' paths are in the witness.
 */
export function readWindow(pre: Preimages, root: Uint8Array, offset: number, size: number, src: number, length: number): Uint8Array {
  if (src >= size || length === 0) return new Uint8Array(length);
  const n = Math.min(length, size - src);
  const inside = readTreeBytes(pre, root, offset + size, offset + src, n);
  if (n === length) return inside;
  const out = new Uint8Array(length);
  out.set(inside);
  return out;
}

/**
 * The root after writing `bytes` at `offset` of a tree of `size` bytes (chunks partly covered keep
 * their other bytes). Every chunk is read before any is written: a node a write creates can equal
 * one of the old tree (repeated data), and the old one must still be read into the witness.
 */
export function writeTreeBytes(pre: Preimages, root: Uint8Array, size: number, offset: number, bytes: Uint8Array): Uint8Array {
  const [from, to] = chunkSpan(offset, bytes.length);
  const before: Uint8Array[] = [];
  for (let c = from; c < to; c++) before.push(c * 32 < size ? readChunk(pre, root, c) : new Uint8Array(32));
  let r = root;
  for (let c = from; c < to; c++) {
    const old = before[c - from]!;
    const now = old.slice();
    const lo = Math.max(offset, c * 32);
    const hi = Math.min(offset + bytes.length, c * 32 + 32);
    now.set(bytes.subarray(lo - offset, hi - offset), lo - c * 32);
    if (!equalBytes(now, old)) r = writeChunk(pre, r, c, now);
  }
  return r;
}

/** The bytes of `c`'s source at [src, src + length) (zero past its end). */
function sourceBytes(pre: Preimages, fs: FrameState, c: PendingCopy, src: number, length: number): Uint8Array {
  if (c.op === OP_MCOPY) return readTreeBytes(pre, fs.memoryRoot, fs.memorySize, src, length);
  if (c.op === OP_CODECOPY || c.op === OP_EXTCODECOPY) {
    const code = codeOf(pre, c.sourceRoot);
    const out = new Uint8Array(length);
    if (src < code.length) out.set(code.subarray(src, Math.min(code.length, src + length)));
    return out;
  }
  // Tree positions: a window's bytes past its end are masked by sourceSize (windowCopy).
  return readWindow(pre, c.sourceRoot, 0, c.sourceSize, src, length);
}

type PieceResult = { state: StepState; encoding: Uint8Array; commitment: Uint8Array; op: number };

/** The step of a frame with a pending record: one piece of its copy or hash. */
export function pendingStep(pre: Preimages, s: StepState, fs: FrameState): PieceResult {
  const rec = pre.preimage(fs.pendingHash, 'pending record');
  return pendingKind(rec) === 'copy' ? copyPiece(pre, s, fs, decodePendingCopy(rec)) : hashPiece(pre, s, fs, decodePendingHash(rec));
}

function sealed(pre: Preimages, s: StepState, frame: FrameState, op: number): PieceResult {
  const state: StepState = { ...s, status: STATUS_UNFINISHED, frameHash: pre.put(encodeFrame(frame)) };
  const encoding = encodeStepState(state);
  pre.put(encoding);
  return { state, encoding, commitment: commitmentOf(encoding, state.status), op };
}

function copyPiece(pre: Preimages, s: StepState, fs: FrameState, c: PendingCopy): PieceResult {
  if (![OP_CALLDATACOPY, OP_CODECOPY, OP_EXTCODECOPY, OP_RETURNDATACOPY, OP_MCOPY].includes(c.op) || c.remaining === 0 || c.dst + c.remaining > fs.memorySize) {
    throw new StepStateError(`pending copy ${c.op} of ${c.remaining} bytes to ${c.dst} is not one a step leaves (memory is ${fs.memorySize} bytes)`);
  }
  const piece = nextPiece(c);
  const data = sourceBytes(pre, fs, c, piece.src, piece.length);
  const memoryRoot = writeTreeBytes(pre, fs.memoryRoot, fs.memorySize, piece.dst, data);
  const pendingHash = piece.rest === null ? ZERO32 : pre.put(encodePendingCopy(piece.rest));
  return sealed(pre, s, { ...fs, memoryRoot, pendingHash }, c.op);
}

/** HASH_PIECE bytes absorbed, or the rest padded and the digest put in place of the stack's top. */
function hashPiece(pre: Preimages, s: StepState, fs: FrameState, h: PendingHash): PieceResult {
  if (h.op !== OP_KECCAK256 || h.remaining === 0 || h.offset + h.remaining > fs.memorySize || fs.stackSize === 0) {
    throw new StepStateError(`pending hash ${h.op} of ${h.remaining} bytes at ${h.offset} is not one a step leaves (memory is ${fs.memorySize} bytes)`);
  }
  let sponge: bigint[];
  try {
    sponge = decodeSponge(h.sponge);
  } catch (e) {
    throw new StepStateError(`pending hash: ${(e as Error).message}`);
  }
  if (h.remaining > HASH_PIECE) {
    absorbBlocks(sponge, readTreeBytes(pre, fs.memoryRoot, fs.memorySize, h.offset, HASH_PIECE));
    const rest: PendingHash = { ...h, offset: h.offset + HASH_PIECE, remaining: h.remaining - HASH_PIECE, sponge: encodeSponge(sponge) };
    return sealed(pre, s, { ...fs, pendingHash: pre.put(encodePendingHash(rest)) }, OP_KECCAK256);
  }
  const digest = finishSponge(sponge, readTreeBytes(pre, fs.memoryRoot, fs.memorySize, h.offset, h.remaining));
  const { below } = chainTop(pre, fs.stackHash, 1, 'stack link');
  return sealed(pre, s, { ...fs, stackHash: chainPush(pre, below, digest), pendingHash: ZERO32 }, OP_KECCAK256);
}
