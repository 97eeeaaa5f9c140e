// The state trie's account value: rlp([nonce, balance, storageRoot, codeHash]).
import { rlpDecode, rlpEncode, rlpToBigInt, rlpToBytes, rlpToList, RlpError } from '../rlp/rlp.js';

export interface Account {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly storageRoot: Uint8Array;
  readonly codeHash: Uint8Array;
}

export class AccountDecodeError extends Error {
  override readonly name = 'AccountDecodeError';
}

export function encodeAccount(account: Account): Uint8Array {
  if (account.storageRoot.length !== 32 || account.codeHash.length !== 32) {
    throw new AccountDecodeError('storageRoot and codeHash must be 32 bytes');
  }
  return rlpEncode([account.nonce, account.balance, account.storageRoot, account.codeHash]);
}

export function decodeAccount(bytes: Uint8Array): Account {
  try {
    const fields = rlpToList(rlpDecode(bytes), 'account');
    if (fields.length !== 4) throw new AccountDecodeError(`account must have 4 fields, got ${fields.length}`);
    const nonce = rlpToBigInt(fields[0]!, 'nonce', 8);
    const balance = rlpToBigInt(fields[1]!, 'balance');
    const storageRoot = rlpToBytes(fields[2]!, 'storageRoot');
    const codeHash = rlpToBytes(fields[3]!, 'codeHash');
    if (storageRoot.length !== 32) throw new AccountDecodeError('storageRoot must be 32 bytes');
    if (codeHash.length !== 32) throw new AccountDecodeError('codeHash must be 32 bytes');
    return { nonce, balance, storageRoot: storageRoot.slice(), codeHash: codeHash.slice() };
  } catch (e) {
    if (e instanceof RlpError) throw new AccountDecodeError(`invalid account RLP: ${e.message}`);
    throw e;
  }
}
