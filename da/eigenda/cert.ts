// EigenDA V2-protocol certificates (CertV2, CertV3, CertV4) as the proxy serialises them:
// go-ethereum RLP of the Solidity structs, fields in declaration order, behind a version byte.
//   version byte 0x01 -> EigenDACertV2 { blobInclusionInfo, batchHeader, nonSignerStakesAndSignature, signedQuorumNumbers }
//   version byte 0x02 -> EigenDACertV3 { batchHeader, blobInclusionInfo, nonSignerStakesAndSignature, signedQuorumNumbers }
//   version byte 0x03 -> EigenDACertV4 { ...CertV3 fields, uint16 offchainDerivationVersion }
// (0x00 is the EigenDA V1 certificate, which this module does not handle.)
import { EigenDACertParseError } from './errors.js';
import { rlpDecode, type RlpItem } from './rlp.js';
import type { G1Affine } from './commitment.js';

export type { G1Affine };

/** BN254 G2 point as Solidity's BN254.G2Point: X[0], Y[0] are the imaginary parts (X = X[0]·i + X[1]). */
export interface G2Affine {
  readonly x: readonly [bigint, bigint];
  readonly y: readonly [bigint, bigint];
}

export interface BlobCommitment {
  readonly commitment: G1Affine;
  readonly lengthCommitment: G2Affine;
  readonly lengthProof: G2Affine;
  /** Blob length in 32-byte symbols (a power of two). */
  readonly length: number;
}

export interface BlobHeaderV2 {
  readonly version: number;
  readonly quorumNumbers: Uint8Array;
  readonly commitment: BlobCommitment;
  readonly paymentHeaderHash: Uint8Array;
}

export interface BlobCertificate {
  readonly blobHeader: BlobHeaderV2;
  readonly signature: Uint8Array;
  readonly relayKeys: readonly number[];
}

export interface BlobInclusionInfo {
  readonly blobCertificate: BlobCertificate;
  readonly blobIndex: number;
  readonly inclusionProof: Uint8Array;
}

export interface BatchHeaderV2 {
  readonly batchRoot: Uint8Array;
  readonly referenceBlockNumber: number;
}

export interface NonSignerStakesAndSignature {
  readonly nonSignerQuorumBitmapIndices: readonly number[];
  readonly nonSignerPubkeys: readonly G1Affine[];
  readonly quorumApks: readonly G1Affine[];
  readonly apkG2: G2Affine;
  readonly sigma: G1Affine;
  readonly quorumApkIndices: readonly number[];
  readonly totalStakeIndices: readonly number[];
  readonly nonSignerStakeIndices: readonly (readonly number[])[];
}

/** Proxy version byte of each certificate version. */
export const CERT_VERSION_BYTE = { 2: 0x01, 3: 0x02, 4: 0x03 } as const;
export type CertVersion = keyof typeof CERT_VERSION_BYTE;

export interface EigenDACert {
  readonly certVersion: CertVersion;
  readonly batchHeader: BatchHeaderV2;
  readonly blobInclusionInfo: BlobInclusionInfo;
  readonly nonSignerStakesAndSignature: NonSignerStakesAndSignature;
  readonly signedQuorumNumbers: Uint8Array;
  /** CertV4 only. */
  readonly offchainDerivationVersion?: number;
}

/** The blob commitment (G1 point and length) that verification checks. */
export function blobCommitmentOf(cert: EigenDACert): BlobCommitment {
  return cert.blobInclusionInfo.blobCertificate.blobHeader.commitment;
}

/** How a commitment reaches the proxy (and what it contains). */
export type ProxyCommitment =
  | { readonly mode: 'op-keccak'; readonly hash: Uint8Array; readonly bytes: Uint8Array }
  | { readonly mode: 'op-generic'; readonly cert: EigenDACert; readonly bytes: Uint8Array }
  | { readonly mode: 'standard'; readonly cert: EigenDACert; readonly bytes: Uint8Array };

/** OP alt-DA commitment type bytes and the EigenDA da-layer byte. */
export const OP_KECCAK_COMMITMENT_BYTE = 0x00;
export const OP_GENERIC_COMMITMENT_BYTE = 0x01;
export const EIGENDA_LAYER_BYTE = 0x00;

/**
 * Classifies a commitment: `00 ‖ keccak256` (OP keccak), `01 00 ‖ version ‖ cert` (OP generic),
 * otherwise `version ‖ cert` (standard mode). Unambiguous because RLP certs start with a list
 * byte (≥ 0xc0), never 0x00.
 */
export function parseCommitment(commitment: Uint8Array): ProxyCommitment {
  if (commitment.length === 0) throw new EigenDACertParseError('empty commitment');
  const first = commitment[0]!;
  if (first === OP_KECCAK_COMMITMENT_BYTE) {
    if (commitment.length !== 33) {
      throw new EigenDACertParseError(`OP keccak commitment must be 33 bytes, got ${commitment.length} (EigenDA V1 certs are not supported)`);
    }
    return { mode: 'op-keccak', hash: commitment.slice(1), bytes: commitment };
  }
  if (first === OP_GENERIC_COMMITMENT_BYTE && commitment[1] === EIGENDA_LAYER_BYTE) {
    return { mode: 'op-generic', cert: parseVersionedCert(commitment.subarray(2)), bytes: commitment };
  }
  if (first === OP_GENERIC_COMMITMENT_BYTE && commitment.length > 1 && commitment[1]! < 0xc0) {
    throw new EigenDACertParseError(`OP generic commitment for da layer 0x${commitment[1]!.toString(16).padStart(2, '0')}, not EigenDA (0x00)`);
  }
  return { mode: 'standard', cert: parseVersionedCert(commitment), bytes: commitment };
}

/** Parses a certificate given as `version ‖ rlp(cert)` or as an OP generic commitment `01 00 ‖ version ‖ rlp(cert)`. */
export function parseCertificate(bytes: Uint8Array): EigenDACert {
  const parsed = parseCommitment(bytes);
  if (parsed.mode === 'op-keccak') throw new EigenDACertParseError('an OP keccak commitment carries no certificate');
  return parsed.cert;
}

/** Parses `version ‖ rlp(cert)`. */
export function parseVersionedCert(bytes: Uint8Array): EigenDACert {
  if (bytes.length < 2) throw new EigenDACertParseError('certificate too short');
  const version = bytes[0]!;
  const body = bytes.subarray(1);
  switch (version) {
    case CERT_VERSION_BYTE[2]:
      return parseCertRlp(2, body);
    case CERT_VERSION_BYTE[3]:
      return parseCertRlp(3, body);
    case CERT_VERSION_BYTE[4]:
      return parseCertRlp(4, body);
    case 0x00:
      throw new EigenDACertParseError('EigenDA V1 certificates (version byte 0x00) are not supported');
    default:
      throw new EigenDACertParseError(`unknown certificate version byte 0x${version.toString(16).padStart(2, '0')}`);
  }
}

/** Parses the RLP body of a certificate of a known version. */
export function parseCertRlp(certVersion: CertVersion, rlp: Uint8Array): EigenDACert {
  const root = list(rlpDecode(rlp), `CertV${certVersion}`, certVersion === 4 ? 5 : 4);
  const [a, b, nonSigner, signedQuorums] = root as [RlpItem, RlpItem, RlpItem, RlpItem];
  // CertV2 puts the inclusion info first; V3 and V4 put the batch header first.
  const [inclusion, header] = certVersion === 2 ? [a, b] : [b, a];
  const cert: EigenDACert = {
    certVersion,
    batchHeader: batchHeaderV2(header),
    blobInclusionInfo: blobInclusionInfo(inclusion),
    nonSignerStakesAndSignature: nonSignerStakesAndSignature(nonSigner),
    signedQuorumNumbers: bytes(signedQuorums, 'signedQuorumNumbers'),
    ...(certVersion === 4 ? { offchainDerivationVersion: uint(root[4]!, 'offchainDerivationVersion', 16) } : {}),
  };
  const { length } = blobCommitmentOf(cert);
  if (length === 0 || (length & (length - 1)) !== 0) {
    throw new EigenDACertParseError(`blob length ${length} in the certificate is not a power of two`);
  }
  return cert;
}

function batchHeaderV2(item: RlpItem): BatchHeaderV2 {
  const [root, rbn] = list(item, 'batchHeader', 2) as [RlpItem, RlpItem];
  return { batchRoot: fixedBytes(root, 'batchHeader.batchRoot', 32), referenceBlockNumber: uint(rbn, 'batchHeader.referenceBlockNumber', 32) };
}

function blobInclusionInfo(item: RlpItem): BlobInclusionInfo {
  const [certificate, index, proof] = list(item, 'blobInclusionInfo', 3) as [RlpItem, RlpItem, RlpItem];
  return {
    blobCertificate: blobCertificate(certificate),
    blobIndex: uint(index, 'blobInclusionInfo.blobIndex', 32),
    inclusionProof: bytes(proof, 'blobInclusionInfo.inclusionProof'),
  };
}

function blobCertificate(item: RlpItem): BlobCertificate {
  const [header, signature, relayKeys] = list(item, 'blobCertificate', 3) as [RlpItem, RlpItem, RlpItem];
  return {
    blobHeader: blobHeaderV2(header),
    signature: bytes(signature, 'blobCertificate.signature'),
    relayKeys: uintList(relayKeys, 'blobCertificate.relayKeys', 32),
  };
}

function blobHeaderV2(item: RlpItem): BlobHeaderV2 {
  const [version, quorums, commitment, paymentHash] = list(item, 'blobHeader', 4) as [RlpItem, RlpItem, RlpItem, RlpItem];
  return {
    version: uint(version, 'blobHeader.version', 16),
    quorumNumbers: bytes(quorums, 'blobHeader.quorumNumbers'),
    commitment: blobCommitment(commitment),
    paymentHeaderHash: fixedBytes(paymentHash, 'blobHeader.paymentHeaderHash', 32),
  };
}

function blobCommitment(item: RlpItem): BlobCommitment {
  const [c, lc, lp, len] = list(item, 'blobHeader.commitment', 4) as [RlpItem, RlpItem, RlpItem, RlpItem];
  return {
    commitment: g1(c, 'commitment.commitment'),
    lengthCommitment: g2(lc, 'commitment.lengthCommitment'),
    lengthProof: g2(lp, 'commitment.lengthProof'),
    length: uint(len, 'commitment.length', 32),
  };
}

function nonSignerStakesAndSignature(item: RlpItem): NonSignerStakesAndSignature {
  const f = list(item, 'nonSignerStakesAndSignature', 8);
  const w = 'nonSignerStakesAndSignature';
  return {
    nonSignerQuorumBitmapIndices: uintList(f[0]!, `${w}.nonSignerQuorumBitmapIndices`, 32),
    nonSignerPubkeys: anyList(f[1]!, `${w}.nonSignerPubkeys`).map((p, i) => g1(p, `${w}.nonSignerPubkeys[${i}]`)),
    quorumApks: anyList(f[2]!, `${w}.quorumApks`).map((p, i) => g1(p, `${w}.quorumApks[${i}]`)),
    apkG2: g2(f[3]!, `${w}.apkG2`),
    sigma: g1(f[4]!, `${w}.sigma`),
    quorumApkIndices: uintList(f[5]!, `${w}.quorumApkIndices`, 32),
    totalStakeIndices: uintList(f[6]!, `${w}.totalStakeIndices`, 32),
    nonSignerStakeIndices: anyList(f[7]!, `${w}.nonSignerStakeIndices`).map((l, i) => uintList(l, `${w}.nonSignerStakeIndices[${i}]`, 32)),
  };
}

function g1(item: RlpItem, what: string): G1Affine {
  const [x, y] = list(item, what, 2) as [RlpItem, RlpItem];
  return { x: bigUint(x, `${what}.X`), y: bigUint(y, `${what}.Y`) };
}

function g2(item: RlpItem, what: string): G2Affine {
  const [x, y] = list(item, what, 2) as [RlpItem, RlpItem];
  const [x0, x1] = list(x, `${what}.X`, 2) as [RlpItem, RlpItem];
  const [y0, y1] = list(y, `${what}.Y`, 2) as [RlpItem, RlpItem];
  return {
    x: [bigUint(x0, `${what}.X[0]`), bigUint(x1, `${what}.X[1]`)],
    y: [bigUint(y0, `${what}.Y[0]`), bigUint(y1, `${what}.Y[1]`)],
  };
}

function list(item: RlpItem, what: string, fields: number): RlpItem[] {
  if (!Array.isArray(item)) throw new EigenDACertParseError(`${what}: expected an RLP list`);
  if (item.length !== fields) throw new EigenDACertParseError(`${what}: expected ${fields} fields, got ${item.length}`);
  return item;
}

function anyList(item: RlpItem, what: string): RlpItem[] {
  if (!Array.isArray(item)) throw new EigenDACertParseError(`${what}: expected an RLP list`);
  return item;
}

function bytes(item: RlpItem, what: string): Uint8Array {
  if (Array.isArray(item)) throw new EigenDACertParseError(`${what}: expected an RLP string`);
  return item;
}

function fixedBytes(item: RlpItem, what: string, size: number): Uint8Array {
  const b = bytes(item, what);
  if (b.length !== size) throw new EigenDACertParseError(`${what}: expected ${size} bytes, got ${b.length}`);
  return b;
}

// go-ethereum RLP integers: minimal big-endian, zero is the empty string, no leading zero byte.
function bigUint(item: RlpItem, what: string, maxBits = 256): bigint {
  const b = bytes(item, what);
  if (b.length > 0 && b[0] === 0) throw new EigenDACertParseError(`${what}: integer with a leading zero byte`);
  if (b.length * 8 > maxBits) throw new EigenDACertParseError(`${what}: integer wider than ${maxBits} bits`);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function uint(item: RlpItem, what: string, bits: 16 | 32): number {
  return Number(bigUint(item, what, bits));
}

function uintList(item: RlpItem, what: string, bits: 16 | 32): number[] {
  return anyList(item, what).map((x, i) => uint(x, `${what}[${i}]`, bits));
}
