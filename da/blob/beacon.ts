// A minimal client of the beacon node API's blob routes: `GET /eth/v1/beacon/blobs/{block_id}` (bare blobs,
// JSON or SSZ), the deprecated `GET /eth/v1/beacon/blob_sidecars/{block_id}` (blobs with commitments and
// proofs), plus the genesis and spec routes needed to turn an L1 block timestamp into a slot.
// Parsers are pure and strict; the client only classifies transport failures.
import type { Hex } from '../../vm/util/bytes.js';
import { BYTES_PER_BLOB } from './codec.js';
import { BYTES_PER_COMMITMENT, BYTES_PER_PROOF } from './kzg.js';

/** The node answered with a non-2xx status (404 unknown block, 410 deprecated route, 5xx, ...). */
export class BeaconHttpError extends Error {
  override readonly name = 'BeaconHttpError';
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The node could not be reached or went away before the answer was complete. */
export class BeaconUnavailableError extends Error {
  override readonly name = 'BeaconUnavailableError';
}

/** The node answered 2xx with a body that is not what the API specifies (bad JSON, wrong sizes, bad hex). */
export class BeaconResponseError extends Error {
  override readonly name = 'BeaconResponseError';
}

/** One sidecar as the blob_sidecars route serves it (inclusion proofs are not used here). */
export interface BlobSidecar {
  readonly index: number;
  readonly blob: Uint8Array;
  readonly commitment: Uint8Array;
  readonly proof: Uint8Array;
  /** signed_block_header.message.slot, where present. */
  readonly slot: bigint | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dataOf(body: unknown, what: string): unknown {
  if (!isRecord(body) || !('data' in body)) throw new BeaconResponseError(`${what}: no "data" field`);
  return body.data;
}

/** Strict 0x-hex of exactly `size` bytes. */
export function fixedHex(value: unknown, size: number, what: string): Uint8Array {
  if (typeof value !== 'string' || !value.startsWith('0x')) throw new BeaconResponseError(`${what}: not a 0x hex string`);
  if (value.length !== 2 + size * 2) {
    throw new BeaconResponseError(`${what}: ${(value.length - 2) / 2} bytes, expected ${size}`);
  }
  if (!/^0x[0-9a-fA-F]*$/.test(value)) throw new BeaconResponseError(`${what}: invalid hex`);
  return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
}

function uintString(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) throw new BeaconResponseError(`${what}: not a decimal integer string`);
  return BigInt(value);
}

/** `/eth/v1/beacon/genesis` -> genesis_time (seconds). */
export function parseGenesis(body: unknown): bigint {
  const data = dataOf(body, 'genesis');
  if (!isRecord(data)) throw new BeaconResponseError('genesis: "data" is not an object');
  return uintString(data.genesis_time, 'genesis.genesis_time');
}

/** `/eth/v1/config/spec` -> SECONDS_PER_SLOT. */
export function parseSecondsPerSlot(body: unknown): number {
  const data = dataOf(body, 'spec');
  if (!isRecord(data)) throw new BeaconResponseError('spec: "data" is not an object');
  const n = Number(uintString(data.SECONDS_PER_SLOT, 'spec.SECONDS_PER_SLOT'));
  if (n <= 0) throw new BeaconResponseError('spec.SECONDS_PER_SLOT: zero');
  return n;
}

/** JSON answer of `/eth/v1/beacon/blobs/{block_id}`: `data` is a list of bare blobs. */
export function parseBlobsJson(body: unknown): Uint8Array[] {
  const data = dataOf(body, 'blobs');
  if (!Array.isArray(data)) throw new BeaconResponseError('blobs: "data" is not a list');
  return data.map((b, i) => fixedHex(b, BYTES_PER_BLOB, `blobs[${i}]`));
}

/** SSZ answer of the blobs route: List[Blob, N] of a fixed-size type, i.e. the blobs back to back. */
export function parseBlobsSsz(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length % BYTES_PER_BLOB !== 0) {
    throw new BeaconResponseError(`blobs (SSZ): ${bytes.length} bytes is not a whole number of ${BYTES_PER_BLOB}-byte blobs`);
  }
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += BYTES_PER_BLOB) out.push(bytes.slice(o, o + BYTES_PER_BLOB));
  return out;
}

/** JSON answer of `/eth/v1/beacon/blob_sidecars/{block_id}`. */
export function parseBlobSidecarsJson(body: unknown): BlobSidecar[] {
  const data = dataOf(body, 'blob_sidecars');
  if (!Array.isArray(data)) throw new BeaconResponseError('blob_sidecars: "data" is not a list');
  return data.map((s: unknown, i) => {
    if (!isRecord(s)) throw new BeaconResponseError(`blob_sidecars[${i}]: not an object`);
    const header = isRecord(s.signed_block_header) && isRecord(s.signed_block_header.message) ? s.signed_block_header.message : undefined;
    return {
      index: Number(uintString(s.index, `blob_sidecars[${i}].index`)),
      blob: fixedHex(s.blob, BYTES_PER_BLOB, `blob_sidecars[${i}].blob`),
      commitment: fixedHex(s.kzg_commitment, BYTES_PER_COMMITMENT, `blob_sidecars[${i}].kzg_commitment`),
      proof: fixedHex(s.kzg_proof, BYTES_PER_PROOF, `blob_sidecars[${i}].kzg_proof`),
      slot: header && header.slot !== undefined ? uintString(header.slot, `blob_sidecars[${i}].slot`) : undefined,
    };
  });
}

export class SlotComputationError extends Error {
  override readonly name = 'SlotComputationError';
}

/** compute_slot_at_timestamp: L1 block timestamps fall exactly on slot boundaries after genesis. */
export function slotAt(timestamp: bigint, genesisTime: bigint, secondsPerSlot: number): bigint {
  if (timestamp < genesisTime) throw new SlotComputationError(`timestamp ${timestamp} precedes beacon genesis ${genesisTime}`);
  const sps = BigInt(secondsPerSlot);
  const since = timestamp - genesisTime;
  if (since % sps !== 0n) {
    // A timestamp between slots means the genesis time or slot length belongs to another chain.
    throw new SlotComputationError(`timestamp ${timestamp} is not on a ${secondsPerSlot}s slot boundary from genesis ${genesisTime}`);
  }
  return since / sps;
}

export interface BeaconClientOptions {
  /** Per-request timeout; a node that stalls counts as unavailable. */
  readonly timeoutMs?: number;
  /** Ask for SSZ (`application/octet-stream`) on the blobs route; JSON is still accepted. */
  readonly preferSsz?: boolean;
}

export class BeaconClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly preferSsz: boolean;
  private genesisTime: bigint | undefined;
  private secondsPerSlot: number | null | undefined;

  constructor(baseUrl: string, options: BeaconClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.preferSsz = options.preferSsz ?? true;
  }

  private async get(path: string, accept: string): Promise<{ contentType: string; body: Uint8Array }> {
    const url = this.baseUrl + path;
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new BeaconUnavailableError(`${url}: ${describe(e)}`);
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw new BeaconUnavailableError(`${url}: connection lost while reading the answer: ${describe(e)}`);
    }
    if (!res.ok) {
      const text = Buffer.from(body.subarray(0, 300)).toString('utf8').replace(/\s+/g, ' ').trim();
      throw new BeaconHttpError(url, res.status, `${url}: HTTP ${res.status}${text ? ` ${text}` : ''}`);
    }
    return { contentType: (res.headers.get('content-type') ?? '').toLowerCase(), body };
  }

  private async getJson(path: string): Promise<unknown> {
    const { body } = await this.get(path, 'application/json');
    return parseJson(body, this.baseUrl + path);
  }

  async getGenesisTime(): Promise<bigint> {
    this.genesisTime ??= parseGenesis(await this.getJson('/eth/v1/beacon/genesis'));
    return this.genesisTime;
  }

  /** SECONDS_PER_SLOT from the spec route, or undefined when the node has no such route. */
  async getSecondsPerSlot(): Promise<number | undefined> {
    if (this.secondsPerSlot === undefined) {
      try {
        this.secondsPerSlot = parseSecondsPerSlot(await this.getJson('/eth/v1/config/spec'));
      } catch (e) {
        if (!(e instanceof BeaconHttpError && e.status === 404)) throw e;
        this.secondsPerSlot = null;
      }
    }
    return this.secondsPerSlot ?? undefined;
  }

  /** The slot of an L1 block; `fallbackSecondsPerSlot` serves nodes without the spec route. */
  async slotOf(timestamp: bigint, fallbackSecondsPerSlot?: number): Promise<bigint> {
    const genesis = await this.getGenesisTime();
    const sps = (await this.getSecondsPerSlot()) ?? fallbackSecondsPerSlot;
    if (sps === undefined) {
      throw new SlotComputationError(`${this.baseUrl} has no /eth/v1/config/spec: give SECONDS_PER_SLOT explicitly`);
    }
    return slotAt(timestamp, genesis, sps);
  }

  /** Blobs of a block, filtered by versioned hash (comma form); the node may ignore the filter. */
  async getBlobs(blockId: string, versionedHashes: readonly Hex[] = []): Promise<Uint8Array[]> {
    const query = versionedHashes.length > 0 ? `?versioned_hashes=${versionedHashes.join(',')}` : '';
    const accept = this.preferSsz ? 'application/octet-stream, application/json;q=0.9' : 'application/json';
    const path = `/eth/v1/beacon/blobs/${encodeURIComponent(blockId)}${query}`;
    const { contentType, body } = await this.get(path, accept);
    if (contentType.startsWith('application/octet-stream')) return parseBlobsSsz(body);
    return parseBlobsJson(parseJson(body, this.baseUrl + path));
  }

  async getBlobSidecars(blockId: string): Promise<BlobSidecar[]> {
    return parseBlobSidecarsJson(await this.getJson(`/eth/v1/beacon/blob_sidecars/${encodeURIComponent(blockId)}`));
  }
}

function parseJson(body: Uint8Array, url: string): unknown {
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new BeaconResponseError(`${url}: malformed JSON (${body.length} bytes): ${describe(e)}`);
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}
