import type { Limits } from '@tokenward/client/api';
import { durationInWords } from '@tokenward/core/duration';

/** One kind of token's lifetime policy (app tokens or personal tokens). */
export type LifetimeLimits = Limits['appToken'];

/**
 * Expiration choices of the grant and create dialogs. The server refuses a lifetime beyond the
 * instance maximum (it never cuts it silently), so the console offers only what will be accepted
 * and says why the rest is not offered.
 */

export const DAY_SECONDS = 86_400;

/** Used until the server tells its own limits (GET /api/v1/settings/limits). */
export const DEFAULT_LIMITS: Limits = {
  appToken: { defaultTtlSeconds: 365 * DAY_SECONDS, maxTtlSeconds: 730 * DAY_SECONDS },
  personal: { defaultTtlSeconds: 90 * DAY_SECONDS, maxTtlSeconds: 365 * DAY_SECONDS },
};

const CANDIDATE_DAYS = [7, 30, 60, 90, 180, 365, 730];

export interface ExpirationPreset {
  ttlSeconds: number;
  label: string;
  isDefault: boolean;
  isMaximum: boolean;
}

export type ExpirationChoice = { kind: 'preset'; ttlSeconds: number } | { kind: 'date'; date: string };

export type ExpirationResult = { ok: true; expiresAtMs: number } | { ok: false; error: string };

/** "7 days", "1 year", "2 years", "36 hours": the words the CLI and the server use too. */
export const formatDuration = durationInWords;

/** The presets that fit the limits: common lifetimes up to the maximum, plus default and maximum. */
export function expirationPresets(limits: LifetimeLimits): ExpirationPreset[] {
  const seconds = new Set<number>();
  for (const days of CANDIDATE_DAYS) {
    if (days * DAY_SECONDS <= limits.maxTtlSeconds) seconds.add(days * DAY_SECONDS);
  }
  if (limits.defaultTtlSeconds <= limits.maxTtlSeconds) seconds.add(limits.defaultTtlSeconds);
  seconds.add(limits.maxTtlSeconds);
  return [...seconds]
    .sort((a, b) => a - b)
    .map((ttlSeconds) => {
      const isDefault = ttlSeconds === limits.defaultTtlSeconds;
      const isMaximum = ttlSeconds === limits.maxTtlSeconds;
      const notes = [isDefault ? 'default' : '', isMaximum ? 'maximum' : ''].filter(Boolean);
      return {
        ttlSeconds,
        isDefault,
        isMaximum,
        label: `${formatDuration(ttlSeconds)}${notes.length ? ` (${notes.join(', ')})` : ''}`,
      };
    });
}

/** The preset chosen when a dialog opens: the instance default, or the longest allowed. */
export function defaultChoice(limits: LifetimeLimits): ExpirationChoice {
  return { kind: 'preset', ttlSeconds: Math.min(limits.defaultTtlSeconds, limits.maxTtlSeconds) };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A date input's value (YYYY-MM-DD) for a moment, in the browser's time zone. */
export function dateInputValue(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The earliest and latest dates the date picker offers: tomorrow to the maximum lifetime. */
export function dateBounds(nowMs: number, limits: LifetimeLimits): { min: string; max: string } {
  const tomorrow = new Date(nowMs);
  tomorrow.setDate(tomorrow.getDate() + 1);
  return {
    min: dateInputValue(tomorrow.getTime()),
    max: dateInputValue(nowMs + limits.maxTtlSeconds * 1000),
  };
}

export function formatDate(ms: number): string {
  return new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }).format(ms);
}

/** Says what the limit is, for the dialog's help text. */
export function limitExplanation(limits: LifetimeLimits, what: string, nowMs: number): string {
  return `This instance lets ${what} live at most ${formatDuration(limits.maxTtlSeconds)}, so the latest possible expiration is ${formatDate(nowMs + limits.maxTtlSeconds * 1000)}. An administrator sets this limit.`;
}

/**
 * The expiry moment of a choice, or why it cannot be granted. A picked date expires at the
 * current time of day on that date, so picking the last allowed date means "the maximum".
 */
export function resolveExpiration(
  choice: ExpirationChoice,
  nowMs: number,
  limits: LifetimeLimits,
  what = 'tokens',
): ExpirationResult {
  const maxMs = nowMs + limits.maxTtlSeconds * 1000;
  const tooLong = `This instance lets ${what} live at most ${formatDuration(limits.maxTtlSeconds)}: choose ${formatDate(maxMs)} or earlier.`;
  if (choice.kind === 'preset') {
    if (!(choice.ttlSeconds > 0)) return { ok: false, error: 'Choose when the token expires.' };
    if (choice.ttlSeconds > limits.maxTtlSeconds) return { ok: false, error: tooLong };
    return { ok: true, expiresAtMs: nowMs + choice.ttlSeconds * 1000 };
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(choice.date.trim());
  if (!m) return { ok: false, error: 'Enter the expiration date (year, month and day).' };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const now = new Date(nowMs);
  const at = new Date(
    year,
    month - 1,
    day,
    now.getHours(),
    now.getMinutes(),
    now.getSeconds(),
    now.getMilliseconds(),
  );
  if (at.getFullYear() !== year || at.getMonth() !== month - 1 || at.getDate() !== day) {
    return { ok: false, error: 'That date does not exist.' };
  }
  let expiresAtMs = at.getTime();
  // A daylight-saving change can move "same time of day" an hour past the exact maximum.
  if (choice.date === dateInputValue(maxMs)) expiresAtMs = Math.min(expiresAtMs, maxMs);
  if (expiresAtMs <= nowMs)
    return { ok: false, error: 'The expiration must be in the future: choose tomorrow or later.' };
  if (expiresAtMs > maxMs) return { ok: false, error: tooLong };
  return { ok: true, expiresAtMs };
}
