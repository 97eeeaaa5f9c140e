// InferenceGame on L1 over viem: typed reads of models, claims and disputes, and every call the
// game takes (simulated first, so a revert throws an InferenceGameRevert named by the contract's
// custom error and costs nothing; then sent and awaited). Receipts are returned so callers can
// record gas.
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem';
import type { L1GameClients } from '../l1/game-contract.js';
import type { SolidityWitness } from '../../ai/dispute.js';
import { INFERENCE_GAME_ABI, PHASES, type Phase, type Side } from './abi.js';

/** Sent gas limit = estimate × (1 + 1/GAS_HEADROOM_DIVISOR). */
export const GAS_HEADROOM_DIVISOR = 4n;

/** A revert of the game (or of the verifier inside `check`): `errorName` is the custom error. */
export class InferenceGameRevert extends Error {
  override readonly name = 'InferenceGameRevert';
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    message: string,
  ) {
    super(message);
  }
}

/** Misuse of the binding (no wallet, a receipt that reverted, an unknown phase). */
export class InferenceGameError extends Error {
  override readonly name = 'InferenceGameError';
}

/**
 * Sends one simulated game call and returns its mined receipt, instead of the wallet: the
 * watcher routes its calls through its transaction manager (one nonce owner, a journal).
 */
export type InferenceTransact = (tx: { readonly call: GameCall; readonly to: Address; readonly data: Hex; readonly value: bigint; readonly gas: bigint }) => Promise<TransactionReceipt>;

export interface InferenceGameClients extends L1GameClients {
  readonly transact?: InferenceTransact;
}

export interface ModelRecord {
  readonly commitment: Hex;
  readonly inputShapeHash: Hex;
  readonly nodeCount: number;
  /** Input elements (bytes). */
  readonly inputSize: number;
  /** Gas of one inference (ai/gas.ts inferenceGas). */
  readonly gas: bigint;
}

/** IInferenceResults.inferenceOf: what a step verifier charges and checks for a precompile call. */
export interface InferenceInfo {
  readonly registered: boolean;
  readonly gas: bigint;
  readonly inputSize: bigint;
}

export interface ClaimRecord {
  readonly claimant: Address;
  readonly postedAt: bigint;
  readonly openDisputes: number;
  readonly refuted: boolean;
  readonly bondReleased: boolean;
  readonly modelId: Hex;
  readonly inputHash: Hex;
  readonly outputHash: Hex;
  readonly traceRoot: Hex;
  readonly bond: bigint;
}

/** The contract's Dispute with its phase by name (field meanings in InferenceGame.sol). */
export interface DisputeRecord {
  readonly claimId: bigint;
  readonly challenger: Address;
  readonly phase: Phase;
  readonly turn: Side;
  readonly lastMove: bigint;
  readonly usedA: bigint;
  readonly usedB: bigint;
  readonly levels: number;
  readonly leaf: number;
  readonly chunks: number;
  readonly kbs: number;
  readonly lo: number;
  readonly hi: number;
  readonly op: number;
  readonly index: bigint;
  readonly rootB: Hex;
  readonly hashA: Hex;
  readonly hashB: Hex;
  readonly pendingLeft: Hex;
  readonly pendingRight: Hex;
  readonly headerA: Hex;
  readonly headerB: Hex;
  readonly agreedAcc: Hex;
  readonly bond: bigint;
}

export interface GameConfig {
  readonly verifier: Address;
  readonly registrar: Address;
  readonly claimBond: bigint;
  readonly challengeBond: bigint;
  readonly challengeWindow: bigint;
  readonly maxClock: bigint;
  readonly maxWholeBlocks: number;
}

export interface OutputLeafArg {
  readonly op: number;
  readonly attrsHash: Hex;
  readonly shape: readonly number[];
  readonly proof: readonly Hex[];
}

/** A call of the game by name, with its arguments and value. */
export type GameCall =
  | { readonly fn: 'registerModel'; readonly args: readonly [Hex, number, Hex, readonly number[], bigint] }
  | { readonly fn: 'post'; readonly args: readonly [Hex, Hex, Hex, Hex, OutputLeafArg]; readonly value: bigint }
  | { readonly fn: 'challenge'; readonly args: readonly [bigint, Hex]; readonly value: bigint }
  | { readonly fn: 'bisect'; readonly args: readonly [bigint, Hex, Hex] }
  | { readonly fn: 'openLeaf'; readonly args: readonly [bigint, number, Hex, readonly number[], Hex, Hex] }
  | { readonly fn: 'postAccumulator'; readonly args: readonly [bigint, Hex] }
  | { readonly fn: 'check'; readonly args: readonly [bigint, SolidityWitness] }
  | { readonly fn: 'checkInput'; readonly args: readonly [bigint, Hex, readonly number[]] }
  | { readonly fn: 'timeout'; readonly args: readonly [bigint] }
  | { readonly fn: 'releaseBond'; readonly args: readonly [bigint] }
  | { readonly fn: 'withdraw'; readonly args: readonly [] };

export type CallKind = GameCall['fn'];

const fmt = (a: unknown): string => (typeof a === 'bigint' ? a.toString() : typeof a === 'string' ? a : JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

/** A viem error carrying a decoded revert -> InferenceGameRevert; anything else unchanged. */
export function decodeGameRevert(e: unknown): unknown {
  if (!(e instanceof BaseError)) return e;
  const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
  if (!(r instanceof ContractFunctionRevertedError)) return e;
  const errorName = r.data?.errorName ?? (r.reason !== undefined ? 'Error' : 'UnknownRevert');
  const args = r.data?.args ?? [];
  const detail = args.length > 0 ? `(${args.map(fmt).join(', ')})` : '';
  return new InferenceGameRevert(errorName, args, `reverted with ${errorName}${detail}${r.reason !== undefined && r.data === undefined ? `: ${r.reason}` : ''}`);
}

/** Revert data of a mined call → InferenceGameRevert (the game's custom errors), for a transaction manager. */
export function inferenceRevertFromData(data: Hex): Error {
  try {
    const d = decodeErrorResult({ abi: INFERENCE_GAME_ABI, data });
    const args = (d.args ?? []) as readonly unknown[];
    return new InferenceGameRevert(d.errorName, args, `reverted with ${d.errorName}${args.length > 0 ? `(${args.map(fmt).join(', ')})` : ''}`);
  } catch {
    return new InferenceGameRevert('UnknownRevert', [data], `reverted with unknown data ${data}`);
  }
}

/** A read or simulation whose revert becomes an InferenceGameRevert. */
async function decoding<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw decodeGameRevert(e);
  }
}

function phaseOf(n: number): Phase {
  const p = PHASES[n];
  if (p === undefined) throw new InferenceGameError(`unknown phase ${n}`);
  return p;
}

/** The InferenceGame at `address`. */
export class InferenceGameContract {
  private configCache: Promise<GameConfig> | undefined;

  constructor(
    private readonly clients: InferenceGameClients,
    readonly address: Address,
  ) {}

  /** The sending account (the wallet's). */
  get account(): Address {
    const a = this.clients.wallet?.account.address;
    if (a === undefined) throw new InferenceGameError('no wallet');
    return a;
  }

  /** Another signer on the same game. */
  withWallet(wallet: WalletClient<Transport, Chain, Account>): InferenceGameContract {
    return new InferenceGameContract({ public: this.clients.public, wallet }, this.address);
  }

  config(): Promise<GameConfig> {
    this.configCache ??= this.readConfig();
    return this.configCache;
  }

  private async readConfig(): Promise<GameConfig> {
    const r = <F extends 'VERIFIER' | 'REGISTRAR' | 'CLAIM_BOND' | 'CHALLENGE_BOND' | 'CHALLENGE_WINDOW' | 'MAX_CLOCK' | 'MAX_WHOLE_BLOCKS'>(functionName: F) =>
      this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName });
    const [verifier, registrar, claimBond, challengeBond, challengeWindow, maxClock, maxWholeBlocks] = await Promise.all([
      r('VERIFIER'), r('REGISTRAR'), r('CLAIM_BOND'), r('CHALLENGE_BOND'), r('CHALLENGE_WINDOW'), r('MAX_CLOCK'), r('MAX_WHOLE_BLOCKS'),
    ]);
    return { verifier, registrar, claimBond, challengeBond, challengeWindow, maxClock, maxWholeBlocks };
  }

  async model(modelId: Hex): Promise<ModelRecord> {
    return this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'model', args: [modelId] });
  }

  async claim(claimId: bigint): Promise<ClaimRecord> {
    return decoding(() => this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'claim', args: [claimId] }));
  }

  async dispute(disputeId: bigint): Promise<DisputeRecord> {
    const d = await decoding(() => this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'dispute', args: [disputeId] }));
    if (d.turn !== 0 && d.turn !== 1) throw new InferenceGameError(`bad turn ${d.turn}`);
    return { ...d, phase: phaseOf(d.phase), turn: d.turn };
  }

  /** Seconds `side` has used in the dispute, the running turn included. */
  async used(disputeId: bigint, side: Side): Promise<bigint> {
    return this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'used', args: [disputeId, side] });
  }

  async inferenceOf(modelId: Hex): Promise<InferenceInfo> {
    const [registered, gas, inputSize] = await this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'inferenceOf', args: [modelId] });
    return { registered, gas, inputSize };
  }

  async finalOutput(modelId: Hex, inputHash: Hex): Promise<{ final: boolean; outputHash: Hex }> {
    const [final, outputHash] = await this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'finalOutput', args: [modelId, inputHash] });
    return { final, outputHash };
  }

  async isFinal(claimId: bigint): Promise<boolean> {
    return decoding(() => this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'isFinal', args: [claimId] }));
  }

  async credit(who: Address): Promise<bigint> {
    return this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'credit', args: [who] });
  }

  async claimCount(): Promise<bigint> {
    return this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'claimCount' });
  }

  async disputeCount(): Promise<bigint> {
    return this.clients.public.readContract({ address: this.address, abi: INFERENCE_GAME_ABI, functionName: 'disputeCount' });
  }

  /** eth_estimateGas of `call` from the wallet (intrinsic 21 000 and calldata included); a revert throws InferenceGameRevert. */
  async estimateGas(call: GameCall): Promise<bigint> {
    const wallet = this.clients.wallet;
    if (wallet === undefined) throw new InferenceGameError(`${call.fn}: no account to estimate from`);
    const value = 'value' in call ? call.value : undefined;
    return decoding(() =>
      this.clients.public.estimateContractGas({
        address: this.address,
        abi: INFERENCE_GAME_ABI,
        functionName: call.fn,
        args: call.args as never,
        account: wallet.account,
        ...(value !== undefined ? { value } : {}),
      } as never),
    );
  }

  /**
   * Simulate `call` from the wallet (a revert throws InferenceGameRevert), send it (through
   * `transact` when the clients have one), await the receipt. Returns the receipt and, for
   * post/challenge, the id the call returned.
   */
  async send(call: GameCall): Promise<{ receipt: TransactionReceipt; result: bigint | undefined }> {
    const wallet = this.clients.wallet;
    if (wallet === undefined) throw new InferenceGameError(`${call.fn}: no account to send from`);
    const value = 'value' in call ? call.value : undefined;
    // One generic path: the call union is checked at its construction, the ABI by the test.
    const sim = await decoding(() =>
      this.clients.public.simulateContract({
        address: this.address,
        abi: INFERENCE_GAME_ABI,
        functionName: call.fn,
        args: call.args as never,
        account: wallet.account,
        ...(value !== undefined ? { value } : {}),
      } as never),
    );
    const { request, result } = sim as { request: unknown; result: unknown };
    // Headroom over the estimate: the clock fields a move writes depend on the including block's
    // timestamp; estimated in the same second as the last move they do not change, and the
    // estimate comes out ~2k short of the move landing a second later (an out-of-gas on anvil).
    const estimate = await this.estimateGas(call);
    const gas = estimate + estimate / GAS_HEADROOM_DIVISOR;
    const transact = this.clients.transact;
    const receipt = await decoding(async () => {
      if (transact !== undefined) {
        const data = encodeFunctionData({ abi: INFERENCE_GAME_ABI, functionName: call.fn, args: call.args } as never);
        return transact({ call, to: this.address, data, value: value ?? 0n, gas });
      }
      const hash = await wallet.writeContract({ ...(request as object), gas } as never);
      return this.clients.public.waitForTransactionReceipt({ hash });
    });
    if (receipt.status !== 'success') throw new InferenceGameError(`${call.fn} reverted on chain in ${receipt.transactionHash}`);
    return { receipt, result: typeof result === 'bigint' ? result : undefined };
  }
}
