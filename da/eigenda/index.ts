// EigenDA: proxy client, certificates, payload codec and commitment verification.
export { EigenDAClient, type EigenDAClientOptions, type EigenDALogger, type GetResult, type PutMode } from './client.js';
export {
  parseCertificate,
  parseCommitment,
  parseVersionedCert,
  parseCertRlp,
  blobCommitmentOf,
  CERT_VERSION_BYTE,
  OP_KECCAK_COMMITMENT_BYTE,
  OP_GENERIC_COMMITMENT_BYTE,
  EIGENDA_LAYER_BYTE,
  type CertVersion,
  type EigenDACert,
  type ProxyCommitment,
  type BatchHeaderV2,
  type BlobInclusionInfo,
  type BlobCertificate,
  type BlobHeaderV2,
  type BlobCommitment,
  type NonSignerStakesAndSignature,
  type G2Affine,
} from './cert.js';
export {
  encodePayload,
  decodePayload,
  encodedPayloadSymbols,
  bytesToFieldElements,
  fieldElementsToBytes,
  encodedPayloadToCoefficients,
  coefficientsToEncodedPayload,
  BYTES_PER_SYMBOL,
} from './codec.js';
export { commitToCoefficients, equalG1, type G1Affine } from './commitment.js';
export { loadSrs, srsFromBytes, decompressG1, type G1Srs, type G1 } from './srs.js';
export { verifyEncodedPayload, verifyKeccak, type VerifiedBlob } from './verify.js';
export { fft, ifft, rootOfUnity, FR_MODULUS } from './field.js';
export {
  EigenDAInvalidCertError,
  EigenDAUnavailableError,
  EigenDARequestError,
  EigenDACertParseError,
  EigenDACodecError,
  EigenDASrsError,
  type InvalidCertReason,
} from './errors.js';
