import { describe, expect, it } from 'vitest';
import {
  DAY_SECONDS,
  DEFAULT_LIMITS,
  dateBounds,
  dateInputValue,
  defaultChoice,
  expirationPresets,
  formatDuration,
  resolveExpiration,
} from './expiration';

const DAY_MS = DAY_SECONDS * 1000;
// A fixed moment in the local time zone, mid-day so no date boundary is near.
const NOW = new Date(2026, 10, 22, 12, 30, 0, 0).getTime();
const app = DEFAULT_LIMITS.appToken;
const personal = DEFAULT_LIMITS.personal;

describe('expiration presets', () => {
  it('offer common lifetimes up to the maximum, marking the default and the maximum', () => {
    expect(expirationPresets(app).map((p) => p.label)).toEqual([
      '7 days',
      '30 days',
      '60 days',
      '90 days',
      '180 days',
      '1 year (default)',
      '2 years (maximum)',
    ]);
    expect(expirationPresets(personal).map((p) => p.label)).toEqual([
      '7 days',
      '30 days',
      '60 days',
      '90 days (default)',
      '180 days',
      '1 year (maximum)',
    ]);
  });

  it('never offer a lifetime beyond a stricter maximum, and add the odd maximum itself', () => {
    const strict = { defaultTtlSeconds: 14 * DAY_SECONDS, maxTtlSeconds: 45 * DAY_SECONDS };
    const presets = expirationPresets(strict);
    expect(presets.map((p) => p.ttlSeconds / DAY_SECONDS)).toEqual([7, 14, 30, 45]);
    expect(presets.every((p) => p.ttlSeconds <= strict.maxTtlSeconds)).toBe(true);
    expect(presets.find((p) => p.isDefault)?.label).toBe('14 days (default)');
    expect(presets.at(-1)?.label).toBe('45 days (maximum)');
  });

  it('label a default that is also the maximum once', () => {
    const same = { defaultTtlSeconds: 30 * DAY_SECONDS, maxTtlSeconds: 30 * DAY_SECONDS };
    expect(expirationPresets(same).at(-1)?.label).toBe('30 days (default, maximum)');
  });

  it('start at the default, or at the maximum when a misconfigured default exceeds it', () => {
    expect(defaultChoice(app)).toEqual({ kind: 'preset', ttlSeconds: 365 * DAY_SECONDS });
    expect(defaultChoice({ defaultTtlSeconds: 90 * DAY_SECONDS, maxTtlSeconds: 30 * DAY_SECONDS })).toEqual({
      kind: 'preset',
      ttlSeconds: 30 * DAY_SECONDS,
    });
  });

  it('read as people say durations', () => {
    expect(formatDuration(DAY_SECONDS)).toBe('1 day');
    expect(formatDuration(730 * DAY_SECONDS)).toBe('2 years');
    expect(formatDuration(36 * 3600)).toBe('36 hours');
    expect(formatDuration(90)).toBe('2 minutes');
  });
});

describe('resolveExpiration', () => {
  it('a preset expires that long from now', () => {
    expect(resolveExpiration({ kind: 'preset', ttlSeconds: 30 * DAY_SECONDS }, NOW, app)).toEqual({
      ok: true,
      expiresAtMs: NOW + 30 * DAY_MS,
    });
  });

  it('a preset beyond the maximum is refused with the limit named', () => {
    const r = resolveExpiration({ kind: 'preset', ttlSeconds: 800 * DAY_SECONDS }, NOW, app, 'app tokens');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatch(/^This instance lets app tokens live at most 2 years: choose .+ or earlier\.$/);
  });

  it('a picked date expires at the current time of day on that date', () => {
    const r = resolveExpiration({ kind: 'date', date: '2027-01-15' }, NOW, app);
    expect(r).toEqual({ ok: true, expiresAtMs: new Date(2027, 0, 15, 12, 30).getTime() });
  });

  it('the last date the picker allows is exactly the maximum, and the day after is refused', () => {
    const { max } = dateBounds(NOW, app);
    expect(max).toBe(dateInputValue(NOW + 730 * DAY_MS));
    const last = resolveExpiration({ kind: 'date', date: max }, NOW, app);
    expect(last.ok).toBe(true);
    if (last.ok) expect(last.expiresAtMs).toBeLessThanOrEqual(NOW + 730 * DAY_MS);
    const after = new Date(NOW + 731 * DAY_MS);
    const r = resolveExpiration(
      { kind: 'date', date: dateInputValue(after.getTime()) },
      NOW,
      app,
      'app tokens',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('at most 2 years');
  });

  it('today and past dates are refused: a token must outlive its grant', () => {
    for (const date of [dateInputValue(NOW), '2020-01-01']) {
      const r = resolveExpiration({ kind: 'date', date }, NOW, app);
      expect(r).toEqual({
        ok: false,
        error: 'The expiration must be in the future: choose tomorrow or later.',
      });
    }
    expect(dateBounds(NOW, app).min).toBe(dateInputValue(NOW + DAY_MS));
  });

  it('empty and impossible dates are refused with their own message', () => {
    expect(resolveExpiration({ kind: 'date', date: '' }, NOW, app)).toEqual({
      ok: false,
      error: 'Enter the expiration date (year, month and day).',
    });
    expect(resolveExpiration({ kind: 'date', date: '2027-02-30' }, NOW, app)).toEqual({
      ok: false,
      error: 'That date does not exist.',
    });
  });

  it('personal tokens use their own, shorter maximum', () => {
    const r = resolveExpiration(
      { kind: 'preset', ttlSeconds: 730 * DAY_SECONDS },
      NOW,
      personal,
      'personal tokens',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('personal tokens live at most 1 year');
  });
});
