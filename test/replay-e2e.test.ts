// End to end: a real anvil node under a varied load (deployments, ERC-20 transfers,
// storage loops, CREATE2, reverts, logs, EIP-7702 delegations, 1559 and legacy
// traffic); every block must verify when replayed statelessly from the node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { replayBlock } from '../vm/replay/replay.js';
import { createRpcReplaySource } from '../vm/replay/rpc-source.js';
import { anvilRules } from '../vm/chain/chain.js';

describe.each(['osaka', 'prague'] as const)('replay against anvil (%s)', (fork) => {
  let node: AnvilNode;
  let range: { from: bigint; to: bigint };
  beforeAll(async () => {
    node = await startAnvil({ hardfork: fork });
    const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork });
    range = { from: load.fromBlock, to: load.toBlock };
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
  });

  it('verifies every block of the load', async () => {
    const source = createRpcReplaySource(node.rpcUrl);
    const chain = anvilRules(fork, 31337n);
    const failures: string[] = [];
    let blocks = 0;
    let txs = 0;
    // anvil reports the empty trie root as genesis's state root (its genesis
    // accounts are not in it), so block 1 cannot be proven; the load starts later.
    for (let n = range.from < 2n ? 2n : range.from; n <= range.to; n++) {
      const v = await replayBlock(source, chain, n, { checkParent: false });
      blocks++;
      txs += v.transactions;
      if (!v.verified) failures.push(`block ${n}: ${v.mismatch}`);
    }
    expect(failures).toEqual([]);
    expect(blocks).toBeGreaterThan(10);
    expect(txs).toBeGreaterThan(20);
  });

  it('reports a mismatch when the rules are wrong (base fee paid to the producer)', async () => {
    const source = createRpcReplaySource(node.rpcUrl);
    const wrong = { ...anvilRules(fork, 31337n), baseFeeRecipient: 'coinbase' as const };
    const v = await replayBlock(source, wrong, range.to, { checkParent: false });
    expect(v.verified).toBe(false);
    expect(v.mismatch).toMatch(/stateRoot/);
  });
});
