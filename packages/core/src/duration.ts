/**
 * Durations as people type them (`30d`, `12h`, `90m`, `45s`, `2w`, `1y`; a bare number is days)
 * and as people read them ("7 days", "36 hours"). The server's `expiringWithin` filter, the
 * CLI's `--expires` and the console's lifetime labels all use these, so the three agree.
 */

/** Milliseconds per unit. A year is 365 days and a week 7, as token lifetimes count them. */
export const DURATION_UNITS_MS = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
} as const;

export type DurationUnit = keyof typeof DURATION_UNITS_MS;

/** The accepted text, as a JSON Schema `pattern`: 1 to 6 digits and an optional unit. */
export const DURATION_PATTERN = '^[0-9]{1,6}[smhdwy]?$';

const DURATION = /^([0-9]{1,6})([smhdwy]?)$/;

/**
 * The length in milliseconds of a duration such as `30d`, or null when the text is not one. No
 * surrounding space, no sign, no fraction: what is accepted is exactly {@link DURATION_PATTERN},
 * less the few year counts (over 285 616) whose milliseconds are past a safe integer.
 *
 * @example
 * ```ts
 * parseDuration('12h'); // 43_200_000
 * parseDuration('7');   // 604_800_000 (a bare number is days)
 * parseDuration('1.5d'); // null
 * ```
 */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const unit = (m[2] || 'd') as DurationUnit;
  const ms = Number(m[1]) * DURATION_UNITS_MS[unit];
  return Number.isSafeInteger(ms) ? ms : null;
}

const READABLE_UNITS: ReadonlyArray<readonly [seconds: number, name: string]> = [
  [365 * 86_400, 'year'],
  [86_400, 'day'],
  [3_600, 'hour'],
];

/**
 * A lifetime in words, in the largest unit that divides it exactly (years, days, hours), else
 * whole minutes (at least one): "1 year", "730 days" is "2 years", "36 hours", "2 minutes".
 *
 * @example
 * ```ts
 * durationInWords(36 * 3600); // '36 hours'
 * ```
 */
export function durationInWords(seconds: number): string {
  for (const [size, name] of READABLE_UNITS) {
    if (seconds % size === 0) return plural(seconds / size, name);
  }
  return plural(Math.max(1, Math.round(seconds / 60)), 'minute');
}

function plural(n: number, name: string): string {
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}
