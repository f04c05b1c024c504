/**
 * The credential a request presents (SPEC §3): `Authorization: Bearer <token>`, or
 * `X-Tokenward-Authorization` / `X-PSU-Authorization` (seed 002) / `Authtoken` (seed 004), with
 * or without the `Bearer ` scheme. The server and the SDK both read headers through this one
 * function, so they agree on what counts as one credential, two, or none.
 */

/** Headers that carry a credential, lowercase. `Authorization` is the only one that needs `Bearer `. */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'x-tokenward-authorization',
  'x-psu-authorization',
  'authtoken',
] as const;

/** Longest credential accepted; longer ones are refused without being looked up. */
export const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * Reads a header by lowercase name: every value it was sent with (a header sent twice gives
 * two), or undefined. A single string is one value.
 */
export type HeaderValues = (name: string) => string | readonly string[] | undefined | null;

/** `dpop`: sent as `Authorization: DPoP <token>` (RFC 9449 §7.1), to be used with a proof. */
export type PresentedCredential =
  | { token: string; dpop?: true }
  | { error: 'unauthenticated' | 'multiple_credentials' }
  | null;

const BEARER = /^bearer\s+/i;
const DPOP = /^dpop\s+/i;

/**
 * The one credential presented, `multiple_credentials` for two different ones (the same value
 * twice is one), `unauthenticated` for a malformed one (an `Authorization` header of another
 * scheme, an empty value, one over 8 KiB), or null for none.
 */
export function presentedCredential(read: HeaderValues): PresentedCredential {
  const found = new Set<string>();
  let dpop = false;
  for (const name of CREDENTIAL_HEADERS) {
    const raw = read(name);
    if (raw === undefined || raw === null) continue;
    for (const value of typeof raw === 'string' ? [raw] : raw) {
      const v = value.trim();
      let token: string;
      if (name === 'authorization' && /^dpop\s+\S/i.test(v)) {
        // RFC 9449 §7.1: only Authorization carries the DPoP scheme.
        dpop = true;
        token = v.replace(DPOP, '').trim();
      } else {
        if (name === 'authorization' && !/^bearer\s+\S/i.test(v)) return { error: 'unauthenticated' };
        token = v.replace(BEARER, '').trim();
      }
      if (token.length === 0) return { error: 'unauthenticated' };
      found.add(token);
    }
  }
  if (found.size > 1) return { error: 'multiple_credentials' };
  const [only] = found;
  if (only === undefined) return null;
  if (only.length > MAX_CREDENTIAL_LENGTH) return { error: 'unauthenticated' };
  // The same token under both schemes is one credential sent two ways: which one holds is the
  // question, so it is not guessed.
  if (dpop && found.size === 1 && countSchemes(read) > 1) return { error: 'multiple_credentials' };
  return dpop ? { token: only, dpop: true } : { token: only };
}

/** How many credential header values there are (a DPoP one beside a Bearer one is two). */
function countSchemes(read: HeaderValues): number {
  let n = 0;
  for (const name of CREDENTIAL_HEADERS) {
    const raw = read(name);
    if (raw === undefined || raw === null) continue;
    n += typeof raw === 'string' ? 1 : raw.length;
  }
  return n;
}
