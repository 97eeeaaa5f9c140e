// Addresses are lowercase 0x-prefixed 40-hex-digit strings: cheap map keys and readable in logs.
import { bytesToHex, hexToBytes, type Hex } from './bytes.js';

export type Address = Hex;

const ADDRESS_MASK = (1n << 160n) - 1n;

export function isAddress(s: string): s is Address {
  return /^0x[0-9a-f]{40}$/.test(s);
}

/** Normalises any-case hex to an Address; throws on a wrong length. */
export function toAddress(s: string): Address {
  const lower = s.toLowerCase();
  if (!isAddress(lower)) throw new TypeError(`not a 20-byte address: ${s}`);
  return lower;
}

/** The address held in the low 160 bits of a stack word. */
export function addressFromWord(word: bigint): Address {
  return ('0x' + (word & ADDRESS_MASK).toString(16).padStart(40, '0')) as Address;
}

export function addressToWord(addr: Address): bigint {
  return BigInt(addr);
}

export function addressFromBytes(bytes: Uint8Array): Address {
  if (bytes.length !== 20) throw new TypeError(`address must be 20 bytes, got ${bytes.length}`);
  return bytesToHex(bytes);
}

export function addressToBytes(addr: Address): Uint8Array {
  return hexToBytes(addr);
}
