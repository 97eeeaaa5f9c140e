// The BlockInputsInbox on L1 (contracts/src/BlockInputsInbox.sol): the batcher commits each L2
// block's inputs hash there; a game's block start reads it as the local context's inputs hash.
import { parseAbi, type Address, type Hex, type PublicClient } from 'viem';
import { hexToBytes } from '../../vm/util/bytes.js';

/** Written out (no Solidity compile at run time); test/l1-game.test.ts checks it against the artifact. */
export const BLOCK_INPUTS_INBOX_ABI = parseAbi([
  'function BATCHER() view returns (address)',
  'function nextBlock() view returns (uint256)',
  'function inputsHashOf(uint256 l2BlockNumber) view returns (bytes32)',
  'function commit(uint256 firstBlock, bytes32[] hashes)',
  'event InputsCommitted(uint256 indexed firstBlock, uint256 count)',
  'error NotBatcher(address sender)',
  'error OutOfOrder(uint256 expected, uint256 got)',
  'error EmptyCommit()',
  'error ZeroInputsHash(uint256 l2BlockNumber)',
]);

/** The inputs hash committed for `l2Block` (32 zero bytes when none was). */
export async function committedInputsHash(client: PublicClient, inbox: Address, l2Block: bigint): Promise<Uint8Array> {
  const h = (await client.readContract({ address: inbox, abi: BLOCK_INPUTS_INBOX_ABI, functionName: 'inputsHashOf', args: [l2Block] })) as Hex;
  return hexToBytes(h);
}

/** The first block the inbox has no commitment for. */
export async function nextUncommittedBlock(client: PublicClient, inbox: Address): Promise<bigint> {
  return (await client.readContract({ address: inbox, abi: BLOCK_INPUTS_INBOX_ABI, functionName: 'nextBlock' })) as bigint;
}
