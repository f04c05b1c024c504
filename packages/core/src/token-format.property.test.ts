import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateToken, type OpaqueTokenKind, PREFIX_PATTERN, parseToken } from './token-format.js';

const KINDS: OpaqueTokenKind[] = ['app', 'personal', 'refresh', 'access'];
const FORMATS = new Set(['opaque', 'bad_checksum', 'jwt', 'foreign']);
const kind = fc.constantFrom(...KINDS);
const prefix = fc.stringMatching(/^[a-z][a-z0-9]{0,15}_$/);
/** Characters a mutation may put into a token: URL-safe ones, and some that are not. */
const anyChar = fc.oneof(
  fc.constantFrom(...'ABCxyz019_-.~+/= %\u0000\u00e9\u{1F600}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

// fast-check 4 has no fullUnicodeString: `unit: 'binary'` draws any code point, and
// 'grapheme' draws multi-code-point characters.
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  // Near-valid shapes: the right prefix and tag with a body of the wrong length or alphabet.
  fc.stringMatching(/^tw_(app|pat|rt|at|xx)_[A-Za-z0-9_.=+/-]{0,60}$/),
  fc.stringMatching(/^[a-z]{1,6}_(app|pat|rt)_[A-Za-z0-9_-]{49}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}\.[A-Za-z0-9_-]{0,20}(\.[A-Za-z0-9_-]{0,20})?$/),
);

describe('parseToken on hostile input', () => {
  it('never throws and always returns one of the four formats', () => {
    fc.assert(
      fc.property(hostileString, fc.option(prefix, { nil: undefined }), (value, p) => {
        const parsed = p === undefined ? parseToken(value) : parseToken(value, p);
        expect(FORMATS.has(parsed.format)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a value of the right shape with a random checksum is refused as bad_checksum', () => {
    // The chance that 6 random base62 characters are the right checksum is about 1 in 5.7e10.
    fc.assert(
      fc.property(fc.stringMatching(/^tw_(app|pat|rt|at)_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}$/), (value) => {
        expect(parseToken(value).format).toBe('bad_checksum');
      }),
    );
  });
});

describe('generated tokens', () => {
  it('parse as opaque tokens of their own kind, with any valid prefix', () => {
    fc.assert(
      fc.property(kind, prefix, (k, p) => {
        expect(PREFIX_PATTERN.test(p)).toBe(true);
        expect(parseToken(generateToken(k, p), p)).toEqual({ format: 'opaque', kind: k });
      }),
    );
  });

  it('contain only URL-safe characters and a 43-character (256-bit) random part', () => {
    fc.assert(
      fc.property(kind, prefix, (k, p) => {
        const token = generateToken(k, p);
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        const random = token.slice(token.indexOf('_', p.length) + 1, -6);
        expect(random).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(Buffer.from(random, 'base64url').length).toBe(32);
      }),
    );
  });

  it('every one of the 256 random bits varies between tokens', () => {
    // With 400 tokens a fair bit is set between 100 and 300 times except with odds below 1e-20.
    const counts = new Array<number>(256).fill(0);
    const n = 400;
    for (let i = 0; i < n; i++) {
      const t = generateToken('app');
      const bytes = Buffer.from(t.slice('tw_app_'.length, -6), 'base64url');
      for (let bit = 0; bit < 256; bit++) if (bytes[bit >> 3]! & (1 << (bit & 7))) counts[bit]!++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(n / 4);
    expect(Math.max(...counts)).toBeLessThan((3 * n) / 4);
  });
});

type Mutation =
  | { op: 'substitute'; at: number; char: string }
  | { op: 'delete'; at: number }
  | { op: 'insert'; at: number; char: string }
  | { op: 'transpose'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('substitute' as const), at: fc.nat(), char: anyChar }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), char: anyChar }),
  fc.record({ op: fc.constant('transpose' as const), at: fc.nat() }),
);

function apply(token: string, m: Mutation): string {
  switch (m.op) {
    case 'substitute': {
      const at = m.at % token.length;
      return token.slice(0, at) + m.char + token.slice(at + 1);
    }
    case 'delete': {
      const at = m.at % token.length;
      return token.slice(0, at) + token.slice(at + 1);
    }
    case 'insert': {
      const at = m.at % (token.length + 1);
      return token.slice(0, at) + m.char + token.slice(at);
    }
    case 'transpose': {
      const at = m.at % (token.length - 1);
      return token.slice(0, at) + token[at + 1] + token[at] + token.slice(at + 2);
    }
  }
}

describe('one typo in a valid token', () => {
  it('a substitution, deletion, insertion or transposition is bad_checksum or foreign, never opaque', () => {
    fc.assert(
      fc.property(kind, prefix, mutation, (k, p, m) => {
        const token = generateToken(k, p);
        const typo = apply(token, m);
        // Substituting a character by itself or swapping two equal ones is no typo.
        fc.pre(typo !== token);
        const format = parseToken(typo, p).format;
        expect(['bad_checksum', 'foreign']).toContain(format);
      }),
      { numRuns: 3000 },
    );
  });
});
