// The devnet proposer: every K L2 blocks, once the safe head has passed the next proposal block,
// it creates a MetisVM dispute game for that block through the factory, with the root claim
// `rootFor(block)` and the init bond. OP's rule applies: a game starts from the factory's anchor
// at creation and may span at most 2^SPLIT_DEPTH blocks, so a proposal too far ahead of the
// anchor waits until a resolved game moves the anchor. It records every proposal, and whether
// its root was the true output root.
import type { Logger } from 'pino';
import type { Address, Hex } from 'viem';
import { bisectionGameArtifact, disputeGameFactoryArtifact } from '../contracts/artifacts.js';
import { createGame, type L1Clients } from '../contracts/deploy.js';
import { DEVNET_GAME_TYPE, DEVNET_SPLIT_DEPTH } from './l1.js';

export class ProposerError extends Error {
  override readonly name = 'ProposerError';
}

export interface ProposerOptions {
  /** The proposer's account (pays the bonds). */
  readonly clients: L1Clients;
  readonly factory: Address;
  /** Default DEVNET_GAME_TYPE. */
  readonly gameType?: number;
  /** The game's SPLIT_DEPTH (bounds a game's block range); default DEVNET_SPLIT_DEPTH. */
  readonly splitDepth?: number;
  /** K: propose blocks K, 2K, 3K… past `startBlock`; 1 ≤ K ≤ 2^splitDepth. */
  readonly interval: bigint;
  /** Proposals are startBlock + K, startBlock + 2K, …; default 0 (the genesis anchor). */
  readonly startBlock?: bigint;
  /** The newest L2 block known safe (posted to L1). */
  readonly safeHead: () => Promise<bigint>;
  /** The true output root of an L2 block (the node's or the sequencer's). */
  readonly truth: (block: bigint) => Promise<Hex>;
  /** The root claim to propose; default `truth`. A faulty proposer lies here. */
  readonly rootFor?: (block: bigint) => Promise<Hex>;
  /** Bond to pay; default the factory's init bond for the game type. */
  readonly bond?: bigint;
  readonly logger?: Logger;
}

/** One game the proposer created. */
export interface Proposal {
  readonly l2Block: bigint;
  readonly rootClaim: Hex;
  readonly honestRoot: Hex;
  /** The root claim is the true output root. */
  readonly honest: boolean;
  readonly game: Address;
  /** The L1 block of the create transaction. */
  readonly l1Block: bigint;
  /** The anchor block the game starts from. */
  readonly startingBlock: bigint;
}

/** A proposal that waits for the anchor to move. */
export interface BlockedProposal {
  readonly l2Block: bigint;
  readonly anchorBlock: bigint;
}

export class Proposer {
  private next: bigint;
  private readonly records: Proposal[] = [];
  private blocked: BlockedProposal | null = null;
  private readonly gameType: number;
  private readonly span: bigint;

  constructor(private readonly opts: ProposerOptions) {
    this.gameType = opts.gameType ?? DEVNET_GAME_TYPE;
    const split = opts.splitDepth ?? DEVNET_SPLIT_DEPTH;
    if (!Number.isInteger(split) || split < 1 || split > 64) throw new ProposerError(`split depth ${split} is not an integer in 1..64`);
    this.span = 1n << BigInt(split);
    if (opts.interval < 1n || opts.interval > this.span) throw new ProposerError(`proposal interval ${opts.interval} must be in 1..${this.span} (2^SPLIT_DEPTH)`);
    this.next = (opts.startBlock ?? 0n) + opts.interval;
  }

  /** Every game proposed so far, oldest first. */
  proposals(): readonly Proposal[] {
    return [...this.records];
  }

  /** The next L2 block to propose. */
  nextBlock(): bigint {
    return this.next;
  }

  /** The proposal that waits for the anchor to move, if any (as of the last poll). */
  blockedOn(): BlockedProposal | null {
    return this.blocked;
  }

  /** The factory's anchor for the game type: (root, L2 block). */
  async anchor(): Promise<{ root: Hex; l2Block: bigint }> {
    const [root, l2Block] = (await this.opts.clients.public.readContract({
      address: this.opts.factory,
      abi: disputeGameFactoryArtifact().abi,
      functionName: 'anchors',
      args: [this.gameType],
    })) as readonly [Hex, bigint];
    return { root, l2Block };
  }

  /**
   * Proposes every due block up to the safe head (oldest first) that the anchor allows; returns
   * the new proposals.
   */
  async poll(): Promise<Proposal[]> {
    const head = await this.opts.safeHead();
    const made: Proposal[] = [];
    this.blocked = null;
    while (this.next <= head) {
      const block = this.next;
      const { l2Block: anchorBlock } = await this.anchor();
      if (block <= anchorBlock) {
        // An upheld game already settled a later block: this one can no longer be a game.
        this.opts.logger?.warn({ l2Block: block, anchorBlock }, 'proposal skipped: the anchor is past it');
        this.next += this.opts.interval;
        continue;
      }
      if (block - anchorBlock > this.span) {
        this.blocked = { l2Block: block, anchorBlock };
        this.opts.logger?.debug({ l2Block: block, anchorBlock }, 'proposal waits for the anchor to move');
        break;
      }
      made.push(await this.propose(block, anchorBlock));
      this.next += this.opts.interval;
    }
    return made;
  }

  private async propose(block: bigint, anchorBlock: bigint): Promise<Proposal> {
    const honestRoot = await this.opts.truth(block);
    const rootClaim = this.opts.rootFor === undefined ? honestRoot : await this.opts.rootFor(block);
    const { address, receipt } = await createGame(this.opts.clients, this.opts.factory, {
      gameType: this.gameType,
      rootClaim,
      l2BlockNumber: block,
      ...(this.opts.bond === undefined ? {} : { bond: this.opts.bond }),
    });
    // The game's own view of its start: the anchor may have moved since we read it.
    const startingBlock = (await this.opts.clients.public.readContract({
      address,
      abi: bisectionGameArtifact().abi,
      functionName: 'startingBlockNumber',
    })) as bigint;
    if (block - startingBlock > this.span) throw new ProposerError(`game ${address} spans ${startingBlock}..${block}, more than ${this.span} blocks`);
    const p: Proposal = {
      l2Block: block,
      rootClaim,
      honestRoot,
      honest: BigInt(rootClaim) === BigInt(honestRoot),
      game: address,
      l1Block: receipt.blockNumber,
      startingBlock,
    };
    this.records.push(p);
    this.opts.logger?.info({ game: address, l2Block: block, startingBlock, rootClaim, honest: p.honest, l1Block: receipt.blockNumber, anchorBlock }, 'game created');
    return p;
  }
}
