// A deterministic load for the devnet: from a seed, blocks of signed L2 transactions mixing
// transfers, contract creations, storage-heavy calls, a hashing loop and messages to the
// L2ToL1MessagePasser, in legacy, EIP-2930 and EIP-1559 envelopes (what span batches carry).
import { encodeTransaction, signTransaction, type Transaction } from '../vm/tx/index.js';
import { rlpEncode } from '../vm/rlp/rlp.js';
import { addressFromBytes, addressToBytes, toAddress, type Address } from '../vm/util/address.js';
import { bigIntToBytes, concatBytes, type Hex } from '../vm/util/bytes.js';
import { keccak256 } from '../vm/util/hash.js';
import { addressOfPrivateKey } from '../vm/tx/index.js';
import { DEVNET_CHAIN_ID, DEVNET_PRIVATE_KEYS, MESSAGE_PASSER } from './chain.js';
import { inferenceGas } from '../ai/gas.js';
import { modelId, size, type IntModel } from '../ai/model.js';

// ---- the workload contract, assembled by hand -------------------------------------------------
// Calldata: mode (word 0), n (word 1), seed (word 2).
//   mode 0: for i in 0..n: sstore(seed + i, i + 1)           (storage-heavy)
//   mode 1: h = seed; n times h = keccak256(h); sstore(0, h)   (hashing loop)
type Asm = (number | string)[];
const OP: Record<string, number> = {
  STOP: 0x00, ADD: 0x01, SUB: 0x03, LT: 0x10, ISZERO: 0x15, KECCAK256: 0x20, CALLDATALOAD: 0x35,
  CODECOPY: 0x39, MLOAD: 0x51, MSTORE: 0x52, SSTORE: 0x55, JUMP: 0x56, JUMPI: 0x57, JUMPDEST: 0x5b,
  PUSH1: 0x60, DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, DUP4: 0x83, SWAP1: 0x90, RETURN: 0xf3,
};

const WORKLOAD_ASM: Asm = [
  'PUSH1', 0x20, 'CALLDATALOAD', 'PUSH1', 0x40, 'CALLDATALOAD', 'PUSH1', 0x00, 'CALLDATALOAD', 'PUSH1', '@hash', 'JUMPI',
  'PUSH1', 0x00,
  ':loop', 'JUMPDEST', 'DUP3', 'DUP2', 'LT', 'ISZERO', 'PUSH1', '@end', 'JUMPI',
  'DUP1', 'PUSH1', 0x01, 'ADD', 'DUP2', 'DUP4', 'ADD', 'SSTORE', 'PUSH1', 0x01, 'ADD', 'PUSH1', '@loop', 'JUMP',
  ':end', 'JUMPDEST', 'STOP',
  ':hash', 'JUMPDEST', 'PUSH1', 0x00, 'MSTORE',
  ':hl', 'JUMPDEST', 'DUP1', 'ISZERO', 'PUSH1', '@hdone', 'JUMPI',
  'PUSH1', 0x20, 'PUSH1', 0x00, 'KECCAK256', 'PUSH1', 0x00, 'MSTORE', 'PUSH1', 0x01, 'SWAP1', 'SUB', 'PUSH1', '@hl', 'JUMP',
  ':hdone', 'JUMPDEST', 'PUSH1', 0x00, 'MLOAD', 'PUSH1', 0x00, 'SSTORE', 'STOP',
];

/** Two passes: label offsets, then bytes (every label fits in one PUSH1 byte). */
function assemble(asm: Asm): Uint8Array {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const x of asm) {
    if (typeof x === 'string' && x.startsWith(':')) labels.set(x.slice(1), pc);
    else pc++;
  }
  const out: number[] = [];
  for (const x of asm) {
    if (typeof x === 'number') out.push(x);
    else if (x.startsWith(':')) continue;
    else if (x.startsWith('@')) out.push(labels.get(x.slice(1))!);
    else out.push(OP[x]!);
  }
  return Uint8Array.from(out);
}

export const WORKLOAD_RUNTIME: Uint8Array = assemble(WORKLOAD_ASM);
/** Init code: copy the runtime after it to memory and return it. */
export const WORKLOAD_INITCODE: Uint8Array = concatBytes(
  Uint8Array.of(0x60, WORKLOAD_RUNTIME.length, 0x60, 12, 0x60, 0x00, 0x39, 0x60, WORKLOAD_RUNTIME.length, 0x60, 0x00, 0xf3),
  WORKLOAD_RUNTIME,
);

// The inference caller: calldata (model id ‖ input) to memory, STATICCALL of the inference
// precompile 0x…0a10 with it (no output area), the return data copied back and its keccak stored
// in slot 0. Init code: copy the runtime (at offset 10) to memory and return it.
export const INFERENCE_CALLER_RUNTIME: Uint8Array = Uint8Array.from([
  0x36, 0x5f, 0x5f, 0x37, 0x5f, 0x5f, 0x36, 0x5f, 0x61, 0x0a, 0x10, 0x5a, 0xfa, 0x50, 0x3d, 0x5f, 0x5f, 0x3e, 0x3d, 0x5f, 0x20, 0x5f, 0x55, 0x00,
]);
export const INFERENCE_CALLER_INITCODE: Uint8Array = concatBytes(
  Uint8Array.of(0x60, INFERENCE_CALLER_RUNTIME.length, 0x60, 0x0a, 0x5f, 0x39, 0x60, INFERENCE_CALLER_RUNTIME.length, 0x5f, 0xf3),
  INFERENCE_CALLER_RUNTIME,
);

export function workloadCalldata(mode: 0 | 1, n: bigint, seed: bigint): Uint8Array {
  return concatBytes(bigIntToBytes(BigInt(mode), 32), bigIntToBytes(n, 32), bigIntToBytes(seed, 32));
}

/** The address CREATE gives a contract deployed by `sender` with `nonce`. */
export function createAddress(sender: Address, nonce: bigint): Address {
  return addressFromBytes(keccak256(rlpEncode([addressToBytes(sender), nonce])).subarray(12));
}

// ---- the generator ---------------------------------------------------------------------------

function checkRange(range: readonly [number, number], name: string): readonly [number, number] {
  const [lo, hi] = range;
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi < lo) throw new RangeError(`${name} must be [min, max] with 0 <= min <= max, not [${lo}, ${hi}]`);
  return range;
}

/** lo + r mod (hi - lo + 1). */
function inRange([lo, hi]: readonly [number, number], r: bigint): bigint {
  return BigInt(lo) + (r % BigInt(hi - lo + 1));
}

/** xorshift32: small, deterministic, good enough to vary a load. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export type LoadKind = 'transfer' | 'create' | 'storage' | 'hash' | 'message' | 'inference';

export interface LoadOptions {
  readonly seed: number;
  /** Senders (default: the devnet's funded accounts). */
  readonly keys?: readonly Hex[];
  readonly chainId?: bigint;
  /** Transactions per block: min and max (default 2..5). */
  readonly perBlock?: readonly [number, number];
  /** Fee cap per gas; must stay above the base fee (default 2 gwei; the devnet starts at 1 gwei). */
  readonly maxFeePerGas?: bigint;
  /**
   * Keccak rounds of a hashing call, min and max (default 200..2199). Each round is about 15
   * instructions, so a dispute game's per-block step budget bounds it (see DEVNET_LOAD).
   */
  readonly hashRounds?: readonly [number, number];
  /** Slots a storage call writes, min and max (default 5..24). */
  readonly storageSlots?: readonly [number, number];
  /**
   * Models of the chain's inference store: every block then ends with an inference call (the
   * first deploys the caller contract), a model and an int8 input drawn from the seed.
   */
  readonly inference?: { readonly models: readonly IntModel[] };
}

export interface GeneratedTransaction {
  readonly kind: LoadKind;
  readonly raw: Uint8Array;
  readonly from: Address;
}

/**
 * Signs a varied load locally. It assumes every transaction it signed was included (nonces are
 * counted here): feed every block it generates to the sequencer, in order.
 */
export class LoadGenerator {
  private readonly next: () => number;
  private readonly keys: readonly Hex[];
  private readonly senders: readonly Address[];
  private readonly nonces: bigint[];
  private readonly contracts: Address[] = [];
  private readonly chainId: bigint;
  private readonly perBlock: readonly [number, number];
  private readonly maxFee: bigint;
  private readonly hashRounds: readonly [number, number];
  private readonly storageSlots: readonly [number, number];
  private readonly models: readonly IntModel[];
  private caller: Address | null = null;

  constructor(opts: LoadOptions) {
    this.next = rng(opts.seed);
    this.keys = opts.keys ?? DEVNET_PRIVATE_KEYS;
    if (this.keys.length === 0) throw new RangeError('the load needs at least one key');
    this.senders = this.keys.map((k) => addressOfPrivateKey(k));
    this.nonces = this.keys.map(() => 0n);
    this.chainId = opts.chainId ?? DEVNET_CHAIN_ID;
    this.perBlock = opts.perBlock ?? [2, 5];
    this.maxFee = opts.maxFeePerGas ?? 2_000_000_000n;
    this.hashRounds = checkRange(opts.hashRounds ?? [200, 2199], 'hashRounds');
    this.storageSlots = checkRange(opts.storageSlots ?? [5, 24], 'storageSlots');
    checkRange(this.perBlock, 'perBlock');
    this.models = opts.inference?.models ?? [];
    if (opts.inference !== undefined && this.models.length === 0) throw new RangeError('an inference load needs at least one model');
  }

  /** The inference caller's address, once the load has deployed it. */
  get inferenceCaller(): Address | null {
    return this.caller;
  }

  /** The contracts this load deployed so far. */
  get deployed(): readonly Address[] {
    return this.contracts;
  }

  /** The next block's transactions. */
  nextBlock(): GeneratedTransaction[] {
    const [lo, hi] = this.perBlock;
    const count = lo + (this.next() % (hi - lo + 1));
    const txs = Array.from({ length: count }, () => this.nextTransaction());
    if (this.models.length > 0) txs.push(this.nextTransaction('inference'));
    return txs;
  }

  nextTransaction(kind: LoadKind = this.pickKind()): GeneratedTransaction {
    const who = this.next() % this.keys.length;
    const from = this.senders[who]!;
    const nonce = this.nonces[who]!;
    this.nonces[who] = nonce + 1n;
    const r = BigInt(this.next());
    let to: Address | null;
    let data: Uint8Array = new Uint8Array(0);
    let value = 0n;
    let gasLimit = 100_000n;
    switch (kind) {
      case 'transfer':
        to = this.senders[(who + 1) % this.senders.length]!;
        value = 1_000_000_000n + r;
        gasLimit = 30_000n; // room for an access list
        break;
      case 'create':
        to = null;
        data = WORKLOAD_INITCODE;
        gasLimit = 200_000n;
        this.contracts.push(createAddress(from, nonce));
        break;
      case 'storage':
        to = this.contracts[Number(r % BigInt(this.contracts.length))]!;
        data = workloadCalldata(0, inRange(this.storageSlots, r), r << 32n);
        gasLimit = 1_000_000n;
        break;
      case 'hash':
        to = this.contracts[Number(r % BigInt(this.contracts.length))]!;
        data = workloadCalldata(1, inRange(this.hashRounds, r), r);
        gasLimit = 500_000n;
        break;
      case 'inference': {
        if (this.caller === null) {
          to = null;
          data = INFERENCE_CALLER_INITCODE;
          this.caller = createAddress(from, nonce);
          break;
        }
        const model = this.models[Number(r % BigInt(this.models.length))]!;
        to = this.caller;
        data = concatBytes(modelId(model), Uint8Array.from({ length: size(model.inputShape) }, () => this.next() & 0xff));
        // The precompile's gas, charged up front, with room for the call's 1/64 and the calldata.
        gasLimit = (inferenceGas(model) * 65n) / 64n + 200_000n;
        break;
      }
      case 'message':
        to = toAddress(MESSAGE_PASSER);
        data = Uint8Array.from({ length: 4 + (this.next() % 60) }, () => this.next() & 0xff);
        value = r % 3n === 0n ? 0n : r;
        gasLimit = 150_000n;
        break;
    }
    const tx = this.envelope(nonce, to, value, data, gasLimit);
    return { kind, raw: encodeTransaction(signTransaction(tx, this.keys[who]!)), from };
  }

  private pickKind(): LoadKind {
    if (this.contracts.length === 0) return 'create';
    const kinds: LoadKind[] = ['transfer', 'create', 'storage', 'storage', 'hash', 'message', 'message'];
    return kinds[this.next() % kinds.length]!;
  }

  private envelope(nonce: bigint, to: Address | null, value: bigint, data: Uint8Array, gasLimit: bigint): Transaction {
    const base = { nonce, to, value, data, gasLimit };
    switch (this.next() % 3) {
      case 0:
        return { ...base, type: 0, chainId: this.chainId, gasPrice: this.maxFee };
      case 1:
        return { ...base, type: 1, chainId: this.chainId, gasPrice: this.maxFee, accessList: to === null ? [] : [{ address: to, storageKeys: [0n] }] };
      default:
        return { ...base, type: 2, chainId: this.chainId, maxPriorityFeePerGas: 100_000_000n, maxFeePerGas: this.maxFee, accessList: [] };
    }
  }
}
