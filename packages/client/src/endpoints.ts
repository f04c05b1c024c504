import { endpointAllowed as allowed, parseEndpointPattern } from '@tokenward/core';

/**
 * Whether a request (method and URL path, query allowed) is within a token's endpoint
 * allow-list (`scope: custom`): entries `METHOD /path`, METHOD an HTTP method or `*`; `*`
 * matches within one path segment, a trailing `/*` or `/**` one or more segments below (not the
 * prefix itself). The URL is normalised first (dot segments removed; encoded `/` or `\`
 * refused). These are @tokenward/core's rules, the server's own. An entry that cannot be parsed
 * allows nothing.
 *
 * @example
 * ```ts
 * endpointAllowed(['GET /invoices/*'], 'GET', '/invoices/42?full=1'); // true
 * endpointAllowed(['GET /invoices/*'], 'POST', '/invoices');          // false
 * ```
 */
export function endpointAllowed(entries: readonly string[], method: string, url: string): boolean {
  const patterns = entries.map((e) => parseEndpointPattern(e)).filter((p) => p !== null);
  return allowed(patterns, method, url);
}
