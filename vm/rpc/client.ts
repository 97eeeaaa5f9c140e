// A small JSON-RPC 2.0 client over fetch: per-request timeouts, retries with
// exponential backoff on network errors and HTTP 429/5xx, and batches split at
// a configurable size (nodes cap batch length; reth's default is 50..100).
// Everything a node answers is untrusted: callers validate with ./validate.ts.

/** A JSON value as parsed from a node's answer. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface RpcCall {
  readonly method: string;
  readonly params: readonly JsonValue[];
}

export interface RpcClientOptions {
  /** Per HTTP request. Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 429 and 5xx. Default 3. */
  readonly retries?: number;
  /** First backoff delay; doubles per retry. Default 200 ms. */
  readonly backoffMs?: number;
  /** Largest JSON-RPC batch sent in one HTTP request. Default 50. */
  readonly maxBatchSize?: number;
}

/** The node could not be reached (or kept failing) after every retry. */
export class RpcUnavailableError extends Error {
  override readonly name = 'RpcUnavailableError';
  constructor(
    readonly url: string,
    readonly attempts: number,
    readonly lastProblem: string,
  ) {
    super(`RPC node ${url} unavailable after ${attempts} attempt(s): ${lastProblem}`);
  }
}

/** The node answered with a JSON-RPC error object. */
export class RpcResponseError extends Error {
  override readonly name = 'RpcResponseError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: JsonValue,
  ) {
    super(`${method}: JSON-RPC error ${code}: ${rpcMessage}`);
  }
}

/** The node's answer does not have the documented shape. */
export class RpcMalformedError extends Error {
  override readonly name = 'RpcMalformedError';
  constructor(
    readonly method: string,
    readonly detail: string,
  ) {
    super(`${method}: malformed answer: ${detail}`);
  }
}

export interface Rpc {
  readonly url: string;
  request(method: string, params: readonly JsonValue[]): Promise<JsonValue>;
  /** Results in call order; throws RpcResponseError for the first call that failed. */
  batch(calls: readonly RpcCall[]): Promise<JsonValue[]>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isObject(v: unknown): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Retryable extends Error {}

export class RpcClient implements Rpc {
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  readonly maxBatchSize: number;

  constructor(
    readonly url: string,
    options: RpcClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.maxBatchSize = options.maxBatchSize ?? 50;
    if (!Number.isInteger(this.maxBatchSize) || this.maxBatchSize < 1) throw new RangeError('maxBatchSize must be a positive integer');
    if (!Number.isInteger(this.retries) || this.retries < 0) throw new RangeError('retries must be a non-negative integer');
  }

  async request(method: string, params: readonly JsonValue[]): Promise<JsonValue> {
    const id = this.nextId++;
    const body = await this.post(method, { jsonrpc: '2.0', id, method, params: [...params] });
    return this.unwrap(method, id, body);
  }

  async batch(calls: readonly RpcCall[]): Promise<JsonValue[]> {
    const out: JsonValue[] = [];
    for (let i = 0; i < calls.length; i += this.maxBatchSize) {
      const chunk = calls.slice(i, i + this.maxBatchSize);
      const ids = chunk.map(() => this.nextId++);
      const label = `batch of ${chunk.length} (${chunk[0]!.method}…)`;
      const body = await this.post(
        label,
        chunk.map((c, j) => ({ jsonrpc: '2.0', id: ids[j]!, method: c.method, params: [...c.params] })),
      );
      // Some nodes answer a whole batch with one error object (e.g. batch too large).
      if (isObject(body) && 'error' in body) this.unwrap(label, null, body);
      if (!Array.isArray(body)) throw new RpcMalformedError(label, 'batch answer is not an array');
      // Answers may come in any order: match them by id.
      const byId = new Map<number, JsonValue>();
      for (const item of body) {
        if (!isObject(item) || typeof item.id !== 'number') throw new RpcMalformedError(label, 'batch entry without a numeric id');
        byId.set(item.id, item);
      }
      chunk.forEach((c, j) => {
        const item = byId.get(ids[j]!);
        if (item === undefined) throw new RpcMalformedError(c.method, `no answer for id ${ids[j]} in the batch`);
        out.push(this.unwrap(c.method, ids[j]!, item));
      });
    }
    return out;
  }

  private unwrap(method: string, id: number | null, body: JsonValue): JsonValue {
    if (!isObject(body)) throw new RpcMalformedError(method, 'answer is not a JSON object');
    if (body.jsonrpc !== '2.0') throw new RpcMalformedError(method, 'jsonrpc is not "2.0"');
    if (id !== null && body.id !== id) throw new RpcMalformedError(method, `answer id ${JSON.stringify(body.id)} != request id ${id}`);
    if ('error' in body) {
      const e = body.error;
      if (!isObject(e) || typeof e.code !== 'number' || typeof e.message !== 'string') {
        throw new RpcMalformedError(method, 'error is not {code: number, message: string}');
      }
      throw new RpcResponseError(method, e.code, e.message, e.data);
    }
    if (!('result' in body)) throw new RpcMalformedError(method, 'neither result nor error');
    return body.result!;
  }

  /** POSTs with retries; returns the parsed JSON body. */
  private async post(label: string, payload: unknown): Promise<JsonValue> {
    const text = JSON.stringify(payload);
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      try {
        return await this.once(label, text);
      } catch (e) {
        if (!(e instanceof Retryable)) throw e;
        lastProblem = e.message;
      }
    }
    throw new RpcUnavailableError(this.url, this.retries + 1, lastProblem);
  }

  private async once(label: string, text: string): Promise<JsonValue> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
          signal: controller.signal,
        });
      } catch (e) {
        throw new Retryable(controller.signal.aborted ? `timed out after ${this.timeoutMs} ms` : `network error: ${String((e as Error).cause ?? e)}`);
      }
      let body: string;
      try {
        body = await res.text();
      } catch (e) {
        throw new Retryable(controller.signal.aborted ? `timed out after ${this.timeoutMs} ms` : `connection lost reading the answer: ${String(e)}`);
      }
      if (res.status === 429 || res.status >= 500) throw new Retryable(`HTTP ${res.status}`);
      if (res.status !== 200) throw new RpcMalformedError(label, `HTTP ${res.status}: ${body.slice(0, 200)}`);
      try {
        return JSON.parse(body) as JsonValue;
      } catch {
        throw new RpcMalformedError(label, `answer is not JSON: ${body.slice(0, 100)}`);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
