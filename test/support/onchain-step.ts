// The on-chain MetisVM step verifier on a real anvil, for differential tests against the
// TypeScript reference (vm/step/execute.ts): deploy it with its parts, run `verify` on a
// witness, and read the post commitment or the custom error it reverts with.
import { BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import { startAnvil, type AnvilNode } from '../../cli/anvil.js';
import { contractArtifact } from '../../contracts/artifacts.js';
import { deployMetisStepVerifier, l1Clients, METIS_STEP_PARTS, type L1Clients, type MetisStepParts, type StepVerifierOptions } from '../../contracts/deploy.js';
import { bytesToHex } from '../../vm/util/bytes.js';

export type StepOutcome = { ok: true; post: Hex } | { ok: false; error: string };

export interface OnChainStepVerifier {
  readonly anvil: AnvilNode;
  readonly clients: L1Clients;
  readonly address: Hex;
  /** `verify(state, preimages)`: the post commitment, or the name of the custom error it reverts with. */
  verify(state: Uint8Array, preimages: readonly Uint8Array[]): Promise<StepOutcome>;
  /** Gas of that call (eth_estimateGas, calldata included). */
  estimateGas(state: Uint8Array, preimages: readonly Uint8Array[]): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts anvil (prague) and deploys MetisStepVerifier over `parts` (default: every part built);
 * `setup` runs first on the same node and may name contracts the verifier reads (the inference game).
 */
export async function startStepVerifier(
  parts: MetisStepParts = METIS_STEP_PARTS,
  setup?: (clients: L1Clients, anvil: AnvilNode) => Promise<StepVerifierOptions>,
): Promise<OnChainStepVerifier> {
  const anvil = await startAnvil({ hardfork: 'prague' });
  const clients = l1Clients(anvil.rpcUrl, anvil.privateKeys[0]!, { pollingIntervalMs: 50 });
  const address = await deployMetisStepVerifier(clients, parts, setup === undefined ? {} : await setup(clients, anvil));
  // The parts' errors too: a revert inside a part reaches the caller as it is.
  const partErrors = (['MetisCallStep', 'MetisCreateStep', 'MetisPrecompiles', 'InferenceGame'] as const).flatMap((n) =>
    contractArtifact(n).abi.filter((e) => e.type === 'error'),
  );
  const abi = [...contractArtifact('MetisStepVerifier').abi, ...partErrors];
  const args = (state: Uint8Array, preimages: readonly Uint8Array[]): [Hex, Hex[]] => [bytesToHex(state), preimages.map(bytesToHex)];
  return {
    anvil,
    clients,
    address,
    async verify(state, preimages) {
      try {
        const post = (await clients.public.readContract({ address, abi, functionName: 'verify', args: args(state, preimages) })) as Hex;
        return { ok: true, post };
      } catch (e) {
        const revert = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
        if (revert instanceof ContractFunctionRevertedError) return { ok: false, error: revert.data?.errorName ?? revert.shortMessage };
        throw e;
      }
    },
    async estimateGas(state, preimages) {
      return Number(await clients.public.estimateContractGas({ address, abi, functionName: 'verify', args: args(state, preimages), account: clients.wallet.account }));
    },
    stop: () => anvil.stop(),
  };
}
