import { parseDuration } from '@tokenward/core';
import { InvalidArgumentError } from 'commander';

/** Commander parser for a positive integer id. */
export function parseId(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('must be a positive integer.');
  }
  return Number(value);
}

export function parseCount(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** Collects a repeatable option; each value may also be comma-separated. */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** A repeatable option whose values may contain commas (endpoint patterns). */
export function collectRaw(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `--expires`: a duration from now (`30d`, `12h`, `90m`, `2w`, `1y`, @tokenward/core's
 * grammar) or a date; ISO 8601 out.
 */
export function parseWhen(value: string): string {
  const ms = parseDuration(value.trim());
  if (ms !== null) return new Date(Date.now() + ms).toISOString();
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim()) || !Number.isFinite(at)) {
    throw new InvalidArgumentError('use a duration such as 30d, 12h, 2w, 1y, or a date such as 2027-01-31.');
  }
  return new Date(at).toISOString();
}
