import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';

describe('anvil harness', () => {
  let node: AnvilNode;
  beforeAll(async () => {
    node = await startAnvil({ chainId: 31337 });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('serves JSON-RPC and the beacon genesis route on one port', async () => {
    const rpc = await fetch(node.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    expect(((await rpc.json()) as { result: string }).result).toBe('0x7a69');
    const genesis = await fetch(`${node.rpcUrl}/eth/v1/beacon/genesis`);
    expect(genesis.status).toBe(200);
    const body = (await genesis.json()) as { data: { genesis_time: string } };
    expect(Number(body.data.genesis_time)).toBeGreaterThan(0);
  });
});
