/** The endpoint allow-list as typed in the grant dialog: one `METHOD /path` per line. */

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*']);
const ENTRY = /^([A-Za-z*]+)\s+(\/[\x21-\x7e]{0,511})$/;

export type EndpointsResult = { ok: true; endpoints: string[] } | { ok: false; error: string };

/** Mirrors the server's rule so mistakes are shown before the request is sent. */
export function parseEndpointsInput(text: string): EndpointsResult {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (lines.length === 0)
    return { ok: false, error: 'Enter at least one endpoint, or allow every endpoint.' };
  if (lines.length > 100) return { ok: false, error: 'At most 100 endpoints.' };
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const entry = /^\//.test(line) ? `* ${line}` : line;
    const m = ENTRY.exec(entry);
    const method = m?.[1]?.toUpperCase();
    const path = m?.[2];
    if (!m || !method || !path || !METHODS.has(method) || /[?#]|\.\./.test(path)) {
      return {
        ok: false,
        error: `Line ${i + 1} ("${line.slice(0, 60)}") is not "METHOD /path": for example GET /api/orders/*.`,
      };
    }
    out.push(`${method} ${path}`);
  }
  return { ok: true, endpoints: [...new Set(out)] };
}
