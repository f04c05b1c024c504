import { type Session, type SessionCredential, TokenwardClient } from '@tokenward/client';

export const SESSION_TOKEN_TYPE = 'urn:tokenward:params:oauth:token-type:session';

/** What the app keeps for a signed-in user. */
export interface UserContext {
  username: string;
  /** The user's Tokenward session (cookie value and CSRF token), to sign them out later. */
  session: SessionCredential;
  /** A short-lived access token for this user, down-scoped, naming this app as the actor. */
  accessToken: string;
  expiresAtMs: number;
}

/**
 * Seed 002 without hand-made tokens: the app signs the user in to Tokenward with their own
 * username and password, then exchanges that session (RFC 8693) for a short-lived token
 * limited to `scope`, presenting its own app token as the actor.
 */
export async function signInAndDelegate(o: {
  tokenwardUrl: string;
  appToken: string;
  username: string;
  password: string;
  /** Role names and/or permissions the delegated token keeps (default: Reader). */
  scope?: string;
}): Promise<UserContext> {
  const anonymous = new TokenwardClient({ baseUrl: o.tokenwardUrl });
  const { session } = await anonymous.sessions.signIn(o.username, o.password);
  const asApp = anonymous.withCredential({ token: o.appToken });
  const exchanged = await asApp.tokens.exchange({
    subject_token: session.secret,
    subject_token_type: SESSION_TOKEN_TYPE,
    scope: o.scope ?? 'Reader',
  });
  return {
    username: o.username,
    session,
    accessToken: exchanged.access_token,
    expiresAtMs: Date.now() + exchanged.expires_in * 1000,
  };
}

/** The user's own sessions, read with the delegated token: `GET /api/v1/usersession`. */
export async function userSessions(tokenwardUrl: string, user: UserContext): Promise<Session[]> {
  const asUser = new TokenwardClient({ baseUrl: tokenwardUrl, token: user.accessToken });
  return (await asUser.sessions.list()).items;
}

/** Signs the user out of Tokenward and revokes the delegated token. */
export async function signOut(tokenwardUrl: string, appToken: string, user: UserContext): Promise<void> {
  const client = new TokenwardClient({ baseUrl: tokenwardUrl });
  await client.withCredential({ token: appToken }).tokens.revoke(user.accessToken);
  await client.withCredential({ session: user.session }).sessions.signOut();
}
