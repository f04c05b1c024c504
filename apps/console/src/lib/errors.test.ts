import { describe, expect, it } from 'vitest';
import { ApiError, errorFromResponse } from '../api/client';
import { errorText } from './errors';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('errorFromResponse', () => {
  it("keeps the API's errorMessage and code", async () => {
    const e = await errorFromResponse(
      json(400, {
        errorCode: 1004,
        errorMessage: 'The requested lifetime exceeds the maximum.',
        code: 'lifetime_exceeded',
      }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message]).toEqual([
      400,
      'lifetime_exceeded',
      'The requested lifetime exceeds the maximum.',
    ]);
  });

  it('describes an answer that is not the API’s (a proxy’s HTML page) by its status', async () => {
    const e = await errorFromResponse(
      new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    expect([e.status, e.code]).toEqual([502, 'http_error']);
    expect(e.message).toBe('The server answered with HTTP 502 Bad Gateway.');
  });

  it('reads Retry-After', async () => {
    const e = await errorFromResponse(
      json(
        429,
        {
          errorCode: 7000,
          errorMessage: 'Too many attempts; wait before trying again.',
          code: 'rate_limited',
        },
        { 'retry-after': '90' },
      ),
    );
    expect(e.retryAfterSeconds).toBe(90);
  });
});

describe('errorText: what a person reads', () => {
  it("shows the API's message as written", () => {
    expect(
      errorText(new ApiError(409, 'identity_name_taken', 'An identity with this name already exists.')),
    ).toBe('An identity with this name already exists.');
  });

  it('a wrong password keeps its own message; any other 401 means the session expired', () => {
    expect(
      errorText(new ApiError(401, 'invalid_credentials', 'The username or password is incorrect.')),
    ).toBe('The username or password is incorrect.');
    expect(
      errorText(
        new ApiError(401, 'unauthenticated', 'Authentication is required or the credential is not valid.'),
      ),
    ).toBe('Your session has expired. Sign in again.');
  });

  it('no answer at all is a lost connection', () => {
    expect(errorText(new ApiError(0, 'network', 'x'))).toBe(
      'The Tokenward server could not be reached. Check your connection and try again.',
    );
  });

  it('rate limits say how long to wait', () => {
    expect(
      errorText(new ApiError(429, 'rate_limited', 'Too many attempts; wait before trying again.', 30)),
    ).toBe('Too many attempts; wait before trying again. Try again in 30 seconds.');
    expect(errorText(new ApiError(429, 'rate_limited', 'Too many attempts.', 600))).toBe(
      'Too many attempts. Try again in 10 minutes.',
    );
  });

  it('a CSRF refusal and a gateway error get actionable sentences', () => {
    expect(
      errorText(new ApiError(403, 'csrf_failed', 'The CSRF token is missing or does not match the session.')),
    ).toMatch(/Reload the page/);
    expect(errorText(new ApiError(503, 'http_error', 'The server answered with HTTP 503.'))).toBe(
      'The server could not handle the request (HTTP 503). Try again shortly.',
    );
  });

  it('a route the server lacks is named as a missing feature', () => {
    expect(errorText(new ApiError(404, 'route_not_found', 'No such route.'))).toMatch(
      /does not offer this feature/,
    );
  });

  it('anything else still reads as a sentence', () => {
    expect(errorText(new Error('boom'))).toBe('Something went wrong: boom');
    expect(errorText('???')).toBe('Something went wrong.');
  });
});
