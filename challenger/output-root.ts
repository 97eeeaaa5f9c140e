// Output roots the watcher trusts: the L2 block is re-executed statelessly (replay: every proof
// checked against the parent state root, every header field recomputed), and the output root is
// built from what was verified: keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash),
// the OP Stack output root, with the message passer's storage root proven against the state root.
import type { ChainRules } from '../vm/chain/chain.js';
import { replayBlock, type ReplayOptions } from '../vm/replay/replay.js';
import type { ReplaySource } from '../vm/replay/source.js';
import type { Rpc } from '../vm/rpc/client.js';
import { verifyAccountProof } from '../vm/rpc/prestate.js';
import { bytesToHex, type Hex } from '../vm/util/bytes.js';

export { MESSAGE_PASSER, OUTPUT_VERSION_V0, outputRootOf } from '../vm/block/output-root.js';
import { MESSAGE_PASSER, outputRootOf } from '../vm/block/output-root.js';

/** The block did not verify: the watcher cannot say what its output root is. */
export class UnverifiedBlockError extends Error {
  override readonly name = 'UnverifiedBlockError';
  constructor(
    readonly blockNumber: bigint,
    readonly mismatch: string,
  ) {
    super(`L2 block ${blockNumber} does not verify: ${mismatch}`);
  }
}

export interface VerifiedOutput {
  readonly blockNumber: bigint;
  readonly outputRoot: Hex;
  readonly stateRoot: Hex;
  readonly messagePasserStorageRoot: Hex;
  readonly blockHash: Hex;
}

export async function verifiedOutputRoot(
  source: ReplaySource,
  rpc: Rpc,
  chain: ChainRules,
  blockNumber: bigint,
  options: ReplayOptions = {},
): Promise<VerifiedOutput> {
  const verdict = await replayBlock(source, chain, blockNumber, options);
  if (!verdict.verified) throw new UnverifiedBlockError(blockNumber, verdict.mismatch ?? 'unknown mismatch');
  const { header, hash } = await source.header(blockNumber);
  const answer = await rpc.request('eth_getProof', [MESSAGE_PASSER, [], `0x${blockNumber.toString(16)}`]);
  // A proof of absence gives the empty root: a chain without the predeploy has no withdrawals.
  const storageRoot = verifyAccountProof(header.stateRoot, MESSAGE_PASSER, new Set(), answer).storageRoot;
  return {
    blockNumber,
    outputRoot: bytesToHex(outputRootOf(header.stateRoot, storageRoot, hash)),
    stateRoot: bytesToHex(header.stateRoot),
    messagePasserStorageRoot: bytesToHex(storageRoot),
    blockHash: bytesToHex(hash),
  };
}
