// Step traces of real blocks: a real anvil chain under the devnet's varied load (deployments,
// ERC-20 style transfers, storage loops, CREATE2, reverts, logs, 7702 delegations). Every step of
// every block is proven from its one-step proof alone; the CLI prints commitments and proofs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { sendVariedLoad } from '../cli/devnet/load.js';
import { checkTrace, parseLocalContext } from '../cli/commands/trace.js';
import { anvilRules } from '../vm/chain/chain.js';
import { createRpcReplaySource } from '../vm/replay/rpc-source.js';
import { traceBlock } from '../vm/step/block-trace.js';
import { LayeredPreimages, PreimageStore } from '../vm/step/preimages.js';
import { StepError, verifyStep } from '../vm/step/execute.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { RpcClient } from '../vm/rpc/client.js';
import { blockStepCount, blockStepWitness } from '../vm/step/block-steps.js';
import { traceSourceBlockSteps } from '../vm/step/source-block-steps.js';
import { decodeStepState } from '../vm/step/state.js';
import { runCli } from './support/cli.js';


const run = (args: string[]) => runCli(args);

describe('step traces of real anvil blocks', () => {
  let node: AnvilNode;
  let from: bigint;
  let to: bigint;
  let dir: string;
  /** A block of many steps whose output root MetisVM reproduces (found by the whole-block test). */
  let richBlock = 0n;
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

  it("whole-block traces reproduce the node's output root, every step proven with the local context", async () => {
    const source = createRpcReplaySource(node.rpcUrl);
    const rpc = new RpcClient(node.rpcUrl);
    const chain = anvilRules('prague', 31337n);
    const statuses: number[] = [];
    for (let n = from; n <= to; n++) {
      const { trace, input } = await traceSourceBlockSteps(source, rpc, chain, n);
      const t = trace!;
      statuses.push(t.status);
      if (t.status === 0 && blockStepCount(t) >= 50) richBlock = n;
      if (t.status !== 0) {
        // anvil's trie keeps some zero-valued storage leaves that Ethereum's deletes (the replay
        // asks the node which; the step machine commits to the canonical trie): then only the
        // state root differs, and receipts and gas must still be the node's.
        const before = decodeStepState(t.encodings.at(-2)!);
        expect(bytesToHex(before.receiptsRoot), `block ${n}`).toBe(bytesToHex(input.header.receiptsRoot));
        expect(before.gasUsed, `block ${n}`).toBe(input.header.gasUsed);
        expect(bytesToHex(before.worldRoot)).not.toBe(bytesToHex(input.header.stateRoot));
      }
      expect(t.kinds[0]).toBe('block-start');
      expect(t.kinds.at(-1)).toBe('block-end');
      for (let k = 0; k < blockStepCount(t); k++) {
        const w = blockStepWitness(t, k);
        expect(bytesToHex(verifyStep(t.commitments[k]!, w, new LayeredPreimages(PreimageStore.of(w.preimages)), t.local))).toBe(bytesToHex(t.commitments[k + 1]!));
      }
    }
    // The final status says MetisVM's output root equals the one the node's header and proofs give.
    expect(statuses.filter((s) => s === 0).length).toBeGreaterThan(statuses.length * 0.8);
    expect(richBlock).toBeGreaterThan(0n);
  }, 600_000);

  it('trace --check, --step and --witness on the CLI; the written proof verifies and a bad one does not', async () => {
    const block = richBlock;
    const s = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--json', '--log-level', 'warn']);
    expect(s.code).toBe(0);
    const summary = JSON.parse(s.stdout) as { steps: number; status: string; outputRoot: string; disputedOutputRoot: string; finalCommitment: string };
    expect(summary.status).toBe('valid');
    expect(summary.outputRoot).toBe(summary.disputedOutputRoot);
    expect(summary.finalCommitment.slice(0, 4)).toBe('0x00');
    const steps = summary.steps;
    expect(steps).toBeGreaterThanOrEqual(20);
    const check = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--check', '--log-level', 'warn']);
    expect(check.code).toBe(0);
    expect(check.stdout.trim().split('\n').at(-1)).toBe(`${steps} passed, 0 failed`);

    // Another disputed root: the same trace, a final status of invalid.
    const other = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--json', '--disputed-root', '0x' + '11'.repeat(32), '--log-level', 'warn']);
    expect((JSON.parse(other.stdout) as { status: string; outputRoot: string }).status).toBe('invalid');

    // Step 0 is the block start: it reads the local context the proof carries.
    for (const k of [0, 7]) {
      const at = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', String(k), '--json', '--log-level', 'warn']);
      const pre = (JSON.parse(at.stdout) as { commitment: string }).commitment;
      const file = join(dir, `w${k}.json`);
      const w = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--witness', String(k), '--out', file, '--log-level', 'warn']);
      expect(w.code).toBe(0);
      const proof = JSON.parse(readFileSync(file, 'utf8')) as { preCommitment: string; postCommitment: string; state: string; preimages: string[]; local: Record<string, string> };
      expect(proof.preCommitment).toBe(pre);
      const witness = { state: hexToBytes(proof.state as `0x${string}`), preimages: proof.preimages.map((p) => hexToBytes(p as `0x${string}`)) };
      const local = parseLocalContext(proof.local);
      const post = verifyStep(hexToBytes(pre as `0x${string}`), witness, new LayeredPreimages(PreimageStore.of(witness.preimages)), local);
      expect(bytesToHex(post)).toBe(proof.postCommitment);
      expect(() => verifyStep(hexToBytes(proof.postCommitment as `0x${string}`), witness, new LayeredPreimages(PreimageStore.of(witness.preimages)), local)).toThrow(StepError);
    }

    // The same answers from level checkpoints (bounded memory).
    const cpDir = join(dir, 'cp');
    const cp = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '7', '--json', '--checkpoint-dir', cpDir, '--checkpoint-every', '5', '--log-level', 'warn']);
    expect(cp.code).toBe(0);
    const direct = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '7', '--json', '--log-level', 'warn']);
    expect((JSON.parse(cp.stdout) as { commitment: string }).commitment).toBe((JSON.parse(direct.stdout) as { commitment: string }).commitment);
    const cpFile = join(dir, 'w-cp.json');
    const cpw = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--witness', '7', '--out', cpFile, '--checkpoint-dir', cpDir, '--checkpoint-every', '5', '--log-level', 'warn']);
    expect(cpw.code).toBe(0);
    const cpProof = JSON.parse(readFileSync(cpFile, 'utf8')) as { postCommitment: string; preimages: string[] };
    const memProof = JSON.parse(readFileSync(join(dir, 'w7.json'), 'utf8')) as { postCommitment: string; preimages: string[] };
    expect(cpProof.postCommitment).toBe(memProof.postCommitment);
    expect([...cpProof.preimages].sort()).toEqual([...memProof.preimages].sort());

    const bad = await run(['trace', '--rpc', node.rpcUrl, '--block', String(block), '--step', '999999999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/outside the block/);
  }, 300_000);
});
