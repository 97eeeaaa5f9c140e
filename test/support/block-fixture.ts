// The block the step-machine block tests run (test/vm-block-steps, test/contracts-step-tx,
// test/contracts-step-txbegin): block 8 on a fixed parent, its header template, the ancestor
// lookup, the message passer's storage root of a pre-state, the block's step trace, and the
// worst gas seen per step class.
import type { ChainRules } from '../../vm/chain/chain.js';
import { blockEnvOf } from '../../vm/block/execute.js';
import type { BlockHeader } from '../../vm/block/header.js';
import { MESSAGE_PASSER } from '../../vm/block/output-root.js';
import type { MemoryState } from '../../vm/state/memory.js';
import { traceBlockSteps, type BlockStepTrace } from '../../vm/step/block-steps.js';
import { fullWitness } from '../../vm/step/full-witness.js';
import { storeFromWitness } from '../../vm/step/trace.js';
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

/**
 * The step trace of block 8 over `state`, its header with `fields` changed (the blob tests'
 * excessBlobGas); the disputed output root is arbitrary: the tests check the steps, not the
 * game's claim.
 */
export function fixtureBlockTrace(transactions: readonly Uint8Array[], chain: ChainRules, coinbase: Address, state: MemoryState, fields: Partial<BlockHeader> = {}): BlockStepTrace {
  const witness = fullWitness(state);
  const store = storeFromWitness(witness);
  const h = { ...fixtureHeader(coinbase), ...fields };
  return traceBlockSteps(store, {
    header: h,
    transactions: [...transactions],
    env: blockEnvOf(h, chain, fixtureBlockHashes),
    parent: { stateRoot: witness.stateRoot, messagePasserStorageRoot: mpRootOf(witness.nodes, witness.stateRoot), blockHash: PARENT_HASH },
    disputedOutputRoot: new Uint8Array(32),
  });
}

/** The indices of the trace's steps of `kind` ('tx-begin', 'tx-end', ...). */
export const stepsOf = (t: BlockStepTrace, kind: string): number[] => t.kinds.flatMap((k, i) => (k === kind ? [i] : []));

/** The worst gas seen per step class, for the tables the parts' header comments record. */
export class GasTable {
  private readonly worst = new Map<string, number>();
  record(cls: string, gas: number): void {
    this.worst.set(cls, Math.max(this.worst.get(cls) ?? 0, gas));
  }
  get size(): number {
    return this.worst.size;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.worst);
  }
}
