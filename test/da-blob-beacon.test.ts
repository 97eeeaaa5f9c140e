// Beacon API parsing and slot arithmetic on the real goerli answers; malformed answers; a stalled node.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BYTES_PER_BLOB,
  BeaconClient,
  BeaconResponseError,
  BeaconUnavailableError,
  SlotComputationError,
  parseBlobSidecarsJson,
  parseBlobsJson,
  parseBlobsSsz,
  parseGenesis,
  parseSecondsPerSlot,
  slotAt,
} from '../da/blob/index.js';

const FIX = new URL('../../shared/fixtures/beacon/', import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIX), 'utf8'));

describe('beacon answers (goerli fixtures)', () => {
  const genesis = parseGenesis(load('eth_v1_beacon_genesis_goerli.json'));
  const sps = parseSecondsPerSlot(load('eth_v1_config_spec_goerli.json'));
  const sidecars = parseBlobSidecarsJson(load('eth_v1_beacon_blob_sidecars_7422094_goerli.json'));

  it('parses genesis time, SECONDS_PER_SLOT and the sidecars', () => {
    expect(genesis).toBe(1606824023n);
    expect(sps).toBe(12);
    expect(sidecars.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    for (const s of sidecars) {
      expect(s.blob.length).toBe(BYTES_PER_BLOB);
      expect(s.commitment.length).toBe(48);
      expect(s.proof.length).toBe(48);
    }
  });

  it("maps the block timestamp of the sidecars' slot back to that slot, and only slot-boundary timestamps", () => {
    const slot = sidecars[0]!.slot!;
    expect(slot).toBe(7422094n);
    expect(slotAt(genesis + slot * BigInt(sps), genesis, sps)).toBe(slot);
    expect(slotAt(genesis, genesis, sps)).toBe(0n);
    expect(() => slotAt(genesis + slot * 12n + 1n, genesis, sps)).toThrow(SlotComputationError);
    expect(() => slotAt(genesis - 12n, genesis, sps)).toThrow(SlotComputationError);
  });
});

describe('malformed answers are BeaconResponseError', () => {
  it.each([
    ['no data', () => parseBlobsJson({ blobs: [] })],
    ['data not a list', () => parseBlobsJson({ data: {} })],
    ['short blob', () => parseBlobsJson({ data: ['0x1234'] })],
    ['bad hex', () => parseBlobsJson({ data: [`0x${'zz'.repeat(BYTES_PER_BLOB)}`] })],
    ['no 0x', () => parseBlobsJson({ data: ['00'.repeat(BYTES_PER_BLOB)] })],
    ['SSZ not whole blobs', () => parseBlobsSsz(new Uint8Array(BYTES_PER_BLOB + 1))],
    ['genesis time not a number', () => parseGenesis({ data: { genesis_time: 'soon' } })],
    ['zero slot length', () => parseSecondsPerSlot({ data: { SECONDS_PER_SLOT: '0' } })],
    ['sidecar without proof', () => parseBlobSidecarsJson({ data: [{ index: '0', blob: `0x${'00'.repeat(BYTES_PER_BLOB)}`, kzg_commitment: `0x${'00'.repeat(48)}` }] })],
  ])('%s', (_name, parse) => {
    expect(parse).toThrow(BeaconResponseError);
  });

  it('splits an SSZ list of blobs and accepts an empty one', () => {
    const two = new Uint8Array(2 * BYTES_PER_BLOB);
    two[BYTES_PER_BLOB] = 7;
    const blobs = parseBlobsSsz(two);
    expect(blobs.length).toBe(2);
    expect(blobs[1]![0]).toBe(7);
    expect(parseBlobsSsz(new Uint8Array(0))).toEqual([]);
  });
});

describe('BeaconClient transport', () => {
  it('gives up on a node that never answers, as unavailable', async () => {
    const server = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(new BeaconClient(url, { timeoutMs: 200 }).getBlobs('1')).rejects.toBeInstanceOf(BeaconUnavailableError);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
