// Metis Andromeda's L1 batch formats: the sequencer batch inbox (DA header, inline blocks or blob
// transaction hashes) and the legacy CTC / SCC calls.
export { MetisFormatError, type MetisFormatReason } from './errors.js';
export {
  METIS_INBOX_HEADER_SIZE,
  MAX_INLINE_BODY_BYTES,
  blobTxHashes,
  decodeInlineBlocks,
  encodeInboxCalldata,
  parseInboxCalldata,
  type MetisCompression,
  type MetisDaType,
  type MetisInboxBatch,
  type MetisInlineBlock,
  type MetisInlineTransaction,
} from './inbox.js';
export {
  APPEND_SEQUENCER_BATCH_SELECTOR,
  decodeAppendSequencerBatch,
  decodeAppendStateBatch,
  type CtcContext,
  type CtcDecodeOptions,
  type CtcElement,
  type SequencerBatchAppend,
  type StateBatchAppend,
} from './ctc.js';
