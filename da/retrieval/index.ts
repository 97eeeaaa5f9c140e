// L1 retrieval: which L1 transactions carry batcher data, and that data, verified.
export { fetchL1Block, fetchL1Transaction, L1BlockNotFoundError, L1TransactionNotFoundError, type L1Block, type L1Transaction } from './l1.js';
export {
  DERIVATION_VERSION_ALT_DA,
  DERIVATION_VERSION_FRAMES,
  RetrievalConfigError,
  isBatcherTransaction,
  retrieveBatcherData,
  type BatcherConfig,
  type BatcherPayload,
  type RetrievalDeps,
  type RetrievalResult,
  type SkippedBatcherData,
} from './batcher.js';
export { retrieveMetisBatches, type MetisBatchData, type MetisRetrievalResult } from './metis.js';
