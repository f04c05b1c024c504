import { describe, expect, it } from 'vitest';
import { durationInWords, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads every unit, and a bare number as days', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('7')).toBe(7 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(parseDuration('0d')).toBe(0);
  });

  it('refuses what is not exactly a duration', () => {
    for (const text of [
      '',
      'd',
      '1.5d',
      '-1d',
      ' 1d',
      '1d ',
      '1D',
      '1 d',
      '1dd',
      '1234567d',
      '2027-01-01',
      '1e3',
    ]) {
      expect(parseDuration(text), text).toBeNull();
    }
  });
});

describe('durationInWords', () => {
  it('says a lifetime in the largest unit that divides it', () => {
    expect(durationInWords(86_400)).toBe('1 day');
    expect(durationInWords(730 * 86_400)).toBe('2 years');
    expect(durationInWords(36 * 3600)).toBe('36 hours');
    expect(durationInWords(3600)).toBe('1 hour');
    expect(durationInWords(90)).toBe('2 minutes');
    expect(durationInWords(10)).toBe('1 minute');
  });
});
