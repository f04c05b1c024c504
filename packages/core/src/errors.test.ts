import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERRORS } from './errors.js';

describe('error registry', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

  it('every code is documented in docs/errors.md with its status and number', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${spec.status}\\s*\\|\\s*${spec.number}\\s*\\|`);
      expect(doc, code).toMatch(row);
    }
  });

  it('numbers and codes are unique, and statuses are HTTP error statuses', () => {
    const numbers = Object.values(ERRORS).map((e) => e.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const e of Object.values(ERRORS)) expect(e.status).toBeGreaterThanOrEqual(400);
  });

  it('AppError renders the SPEC §4 body', () => {
    expect(new AppError('not_found').toBody()).toEqual({
      errorCode: 4000,
      errorMessage: 'The resource was not found.',
      code: 'not_found',
    });
  });
});
