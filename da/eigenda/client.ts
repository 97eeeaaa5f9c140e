// Client for eigenda-proxy's REST API with a fallback list of proxies. Every blob it returns
// has been checked against its certificate with the local SRS; the proxy is not trusted.
import { bytesToHex } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';
import { blobCommitmentOf, parseCommitment, type EigenDACert, type ProxyCommitment } from './cert.js';
import { encodePayload, encodedPayloadToCoefficients } from './codec.js';
import { commitToCoefficients, equalG1 } from './commitment.js';
import { EigenDACertParseError, EigenDAInvalidCertError, EigenDARequestError, EigenDAUnavailableError } from './errors.js';
import type { G1Srs } from './srs.js';
import { verifyEncodedPayload, verifyKeccak } from './verify.js';

/** The subset of a pino logger the client uses. */
export interface EigenDALogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EigenDAClientOptions {
  /** Proxy base URLs, tried in order. */
  readonly proxyUrls: readonly string[];
  readonly srs: G1Srs;
  /** Extra rounds over the whole list after the first fails (default 3). */
  readonly retries?: number;
  readonly log?: EigenDALogger;
  /** Backoff before retry round r is backoffMs·2^(r-1) (default 500). */
  readonly backoffMs?: number;
  /** Per-request timeout (default 60 s: a PUT waits for dispersal). */
  readonly timeoutMs?: number;
}

export type PutMode = 'op-generic' | 'standard' | 'op-keccak';

export interface GetResult {
  readonly payload: Uint8Array;
  readonly mode: ProxyCommitment['mode'];
  /** Absent for OP keccak commitments. */
  readonly cert?: EigenDACert;
  /** Blob length in symbols; absent for OP keccak commitments. */
  readonly lengthSymbols?: number;
  /** The proxy that served the verified data. */
  readonly proxyUrl: string;
}

// Outcome of one request to one proxy.
type Attempt<T> = { ok: true; value: T } | { ok: false; kind: 'unavailable' | 'mismatch'; detail: string; error?: EigenDAInvalidCertError };

export class EigenDAClient {
  readonly proxyUrls: readonly string[];
  private readonly srs: G1Srs;
  private readonly retries: number;
  private readonly log: EigenDALogger | undefined;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(opts: EigenDAClientOptions) {
    if (opts.proxyUrls.length === 0) throw new RangeError('EigenDAClient needs at least one proxy URL');
    this.proxyUrls = opts.proxyUrls.map((u) => u.replace(/\/+$/, ''));
    this.srs = opts.srs;
    this.retries = opts.retries ?? 3;
    this.log = opts.log;
    this.backoffMs = opts.backoffMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    if (!Number.isSafeInteger(this.retries) || this.retries < 0) throw new RangeError(`invalid retries ${String(opts.retries)}`);
  }

  /** Fetches and verifies the payload behind a commitment (OP keccak, OP generic or standard). */
  async get(commitment: Uint8Array): Promise<Uint8Array> {
    return (await this.getVerified(commitment)).payload;
  }

  /** As get(), with what was verified. */
  async getVerified(commitment: Uint8Array): Promise<GetResult> {
    const parsed = parseCommitment(commitment);
    const hex = bytesToHex(parsed.bytes);
    const path =
      parsed.mode === 'op-keccak'
        ? `/get/${hex}`
        : parsed.mode === 'op-generic'
          ? `/get/${hex}?return_encoded_payload=true`
          : `/get/${hex}?commitment_mode=standard&return_encoded_payload=true`;
    return this.withFailover('GET', async (base): Promise<Attempt<GetResult>> => {
      const res = await this.request(base, path, { method: 'GET' });
      if (!res.ok) return res;
      try {
        if (parsed.mode === 'op-keccak') {
          return { ok: true, value: { payload: verifyKeccak(parsed.hash, res.value), mode: parsed.mode, proxyUrl: base } };
        }
        const v = verifyEncodedPayload(parsed.cert, res.value, this.srs);
        return {
          ok: true,
          value: { payload: v.payload, mode: parsed.mode, cert: parsed.cert, lengthSymbols: v.lengthSymbols, proxyUrl: base },
        };
      } catch (err) {
        if (err instanceof EigenDAInvalidCertError && err.reason !== 'undecodable') {
          // The data does not match the certificate: this proxy may be lying, so ask the others first.
          return { ok: false, kind: 'mismatch', detail: `${base} ${err.reason}`, error: err };
        }
        throw err;
      }
    });
  }

  /**
   * Disperses a payload and returns its commitment. For EigenDA modes the returned certificate is
   * checked against the commitment computed locally from the payload.
   */
  async put(payload: Uint8Array, opts: { mode?: PutMode } = {}): Promise<Uint8Array> {
    const mode = opts.mode ?? 'op-generic';
    if (mode === 'op-keccak') {
      const commitment = new Uint8Array(33);
      commitment.set(keccak256(payload), 1);
      const path = `/put/${bytesToHex(commitment)}`;
      return this.withFailover('PUT', async (base): Promise<Attempt<Uint8Array>> => {
        const res = await this.request(base, path, { method: 'POST', body: payload });
        return res.ok ? { ok: true, value: commitment } : res;
      });
    }
    const coefficients = encodedPayloadToCoefficients(encodePayload(payload));
    const expected = commitToCoefficients(this.srs, coefficients);
    const path = mode === 'standard' ? '/put?commitment_mode=standard' : '/put';
    return this.withFailover('PUT', async (base): Promise<Attempt<Uint8Array>> => {
      const res = await this.request(base, path, { method: 'POST', body: payload });
      if (!res.ok) return res;
      let parsed: ProxyCommitment;
      try {
        parsed = parseCommitment(res.value);
      } catch (err) {
        if (!(err instanceof EigenDACertParseError)) throw err;
        const e = new EigenDAInvalidCertError('commitment-mismatch', `proxy returned an unparseable commitment: ${err.message}`, { cause: err });
        return { ok: false, kind: 'mismatch', detail: `${base} unparseable`, error: e };
      }
      if (parsed.mode !== mode) {
        const e = new EigenDAInvalidCertError('commitment-mismatch', `asked for a ${mode} commitment, the proxy returned ${parsed.mode}`);
        return { ok: false, kind: 'mismatch', detail: `${base} wrong mode`, error: e };
      }
      const bc = blobCommitmentOf(parsed.cert);
      if (bc.length !== coefficients.length || !equalG1(bc.commitment, expected)) {
        const e = new EigenDAInvalidCertError(
          bc.length !== coefficients.length ? 'length-mismatch' : 'commitment-mismatch',
          `certificate returned by ${base} does not commit to the payload sent`,
        );
        return { ok: false, kind: 'mismatch', detail: `${base} ${e.reason}`, error: e };
      }
      return { ok: true, value: parsed.bytes };
    });
  }

  /** True if at least one proxy answers /health with 200. */
  async health(): Promise<boolean> {
    const results = await Promise.all(
      this.proxyUrls.map(async (base) => {
        try {
          const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(this.timeoutMs) });
          await res.arrayBuffer();
          return res.status === 200;
        } catch {
          return false;
        }
      }),
    );
    return results.some((r) => r);
  }

  // Tries each proxy in order per round; rounds are separated by exponential backoff.
  // 418 ends everything at once (thrown from request); a data mismatch moves on to the next
  // proxy and, if no proxy is merely unavailable, ends as EigenDAInvalidCertError.
  private async withFailover<T>(op: string, attempt: (base: string) => Promise<Attempt<T>>): Promise<T> {
    const failures: string[] = [];
    let mismatch: EigenDAInvalidCertError | undefined;
    for (let round = 0; round <= this.retries; round++) {
      if (round > 0) await sleep(this.backoffMs * 2 ** (round - 1));
      let unavailable = 0;
      for (const base of this.proxyUrls) {
        const r = await attempt(base);
        if (r.ok) return r.value;
        failures.push(r.detail);
        if (r.kind === 'mismatch') {
          mismatch = r.error;
          this.log?.warn({ proxy: base, op, detail: r.detail }, 'eigenda proxy returned data that does not match the certificate');
        } else {
          unavailable++;
          this.log?.warn({ proxy: base, op, round, detail: r.detail }, 'eigenda proxy unavailable, failing over');
        }
      }
      if (unavailable === 0 && mismatch) throw mismatch;
    }
    if (mismatch) throw mismatch;
    throw new EigenDAUnavailableError(`${op}: no EigenDA proxy could serve the request (${failures.join(', ')})`, failures);
  }

  private async request(base: string, path: string, init: { method: string; body?: Uint8Array }): Promise<Attempt<Uint8Array>> {
    const url = base + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method,
        ...(init.body ? { body: init.body, headers: { 'content-type': 'application/octet-stream' } } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      return { ok: false, kind: 'unavailable', detail: `${base} ${(err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable'}` };
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch {
      return { ok: false, kind: 'unavailable', detail: `${base} ${res.status} body aborted` };
    }
    this.log?.debug({ url, status: res.status, bytes: body.length }, 'eigenda proxy response');
    if (res.status === 200) return { ok: true, value: body };
    if (res.status === 418) {
      // The proxy checked the certificate (on chain) and found it invalid: drop it, no retry.
      throw new EigenDAInvalidCertError('proxy-418', `proxy ${base} rejected the certificate as invalid: ${snippet(body)}`);
    }
    if (res.status === 429 || res.status === 404 || res.status >= 500) {
      return { ok: false, kind: 'unavailable', detail: `${base} ${res.status}` };
    }
    throw new EigenDARequestError(res.status, `proxy ${base} refused ${init.method} ${path.split('?')[0]!.slice(0, 40)}: ${res.status} ${snippet(body)}`);
  }
}

function snippet(body: Uint8Array): string {
  return new TextDecoder().decode(body.subarray(0, 200)).replace(/\s+/g, ' ').trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
