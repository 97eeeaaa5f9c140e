// EIP-2718 envelopes: legacy transactions are a bare RLP list; typed ones are
// type_byte || rlp(fields). Decoding is strict (canonical RLP, exact field counts, sizes).
import { rlpDecode, rlpEncode, rlpToAddress, rlpToBigInt, rlpToBytes, rlpToList, RlpError, type RlpInput, type RlpItem } from '../rlp/rlp.js';
import { addressToBytes, type Address } from '../util/address.js';
import { bigIntToBytes, bytesToBigInt, concatBytes } from '../util/bytes.js';
import { keccak256 } from '../util/hash.js';
import {
  TxDecodeError,
  TxEncodeError,
  type AccessListEntry,
  type AccessListTx,
  type BlobTx,
  type FeeMarketTx,
  type LegacyTx,
  type SetCodeAuthorization,
  type SetCodeTx,
  type Transaction,
} from './types.js';

const EMPTY = new Uint8Array(0);

function toField(to: Address | null): Uint8Array {
  return to === null ? EMPTY : addressToBytes(to);
}

function accessListField(list: readonly AccessListEntry[]): RlpInput {
  return list.map((e) => [addressToBytes(e.address), e.storageKeys.map((k) => bigIntToBytes(k, 32))]);
}

function authorizationField(list: readonly SetCodeAuthorization[]): RlpInput {
  return list.map((a) => [a.chainId, addressToBytes(a.address), a.nonce, a.yParity, a.r, a.s]);
}

/** The RLP fields of a typed transaction, without its signature. */
function typedFields(tx: Exclude<Transaction, LegacyTx>): RlpInput[] {
  const common = [tx.gasLimit, toField(tx.to), tx.value, tx.data, accessListField(tx.accessList)];
  switch (tx.type) {
    case 1:
      return [tx.chainId, tx.nonce, tx.gasPrice, ...common];
    case 2:
      return [tx.chainId, tx.nonce, tx.maxPriorityFeePerGas, tx.maxFeePerGas, ...common];
    case 3:
      return [tx.chainId, tx.nonce, tx.maxPriorityFeePerGas, tx.maxFeePerGas, ...common, tx.maxFeePerBlobGas, [...tx.blobVersionedHashes]];
    case 4:
      return [tx.chainId, tx.nonce, tx.maxPriorityFeePerGas, tx.maxFeePerGas, ...common, authorizationField(tx.authorizationList)];
  }
}

function legacyFields(tx: LegacyTx): RlpInput[] {
  return [tx.nonce, tx.gasPrice, tx.gasLimit, toField(tx.to), tx.value, tx.data];
}

/**
 * The signed envelope when `tx.signature` is present; otherwise the unsigned payload
 * whose keccak256 is the signing hash (EIP-155 form for legacy transactions with a chain id).
 */
export function encodeTransaction(tx: Transaction): Uint8Array {
  if (tx.type === 0) {
    const fields = legacyFields(tx);
    if (tx.signature) {
      const { v, r, s } = tx.signature;
      if (tx.chainId !== null && v !== 27n && v !== 28n && (v - 35n) >> 1n !== tx.chainId) {
        throw new TxEncodeError(`legacy v ${v} does not match chainId ${tx.chainId}`);
      }
      return rlpEncode([...fields, v, r, s]);
    }
    return rlpEncode(tx.chainId === null ? fields : [...fields, tx.chainId, 0n, 0n]);
  }
  // The types forbid it, but a null `to` from untyped callers would encode a creation.
  if ((tx.type === 3 || tx.type === 4) && (tx.to as Address | null) === null) {
    throw new TxEncodeError(`type ${tx.type} transaction needs a 'to' address`);
  }
  const fields = typedFields(tx);
  if (tx.signature) fields.push(tx.signature.yParity, tx.signature.r, tx.signature.s);
  return concatBytes(Uint8Array.of(tx.type), rlpEncode(fields));
}

/** keccak256 of the unsigned payload: what the sender signs. */
export function signingHash(tx: Transaction): Uint8Array {
  if (tx.signature === undefined) return keccak256(encodeTransaction(tx));
  const { signature: _omit, ...unsigned } = tx;
  return keccak256(encodeTransaction(unsigned as Transaction));
}

/** keccak256 of the signed envelope (the hash blocks and RPCs use). */
export function transactionHash(tx: Transaction): Uint8Array {
  if (tx.signature === undefined) throw new TxEncodeError('an unsigned transaction has no transaction hash');
  return keccak256(encodeTransaction(tx));
}

// --- decoding ---------------------------------------------------------------

const U64 = 8;
const U256 = 32;

function num(item: RlpItem, what: string, maxBytes = U256): bigint {
  return rlpToBigInt(item, what, maxBytes);
}

function optionalTo(item: RlpItem): Address | null {
  const b = rlpToBytes(item, 'to');
  if (b.length === 0) return null;
  return rlpToAddress(b, 'to');
}

function requiredTo(item: RlpItem, type: number): Address {
  const to = optionalTo(item);
  if (to === null) throw new TxDecodeError(`type ${type} transaction cannot create a contract ('to' is empty)`);
  return to;
}

function word(item: RlpItem, what: string): Uint8Array {
  const b = rlpToBytes(item, what);
  if (b.length !== 32) throw new TxDecodeError(`${what} must be 32 bytes, got ${b.length}`);
  return b;
}

function decodeAccessList(item: RlpItem): AccessListEntry[] {
  return rlpToList(item, 'accessList').map((e) => {
    const pair = rlpToList(e, 'access list entry');
    if (pair.length !== 2) throw new TxDecodeError(`access list entry must have 2 fields, got ${pair.length}`);
    const storageKeys = rlpToList(pair[1]!, 'storageKeys').map((k) => bytesToBigInt(word(k, 'storage key')));
    return { address: rlpToAddress(pair[0]!, 'access list address'), storageKeys };
  });
}

function decodeAuthorizations(item: RlpItem): SetCodeAuthorization[] {
  const list = rlpToList(item, 'authorizationList');
  if (list.length === 0) throw new TxDecodeError('type 4 transaction with an empty authorization list');
  return list.map((e) => {
    const f = rlpToList(e, 'authorization');
    if (f.length !== 6) throw new TxDecodeError(`authorization must have 6 fields, got ${f.length}`);
    return {
      chainId: num(f[0]!, 'authorization chainId'),
      address: rlpToAddress(f[1]!, 'authorization address'),
      nonce: num(f[2]!, 'authorization nonce', U64),
      yParity: num(f[3]!, 'authorization yParity', 1),
      r: num(f[4]!, 'authorization r'),
      s: num(f[5]!, 'authorization s'),
    };
  });
}

function expectFields(f: RlpItem[], n: number, type: number): void {
  if (f.length !== n) throw new TxDecodeError(`type ${type} transaction must have ${n} fields, got ${f.length}`);
}

function decodeLegacy(f: RlpItem[]): LegacyTx {
  expectFields(f, 9, 0);
  const v = num(f[6]!, 'v');
  // EIP-155: v = chainId * 2 + 35 + yParity; 27/28 are pre-EIP-155.
  const chainId = v >= 35n ? (v - 35n) >> 1n : null;
  return {
    type: 0,
    chainId,
    nonce: num(f[0]!, 'nonce', U64),
    gasPrice: num(f[1]!, 'gasPrice'),
    gasLimit: num(f[2]!, 'gasLimit', U64),
    to: optionalTo(f[3]!),
    value: num(f[4]!, 'value'),
    data: rlpToBytes(f[5]!, 'data').slice(),
    signature: { v, r: num(f[7]!, 'r'), s: num(f[8]!, 's') },
  };
}

function sig(f: RlpItem[], at: number) {
  return { yParity: num(f[at]!, 'yParity'), r: num(f[at + 1]!, 'r'), s: num(f[at + 2]!, 's') };
}

function decodeTyped(type: number, f: RlpItem[]): Transaction {
  switch (type) {
    case 1: {
      expectFields(f, 11, 1);
      const tx: AccessListTx = {
        type: 1,
        chainId: num(f[0]!, 'chainId'),
        nonce: num(f[1]!, 'nonce', U64),
        gasPrice: num(f[2]!, 'gasPrice'),
        gasLimit: num(f[3]!, 'gasLimit', U64),
        to: optionalTo(f[4]!),
        value: num(f[5]!, 'value'),
        data: rlpToBytes(f[6]!, 'data').slice(),
        accessList: decodeAccessList(f[7]!),
        signature: sig(f, 8),
      };
      return tx;
    }
    case 2: {
      expectFields(f, 12, 2);
      const tx: FeeMarketTx = {
        type: 2,
        chainId: num(f[0]!, 'chainId'),
        nonce: num(f[1]!, 'nonce', U64),
        maxPriorityFeePerGas: num(f[2]!, 'maxPriorityFeePerGas'),
        maxFeePerGas: num(f[3]!, 'maxFeePerGas'),
        gasLimit: num(f[4]!, 'gasLimit', U64),
        to: optionalTo(f[5]!),
        value: num(f[6]!, 'value'),
        data: rlpToBytes(f[7]!, 'data').slice(),
        accessList: decodeAccessList(f[8]!),
        signature: sig(f, 9),
      };
      return tx;
    }
    case 3: {
      expectFields(f, 14, 3);
      const hashes = rlpToList(f[10]!, 'blobVersionedHashes').map((h) => word(h, 'blob versioned hash').slice());
      if (hashes.length === 0) throw new TxDecodeError('type 3 transaction without blob versioned hashes');
      const tx: BlobTx = {
        type: 3,
        chainId: num(f[0]!, 'chainId'),
        nonce: num(f[1]!, 'nonce', U64),
        maxPriorityFeePerGas: num(f[2]!, 'maxPriorityFeePerGas'),
        maxFeePerGas: num(f[3]!, 'maxFeePerGas'),
        gasLimit: num(f[4]!, 'gasLimit', U64),
        to: requiredTo(f[5]!, 3),
        value: num(f[6]!, 'value'),
        data: rlpToBytes(f[7]!, 'data').slice(),
        accessList: decodeAccessList(f[8]!),
        maxFeePerBlobGas: num(f[9]!, 'maxFeePerBlobGas'),
        blobVersionedHashes: hashes,
        signature: sig(f, 11),
      };
      return tx;
    }
    case 4: {
      expectFields(f, 13, 4);
      const tx: SetCodeTx = {
        type: 4,
        chainId: num(f[0]!, 'chainId'),
        nonce: num(f[1]!, 'nonce', U64),
        maxPriorityFeePerGas: num(f[2]!, 'maxPriorityFeePerGas'),
        maxFeePerGas: num(f[3]!, 'maxFeePerGas'),
        gasLimit: num(f[4]!, 'gasLimit', U64),
        to: requiredTo(f[5]!, 4),
        value: num(f[6]!, 'value'),
        data: rlpToBytes(f[7]!, 'data').slice(),
        accessList: decodeAccessList(f[8]!),
        authorizationList: decodeAuthorizations(f[9]!),
        signature: sig(f, 10),
      };
      return tx;
    }
    default:
      throw new TxDecodeError(`unsupported transaction type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/** Decodes a signed transaction as it appears in a block body (no blob network wrapper). */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  if (bytes.length === 0) throw new TxDecodeError('empty transaction bytes');
  const first = bytes[0]!;
  try {
    if (first >= 0xc0) return decodeLegacy(rlpToList(rlpDecode(bytes), 'legacy transaction'));
    if (first > 0x7f) throw new TxDecodeError(`invalid transaction: first byte 0x${first.toString(16)} is neither a type nor a list`);
    if (first < 1 || first > 4) throw new TxDecodeError(`unsupported transaction type 0x${first.toString(16).padStart(2, '0')}`);
    const body = rlpDecode(bytes.subarray(1));
    if (body instanceof Uint8Array) throw new TxDecodeError(`type ${first} transaction payload is not an RLP list`);
    return decodeTyped(first, body);
  } catch (e) {
    if (e instanceof RlpError) throw new TxDecodeError(`invalid transaction RLP: ${e.message}`);
    throw e;
  }
}
