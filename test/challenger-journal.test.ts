// The challenger's journal on disk: records survive a reopen with their bigints intact, the nonce
// index follows the latest purpose at each nonce, prefixes select one game's transactions, and a
// second opener of the same directory gets a typed error (level's lock) instead of a shared store.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JournalError, type GameRecord, type TxRecord } from '../challenger/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'hv-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const GAME = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

function tx(purpose: string, nonce: number, status: TxRecord['status']): TxRecord {
  return {
    purpose,
    from: FROM,
    nonce,
    to: GAME,
    data: '0x1234',
    value: 10n ** 18n + 1n,
    gas: 210_000n,
    attempts: [{ hash: `0x${'ab'.repeat(32)}`, raw: '0x02f8', maxFeePerGas: 2n ** 70n, maxPriorityFeePerGas: 3n, sentAtBlock: 17n }],
    status,
  };
}

describe('challenger journal', () => {
  it('keeps transactions and games across a reopen, bigints included', async () => {
    const j = await Journal.open(dir);
    const move = `game:${GAME.toLowerCase()}:move:0:attack:0x${'11'.repeat(32)}`;
    await j.putTx(tx(move, 0, 'pending'));
    await j.putTx(tx('game:0xother:resolve', 1, 'mined'));
    const game: GameRecord = { address: GAME, seenAt: 1, status: 'IN_PROGRESS', bondsAtStake: 5n * 10n ** 17n, claimed: { [FROM.toLowerCase()]: '7' }, done: false };
    await j.putGame(game);
    // The failed first purpose's nonce reused by another: the index names the latest.
    await j.putTx({ ...tx(move, 0, 'failed'), error: 'gave up' });
    await j.putTx(tx(`game:${GAME.toLowerCase()}:step:3`, 0, 'pending'));
    await j.close();

    const again = await Journal.open(dir);
    expect(await again.tx(move)).toEqual({ ...tx(move, 0, 'failed'), error: 'gave up' });
    expect((await again.tx(move))!.attempts[0]!.maxFeePerGas).toBe(2n ** 70n);
    expect(await again.tx('nope')).toBeUndefined();
    expect((await again.txs(`game:${GAME.toLowerCase()}:`)).map((t) => t.purpose).sort()).toEqual([move, `game:${GAME.toLowerCase()}:step:3`].sort());
    expect(await again.nonces(FROM)).toEqual([
      { nonce: 0, purpose: `game:${GAME.toLowerCase()}:step:3` },
      { nonce: 1, purpose: 'game:0xother:resolve' },
    ]);
    expect(await again.game(GAME.toLowerCase() as `0x${string}`)).toEqual(game);
    expect(await again.games()).toEqual([game]);

    // One process at a time.
    await expect(Journal.open(dir)).rejects.toBeInstanceOf(JournalError);
    await expect(again.putTx(tx('x', -1, 'pending'))).rejects.toBeInstanceOf(JournalError);
    await again.close();
  });
});
