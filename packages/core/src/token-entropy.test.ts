import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateEntropyBits, generateToken, MIN_IMPORT_ENTROPY_BITS } from './token-format.js';

describe('estimateEntropyBits', () => {
  it('accepts values made by a CSPRNG in the usual encodings', () => {
    expect(estimateEntropyBits(generateToken('app'))).toBeGreaterThan(250);
    expect(estimateEntropyBits(randomBytes(32).toString('hex'))).toBeGreaterThan(MIN_IMPORT_ENTROPY_BITS);
    expect(estimateEntropyBits(randomBytes(32).toString('base64url'))).toBeGreaterThan(
      MIN_IMPORT_ENTROPY_BITS,
    );
    expect(estimateEntropyBits(randomUUID())).toBeGreaterThan(MIN_IMPORT_ENTROPY_BITS);
  });

  // Issue 12 item 6: `{"Token":"aaaaaaaaaaaaaaaa"}` was imported and then authenticated.
  it('refuses repeated, patterned and dictionary-like values', () => {
    for (const weak of [
      'aaaaaaaaaaaaaaaa',
      'a'.repeat(4096),
      'ab'.repeat(40),
      'password1234567890',
      '0123456789abcdef',
      'abcdefghijklmnopqrstuvwxyz',
      '1111111111111111111111111111111111111111',
    ]) {
      expect(estimateEntropyBits(weak), weak.slice(0, 20)).toBeLessThan(MIN_IMPORT_ENTROPY_BITS);
    }
  });

  it('never exceeds the length times log2 of the printable alphabet, and is 0 for one repeated character', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'binary-ascii' }), (s) => {
        expect(estimateEntropyBits(s)).toBeLessThanOrEqual(s.length * Math.log2(94) + 1e-9);
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...'aZ9-_'), fc.integer({ min: 1, max: 500 }), (c, n) => {
        expect(estimateEntropyBits(c.repeat(n))).toBe(0);
      }),
    );
  });
});
