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
  | { token: string; username?: string; dpop?: true }
  | { error: 'unauthenticated' | 'multiple_credentials' }
  | null;

const BEARER = /^bearer\s+/i;
const BASIC = /^basic\s+([A-Za-z0-9+/]+={0,2})$/i;

/** HTTP Basic (RFC 7617) as a username and a password, or null when the header is not one. */
export function basicCredentials(header: string): { username: string; password: string } | null {
  const m = BASIC.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const DPOP = /^dpop\s+/i;

/**
 * RFC 6749 §2.3.1: a client id or secret in Basic is form-urlencoded first. Null when it is
 * not valid form encoding.
 */
export function formDecoded(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * Whether `ref` (a Basic username or an OAuth client_id) names the identity: its name or email
 * (case-insensitively), or with `byId` its numeric id. The one reading of "identity ref", shared
 * by HTTP Basic on every route and by client authentication.
 */
export function identityNamed(
  ref: string,
  identity: { id: number; name: string; email: string | null },
  accept: { email: boolean; id: boolean },
): boolean {
  const lower = ref.toLowerCase();
  if (identity.name.toLowerCase() === lower) return true;
  if (accept.email && identity.email !== null && identity.email.toLowerCase() === lower) return true;
  return accept.id && /^[0-9]{1,15}$/.test(ref) && Number(ref) === identity.id;
}

/**
 * With `basic`, `Authorization: Basic` is read too (the server; the SDK leaves it out): its
 * password is the token and `username` is set.
 *
 * The one credential presented, `multiple_credentials` for two different ones (the same value
 * twice is one), `unauthenticated` for a malformed one (an `Authorization` header of another
 * scheme, an empty value, one over 8 KiB), or null for none.
 */
export function presentedCredential(
  read: HeaderValues,
  options: { basic?: boolean } = {},
): PresentedCredential {
  const found = new Set<string>();
  let username: string | undefined;
  let dpop = false;
  for (const name of CREDENTIAL_HEADERS) {
    const raw = read(name);
    if (raw === undefined || raw === null) continue;
    for (const value of typeof raw === 'string' ? [raw] : raw) {
      const v = value.trim();
      if (name === 'authorization' && options.basic && /^basic\s/i.test(v)) {
        // HTTP Basic (seed 003's PSCredential): the password is the token, the username names
        // its identity (checked by whoever resolves it). Only in `Authorization`.
        const basic = basicCredentials(v);
        if (!basic || basic.password.length > MAX_CREDENTIAL_LENGTH || username !== undefined)
          return { error: 'unauthenticated' };
        username = basic.username;
        found.add(basic.password);
        continue;
      }
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
  if (username !== undefined) return { token: only, username };
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
