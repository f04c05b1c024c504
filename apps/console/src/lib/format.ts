/** Dates and small texts as people read them; the exact ISO moment goes in a `title`. */

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? dateOnly.format(ms) : iso;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? dateTime.format(ms) : iso;
}

/** "in 3 days", "2 hours ago", "yesterday". */
export function formatRelative(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const diffSeconds = (ms - nowMs) / 1000;
  const abs = Math.abs(diffSeconds);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) return relative.format(Math.round(diffSeconds / size), unit);
  }
  return relative.format(Math.round(diffSeconds), 'second');
}

/** A short browser description from a User-Agent header. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return 'Unknown';
  const browser =
    /Edg\/(\d+)/.exec(ua)?.[0].replace('Edg', 'Edge') ??
    /(?:Chrome|Chromium)\/(\d+)/.exec(ua)?.[0] ??
    /Firefox\/(\d+)/.exec(ua)?.[0] ??
    (/Safari\//.test(ua) ? 'Safari' : null);
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser) return os ? `${browser.replace('/', ' ')} on ${os}` : browser.replace('/', ' ');
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}

/** A token as people can tell it apart: its name and the last characters of its value. */
export function tokenLabel(t: { name: string; hint: string }): string {
  return t.name ? `“${t.name}” (…${t.hint})` : `…${t.hint}`;
}
