// The JSON-RPC client's failure modes against fake servers on 127.0.0.1:
// malformed answers, JSON-RPC errors, dropped connections, 429/503 with retry,
// silence (timeouts), batch splitting and id matching.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RpcClient, RpcMalformedError, RpcResponseError, RpcUnavailableError } from '../vm/rpc/client.js';
import { fetchHeader, BlockIntegrityError } from '../vm/rpc/block.js';

type Handler = (body: unknown, req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

async function fakeNode(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => handler(JSON.parse(text), req, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function reply(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof value === 'string' ? value : JSON.stringify(value));
}

interface Req {
  id: number;
  method: string;
  params: unknown[];
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const fast = { backoffMs: 5, retries: 2, timeoutMs: 2000 };

describe('RpcClient errors', () => {
  it('JSON-RPC error objects become RpcResponseError with code, message and data', async () => {
    const url = await fakeNode((b, _q, res) => reply(res, { jsonrpc: '2.0', id: (b as Req).id, error: { code: -32601, message: 'Method not found', data: 'x' } }));
    const err = await new RpcClient(url, fast).request('debug_executionWitness', ['0x1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcResponseError);
    expect(err).toMatchObject({ method: 'debug_executionWitness', code: -32601, rpcMessage: 'Method not found', data: 'x' });
  });

  it('malformed envelopes are RpcMalformedError', async () => {
    const answers: ((id: number) => unknown)[] = [
      () => 'not json at all',
      (id) => ({ jsonrpc: '2.0', id }), // neither result nor error
      (id) => ({ jsonrpc: '1.0', id, result: '0x1' }),
      (id) => ({ jsonrpc: '2.0', id: id + 1, result: '0x1' }), // wrong id
      (id) => ({ jsonrpc: '2.0', id, error: { code: 'x', message: 1 } }),
      () => [1, 2, 3],
    ];
    let i = 0;
    const url = await fakeNode((b, _q, res) => reply(res, answers[i++]!((b as Req).id) as object));
    const rpc = new RpcClient(url, fast);
    for (let k = 0; k < answers.length; k++) {
      await expect(rpc.request('eth_chainId', [])).rejects.toBeInstanceOf(RpcMalformedError);
    }
  });

  it('malformed fields in a block answer are RpcMalformedError naming the field', async () => {
    const good = {
      parentHash: `0x${'11'.repeat(32)}`,
      sha3Uncles: `0x${'22'.repeat(32)}`,
      miner: `0x${'33'.repeat(20)}`,
      stateRoot: `0x${'44'.repeat(32)}`,
      transactionsRoot: `0x${'55'.repeat(32)}`,
      receiptsRoot: `0x${'66'.repeat(32)}`,
      logsBloom: `0x${'00'.repeat(256)}`,
      difficulty: '0x0',
      number: '0x5',
      gasLimit: '0x1c9c380',
      gasUsed: '0x0',
      timestamp: '0x6b0682a0',
      extraData: '0x',
      mixHash: `0x${'77'.repeat(32)}`,
      nonce: '0x0000000000000000',
      baseFeePerGas: '0x7',
      hash: `0x${'88'.repeat(32)}`,
    };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, gasUsed: '0x012' }, /gasUsed is not a hex quantity/], // leading zero
      [{ ...good, gasUsed: 5 }, /gasUsed is not a hex quantity/],
      [{ ...good, stateRoot: `0x${'44'.repeat(31)}` }, /stateRoot must be 32 bytes/],
      [{ ...good, miner: `0x${'33'.repeat(19)}` }, /miner is not a 20-byte address/],
      [{ ...good, logsBloom: '0xzz' }, /logsBloom is not hex data/],
      [{ ...good, number: '0x6' }, /asked for block 5, got 6/],
      [{ ...good, blobGasUsed: '0x0' }, /has blobGasUsed but lacks withdrawalsRoot/],
    ];
    let i = 0;
    const url = await fakeNode((b, _q, res) => reply(res, { jsonrpc: '2.0', id: (b as Req).id, result: cases[i++]![0] }));
    const rpc = new RpcClient(url, fast);
    for (const [, msg] of cases) {
      const err = await fetchHeader(rpc, 5n).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcMalformedError);
      expect((err as Error).message).toMatch(msg);
    }
    // Well-formed, but the fields do not hash to the claimed hash.
    const url2 = await fakeNode((b, _q, res) => reply(res, { jsonrpc: '2.0', id: (b as Req).id, result: good }));
    await expect(fetchHeader(new RpcClient(url2, fast), 5n)).rejects.toBeInstanceOf(BlockIntegrityError);
  });

  it('a server that closes the connection exhausts the retries: RpcUnavailableError', async () => {
    let attempts = 0;
    const url = await fakeNode((_b, req) => {
      attempts++;
      req.socket.destroy();
    });
    const err = await new RpcClient(url, fast).request('eth_blockNumber', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcUnavailableError);
    expect(attempts).toBe(3);
    expect((err as RpcUnavailableError).attempts).toBe(3);
  });

  it('a node that is not listening at all is RpcUnavailableError', async () => {
    const url = await fakeNode(() => undefined);
    const server = servers.pop()!;
    await new Promise((r) => server.close(r));
    await expect(new RpcClient(url, fast).request('eth_blockNumber', [])).rejects.toBeInstanceOf(RpcUnavailableError);
  });

  it('429 then success: retried and answered', async () => {
    let attempts = 0;
    const url = await fakeNode((b, _q, res) => {
      attempts++;
      if (attempts === 1) reply(res, 'slow down', 429);
      else reply(res, { jsonrpc: '2.0', id: (b as Req).id, result: '0x2a' });
    });
    expect(await new RpcClient(url, fast).request('eth_blockNumber', [])).toBe('0x2a');
    expect(attempts).toBe(2);
  });

  it('503 forever is RpcUnavailableError; 404 is not retried', async () => {
    let attempts = 0;
    const url = await fakeNode((_b, _q, res) => {
      attempts++;
      reply(res, 'down', 503);
    });
    const err = await new RpcClient(url, fast).request('eth_blockNumber', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcUnavailableError);
    expect((err as Error).message).toMatch(/HTTP 503/);
    expect(attempts).toBe(3);

    let hits = 0;
    const url404 = await fakeNode((_b, _q, res) => {
      hits++;
      reply(res, 'no such path', 404);
    });
    await expect(new RpcClient(url404, fast).request('eth_blockNumber', [])).rejects.toBeInstanceOf(RpcMalformedError);
    expect(hits).toBe(1);
  });

  it('a silent server times out: RpcUnavailableError', async () => {
    const url = await fakeNode(() => undefined); // never answers
    const err = await new RpcClient(url, { timeoutMs: 100, retries: 1, backoffMs: 5 }).request('eth_blockNumber', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcUnavailableError);
    expect((err as Error).message).toMatch(/timed out/);
  });
});

describe('RpcClient batches', () => {
  it('splits at maxBatchSize and matches answers by id, whatever their order', async () => {
    const sizes: number[] = [];
    const url = await fakeNode((b, _q, res) => {
      const reqs = b as Req[];
      sizes.push(reqs.length);
      // Answer in reverse order, echoing the first param.
      reply(res, reqs.map((r) => ({ jsonrpc: '2.0', id: r.id, result: r.params[0] })).reverse());
    });
    const rpc = new RpcClient(url, { ...fast, maxBatchSize: 50 });
    const calls = Array.from({ length: 120 }, (_, i) => ({ method: 'eth_getCode', params: [`0x${i.toString(16)}`] }));
    const out = await rpc.batch(calls);
    expect(sizes).toEqual([50, 50, 20]);
    expect(out).toEqual(calls.map((c) => c.params[0]));
    expect(() => new RpcClient(url, { maxBatchSize: 0 })).toThrow(RangeError);
  });

  it('an error entry, a missing entry or a whole-batch error are typed', async () => {
    let mode = 0;
    const url = await fakeNode((b, _q, res) => {
      const reqs = b as Req[];
      if (mode === 0) reply(res, reqs.map((r, i) => (i === 1 ? { jsonrpc: '2.0', id: r.id, error: { code: -32000, message: 'header not found' } } : { jsonrpc: '2.0', id: r.id, result: '0x1' })));
      else if (mode === 1) reply(res, reqs.slice(1).map((r) => ({ jsonrpc: '2.0', id: r.id, result: '0x1' })));
      else reply(res, { jsonrpc: '2.0', id: null, error: { code: -32005, message: 'batch too large' } });
    });
    const rpc = new RpcClient(url, fast);
    const calls = [0, 1, 2].map(() => ({ method: 'eth_blockNumber', params: [] }));
    await expect(rpc.batch(calls)).rejects.toMatchObject({ name: 'RpcResponseError', code: -32000 });
    mode = 1;
    await expect(rpc.batch(calls)).rejects.toBeInstanceOf(RpcMalformedError);
    mode = 2;
    await expect(rpc.batch(calls)).rejects.toMatchObject({ name: 'RpcResponseError', code: -32005 });
  });
});
