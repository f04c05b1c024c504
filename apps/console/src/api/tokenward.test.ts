// @vitest-environment happy-dom
import { TokenwardError } from '@tokenward/client/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  api,
  csrfToken,
  quietApi,
  retryAfterSeconds,
  serverNow,
  setConnectionHandler,
  setSessionLostHandler,
  withoutEmpty,
} from './tokenward';

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  vi.stubGlobal('fetch', fetchMock);
  fetchMock.mockReset();
  // biome-ignore lint/suspicious/noDocumentCookie: the test plays the server, which sets this cookie.
  document.cookie = 'tw_csrf=csrf-123; path=/';
});
afterEach(() => {
  vi.unstubAllGlobals();
  setSessionLostHandler(null);
  setConnectionHandler(null);
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const ok = (body: unknown) => json(200, body);

const sent = (call: number) => {
  const [url, init] = fetchMock.mock.calls[call]!;
  return { url: new URL(String(url)), init: init!, headers: init!.headers as Record<string, string> };
};

describe('csrfToken', () => {
  it('reads tw_csrf among other cookies', () => {
    expect(csrfToken('a=1; tw_csrf=abc%2Fdef; b=2')).toBe('abc/def');
    expect(csrfToken('a=1')).toBeUndefined();
  });
});

describe('the console through TokenwardClient', () => {
  it('writes carry the X-CSRF-Token header from the cookie; reads do not; both are same-origin', async () => {
    fetchMock.mockImplementation(async () => ok({ items: [] }));
    await api.appTokens.grant({ roles: [] });
    await api.appTokens.list(withoutEmpty({ status: 'Active' as const, search: '', offset: 0 }));
    const post = sent(0);
    const get = sent(1);
    expect(post.url.origin).toBe(window.location.origin);
    expect(post.url.pathname).toBe('/api/v1/apptoken/grant');
    expect(post.headers['x-csrf-token']).toBe('csrf-123');
    expect(post.init.credentials).toBe('same-origin');
    // The browser sends the HttpOnly session cookie itself: no credential header of ours.
    expect(post.headers.cookie).toBeUndefined();
    expect(post.headers.authorization).toBeUndefined();
    // Empty filters are left out of the query.
    expect(get.url.pathname + get.url.search).toBe('/api/v1/apptoken?status=Active&offset=0');
    expect(get.headers['x-csrf-token']).toBeUndefined();
    expect(get.init.credentials).toBe('same-origin');
  });

  it('sign-in answers the sign-in result without reading the (HttpOnly) cookie', async () => {
    const result = { identity: { id: 1, name: 'admin' }, csrfToken: 'c', expires: '2030-01-01T00:00:00Z' };
    fetchMock.mockResolvedValueOnce(ok(result));
    await expect(quietApi.sessions.signInBrowser('admin', 'pw')).resolves.toEqual(result);
    expect(JSON.parse(String(sent(0).init.body))).toEqual({ username: 'admin', password: 'pw' });
  });

  it("an API error keeps the API's code and message, and a 401 reports a lost session except where expected", async () => {
    const lost = vi.fn();
    setSessionLostHandler(lost);
    const refused = () =>
      json(401, { errorCode: 2000, errorMessage: 'Authentication is required.', code: 'unauthenticated' });
    fetchMock.mockResolvedValueOnce(refused());
    await expect(api.identities.list()).rejects.toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: 'Authentication is required.',
    });
    expect(lost).toHaveBeenCalledTimes(1);
    fetchMock.mockResolvedValueOnce(refused());
    await expect(quietApi.sessions.signInBrowser('a', 'b')).rejects.toBeInstanceOf(TokenwardError);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('an answer that is not the API’s (a proxy’s HTML page) is named by its status', async () => {
    fetchMock.mockResolvedValueOnce(new Response('<html>Bad Gateway</html>', { status: 502 }));
    await expect(api.roles.list()).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('Retry-After stays readable on the error', async () => {
    fetchMock.mockResolvedValueOnce(
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
    const error = await quietApi.sessions.signInBrowser('a', 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenwardError);
    expect(retryAfterSeconds(error as TokenwardError)).toBe(90);
    expect(retryAfterSeconds(new TokenwardError(429, {}))).toBeNull();
  });

  it('a network failure is status 0 and marks the connection lost, until an answer comes', async () => {
    const connection = vi.fn();
    setConnectionHandler(connection);
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(api.identities.list()).rejects.toMatchObject({ status: 0 });
    expect(connection).toHaveBeenLastCalledWith(false);
    fetchMock.mockResolvedValueOnce(ok({ items: [] }));
    await api.identities.list();
    expect(connection).toHaveBeenLastCalledWith(true);
  });

  it('a 204 resolves to undefined', async () => {
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await expect(api.identities.delete(3)).resolves.toBeUndefined();
  });

  it("learns the server's clock from the Date header", async () => {
    const ahead = Date.now() + 3_600_000;
    fetchMock.mockResolvedValueOnce(
      new Response('[]', { status: 200, headers: { date: new Date(ahead).toUTCString() } }),
    );
    await api.roles.list();
    expect(Math.abs(serverNow() - ahead)).toBeLessThan(5_000);
    fetchMock.mockResolvedValueOnce(
      new Response('[]', { status: 200, headers: { date: new Date().toUTCString() } }),
    );
    await api.roles.list();
    expect(Math.abs(serverNow() - Date.now())).toBeLessThan(2_000);
  });
});
