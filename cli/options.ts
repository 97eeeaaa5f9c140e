// Parsers for command-line values: each throws UsageError with the flag's name.
import { InvalidArgumentError } from 'commander';

export function parseHexBytes(value: string): Uint8Array {
  const s = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new InvalidArgumentError(`not hex bytes: ${value.length > 40 ? value.slice(0, 40) + '…' : value}`);
  }
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function parseNonNegativeInt(value: string): number {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) throw new InvalidArgumentError(`not a non-negative integer: ${value}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`integer too large: ${value}`);
  return n;
}

export function parseBigInt(value: string): bigint {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) throw new InvalidArgumentError(`not a non-negative integer: ${value}`);
  return BigInt(value);
}

export function parseUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new Error('protocol');
    }
    return value;
  } catch {
    throw new InvalidArgumentError(`not an http(s) or ws(s) URL: ${value}`);
  }
}

export function parseAddress(value: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new InvalidArgumentError(`not a 20-byte hex address: ${value}`);
  return value.toLowerCase() as `0x${string}`;
}
