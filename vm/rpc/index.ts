export { RpcClient, RpcUnavailableError, RpcResponseError, RpcMalformedError, type Rpc, type RpcCall, type RpcClientOptions, type JsonValue } from './client.js';
export {
  fetchBlock,
  fetchHeader,
  parseHeader,
  encodeHeader,
  headerHash,
  encodeReceipt,
  canonicalRaw,
  type FetchBlockOptions,
  BlockIntegrityError,
  type BlockHeader,
  type BlockTransaction,
  type FetchedBlock,
  type Receipt,
  type ReceiptLog,
  type Withdrawal,
} from './block.js';
export {
  fetchPreState,
  fetchMissing,
  fetchBlockHashes,
  verifyAccountProof,
  proofPath,
  PreStateProofError,
  type PreState,
  type PreStateExtra,
  type FetchPreStateOptions,
} from './prestate.js';
