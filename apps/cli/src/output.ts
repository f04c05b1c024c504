/** Output helpers: tables for people, JSON for scripts. Data goes to stdout, messages to stderr. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A compact date for tables: `2026-11-22 13:05`. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').slice(0, 16);
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/**
 * Prints rows with a header: aligned columns for a terminal; when stdout is a pipe or a file,
 * plain tab-separated lines (no padding, no "(none)" line) that `cut -f` and `awk -F'\t'` read.
 */
export function printTable(headers: string[], rows: unknown[][]): void {
  const cells = rows.map((r) => r.map(cell));
  if (!process.stdout.isTTY) {
    for (const r of [headers, ...cells]) process.stdout.write(`${r.join('\t')}\n`);
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const r of cells) process.stdout.write(`${line(r)}\n`);
  if (rows.length === 0) process.stdout.write('(none)\n');
}

/** Prints an object as `key: value` lines. */
export function printRecord(entries: Array<[string, unknown]>): void {
  const width = Math.max(...entries.map(([k]) => k.length));
  for (const [k, v] of entries) process.stdout.write(`${`${k}:`.padEnd(width + 2)}${cell(v)}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}
