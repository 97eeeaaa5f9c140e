// The local devnet's L2 chain: chain rules and genesis, the sequencer and its load, the blob
// batcher and the deriving verifier node.
export * from './chain.js';
export { buildBlock, sealedGenesis, statePreimage, storageRootAt, openOrCreateState, hashLookup, DevnetStateError, InvalidBlockError, type SealedBlock, type BlockHashLookup } from './state.js';
export { BlockStore, DevnetStoreError, type StoredBlock, type L1Ref, type StoreUpdate } from './store.js';
export { Sequencer, SequencerError, type SequencerOptions, type RejectedTransaction } from './sequencer.js';
export { LoadGenerator, WORKLOAD_INITCODE, WORKLOAD_RUNTIME, workloadCalldata, createAddress, type LoadOptions, type LoadKind, type GeneratedTransaction } from './load.js';
export {
  DEVNET_BATCH_INBOX,
  BLOBS_PER_TX,
  BatcherError,
  channelBlobs,
  postBlocks,
  sendBlobs,
  toL2BlockInput,
  type BatcherOptions,
  type PostedBatcherTx,
  type PostedChannel,
} from './batcher.js';
export { DevnetNode, DevnetNodeError, type DevnetNodeOptions, type DevnetOutput, type NodeBlock, type SyncResult } from './node.js';
