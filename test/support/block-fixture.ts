// The block the step-machine block tests run (test/vm-block-steps, test/contracts-step-tx,
// test/contracts-step-txbegin): block 8 on a fixed parent, its header template, the ancestor
// lookup, and the message passer's storage root of a pre-state.
import type { BlockHeader } from '../../vm/block/header.js';
import { MESSAGE_PASSER } from '../../vm/block/output-root.js';
import { NodeStore, PartialTrie } from '../../vm/state/witness-trie.js';
import { EMPTY_TRIE_ROOT, decodeAccount } from '../../vm/trie/index.js';
import { addressToBytes, toAddress, type Address } from '../../vm/util/address.js';
import { bytesToHex, hexToBytes } from '../../vm/util/bytes.js';
import { keccak256 } from '../../vm/util/hash.js';

export const PARENT_HASH = keccak256(Uint8Array.of(1, 2, 3));
export const EMPTY_OMMERS = hexToBytes('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347');
export const FIXTURE_COINBASE = toAddress('0x00000000000000000000000000000000000fee00');

/** Block 8's header before execution (execution fields zero), paid to `coinbase`. */
export function fixtureHeader(coinbase: Address = FIXTURE_COINBASE): BlockHeader {
  return {
    parentHash: PARENT_HASH,
    ommersHash: EMPTY_OMMERS,
    coinbase,
    stateRoot: new Uint8Array(32),
    transactionsRoot: keccak256(Uint8Array.of(9)),
    receiptsRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 8n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1_700_000_000n,
    extraData: Uint8Array.of(0x68, 0x76),
    mixHash: keccak256(Uint8Array.of(4)),
    nonce: new Uint8Array(8),
    baseFeePerGas: 7n,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
    requestsHash: new Uint8Array(32),
  };
}

/** Only the parent (block 7) is known. */
export const fixtureBlockHashes = (n: bigint): bigint | null => (n === 7n ? BigInt(bytesToHex(PARENT_HASH)) : null);

/** The message passer's storage root in the state under `stateRoot`. */
export function mpRootOf(nodes: Map<string, Uint8Array>, stateRoot: Uint8Array): Uint8Array {
  const leaf = new PartialTrie(new NodeStore(nodes), stateRoot).get(keccak256(addressToBytes(MESSAGE_PASSER)));
  return leaf === null ? EMPTY_TRIE_ROOT : decodeAccount(leaf).storageRoot;
}
