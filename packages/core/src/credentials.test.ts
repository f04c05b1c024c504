import { describe, expect, it } from 'vitest';
import { basicCredentials, formDecoded, identityNamed, presentedCredential } from './credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const headers =
  (h: Record<string, string | string[]>) =>
  (name: string): string | readonly string[] | undefined =>
    h[name];

describe('HTTP Basic in the one credential reading', () => {
  it('the SDK reading (no option) refuses Basic: only the server resolves a username', () => {
    expect(presentedCredential(headers({ authorization: `Basic ${b64('op:tw_app_x')}` }))).toEqual({
      error: 'unauthenticated',
    });
  });

  it('with basic, the password is the token and the username comes with it', () => {
    expect(
      presentedCredential(headers({ authorization: `Basic ${b64('op@example.com:tw_app_x')}` }), {
        basic: true,
      }),
    ).toEqual({ token: 'tw_app_x', username: 'op@example.com' });
  });

  it('Basic and the same token elsewhere is one credential; a different one is two', () => {
    const read = (other: string) =>
      presentedCredential(headers({ authorization: `Basic ${b64('op:tw_app_x')}`, authtoken: other }), {
        basic: true,
      });
    expect(read('tw_app_x')).toEqual({ token: 'tw_app_x', username: 'op' });
    expect(read('tw_app_y')).toEqual({ error: 'multiple_credentials' });
  });

  it('malformed Basic (no colon, empty parts, not base64) is unauthenticated', () => {
    for (const value of [b64('nocolon'), b64(':tw_app_x'), b64('op:'), '!!!']) {
      expect(presentedCredential(headers({ authorization: `Basic ${value}` }), { basic: true })).toEqual({
        error: 'unauthenticated',
      });
    }
    expect(basicCredentials('Bearer x')).toBeNull();
  });

  it('a password may contain colons (only the first one splits)', () => {
    expect(basicCredentials(`Basic ${b64('op:a:b')}`)).toEqual({ username: 'op', password: 'a:b' });
  });
});

describe('identityNamed', () => {
  const identity = { id: 7, name: 'Billing', email: 'billing@example.com' };
  it('matches the name and email case-insensitively, the id only when asked', () => {
    expect(identityNamed('billing', identity, { email: false, id: false })).toBe(true);
    expect(identityNamed('BILLING@example.com', identity, { email: true, id: false })).toBe(true);
    expect(identityNamed('billing@example.com', identity, { email: false, id: true })).toBe(false);
    expect(identityNamed('7', identity, { email: true, id: false })).toBe(false);
    expect(identityNamed('7', identity, { email: false, id: true })).toBe(true);
    expect(identityNamed('07x', identity, { email: false, id: true })).toBe(false);
    expect(identityNamed('other', identity, { email: true, id: true })).toBe(false);
  });
});

describe('formDecoded (RFC 6749 §2.3.1)', () => {
  it('decodes + and percent escapes, and refuses broken escapes', () => {
    expect(formDecoded('a+b%3Ac')).toBe('a b:c');
    expect(formDecoded('%E0%A4%A')).toBeNull();
  });
});
