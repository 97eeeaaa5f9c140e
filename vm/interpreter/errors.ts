// Why a call frame stopped abnormally. Exceptional halts consume all the frame's
// gas; a revert returns the rest. Strings are what traces and `vm run` print.

export type HaltReason =
  | 'out of gas'
  | 'stack underflow'
  | 'stack overflow'
  | 'invalid opcode'
  | 'invalid jump destination'
  | 'write protection'
  | 'return data out of bounds'
  | 'invalid contract prefix'
  | 'code size exceeded'
  | 'init code size exceeded'
  | 'precompile failure'
  | 'address collision'
  | 'call depth exceeded';

/** Thrown inside an instruction; caught by the interpreter loop, never escapes it. */
export class ExceptionalHalt extends Error {
  override readonly name = 'ExceptionalHalt';
  constructor(readonly reason: HaltReason) {
    super(reason);
  }
}

export const OUT_OF_GAS = new ExceptionalHalt('out of gas');
