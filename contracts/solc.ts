// A small typed wrapper around solc-js (the npm `solc` package): Solidity
// sources in, abi + creation and runtime bytecode per contract out, through
// the compiler's standard JSON interface. Nothing is cached between calls: the
// caller decides what to keep.
import { createRequire } from 'node:module';
import type { Abi, Hex } from 'viem';

interface SolcModule {
  version(): string;
  compile(input: string): string;
}

// solc-js takes seconds to load: every CLI command would pay for it at start-up, so it is
// loaded on the first compile.
let loaded: SolcModule | null = null;
function solcModule(): SolcModule {
  loaded ??= createRequire(import.meta.url)('solc') as SolcModule;
  return loaded;
}

/** EVM versions solc 0.8.3x accepts for `settings.evmVersion` that MetisVM cares about. */
export type SolcEvmVersion = 'shanghai' | 'cancun' | 'prague' | 'osaka';

export interface SolcOptions {
  /** Default 'cancun'. */
  readonly evmVersion?: SolcEvmVersion;
  /** Optimizer on by default; `runs` default 200. */
  readonly optimizer?: { readonly enabled: boolean; readonly runs?: number };
  /** Compile through the Yul IR pipeline. Default false. */
  readonly viaIR?: boolean;
}

/** One message of the compiler's `errors` array (errors, warnings, infos). */
export interface SolcMessage {
  readonly severity: 'error' | 'warning' | 'info';
  readonly type: string;
  /** The compiler's formatted message with source location, or the bare message. */
  readonly message: string;
}

/** Byte offsets of unresolved library addresses: file -> library -> positions. */
export type LinkReferences = Readonly<Record<string, Readonly<Record<string, readonly { start: number; length: number }[]>>>>;

export interface CompiledContract {
  /** Source unit name (the key of `sources`). */
  readonly sourceName: string;
  readonly contractName: string;
  readonly abi: Abi;
  /** Creation (init) code; still holds `__$…$__` placeholders if `linkReferences` is non-empty. */
  readonly bytecode: Hex;
  /** Runtime code, what the account holds after deployment. */
  readonly deployedBytecode: Hex;
  readonly linkReferences: LinkReferences;
}

export interface CompileOutput {
  readonly contracts: readonly CompiledContract[];
  /** Non-fatal messages (warnings, infos). */
  readonly warnings: readonly SolcMessage[];
}

export class SolcError extends Error {
  override readonly name = 'SolcError';
  constructor(
    message: string,
    /** The compiler's error messages, when the failure came from the compiler. */
    readonly errors: readonly SolcMessage[] = [],
  ) {
    super(message);
  }
}

/** Version string of the bundled compiler, e.g. "0.8.37+commit….Emscripten.clang". */
export function solcVersion(): string {
  return solcModule().version();
}

/**
 * Compiles `sources` (source unit name -> Solidity text). Imports must resolve
 * within `sources`; there is no file-system callback on purpose.
 */
export function compileSolidity(sources: Readonly<Record<string, string>>, options: SolcOptions = {}): CompileOutput {
  const names = Object.keys(sources);
  if (names.length === 0) throw new SolcError('no sources given');
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(names.map((n) => [n, { content: sources[n] }])),
    settings: {
      evmVersion: options.evmVersion ?? 'cancun',
      optimizer: { enabled: options.optimizer?.enabled ?? true, runs: options.optimizer?.runs ?? 200 },
      viaIR: options.viaIR ?? false,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences', 'evm.deployedBytecode.object'] } },
    },
  };
  const raw = solcModule().compile(JSON.stringify(input));
  let output: unknown;
  try {
    output = JSON.parse(raw);
  } catch {
    throw new SolcError(`solc returned malformed JSON: ${raw.slice(0, 200)}`);
  }
  return parseOutput(output);
}

/** The contract called `name` (optionally `file:name` to disambiguate). */
export function contractNamed(output: CompileOutput, name: string): CompiledContract {
  const colon = name.lastIndexOf(':');
  const file = colon >= 0 ? name.slice(0, colon) : null;
  const contract = colon >= 0 ? name.slice(colon + 1) : name;
  const found = output.contracts.filter((c) => c.contractName === contract && (file === null || c.sourceName === file));
  if (found.length === 0) throw new SolcError(`no contract named ${name} in the compiler output`);
  if (found.length > 1) throw new SolcError(`contract name ${name} is ambiguous: ${found.map((c) => c.sourceName).join(', ')}`);
  return found[0];
}

interface RawMessage {
  severity?: unknown;
  type?: unknown;
  message?: unknown;
  formattedMessage?: unknown;
}

interface RawContract {
  abi?: unknown;
  evm?: {
    bytecode?: { object?: unknown; linkReferences?: unknown };
    deployedBytecode?: { object?: unknown };
  };
}

function parseOutput(output: unknown): CompileOutput {
  if (typeof output !== 'object' || output === null) throw new SolcError('solc output is not an object');
  const o = output as { errors?: unknown; contracts?: unknown };
  const messages = Array.isArray(o.errors) ? (o.errors as RawMessage[]).map(toMessage) : [];
  const errors = messages.filter((m) => m.severity === 'error');
  if (errors.length > 0) {
    throw new SolcError(`solc: ${errors.map((e) => e.message.trim()).join('\n')}`, errors);
  }
  const contracts: CompiledContract[] = [];
  const bySource = (o.contracts ?? {}) as Record<string, Record<string, RawContract>>;
  for (const [sourceName, byName] of Object.entries(bySource)) {
    for (const [contractName, c] of Object.entries(byName)) {
      const bytecode = c.evm?.bytecode?.object;
      const deployed = c.evm?.deployedBytecode?.object;
      if (!Array.isArray(c.abi) || typeof bytecode !== 'string' || typeof deployed !== 'string') {
        throw new SolcError(`solc output for ${sourceName}:${contractName} lacks abi or bytecode`);
      }
      contracts.push({
        sourceName,
        contractName,
        abi: c.abi as Abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${deployed}`,
        linkReferences: (c.evm?.bytecode?.linkReferences ?? {}) as LinkReferences,
      });
    }
  }
  return { contracts, warnings: messages.filter((m) => m.severity !== 'error') };
}

function toMessage(m: RawMessage): SolcMessage {
  const severity = m.severity === 'warning' || m.severity === 'info' ? m.severity : 'error';
  const text = typeof m.formattedMessage === 'string' ? m.formattedMessage : typeof m.message === 'string' ? m.message : String(m.message);
  return { severity, type: typeof m.type === 'string' ? m.type : 'Unknown', message: text };
}
