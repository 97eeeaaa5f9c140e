// The local Hyperion devnet's L2 chain as plain values and pure functions: chain id and rules, the
// genesis alloc and header, and the header template of every later block. The sequencer and the
// verifier node both build headers here, so a block derived from L1 hashes exactly like the one
// the sequencer built.
import { hyperionRules, type ChainRules } from '../vm/chain/chain.js';
import { expectedBaseFee } from '../vm/block/validate.js';
import { headerHash, type BlockHeader } from '../vm/block/header.js';
import type { BlockResult } from '../vm/block/execute.js';
import type { GenesisAccount } from '../vm/state/persistent.js';
import { MemoryState } from '../vm/state/memory.js';
import { stateRoot as memoryStateRoot } from '../vm/state/root.js';
import { EMPTY_TRIE_ROOT } from '../vm/trie/index.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { keccak256, sha256 } from '../vm/util/hash.js';
import { hexToBytes, type Hex } from '../vm/util/bytes.js';
import { toAddress, type Address } from '../vm/util/address.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { MESSAGE_PASSER } from '../challenger/output-root.js';

export { MESSAGE_PASSER };

export const DEVNET_CHAIN_ID = 133717n;
/** Hyperion's rules: Prague from genesis, the base fee paid to the coinbase. */
export const DEVNET_RULES: ChainRules = hyperionRules(DEVNET_CHAIN_ID, 'prague');
/** Seconds between L2 blocks. */
export const DEVNET_BLOCK_TIME = 2n;
export const DEVNET_GAS_LIMIT = 30_000_000n;
export const DEVNET_GENESIS_BASE_FEE = 1_000_000_000n;
/** OP Stack's SequencerFeeVault predeploy: the coinbase of every devnet block. */
export const FEE_VAULT: Address = '0x4200000000000000000000000000000000000011';

/**
 * Runtime code of devnet/MessagePasser.sol (solc 0.8.37, evmVersion prague, optimizer 200 runs),
 * generated once; test/devnet-chain.test.ts recompiles the source and checks it is this code.
 */
export const MESSAGE_PASSER_RUNTIME: Hex =
  '0x608060405260043610610028575f3560e01c806382e3702d146100c9578063ecc704281461010c575b5f335f366001546040516020016100429493929190610157565b60408051601f1981840301815282825280516020918201205f81815291829052918120805460ff191660019081179091555491935033927fb615b54dc055af4c5e10d2e5f269b8ca730e6eb57ad128c0510d7386785f7290916100a8913690879061018c565b60405180910390a36001805f8282546100c191906101af565b925050819055005b3480156100d4575f5ffd5b506100f76100e33660046101d4565b5f6020819052908152604090205460ff1681565b60405190151581526020015b60405180910390f35b348015610117575f5ffd5b5061012160015481565b604051908152602001610103565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b6001600160a01b03851681526060602082018190525f9061017b908301858761012f565b905082604083015295945050505050565b604081525f61019f60408301858761012f565b9050826020830152949350505050565b808201808211156101ce57634e487b7160e01b5f52601160045260245ffd5b92915050565b5f602082840312156101e4575f5ffd5b503591905056fea2646970667358221220e0875cc4fb1708ec033a058bea075e3a83ff46334be7c4cad2564c36425972aa64736f6c63430008250033';

/** Private keys of the funded devnet accounts: keccak256("hyperion-devnet-account-<i>"). */
export const DEVNET_PRIVATE_KEYS: readonly Hex[] = Array.from({ length: 5 }, (_, i) => devnetKey(`hyperion-devnet-account-${i}`));
export const DEVNET_ACCOUNTS: readonly Address[] = DEVNET_PRIVATE_KEYS.map((k) => addressOfPrivateKey(k));
/** Each funded account starts with 1 000 000 ether. */
export const DEVNET_ACCOUNT_BALANCE = 10n ** 24n;

function devnetKey(label: string): Hex {
  const k = keccak256(new TextEncoder().encode(label));
  return `0x${Buffer.from(k).toString('hex')}`;
}

/** The devnet's genesis state: the funded accounts and the message passer. No code at system addresses. */
export function devnetAlloc(): Map<Address, GenesisAccount> {
  const alloc = new Map<Address, GenesisAccount>();
  for (const a of DEVNET_ACCOUNTS) alloc.set(a, { balance: DEVNET_ACCOUNT_BALANCE });
  alloc.set(toAddress(MESSAGE_PASSER), { code: hexToBytes(MESSAGE_PASSER_RUNTIME), nonce: 1n });
  return alloc;
}

export function allocStateRoot(alloc: ReadonlyMap<Address, GenesisAccount>): Uint8Array {
  const mem = new MemoryState();
  for (const [address, a] of alloc) mem.put(address, { ...a });
  return memoryStateRoot(mem);
}

/** keccak256(rlp([])): no ommers after the merge. */
export const EMPTY_OMMERS_HASH = keccak256(rlpEncode([]));
/** EIP-7685's commitment to no requests: sha256 of the empty string. */
export const EMPTY_REQUESTS_HASH = sha256(new Uint8Array(0));
const ZERO32 = new Uint8Array(32);

/** The devnet genesis (block 0) with every Prague field; the timestamp is the devnet's start. */
export function genesisHeader(timestamp: bigint, stateRoot: Uint8Array = allocStateRoot(devnetAlloc())): BlockHeader {
  return {
    parentHash: ZERO32,
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: FEE_VAULT,
    stateRoot,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 0n,
    gasLimit: DEVNET_GAS_LIMIT,
    gasUsed: 0n,
    timestamp,
    extraData: new Uint8Array(0),
    mixHash: ZERO32,
    nonce: new Uint8Array(8),
    baseFeePerGas: DEVNET_GENESIS_BASE_FEE,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: ZERO32,
    requestsHash: EMPTY_REQUESTS_HASH,
  };
}

/** What a batch decides about an L2 block: its timestamp and L1 origin (epoch). */
export interface BlockAttributes {
  readonly timestamp: bigint;
  readonly l1Origin: { readonly number: bigint; readonly hash: Uint8Array };
}

export class DevnetBlockRuleError extends Error {
  override readonly name = 'DevnetBlockRuleError';
}

/**
 * The header of the child of `parent` before execution: the execution results (state root,
 * transactions and receipts roots, bloom, gas used) are zero until `sealHeader` fills them in.
 * Base fee: EIP-1559 from the parent with the chain's parameters (elasticity 2, denominator 8).
 * prevRandao is the L1 origin's hash, as OP Stack L2s take it from their L1 origin.
 */
export function nextHeaderTemplate(parent: BlockHeader, attrs: BlockAttributes, chain: ChainRules = DEVNET_RULES): BlockHeader {
  if (attrs.timestamp <= parent.timestamp) {
    throw new DevnetBlockRuleError(`timestamp ${attrs.timestamp} does not follow the parent's ${parent.timestamp}`);
  }
  if (attrs.l1Origin.hash.length !== 32) throw new DevnetBlockRuleError('L1 origin hash must be 32 bytes');
  return {
    parentHash: headerHash(parent),
    ommersHash: EMPTY_OMMERS_HASH,
    coinbase: FEE_VAULT,
    stateRoot: ZERO32,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: parent.number + 1n,
    gasLimit: DEVNET_GAS_LIMIT,
    gasUsed: 0n,
    timestamp: attrs.timestamp,
    extraData: new Uint8Array(0),
    mixHash: attrs.l1Origin.hash.slice(),
    nonce: new Uint8Array(8),
    baseFeePerGas: expectedBaseFee(parent, chain),
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: ZERO32,
    requestsHash: EMPTY_REQUESTS_HASH,
  };
}

/** The template completed with what execution produced. */
export function sealHeader(template: BlockHeader, result: BlockResult, stateRoot: Uint8Array): BlockHeader {
  return {
    ...template,
    stateRoot: stateRoot.slice(),
    transactionsRoot: result.transactionsRoot,
    receiptsRoot: result.receiptsRoot,
    logsBloom: result.logsBloom,
    gasUsed: result.gasUsed,
    ...(result.requestsHash === null ? {} : { requestsHash: result.requestsHash }),
  };
}

/** An L1 block as the sequencer needs it to pick an origin. */
export interface L1BlockInfo {
  readonly number: bigint;
  readonly hash: Uint8Array;
  readonly timestamp: bigint;
}

/**
 * The L1 origin of the next L2 block (OP's rule, which span batches and the node enforce): the
 * parent's origin, or the L1 block after it once that block exists and is not newer than the
 * L2 block's timestamp. `next` is the L1 block parent.number + 1 when the caller has it.
 */
export function nextL1Origin(parent: L1BlockInfo, next: L1BlockInfo | null, l2Timestamp: bigint): L1BlockInfo {
  if (next === null) return parent;
  if (next.number !== parent.number + 1n) throw new DevnetBlockRuleError(`L1 block ${next.number} does not follow the origin ${parent.number}`);
  return next.timestamp <= l2Timestamp ? next : parent;
}
