import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TokenwardError } from '@tokenward/client';
import { signInAndDelegate, signOut, type UserContext, userSessions } from './delegation.js';

/**
 * The seed-002 dashboard as a tiny web app: POST /login with a username and password, then
 * GET /sessions shows the user's Tokenward sessions, read with a delegated token; POST /logout
 * ends both. The app's own cookie holds a random id, never a Tokenward credential.
 */
export function buildDashboard(o: { tokenwardUrl: string; appToken: string; scope?: string }): Server {
  const users = new Map<string, UserContext>();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const current = (req: IncomingMessage) => {
    const sid = /(?:^|;\s*)app_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sid ? { sid, user: users.get(sid) } : { sid: undefined, user: undefined };
  };

  return createServer(async (req, res) => {
    try {
      if (req.method === 'POST' && req.url === '/login') {
        const { username, password } = await readBody(req);
        if (typeof username !== 'string' || typeof password !== 'string') {
          return json(res, 400, { error: 'username and password are required' });
        }
        const user = await signInAndDelegate({ ...o, username, password });
        const sid = randomBytes(24).toString('base64url');
        users.set(sid, user);
        return json(
          res,
          200,
          { username },
          { 'set-cookie': `app_sid=${sid}; HttpOnly; SameSite=Strict; Path=/` },
        );
      }
      const { sid, user } = current(req);
      if (!sid || !user) return json(res, 401, { error: 'sign in first (POST /login)' });
      if (req.method === 'GET' && req.url === '/sessions') {
        return json(res, 200, {
          username: user.username,
          sessions: await userSessions(o.tokenwardUrl, user),
        });
      }
      if (req.method === 'POST' && req.url === '/logout') {
        users.delete(sid);
        await signOut(o.tokenwardUrl, o.appToken, user);
        return json(res, 200, { signedOut: true });
      }
      return json(res, 404, { error: 'not found' });
    } catch (err) {
      // Tokenward's own message (wrong password, token expired…), never a stack.
      if (err instanceof TokenwardError) return json(res, err.status || 502, { error: err.message });
      return json(res, 500, { error: 'internal error' });
    }
  });
}
