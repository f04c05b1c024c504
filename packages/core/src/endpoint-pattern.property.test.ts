import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointAllowed, parseEndpointPattern } from './endpoint-pattern.js';

/** Path characters a pattern may hold, regex metacharacters included (`*`, `?`, `#` excluded). */
const PATH_CHARS = [..."abcXYZ019-_~%:@!$&'(),;=+.^{}|[]\\"];
const segment = fc
  .string({ unit: fc.constantFrom(...PATH_CHARS), minLength: 1, maxLength: 8 })
  .filter((s) => !s.includes('..'));
const literalPath = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((parts) => `/${parts.join('/')}`)
  .filter((p) => !p.includes('..'));
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');

describe('parseEndpointPattern on hostile input', () => {
  it('never throws, and returns null or a pattern with a regex', () => {
    const shaped = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.stringMatching(/^[A-Za-z*]{0,8}\s{0,2}\/[\x20-\x7e]{0,40}$/),
      fc.stringMatching(/^(GET|POST|\*) (\/[a-z*.?()[\]{}\\+^$|]{0,6}){0,6}$/),
    );
    fc.assert(
      fc.property(shaped, (entry) => {
        const p = parseEndpointPattern(entry);
        if (p !== null) {
          expect(p.regex).toBeInstanceOf(RegExp);
          expect(typeof p.method).toBe('string');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a pattern containing ".." is refused wherever it appears', () => {
    fc.assert(
      fc.property(literalPath, fc.nat(), method, (path, at, m) => {
        const i = 1 + (at % path.length);
        expect(parseEndpointPattern(`${m} ${path.slice(0, i)}..${path.slice(i)}`)).toBeNull();
      }),
    );
  });
});

describe('a single * matches within one segment only', () => {
  it('a path matches iff no * was replaced by text containing "/"', () => {
    // Segments of literal text and stars, the last one not a bare star (a trailing /* is the
    // documented "rest of the path" form, tested below).
    const starred = fc
      .array(
        fc.oneof(
          segment,
          fc.constant('*'),
          fc.tuple(segment, segment).map(([a, b]) => `${a}*${b}`),
          segment.map((a) => `${a}*`),
        ),
        { minLength: 1, maxLength: 5 },
      )
      .filter((parts) => parts.at(-1) !== '*' && parts.some((p) => p.includes('*')));
    const filler = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 6 }).map((s) => `${s}/`),
      fc.constantFrom('/', 'a/b', '//', '/x/'),
    );
    fc.assert(
      fc.property(starred, fc.array(filler, { minLength: 20, maxLength: 20 }), (parts, fillers) => {
        const path = `/${parts.join('/')}`;
        fc.pre(!path.includes('..'));
        const p = parseEndpointPattern(`GET ${path}`);
        expect(p).not.toBeNull();
        const stars = path.split('*').length - 1;
        const used = fillers.slice(0, stars);
        let i = 0;
        const concrete = path.replace(/\*/g, () => used[i++]!);
        expect(p!.regex.test(concrete)).toBe(used.every((f) => !f.includes('/')));
      }),
      { numRuns: 1000 },
    );
  });

  it('a trailing /* matches the prefix and anything under it, but not a longer sibling name', () => {
    fc.assert(
      fc.property(literalPath, segment, fc.string({ maxLength: 20 }), (base, sibling, rest) => {
        const p = parseEndpointPattern(`GET ${base}/*`)!;
        expect(endpointAllowed([p], 'GET', base)).toBe(true);
        expect(endpointAllowed([p], 'GET', `${base}/${rest}`)).toBe(true);
        expect(endpointAllowed([p], 'GET', `${base}${sibling}`)).toBe(false);
      }),
    );
  });
});

type Edit = { op: 'substitute' | 'insert'; at: number; char: string } | { op: 'delete'; at: number };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constantFrom('substitute' as const, 'insert' as const),
    at: fc.nat(),
    char: fc.constantFrom(...PATH_CHARS, '/', 'A', 'é', '\u0000'),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
);

function applyEdit(path: string, e: Edit): string {
  // Position 0 (the leading slash) stays: every request path starts with one.
  const at = 1 + (e.at % (e.op === 'insert' ? path.length : path.length - 1));
  if (e.op === 'delete') return path.slice(0, at) + path.slice(at + 1);
  if (e.op === 'insert') return path.slice(0, at) + e.char + path.slice(at);
  return path.slice(0, at) + e.char + path.slice(at + 1);
}

/** What endpointAllowed compares: the path without its query string and one trailing slash. */
function normalised(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

describe('a literal path pattern', () => {
  it('matches exactly itself, with or without a query string', () => {
    fc.assert(
      fc.property(literalPath, method, fc.string({ maxLength: 30 }), (path, m, query) => {
        const p = parseEndpointPattern(`${m} ${path}`)!;
        expect(p).not.toBeNull();
        expect(endpointAllowed([p], m, path)).toBe(true);
        expect(endpointAllowed([p], m.toLowerCase(), `${path}?${query}`)).toBe(true);
        // A bare path means any method.
        expect(endpointAllowed([parseEndpointPattern(path)!], m, path)).toBe(true);
      }),
    );
  });

  it('matches nothing else: one edit to the path, another method, or another path', () => {
    fc.assert(
      fc.property(literalPath, method, edit, literalPath, (path, m, e, other) => {
        const p = parseEndpointPattern(`${m} ${path}`)!;
        const edited = applyEdit(path, e);
        // An edit that only adds a trailing slash or starts a query string names the same path.
        expect(endpointAllowed([p], m, edited)).toBe(normalised(edited) === path);
        expect(endpointAllowed([p], m, other)).toBe(other === path);
        const otherMethod = m === 'DELETE' ? 'PUT' : 'DELETE';
        expect(endpointAllowed([p], otherMethod, path)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('regex metacharacters are literal', () => {
    for (const c of ['.', '+', '^', '$', '{', '}', '(', ')', '|', '[', ']', '\\']) {
      const p = parseEndpointPattern(`GET /a${c}b`)!;
      expect(p, c).not.toBeNull();
      expect(endpointAllowed([p], 'GET', `/a${c}b`), c).toBe(true);
      for (const near of ['/ab', `/a${c}${c}b`, '/axb', '/a/b', `/aa${c}b`]) {
        expect(endpointAllowed([p], 'GET', near), `${c} ${near}`).toBe(false);
      }
    }
  });
});
