// Step traces of real blocks: a real anvil chain under the devnet's varied load (deployments,
// ERC-20 style transfers, storage loops, CREATE2, reverts, logs, 7702 delegations). Every step of
// every block is proven from its one-step proof alone; the CLI prints commitments and proofs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { checkTrace } from '../cli/commands/trace.js';
import { anvilRules } from '../vm/chain/chain.js';
import { createRpcReplaySource } from '../vm/replay/rpc-source.js';
import { traceBlock } from '../vm/step/block-trace.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { StepError, verifyStep } from '../vm/step/execute.js';
import { hexToBytes } from '../vm/util/bytes.js';
import { runCli } from './support/cli.js';


const run = (args: string[]) => runCli(args);

describe('step traces of real anvil blocks', () => {
  let node: AnvilNode;
  let from: bigint;
  let to: bigint;
  let dir: string;
  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    const load = await sendVariedLoad(node.rpcUrl, node.privateKeys, { fork: 'prague', rounds: 1 });
    // anvil's genesis header commits to an empty state root: block 1 cannot be replayed statelessly.
    from = load.fromBlock < 2n ? 2n : load.fromBlock;
    to = load.toBlock;
    dir = mkdtempSync(join(tmpdir(), 'hv-trace-'));
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every step of every block is proven from its witness alone', async () => {
    const source = createRpcReplaySource(node.rpcUrl);
    const chain = anvilRules('prague', 31337n);
    let steps = 0;
    let traced = 0;
    for (let n = from; n <= to; n++) {
      const b = await traceBlock(source, chain, n);
      for (const tx of b.txs) {
        if (tx.trace === null) continue;
        traced++;
        const r = checkTrace(tx.trace);
        expect(r.failed, `block ${n} tx ${tx.index}`).toEqual([]);
        steps += r.passed;
      }
    }
    expect(traced).toBeGreaterThan(10);
    expect(steps).toBeGreaterThan(5000);
  }, 600_000);

  it('trace --check, --step and --witness on the CLI; the written proof verifies and a bad one does not', async () => {
    let block = from;
    let steps = 0;
    for (let n = from; n <= to && steps < 50; n++) {
      const s = await run(['trace', '--rpc', node.rpcUrl, '--block', String(n), '--json', '--log-level', 'warn']);
      expect(s.code).toBe(0);
      steps = (JSON.parse(s.stdout) as { steps: number }).steps;
      block = n;
    }
    expect(steps).toBeGreaterThanOrEqual(50);
    const check = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--check', '--log-level', 'warn']);
    expect(check.code).toBe(0);
    expect(check.stdout.trim().split('\n').at(-1)).toBe(`${steps} passed, 0 failed`);

    const at = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '7', '--json', '--log-level', 'warn']);
    const pre = (JSON.parse(at.stdout) as { commitment: string }).commitment;
    const file = join(dir, 'w.json');
    const w = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--witness', '7', '--out', file, '--log-level', 'warn']);
    expect(w.code).toBe(0);
    const proof = JSON.parse(readFileSync(file, 'utf8')) as { preCommitment: string; postCommitment: string; state: string; preimages: string[] };
    expect(proof.preCommitment).toBe(pre);
    const witness = { state: hexToBytes(proof.state), preimages: proof.preimages.map(hexToBytes) };
    const post = verifyStep(hexToBytes(pre), witness, new LayeredPreimages(PreimageStore.of(witness.preimages)));
    expect('0x' + Buffer.from(post).toString('hex')).toBe(proof.postCommitment);
    expect(() => verifyStep(hexToBytes(proof.postCommitment), witness, new LayeredPreimages(PreimageStore.of(witness.preimages)))).toThrow(StepError);

    // The same answers from level checkpoints (bounded memory).
    const cpDir = join(dir, 'cp');
    const cp = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '7', '--json', '--checkpoint-dir', cpDir, '--checkpoint-every', '5', '--log-level', 'warn']);
    expect(cp.code).toBe(0);
    expect((JSON.parse(cp.stdout) as { commitment: string }).commitment).toBe(pre);
    const cpFile = join(dir, 'w-cp.json');
    const cpw = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--witness', '7', '--out', cpFile, '--checkpoint-dir', cpDir, '--checkpoint-every', '5', '--log-level', 'warn']);
    expect(cpw.code).toBe(0);
    const cpProof = JSON.parse(readFileSync(cpFile, 'utf8')) as { postCommitment: string; preimages: string[] };
    expect(cpProof.postCommitment).toBe(proof.postCommitment);
    expect([...cpProof.preimages].sort()).toEqual([...proof.preimages].sort());

    const bad = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '999999999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/outside the block/);
  }, 300_000);
});
