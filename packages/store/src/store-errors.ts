import { classifyPostgresError } from './postgres-dialect.js';
import { classifySqliteError } from './sqlite-dialect.js';
import type { ErrorClassifier, StoreErrorKind } from './store-dialect.js';

export type { StoreErrorKind } from './store-dialect.js';

/** Socket-level failures of the PostgreSQL client (and its pool): the server could not be used. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end on the pool|driver has already been destroyed/i;

const classifyConnectionError: ErrorClassifier = (error) => {
  if (typeof error.code === 'string' && SOCKET_CODES.has(error.code)) return 'unavailable';
  if (typeof error.message === 'string' && CONNECTION_MESSAGES.test(error.message)) return 'unavailable';
  return undefined;
};

/**
 * Every dialect's error codes (each dialect object owns its own), then the connection's. The
 * error alone says which dialect raised it, so callers need no store in hand.
 */
const CLASSIFIERS: readonly ErrorClassifier[] = [
  classifyPostgresError,
  classifySqliteError,
  classifyConnectionError,
];

/**
 * Classifies an error thrown by the store (either dialect, or the connection to it). Looks
 * through `cause` and AggregateError's `errors` (a connection attempt to several addresses).
 */
export function classifyStoreError(err: unknown, depth = 0): StoreErrorKind | null {
  if (typeof err !== 'object' || err === null || depth > 3) return null;
  const error = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  for (const classify of CLASSIFIERS) {
    const kind = classify(error);
    if (kind !== undefined) return kind;
  }
  if (Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const kind = classifyStoreError(inner, depth + 1);
      if (kind !== null) return kind;
    }
  }
  return error.cause === undefined ? null : classifyStoreError(error.cause, depth + 1);
}
