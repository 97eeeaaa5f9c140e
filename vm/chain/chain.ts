// Chain rules are a value: the fork schedule, the chain id and the fee rules.
// Nothing else in the VM branches on which chain it runs.
import { forkRules, type Fork, type ForkRules } from './forks.js';
import type { Address } from '../util/address.js';
import type { InferenceConfig } from '../precompiles/inference.js';

export type ChainName = 'ethereum' | 'hyperion' | 'devnet';

export interface ForkActivation {
  readonly fork: Fork;
  /** First block timestamp (seconds) the fork applies to. */
  readonly timestamp: bigint;
}

export interface ChainRules {
  readonly name: ChainName;
  readonly chainId: bigint;
  /** Ascending by timestamp; the first entry applies from genesis. */
  readonly schedule: readonly ForkActivation[];
  /**
   * Who receives the base fee. Ethereum burns it (EIP-1559). Hyperion's
   * reth-based execution client (metis-sdk) credits the block producer with the
   * full effective gas price times gas used in its default sequential executor,
   * so the base fee goes to the coinbase there.
   */
  readonly baseFeeRecipient: 'burn' | 'coinbase';
  /**
   * Prague's request contracts (EIP-7002, EIP-7251): Ethereum rejects a block when they
   * are missing; chains that never deployed them (L2s, local nodes) skip the calls.
   */
  readonly requestContracts: 'required' | 'when-present';
  /** EIP-6110 deposit contract, or null where the chain has none. */
  readonly depositContract: Address | null;
  /** EIP-1559 base-fee parameters, checked against the parent header. */
  readonly baseFee: { readonly maxChangeDenominator: bigint; readonly elasticityMultiplier: bigint };
  /**
   * How the state trie represents zeros. Ethereum deletes zero slots and destroyed
   * accounts. anvil (1.7.1) keeps a leaf holding rlp(0) for every slot a transaction
   * read or wrote that ends at zero, and keeps an account destroyed by SELFDESTRUCT
   * as an empty leaf; replaying anvil must follow it to reproduce its state roots.
   */
  readonly zeroStorageLeaves: 'deleted' | 'kept';
  /**
   * Precompiles the chain's own client runs that no one can reproduce bit for bit
   * (Metis's LLM precompile: float inference). MetisVM does not run them; a call is
   * recorded so replay and watch report the block as not reproducible.
   */
  readonly unreproducible: readonly Address[];
  /** MetisVM's deterministic inference precompile and its model store, where the chain enables it. */
  readonly inference?: InferenceConfig;
}

/** Metis's LLM precompile (metis-sdk): UTF-8 prompt in, completion bytes out, llama.cpp on a GGUF model. */
export const METIS_LLM_PRECOMPILE: Address = '0x0000000000000000000000000000000000000999';

const ETHEREUM_BASE_FEE = { maxChangeDenominator: 8n, elasticityMultiplier: 2n } as const;

/** Ethereum mainnet: Cancun 2024-03-13, Prague 2025-05-07, Osaka 2025-12-03 (timestamps from the EIPs' meta-EIPs). */
export const ETHEREUM_MAINNET: ChainRules = {
  name: 'ethereum',
  chainId: 1n,
  schedule: [
    { fork: 'cancun', timestamp: 1710338135n },
    { fork: 'prague', timestamp: 1746612311n },
    { fork: 'osaka', timestamp: 1764798551n },
  ],
  baseFeeRecipient: 'burn',
  requestContracts: 'required',
  depositContract: '0x00000000219ab540356cbb839cbe05303d7705fa',
  baseFee: ETHEREUM_BASE_FEE,
  zeroStorageLeaves: 'deleted',
  unreproducible: [],
};

/** Ethereum rules with one fork from genesis: state tests, anvil, `vm run`. */
export function ethereumRules(fork: Fork, chainId = 1n): ChainRules {
  return {
    name: 'ethereum',
    chainId,
    schedule: [{ fork, timestamp: 0n }],
    baseFeeRecipient: 'burn',
    requestContracts: 'when-present',
    depositContract: null,
    baseFee: ETHEREUM_BASE_FEE,
    zeroStorageLeaves: 'deleted',
    unreproducible: [],
  };
}

/** A local anvil node: Ethereum execution rules, anvil's state-trie representation. */
export function anvilRules(fork: Fork, chainId = 31337n): ChainRules {
  return { ...ethereumRules(fork, chainId), name: 'devnet', zeroStorageLeaves: 'kept' };
}

/**
 * Hyperion rules: Prague from genesis (metis-sdk runs reth's Prague spec) and
 * the base fee paid to the block producer. The chain id is the node's own
 * (eth_chainId): Hyperion networks differ and we take it from the source.
 */
export function hyperionRules(chainId: bigint, fork: Fork = 'prague'): ChainRules {
  return {
    name: 'hyperion',
    chainId,
    schedule: [{ fork, timestamp: 0n }],
    baseFeeRecipient: 'coinbase',
    requestContracts: 'when-present',
    depositContract: null,
    baseFee: ETHEREUM_BASE_FEE,
    zeroStorageLeaves: 'deleted',
    unreproducible: [METIS_LLM_PRECOMPILE],
  };
}

export function forkAt(chain: ChainRules, timestamp: bigint): Fork {
  let fork = chain.schedule[0]!.fork;
  for (const a of chain.schedule) if (timestamp >= a.timestamp) fork = a.fork;
  return fork;
}

export function rulesAt(chain: ChainRules, timestamp: bigint): ForkRules {
  return forkRules(forkAt(chain, timestamp));
}
