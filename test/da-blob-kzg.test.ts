// KZG checks against c-kzg's own test vectors, the goerli sidecars and the Andromeda blob.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BlobVerificationError,
  blobCommitment,
  computeVersionedHash,
  parseBlobSidecarsJson,
  verifyBlob,
  verifyBlobProofs,
} from '../da/blob/index.js';
import { bytesToHex, hexToBytes, type Hex } from '../vm/util/bytes.js';
import { sha256 } from '../vm/util/hash.js';

const FIXTURES = new URL('../../shared/fixtures/', import.meta.url);

interface YamlCase {
  name: string;
  input: Record<string, string>;
  output: string | null;
}

/** The c-kzg data.yaml files are flat: `input:` with quoted hex fields, then `output:` (hex, true/false or null). */
function loadCases(suite: string): YamlCase[] {
  const dir = new URL(`kzg/${suite}/kzg-mainnet/`, FIXTURES);
  return readdirSync(dir).map((name) => {
    const text = readFileSync(new URL(`${name}/data.yaml`, dir), 'utf8');
    const input: Record<string, string> = {};
    let output: string | null = null;
    for (const line of text.split('\n')) {
      const field = /^\s+(\w+): '?(0x[0-9a-fA-F]*)'?\s*$/.exec(line);
      if (field) input[field[1]!] = field[2]!;
      const out = /^output: '?([^']*)'?\s*$/.exec(line);
      if (out) output = out[1] === 'null' ? null : out[1]!;
    }
    return { name, input, output };
  });
}

function sidecars() {
  const body: unknown = JSON.parse(readFileSync(new URL('beacon/eth_v1_beacon_blob_sidecars_7422094_goerli.json', FIXTURES), 'utf8'));
  return parseBlobSidecarsJson(body);
}

describe('KZG blob commitments (c-kzg vectors)', () => {
  const cases = loadCases('blob_to_kzg_commitment');
  it('has the vectors', () => expect(cases.length).toBeGreaterThan(5));
  for (const c of cases) {
    it(c.name, () => {
      const blob = hexToBytes(c.input.blob!);
      if (c.output === null) {
        expect(() => blobCommitment(blob)).toThrow(BlobVerificationError);
      } else {
        expect(bytesToHex(blobCommitment(blob))).toBe(c.output.toLowerCase());
      }
    });
  }
});

describe('KZG blob proofs (c-kzg vectors)', () => {
  const cases = loadCases('verify_blob_kzg_proof');
  it('has the vectors', () => expect(cases.length).toBeGreaterThan(5));
  for (const c of cases) {
    it(c.name, () => {
      const run = (): void =>
        verifyBlobProofs([hexToBytes(c.input.blob!)], [hexToBytes(c.input.commitment!)], [hexToBytes(c.input.proof!)]);
      if (c.output === 'true') expect(run).not.toThrow();
      else expect(run).toThrow(BlobVerificationError);
    });
  }
});

describe('versioned hashes and blob verification', () => {
  it('computes 0x01 || sha256(commitment)[1:]', () => {
    const commitment = hexToBytes(loadCases('blob_to_kzg_commitment').find((c) => c.output !== null)!.output!);
    const digest = sha256(commitment);
    const vh = computeVersionedHash(commitment);
    expect(vh.slice(0, 4)).toBe('0x01');
    expect(vh.slice(4)).toBe(bytesToHex(digest).slice(4));
    expect(() => computeVersionedHash(commitment.subarray(1))).toThrow(BlobVerificationError);
  });

  it('verifies the Andromeda blob against its versioned hash and rejects a tampered copy', () => {
    const data = JSON.parse(readFileSync(new URL('metis/andromeda-l1-data.json', FIXTURES), 'utf8')) as { l1BlobData: string };
    const blob = hexToBytes(data.l1BlobData);
    const vh = computeVersionedHash(blobCommitment(blob));
    expect(vh.startsWith('0x011872b7')).toBe(true); // the hash the fixture's note records
    expect(verifyBlob(blob, vh)).toEqual(blobCommitment(blob));
    const tampered = blob.slice();
    tampered[1000] ^= 1;
    expect(() => verifyBlob(tampered, vh)).toThrow(BlobVerificationError);
    const wrong = `0x01${'00'.repeat(31)}` as Hex;
    expect(() => verifyBlob(blob, wrong)).toThrow(BlobVerificationError);
    expect(() => verifyBlob(blob.subarray(0, 1000), vh)).toThrow(BlobVerificationError);
  });

  it('verifies the goerli sidecars of slot 7422094: recomputed commitments and a proof batch', () => {
    const sc = sidecars();
    expect(sc.length).toBe(5);
    for (const s of sc) {
      expect(s.slot).toBe(7422094n);
      expect(blobCommitment(s.blob)).toEqual(s.commitment);
    }
    expect(() => verifyBlobProofs(sc.map((s) => s.blob), sc.map((s) => s.commitment), sc.map((s) => s.proof))).not.toThrow();
    // Swapping two proofs breaks the batch.
    const proofs = sc.map((s) => s.proof);
    [proofs[0], proofs[1]] = [proofs[1]!, proofs[0]!];
    expect(() => verifyBlobProofs(sc.map((s) => s.blob), sc.map((s) => s.commitment), proofs)).toThrow(BlobVerificationError);
  });
});
