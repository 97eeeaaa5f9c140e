// The local devnet's L2 chain: chain rules and genesis, the sequencer and its load, the blob
// batcher, the deriving verifier node, the L1 dispute system, the proposer and the runner.
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
export {
  DEVNET_GAME_TYPE,
  DEVNET_SPLIT_DEPTH,
  DEVNET_TRACE_DEPTH,
  DEVNET_MAX_BLOCK_STEPS,
  DEVNET_GAME_PARAMS,
  DEVNET_INIT_BOND,
  DevnetL1Error,
  deployDevnetL1,
  maxBlockSteps,
  type DevnetGameParams,
  type DevnetL1,
  type DevnetL1Params,
} from './l1.js';
export { Proposer, ProposerError, type ProposerOptions, type Proposal, type BlockedProposal } from './proposer.js';
export {
  DEVNET_RUN_LOAD,
  DevnetRunError,
  defaultLie,
  resolveIfExpired,
  runDevnet,
  summarize,
  type DevnetContext,
  type DevnetHooks,
  type DevnetProgress,
  type DevnetRunOptions,
  type DevnetSummary,
  type DevnetWatcher,
  type GameOutcome,
} from './runner.js';
