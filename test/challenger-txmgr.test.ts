// The challenger's transaction manager on a real anvil: local nonces, the journal written before
// broadcast, idempotence by purpose, fee-bumped replacement of a transaction that is not mined
// (automine off, a base fee above its cap), the cap of attempts, and a mined revert decoded into
// the game's typed error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestClient, http, TransactionReceiptNotFoundError, type Address } from 'viem';
import { foundry } from 'viem/chains';
import { startAnvil, type AnvilNode } from '../cli/anvil.js';
import { l1Clients, type L1Clients } from '../contracts/deploy.js';
import { Journal, type TxRecord } from '../challenger/journal.js';
import { TxManager, TxNotMinedError, TxRevertedError } from '../challenger/txmgr.js';
import { ClaimAlreadyExists } from '../prover/game/game.js';
import { L1Factory } from '../prover/l1/factory.js';
import { L1GameContract, revertFromData } from '../prover/l1/game-contract.js';
import { divergentChain } from '../prover/l1/alphabet-l1.js';
import { ANCHOR_BLOCK, GAME_TYPE, deployAlphabetSystem, truth } from './challenger-support.js';

const SINK: Address = '0x000000000000000000000000000000000000dEaD';

describe('challenger txmgr on anvil', () => {
  let node: AnvilNode;
  let deployer: L1Clients;
  let factory: Address;
  let testClient: ReturnType<typeof createTestClient>;
  const dirs: string[] = [];
  const journals: Journal[] = [];

  const freshJournal = async (): Promise<Journal> => {
    const dir = mkdtempSync(join(tmpdir(), 'hv-txmgr-'));
    dirs.push(dir);
    const j = await Journal.open(dir);
    journals.push(j);
    return j;
  };

  /** Polls the journal (no timing assertion: only until the condition holds). */
  const waitFor = async (j: Journal, purpose: string, ok: (r: TxRecord) => boolean): Promise<TxRecord> => {
    for (;;) {
      const r = await j.tx(purpose);
      if (r !== undefined && ok(r)) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  };

  /** Automine back on, and the base fee back to 1 gwei (it only decays 12.5% a block). */
  const restoreMining = async (): Promise<void> => {
    await testClient.setAutomine(true);
    await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: 1_000_000_000n });
    await testClient.mine({ blocks: 1 });
  };

  beforeAll(async () => {
    node = await startAnvil({ hardfork: 'prague' });
    testClient = createTestClient({ chain: foundry, mode: 'anvil', transport: http(node.rpcUrl) });
    deployer = l1Clients(node.rpcUrl, node.privateKeys[0]!, { pollingIntervalMs: 20 });
    factory = await deployAlphabetSystem(deployer);
  }, 120_000);
  afterAll(async () => {
    for (const j of journals) await j.close().catch(() => undefined);
    await node?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('counts nonces locally from the pending count, journals before sending, and sends a purpose once', async () => {
    const clients = l1Clients(node.rpcUrl, node.privateKeys[3]!, { pollingIntervalMs: 20 });
    const journal = await freshJournal();
    const start = await clients.public.getTransactionCount({ address: clients.wallet.account.address, blockTag: 'pending' });
    const txmgr = await TxManager.create({ public: clients.public, wallet: clients.wallet, journal, pollIntervalMs: 20 });
    expect(txmgr.nextNonce).toBe(start);
    const receipts = await Promise.all([1n, 2n, 3n].map((v) => txmgr.send({ purpose: `test:pay:${v}`, to: SINK, data: '0x', value: v })));
    const nonces = await Promise.all(
      receipts.map(async (r) => (await clients.public.getTransaction({ hash: r.transactionHash })).nonce),
    );
    expect([...nonces].sort((a, b) => a - b)).toEqual([start, start + 1, start + 2]);
    for (const v of [1n, 2n, 3n]) {
      const rec = (await journal.tx(`test:pay:${v}`))!;
      expect(rec.status).toBe('mined');
      expect(rec.attempts).toHaveLength(1);
      expect(receipts.map((r) => r.transactionHash)).toContain(rec.minedHash);
      expect(rec.value).toBe(v);
    }
    expect((await journal.nonces(clients.wallet.account.address)).map((n) => n.nonce)).toEqual([start, start + 1, start + 2]);
    // The same purpose again: the mined receipt, nothing sent.
    const again = await txmgr.send({ purpose: 'test:pay:2', to: SINK, data: '0x', value: 2n });
    expect(again.transactionHash).toBe((await journal.tx('test:pay:2'))!.minedHash);
    expect(await clients.public.getTransactionCount({ address: clients.wallet.account.address })).toBe(start + 3);
    expect(txmgr.nextNonce).toBe(start + 3);
  }, 60_000);

  it('replaces a transaction that is not mined within N blocks with +10% fees; the replacement is mined', async () => {
    const clients = l1Clients(node.rpcUrl, node.privateKeys[4]!, { pollingIntervalMs: 20 });
    const journal = await freshJournal();
    const txmgr = await TxManager.create({ public: clients.public, wallet: clients.wallet, journal, pollIntervalMs: 20, resubmitAfterBlocks: 2 });
    const purpose = 'test:bump';
    await testClient.setAutomine(false);
    try {
      const sending = txmgr.send({ purpose, to: SINK, data: '0x', value: 7n });
      const first = await waitFor(journal, purpose, (r) => r.attempts.length === 1);
      expect(first.status).toBe('pending');
      const original = first.attempts[0]!;
      // Blocks go by, but at a base fee above the original's cap: it stays in the pool.
      await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: original.maxFeePerGas * 50n });
      await testClient.mine({ blocks: 2 });
      const bumped = await waitFor(journal, purpose, (r) => r.attempts.length === 2);
      const replacement = bumped.attempts[1]!;
      expect(bumped.nonce).toBe(first.nonce);
      expect(replacement.hash).not.toBe(original.hash);
      expect(replacement.maxPriorityFeePerGas * 100n).toBeGreaterThanOrEqual(original.maxPriorityFeePerGas * 110n);
      expect(replacement.maxFeePerGas * 100n).toBeGreaterThanOrEqual(original.maxFeePerGas * 110n);
      await expect(clients.public.getTransactionReceipt({ hash: original.hash })).rejects.toBeInstanceOf(TransactionReceiptNotFoundError);
      // Mining resumes: the replacement is mined, the original never.
      await testClient.mine({ blocks: 1 });
      const receipt = await sending;
      expect(receipt.transactionHash).toBe(replacement.hash);
      expect(receipt.status).toBe('success');
      expect((await clients.public.getTransaction({ hash: replacement.hash })).nonce).toBe(first.nonce);
      await expect(clients.public.getTransactionReceipt({ hash: original.hash })).rejects.toBeInstanceOf(TransactionReceiptNotFoundError);
      const done = (await journal.tx(purpose))!;
      expect(done).toMatchObject({ status: 'mined', minedHash: replacement.hash, blockNumber: receipt.blockNumber });
    } finally {
      await restoreMining();
    }
  }, 60_000);

  it('gives up with TxNotMinedError after the cap of attempts, and journals the failure', async () => {
    const clients = l1Clients(node.rpcUrl, node.privateKeys[5]!, { pollingIntervalMs: 20 });
    const journal = await freshJournal();
    const txmgr = await TxManager.create({ public: clients.public, wallet: clients.wallet, journal, pollIntervalMs: 20, resubmitAfterBlocks: 1, maxAttempts: 2 });
    const purpose = 'test:give-up';
    await testClient.setAutomine(false);
    try {
      const sending = txmgr.send({ purpose, to: SINK, data: '0x', value: 9n }).catch((e: unknown) => e);
      const first = await waitFor(journal, purpose, (r) => r.attempts.length === 1);
      // Every attempt stays below the base fee: mine empty blocks until the manager gives up.
      for (let i = 0; i < 4; i++) {
        const rec = (await journal.tx(purpose))!;
        if (rec.status === 'failed') break;
        const top = rec.attempts[rec.attempts.length - 1]!.maxFeePerGas;
        await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: top * 1000n });
        await testClient.mine({ blocks: 1 });
        await waitFor(journal, purpose, (r) => r.status === 'failed' || r.attempts.length > rec.attempts.length);
      }
      const err = await sending;
      expect(err).toBeInstanceOf(TxNotMinedError);
      expect((err as TxNotMinedError).nonce).toBe(first.nonce);
      expect((err as TxNotMinedError).hashes).toHaveLength(2);
      expect((await journal.tx(purpose))!.status).toBe('failed');
      for (const a of (await journal.tx(purpose))!.attempts) await testClient.dropTransaction({ hash: a.hash });
    } finally {
      await restoreMining();
    }
  }, 60_000);

  it('a move mined as a revert is a TxRevertedError carrying the game\'s typed error; never sent twice', async () => {
    const honest = l1Clients(node.rpcUrl, node.privateKeys[1]!, { pollingIntervalMs: 20 });
    const liar = l1Clients(node.rpcUrl, node.privateKeys[2]!, { pollingIntervalMs: 20 });
    const lie = divergentChain(truth, ANCHOR_BLOCK + 1n, 'txmgr');
    const block = ANCHOR_BLOCK + 2n;
    const { address } = await new L1Factory(liar, factory).createGame({ gameType: GAME_TYPE, rootClaim: lie(block), l2BlockNumber: block });
    const game = new L1GameContract({ public: honest.public }, address);
    const view = await game.view();
    const attack = { type: 'attack' as const, parentIndex: 0, disputed: view.claims[0]!.value, value: truth(block), bond: view.params.bonds[1]! };
    const journal = await freshJournal();
    const txmgr = await TxManager.create({ public: honest.public, wallet: honest.wallet, journal, pollIntervalMs: 20 });
    const call = await game.prepareAction(attack, honest.wallet.account.address);
    await txmgr.send({ purpose: 'test:attack', to: call.to, data: call.data, value: call.value, decodeRevert: revertFromData });
    expect((await game.view()).claims).toHaveLength(2);

    // The same claim again, estimated: the revert comes back typed before anything is signed.
    const nonce = txmgr.nextNonce;
    const dup = game.encodeAction(attack);
    await expect(txmgr.send({ purpose: 'test:dup-estimated', to: dup.to, data: dup.data, value: dup.value, decodeRevert: revertFromData })).rejects.toBeInstanceOf(
      ClaimAlreadyExists,
    );
    expect(await journal.tx('test:dup-estimated')).toBeUndefined();
    expect(txmgr.nextNonce).toBe(nonce);

    // With a fixed gas limit it is mined and reverts on chain.
    const candidate = { purpose: 'test:dup', to: dup.to, data: dup.data, value: dup.value, gas: 300_000n, decodeRevert: revertFromData };
    const err = await txmgr.send(candidate).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TxRevertedError);
    const reverted = err as TxRevertedError;
    expect(reverted.revert).toBeInstanceOf(ClaimAlreadyExists);
    expect((await honest.public.getTransactionReceipt({ hash: reverted.hash })).status).toBe('reverted');
    expect(await journal.tx('test:dup')).toMatchObject({ status: 'reverted', minedHash: reverted.hash, nonce });
    // Asked again: the journaled revert, not a second transaction.
    const again = await txmgr.send(candidate).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TxRevertedError);
    expect((again as TxRevertedError).hash).toBe(reverted.hash);
    expect(txmgr.nextNonce).toBe(nonce + 1);
    expect(await honest.public.getTransactionCount({ address: honest.wallet.account.address })).toBe(nonce + 1);
    expect((await game.view()).claims).toHaveLength(2);
  }, 60_000);
});
