import { describe, expect, it } from 'vitest';
import { parseDateInput } from './dates.js';

describe('parseDateInput', () => {
  it.each([
    ['2026-05-22T12:00:00Z', Date.UTC(2026, 4, 22, 12)],
    ['2026-05-22T12:00:00.1234567+00:00', Date.UTC(2026, 4, 22, 12, 0, 0, 123)],
    ['2026-05-22', Date.UTC(2026, 4, 22)],
    ['/Date(1633106933000)/', 1633106933000],
    ['\\/Date(1633106933000)\\/'.replace(/\\/g, ''), 1633106933000],
    ['/Date(1633106933000+0100)/', 1633106933000],
    [1633106933, 1633106933000],
    [1633106933000, 1633106933000],
    ['1633106933', 1633106933000],
    [{ value: '/Date(1633106933000)/', DisplayHint: 2 }, 1633106933000],
  ])('accepts %j', (input, expected) => {
    expect(parseDateInput(input)).toBe(expected);
  });

  it.each([
    'yesterday',
    '',
    '2026-13-01',
    '2026-02-30T25:00:00Z',
    '/Date(abc)/',
    -5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    true,
    [],
    { other: 1 },
    'x'.repeat(10_000),
    '99999-01-01',
  ])('rejects %j', (input) => {
    expect(parseDateInput(input)).toBeNull();
  });
});
