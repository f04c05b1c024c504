import type { Token } from '@tokenward/client/api';

/**
 * The token that a grant or create answered with, which is the only answer ever to carry the
 * value. Without the value there is nothing to show the person, so that is an error.
 */
export function withTokenValue(token: Token): Token & { token: string } {
  const value = token.token;
  if (!value) throw new Error('The server did not return the token value.');
  return { ...token, token: value };
}
