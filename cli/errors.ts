// Errors the CLI reports as a one-line reason and a non-zero exit code.

/** Bad input from the user: flags, files, values. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A check the command was asked to make has failed (a block did not verify, a test failed). Exit code 1. */
export class CheckFailedError extends Error {
  override readonly name = 'CheckFailedError';
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return 2;
  return 1;
}

export function oneLineReason(err: unknown): string {
  const msg = err instanceof Error ? `${err.name === 'Error' ? '' : err.name + ': '}${err.message}` : String(err);
  return msg.split('\n')[0] ?? msg;
}
