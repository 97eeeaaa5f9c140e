// Transactions against ethereum/tests GeneralStateTests (Cancun): every post entry's
// `txbytes` is decoded, re-encoded byte for byte, its sender recovered and compared with
// the fixture's sender and fields; intrinsic gas is checked against the fixtures'
// INTRINSIC_GAS_TOO_LOW verdicts, and RLP-level invalid transactions must be rejected.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkRules } from '../vm/chain/forks.js';
import {
  decodeTransaction,
  encodeTransaction,
  intrinsicGas,
  recoverSender,
  signTransaction,
  TxDecodeError,
  type Transaction,
} from '../vm/tx/index.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';

const ROOT = fileURLToPath(new URL('../../shared/fixtures/ethereum-tests/GeneralStateTests', import.meta.url));

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

interface PostEntry {
  readonly indexes: { data: number; gas: number; value: number };
  readonly txbytes: string;
  readonly expectException?: string;
}
interface StateTest {
  readonly transaction: {
    readonly data: string[];
    readonly gasLimit: string[];
    readonly value: string[];
    readonly nonce: string;
    readonly to: string;
    readonly sender?: string;
    readonly secretKey: string;
  };
  readonly post: Record<string, PostEntry[]>;
}

/** Fixture numbers are hex, sometimes written `0x:bigint 0x...`. */
const num = (s: string): bigint => BigInt(s.replace(/^0x:bigint\s+/, ''));
/** Fixture data may be `:raw 0x...`. */
const data = (s: string): string => s.replace(/^:raw\s+/, '').toLowerCase();

const cases: Array<{ name: string; test: StateTest; entry: PostEntry }> = [];
for (const file of jsonFiles(ROOT)) {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StateTest>;
  for (const [name, test] of Object.entries(doc)) {
    for (const entry of test.post['Cancun'] ?? []) cases.push({ name, test, entry });
  }
}

const DECODE_EXCEPTIONS = ['RLP_INVALID_VALUE', 'TYPE_3_TX_ZERO_BLOBS'];
const cancun = forkRules('cancun');

describe('GeneralStateTests transactions (Cancun)', () => {
  it('has the fixture set', () => {
    expect(cases.length).toBeGreaterThan(2000);
  });

  it('decodes and re-encodes every valid transaction; recovers and re-signs one per test and every typed one', () => {
    let checked = 0;
    let signed = 0;
    const types = new Set<number>();
    // Signature work is ~3 ms per transaction; legacy variants of one test share a sender and key.
    const recovered = new Set<string>();
    for (const { name, test, entry } of cases) {
      const ex = entry.expectException ?? '';
      if (DECODE_EXCEPTIONS.some((e) => ex.includes(e))) continue;
      const bytes = hexToBytes(entry.txbytes);
      const tx = decodeTransaction(bytes);
      types.add(tx.type);
      expect(bytesToHex(encodeTransaction(tx)), name).toBe(bytesToHex(bytes));
      const t = test.transaction;
      if (tx.type !== 0 || !recovered.has(name)) {
        recovered.add(name);
        signed++;
        if (t.sender !== undefined) expect(recoverSender(tx), name).toBe(t.sender.toLowerCase());
        // RFC 6979 signing is deterministic, so signing again reproduces the fixture bytes.
        const { signature: _sig, ...unsigned } = tx;
        expect(bytesToHex(encodeTransaction(signTransaction(unsigned as Transaction, t.secretKey as `0x${string}`))), name).toBe(
          bytesToHex(bytes),
        );
      }
      expect(tx.nonce, name).toBe(num(t.nonce));
      expect(tx.gasLimit, name).toBe(num(t.gasLimit[entry.indexes.gas]!));
      expect(tx.value, name).toBe(num(t.value[entry.indexes.value]!));
      expect(bytesToHex(tx.data), name).toBe(data(t.data[entry.indexes.data]!));
      expect(tx.to, name).toBe(t.to === '' ? null : t.to.toLowerCase());
      checked++;
    }
    expect(checked).toBeGreaterThan(15000);
    expect(signed).toBeGreaterThan(2000);
    expect([...types].sort()).toEqual([0, 1, 2, 3]);
  });

  it('intrinsic gas agrees with the fixtures: INTRINSIC_GAS_TOO_LOW exactly when gasLimit < intrinsic', () => {
    let tooLow = 0;
    for (const { name, entry } of cases) {
      const ex = entry.expectException ?? '';
      if (DECODE_EXCEPTIONS.some((e) => ex.includes(e))) continue;
      const tx = decodeTransaction(hexToBytes(entry.txbytes));
      const { intrinsic, floor } = intrinsicGas(tx, cancun);
      expect(floor).toBe(0n);
      if (ex.includes('INTRINSIC_GAS_TOO_LOW')) {
        expect(tx.gasLimit < intrinsic, name).toBe(true);
        tooLow++;
      } else if (ex === '') {
        expect(tx.gasLimit >= intrinsic, name).toBe(true);
      }
    }
    expect(tooLow).toBeGreaterThan(10);
  });

  it('rejects the transactions the fixtures mark as undecodable', () => {
    let rejected = 0;
    for (const { name, entry } of cases) {
      const ex = entry.expectException ?? '';
      if (!DECODE_EXCEPTIONS.some((e) => ex.includes(e))) continue;
      expect(() => decodeTransaction(hexToBytes(entry.txbytes)), name).toThrow(TxDecodeError);
      rejected++;
    }
    expect(rejected).toBeGreaterThanOrEqual(3);
  });
});
