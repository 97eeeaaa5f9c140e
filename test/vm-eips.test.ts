// Prague and Osaka behaviour, written from the EIPs (the shared state-test
// fixtures are filled for Cancun only): CLZ, the calldata floor, the
// transaction gas cap, set-code delegations, and the chain-rule fee switch.
import { describe, expect, it } from 'vitest';
import { runCode } from '../vm/run-code.js';
import { hexToBytes, bytesToHex } from '../vm/util/bytes.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { forkRules, type Fork } from '../vm/chain/forks.js';
import { ethereumRules, hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { MemoryState } from '../vm/state/memory.js';
import { WorldState } from '../vm/state/world.js';
import { applyTransaction, InvalidTransactionError } from '../vm/execution/transaction.js';
import type { TxRequest, Authorization } from '../vm/execution/request.js';
import type { BlockEnv } from '../vm/env.js';

const SENDER = toAddress('0x1000000000000000000000000000000000000001');
const COINBASE = toAddress('0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0');
const TARGET = toAddress('0x2000000000000000000000000000000000000002');
const DELEGATE = toAddress('0x3000000000000000000000000000000000000003');
const AUTHORITY = toAddress('0x4000000000000000000000000000000000000004');

function block(fork: Fork, chain: ChainRules = ethereumRules(fork)): BlockEnv {
  return {
    chain,
    rules: forkRules(fork),
    number: 10n,
    timestamp: 1000n,
    coinbase: COINBASE,
    gasLimit: 60_000_000n,
    baseFee: 7n,
    prevRandao: 0n,
    excessBlobGas: 0n,
    blockHash: () => null,
  };
}

function tx(overrides: Partial<TxRequest>): TxRequest {
  return {
    type: 2,
    sender: SENDER,
    nonce: 0n,
    gasLimit: 1_000_000n,
    to: TARGET,
    value: 0n,
    data: new Uint8Array(0),
    gasPrice: 0n,
    maxFeePerGas: 20n,
    maxPriorityFeePerGas: 2n,
    accessList: [],
    blobVersionedHashes: [],
    maxFeePerBlobGas: 0n,
    authorizationList: [],
    ...overrides,
  };
}

function world(accounts: Record<string, { balance?: bigint; nonce?: bigint; code?: string; storage?: [bigint, bigint][] }>): { state: MemoryState; world: WorldState } {
  const state = new MemoryState();
  state.put(SENDER, { balance: 10n ** 21n });
  for (const [a, acc] of Object.entries(accounts)) {
    state.put(a as Address, {
      ...(acc.balance !== undefined ? { balance: acc.balance } : {}),
      ...(acc.nonce !== undefined ? { nonce: acc.nonce } : {}),
      ...(acc.code !== undefined ? { code: hexToBytes(acc.code) } : {}),
      ...(acc.storage ? { storage: acc.storage } : {}),
    });
  }
  return { state, world: new WorldState(state) };
}

describe('EIP-7939 CLZ (Osaka)', () => {
  // PUSH32 x, CLZ, PUSH0, MSTORE, PUSH1 32, PUSH0, RETURN
  const clzOf = (x: bigint, fork: Fork = 'osaka') =>
    runCode({ code: hexToBytes('7f' + x.toString(16).padStart(64, '0') + '1e5f5260205ff3'), fork });

  it.each([
    [0n, 256n],
    [1n, 255n],
    [1n << 255n, 0n],
    [(1n << 256n) - 1n, 0n],
    [1n << 254n, 1n],
    [(1n << 255n) - 1n, 1n],
    [0xffn, 248n],
  ])('clz(%s) = %s', (x, want) => {
    const r = clzOf(x);
    expect(r.error).toBeNull();
    expect(BigInt(bytesToHex(r.output))).toBe(want);
  });

  it('costs 5 gas (GAS_LOW)', () => {
    // PUSH1 1, CLZ, STOP: 3 + 5.
    expect(runCode({ code: hexToBytes('60011e00') }).gasUsed).toBe(8n);
  });

  it('is an invalid opcode before Osaka', () => {
    expect(clzOf(1n, 'prague').error).toBe('invalid opcode');
    expect(clzOf(1n, 'cancun').error).toBe('invalid opcode');
  });
});

describe('EIP-7623 calldata floor (Prague)', () => {
  const data = new Uint8Array(1000).fill(0xab);
  it('charges the floor when execution is cheaper', () => {
    // 1000 non-zero bytes = 4000 tokens: intrinsic 21000 + 16*1000, floor 21000 + 10*4000.
    const p = world({});
    expect(applyTransaction(p.world, block('prague'), tx({ data })).gasUsed).toBe(61_000n);
    const c = world({});
    expect(applyTransaction(c.world, block('cancun'), tx({ data })).gasUsed).toBe(37_000n);
  });

  it('rejects a transaction whose gas limit is below the floor', () => {
    const p = world({});
    expect(() => applyTransaction(p.world, block('prague'), tx({ data, gasLimit: 50_000n }))).toThrow(InvalidTransactionError);
    const c = world({});
    expect(applyTransaction(c.world, block('cancun'), tx({ data, gasLimit: 50_000n })).gasUsed).toBe(37_000n);
  });
});

describe('EIP-7825 transaction gas cap (Osaka)', () => {
  it('rejects gas limits above 2^24 in Osaka only', () => {
    const o = world({});
    expect(() => applyTransaction(o.world, block('osaka'), tx({ gasLimit: (1n << 24n) + 1n }))).toThrowError('gas limit above cap');
    const p = world({});
    expect(applyTransaction(p.world, block('prague'), tx({ gasLimit: (1n << 24n) + 1n })).gasUsed).toBe(21_000n);
    const o2 = world({});
    expect(applyTransaction(o2.world, block('osaka'), tx({ gasLimit: 1n << 24n })).gasUsed).toBe(21_000n);
  });
});

describe('EIP-7702 set-code delegations (Prague)', () => {
  // Delegate code: SSTORE(0, CALLER); SSTORE(1, ADDRESS); STOP
  const delegateCode = '33' + '5f' + '55' + '30' + '6001' + '55' + '00';
  const auth = (a: Partial<Authorization>): Authorization => ({ chainId: 1n, address: DELEGATE, nonce: 0n, authority: AUTHORITY, ...a });

  it('installs the designator and runs the delegate code in the authority context', () => {
    const { state, world: w } = world({ [DELEGATE]: { code: delegateCode }, [AUTHORITY]: { balance: 1n } });
    const out = applyTransaction(w, block('prague'), tx({ type: 4, to: AUTHORITY, authorizationList: [auth({})] }));
    expect(out.success).toBe(true);
    const changes = w.changes();
    const a = changes.get(AUTHORITY)!;
    expect(bytesToHex(a.account!.code)).toBe('0xef0100' + DELEGATE.slice(2));
    expect(a.account!.nonce).toBe(1n);
    expect(a.storage.get(0n)).toBe(BigInt(SENDER));
    expect(a.storage.get(1n)).toBe(BigInt(AUTHORITY));
    // The delegate's own storage is untouched.
    expect(changes.get(DELEGATE)).toBeUndefined();
    void state;
  });

  it('refunds PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST for an authority that exists', () => {
    const fresh = world({ [DELEGATE]: { code: '00' } });
    const existing = world({ [DELEGATE]: { code: '00' }, [AUTHORITY]: { balance: 1n } });
    const g1 = applyTransaction(fresh.world, block('prague'), tx({ type: 4, to: TARGET, authorizationList: [auth({})] })).gasUsed;
    const g2 = applyTransaction(existing.world, block('prague'), tx({ type: 4, to: TARGET, authorizationList: [auth({})] })).gasUsed;
    // 21000 + 25000 intrinsic; the refund is capped at a fifth of gas used: min(12500, 46000/5).
    expect(g1).toBe(46_000n);
    expect(g2).toBe(46_000n - 9_200n);
  });

  it('skips authorizations for another chain or with a stale nonce', () => {
    const { world: w } = world({ [DELEGATE]: { code: delegateCode }, [AUTHORITY]: { balance: 1n, nonce: 3n } });
    applyTransaction(w, block('prague'), tx({ type: 4, to: TARGET, authorizationList: [auth({ chainId: 5n, nonce: 3n }), auth({ nonce: 2n })] }));
    expect(w.changes().get(AUTHORITY)).toBeUndefined();
  });

  it('accepts chain id 0 and clears a delegation to the zero address', () => {
    const { world: w } = world({ [AUTHORITY]: { balance: 1n, nonce: 1n, code: 'ef0100' + DELEGATE.slice(2) } });
    applyTransaction(w, block('prague'), tx({ type: 4, to: TARGET, authorizationList: [auth({ chainId: 0n, nonce: 1n, address: toAddress('0x0000000000000000000000000000000000000000') })] }));
    const a = w.changes().get(AUTHORITY)!;
    expect(a.account!.code.length).toBe(0);
    expect(a.account!.nonce).toBe(2n);
  });

  it('EXTCODESIZE sees the 23-byte designator; set-code transactions need Prague', () => {
    // EXTCODESIZE(authority) -> SSTORE(0)
    const probe = '73' + AUTHORITY.slice(2) + '3b' + '5f' + '55' + '00';
    const { world: w } = world({ [TARGET]: { code: probe }, [AUTHORITY]: { nonce: 1n, code: 'ef0100' + DELEGATE.slice(2) } });
    applyTransaction(w, block('prague'), tx({}));
    expect(w.changes().get(TARGET)!.storage.get(0n)).toBe(23n);
    const c = world({});
    expect(() => applyTransaction(c.world, block('cancun'), tx({ type: 4, authorizationList: [auth({})] }))).toThrowError('type not active');
  });
});

describe('chain rules: who receives the base fee', () => {
  it('burns it on Ethereum and pays it to the producer on Hyperion', () => {
    const eth = world({});
    const a = applyTransaction(eth.world, block('prague'), tx({}));
    // effective price = min(2, 20 - 7) + 7 = 9; Ethereum pays the tip only.
    expect(a.fee).toBe(21_000n * 2n);
    expect(eth.world.getBalance(COINBASE)).toBe(42_000n);
    const hyp = world({});
    const b = applyTransaction(hyp.world, block('prague', hyperionRules(133n)), tx({}));
    expect(b.fee).toBe(21_000n * 9n);
    expect(hyp.world.getBalance(COINBASE)).toBe(189_000n);
    // The sender pays the same either way.
    expect(eth.world.getBalance(SENDER)).toBe(hyp.world.getBalance(SENDER));
  });
});
