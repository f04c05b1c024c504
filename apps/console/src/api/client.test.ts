// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, csrfToken, setConnectionHandler, setSessionLostHandler } from './client';

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

const ok = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('csrfToken', () => {
  it('reads tw_csrf among other cookies', () => {
    expect(csrfToken('a=1; tw_csrf=abc%2Fdef; b=2')).toBe('abc/def');
    expect(csrfToken('a=1')).toBeUndefined();
  });
});

describe('api requests', () => {
  it('writes carry the X-CSRF-Token header from the cookie; reads do not', async () => {
    fetchMock.mockImplementation(async () => ok({}));
    await api.post('/apptoken/grant', { roles: [] });
    await api.get('/apptoken', { query: { status: 'Active', search: '', offset: 0 } });
    const [postUrl, postInit] = fetchMock.mock.calls[0]!;
    const [getUrl, getInit] = fetchMock.mock.calls[1]!;
    expect(postUrl).toBe('/api/v1/apptoken/grant');
    expect((postInit!.headers as Record<string, string>)['x-csrf-token']).toBe('csrf-123');
    expect(postInit!.credentials).toBe('same-origin');
    // Empty filters are left out of the query.
    expect(getUrl).toBe('/api/v1/apptoken?status=Active&offset=0');
    expect((getInit!.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
  });

  it('a 401 reports a lost session, except where a 401 is an expected answer', async () => {
    const lost = vi.fn();
    setSessionLostHandler(lost);
    const refused = () =>
      new Response(
        JSON.stringify({
          errorCode: 2000,
          errorMessage: 'Authentication is required.',
          code: 'unauthenticated',
        }),
        {
          status: 401,
        },
      );
    fetchMock.mockResolvedValueOnce(refused());
    await expect(api.get('/identity')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(lost).toHaveBeenCalledTimes(1);
    fetchMock.mockResolvedValueOnce(refused());
    await expect(api.post('/signin', {}, { expectUnauthenticated: true })).rejects.toBeInstanceOf(ApiError);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('a network failure is an ApiError with status 0 and marks the connection lost, until an answer comes', async () => {
    const connection = vi.fn();
    setConnectionHandler(connection);
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(api.get('/identity')).rejects.toMatchObject({ status: 0, code: 'network' });
    expect(connection).toHaveBeenLastCalledWith(false);
    fetchMock.mockResolvedValueOnce(ok({ items: [] }));
    await api.get('/identity');
    expect(connection).toHaveBeenLastCalledWith(true);
  });

  it('a 204 resolves to undefined', async () => {
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await expect(api.delete('/identity/3')).resolves.toBeUndefined();
  });
});
