/**
 * Endpoint allow-lists: entries of the form `METHOD /path/pattern` (or a bare `/path/pattern`,
 * meaning any method), where METHOD is an HTTP method or `*`. In the path, `*` matches any run
 * of characters within one segment, and a trailing `/*` (or `/**`) matches ONE OR MORE
 * segments below the prefix, never the prefix itself: `GET /invoices/*` allows
 * `GET /invoices/42` and `GET /invoices/42/lines`, not `GET /invoices`. The method is compared
 * case-insensitively (a GET entry also allows HEAD), the path case-sensitively.
 *
 * Every request path is first brought to one canonical form by `normalizeRequestPath`, the one
 * function every path that checks an allow-list uses (the routes' own check, `/auth/verify`
 * with a gateway's `X-Original-URI`, its fast path, the SDK): query and fragment dropped,
 * percent-encoded unreserved characters decoded, duplicate slashes merged, dot segments
 * removed (RFC 3986 §5.2.4), the trailing slash dropped. Whatever a server behind a gateway
 * could read as another place is refused instead (the path is then allowed by no entry):
 * encoded `/` or `\`, a backslash, control characters, malformed `%` escapes, dot segments
 * that climb above `/`, a leading `//`, and segments that are empty, `.` or `..` once their
 * `;` parameters are cut off (`/..;/`, which Java servers read as `..`).
 *
 * Patterns are held to the same form: dot segments, `..`, encoded separators and backslashes
 * are refused when a pattern is parsed. Pure: no I/O, no imports.
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*']);
const ENTRY_PATTERN = /^([A-Za-z*]+)\s+(\/[\x21-\x7e]{0,511})$/;

export interface EndpointPattern {
  method: string;
  source: string;
  regex: RegExp;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const SEMICOLON = 0x3b;

/** Value of a hex digit (either case), or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function unreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === DOT ||
    c === 0x5f ||
    c === 0x7e
  );
}

const HEX_DIGITS = '0123456789ABCDEF';

/**
 * The path's percent escapes brought to one form: unreserved characters decoded, every other
 * escape kept with upper-case hex. Null for a malformed escape, an encoded `/` or `\`, an
 * encoded control character, or a raw backslash, space or control character.
 */
function decodePath(path: string, end: number): string | null {
  let out = '';
  let from = 0;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === BACKSLASH) return null;
    if (c !== PERCENT) continue;
    const hi = i + 2 < end ? hexValue(path.charCodeAt(i + 1)) : -1;
    const lo = hi === -1 ? -1 : hexValue(path.charCodeAt(i + 2));
    if (lo === -1) return null;
    const v = hi * 16 + lo;
    if (v === SLASH || v === BACKSLASH || v < 0x20 || v === 0x7f) return null;
    out += path.slice(from, i);
    out += unreserved(v) ? String.fromCharCode(v) : `%${HEX_DIGITS[hi]}${HEX_DIGITS[lo]}`;
    from = i + 3;
    i += 2;
  }
  return from === 0 ? path.slice(0, end) : out + path.slice(from, end);
}

/**
 * The name of a segment without its `;` parameters (a raw `;` or an encoded one): what servers
 * that strip path parameters (Tomcat, Jetty) see.
 */
function withoutParameters(segment: string): string {
  let cut = segment.indexOf(';');
  const encoded = segment.indexOf('%3B');
  if (encoded !== -1 && (cut === -1 || encoded < cut)) cut = encoded;
  return cut === -1 ? segment : segment.slice(0, cut);
}

/**
 * A segment that names no place of its own: empty, `.` or `..`, with or without `;` parameters
 * (`..;x` is `..` to a server that strips them).
 */
function dotLike(segment: string): boolean {
  const name = withoutParameters(segment);
  return name === '' || name === '.' || name === '..';
}

/** Whether the path holds anything only the slow path handles (escapes, `//`, `/.`, `/;`). */
function needsWork(path: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === BACKSLASH || c === PERCENT) return true;
    if (c === SLASH && i + 1 < end) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === DOT || next === SEMICOLON) return true;
    }
  }
  return false;
}

/**
 * The canonical form of a request target's path, or null when it must be refused (see the top
 * of this module). Idempotent: a canonical path normalises to itself. The result starts with
 * `/`, and never holds an empty, `.` or `..` segment, a trailing slash (but for `/`), an
 * encoded `/` or `\`, a backslash or a control character.
 */
export function normalizeRequestPath(uri: string): string | null {
  let end = uri.length;
  for (let i = 0; i < end; i++) {
    const c = uri.charCodeAt(i);
    if (c === 0x3f || c === 0x23) {
      end = i;
      break;
    }
  }
  if (end === 0 || uri.charCodeAt(0) !== SLASH) return null;
  // The common case, checked without allocating: nothing to decode, merge or remove.
  if (!needsWork(uri, end)) {
    if (end > 1 && uri.charCodeAt(end - 1) === SLASH) end--;
    return end === uri.length ? uri : uri.slice(0, end);
  }
  // `//host/path` is a network-path reference: URL parsers read `host` as a host name.
  if (end > 1 && uri.charCodeAt(1) === SLASH) return null;
  const decoded = decodePath(uri, end);
  if (decoded === null) return null;
  const kept: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    // Duplicate slashes merged (and the trailing one dropped), as nginx and Fastify do.
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.pop() === undefined) return null;
      continue;
    }
    if (dotLike(segment)) return null;
    kept.push(segment);
  }
  return `/${kept.join('/')}`;
}

/**
 * Parses one allow-list entry; null when it is not `METHOD /path` (or a bare path), or its path
 * holds a query, a fragment, `..`, a `.` segment, an encoded `/` or `\`, a backslash or a
 * malformed escape. The path is compared in the canonical form requests are brought to.
 */
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
  if (path.includes('?') || path.includes('#')) return null;
  const decoded = decodePath(path, path.length);
  if (decoded === null || decoded.includes('..') || decoded.startsWith('//')) return null;
  const segments = decoded.split('/').slice(1);
  // Empty segments are merged below; a `.` segment or `;x` is refused like `..`.
  if (segments.some((s) => s !== '' && dotLike(s))) return null;
  // Requests are compared without empty segments or a trailing slash; so are patterns. A
  // trailing `/*/` stays one segment (`*` within it), not the "below the prefix" form.
  const trailingSlash = segments.length > 1 && segments.at(-1) === '';
  let body = `/${segments.filter((s) => s !== '').join('/')}`;
  let tail = '';
  if (!trailingSlash && (body.endsWith('/**') || body.endsWith('/*'))) {
    body = body.slice(0, body.lastIndexOf('/'));
    // One or more segments: canonical paths have no empty segment and no trailing slash.
    tail = '/[\\s\\S]+';
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

/**
 * Whether a request (method and request target, query allowed) is within an allow-list. The
 * target is normalised by `normalizeRequestPath`; one it refuses is allowed by no entry.
 */
export function endpointAllowed(patterns: readonly EndpointPattern[], method: string, url: string): boolean {
  const path = normalizeRequestPath(url);
  if (path === null) return false;
  const m = method.toUpperCase();
  for (const p of patterns) {
    if ((p.method === '*' || p.method === m || (p.method === 'GET' && m === 'HEAD')) && p.regex.test(path))
      return true;
  }
  return false;
}
