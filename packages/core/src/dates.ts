/**
 * Parses the date forms clients send: ISO 8601 strings, the `/Date(ms)/` form that Windows
 * PowerShell's ConvertTo-Json writes (optionally with an offset, `/Date(ms+0100)/`), the
 * object `{ value: "/Date(ms)/" }` it writes for dates carrying a DisplayHint, and numbers
 * (epoch seconds, or milliseconds when large). Returns epoch milliseconds, or null.
 */
export function parseDateInput(input: unknown): number | null {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return null;
    // Numbers below 10^11 are seconds (until year 5138); larger ones are milliseconds.
    const ms = input < 1e11 ? input * 1000 : input;
    return ms <= MAX_DATE_MS ? Math.trunc(ms) : null;
  }
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const record = input as Record<string, unknown>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === 'value');
    const inner = key === undefined ? undefined : record[key];
    // PowerShell writes one level of wrapper: a wrapper inside one is refused, not unwrapped,
    // so a body nesting it 10 000 deep cannot exhaust the stack (a 500 before this guard).
    return inner !== null && typeof inner === 'object' ? null : parseDateInput(inner);
  }
  if (typeof input !== 'string') return null;
  const text = input.trim();
  if (text.length === 0 || text.length > 64) return null;
  const ms = /^\/?Date\((-?\d{1,15})([+-]\d{4})?\)\/?$/.exec(text);
  if (ms) {
    const value = Number(ms[1]);
    return value >= 0 && value <= MAX_DATE_MS ? value : null;
  }
  if (/^\d{1,12}$/.test(text)) return parseDateInput(Number(text));
  if (!ISO_PATTERN.test(text)) return null;
  const value = Date.parse(text);
  return Number.isFinite(value) && value >= 0 && value <= MAX_DATE_MS ? value : null;
}

// Calendar dates with optional time, fractional seconds (PowerShell writes 7 digits) and zone.
const ISO_PATTERN =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$/;

/** 9999-12-31T23:59:59Z: nothing later is a meaningful expiry. */
export const MAX_DATE_MS = 253402300799000;

export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
