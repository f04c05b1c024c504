import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endpointAllowed, normalizeRequestPath, parseEndpointPattern } from './endpoint-pattern.js';

/**
 * Characters a canonical path segment may hold as they are, regex metacharacters included
 * (`*`, `?`, `#`, `%`, `;` and `\` excluded: wildcards, query, escapes, parameters, refused).
 */
const PATH_CHARS = [..."abcXYZ019-_~:@!$&'(),=+.^{}|[]"];
/** Escapes that stay escapes in the canonical form (upper-case hex, not unreserved). */
const KEPT_ESCAPES = ['%20', '%3A', '%C3', '%A9', '%25', '%3F', '%23', '%2A'];
const segment = fc
  .array(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PATH_CHARS) }, fc.constantFrom(...KEPT_ESCAPES)),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((units) => units.join(''))
  .filter((s) => s !== '.' && !s.includes('..'));
/** A canonical literal path: normalizeRequestPath gives it back unchanged. */
const literalPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');

/** Pieces of hostile request paths: separators, dots, escapes of all kinds, parameters. */
const HOSTILE = [
  '/',
  '//',
  '.',
  '..',
  '/../',
  '/./',
  '%2e',
  '%2E',
  '%2e%2e',
  '..%2f',
  '%2e%2e%2f',
  '%2F',
  '%5c',
  '%5C',
  '..%5c',
  '\\',
  ';',
  '..;',
  '%3B',
  '%3b',
  '%',
  '%4',
  '%41',
  '%70',
  '%25',
  '%252e',
  '%00',
  '%0a',
  '\u0000',
  ' ',
  '?',
  '#',
  'a',
  'p',
  '~',
  'é',
];
const hostilePath = fc
  .array(fc.constantFrom(...HOSTILE), { maxLength: 14 })
  .map((parts) => `/${parts.join('')}`);

/**
 * What a lax server behind a gateway might make of a request path: every escape decoded once
 * (encoded `/` and `\` included), backslashes read as slashes, `;` parameters cut off before or
 * after decoding, dot segments resolved without refusal (clamped at `/`), slashes merged. The
 * allow-list must never admit a path any of these readings puts outside the allowed prefix.
 */
function laxReadings(url: string): string[] {
  const path = url.split(/[?#]/)[0]!;
  const decode = (s: string) =>
    s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  const strip = (s: string) =>
    s
      .split('/')
      .map((seg) => seg.split(';')[0]!)
      .join('/');
  const resolve = (s: string) => {
    const out: string[] = [];
    for (const seg of s.replace(/\\/g, '/').split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
    return `/${out.join('/')}`;
  };
  return [resolve(decode(strip(path))), resolve(strip(decode(path))), resolve(decode(path))];
}

describe('normalizeRequestPath', () => {
  it('is idempotent, and its result is canonical: no empty, . or .. segment, encoded separator or control', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostilePath,
          fc.string({ maxLength: 30 }).map((s) => `/${s}`),
        ),
        (path) => {
          const n = normalizeRequestPath(path);
          if (n === null) return;
          expect(normalizeRequestPath(n)).toBe(n);
          expect(n.startsWith('/')).toBe(true);
          for (const bad of ['//', '/./', '/../', '\\', '?', '#']) expect(n, path).not.toContain(bad);
          expect(n, path).not.toMatch(/%2F|%5C|%[01][0-9A-F]|%7F|\/\.\.?$/i);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the check
          expect(n, path).not.toMatch(/[\x00-\x20\x7f]/);
          if (n !== '/') expect(n.endsWith('/'), path).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never throws on any string, and refuses whatever does not start with /', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const n = normalizeRequestPath(s);
        if (!s.startsWith('/')) expect(n).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a canonical literal path back unchanged, with or without a trailing slash or query', () => {
    fc.assert(
      fc.property(literalPath, fc.string({ maxLength: 10 }), (path, query) => {
        expect(normalizeRequestPath(path)).toBe(path);
        expect(normalizeRequestPath(`${path}/`)).toBe(path);
        expect(normalizeRequestPath(`${path}?${query}`)).toBe(path);
      }),
    );
  });
});

describe('parseEndpointPattern on hostile input', () => {
  it('never throws, and returns null or a pattern with a regex', () => {
    const shaped = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.stringMatching(/^[A-Za-z*]{0,8}\s{0,2}\/[\x20-\x7e]{0,40}$/),
      fc.stringMatching(/^(GET|POST|\*) (\/[a-z*.?()[\]{}\\+^$|%25cf]{0,6}){0,6}$/),
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

  it('a pattern containing "..", encoded or not, a backslash or an encoded separator is refused wherever it appears', () => {
    const bad = fc.constantFrom('..', '.%2e', '%2E%2e', '\\', '%2f', '%2F', '%5c', '%5C', '/./', '/%2e/');
    fc.assert(
      fc.property(literalPath, fc.nat(), method, bad, (path, at, m, b) => {
        const i = 1 + (at % path.length);
        expect(parseEndpointPattern(`${m} ${path.slice(0, i)}${b}${path.slice(i)}`)).toBeNull();
      }),
    );
  });
});

describe('a single * matches within one segment only', () => {
  it('a path matches iff no * was replaced by text containing "/"', () => {
    // Segments of literal text and stars, the last one not a bare star (a trailing /* is the
    // documented "below the prefix" form, tested below).
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
});

describe('a trailing /* (or /**) allows exactly the paths below its prefix', () => {
  // Issue 12 items 3 and 8: `/p/*` allowed `/p` itself, and `/p/../admin` (the raw URI).
  it('allowed iff the normalised path starts with "prefix/", for any hostile path', () => {
    fc.assert(
      fc.property(literalPath, fc.constantFrom('/*', '/**'), hostilePath, (base, star, rest) => {
        const p = parseEndpointPattern(`GET ${base}${star}`)!;
        const url = `${base}${rest}`;
        const n = normalizeRequestPath(url);
        expect(endpointAllowed([p], 'GET', url), url).toBe(n?.startsWith(`${base}/`) ?? false);
      }),
      { numRuns: 3000 },
    );
  });

  it('never admits a path that a lax upstream would read as outside the prefix', () => {
    // Random insertions of /../, %2e%2e, ..%2f, %5c, ..; … into paths the pattern allows.
    const insertion = fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE));
    fc.assert(
      fc.property(
        literalPath,
        literalPath,
        fc.array(insertion, { minLength: 1, maxLength: 6 }),
        (base, below, inserts) => {
          const p = parseEndpointPattern(`GET ${base}/*`)!;
          let url = `${base}${below}`;
          expect(endpointAllowed([p], 'GET', url)).toBe(true);
          for (const [at, piece] of inserts) {
            const i = 1 + (at % url.length);
            url = url.slice(0, i) + piece + url.slice(i);
          }
          if (!endpointAllowed([p], 'GET', url)) return;
          expect(normalizeRequestPath(url)!.startsWith(`${base}/`), url).toBe(true);
          // Each reading compared with the same reading of the prefix (it may decode escapes).
          const prefixes = laxReadings(base);
          laxReadings(url).forEach((reading, i) => {
            expect(reading.startsWith(`${prefixes[i]}/`), `${url} read as ${reading}`).toBe(true);
          });
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('does not allow the prefix itself, a longer sibling name, or a path above it', () => {
    fc.assert(
      fc.property(literalPath, segment, (base, sibling) => {
        const p = parseEndpointPattern(`GET ${base}/*`)!;
        expect(endpointAllowed([p], 'GET', base)).toBe(false);
        expect(endpointAllowed([p], 'GET', `${base}/`)).toBe(false);
        expect(endpointAllowed([p], 'GET', `${base}${sibling}`)).toBe(false);
        expect(endpointAllowed([p], 'GET', `${base}/${sibling}`)).toBe(true);
        expect(endpointAllowed([p], 'GET', `${base}/${sibling}/..`)).toBe(false);
        expect(endpointAllowed([p], 'GET', `${base}/${sibling}/../..`)).toBe(false);
      }),
    );
  });
});

type Edit = { op: 'substitute' | 'insert'; at: number; char: string } | { op: 'delete'; at: number };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constantFrom('substitute' as const, 'insert' as const),
    at: fc.nat(),
    char: fc.constantFrom(...PATH_CHARS, '/', 'A', 'é', '\u0000', '%', '\\', ';', '?'),
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
        // An edit that only adds a trailing slash, a dot segment or starts a query string names
        // the same path.
        expect(endpointAllowed([p], m, edited), edited).toBe(normalizeRequestPath(edited) === path);
        expect(endpointAllowed([p], m, other)).toBe(other === path);
        const otherMethod = m === 'DELETE' ? 'PUT' : 'DELETE';
        expect(endpointAllowed([p], otherMethod, path)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('regex metacharacters are literal', () => {
    for (const c of ['.', '+', '^', '$', '{', '}', '(', ')', '|', '[', ']']) {
      const p = parseEndpointPattern(`GET /a${c}b`)!;
      expect(p, c).not.toBeNull();
      expect(endpointAllowed([p], 'GET', `/a${c}b`), c).toBe(true);
      for (const near of ['/ab', `/a${c}${c}b`, '/axb', '/a/b', `/aa${c}b`]) {
        expect(endpointAllowed([p], 'GET', near), `${c} ${near}`).toBe(false);
      }
    }
  });
});
