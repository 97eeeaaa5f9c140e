// Fetches the blobs an L1 block's transactions committed to, from a fallback list of beacon nodes and
// archivers, and hands back only blobs whose recomputed KZG commitment matches the versioned hash.
// Two outcomes per endpoint: missing (try again later, try the next one) and invalid (the endpoint
// served wrong data: it is dropped for this call and never asked again).
import type { Logger } from 'pino';
import type { Hex } from '../../vm/util/bytes.js';
import {
  BeaconClient,
  BeaconHttpError,
  BeaconResponseError,
  BeaconUnavailableError,
  SlotComputationError,
  type BlobSidecar,
} from './beacon.js';
import { BlobVerificationError, blobCommitment, computeVersionedHash, verifyBlobProofs } from './kzg.js';
import { equalBytes } from '../../vm/util/bytes.js';

export interface BeaconEndpoint {
  url: string;
  kind: 'beacon' | 'archiver';
  /** How the endpoint names blocks: by beacon slot (real nodes) or by execution block number (anvil). */
  blockId: 'slot' | 'execution-number';
}

export interface VerifiedBlob {
  versionedHash: Hex;
  blob: Uint8Array;
  commitment: Uint8Array;
}

export interface L1BlockRef {
  number: bigint;
  timestamp: bigint;
}

export interface EndpointFailure {
  readonly url: string;
  readonly outcome: 'missing' | 'invalid';
  readonly reason: string;
}

/** Some requested blobs were served by no endpoint, after every retry round. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(
    message: string,
    readonly missing: readonly Hex[],
    readonly failures: readonly EndpointFailure[],
  ) {
    super(message);
  }
}

/** The caller's request itself is wrong (a malformed versioned hash, no endpoints). */
export class BlobRequestError extends Error {
  override readonly name = 'BlobRequestError';
}

export interface BlobFetcherOptions {
  endpoints: BeaconEndpoint[];
  /** Extra rounds over the endpoint list after the first (default 2). */
  retries?: number;
  /** Pause before the second round; doubles each round after (default 500 ms). */
  backoffMs?: number;
  /** SECONDS_PER_SLOT for slot-addressed endpoints without `/eth/v1/config/spec`. */
  secondsPerSlot?: number;
  log?: Logger;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

const VERSIONED_HASH = /^0x01[0-9a-f]{62}$/;


export class BlobFetcher {
  private readonly endpoints: readonly BeaconEndpoint[];
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly secondsPerSlot: number | undefined;
  private readonly log: Logger | undefined;
  private readonly clients = new Map<string, BeaconClient>();
  private readonly timeoutMs: number | undefined;

  constructor(opts: BlobFetcherOptions) {
    if (opts.endpoints.length === 0) throw new BlobRequestError('no beacon or archiver endpoints given');
    if (opts.retries !== undefined && (!Number.isInteger(opts.retries) || opts.retries < 0)) {
      throw new BlobRequestError(`retries must be a non-negative integer, got ${opts.retries}`);
    }
    // Beacon nodes first, archivers after them, each group in the order given.
    this.endpoints = [...opts.endpoints.filter((e) => e.kind === 'beacon'), ...opts.endpoints.filter((e) => e.kind !== 'beacon')];
    this.retries = opts.retries ?? 2;
    this.backoffMs = opts.backoffMs ?? 500;
    this.secondsPerSlot = opts.secondsPerSlot;
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs;
  }

  /** The verified blobs for `versionedHashes`, in the order requested. */
  async fetchBlobs(block: L1BlockRef, versionedHashes: readonly Hex[]): Promise<VerifiedBlob[]> {
    const wanted = versionedHashes.map((h) => {
      const lower = h.toLowerCase();
      if (!VERSIONED_HASH.test(lower)) throw new BlobRequestError(`not a KZG versioned hash (0x01 + 31 bytes): ${h}`);
      return lower as Hex;
    });
    const found = new Map<Hex, VerifiedBlob>();
    const pending = (): Hex[] => [...new Set(wanted.filter((h) => !found.has(h)))];
    const dropped = new Set<number>();
    const failures: EndpointFailure[] = [];

    for (let round = 0; round <= this.retries && pending().length > 0; round++) {
      if (round > 0) {
        if (dropped.size === this.endpoints.length) break;
        await sleep(this.backoffMs * 2 ** (round - 1));
      }
      for (let i = 0; i < this.endpoints.length && pending().length > 0; i++) {
        if (dropped.has(i)) continue;
        const ep = this.endpoints[i]!;
        const want = pending();
        try {
          const got = await this.fromEndpoint(ep, block, want);
          for (const v of got) found.set(v.versionedHash, v);
          const still = want.filter((h) => !found.has(h));
          if (still.length > 0) {
            failures.push({ url: ep.url, outcome: 'missing', reason: `served ${got.length} of ${want.length} blob(s)` });
          }
          this.log?.debug({ endpoint: ep.url, round, served: got.length, wanted: want.length }, 'blob endpoint answered');
        } catch (e) {
          if (e instanceof BlobVerificationError || e instanceof BeaconResponseError) {
            dropped.add(i);
            failures.push({ url: ep.url, outcome: 'invalid', reason: e.message });
            this.log?.warn({ endpoint: ep.url, kind: ep.kind, reason: e.message }, 'blob endpoint served invalid data: dropped');
          } else if (e instanceof BeaconHttpError || e instanceof BeaconUnavailableError) {
            failures.push({ url: ep.url, outcome: 'missing', reason: e.message });
            this.log?.debug({ endpoint: ep.url, round, reason: e.message }, 'blobs missing at endpoint');
          } else if (e instanceof SlotComputationError) {
            // A wrong genesis or slot length will not fix itself: do not ask this endpoint again.
            dropped.add(i);
            failures.push({ url: ep.url, outcome: 'missing', reason: e.message });
            this.log?.warn({ endpoint: ep.url, reason: e.message }, 'cannot address the block at this endpoint');
          } else {
            throw e;
          }
        }
      }
    }

    const missing = pending();
    if (missing.length > 0) {
      const invalid = failures.filter((f) => f.outcome === 'invalid');
      const summary = failures.map((f) => `${f.url}: ${f.outcome}: ${f.reason}`).join('; ');
      if (invalid.length > 0) {
        throw new BlobVerificationError(
          `${missing.length} blob(s) of block ${block.number} not obtained; invalid data from ${invalid.map((f) => f.url).join(', ')} (${summary})`,
        );
      }
      throw new BlobNotFoundError(
        `${missing.length} of ${new Set(wanted).size} blob(s) of block ${block.number} not found at ${this.endpoints.length} endpoint(s) after ${this.retries + 1} round(s) (${summary})`,
        missing,
        failures,
      );
    }
    return wanted.map((h) => found.get(h)!);
  }

  private client(url: string): BeaconClient {
    let c = this.clients.get(url);
    if (!c) {
      c = new BeaconClient(url, this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs });
      this.clients.set(url, c);
    }
    return c;
  }

  private async fromEndpoint(ep: BeaconEndpoint, block: L1BlockRef, want: readonly Hex[]): Promise<VerifiedBlob[]> {
    const client = this.client(ep.url);
    const blockId = ep.blockId === 'execution-number' ? block.number.toString() : (await client.slotOf(block.timestamp, this.secondsPerSlot)).toString();
    let blobs: Uint8Array[];
    try {
      blobs = await client.getBlobs(blockId, want);
    } catch (e) {
      // Nodes and archivers older than the blobs route only have blob_sidecars (which newer nodes answer 410).
      if (e instanceof BeaconHttpError && [400, 404, 405, 501].includes(e.status)) {
        return matchSidecars(await client.getBlobSidecars(blockId), want);
      }
      throw e;
    }
    return matchBlobs(blobs, want);
  }
}

/** Bare blobs: recompute each commitment; a blob matching no requested hash is only tolerated beside a full match (a node ignoring the filter). */
export function matchBlobs(blobs: readonly Uint8Array[], want: readonly Hex[]): VerifiedBlob[] {
  const wantSet = new Set(want);
  const out: VerifiedBlob[] = [];
  let foreign = 0;
  for (const blob of blobs) {
    const commitment = blobCommitment(blob);
    const versionedHash = computeVersionedHash(commitment);
    if (wantSet.has(versionedHash)) out.push({ versionedHash, blob, commitment });
    else foreign++;
  }
  const matched = new Set(out.map((v) => v.versionedHash));
  if (foreign > 0 && matched.size < wantSet.size) {
    throw new BlobVerificationError(`${foreign} served blob(s) match none of the requested versioned hashes`);
  }
  return out;
}

/** Sidecars: pick those whose claimed commitment hashes to a wanted hash, recompute the commitment and batch-verify the proofs. */
export function matchSidecars(sidecars: readonly BlobSidecar[], want: readonly Hex[]): VerifiedBlob[] {
  const wantSet = new Set(want);
  const picked = sidecars.filter((s) => wantSet.has(computeVersionedHash(s.commitment)));
  for (const s of picked) {
    if (!equalBytes(blobCommitment(s.blob), s.commitment)) {
      throw new BlobVerificationError(`sidecar ${s.index}: blob does not match its KZG commitment`);
    }
  }
  if (picked.length > 0) {
    verifyBlobProofs(
      picked.map((s) => s.blob),
      picked.map((s) => s.commitment),
      picked.map((s) => s.proof),
    );
  }
  return picked.map((s) => ({ versionedHash: computeVersionedHash(s.commitment), blob: s.blob, commitment: s.commitment }));
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
