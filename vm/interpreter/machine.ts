// The machine: a stack of call frames driven by one loop. Everything it needs
// to resume lives in `frames`, `logs` and the world journal, so execution can
// stop after any instruction (`step`) and be inspected, hashed or continued.
import type { Address } from '../util/address.js';
import { bytesToHex } from '../util/bytes.js';
import type { WorldState } from '../state/world.js';
import type { BlockEnv, TxEnv } from '../env.js';
import { precompileAt } from '../precompiles/index.js';
import { runInference, type InferenceCall } from '../precompiles/inference.js';
import { EMPTY, newFrame, type Frame, type Message } from './frame.js';
import { ExceptionalHalt, OUT_OF_GAS, type HaltReason } from './errors.js';
import { STACK_OVERFLOW, STACK_UNDERFLOW } from './opcodes.js';
import { GAS_CODE_DEPOSIT, MAX_CODE_SIZE } from './gas.js';
import { opcodeTable, packedTable, type OpTable, type PackedTable } from './opcodes.js';

export interface Log {
  readonly address: Address;
  readonly topics: readonly bigint[];
  readonly data: Uint8Array;
}

/** How the top-level message ended (execution-specs' MessageCallOutput). */
export interface MessageResult {
  readonly success: boolean;
  /** 'revert', an exceptional halt reason, or null on success. */
  readonly error: HaltReason | 'revert' | null;
  readonly output: Uint8Array;
  readonly gasLeft: number;
  /** Refund counter (zero when the message failed). */
  readonly refund: number;
  /** Logs (empty when the message failed). */
  readonly logs: readonly Log[];
  /** EIP-6780 accounts to delete at the end of the transaction. */
  readonly selfdestructs: ReadonlySet<Address>;
  /** Address of the contract a creation made, when it succeeded. */
  readonly createdAddress: Address | null;
}

/** Observes every instruction before it runs (tracing); absent on the fast path. */
export type StepHook = (m: Machine, f: Frame, op: number) => void;

export class Machine {
  readonly frames: Frame[] = [];
  readonly logs: Log[] = [];
  result: MessageResult | null = null;
  readonly table: OpTable;
  private readonly packed: PackedTable;
  /** Calls into precompiles the chain marks unreproducible (ChainRules.unreproducible). */
  readonly unreproducibleCalls: Address[] = [];
  /** Outputs of the inference precompile, in call order: a step proof carries them (the L1 verifier reads a final inference claim, not the model). */
  readonly inferenceOutputs: Uint8Array[] = [];
  /** The successful inference calls (model and input), in call order, reverted frames included. */
  readonly inferenceCalls: InferenceCall[] = [];
  /** Set when the current frame changed (a child entered, or a frame halted). */
  private switched = false;
  /** Called as a message is entered, before its checkpoint (the step prover snapshots commitments here). */
  enterHook: ((m: Machine) => void) | null = null;

  constructor(
    readonly world: WorldState,
    readonly block: BlockEnv,
    readonly tx: TxEnv,
    readonly hook: StepHook | null = null,
  ) {
    this.table = opcodeTable(block.rules);
    this.packed = packedTable(block.rules);
  }

  /** Starts the top-level message of a transaction. */
  begin(msg: Message): void {
    this.enter(msg, 0, 0);
  }

  get done(): boolean {
    return this.result !== null;
  }

  /** Runs to the end of the top-level message. */
  run(): MessageResult {
    while (this.result === null) {
      const f = this.frames[this.frames.length - 1]!;
      try {
        if (this.hook === null) this.runFrame(f);
        else this.runFrameTraced(f, this.hook);
      } catch (e) {
        if (!(e instanceof ExceptionalHalt)) throw e;
        this.finish(f, false, EMPTY, e.reason);
      }
    }
    return this.result;
  }

  /** Executes exactly one instruction of the current frame. Returns false once finished. */
  step(): boolean {
    if (this.result !== null) return false;
    const f = this.frames[this.frames.length - 1]!;
    try {
      this.executeOne(f);
    } catch (e) {
      if (!(e instanceof ExceptionalHalt)) throw e;
      this.finish(f, false, EMPTY, e.reason);
    }
    this.switched = false;
    return this.result === null;
  }

  private runFrame(f: Frame): void {
    const code = f.code;
    const len = code.length;
    const { gas, pop, maxSp, exec } = this.packed;
    for (;;) {
      const pc = f.pc;
      const op = pc < len ? code[pc]! : 0;
      const sp = f.sp;
      if (sp < pop[op]!) throw STACK_UNDERFLOW;
      if (sp > maxSp[op]!) throw STACK_OVERFLOW;
      const g = gas[op]!;
      if (f.gas < g) throw OUT_OF_GAS;
      f.gas -= g;
      f.pc = pc + 1;
      exec[op]!(this, f);
      if (this.switched) {
        this.switched = false;
        return;
      }
    }
  }

  private runFrameTraced(f: Frame, hook: StepHook): void {
    for (;;) {
      hook(this, f, f.pc < f.code.length ? f.code[f.pc]! : 0);
      this.executeOne(f);
      if (this.switched) {
        this.switched = false;
        return;
      }
    }
  }

  private executeOne(f: Frame): void {
    const pc = f.pc;
    const op = pc < f.code.length ? f.code[pc]! : 0;
    const info = this.table[op]!;
    if (f.sp < info.pop) throw info.underflow;
    if (f.sp > info.maxSp) throw info.overflow;
    if (f.gas < info.gas) throw OUT_OF_GAS;
    f.gas -= info.gas;
    f.pc = pc + 1;
    info.exec(this, f);
  }

  /**
   * Starts a child message (execution-specs' process_message / process_create_message):
   * checkpoint, creation bookkeeping, value transfer, then code, a precompile, or nothing.
   */
  enter(msg: Message, retOffset: number, retSize: number): void {
    if (this.enterHook !== null) this.enterHook(this);
    const world = this.world;
    const checkpoint = world.checkpoint();
    const frame = newFrame(msg, checkpoint, this.logs.length, retOffset, retSize);
    this.frames.push(frame);
    this.switched = true;
    if (msg.kind === 'create') {
      world.markCreated(msg.address);
      world.incrementNonce(msg.address);
    }
    if (msg.transfersValue && msg.value !== 0n) world.transfer(msg.caller, msg.address, msg.value);
    if (this.block.chain.unreproducible.length > 0 && this.block.chain.unreproducible.includes(msg.codeAddress)) {
      this.unreproducibleCalls.push(msg.codeAddress);
    }
    const inference = this.block.chain.inference;
    if (inference !== undefined && msg.kind === 'call' && msg.codeAddress === inference.address && !msg.disablePrecompiles) {
      const r = runInference(inference, msg.input, frame.gas);
      if (r.ok) {
        frame.gas -= r.gasUsed;
        this.inferenceOutputs.push(r.output);
        this.inferenceCalls.push({ model: bytesToHex(msg.input.subarray(0, 32)), input: Int8Array.from(new Int8Array(msg.input.buffer, msg.input.byteOffset + 32, msg.input.length - 32)) });
        this.finish(frame, true, r.output, null);
      } else this.finish(frame, false, EMPTY, 'precompile failure');
      return;
    }
    const precompile = msg.kind === 'call' ? precompileAt(msg.codeAddress, this.block.rules) : undefined;
    if (precompile !== undefined) {
      if (msg.disablePrecompiles) {
        this.finish(frame, true, EMPTY, null);
        return;
      }
      const r = precompile(msg.input, frame.gas, this.block.rules);
      if (r.ok && r.gasUsed <= frame.gas) {
        frame.gas -= r.gasUsed;
        this.finish(frame, true, r.output, null);
      } else {
        this.finish(frame, false, EMPTY, 'precompile failure');
      }
      return;
    }
    if (msg.code.length === 0) this.finish(frame, true, EMPTY, null);
  }

  /**
   * Ends the top frame: contract deposit for creations, revert on failure, and
   * the hand-back to the parent (gas, refund, return data, the pushed status).
   */
  finish(f: Frame, success: boolean, output: Uint8Array, error: HaltReason | 'revert' | null): void {
    this.frames.pop();
    this.switched = true;
    const msg = f.msg;
    let gasLeft = f.gas;
    if (success && msg.kind === 'create') {
      let depositError: HaltReason | null = null;
      const cost = GAS_CODE_DEPOSIT * output.length;
      if (output.length > 0 && output[0] === 0xef) depositError = 'invalid contract prefix';
      else if (gasLeft < cost) depositError = 'out of gas';
      else if (output.length > MAX_CODE_SIZE) depositError = 'code size exceeded';
      if (depositError === null) {
        gasLeft -= cost;
        this.world.setCode(msg.address, output);
      } else {
        success = false;
        error = depositError;
        output = EMPTY;
      }
    }
    if (!success) {
      this.world.revert(f.checkpoint);
      this.logs.length = f.logMark;
      if (error !== 'revert') {
        gasLeft = 0;
        output = EMPTY;
      }
    }
    const parent = this.frames.length > 0 ? this.frames[this.frames.length - 1]! : null;
    if (parent === null) {
      this.result = {
        success,
        error,
        output,
        gasLeft,
        refund: success ? f.refund : 0,
        logs: success ? this.logs.slice() : [],
        selfdestructs: success && f.selfdestructs !== null ? f.selfdestructs : new Set(),
        createdAddress: success && msg.kind === 'create' ? msg.address : null,
      };
      return;
    }
    parent.gas += gasLeft;
    if (success) {
      parent.refund += f.refund;
      if (f.selfdestructs !== null) {
        const into = (parent.selfdestructs ??= new Set());
        for (const a of f.selfdestructs) into.add(a);
      }
    }
    if (msg.kind === 'create') {
      parent.stack[parent.sp++] = success ? BigInt(msg.address) : 0n;
      parent.returnData = success ? EMPTY : output;
    } else {
      parent.stack[parent.sp++] = success ? 1n : 0n;
      parent.returnData = output;
      const n = Math.min(f.retSize, output.length);
      if (n > 0) parent.memory.write(f.retOffset, output.subarray(0, n));
    }
  }
}
