// Transaction execution (execution-specs' check_transaction, validate_transaction
// and process_transaction): validity against the block, gas purchase, the
// message call, refunds, the EIP-7623 floor and fee payment.
import type { Address } from '../util/address.js';
import type { BlockEnv, TxEnv } from '../env.js';
import type { WorldState } from '../state/world.js';
import { Machine, type Log, type MessageResult, type StepHook } from '../interpreter/machine.js';
import type { Message } from '../interpreter/frame.js';
import { EMPTY } from '../interpreter/frame.js';
import { MAX_INIT_CODE_SIZE } from '../interpreter/gas.js';
import { createAddress, delegationTarget } from '../interpreter/instructions/system.js';
import { activePrecompiles } from '../precompiles/index.js';
import type { InferenceCall } from '../precompiles/inference.js';
import { blobBaseFee, GAS_PER_BLOB } from '../fees.js';
import { bytesToWord } from '../interpreter/instructions/words.js';
import type { HaltReason } from '../interpreter/errors.js';
import type { TxRequest } from './request.js';
import { intrinsicGas } from '../tx/gas.js';

export const NONCE_LIMIT = (1n << 64n) - 1n;
const MAX_FRAME_GAS = 1n << 52n;
const PER_EMPTY_ACCOUNT_COST = 25000;
const PER_AUTH_BASE_COST = 12500;
/** EIP-7594: blobs per transaction from Osaka. */
const BLOB_COUNT_LIMIT_OSAKA = 6;

/** Why a transaction cannot be included (the block is invalid if it is). */
export type InvalidTxReason =
  | 'intrinsic gas too low'
  | 'nonce overflow'
  | 'init code too large'
  | 'gas limit above cap'
  | 'block gas limit exceeded'
  | 'blob gas limit exceeded'
  | 'priority fee above max fee'
  | 'max fee below base fee'
  | 'gas price below base fee'
  | 'no blobs'
  | 'too many blobs'
  | 'invalid blob versioned hash'
  | 'max blob fee below blob base fee'
  | 'creation not allowed for this type'
  | 'empty authorization list'
  | 'nonce too low'
  | 'nonce too high'
  | 'insufficient balance'
  | 'sender not an EOA'
  | 'type not active';

export class InvalidTransactionError extends Error {
  override readonly name = 'InvalidTransactionError';
  constructor(readonly reason: InvalidTxReason) {
    super(reason);
  }
}

export interface TxOutcome {
  readonly success: boolean;
  readonly error: HaltReason | 'revert' | null;
  readonly output: Uint8Array;
  /** Gas the transaction is charged (after refund and floor): the receipt's gas delta. */
  readonly gasUsed: bigint;
  readonly blobGasUsed: bigint;
  readonly logs: readonly Log[];
  readonly createdAddress: Address | null;
  /** What the coinbase was paid. */
  readonly fee: bigint;
  /** Calls to precompiles the chain marks unreproducible (their output cannot be checked). */
  readonly unreproducibleCalls: readonly Address[];
  /** Runs of the chain's inference precompile (ChainRules.inference), in call order. */
  readonly inferenceCalls: readonly InferenceCall[];
}

export interface BlockGasUsage {
  readonly gasUsed: bigint;
  readonly blobGasUsed: bigint;
}

/** Validates and executes one transaction against the world state. Throws InvalidTransactionError. */
export function applyTransaction(
  world: WorldState,
  block: BlockEnv,
  tx: TxRequest,
  used: BlockGasUsage = { gasUsed: 0n, blobGasUsed: 0n },
  hook: StepHook | null = null,
  /** Called as each message is entered, the top-level one included (step tracing). */
  onEnter: ((m: Machine) => void) | null = null,
): TxOutcome {
  return runPreparedTransaction(world, block, beginTransaction(world, block, tx, used), hook, onEnter);
}

/**
 * What a transaction left to do once its gas is bought: the top-level message (null on an
 * address collision) and what settlement needs. The step machine commits these fields between its
 * transaction-begin and transaction-end steps.
 */
export interface PreparedTransaction {
  readonly type: number;
  readonly sender: Address;
  readonly gasLimit: bigint;
  readonly intrinsic: bigint;
  /** EIP-7623 floor (0 before Prague). */
  readonly floor: bigint;
  readonly effectiveGasPrice: bigint;
  readonly blobGas: bigint;
  /** EIP-7702 refunds for authorities that already existed. */
  readonly authRefund: number;
  readonly txEnv: TxEnv;
  readonly message: Message | null;
}

/** validate_transaction, check_transaction and the pre-message part of process_transaction. */
export function beginTransaction(world: WorldState, block: BlockEnv, tx: TxRequest, used: BlockGasUsage = { gasUsed: 0n, blobGasUsed: 0n }): PreparedTransaction {
  const rules = block.rules;
  if (tx.type === 4 && !rules.isEip7702) throw new InvalidTransactionError('type not active');

  // validate_transaction
  const { intrinsic, floor } = intrinsicGas(tx, rules);
  if ((intrinsic > floor ? intrinsic : floor) > tx.gasLimit) throw new InvalidTransactionError('intrinsic gas too low');
  if (tx.nonce >= NONCE_LIMIT) throw new InvalidTransactionError('nonce overflow');
  if (tx.to === null && tx.data.length > MAX_INIT_CODE_SIZE) throw new InvalidTransactionError('init code too large');
  if (rules.txGasLimitCap !== null && tx.gasLimit > BigInt(rules.txGasLimitCap)) {
    throw new InvalidTransactionError('gas limit above cap');
  }

  // check_transaction
  if (tx.gasLimit > block.gasLimit - used.gasUsed) throw new InvalidTransactionError('block gas limit exceeded');
  const blobGas = GAS_PER_BLOB * BigInt(tx.blobVersionedHashes.length);
  if (blobGas > BigInt(rules.blobs.max) * GAS_PER_BLOB - used.blobGasUsed) {
    throw new InvalidTransactionError('blob gas limit exceeded');
  }
  let effectiveGasPrice: bigint;
  let maxGasFee: bigint;
  if (tx.type >= 2) {
    if (tx.maxFeePerGas < tx.maxPriorityFeePerGas) throw new InvalidTransactionError('priority fee above max fee');
    if (tx.maxFeePerGas < block.baseFee) throw new InvalidTransactionError('max fee below base fee');
    const priority = tx.maxPriorityFeePerGas < tx.maxFeePerGas - block.baseFee ? tx.maxPriorityFeePerGas : tx.maxFeePerGas - block.baseFee;
    effectiveGasPrice = priority + block.baseFee;
    maxGasFee = tx.gasLimit * tx.maxFeePerGas;
  } else {
    if (tx.gasPrice < block.baseFee) throw new InvalidTransactionError('gas price below base fee');
    effectiveGasPrice = tx.gasPrice;
    maxGasFee = tx.gasLimit * tx.gasPrice;
  }
  let blobFee = 0n;
  if (tx.type === 3) {
    const count = tx.blobVersionedHashes.length;
    if (count === 0) throw new InvalidTransactionError('no blobs');
    if (rules.isEip7918 && count > BLOB_COUNT_LIMIT_OSAKA) throw new InvalidTransactionError('too many blobs');
    for (const h of tx.blobVersionedHashes) if (h[0] !== 0x01) throw new InvalidTransactionError('invalid blob versioned hash');
    const blobPrice = blobBaseFee(block.excessBlobGas, rules);
    if (tx.maxFeePerBlobGas < blobPrice) throw new InvalidTransactionError('max blob fee below blob base fee');
    maxGasFee += blobGas * tx.maxFeePerBlobGas;
    blobFee = blobGas * blobPrice;
  }
  if ((tx.type === 3 || tx.type === 4) && tx.to === null) throw new InvalidTransactionError('creation not allowed for this type');
  if (tx.type === 4 && tx.authorizationList.length === 0) throw new InvalidTransactionError('empty authorization list');
  const senderNonce = world.getNonce(tx.sender);
  if (senderNonce > tx.nonce) throw new InvalidTransactionError('nonce too low');
  if (senderNonce < tx.nonce) throw new InvalidTransactionError('nonce too high');
  if (world.getBalance(tx.sender) < maxGasFee + tx.value) throw new InvalidTransactionError('insufficient balance');
  const senderCode = world.getCode(tx.sender);
  if (senderCode.length > 0 && !(rules.isEip7702 && delegationTarget(senderCode) !== null)) {
    throw new InvalidTransactionError('sender not an EOA');
  }

  // process_transaction: buy gas.
  world.beginTransaction();
  world.incrementNonce(tx.sender);
  world.subBalance(tx.sender, tx.gasLimit * effectiveGasPrice + blobFee);
  world.warmAddress(block.coinbase);
  for (const entry of tx.accessList) {
    world.warmAddress(entry.address);
    for (const key of entry.storageKeys) world.warmSlot(entry.address, key);
  }
  // prepare_message
  world.warmAddress(tx.sender);
  for (const p of activePrecompiles(rules)) world.warmAddress(p);
  if (block.chain.inference !== undefined) world.warmAddress(block.chain.inference.address);
  const target = tx.to ?? createAddress(tx.sender, tx.nonce);
  world.warmAddress(target);

  // Frames count gas in doubles. A transaction may carry more than 2^52 gas only
  // where no cap applies (pre-Osaka state tests); it runs with 2^52 and the
  // difference is added back, exact unless code observes that much gas with GAS.
  const gas = frameGas(tx.gasLimit - intrinsic);
  let authRefund = 0;
  let msg: Message | null;
  if (tx.to === null) {
    const collision = world.hasCodeOrNonce(target) || world.hasStorage(target);
    msg = collision ? null : message('create', tx, target, target, tx.data, EMPTY, gas, false);
  } else {
    if (tx.type === 4) authRefund = setDelegations(world, block, tx);
    let code = world.getCode(tx.to);
    let codeAddress: Address = tx.to;
    let disablePrecompiles = false;
    const delegated = rules.isEip7702 ? delegationTarget(code) : null;
    if (delegated !== null) {
      disablePrecompiles = true;
      world.warmAddress(delegated);
      code = world.getCode(delegated);
      codeAddress = delegated;
    }
    msg = message('call', tx, tx.to, codeAddress, code, tx.data, gas, disablePrecompiles);
  }
  return {
    type: tx.type,
    sender: tx.sender,
    gasLimit: tx.gasLimit,
    intrinsic,
    floor,
    effectiveGasPrice,
    blobGas,
    authRefund,
    txEnv: { origin: tx.sender, gasPrice: effectiveGasPrice, blobHashes: tx.blobVersionedHashes.map((h) => bytesToWord(h, 0)) },
    message: msg,
  };
}

function frameGas(execGas: bigint): number {
  return execGas > MAX_FRAME_GAS ? Number(MAX_FRAME_GAS) : Number(execGas);
}

/** The top-level message's end as settlement sees it. */
export interface MessageEnd {
  readonly success: boolean;
  readonly error: HaltReason | 'revert' | null;
  readonly gasLeft: number;
  readonly refund: number;
  readonly selfdestructs: Iterable<Address>;
}

/** An address collision: the creation fails and consumes all its gas. */
export const COLLISION_END: MessageEnd = { success: false, error: 'address collision', gasLeft: 0, refund: 0, selfdestructs: [] };

/** Runs a prepared transaction's message and settles it. */
export function runPreparedTransaction(
  world: WorldState,
  block: BlockEnv,
  p: PreparedTransaction,
  hook: StepHook | null = null,
  onEnter: ((m: Machine) => void) | null = null,
): TxOutcome {
  const machine = new Machine(world, block, p.txEnv, hook);
  machine.enterHook = onEnter;
  let result: MessageResult | null = null;
  if (p.message !== null) {
    machine.begin(p.message);
    result = machine.run();
  }
  const end: MessageEnd = result ?? COLLISION_END;
  const { gasUsed, fee } = finishTransaction(world, block, p, end);
  return {
    success: end.success,
    error: end.error,
    output: result?.output ?? EMPTY,
    gasUsed,
    blobGasUsed: p.blobGas,
    logs: result?.logs ?? [],
    createdAddress: result?.createdAddress ?? null,
    fee,
    unreproducibleCalls: machine.unreproducibleCalls,
    inferenceCalls: machine.inferenceCalls,
  };
}

/** Refund (EIP-3529 cap of a fifth), the EIP-7623 floor, fee payment and EIP-6780 deletions. */
export function finishTransaction(world: WorldState, block: BlockEnv, p: PreparedTransaction, end: MessageEnd): { gasUsed: bigint; fee: bigint } {
  const execGas = p.gasLimit - p.intrinsic;
  const uncounted = execGas - BigInt(frameGas(execGas));
  const refundCounter = p.authRefund + (end.success ? end.refund : 0);
  const usedBeforeRefund = p.gasLimit - (BigInt(end.gasLeft) + (end.error === null || end.error === 'revert' ? uncounted : 0n));
  const cap = usedBeforeRefund / 5n;
  const refund = BigInt(refundCounter) < cap ? BigInt(refundCounter) : cap;
  let gasUsed = usedBeforeRefund - refund;
  if (gasUsed < p.floor) gasUsed = p.floor;
  world.addBalance(p.sender, (p.gasLimit - gasUsed) * p.effectiveGasPrice);
  const pricePaidToCoinbase = block.chain.baseFeeRecipient === 'coinbase' ? p.effectiveGasPrice : p.effectiveGasPrice - block.baseFee;
  const fee = gasUsed * pricePaidToCoinbase;
  world.addBalance(block.coinbase, fee);
  for (const a of end.selfdestructs) world.destroyAccount(a);
  return { gasUsed, fee };
}

function message(
  kind: 'call' | 'create',
  tx: TxRequest,
  address: Address,
  codeAddress: Address,
  code: Uint8Array,
  input: Uint8Array,
  gas: number,
  disablePrecompiles: boolean,
): Message {
  return {
    kind,
    caller: tx.sender,
    address,
    codeAddress,
    value: tx.value,
    transfersValue: true,
    input,
    code,
    gas,
    isStatic: false,
    depth: 0,
    disablePrecompiles,
  };
}

/** EIP-7702 set_delegation: applies each valid authorization; returns the refund for existing authorities. */
function setDelegations(world: WorldState, block: BlockEnv, tx: TxRequest): number {
  let refund = 0;
  for (const auth of tx.authorizationList) {
    if (auth.chainId !== 0n && auth.chainId !== block.chain.chainId) continue;
    if (auth.nonce >= NONCE_LIMIT) continue;
    const authority = auth.authority;
    if (authority === null) continue;
    world.warmAddress(authority);
    const code = world.getCode(authority);
    if (code.length > 0 && delegationTarget(code) === null) continue;
    if (world.getNonce(authority) !== auth.nonce) continue;
    if (world.exists(authority)) refund += PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST;
    const designator = auth.address === '0x0000000000000000000000000000000000000000' ? EMPTY : delegationCode(auth.address);
    world.setCode(authority, designator);
    world.incrementNonce(authority);
  }
  return refund;
}

function delegationCode(address: Address): Uint8Array {
  const out = new Uint8Array(23);
  out[0] = 0xef;
  out[1] = 0x01;
  out[2] = 0x00;
  for (let i = 0; i < 20; i++) out[3 + i] = parseInt(address.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

