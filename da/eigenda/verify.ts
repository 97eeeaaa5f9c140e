// Checks that an encoded payload is the blob a certificate commits to, then decodes it.
import { keccak256 } from '../../vm/util/hash.js';
import { equalBytes } from '../../vm/util/bytes.js';
import { blobCommitmentOf, type EigenDACert } from './cert.js';
import { BYTES_PER_SYMBOL, decodePayload, encodedPayloadToCoefficients } from './codec.js';
import { commitToCoefficients, equalG1, type G1Affine } from './commitment.js';
import { EigenDACodecError, EigenDAInvalidCertError, EigenDASrsError } from './errors.js';
import type { G1Srs } from './srs.js';

export interface VerifiedBlob {
  readonly payload: Uint8Array;
  /** Blob length in symbols (as in the certificate). */
  readonly lengthSymbols: number;
  readonly commitment: G1Affine;
}

/**
 * Verifies `encodedPayload` (evaluation form, as the proxy returns with return_encoded_payload=true)
 * against the certificate: symbol count equals the certificate's length, the MSM of the SRS with the
 * blob's coefficients equals its G1 commitment, and the payload decodes.
 * Throws EigenDAInvalidCertError on any mismatch, EigenDASrsError if the SRS is too short.
 */
export function verifyEncodedPayload(cert: EigenDACert, encodedPayload: Uint8Array, srs: G1Srs): VerifiedBlob {
  const { commitment, length } = blobCommitmentOf(cert);
  if (encodedPayload.length !== length * BYTES_PER_SYMBOL) {
    throw new EigenDAInvalidCertError(
      'length-mismatch',
      `certificate commits to ${length} symbols, the proxy returned ${encodedPayload.length} bytes`,
    );
  }
  if (length > srs.points.length) {
    throw new EigenDASrsError(`blob of ${length} symbols exceeds the ${srs.points.length}-point SRS loaded (pass a larger SRS)`);
  }
  let coefficients: bigint[];
  try {
    coefficients = encodedPayloadToCoefficients(encodedPayload);
  } catch (err) {
    if (err instanceof EigenDACodecError) {
      throw new EigenDAInvalidCertError('commitment-mismatch', `returned blob is not a vector of field elements: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const computed = commitToCoefficients(srs, coefficients);
  if (!equalG1(computed, commitment)) {
    throw new EigenDAInvalidCertError(
      'commitment-mismatch',
      `blob commitment (0x${computed.x.toString(16)}, …) does not match the certificate's (0x${commitment.x.toString(16)}, …)`,
    );
  }
  let payload: Uint8Array;
  try {
    payload = decodePayload(encodedPayload);
  } catch (err) {
    if (err instanceof EigenDACodecError) {
      // The blob is what the certificate commits to, but it is not a valid encoding: the cert is dropped.
      throw new EigenDAInvalidCertError('undecodable', `blob does not decode: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return { payload, lengthSymbols: length, commitment: computed };
}

/** Checks data fetched under an OP keccak commitment. */
export function verifyKeccak(hash: Uint8Array, data: Uint8Array): Uint8Array {
  if (!equalBytes(keccak256(data), hash)) {
    throw new EigenDAInvalidCertError('keccak-mismatch', 'data returned for an OP keccak commitment does not hash to it');
  }
  return data;
}
