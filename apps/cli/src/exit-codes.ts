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

/**
 * The exit code, a stable code and the message for any error: the server's own message and
 * code (`token_expired`, …), never a stack. `status` is the server's HTTP status, when it
 * answered.
 */
export function describeError(err: unknown): {
  exitCode: number;
  code: string;
  message: string;
  status?: number;
} {
  if (err instanceof CliError) {
    const code =
      err.exitCode === EXIT.usage
        ? 'usage'
        : err.exitCode === EXIT.unauthenticated
          ? 'unauthenticated'
          : 'failure';
    return { exitCode: err.exitCode, code, message: err.message };
  }
  if (err instanceof TokenwardError) {
    const exitCode =
      err.status === 401 ? EXIT.unauthenticated : err.status === 403 ? EXIT.forbidden : EXIT.failure;
    const hint = err.status === 401 ? ' (run `tokenward login` or check TOKENWARD_TOKEN)' : '';
    return {
      exitCode,
      code: err.code,
      message: `${err.message}${hint}`,
      ...(err.status ? { status: err.status } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.failure, code: 'unexpected', message: `unexpected error: ${message}` };
}
