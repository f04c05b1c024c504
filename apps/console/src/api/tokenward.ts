/**
 * The console's one way to call the API: `TokenwardClient` from `@tokenward/client/api` in its
 * browser-session mode (same-origin fetch with the HttpOnly session cookie, the CSRF header on
 * writes). The fetch it is given watches every answer for what the console shows around the
 * page: a lost connection, a lost session (401) and the server's clock.
 */
import { TokenwardClient, type TokenwardError } from '@tokenward/client/api';

const CSRF_COOKIE = 'tw_csrf';

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

let onSessionLost: (() => void) | null = null;
let onConnectionChange: ((online: boolean) => void) | null = null;

/** Called when a request is refused with 401: the session is gone (expired, ended elsewhere). */
export function setSessionLostHandler(listener: (() => void) | null): void {
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

/** A fetch that reports connection changes, learns the clock and, if asked, reports a 401. */
function watchingFetch(reportUnauthenticated: boolean): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) onConnectionChange?.(false);
      throw err;
    }
    onConnectionChange?.(true);
    learnClock(response);
    if (response.status === 401 && reportUnauthenticated) onSessionLost?.();
    return response;
  };
}

function client(reportUnauthenticated: boolean): TokenwardClient {
  return new TokenwardClient({
    // Same origin as the page; unit tests without a DOM import this module but call nothing.
    baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
    browserSession: { csrfToken: () => csrfToken() },
    fetch: watchingFetch(reportUnauthenticated),
  });
}

/** The API, for every page: a 401 here means the session is gone. */
export const api = client(true);

/**
 * The API where a 401 is an expected answer and no lost session (sign-in answers 401 for a
 * wrong password; sign-out and the first look at the session may find none).
 */
export const quietApi = client(false);

/** The Retry-After of a refused request, in seconds, or null. */
export function retryAfterSeconds(error: TokenwardError): number | null {
  const raw = error.cause instanceof Response ? error.cause.headers.get('retry-after') : null;
  return raw && /^\d+$/.test(raw) ? Number(raw) : null;
}

/** Empty filters are left out of a query: an empty field of a filter form means "any". */
export function withoutEmpty<T extends object>(query: T): { [K in keyof T]: Exclude<T[K], ''> } {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '' && v !== null)) as {
    [K in keyof T]: Exclude<T[K], ''>;
  };
}
