// Runs parsed GeneralStateTests cases on MetisVM: one transaction on the
// pre-state, then the post-state root and logs hash against the fixture's.
import { keccak256 } from '../util/hash.js';
import { bytesToHex } from '../util/bytes.js';
import { addressToBytes } from '../util/address.js';
import { rlpEncode, type RlpInput } from '../rlp/rlp.js';
import { parseFork, forkRules, type Fork } from '../chain/forks.js';
import { ethereumRules } from '../chain/chain.js';
import { MemoryState } from '../state/memory.js';
import { WorldState } from '../state/world.js';
import { applyChanges, stateRoot } from '../state/root.js';
import { applyTransaction, InvalidTransactionError } from '../execution/transaction.js';
import type { TxRequest, Authorization } from '../execution/request.js';
import type { Log } from '../interpreter/machine.js';
import { word32 } from '../interpreter/instructions/words.js';
import { recoverAuthority } from '../tx/index.js';
import type { BlockEnv } from '../env.js';
import type { StateTestCase } from './fixture.js';

export interface StateTestResult {
  readonly name: string;
  readonly fork: string;
  readonly index: { readonly data: number; readonly gas: number; readonly value: number };
  readonly pass: boolean;
  /** The case is for a fork MetisVM does not implement (pre-Cancun); it was not run. */
  readonly skipped?: boolean;
  readonly expectedRoot: string;
  readonly actualRoot: string | null;
  readonly error: string | null;
}

/** keccak256(rlp(logs)), as state tests' `logs` field. */
export function logsHash(logs: readonly Log[]): string {
  const items: RlpInput[] = logs.map((l) => [addressToBytes(l.address), l.topics.map((t) => word32(t)), l.data]);
  return bytesToHex(keccak256(rlpEncode(items)));
}

/** geth's state-test BLOCKHASH: keccak256 of the decimal block number. */
function stateTestBlockHash(n: bigint): bigint {
  return BigInt(bytesToHex(keccak256(new TextEncoder().encode(n.toString(10)))));
}

/** The block environment of a state test case at `fork`. */
export function stateTestBlockEnv(c: StateTestCase, fork: Fork): BlockEnv {
  return {
    chain: ethereumRules(fork, 1n),
    rules: forkRules(fork),
    number: c.env.number,
    timestamp: c.env.timestamp,
    coinbase: c.env.coinbase,
    gasLimit: c.env.gasLimit,
    baseFee: c.env.baseFee,
    prevRandao: c.env.prevRandao,
    excessBlobGas: c.env.excessBlobGas,
    blockHash: stateTestBlockHash,
  };
}

/** The transaction of a state test case (its data, gas and value variant). */
export function stateTestTransaction(c: StateTestCase): TxRequest {
  const t = c.tx;
  const price = t.gasPrice ?? 0n;
  const authorizationList: Authorization[] = (t.authorizationList ?? []).map((a) => ({
    chainId: a.chainId,
    address: a.address,
    nonce: a.nonce,
    authority: recoverAuthority({ chainId: a.chainId, address: a.address, nonce: a.nonce, yParity: a.v, r: a.r, s: a.s }),
  }));
  return {
    type: t.type,
    sender: t.sender,
    nonce: t.nonce,
    gasLimit: t.gasLimit[c.index.gas]!,
    to: t.to,
    value: t.value[c.index.value]!,
    data: t.data[c.index.data]!,
    gasPrice: price,
    maxFeePerGas: t.maxFeePerGas ?? price,
    maxPriorityFeePerGas: t.maxPriorityFeePerGas ?? price,
    accessList: t.accessLists[c.index.data] ?? [],
    blobVersionedHashes: t.blobVersionedHashes,
    maxFeePerBlobGas: t.maxFeePerBlobGas ?? 0n,
    authorizationList,
  };
}

export function runStateTestCase(c: StateTestCase): StateTestResult {
  const base = { name: c.name, fork: c.fork, index: c.index, expectedRoot: c.expectedRoot };
  let fork;
  try {
    fork = parseFork(c.fork);
  } catch (e) {
    return { ...base, pass: false, skipped: true, actualRoot: null, error: (e as Error).message };
  }
  const state = new MemoryState();
  for (const [address, a] of c.pre) state.put(address, a);
  const block = stateTestBlockEnv(c, fork);
  const tx = stateTestTransaction(c);
  const world = new WorldState(state);
  let logs: readonly Log[] = [];
  let invalid: string | null = null;
  try {
    const outcome = applyTransaction(world, block, tx);
    logs = outcome.logs;
    applyChanges(state, world.changes());
  } catch (e) {
    if (!(e instanceof InvalidTransactionError)) throw e;
    invalid = e.reason;
  }
  const actualRoot = bytesToHex(stateRoot(state));
  if (invalid !== null && c.expectException === null) {
    return { ...base, pass: false, actualRoot, error: `transaction rejected (${invalid}) but the fixture expects it to run` };
  }
  if (invalid === null && c.expectException !== null) {
    return { ...base, pass: false, actualRoot, error: `transaction ran but the fixture expects ${c.expectException}` };
  }
  if (actualRoot !== c.expectedRoot) {
    return { ...base, pass: false, actualRoot, error: 'state root mismatch' };
  }
  const lh = logsHash(logs);
  if (lh !== c.expectedLogsHash) return { ...base, pass: false, actualRoot, error: `logs hash mismatch: ${lh}` };
  return { ...base, pass: true, actualRoot, error: null };
}

