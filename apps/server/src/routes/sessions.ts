import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CSRF_COOKIE, caller, SESSION_COOKIE } from '../plugins/auth.js';
import { canonicalFields, rewriteInput } from '../plugins/validation.js';
import { BodyObject, errors, IdParams, Pagination } from '../schemas/common.js';
import type { SessionService } from '../services/session.service.js';
import { meta } from './meta.js';

const SignInBody = BodyObject({
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

const SessionSchema = Type.Object({
  id: Type.Integer(),
  identityId: Type.Integer(),
  created: Type.String({ format: 'date-time' }),
  lastSeen: Type.String({ format: 'date-time' }),
  expires: Type.String({ format: 'date-time' }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});

export interface SessionRouteOptions {
  sessions: SessionService;
  cookies: {
    /** Mark cookies Secure even on plain HTTP (TLS ends at a proxy). */
    secure: boolean;
    maxAgeSeconds: number;
  };
}

function cookieSecure(cookies: SessionRouteOptions['cookies'], request: FastifyRequest): boolean {
  return cookies.secure || request.protocol === 'https';
}

function clearCookies(
  cookies: SessionRouteOptions['cookies'],
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const secure = cookieSecure(cookies, request);
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
  reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure });
}

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteOptions> = async (
  app,
  { sessions, cookies },
) => {
  app.post(
    '/signin',
    {
      config: { auth: 'none' },
      // Seed 001's sign-in body, in any case (a compatibility route).
      preValidation: rewriteInput({ body: (body) => canonicalFields(body, ['username', 'password']) }),
      schema: {
        tags: ['sessions'],
        operationId: 'signIn',
        summary: 'Sign in with a username (or email) and password; sets the session cookie.',
        body: SignInBody,
        response: {
          200: Type.Object({
            identity: Type.Ref('Identity'),
            csrfToken: Type.String({ description: 'Send as X-CSRF-Token on cookie-authenticated writes.' }),
            expires: Type.String({ format: 'date-time' }),
          }),
          ...errors(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const result = await sessions.signIn(username, password, {
        ...meta(request),
        userAgent: request.headers['user-agent'] ?? null,
      });
      const secure = cookieSecure(cookies, request);
      const maxAge = Math.floor(cookies.maxAgeSeconds);
      reply.setCookie(SESSION_COOKIE, result.secret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge,
      });
      reply.setCookie(CSRF_COOKIE, result.csrfToken, {
        path: '/',
        httpOnly: false,
        sameSite: 'strict',
        secure,
        maxAge,
      });
      return {
        identity: result.identity,
        csrfToken: result.csrfToken,
        expires: new Date(result.session.expires_at_ms).toISOString(),
      };
    },
  );

  app.post(
    '/signout',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['sessions'],
        operationId: 'signOut',
        summary: 'Ends the current session and clears its cookies.',
        response: { 200: Type.Object({ signedOut: Type.Boolean() }), ...errors(403) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      if (p?.session) await sessions.end(p, p.session.id, meta(request));
      clearCookies(cookies, request, reply);
      return { signedOut: true };
    },
  );

  app.get(
    '/usersession',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'listSessions',
        summary: "Lists sessions: your own, or everyone's with sessions:read (filter with identityId).",
        querystring: Type.Object({ identityId: Type.Optional(Type.Integer({ minimum: 1 })), ...Pagination }),
        response: {
          200: Type.Object({
            items: Type.Array(SessionSchema),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { identityId, limit, offset } = request.query;
      return sessions.list(caller(request), {
        all: true,
        ...(identityId === undefined ? {} : { identityId }),
        limit: limit ?? 50,
        offset: offset ?? 0,
      });
    },
  );

  app.delete(
    '/usersession/:id',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'endSession',
        summary: "Ends a session: your own, or anyone's with sessions:revoke.",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const p = caller(request);
      await sessions.end(p, Number(id), meta(request));
      if (p.session?.id === Number(id)) clearCookies(cookies, request, reply);
      return reply.code(204).send(null);
    },
  );
};
