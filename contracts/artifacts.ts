// The project's own Solidity sources (contracts/src/**/*.sol), compiled once per process with
// the pinned solc and kept in memory; typed accessors per contract. Reading the files is the
// only I/O; everything after it is pure.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSolidity, contractNamed, type CompiledContract, type CompileOutput, type SolcOptions } from './solc.js';

/** The contracts deployable from contracts/src. */
export type ContractName =
  | 'BisectionGame'
  | 'DisputeGameFactory'
  // Where the batcher commits each L2 block's inputs hash (the game's local context).
  | 'BlockInputsInbox'
  | 'AlphabetVerifier'
  | 'MetisStepVerifier'
  // The parts MetisStepVerifier routes step classes to (contracts/deploy.ts METIS_STEP_PARTS).
  | 'MetisCallStep'
  | 'MetisCreateStep'
  | 'MetisTxStep'
  // Deployed before MetisTxStep, which it is passed to (the begin of a transaction).
  | 'MetisTxBeginStep'
  // Block start and block end, given the game's local context (IMetisBlockPart).
  | 'MetisBlockStep'
  // Deployed before MetisTxBeginStep, which it is passed to (decoding transactions).
  | 'MetisTxDecoder'
  | 'MetisPrecompiles'
  // The pieces of split instructions: deployed before MetisStepVerifier, which it is passed to.
  | 'MetisPieceStep'
  // The inference dispute (issue 8).
  | 'InferenceChunkVerifier'
  | 'InferenceGame';

/** Settings every artifact is built with: what `deploy.ts` and the tests run on anvil. */
export const CONTRACT_COMPILE_OPTIONS: SolcOptions = { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 } };

export class ContractSourcesError extends Error {
  override readonly name = 'ContractSourcesError';
}

/**
 * contracts/src, whether this module runs from the sources (tsx/vitest) or from dist/contracts
 * (tsc does not copy .sol files).
 */
export function contractSourceDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'src'), join(here, '..', '..', 'contracts', 'src')];
  const found = candidates.find((d) => existsSync(d) && statSync(d).isDirectory());
  if (found === undefined) throw new ContractSourcesError(`contracts/src not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Source unit name (path under contracts/src, '/'-separated, as the imports spell it) -> text. */
export function readContractSources(dir: string = contractSourceDir()): Record<string, string> {
  const sources: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.sol')) sources[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  if (Object.keys(sources).length === 0) throw new ContractSourcesError(`no .sol files under ${dir}`);
  return sources;
}

let compiled: CompileOutput | undefined;

/** All of contracts/src compiled; the first call compiles (a few seconds), later calls reuse it. */
export function compiledContracts(): CompileOutput {
  compiled ??= compileSolidity(readContractSources(), CONTRACT_COMPILE_OPTIONS);
  return compiled;
}

export function contractArtifact(name: ContractName): CompiledContract {
  return contractNamed(compiledContracts(), name);
}

export const bisectionGameArtifact = (): CompiledContract => contractArtifact('BisectionGame');
export const disputeGameFactoryArtifact = (): CompiledContract => contractArtifact('DisputeGameFactory');
export const alphabetVerifierArtifact = (): CompiledContract => contractArtifact('AlphabetVerifier');
