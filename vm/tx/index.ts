export * from './types.js';
export { encodeTransaction, decodeTransaction, signingHash, transactionHash } from './codec.js';
export {
  recoverSender,
  signTransaction,
  authorizationSigningHash,
  recoverAuthority,
  signAuthorization,
  addressOfPrivateKey,
  SECP256K1_N,
  SECP256K1_HALF_N,
  SET_CODE_AUTH_MAGIC,
  type UnsignedAuthorization,
} from './signature.js';
export * from './gas.js';
