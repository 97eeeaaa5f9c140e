// Errors for Metis Andromeda's batch formats. `reason` is a stable tag for callers and tests;
// the message names the byte offset so an operator can find the bad data.

export type MetisFormatReason =
  | 'too-short'
  | 'da-type'
  | 'compression'
  | 'truncated'
  | 'batch-type'
  | 'transaction'
  | 'trailing-data';

export class MetisFormatError extends Error {
  override readonly name = 'MetisFormatError';
  constructor(
    readonly reason: MetisFormatReason,
    message: string,
  ) {
    super(message);
  }
}
