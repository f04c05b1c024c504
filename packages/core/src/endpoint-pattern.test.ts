import { describe, expect, it } from 'vitest';
import { endpointAllowed, parseEndpointPattern, parseEndpointPatterns } from './endpoint-pattern.js';

describe('endpoint allow-lists', () => {
  const list = parseEndpointPatterns([
    'GET /api/v1/identity/*',
    'POST /api/v1/apptoken/grant',
    '* /scim/v2/*',
    'get /a/*/c',
  ])!;

  it.each([
    ['GET', '/api/v1/identity/5', true],
    ['GET', '/api/v1/identity/5/x', true],
    ['HEAD', '/api/v1/identity/5', true],
    ['POST', '/api/v1/identity/5', false],
    ['POST', '/api/v1/apptoken/grant', true],
    ['POST', '/api/v1/apptoken/grant/2', false],
    ['DELETE', '/scim/v2/Users/1', true],
    ['GET', '/scim/v2', true],
    ['GET', '/scim/v20', false],
    ['GET', '/a/b/c', true],
    ['GET', '/a/b/x/c', false],
    ['GET', '/api/v1/identity/5?x=1', true],
    ['GET', '/api/v1/apptoken', false],
  ])('%s %s → %s', (method, url, allowed) => {
    expect(endpointAllowed(list, method, url)).toBe(allowed);
  });

  it.each(['', 'GET', 'FETCH /x', 'GET x', 'GET /a/../b', 'GET /a?b', 'GET /a b'])(
    'rejects the pattern %j',
    (p) => {
      expect(parseEndpointPattern(p)).toBeNull();
    },
  );

  it('a bare path means any method, and regex characters are literal', () => {
    const [p] = parseEndpointPatterns(['/v1/a.b'])!;
    expect(endpointAllowed([p!], 'PUT', '/v1/a.b')).toBe(true);
    expect(endpointAllowed([p!], 'PUT', '/v1/axb')).toBe(false);
  });
});

describe('trailing slashes', () => {
  it('a pattern written with a trailing slash matches the path without it (requests lose theirs)', () => {
    const list = parseEndpointPatterns(['GET /api/v1/identity/'])!;
    expect(endpointAllowed(list, 'GET', '/api/v1/identity')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/5')).toBe(false);
  });
});
