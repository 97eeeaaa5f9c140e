import { describe, expect, it } from 'vitest';
import type { AbiItem } from 'viem';
import { compiledContracts, contractArtifact, readContractSources } from '../contracts/artifacts.js';
import { STEP_VERIFIER_ERRORS_ABI } from '../prover/l1/game-contract.js';

describe('contracts/artifacts', () => {
  it('compiles every source under contracts/src once, within the EIP-170 code size limit', () => {
    const sources = readContractSources();
    expect(Object.keys(sources)).toEqual(
      expect.arrayContaining(['IStepVerifier.sol', 'AlphabetVerifier.sol', 'DisputeGameFactory.sol', 'BisectionGame.sol']),
    );
    const out = compiledContracts();
    // Memoised: the same object on the second call.
    expect(compiledContracts()).toBe(out);
    // Every deployable contract (contracts/artifacts.ts ContractName), the step verifier's parts included.
    const deployable = [
      'BisectionGame', 'DisputeGameFactory', 'AlphabetVerifier', 'MetisStepVerifier', 'MetisCallStep', 'MetisCreateStep', 'MetisTxStep', 'MetisTxBeginStep',
      'MetisBlockStep', 'MetisTxDecoder', 'MetisPrecompiles', 'MetisPieceStep', 'BlockInputsInbox', 'InferenceChunkVerifier', 'InferenceGame',
    ] as const;
    for (const name of deployable) {
      const c = contractArtifact(name);
      const size = (c.deployedBytecode.length - 2) / 2;
      console.log(`${name}: ${size} bytes of runtime code`);
      expect(size).toBeGreaterThan(100);
      expect(size).toBeLessThanOrEqual(24_576);
      expect(Object.keys(c.linkReferences)).toHaveLength(0);
    }
    for (const w of out.warnings) console.log(w.message);
  });

  it('the step verifier errors the game binding decodes are exactly those of the compiled verifier and its parts', () => {
    const signature = (e: AbiItem): string => (e.type === 'error' ? `${e.name}(${e.inputs.map((i) => i.type).join(',')})` : '');
    const compiled = new Set<string>();
    for (const name of ['MetisStepVerifier', 'MetisCallStep', 'MetisCreateStep', 'MetisTxStep', 'MetisTxBeginStep', 'MetisBlockStep', 'MetisTxDecoder', 'MetisPrecompiles', 'MetisPieceStep'] as const) {
      for (const item of contractArtifact(name).abi as readonly AbiItem[]) if (item.type === 'error') compiled.add(signature(item));
    }
    expect(new Set(STEP_VERIFIER_ERRORS_ABI.map(signature))).toEqual(compiled);
  });
});
