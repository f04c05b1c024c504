import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  DURATION_UNITS_MS,
  type DurationUnit,
  durationInWords,
  parseDuration,
} from './duration.js';

const units = Object.keys(DURATION_UNITS_MS) as DurationUnit[];

describe('parseDuration against its grammar', () => {
  it('a number and a unit is that many units (no unit: days), or null past a safe integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(...units, ''), (n, unit) => {
        const exact = n * DURATION_UNITS_MS[unit === '' ? 'd' : unit];
        expect(parseDuration(`${n}${unit}`)).toBe(Number.isSafeInteger(exact) ? exact : null);
      }),
    );
  });

  it('accepts only strings that match DURATION_PATTERN, and every such string short of years', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    const text = fc.oneof(fc.string(), fc.stringMatching(/^-?[0-9]{0,8}[smhdwyx. ]?[0-9a-z]?$/));
    fc.assert(
      fc.property(text, (t) => {
        const ms = parseDuration(t);
        if (ms !== null) expect(pattern.test(t)).toBe(true);
        else if (!t.endsWith('y')) expect(pattern.test(t)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('durationInWords reads back', () => {
  it('a whole number of hours, days or years is said exactly, in a unit parseDuration reads', () => {
    const back: Record<string, DurationUnit> = { hour: 'h', day: 'd', year: 'y' };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('h', 'd', 'y'), (n, unit) => {
        const seconds = (n * DURATION_UNITS_MS[unit as DurationUnit]) / 1000;
        const m = /^(\d+) (hour|day|year)s?$/.exec(durationInWords(seconds));
        expect(m).not.toBeNull();
        expect(parseDuration(`${m![1]}${back[m![2]!]}`)).toBe(seconds * 1000);
      }),
    );
  });
});
