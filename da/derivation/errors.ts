// Typed errors of the derivation core. Each carries a short machine-readable reason so callers
// can turn a rejection into a drop event (and a log line) without parsing messages.

export type FrameErrorReason =
  | 'empty-payload'
  | 'unknown-version'
  | 'alt-da-commitment'
  | 'truncated-frame'
  | 'frame-too-large'
  | 'invalid-is-last'
  | 'no-frames';

/** A batcher-transaction payload that does not parse; the spec drops all of its frames. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export type CompressionErrorReason = 'unknown-compression' | 'brotli-before-fjord' | 'empty-channel';

/** Channel data whose compression cannot even be identified (nothing is decompressed). */
export class CompressionError extends Error {
  override readonly name = 'CompressionError';
  constructor(
    readonly reason: CompressionErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** A batch (singular or span) that does not decode or cannot be expanded into L2 blocks. */
export class BatchDecodeError extends Error {
  override readonly name = 'BatchDecodeError';
}

/** The encoder was given something it cannot turn into batches or frames. */
export class BatchEncodeError extends Error {
  override readonly name = 'BatchEncodeError';
}

/** Misuse of the pipeline API (e.g. L1 blocks fed out of order). */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
}
