// secp256k1 signatures over transactions and EIP-7702 authorizations.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { rlpEncode } from '../rlp/rlp.js';
import { addressFromBytes, addressToBytes, type Address } from '../util/address.js';
import { concatBytes, hexToBytes, type Hex } from '../util/bytes.js';
import { keccak256 } from '../util/hash.js';
import { signingHash } from './codec.js';
import { TxSignatureError, type SetCodeAuthorization, type Transaction } from './types.js';

/** Order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** EIP-2: signatures with s above n/2 are invalid. */
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** EIP-7702 signature domain: authorizations sign keccak(MAGIC || rlp([chain_id, address, nonce])). */
export const SET_CODE_AUTH_MAGIC = 0x05;

/** The signer's address, or null if (r, s, recovery) does not recover a key. */
function recoverAddress(hash: Uint8Array, r: bigint, s: bigint, recovery: number): Address | null {
  let pub: Uint8Array;
  try {
    pub = new secp256k1.Signature(r, s, recovery).recoverPublicKey(hash).toBytes(false);
  } catch {
    return null;
  }
  return addressFromBytes(keccak256(pub.subarray(1)).subarray(12));
}

/** Recovery parity and chain id implied by a legacy v (EIP-155), or null for an invalid v. */
function legacyParity(v: bigint): { parity: number; chainId: bigint | null } | null {
  if (v === 27n || v === 28n) return { parity: Number(v - 27n), chainId: null };
  if (v >= 35n) return { parity: Number((v - 35n) & 1n), chainId: (v - 35n) >> 1n };
  return null;
}

/**
 * The sender of a signed transaction. Enforces 0 < r < n, 0 < s <= n/2 (EIP-2),
 * yParity in {0, 1}, and for legacy transactions v in {27, 28} or EIP-155's
 * chainId * 2 + {35, 36} agreeing with `tx.chainId`.
 */
export function recoverSender(tx: Transaction): Address {
  const sig = tx.signature;
  if (sig === undefined) throw new TxSignatureError('transaction is not signed');
  let parity: number;
  if (tx.type === 0) {
    const v = tx.signature!.v;
    const p = legacyParity(v);
    if (p === null) throw new TxSignatureError(`invalid legacy v ${v}`);
    if (p.chainId !== tx.chainId) throw new TxSignatureError(`v ${v} does not match chainId ${tx.chainId}`);
    parity = p.parity;
  } else {
    const y = (sig as { yParity: bigint }).yParity;
    if (y !== 0n && y !== 1n) throw new TxSignatureError(`invalid yParity ${y}`);
    parity = Number(y);
  }
  if (sig.r <= 0n || sig.r >= SECP256K1_N) throw new TxSignatureError('signature r out of range');
  if (sig.s <= 0n || sig.s > SECP256K1_HALF_N) throw new TxSignatureError('signature s out of range (EIP-2 requires s <= n/2)');
  const sender = recoverAddress(signingHash(tx), sig.r, sig.s, parity);
  if (sender === null) throw new TxSignatureError('signature does not recover a public key');
  return sender;
}

function privateKeyBytes(key: Uint8Array | Hex): Uint8Array {
  const b = typeof key === 'string' ? hexToBytes(key) : key;
  if (b.length !== 32) throw new TxSignatureError('private key must be 32 bytes');
  return b;
}

/** Deterministic (RFC 6979) low-s signature of a 32-byte hash. */
function sign(hash: Uint8Array, key: Uint8Array | Hex): { r: bigint; s: bigint; recovery: number } {
  let raw: Uint8Array;
  try {
    raw = secp256k1.sign(hash, privateKeyBytes(key), { prehash: false, lowS: true, format: 'recovered' });
  } catch (e) {
    throw new TxSignatureError(`cannot sign: ${(e as Error).message}`);
  }
  const sig = secp256k1.Signature.fromBytes(raw, 'recovered');
  return { r: sig.r, s: sig.s, recovery: sig.recovery! };
}

/** Signs `tx` (any existing signature is replaced). For tests and devnets. */
export function signTransaction<T extends Transaction>(tx: T, privateKey: Uint8Array | Hex): T {
  const { r, s, recovery } = sign(signingHash(tx), privateKey);
  if (tx.type === 0) {
    const v = tx.chainId === null ? 27n + BigInt(recovery) : tx.chainId * 2n + 35n + BigInt(recovery);
    return { ...tx, signature: { v, r, s } };
  }
  return { ...tx, signature: { yParity: BigInt(recovery), r, s } };
}

export type UnsignedAuthorization = Pick<SetCodeAuthorization, 'chainId' | 'address' | 'nonce'>;

/** keccak256(0x05 || rlp([chain_id, address, nonce])) (EIP-7702). */
export function authorizationSigningHash(auth: UnsignedAuthorization): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(SET_CODE_AUTH_MAGIC), rlpEncode([auth.chainId, addressToBytes(auth.address), auth.nonce])));
}

/**
 * The authority that signed an EIP-7702 authorization, or null when the signature is
 * invalid (yParity not 0/1, r or s out of range, s > n/2, no recoverable key): EIP-7702
 * skips such tuples instead of failing the transaction.
 */
export function recoverAuthority(auth: SetCodeAuthorization): Address | null {
  if (auth.yParity !== 0n && auth.yParity !== 1n) return null;
  if (auth.r <= 0n || auth.r >= SECP256K1_N) return null;
  if (auth.s <= 0n || auth.s > SECP256K1_HALF_N) return null;
  return recoverAddress(authorizationSigningHash(auth), auth.r, auth.s, Number(auth.yParity));
}

export function signAuthorization(auth: UnsignedAuthorization, privateKey: Uint8Array | Hex): SetCodeAuthorization {
  const { r, s, recovery } = sign(authorizationSigningHash(auth), privateKey);
  return { chainId: auth.chainId, address: auth.address, nonce: auth.nonce, yParity: BigInt(recovery), r, s };
}

/** The address of a private key. */
export function addressOfPrivateKey(privateKey: Uint8Array | Hex): Address {
  const pub = secp256k1.getPublicKey(privateKeyBytes(privateKey), false);
  return addressFromBytes(keccak256(pub.subarray(1)).subarray(12));
}
