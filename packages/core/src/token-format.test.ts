import { describe, expect, it } from 'vitest';
import { generateToken, parseToken } from './token-format.js';

describe('token format', () => {
  it('generates URL-safe tokens with prefix, kind, 256 random bits and a checksum', () => {
    const t = generateToken('app');
    expect(t).toMatch(/^tw_app_[A-Za-z0-9_-]{43}[0-9A-Za-z]{6}$/);
    expect(parseToken(t)).toEqual({ format: 'opaque', kind: 'app' });
    expect(parseToken(generateToken('personal'))).toEqual({ format: 'opaque', kind: 'personal' });
    expect(parseToken(generateToken('refresh', 'acme_'), 'acme_')).toEqual({
      format: 'opaque',
      kind: 'refresh',
    });
  });

  it('two tokens never repeat', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateToken('app')));
    expect(seen.size).toBe(1000);
  });

  it('a single changed character is caught by the checksum', () => {
    const t = generateToken('app');
    for (let i = 7; i < t.length; i++) {
      const c = t[i] === 'A' ? 'B' : 'A';
      const typo = t.slice(0, i) + c + t.slice(i + 1);
      expect(parseToken(typo).format).toBe('bad_checksum');
    }
  });

  it('truncated or extended tokens are rejected, foreign values are classified', () => {
    const t = generateToken('app');
    expect(parseToken(t.slice(0, -1)).format).toBe('bad_checksum');
    expect(parseToken(`${t}x`).format).toBe('bad_checksum');
    expect(parseToken('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc').format).toBe('jwt');
    expect(parseToken('some-legacy-value').format).toBe('foreign');
    expect(parseToken('tw_unknown_abc').format).toBe('foreign');
  });
});
