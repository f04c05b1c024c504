/**
 * Endpoint allow-lists: entries of the form `METHOD /path/pattern`, where METHOD is an HTTP
 * method or `*`, and `*` in the path matches any run of characters within one segment while a
 * trailing `/*` (or `/**`) matches the rest of the path. Matching is case-insensitive on the
 * method, case-sensitive on the path, and ignores the query string.
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*']);
const ENTRY_PATTERN = /^([A-Za-z*]+)\s+(\/[\x21-\x7e]{0,511})$/;

export interface EndpointPattern {
  method: string;
  source: string;
  regex: RegExp;
}

export function parseEndpointPattern(entry: string): EndpointPattern | null {
  const m = ENTRY_PATTERN.exec(entry.trim());
  if (!m) {
    // A bare path means any method.
    if (/^\/[\x21-\x7e]{0,511}$/.test(entry.trim())) return parseEndpointPattern(`* ${entry.trim()}`);
    return null;
  }
  const method = m[1]!.toUpperCase();
  if (!METHODS.has(method)) return null;
  const path = m[2]!;
  if (path.includes('?') || path.includes('#') || path.includes('..')) return null;
  // Request paths are compared without a trailing slash; so are patterns.
  let body = path.length > 1 && path.endsWith('/') && !path.endsWith('*/') ? path.slice(0, -1) : path;
  let tail = '';
  if (body.endsWith('/**')) {
    body = body.slice(0, -3);
    tail = '(?:/.*)?';
  } else if (body.endsWith('/*')) {
    body = body.slice(0, -2);
    tail = '(?:/.*)?';
  }
  const escaped = body
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return { method, source: `${method} ${path}`, regex: new RegExp(`^${escaped}${tail}$`) };
}

/** Normalises a list of entries; returns null if any entry is invalid. */
export function parseEndpointPatterns(entries: readonly string[]): EndpointPattern[] | null {
  const out: EndpointPattern[] = [];
  for (const e of entries) {
    const p = parseEndpointPattern(e);
    if (!p) return null;
    out.push(p);
  }
  return out;
}

export function endpointAllowed(patterns: readonly EndpointPattern[], method: string, url: string): boolean {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const m = method.toUpperCase();
  for (const p of patterns) {
    if ((p.method === '*' || p.method === m || (p.method === 'GET' && m === 'HEAD')) && p.regex.test(path))
      return true;
  }
  return false;
}
