import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DATE_MS, parseDateInput } from './dates.js';

/** What parseDateInput may return: null, or whole milliseconds between 1970 and 9999. */
function expectInRange(result: number | null): void {
  if (result === null) return;
  expect(Number.isInteger(result)).toBe(true);
  expect(result).toBeGreaterThanOrEqual(0);
  expect(result).toBeLessThanOrEqual(MAX_DATE_MS);
}

const validMs = fc.integer({ min: 0, max: MAX_DATE_MS });

describe('parseDateInput on hostile input', () => {
  it('never throws on anything, and returns null or an integer in range', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true }),
        (input) => {
          expectInRange(parseDateInput(input));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws on numbers, strings or date-shaped strings', () => {
    const dateShaped = fc.oneof(
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?(Z|[+-]\d{2}:?\d{2})?)?$/),
      fc.stringMatching(/^\/?Date\(-?\d{0,20}([+-]\d{0,5})?\)\/?$/),
      fc.stringMatching(/^\s*\d{0,20}\s*$/),
    );
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.string({ unit: 'binary' }), dateShaped), (input) => {
        expectInRange(parseDateInput(input));
      }),
      { numRuns: 1000 },
    );
  });

  it("PowerShell's { value: … } wrapper nested 10 000 deep is refused, not a stack overflow", () => {
    // Regression guard: the wrapper was unwrapped recursively, and an `expiration` nested
    // 10 000 deep in a request body threw RangeError (HTTP 500 on POST /PersonalTokens).
    let nested: unknown = '/Date(1633106933000)/';
    for (let i = 0; i < 10_000; i++) nested = { value: nested };
    expect(parseDateInput(nested)).toBeNull();
    expect(parseDateInput({ value: { value: '/Date(1633106933000)/' } })).toBeNull();
  });
});

describe('parseDateInput round trips', () => {
  it('an ISO 8601 string of any instant in range gives that instant back', () => {
    fc.assert(
      fc.property(validMs, (ms) => {
        expect(parseDateInput(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });

  it('the /Date(ms)/ form gives its milliseconds back', () => {
    fc.assert(
      fc.property(validMs, (ms) => {
        expect(parseDateInput(`/Date(${ms})/`)).toBe(ms);
        expect(parseDateInput(`Date(${ms})`)).toBe(ms);
        expect(parseDateInput({ value: `/Date(${ms})/`, DisplayHint: 2 })).toBe(ms);
      }),
    );
  });

  it('integers below 1e11 are epoch seconds, as numbers and as digit strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e11 - 1 }), (seconds) => {
        expect(parseDateInput(seconds)).toBe(seconds * 1000);
        expect(parseDateInput(String(seconds))).toBe(seconds * 1000);
      }),
    );
  });

  it('numbers from 1e11 up are milliseconds, and beyond year 9999 are refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1e11, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseDateInput(n)).toBe(n <= MAX_DATE_MS ? n : null);
      }),
    );
  });
});
