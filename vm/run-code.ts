// Run bytecode in a fresh state, like geth's `evm run`: no transaction, no
// intrinsic gas, one message call into the code. For `vm run`, benchmarks and
// differential tests.
import { toAddress, type Address } from './util/address.js';
import { forkRules, type Fork } from './chain/forks.js';
import { ethereumRules } from './chain/chain.js';
import type { BlockEnv } from './env.js';
import { MemoryState } from './state/memory.js';
import { WorldState } from './state/world.js';
import { Machine, type StepHook } from './interpreter/machine.js';
import { activePrecompiles } from './precompiles/index.js';
import { word32 } from './interpreter/instructions/words.js';

export const RUN_CODE_ADDRESS: Address = toAddress('0x00000000000000000000000000000000000c0de0');
export const RUN_CODE_CALLER: Address = toAddress('0x00000000000000000000000000000000000ca11e');

export interface RunCodeOptions {
  readonly code: Uint8Array;
  readonly input?: Uint8Array;
  /** Gas for the call; default 10,000,000. */
  readonly gas?: bigint;
  readonly value?: bigint;
  /** Default 'osaka'. */
  readonly fork?: Fork;
  /** Called before every instruction (for --trace). */
  readonly onStep?: StepHook;
}

export interface RunCodeLog {
  readonly address: Address;
  readonly topics: Uint8Array[];
  readonly data: Uint8Array;
}

export interface RunCodeResult {
  /** Execution gas used (no intrinsic gas); all of it on an exceptional halt. */
  readonly gasUsed: bigint;
  readonly output: Uint8Array;
  /** Null on success; 'revert' or the exceptional halt's reason. */
  readonly error: string | null;
  readonly logs: RunCodeLog[];
  /** The executing account's storage after the run (zero slots absent). */
  readonly storage: ReadonlyMap<bigint, bigint>;
}

export const MAX_RUN_GAS = 1n << 52n;

export function runCode(options: RunCodeOptions): RunCodeResult {
  const fork = options.fork ?? 'osaka';
  const gas = options.gas ?? 10_000_000n;
  if (gas < 0n || gas > MAX_RUN_GAS) throw new RangeError(`gas must be between 0 and 2^52, got ${gas}`);
  const value = options.value ?? 0n;
  const rules = forkRules(fork);
  const state = new MemoryState();
  state.put(RUN_CODE_ADDRESS, { code: options.code });
  state.put(RUN_CODE_CALLER, { balance: value + 10n ** 24n, nonce: 1n });
  const world = new WorldState(state);
  world.beginTransaction();
  world.warmAddress(RUN_CODE_CALLER);
  world.warmAddress(RUN_CODE_ADDRESS);
  for (const p of activePrecompiles(rules)) world.warmAddress(p);
  const block: BlockEnv = {
    chain: ethereumRules(fork),
    rules,
    number: 1n,
    timestamp: 1n,
    coinbase: toAddress('0x0000000000000000000000000000000000000000'),
    gasLimit: 30_000_000n,
    baseFee: 0n,
    prevRandao: 0n,
    excessBlobGas: 0n,
    blockHash: () => null,
  };
  const machine = new Machine(world, block, { origin: RUN_CODE_CALLER, gasPrice: 0n, blobHashes: [] }, options.onStep ?? null);
  machine.begin({
    kind: 'call',
    caller: RUN_CODE_CALLER,
    address: RUN_CODE_ADDRESS,
    codeAddress: RUN_CODE_ADDRESS,
    value,
    transfersValue: true,
    input: options.input ?? new Uint8Array(0),
    code: options.code,
    gas: Number(gas),
    isStatic: false,
    depth: 0,
    disablePrecompiles: false,
  });
  const r = machine.run();
  const storage = new Map<bigint, bigint>();
  const change = world.changes().get(RUN_CODE_ADDRESS);
  if (change) for (const [k, v] of change.storage) if (v !== 0n) storage.set(k, v);
  return {
    gasUsed: gas - BigInt(r.gasLeft),
    output: r.output,
    error: r.error,
    logs: r.logs.map((l) => ({ address: l.address, topics: l.topics.map((t) => word32(t)), data: l.data })),
    storage,
  };
}
