import { describe, expect, it } from 'vitest';
import { presentedCredential } from './credentials.js';
import { accessTokenHash, dpopBindingHolds, dpopHtu, dpopProblem } from './dpop.js';

const headers = (h: Record<string, string | string[]>) => (name: string) => h[name];

describe('presentedCredential and the DPoP scheme (RFC 9449 §7.1)', () => {
  it('reads `Authorization: DPoP <token>` as a DPoP credential, Bearer as before', () => {
    expect(presentedCredential(headers({ authorization: 'DPoP abc' }))).toEqual({ token: 'abc', dpop: true });
    expect(presentedCredential(headers({ authorization: 'dpop  abc' }))).toEqual({
      token: 'abc',
      dpop: true,
    });
    expect(presentedCredential(headers({ authorization: 'Bearer abc' }))).toEqual({ token: 'abc' });
  });
  it('refuses the DPoP scheme beside another credential header, even with the same token', () => {
    expect(presentedCredential(headers({ authorization: 'DPoP abc', authtoken: 'abc' }))).toEqual({
      error: 'multiple_credentials',
    });
    expect(presentedCredential(headers({ authorization: ['DPoP abc', 'Bearer abc'] }))).toEqual({
      error: 'multiple_credentials',
    });
    expect(presentedCredential(headers({ authorization: 'DPoP ' }))).toEqual({ error: 'unauthenticated' });
  });
});

describe('dpopHtu', () => {
  it('drops query and fragment, lower-cases scheme and host, drops a default port', () => {
    expect(dpopHtu('HTTPS://Api.Example.com:443/a/b?x=1#f')).toBe('https://api.example.com/a/b');
    expect(dpopHtu('http://h:8080/')).toBe('http://h:8080/');
    expect(dpopHtu('ftp://h/x')).toBeNull();
    expect(dpopHtu('/relative')).toBeNull();
  });
});

describe('dpopProblem', () => {
  const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk };
  const payload = { htm: 'GET', htu: 'https://a.example/r', iat: 1000, jti: 'abcdefgh-1', ath: 'h' };
  const expected = {
    htm: 'GET',
    htu: ['https://a.example/r'],
    nowSeconds: 1000,
    windowSeconds: 60,
    ath: 'h',
  };

  it('accepts a right proof', () => {
    expect(dpopProblem(header, payload, expected)).toBeNull();
    expect(dpopProblem(header, { ...payload, iat: 1060 }, expected)).toBeNull();
  });
  it.each([
    ['typ', { ...header, typ: 'JWT' }, payload],
    ['alg', { ...header, alg: 'HS256' }, payload],
    ['alg', { ...header, alg: 'none' }, payload],
    ['jwk', { ...header, jwk: { ...jwk, d: 'secret' } }, payload],
    ['jwk', { ...header, jwk: 'x' }, payload],
    ['htm', header, { ...payload, htm: 'POST' }],
    ['htu', header, { ...payload, htu: 'https://a.example/other' }],
    ['htu', header, { ...payload, htu: 42 }],
    ['iat', header, { ...payload, iat: 939 }],
    ['iat', header, { ...payload, iat: 1061 }],
    ['iat', header, { ...payload, iat: '1000' }],
    ['jti', header, { ...payload, jti: undefined }],
    ['ath', header, { ...payload, ath: 'other' }],
  ] as const)('refuses a wrong %s', (problem, h, p) => {
    expect(dpopProblem(h as Record<string, unknown>, p as Record<string, unknown>, expected)).toBe(problem);
  });
  it('ath is base64url(SHA-256(token))', () => {
    expect(accessTokenHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('dpopBindingHolds', () => {
  it('at a resource: DPoP exactly for bound tokens, with their key', () => {
    expect(dpopBindingHolds('resource', null, null)).toBe(true);
    expect(dpopBindingHolds('resource', 'k', 'k')).toBe(true);
    expect(dpopBindingHolds('resource', 'k', null)).toBe(false);
    expect(dpopBindingHolds('resource', 'k', 'other')).toBe(false);
    expect(dpopBindingHolds('resource', null, 'k')).toBe(false);
  });
  it('at the token endpoint: a bound token needs its key; a bearer one may come with any proof', () => {
    expect(dpopBindingHolds('token-endpoint', null, 'k')).toBe(true);
    expect(dpopBindingHolds('token-endpoint', null, null)).toBe(true);
    expect(dpopBindingHolds('token-endpoint', 'k', null)).toBe(false);
    expect(dpopBindingHolds('token-endpoint', 'k', 'other')).toBe(false);
  });
});
