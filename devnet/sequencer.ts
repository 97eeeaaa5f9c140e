// The devnet sequencer: builds L2 blocks from signed raw transactions on its own level-backed
// state, from genesis, and keeps them (restart-safe) for the batcher and the proposer.
import type { Logger } from 'pino';
import type { PersistentState } from '../vm/state/persistent.js';
import type { Receipt } from '../vm/block/receipt.js';
import type { ChainRules } from '../vm/chain/chain.js';
import type { MetisChainView } from '../prover/metis/chain-view.js';
import { DEVNET_BLOCK_TIME, DEVNET_RULES, type BlockAttributes } from './chain.js';
import { buildBlock, hashLookup, InvalidBlockError, statePreimage, type SealedBlock } from './state.js';
import { openChainDir, type BlockStore, type L1Ref } from './store.js';

export interface SequencerOptions {
  readonly dataDir: string;
  /** The L2 genesis timestamp (the devnet's start); the node must be given the same. */
  readonly genesisTimestamp: bigint;
  readonly logger?: Logger;
  /** The chain's rules (default the devnet's): e.g. the devnet's with an inference model store. */
  readonly chain?: ChainRules;
}

export interface RejectedTransaction {
  readonly index: number;
  readonly reason: string;
}

export class SequencerError extends Error {
  override readonly name = 'SequencerError';
}

export class Sequencer {
  private readonly hashes = new Map<bigint, Uint8Array>();

  private constructor(
    private readonly state: PersistentState,
    private readonly store: BlockStore,
    private tip: SealedBlock,
    private readonly log: Logger | undefined,
    readonly chain: ChainRules,
  ) {}

  /** Opens (or creates from genesis) the sequencer's data directory and resumes from its head. */
  static async open(opts: SequencerOptions): Promise<Sequencer> {
    const { store, state, tip } = await openChainDir(opts.dataDir, 'blocks', opts.genesisTimestamp, (m) => new SequencerError(m));
    const headNumber = tip.number;
    try {
      const seq = new Sequencer(state, store, tip, opts.logger, opts.chain ?? DEVNET_RULES);
      for (let n = headNumber; n >= 0n && n + 256n > headNumber; n--) {
        const b = await store.block(n);
        if (b !== null) seq.hashes.set(n, b.hash);
      }
      return seq;
    } catch (e) {
      await state.close();
      await store.close();
      throw e;
    }
  }

  head(): SealedBlock {
    return this.tip;
  }

  async blockAt(n: bigint): Promise<SealedBlock | null> {
    return this.store.block(n);
  }

  /** Blocks from..to inclusive, in order. */
  async blocks(from: bigint, to: bigint): Promise<SealedBlock[]> {
    const out: SealedBlock[] = [];
    for (let n = from; n <= to; n++) {
      const b = await this.store.block(n);
      if (b === null) throw new SequencerError(`block ${n} is not sequenced`);
      out.push(b);
    }
    return out;
  }

  /** A trie node or code by hash from the sequencer's state (null when unknown). */
  preimage(hash: Uint8Array): Promise<Uint8Array | null> {
    return statePreimage(this.state, hash);
  }

  /**
   * Builds the next block from `transactions`. A transaction that cannot go in a block (bad
   * nonce, too little balance, wrong chain, undecodable, a blob transaction) is left out and
   * reported; the others are executed in order. `timestamp` defaults to the parent's plus the
   * block time.
   */
  async buildBlock(
    transactions: readonly Uint8Array[],
    l1Origin: L1Ref,
    timestamp: bigint = this.tip.header.timestamp + DEVNET_BLOCK_TIME,
  ): Promise<{ block: SealedBlock; rejected: RejectedTransaction[]; receipts: readonly Receipt[] }> {
    // The node drops a batch whose origin goes back or skips an L1 block (OP's epoch rule).
    const parentOrigin = this.tip.l1Origin?.number;
    if (parentOrigin !== undefined && l1Origin.number !== parentOrigin && l1Origin.number !== parentOrigin + 1n) {
      throw new SequencerError(`L1 origin ${l1Origin.number} must be the parent's (${parentOrigin}) or the next L1 block`);
    }
    const attrs: BlockAttributes = { timestamp, l1Origin };
    let txs = transactions.map((raw, index) => ({ raw, index }));
    const rejected: RejectedTransaction[] = [];
    for (;;) {
      try {
        const { block, result } = await buildBlock(this.state, this.tip.header, attrs, txs.map((t) => t.raw), hashLookup(this.hashes), this.chain);
        await this.store.update({ put: [{ ...block, derivedFrom: null }], l2Head: block.number });
        this.tip = block;
        this.hashes.set(block.number, block.hash);
        this.hashes.delete(block.number - 256n);
        for (const w of result.warnings) this.log?.warn({ block: block.number }, w);
        this.log?.debug({ block: block.number, txs: txs.length, gasUsed: block.header.gasUsed }, 'sequenced L2 block');
        return { block, rejected, receipts: result.receipts };
      } catch (e) {
        if (!(e instanceof InvalidBlockError)) throw e;
        const bad = /transaction (\d+)/.exec(e.message);
        if (bad === null) throw e;
        const i = Number(bad[1]);
        const tx = txs[i];
        if (tx === undefined) throw e;
        rejected.push({ index: tx.index, reason: e.message });
        this.log?.warn({ index: tx.index, reason: e.message }, 'transaction left out of the block');
        txs = txs.filter((_, k) => k !== i);
      }
    }
  }

  async close(): Promise<void> {
    await this.state.close();
    await this.store.close();
  }
}

/** The sequencer's chain as the step trace reads it (the batcher's inputs commitments, the liar who knows the truth). */
export function sequencerView(seq: Sequencer): MetisChainView {
  return { chain: seq.chain, block: (n) => seq.blockAt(n), preimage: (h) => seq.preimage(h) };
}
