/**
 * The console's one way to call the API: same-origin fetch with the session cookie, the CSRF
 * header on writes, and every failure turned into an ApiError the pages can show.
 */

const CSRF_COOKIE = 'tw_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `status` 0 means the server could not be reached at all. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

/** The CSRF token, read from its cookie so that it survives a page reload. */
export function csrfToken(cookieHeader: string = document.cookie): string | undefined {
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === CSRF_COOKIE) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value) || undefined;
      } catch {
        return value || undefined;
      }
    }
  }
  return undefined;
}

type Listener = (error: ApiError) => void;
let onSessionLost: Listener | null = null;
let onConnectionChange: ((online: boolean) => void) | null = null;

/** Called when a request is refused with 401: the session is gone (expired, ended elsewhere). */
export function setSessionLostHandler(listener: Listener | null): void {
  onSessionLost = listener;
}

/** Called with false when a request could not reach the server, and true when one did again. */
export function setConnectionHandler(listener: ((online: boolean) => void) | null): void {
  onConnectionChange = listener;
}

let clockSkewMs = 0;

/**
 * The server's clock as the console best knows it (from the Date header of recent answers), so
 * that "the maximum lifetime" means the same thing to the browser and to the server.
 */
export function serverNow(): number {
  return Date.now() + clockSkewMs;
}

function learnClock(response: Response): void {
  const date = response.headers.get('date');
  if (!date) return;
  const serverMs = Date.parse(date);
  if (Number.isFinite(serverMs)) {
    const skew = serverMs - Date.now();
    // The header has one-second resolution: ignore differences within that.
    clockSkewMs = Math.abs(skew) < 2000 ? 0 : skew;
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  /** Do not report a 401 as a lost session (sign-in itself answers 401 for a wrong password). */
  expectUnauthenticated?: boolean;
  signal?: AbortSignal;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const url = `/api/v1${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

/** Turns a failed response into an ApiError, using the API's `{errorCode, errorMessage, code}`. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryRaw = response.headers.get('retry-after');
  const retryAfter = retryRaw && /^\d+$/.test(retryRaw) ? Number(retryRaw) : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (body && typeof body === 'object') {
    const b = body as { errorMessage?: unknown; code?: unknown };
    if (typeof b.errorMessage === 'string') {
      return new ApiError(
        response.status,
        typeof b.code === 'string' ? b.code : 'error',
        b.errorMessage,
        retryAfter,
      );
    }
  }
  // Not the API's error shape: a proxy or gateway answered.
  return new ApiError(
    response.status,
    'http_error',
    `The server answered with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`,
    retryAfter,
  );
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (!SAFE_METHODS.has(method)) {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    onConnectionChange?.(false);
    throw new ApiError(0, 'network', 'The Tokenward server could not be reached.');
  }
  onConnectionChange?.(true);
  learnClock(response);
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401 && !options.expectUnauthenticated) onSessionLost?.(error);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PUT', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};
