// The OP Stack output root (version 0): what a proposer claims for an L2 block and what the step
// machine's block-end step recomputes.
import type { Address } from '../util/address.js';
import { concatBytes } from '../util/bytes.js';
import { keccak256 } from '../util/hash.js';

/** The OP Stack L2ToL1MessagePasser predeploy; its storage root is part of the output root. */
export const MESSAGE_PASSER: Address = '0x4200000000000000000000000000000000000016';
export const OUTPUT_VERSION_V0 = new Uint8Array(32);

/** version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash: the output root's 128-byte preimage. */
export function outputRootPreimage(stateRoot: Uint8Array, messagePasserStorageRoot: Uint8Array, blockHash: Uint8Array): Uint8Array {
  return concatBytes(OUTPUT_VERSION_V0, stateRoot, messagePasserStorageRoot, blockHash);
}

export function outputRootOf(stateRoot: Uint8Array, messagePasserStorageRoot: Uint8Array, blockHash: Uint8Array): Uint8Array {
  return keccak256(outputRootPreimage(stateRoot, messagePasserStorageRoot, blockHash));
}
