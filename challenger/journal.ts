// The challenger's journal: a small level store under the data dir that remembers every
// transaction it signed (by purpose key, with the signed bytes, so a restart can rebroadcast or
// bump it rather than send a duplicate) and one record per game. Each state change is one level
// batch written with sync, so a crash leaves either the old record or the new one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import type { Address, Hex } from 'viem';

export class JournalError extends Error {
  override readonly name = 'JournalError';
}

/**
 * pending: signed and (about to be) broadcast; mined: succeeded; reverted: mined and reverted;
 * failed: given up (never mined) or refused by the node, so the purpose may be attempted again.
 */
export type TxStatus = 'pending' | 'mined' | 'reverted' | 'failed';

/** One broadcast of the transaction (the original or a fee-bumped replacement). */
export interface TxAttempt {
  readonly hash: Hex;
  /** The signed transaction, so it can be rebroadcast after a restart. */
  readonly raw: Hex;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** The L1 head when it was signed: replacement is due N blocks later. */
  readonly sentAtBlock: bigint;
}

export interface TxRecord {
  /** e.g. `game:<addr>:move:<parentIndex>:<attack|defend>:<claim>` */
  readonly purpose: string;
  readonly from: Address;
  readonly nonce: number;
  readonly to: Address;
  readonly data: Hex;
  readonly value: bigint;
  readonly gas: bigint;
  /** Every broadcast, oldest first; any of them being mined settles the record. */
  readonly attempts: readonly TxAttempt[];
  readonly status: TxStatus;
  /** The mined transaction, once known. */
  readonly minedHash?: Hex;
  readonly blockNumber?: bigint;
  readonly error?: string;
}

export type GameRecordStatus = 'IN_PROGRESS' | 'CHALLENGER_WINS' | 'DEFENDER_WINS';

export interface GameRecord {
  readonly address: Address;
  /** Unix seconds when the challenger first saw it. */
  readonly seenAt: number;
  readonly status: GameRecordStatus;
  /** Bonds our claimants have posted in the game (wei), as last read. */
  readonly bondsAtStake: bigint;
  /** Credit claimed per recipient (wei). */
  readonly claimed: Readonly<Record<string, string>>;
  /** Won or lost, set once when it resolves (for our claimants' bonds). */
  readonly outcome?: 'won' | 'lost' | 'none';
  /** Resolved, every credit claimed and its data dir deleted: nothing left to do. */
  readonly done: boolean;
}

// level stores JSON: bigints as decimal strings.
type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function toJson(v: unknown): Json {
  if (typeof v === 'bigint') return { $big: v.toString() };
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  return v as Json;
}

function fromJson(v: Json): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$big' && typeof v.$big === 'string') return BigInt(v.$big);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromJson(x);
    return out;
  }
  return v;
}

const TX = 'tx!';
const NONCE = 'nonce!';
const GAME = 'game!';
/** Keys sort by nonce within an account. */
const nonceKey = (from: Address, nonce: number): string => `${NONCE}${from.toLowerCase()}!${nonce.toString().padStart(12, '0')}`;

export class Journal {
  private constructor(
    private readonly db: Level<string, string>,
    readonly path: string,
  ) {}

  /** Opens (creating) the journal at `<dataDir>/journal`. Only one process may hold it. */
  static async open(dataDir: string): Promise<Journal> {
    const path = join(dataDir, 'journal');
    mkdirSync(dataDir, { recursive: true });
    const db = new Level<string, string>(path, { valueEncoding: 'utf8' });
    try {
      await db.open();
    } catch (e) {
      throw new JournalError(`cannot open the journal at ${path}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    return new Journal(db, path);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async get(key: string): Promise<unknown> {
    const raw = await this.db.get(key);
    return raw === undefined ? undefined : fromJson(JSON.parse(raw) as Json);
  }

  private async *range(prefix: string): AsyncGenerator<[string, unknown]> {
    for await (const [k, v] of this.db.iterator({ gte: prefix, lt: `${prefix}\xff` })) yield [k, fromJson(JSON.parse(v) as Json)];
  }

  async tx(purpose: string): Promise<TxRecord | undefined> {
    return (await this.get(TX + purpose)) as TxRecord | undefined;
  }

  /**
   * Writes a transaction record and its nonce index in one batch. Called before every broadcast
   * (with the new attempt already in `attempts`) and on every status change.
   */
  async putTx(record: TxRecord): Promise<void> {
    if (!Number.isSafeInteger(record.nonce) || record.nonce < 0) throw new JournalError(`bad nonce ${record.nonce} for ${record.purpose}`);
    await this.db.batch(
      [
        { type: 'put', key: TX + record.purpose, value: JSON.stringify(toJson(record)) },
        { type: 'put', key: nonceKey(record.from, record.nonce), value: JSON.stringify(record.purpose) },
      ],
      { sync: true },
    );
  }

  /** Transaction records whose purpose starts with `prefix` (all when empty), in key order. */
  async txs(prefix = ''): Promise<TxRecord[]> {
    const out: TxRecord[] = [];
    for await (const [, v] of this.range(TX + prefix)) out.push(v as TxRecord);
    return out;
  }

  /** Purpose last signed at each nonce of `from`, in nonce order (a failed purpose's nonce may be reused). */
  async nonces(from: Address): Promise<{ nonce: number; purpose: string }[]> {
    const prefix = `${NONCE}${from.toLowerCase()}!`;
    const out: { nonce: number; purpose: string }[] = [];
    for await (const [k, v] of this.range(prefix)) out.push({ nonce: Number(k.slice(prefix.length)), purpose: v as string });
    return out;
  }

  async game(address: Address): Promise<GameRecord | undefined> {
    return (await this.get(GAME + address.toLowerCase())) as GameRecord | undefined;
  }

  async putGame(record: GameRecord): Promise<void> {
    await this.db.batch([{ type: 'put', key: GAME + record.address.toLowerCase(), value: JSON.stringify(toJson(record)) }], { sync: true });
  }

  async games(): Promise<GameRecord[]> {
    const out: GameRecord[] = [];
    for await (const [, v] of this.range(GAME)) out.push(v as GameRecord);
    return out;
  }
}
