// Hard forks MetisVM implements and the per-fork parameters that differ between them.
// Names and numbers follow the EIPs; each field says which EIP introduced it.

export type Fork = 'cancun' | 'prague' | 'osaka';

export const FORKS: readonly Fork[] = ['cancun', 'prague', 'osaka'];

export interface BlobSchedule {
  /** Target blobs per block (EIP-4844 / EIP-7691). */
  readonly target: number;
  /** Maximum blobs per block. */
  readonly max: number;
  /** BLOB_BASE_FEE_UPDATE_FRACTION. */
  readonly baseFeeUpdateFraction: bigint;
}

export interface ForkRules {
  readonly fork: Fork;
  /** Ordinal for `>=` comparisons: cancun 0, prague 1, osaka 2. */
  readonly ordinal: number;
  readonly blobs: BlobSchedule;
  /** EIP-7702 set-code transactions and delegation designators. */
  readonly isEip7702: boolean;
  /** EIP-7623 calldata floor price. */
  readonly isEip7623: boolean;
  /** EIP-2537 BLS12-381 precompiles 0x0b..0x11. */
  readonly isEip2537: boolean;
  /** EIP-2935 block-hash history system contract. */
  readonly isEip2935: boolean;
  /** EIP-7685 execution-layer requests (EIP-6110, 7002, 7251). */
  readonly isEip7685: boolean;
  /** EIP-7939 CLZ opcode. */
  readonly isEip7939: boolean;
  /** EIP-7823 modexp input bounds and EIP-7883 modexp repricing. */
  readonly isEip7883: boolean;
  /** EIP-7825 per-transaction gas limit cap (2^24). */
  readonly txGasLimitCap: number | null;
  /** EIP-7951 P256VERIFY precompile at 0x100. */
  readonly isEip7951: boolean;
  /** EIP-7918 blob base fee bounded below by the execution cost of a blob. */
  readonly isEip7918: boolean;
}

const CANCUN: ForkRules = {
  fork: 'cancun',
  ordinal: 0,
  blobs: { target: 3, max: 6, baseFeeUpdateFraction: 3338477n },
  isEip7702: false,
  isEip7623: false,
  isEip2537: false,
  isEip2935: false,
  isEip7685: false,
  isEip7939: false,
  isEip7883: false,
  txGasLimitCap: null,
  isEip7951: false,
  isEip7918: false,
};

const PRAGUE: ForkRules = {
  ...CANCUN,
  fork: 'prague',
  ordinal: 1,
  blobs: { target: 6, max: 9, baseFeeUpdateFraction: 5007716n },
  isEip7702: true,
  isEip7623: true,
  isEip2537: true,
  isEip2935: true,
  isEip7685: true,
};

const OSAKA: ForkRules = {
  ...PRAGUE,
  fork: 'osaka',
  ordinal: 2,
  isEip7939: true,
  isEip7883: true,
  txGasLimitCap: 1 << 24,
  isEip7951: true,
  isEip7918: true,
};

const BY_NAME: Readonly<Record<Fork, ForkRules>> = { cancun: CANCUN, prague: PRAGUE, osaka: OSAKA };

export class UnknownForkError extends Error {
  override readonly name = 'UnknownForkError';
}

export function forkRules(fork: Fork): ForkRules {
  return BY_NAME[fork];
}

/** Parses a fork name as written in state tests and CLI flags (`Cancun`, `prague`, ...). */
export function parseFork(name: string): Fork {
  const f = name.toLowerCase();
  if (f === 'cancun' || f === 'prague' || f === 'osaka') return f;
  throw new UnknownForkError(`unsupported fork: ${name} (MetisVM runs ${FORKS.join(', ')})`);
}
