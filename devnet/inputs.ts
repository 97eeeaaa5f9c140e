// The batcher's second job: after a batch's blobs are posted, commit each of its blocks' inputs
// hash (prover/DESIGN.md §2.7) to the BlockInputsInbox, the inputs a game's block start reads.
import type { Address, Hex } from 'viem';
import { sendCall, type L1Clients } from '../contracts/deploy.js';
import { BLOCK_INPUTS_INBOX_ABI } from '../prover/l1/inputs-inbox.js';
import type { MetisChainView } from '../prover/metis/chain-view.js';
import { chainBlockInputsHash } from '../prover/metis/trace-provider.js';
import { bytesToHex, hexToBytes } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';

export class InputsCommitError extends Error {
  override readonly name = 'InputsCommitError';
}

/** The inputs hash of block `n` of `view` (what the inbox must hold for it). */
export async function inputsHashOfBlock(view: MetisChainView, n: bigint): Promise<Hex> {
  return bytesToHex(await chainBlockInputsHash(view, n));
}

/**
 * Commits blocks `first..last` of `view` in one transaction (they must follow the inbox's last
 * commitment). `wrongAt`: a faulty batcher's block, committed with other inputs (tests, devnet).
 */
export async function commitBlockInputs(clients: L1Clients, inbox: Address, view: MetisChainView, first: bigint, last: bigint, wrongAt?: bigint): Promise<{ readonly hashes: readonly Hex[]; readonly l1Block: bigint }> {
  if (last < first) throw new InputsCommitError(`no blocks to commit (${first}..${last})`);
  const hashes: Hex[] = [];
  for (let n = first; n <= last; n++) {
    const h = await inputsHashOfBlock(view, n);
    hashes.push(n === wrongAt ? bytesToHex(keccak256(hexToBytes(h))) : h);
  }
  const receipt = await sendCall(clients, { address: inbox, abi: BLOCK_INPUTS_INBOX_ABI, functionName: 'commit', args: [first, hashes] });
  return { hashes, l1Block: receipt.blockNumber };
}
