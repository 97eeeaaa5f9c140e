// One benchmark row: our number beside the reference's, printed together by `npm run bench`.

export interface BenchRow {
  /** Suite, e.g. "vm", "da-blobs". */
  readonly suite: string;
  /** Workload name, e.g. "erc20-transfer-loop". */
  readonly workload: string;
  /** Unit of `ours` and `reference`, e.g. "Mgas/s", "blobs/s", "ms". */
  readonly unit: string;
  readonly ours: number;
  /** The reference implementation's number on the same work, or null where there is none. */
  readonly reference: number | null;
  /** Name of the reference, e.g. "@ethereumjs/evm". */
  readonly referenceName: string | null;
  /** Whether a larger number is better (throughput) or smaller (latency). */
  readonly higherIsBetter: boolean;
  readonly note?: string;
}

export type BenchSuite = () => Promise<readonly BenchRow[]>;
