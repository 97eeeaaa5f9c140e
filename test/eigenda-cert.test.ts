// Certificate and commitment parsing. The certificates are encoded by the test double from the
// Solidity struct layouts with viem's RLP encoder, independently of the parser under test.
import { describe, expect, it } from 'vitest';
import { toRlp } from 'viem';
import { bn254 } from '@noble/curves/bn254.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { blobCommitmentOf, EigenDACertParseError, parseCertificate, parseCommitment } from '../da/eigenda/index.js';
import { encodeCertRlp, versionedCert, type CertVersion } from './support/eigenda-memstore.js';

const G = bn254.G1.Point.BASE.multiply(987654321n).toAffine();
const G2 = bn254.G2.Point.BASE.toAffine();
const fields = (version: CertVersion) => ({
  version,
  commitment: { x: G.x, y: G.y },
  lengthSymbols: 512,
  referenceBlockNumber: 22_000_123,
  batchRoot: new Uint8Array(32).fill(0xab),
  offchainDerivationVersion: 1,
});

describe('EigenDA certificates', () => {
  for (const version of [2, 3, 4] as const) {
    it(`parses a CertV${version}`, () => {
      const bytes = versionedCert(fields(version));
      expect(bytes[0]).toBe(version - 1); // version bytes 0x01, 0x02, 0x03
      const cert = parseCertificate(bytes);
      expect(cert.certVersion).toBe(version);
      const bc = blobCommitmentOf(cert);
      expect(bc.commitment).toEqual({ x: G.x, y: G.y });
      expect(bc.length).toBe(512);
      expect(bc.lengthCommitment).toEqual({ x: [G2.x.c1, G2.x.c0], y: [G2.y.c1, G2.y.c0] });
      expect(cert.batchHeader.referenceBlockNumber).toBe(22_000_123);
      expect(bytesToHex(cert.batchHeader.batchRoot)).toBe('0x' + 'ab'.repeat(32));
      const header = cert.blobInclusionInfo.blobCertificate.blobHeader;
      expect(Array.from(header.quorumNumbers)).toEqual([0, 1]);
      expect(cert.blobInclusionInfo.blobIndex).toBe(3);
      expect(cert.blobInclusionInfo.blobCertificate.relayKeys).toEqual([0, 7]);
      expect(cert.nonSignerStakesAndSignature.quorumApks.length).toBe(2);
      expect(cert.nonSignerStakesAndSignature.nonSignerStakeIndices).toEqual([[10], []]);
      expect(cert.offchainDerivationVersion).toBe(version === 4 ? 1 : undefined);
      // The OP generic form carries the same certificate behind 01 00.
      const op = Uint8Array.from([0x01, 0x00, ...bytes]);
      const parsed = parseCommitment(op);
      expect(parsed.mode).toBe('op-generic');
      expect(parseCertificate(op)).toEqual(cert);
      expect(parseCommitment(bytes).mode).toBe('standard');
    });
  }

  it('classifies an OP keccak commitment', () => {
    const c = Uint8Array.from([0x00, ...new Uint8Array(32).fill(9)]);
    const parsed = parseCommitment(c);
    expect(parsed.mode).toBe('op-keccak');
    expect(() => parseCertificate(c)).toThrow(EigenDACertParseError);
  });

  it('rejects malformed certificates with EigenDACertParseError', () => {
    const v3 = encodeCertRlp(fields(3));
    const bad = (b: Uint8Array, msg: RegExp): void => {
      expect(() => parseCertificate(b)).toThrow(EigenDACertParseError);
      expect(() => parseCertificate(b)).toThrow(msg);
    };
    bad(Uint8Array.from([0x07, ...v3]), /unknown certificate version/);
    bad(Uint8Array.from([0x00, ...v3]), /33 bytes|V1/);
    bad(Uint8Array.from([0x03, ...v3]), /expected 5 fields/); // a V3 body under the V4 byte
    bad(Uint8Array.from([0x02, ...v3.subarray(0, v3.length - 5)]), /past the end/);
    bad(Uint8Array.from([0x02, ...v3, 0x00]), /trailing/);
    bad(Uint8Array.from([0x01, 0x05, ...v3]), /da layer/);
    bad(versionedCert({ ...fields(3), lengthSymbols: 500 }), /power of two/);
    // A non-canonical integer (leading zero) where the batch header's reference block number sits.
    const nonCanonical = hexToBytes(toRlp([[bytesToHex(new Uint8Array(32)), '0x0001'], '0x', '0x', '0x']));
    bad(Uint8Array.from([0x02, ...nonCanonical]), /leading zero/);
    bad(new Uint8Array(0), /empty/);
  });
});
