// Typed errors of the EigenDA client. The split matters to derivation: an invalid
// certificate is dropped for good, an unavailable proxy is retried elsewhere.

/** Why a certificate (or the data behind it) was rejected. */
export type InvalidCertReason =
  | 'proxy-418'
  | 'commitment-mismatch'
  | 'length-mismatch'
  | 'keccak-mismatch'
  | 'undecodable';

/** The certificate is invalid or the data does not match it: drop it, never retry. */
export class EigenDAInvalidCertError extends Error {
  override readonly name = 'EigenDAInvalidCertError';
  readonly reason: InvalidCertReason;
  constructor(reason: InvalidCertReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** No proxy could serve the request (429, 5xx, network, timeout): fail over and retry later. */
export class EigenDAUnavailableError extends Error {
  override readonly name = 'EigenDAUnavailableError';
  /** One line per failed attempt, e.g. "http://a:1 503". */
  readonly attempts: readonly string[];
  constructor(message: string, attempts: readonly string[]) {
    super(message);
    this.attempts = attempts;
  }
}

/** The proxy refused the request as malformed (4xx other than 418/429): retrying will not help. */
export class EigenDARequestError extends Error {
  override readonly name = 'EigenDARequestError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A commitment or certificate could not be parsed. */
export class EigenDACertParseError extends Error {
  override readonly name = 'EigenDACertParseError';
}

/** An encoded payload or blob violates the EigenDA codec. */
export class EigenDACodecError extends Error {
  override readonly name = 'EigenDACodecError';
}

/** The SRS file is unreadable or malformed, or too short for a blob. */
export class EigenDASrsError extends Error {
  override readonly name = 'EigenDASrsError';
}
