// Transactions: differential against viem (serialize, parse, sign, recover, hashes,
// EIP-7702 authorizations) on seeded random transactions of all five types, plus
// rejection of malformed encodings and invalid signatures with typed errors.
import { describe, expect, it } from 'vitest';
import {
  keccak256 as viemKeccak,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  type Hex as ViemHex,
  type TransactionSerializable,
} from 'viem';
import { hashAuthorization, recoverAuthorizationAddress } from 'viem/utils';
import { privateKeyToAccount, signAuthorization as viemSignAuthorization, signTransaction as viemSignTransaction } from 'viem/accounts';
import {
  addressOfPrivateKey,
  authorizationSigningHash,
  decodeTransaction,
  encodeTransaction,
  recoverAuthority,
  recoverSender,
  SECP256K1_N,
  signAuthorization,
  signingHash,
  signTransaction,
  transactionHash,
  TxDecodeError,
  TxEncodeError,
  TxSignatureError,
  type AccessListEntry,
  type SetCodeAuthorization,
  type Transaction,
  type TxType,
} from '../vm/tx/index.js';
import { rlpDecode, rlpEncode, type RlpInput, type RlpItem } from '../vm/rlp/rlp.js';
import { bigIntToBytes, bytesToHex, concatBytes, hexToBytes, type Hex } from '../vm/util/bytes.js';
import type { Address } from '../vm/util/address.js';
import { rng } from './support/rng.js';


class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  bytes(len: number, zeroBias = 0): Uint8Array {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = this.r() < zeroBias ? 0 : this.int(256);
    return b;
  }
  /** Up to `bits` bits, often 0 or small: edge cases of minimal encoding. */
  big(bits: number): bigint {
    const k = this.r();
    if (k < 0.15) return 0n;
    if (k < 0.3) return BigInt(this.int(256));
    let v = 0n;
    const n = 1 + this.int(bits);
    for (let i = 0; i < n; i++) v = (v << 1n) | (this.r() < 0.5 ? 1n : 0n);
    return v;
  }
  address(): Address {
    return bytesToHex(this.bytes(20, 0.1)) as Address;
  }
  key(): Hex {
    for (;;) {
      const k = this.bytes(32);
      const v = BigInt(bytesToHex(k));
      if (v > 0n && v < SECP256K1_N) return bytesToHex(k);
    }
  }
  chainId(): bigint {
    return [1n, 1088n, 59902n, 133717n, BigInt(1 + this.int(2 ** 31))][this.int(5)]!;
  }
  data(): Uint8Array {
    const k = this.r();
    if (k < 0.25) return new Uint8Array(0);
    return this.bytes(k < 0.8 ? 1 + this.int(80) : 56 + this.int(600), this.r());
  }
  accessList(): AccessListEntry[] {
    const n = this.r() < 0.4 ? 0 : 1 + this.int(3);
    return Array.from({ length: n }, () => ({
      address: this.address(),
      storageKeys: Array.from({ length: this.int(4) }, () => (this.r() < 0.3 ? BigInt(this.int(10)) : BigInt(bytesToHex(this.bytes(32))))),
    }));
  }
}

function randomUnsigned(g: Gen, type: TxType): Transaction {
  const base = {
    // viem numbers nonces, so keep them below 2^53.
    nonce: g.big(52),
    gasLimit: g.big(30),
    value: g.big(120),
    data: g.data(),
  };
  const to = g.r() < 0.2 ? null : g.address();
  // viem refuses a tip above the fee cap.
  const maxFeePerGas = g.big(60);
  const fees = { maxPriorityFeePerGas: g.big(64) % (maxFeePerGas + 1n), maxFeePerGas };
  switch (type) {
    case 0:
      return { type, ...base, chainId: g.r() < 0.2 ? null : g.chainId(), gasPrice: g.big(60), to };
    case 1:
      return { type, ...base, chainId: g.chainId(), gasPrice: g.big(60), to, accessList: g.accessList() };
    case 2:
      return { type, ...base, chainId: g.chainId(), ...fees, to, accessList: g.accessList() };
    case 3:
      return {
        type,
        ...base,
        chainId: g.chainId(),
        ...fees,
        to: g.address(),
        accessList: g.accessList(),
        maxFeePerBlobGas: g.big(50),
        blobVersionedHashes: Array.from({ length: 1 + g.int(6) }, () => concatBytes(Uint8Array.of(1), g.bytes(31))),
      };
    case 4: {
      const authorizationList: SetCodeAuthorization[] = Array.from({ length: 1 + g.int(3) }, () =>
        signAuthorization({ chainId: g.r() < 0.3 ? 0n : g.chainId(), address: g.address(), nonce: g.big(40) }, g.key()),
      );
      return { type, ...base, chainId: g.chainId(), ...fees, to: g.address(), accessList: g.accessList(), authorizationList };
    }
  }
}

const VIEM_TYPE = ['legacy', 'eip2930', 'eip1559', 'eip4844', 'eip7702'] as const;
const word = (v: bigint): ViemHex => bytesToHex(bigIntToBytes(v, 32)) as ViemHex;

/** Our transaction as viem's serializable form (viem numbers chain ids and nonces). */
function toViem(tx: Transaction): TransactionSerializable {
  const o: Record<string, unknown> = {
    type: VIEM_TYPE[tx.type],
    nonce: Number(tx.nonce),
    gas: tx.gasLimit,
    value: tx.value,
    data: bytesToHex(tx.data),
    to: tx.to ?? undefined,
  };
  if (tx.chainId !== null) o['chainId'] = Number(tx.chainId);
  if (tx.type === 0 || tx.type === 1) o['gasPrice'] = tx.gasPrice;
  else {
    o['maxFeePerGas'] = tx.maxFeePerGas;
    o['maxPriorityFeePerGas'] = tx.maxPriorityFeePerGas;
  }
  if (tx.type !== 0) o['accessList'] = tx.accessList.map((e) => ({ address: e.address, storageKeys: e.storageKeys.map(word) }));
  if (tx.type === 3) {
    o['maxFeePerBlobGas'] = tx.maxFeePerBlobGas;
    o['blobVersionedHashes'] = tx.blobVersionedHashes.map((h) => bytesToHex(h));
  }
  if (tx.type === 4) {
    o['authorizationList'] = tx.authorizationList.map((a) => ({
      chainId: Number(a.chainId),
      address: a.address,
      nonce: Number(a.nonce),
      yParity: Number(a.yParity),
      r: word(a.r),
      s: word(a.s),
    }));
  }
  return o as TransactionSerializable;
}

function viemSignature(tx: Transaction) {
  const sig = tx.signature!;
  if ('v' in sig) return { r: word(sig.r), s: word(sig.s), v: sig.v };
  return { r: word(sig.r), s: word(sig.s), yParity: Number(sig.yParity) };
}

const TYPES: TxType[] = [0, 1, 2, 3, 4];

describe('transactions vs viem', () => {
  it('serialize, sign, hash, parse and recover agree on 250 random transactions of every type', async () => {
    const g = new Gen(rng(1));
    for (let i = 0; i < 250; i++) {
      const type = TYPES[i % 5]!;
      const unsigned = randomUnsigned(g, type);
      const key = g.key();
      // Unsigned payload and signing hash.
      expect(bytesToHex(encodeTransaction(unsigned))).toBe(serializeTransaction(toViem(unsigned)));
      expect(bytesToHex(signingHash(unsigned))).toBe(viemKeccak(serializeTransaction(toViem(unsigned))));
      // Deterministic signatures (RFC 6979) are byte-identical.
      const signed = signTransaction(unsigned, key);
      const ours = bytesToHex(encodeTransaction(signed));
      const theirs = await viemSignTransaction({ privateKey: key as ViemHex, transaction: toViem(unsigned) });
      expect(ours).toBe(theirs);
      expect(serializeTransaction(toViem(signed), viemSignature(signed))).toBe(ours);
      expect(bytesToHex(transactionHash(signed))).toBe(viemKeccak(theirs));
      // Round trip and sender recovery.
      const decoded = decodeTransaction(hexToBytes(theirs));
      expect(decoded).toEqual(signed);
      const sender = recoverSender(decoded);
      expect(sender).toBe(addressOfPrivateKey(key));
      expect(sender).toBe(privateKeyToAccount(key as ViemHex).address.toLowerCase());
      expect(sender).toBe((await recoverTransactionAddress({ serializedTransaction: theirs as never })).toLowerCase());
      // viem's parse of our bytes gives the same fields.
      const parsed = parseTransaction(ours as ViemHex) as Record<string, unknown>;
      expect(parsed['type']).toBe(VIEM_TYPE[type]);
      expect(BigInt((parsed['nonce'] as number | undefined) ?? 0)).toBe(signed.nonce);
      expect((parsed['gas'] as bigint | undefined) ?? 0n).toBe(signed.gasLimit);
      expect((parsed['value'] as bigint | undefined) ?? 0n).toBe(signed.value);
      expect((parsed['to'] as string | undefined)?.toLowerCase() ?? null).toBe(signed.to);
      expect((parsed['data'] as string | undefined) ?? '0x').toBe(bytesToHex(signed.data));
      if (signed.chainId !== null) expect(BigInt(parsed['chainId'] as number)).toBe(signed.chainId);
      expect(BigInt(parsed['r'] as string)).toBe(signed.signature!.r);
      expect(BigInt(parsed['s'] as string)).toBe(signed.signature!.s);
    }
  });

  it('legacy pre-EIP-155 transactions use v = 27/28 and recover', async () => {
    const g = new Gen(rng(2));
    for (let i = 0; i < 20; i++) {
      const tx = { ...(randomUnsigned(g, 0) as Extract<Transaction, { type: 0 }>), chainId: null };
      const key = g.key();
      const signed = signTransaction(tx, key);
      expect([27n, 28n]).toContain(signed.signature!.v);
      const theirs = await viemSignTransaction({ privateKey: key as ViemHex, transaction: toViem(tx) });
      expect(bytesToHex(encodeTransaction(signed))).toBe(theirs);
      expect(decodeTransaction(hexToBytes(theirs))).toEqual(signed);
      expect(recoverSender(signed)).toBe(addressOfPrivateKey(key));
    }
  });

  it('EIP-7702 authorizations: signing hash, signature and authority agree with viem', async () => {
    const g = new Gen(rng(3));
    for (let i = 0; i < 40; i++) {
      const auth = { chainId: g.r() < 0.3 ? 0n : g.chainId(), address: g.address(), nonce: g.big(40) };
      const key = g.key();
      const viemAuth = { chainId: Number(auth.chainId), address: auth.address as ViemHex, nonce: Number(auth.nonce) };
      expect(bytesToHex(authorizationSigningHash(auth))).toBe(hashAuthorization(viemAuth));
      const signed = signAuthorization(auth, key);
      const theirs = await viemSignAuthorization({ privateKey: key as ViemHex, ...viemAuth });
      expect(signed.r).toBe(BigInt(theirs.r));
      expect(signed.s).toBe(BigInt(theirs.s));
      expect(signed.yParity).toBe(BigInt(theirs.yParity!));
      expect(recoverAuthority(signed)).toBe(addressOfPrivateKey(key));
      expect(recoverAuthority(signed)).toBe((await recoverAuthorizationAddress({ authorization: theirs })).toLowerCase());
    }
  });

  it('invalid authorizations recover to null instead of throwing', () => {
    const g = new Gen(rng(4));
    const a = signAuthorization({ chainId: 1n, address: g.address(), nonce: 0n }, g.key());
    expect(recoverAuthority(a)).not.toBeNull();
    expect(recoverAuthority({ ...a, s: SECP256K1_N - a.s })).toBeNull(); // high s (EIP-2)
    expect(recoverAuthority({ ...a, yParity: 2n })).toBeNull();
    expect(recoverAuthority({ ...a, yParity: 27n })).toBeNull();
    expect(recoverAuthority({ ...a, r: 0n })).toBeNull();
    expect(recoverAuthority({ ...a, s: 0n })).toBeNull();
    expect(recoverAuthority({ ...a, r: SECP256K1_N })).toBeNull();
    // A tampered field recovers some other address, never the signer.
    expect(recoverAuthority({ ...a, nonce: 1n })).not.toBe(recoverAuthority(a));
  });
});

describe('signature rules', () => {
  const g = new Gen(rng(5));
  const key = g.key();
  it('rejects high s, out-of-range r/s, bad yParity and mismatched legacy v', () => {
    for (const type of TYPES) {
      const signed = signTransaction(randomUnsigned(g, type), key);
      expect(recoverSender(signed)).toBe(addressOfPrivateKey(key));
      const sig = signed.signature!;
      const withSig = (patch: Record<string, bigint>) => ({ ...signed, signature: { ...sig, ...patch } }) as Transaction;
      expect(() => recoverSender(withSig({ s: SECP256K1_N - sig.s }))).toThrow(TxSignatureError);
      expect(() => recoverSender(withSig({ r: 0n }))).toThrow(TxSignatureError);
      expect(() => recoverSender(withSig({ s: 0n }))).toThrow(TxSignatureError);
      expect(() => recoverSender(withSig({ r: SECP256K1_N }))).toThrow(TxSignatureError);
      if (type === 0) {
        expect(() => recoverSender(withSig({ v: 29n }))).toThrow(TxSignatureError);
        expect(() => recoverSender(withSig({ v: 1n }))).toThrow(TxSignatureError);
        const other = signed.chainId === null ? 100n : signed.chainId + 1n;
        expect(() => recoverSender({ ...signed, chainId: other } as Transaction)).toThrow(TxSignatureError);
      } else {
        expect(() => recoverSender(withSig({ yParity: 2n }))).toThrow(TxSignatureError);
      }
      const { signature: _s, ...unsigned } = signed;
      expect(() => recoverSender(unsigned as Transaction)).toThrow(TxSignatureError);
      expect(() => transactionHash(unsigned as Transaction)).toThrow(TxEncodeError);
    }
  });
});

describe('malformed encodings', () => {
  const g = new Gen(rng(6));
  const key = g.key();
  const valid = TYPES.map((t) => encodeTransaction(signTransaction(randomUnsigned(g, t), key)));

  function fieldsOf(bytes: Uint8Array): RlpItem[] {
    return rlpDecode(bytes[0]! >= 0xc0 ? bytes : bytes.subarray(1)) as RlpItem[];
  }
  function rebuild(type: number, fields: RlpInput[]): Uint8Array {
    return type === 0 ? rlpEncode(fields) : concatBytes(Uint8Array.of(type), rlpEncode(fields));
  }

  it('decodes all valid ones', () => {
    for (const b of valid) expect(encodeTransaction(decodeTransaction(b))).toEqual(b);
  });

  it('rejects truncation, trailing bytes, unknown types and wrong field counts', () => {
    for (const b of valid) {
      expect(() => decodeTransaction(b.subarray(0, b.length - 1))).toThrow(TxDecodeError);
      expect(() => decodeTransaction(concatBytes(b, Uint8Array.of(0)))).toThrow(TxDecodeError);
      const type = b[0]! >= 0xc0 ? 0 : b[0]!;
      const f = fieldsOf(b);
      expect(() => decodeTransaction(rebuild(type, f.slice(0, -1)))).toThrow(TxDecodeError);
      expect(() => decodeTransaction(rebuild(type, [...f, new Uint8Array(0)]))).toThrow(TxDecodeError);
    }
    expect(() => decodeTransaction(new Uint8Array(0))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(concatBytes(Uint8Array.of(0x05), valid[2]!.subarray(1)))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(concatBytes(Uint8Array.of(0x7e), valid[2]!.subarray(1)))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(Uint8Array.of(0x02, 0x80))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(Uint8Array.of(0x85, 1, 2, 3, 4, 5))).toThrow(TxDecodeError);
  });

  it('rejects non-canonical integers, bad addresses, bad hashes and missing to / authorizations', () => {
    const [, , eip1559, blob, setCode] = valid.map(fieldsOf) as RlpItem[][];
    const zeroLed = Uint8Array.of(0, 1);
    // Leading-zero nonce, 21-byte to, 9-byte nonce.
    expect(() => decodeTransaction(rebuild(2, [eip1559![0]!, zeroLed, ...eip1559!.slice(2)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(2, [...eip1559!.slice(0, 5), new Uint8Array(21), ...eip1559!.slice(6)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(2, [eip1559![0]!, new Uint8Array(9).fill(1), ...eip1559!.slice(2)]))).toThrow(TxDecodeError);
    // Access list: key of 31 bytes, entry with 3 fields.
    const al = (x: RlpInput) => rebuild(2, [...eip1559!.slice(0, 8), x, ...eip1559!.slice(9)]);
    expect(() => decodeTransaction(al([[new Uint8Array(20), [new Uint8Array(31)]]]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(al([[new Uint8Array(20), [], []]]))).toThrow(TxDecodeError);
    expect(decodeTransaction(al([[new Uint8Array(20), [new Uint8Array(32)]]])).type).toBe(2);
    // Blob tx: creation, no hashes, short hash.
    expect(() => decodeTransaction(rebuild(3, [...blob!.slice(0, 5), new Uint8Array(0), ...blob!.slice(6)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(3, [...blob!.slice(0, 10), [], ...blob!.slice(11)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(3, [...blob!.slice(0, 10), [new Uint8Array(31)], ...blob!.slice(11)]))).toThrow(TxDecodeError);
    // Set-code tx: creation, empty list, malformed tuple.
    expect(() => decodeTransaction(rebuild(4, [...setCode!.slice(0, 5), new Uint8Array(0), ...setCode!.slice(6)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(4, [...setCode!.slice(0, 9), [], ...setCode!.slice(10)]))).toThrow(TxDecodeError);
    expect(() => decodeTransaction(rebuild(4, [...setCode!.slice(0, 9), [[1n, new Uint8Array(20), 0n]], ...setCode!.slice(10)]))).toThrow(TxDecodeError);
  });
});
