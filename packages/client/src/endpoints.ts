/**
 * A token's endpoint allow-list (`scope: custom`): entries `METHOD /path`, METHOD an HTTP
 * method or `*`; `*` matches within one path segment, a trailing `/*` or `/**` the rest of the
 * path. Method compared case-insensitively, path case-sensitively, query string ignored — the
 * same rules the Tokenward server applies to its own API.
 */
interface CompiledEndpoint {
  method: string;
  regex: RegExp;
}

function compile(entry: string): CompiledEndpoint | null {
  const text = entry.trim();
  const m = /^([A-Za-z*]+)\s+(\/\S*)$/.exec(text) ?? (/^\/\S*$/.test(text) ? [text, '*', text] : null);
  if (!m) return null;
  let body = m[2]!;
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
  return { method: m[1]!.toUpperCase(), regex: new RegExp(`^${escaped}${tail}$`) };
}

/**
 * Whether a request (method and URL path, query allowed) is within an allow-list. An entry
 * that cannot be parsed allows nothing.
 *
 * @example
 * ```ts
 * endpointAllowed(['GET /invoices/*'], 'GET', '/invoices/42?full=1'); // true
 * endpointAllowed(['GET /invoices/*'], 'POST', '/invoices');          // false
 * ```
 */
export function endpointAllowed(entries: readonly string[], method: string, url: string): boolean {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const wanted = method.toUpperCase();
  for (const entry of entries) {
    const c = compile(entry);
    if (!c) continue;
    const methodOk = c.method === '*' || c.method === wanted || (c.method === 'GET' && wanted === 'HEAD');
    if (methodOk && c.regex.test(path)) return true;
  }
  return false;
}
