import { describe, expect, it } from 'vitest';
import {
  endpointAllowed,
  normalizeRequestPath,
  parseEndpointPattern,
  parseEndpointPatterns,
} from './endpoint-pattern.js';

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
    ['GET', '/scim/v20', false],
    ['GET', '/a/b/c', true],
    ['GET', '/a/b/x/c', false],
    ['GET', '/api/v1/identity/5?x=1', true],
    ['GET', '/api/v1/identity/5#frag', true],
    ['GET', '/api/v1/apptoken', false],
  ])('%s %s → %s', (method, url, allowed) => {
    expect(endpointAllowed(list, method, url)).toBe(allowed);
  });

  it.each([
    '',
    'GET',
    'FETCH /x',
    'GET x',
    'GET /a/../b',
    'GET /a/..',
    'GET /a/./b',
    'GET /a/%2e%2e/b',
    'GET /a/%2E/b',
    'GET /a..b',
    'GET /a?b',
    'GET /a#b',
    'GET /a b',
    'GET /a%2Fb',
    'GET /a%2fb',
    'GET /a%5Cb',
    'GET /a%5cb',
    'GET /a\\b',
    'GET /a%00b',
    'GET /a%1fb',
    'GET /a%zzb',
    'GET /a%4',
    'GET //a/b',
    'GET /a/;x/b',
    'GET /a/.;x/b',
  ])('rejects the pattern %j', (p) => {
    expect(parseEndpointPattern(p)).toBeNull();
  });

  it('a bare path means any method, and regex characters are literal', () => {
    const [p] = parseEndpointPatterns(['/v1/a.b'])!;
    expect(endpointAllowed([p!], 'PUT', '/v1/a.b')).toBe(true);
    expect(endpointAllowed([p!], 'PUT', '/v1/axb')).toBe(false);
  });
});

describe('a trailing /* or /** matches one or more segments below the prefix, never the prefix', () => {
  // Issue 12 item 8: `GET /api/v1/identity/*` also allowed `GET /api/v1/identity`.
  it.each(['GET /api/v1/identity/*', 'GET /api/v1/identity/**'])('%s', (entry) => {
    const list = parseEndpointPatterns([entry])!;
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/7')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/7/roles')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/7/')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity//')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity/.')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/api/v1/identity?x=/y')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/api/v1/identityx')).toBe(false);
  });

  it('`/*` alone allows every path but `/`', () => {
    const list = parseEndpointPatterns(['GET /*'])!;
    expect(endpointAllowed(list, 'GET', '/x')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/')).toBe(false);
  });

  it('a trailing `/*/` is one segment (the `*` within it), not the "below" form', () => {
    const list = parseEndpointPatterns(['GET /a/*/'])!;
    expect(endpointAllowed(list, 'GET', '/a/b')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/a/b/')).toBe(true);
    expect(endpointAllowed(list, 'GET', '/a/b/c')).toBe(false);
    expect(endpointAllowed(list, 'GET', '/a')).toBe(false);
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

describe('normalizeRequestPath', () => {
  it.each([
    ['/', '/'],
    ['/a', '/a'],
    ['/a/', '/a'],
    ['/a?x=1', '/a'],
    ['/a/?x=/../..', '/a'],
    ['/a#/../..', '/a'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b/.', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/..', '/a'],
    ['/a/..', '/'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E%2e/b', '/b'],
    ['/a/.%2e/b', '/b'],
    ['/a/%2e/b', '/a/b'],
    ['/%7euser/%41%62%63%2D%5f%2e%30', '/~user/Abc-_.0'],
    ['/a%3ab%c3%a9', '/a%3Ab%C3%A9'],
    ['/a%20b', '/a%20b'],
    ['/a%25b', '/a%25b'],
    ['/a%252e%252e/b', '/a%252e%252e/b'],
    ['/a/..%2e', '/a/...'],
    ['/a/...', '/a/...'],
    ['/a/.b/c.', '/a/.b/c.'],
    ['/.well-known/jwks.json', '/.well-known/jwks.json'],
    ['/a;x/b;y=1', '/a;x/b;y=1'],
    ['/a/b%3Bc', '/a/b%3Bc'],
    ['/é', '/é'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeRequestPath(input)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['a/b', 'not starting with /'],
    ['?x', 'only a query'],
    ['http://host/a', 'absolute form'],
    ['/..', 'climbs above /'],
    ['/a/../..', 'climbs above /'],
    ['/a/../../b', 'climbs above /'],
    ['/%2e%2e/a', 'climbs above / (encoded)'],
    ['/a/%2F/b', 'encoded /'],
    ['/a/..%2fb', 'encoded /'],
    ['/a/%2e%2e%2fb', 'encoded /'],
    ['/a/%5C/b', 'encoded \\'],
    ['/a/..%5cb', 'encoded \\'],
    ['/a\\b', 'backslash'],
    ['/a/..\\b', 'backslash'],
    ['/a%00', 'encoded NUL'],
    ['/a\u0000', 'raw NUL'],
    ['/a%0a', 'encoded line feed'],
    ['/a\nb', 'raw line feed'],
    ['/a%7f', 'encoded DEL'],
    ['/a\u007f', 'raw DEL'],
    ['/a b', 'raw space'],
    ['/a\tb', 'raw tab'],
    ['/a%', 'truncated escape'],
    ['/a%4', 'truncated escape'],
    ['/a%4?x', 'escape cut by the query'],
    ['/a%g1', 'not hex'],
    ['/a%%41', 'not hex'],
    ['//host/a', 'network-path reference'],
    ['/a/..;/b', '..;'],
    ['/a/..;x=1/b', '..;'],
    ['/a/.;/b', '.;'],
    ['/a/;/../b', 'empty name with parameters'],
    ['/a/;x/b', 'empty name with parameters'],
    ['/a/..%3B/b', '..%3B'],
    ['/a/%3B/b', 'empty name with encoded parameters'],
  ])('refuses %j (%s)', (input) => {
    expect(normalizeRequestPath(input)).toBeNull();
  });
});

describe('a token limited to GET /public/* (Issue 12 item 3: the gateway matched the raw URI)', () => {
  const list = parseEndpointPatterns(['GET /public/*'])!;

  it.each([
    '/public/../admin/x',
    '/public/%2e%2e/admin/x',
    '/public/%2E%2E/admin/x',
    '/public/..%2fadmin/x',
    '/public/%2e%2e%2fadmin/x',
    '/public/..%5cadmin/x',
    '/public/..\\admin/x',
    '/public/x/../../admin',
    '/public/./../admin',
    '/public//../admin',
    '/public/..;/admin/x',
    '/public/;/../../admin/x',
    '//public/x',
    '/public',
    '/public/',
    '/public/.',
    '/public/x/..',
    '/public%2fx',
    '/publicx',
  ])('refuses %s', (path) => {
    expect(endpointAllowed(list, 'GET', path)).toBe(false);
  });

  it.each([
    '/public/x',
    '/public/x/',
    '/public/x?y=/../../admin',
    '/public/./x',
    '/public//x',
    '/public/a/../x',
    '/public/%78',
    '/%70ublic/x',
  ])('allows %s', (path) => {
    expect(endpointAllowed(list, 'GET', path)).toBe(true);
  });
});
