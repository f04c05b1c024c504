import { TokenwardError } from '@tokenward/client';

/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unauthenticated: 3,
  forbidden: 4,
} as const;

/** An error the CLI reports with its message alone and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** The exit code and message for any error: the server's own message, never a stack. */
export function describeError(err: unknown): { exitCode: number; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  if (err instanceof TokenwardError) {
    const exitCode =
      err.status === 401 ? EXIT.unauthenticated : err.status === 403 ? EXIT.forbidden : EXIT.failure;
    const hint = err.status === 401 ? ' (run `tokenward login` or check TOKENWARD_TOKEN)' : '';
    return { exitCode, message: `${err.message}${hint}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.failure, message: `unexpected error: ${message}` };
}
