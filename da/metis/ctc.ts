// Metis Andromeda's legacy L1 batch calls (the OVM-era CanonicalTransactionChain and
// StateCommitmentChain, as parsed by MetisProtocol/mvm's data-transport-layer).
//
// appendSequencerBatch() takes no ABI arguments; its calldata is packed:
//   [4: selector 0xd0f89344] ([32: L2 chain id] in Metis's multi-chain form)
//   [5: shouldStartAtElement] [3: totalElementsToAppend] [3: numContexts]
//   numContexts x [3: numSequencedTransactions] [3: numSubsequentQueueTransactions]
//                 [5: timestamp] [5: L1 block number]
//   then per sequenced transaction [3: length] [raw transaction],
//   then optionally per sequenced transaction [3: length] [sequencer signature].
import { decodeFunctionData, parseAbi } from 'viem';
import { bytesToHex, type Hex } from '../../vm/util/bytes.js';
import { MetisFormatError } from './errors.js';
import { ByteReader } from './reader.js';

export const APPEND_SEQUENCER_BATCH_SELECTOR = '0xd0f89344';

export interface CtcContext {
  readonly numSequencedTransactions: number;
  readonly numSubsequentQueueTransactions: number;
  readonly timestamp: number;
  readonly l1BlockNumber: number;
}

export type CtcElement =
  | { readonly kind: 'sequencer'; readonly index: bigint; readonly timestamp: number; readonly l1BlockNumber: number; readonly raw: Hex; readonly sequencerSignature: Hex | null }
  | { readonly kind: 'queue'; readonly index: bigint; readonly timestamp: number };

export interface SequencerBatchAppend {
  readonly chainId: bigint | null;
  readonly shouldStartAtElement: bigint;
  readonly totalElementsToAppend: number;
  readonly contexts: readonly CtcContext[];
  /** Elements in chain order: each context's sequenced transactions, then its queue transactions. */
  readonly elements: readonly CtcElement[];
}

export interface CtcDecodeOptions {
  /** Metis's later form carries the L2 chain id after the selector. Default false (the original OVM form). */
  readonly chainIdPrefix?: boolean;
}

export function decodeAppendSequencerBatch(calldata: Uint8Array, options: CtcDecodeOptions = {}): SequencerBatchAppend {
  const r = new ByteReader(calldata, 'appendSequencerBatch calldata');
  const selector = bytesToHex(r.take(4, 'selector'));
  if (selector !== APPEND_SEQUENCER_BATCH_SELECTOR) {
    throw new MetisFormatError('batch-type', `not an appendSequencerBatch call: selector ${selector}`);
  }
  const chainId = options.chainIdPrefix === true ? r.bigUint(32, 'chain id') : null;
  const shouldStartAtElement = r.bigUint(5, 'shouldStartAtElement');
  const totalElementsToAppend = r.uint(3, 'totalElementsToAppend');
  const numContexts = r.uint(3, 'numContexts');
  const contexts: CtcContext[] = [];
  for (let i = 0; i < numContexts; i++) {
    contexts.push({
      numSequencedTransactions: r.uint(3, 'numSequencedTransactions'),
      numSubsequentQueueTransactions: r.uint(3, 'numSubsequentQueueTransactions'),
      timestamp: r.uint(5, 'timestamp'),
      l1BlockNumber: r.uint(5, 'blockNumber'),
    });
  }
  const total = contexts.reduce((n, c) => n + c.numSequencedTransactions + c.numSubsequentQueueTransactions, 0);
  if (total !== totalElementsToAppend) {
    throw new MetisFormatError('truncated', `appendSequencerBatch: contexts add up to ${total} elements, the header says ${totalElementsToAppend}`);
  }
  const raws: Hex[] = [];
  for (const c of contexts) {
    for (let j = 0; j < c.numSequencedTransactions; j++) raws.push(bytesToHex(r.take(r.uint(3, 'transaction length'), 'transaction')));
  }
  // Sequencer signatures were appended later in Andromeda's life; older batches end here.
  const sigs: Hex[] = [];
  while (r.remaining > 0 && sigs.length < raws.length) sigs.push(bytesToHex(r.take(r.uint(3, 'signature length'), 'sequencer signature')));
  if (r.remaining > 0) throw new MetisFormatError('trailing-data', `appendSequencerBatch: ${r.remaining} bytes after the last signature`);
  // When signatures are fewer than transactions, the first transactions are the unsigned ones.
  const unsigned = sigs.length === 0 ? raws.length : raws.length - sigs.length;

  const elements: CtcElement[] = [];
  let seq = 0;
  for (const c of contexts) {
    for (let j = 0; j < c.numSequencedTransactions; j++, seq++) {
      const index = shouldStartAtElement + BigInt(elements.length);
      const sequencerSignature = seq < unsigned ? null : sigs[seq - unsigned]!;
      elements.push({ kind: 'sequencer', index, timestamp: c.timestamp, l1BlockNumber: c.l1BlockNumber, raw: raws[seq]!, sequencerSignature });
    }
    for (let j = 0; j < c.numSubsequentQueueTransactions; j++) {
      elements.push({ kind: 'queue', index: shouldStartAtElement + BigInt(elements.length), timestamp: c.timestamp });
    }
  }
  return { chainId, shouldStartAtElement, totalElementsToAppend, contexts, elements };
}

const STATE_COMMITMENT_ABI = parseAbi(['function appendStateBatch(bytes32[] _batch, uint256 _shouldStartAtElement)']);

export interface StateBatchAppend {
  /** One state root per L2 block (OVM: per transaction). */
  readonly stateRoots: readonly Hex[];
  readonly shouldStartAtElement: bigint;
}

export function decodeAppendStateBatch(calldata: Hex): StateBatchAppend {
  try {
    const { args } = decodeFunctionData({ abi: STATE_COMMITMENT_ABI, data: calldata });
    return { stateRoots: [...args[0]], shouldStartAtElement: args[1] };
  } catch (e) {
    throw new MetisFormatError('batch-type', `not a well-formed appendStateBatch call: ${(e as Error).message.split('\n')[0]}`);
  }
}
