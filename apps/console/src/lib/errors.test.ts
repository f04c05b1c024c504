import { TokenwardError } from '@tokenward/client/api';
import { describe, expect, it } from 'vitest';
import { errorText } from './errors';

/** The error the client throws for an API answer (its Response is the cause). */
function apiError(status: number, code: string, errorMessage: string, retryAfter?: number): TokenwardError {
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  return new TokenwardError(
    status,
    { errorCode: 1, code, errorMessage },
    { cause: new Response(null, { status, headers }) },
  );
}

describe('errorText: what a person reads', () => {
  it("shows the API's message as written", () => {
    expect(
      errorText(apiError(409, 'identity_name_taken', 'An identity with this name already exists.')),
    ).toBe('An identity with this name already exists.');
  });

  it('a wrong password keeps its own message; any other 401 means the session expired', () => {
    expect(errorText(apiError(401, 'invalid_credentials', 'The username or password is incorrect.'))).toBe(
      'The username or password is incorrect.',
    );
    expect(
      errorText(
        apiError(401, 'unauthenticated', 'Authentication is required or the credential is not valid.'),
      ),
    ).toBe('Your session has expired. Sign in again.');
  });

  it('no answer at all is a lost connection', () => {
    expect(
      errorText(new TokenwardError(0, { errorMessage: 'Cannot reach Tokenward at http://localhost.' })),
    ).toBe('The Tokenward server could not be reached. Check your connection and try again.');
  });

  it('rate limits say how long to wait', () => {
    expect(errorText(apiError(429, 'rate_limited', 'Too many attempts; wait before trying again.', 30))).toBe(
      'Too many attempts; wait before trying again. Try again in 30 seconds.',
    );
    expect(errorText(apiError(429, 'rate_limited', 'Too many attempts.', 600))).toBe(
      'Too many attempts. Try again in 10 minutes.',
    );
  });

  it('a CSRF refusal and a gateway error get actionable sentences', () => {
    expect(
      errorText(apiError(403, 'csrf_failed', 'The CSRF token is missing or does not match the session.')),
    ).toMatch(/Reload the page/);
    expect(errorText(new TokenwardError(503, {}))).toBe(
      'The server could not handle the request (HTTP 503). Try again shortly.',
    );
  });

  it('a route the server lacks is named as a missing feature', () => {
    expect(errorText(apiError(404, 'route_not_found', 'No such route.'))).toMatch(
      /does not offer this feature/,
    );
  });

  it('anything else still reads as a sentence', () => {
    expect(errorText(new Error('boom'))).toBe('Something went wrong: boom');
    expect(errorText('???')).toBe('Something went wrong.');
  });
});
