/**
 * A LIKE pattern for "contains". SQLite and PostgreSQL disagree on LIKE's escape character,
 * so instead of escaping, `%` and `\` are dropped; `_` keeps its one-character wildcard
 * meaning, which can only widen a search, never hide a row.
 */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%]/g, '')}%`;
}
