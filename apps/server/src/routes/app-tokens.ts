import { AppError } from '@tokenward/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { canonicalFields } from '../plugins/validation.js';
import { errors, IdParams, roleNames } from '../schemas/common.js';
import {
  GrantBody,
  ImportBody,
  PatchTokenBody,
  statusFilter,
  TokenListQuery,
  TokenListSchema,
} from '../schemas/token.js';
import { durationMs, meta } from './meta.js';

type GrantInputBody = Static<typeof GrantBody>;
type ImportInputBody = Static<typeof ImportBody>;

const GrantParams = Type.Object({ identityId: Type.String({ pattern: '^[0-9]{1,15}$' }) });

/** The import body's fields: seed 001's (`Token`, `Identity`, `Role`, `Expiration`) and ours. */
const IMPORT_FIELDS = ['token', 'identity', 'role', 'roles', 'expiration', 'name', 'description'] as const;

/**
 * Seed 001's migration body comes from PowerShell hashtables: keys in any case (`Token`,
 * `Identity = @{ Name = 'Admin' }`, `Role`, `Expiration`). Keys are matched case-insensitively
 * (the identity object's too); an unknown key or the same key twice in two cases is refused.
 */
function normaliseImportBody(body: unknown): unknown {
  const out = canonicalFields(body, IMPORT_FIELDS);
  if (out === null || typeof out !== 'object' || Array.isArray(out)) return out;
  const record = out as Record<string, unknown>;
  if (record.identity !== null && typeof record.identity === 'object' && !Array.isArray(record.identity)) {
    record.identity = canonicalFields(record.identity, ['name', 'id']);
  }
  return record;
}

const grantSchema = (summary: string, withParams: boolean) => ({
  tags: ['app tokens'],
  summary,
  ...(withParams ? { params: GrantParams } : {}),
  response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404, 409) },
});

export async function appTokenRoutes(app: FastifyInstance): Promise<void> {
  const grant = async (request: FastifyRequest) => {
    const body = (request.body ?? {}) as GrantInputBody;
    const params = request.params as { identityId?: string };
    if (body.scope === 'custom' && (!body.apiEndpoints || body.apiEndpoints.length === 0)) {
      throw new AppError('invalid_endpoint_pattern', 'A custom scope needs at least one API endpoint.');
    }
    return app.tw.tokens.grant(
      caller(request),
      {
        ...(params.identityId === undefined ? {} : { identityId: Number(params.identityId) }),
        ...(roleNames(body.roles ?? body.role) === undefined
          ? {}
          : { roles: roleNames(body.roles ?? body.role)! }),
        expiration: body.expiration,
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.apiEndpoints === undefined || body.scope === 'all'
          ? {}
          : { apiEndpoints: body.apiEndpoints }),
      },
      meta(request),
    );
  };

  // Seed 001: `Invoke-RestMethod /api/v1/apptoken/grant -WebSession $Session` is a GET: the one
  // state change a GET may make. Never a HEAD, whose answer has no body: the token minted would be
  // lost (Fastify would otherwise answer HEAD with the GET handler).
  const noHead = async () => {
    throw new AppError('method_not_allowed', 'Grant with GET or POST; HEAD never grants.', {
      headers: { allow: 'GET, POST' },
    });
  };
  for (const path of ['/apptoken/grant', '/apptoken/grant/:identityId']) {
    app.head(path, { config: { auth: 'none' }, schema: { hide: true } }, noHead);
  }
  app.get(
    '/apptoken/grant',
    {
      exposeHeadRoute: false,
      schema: grantSchema('Grants the caller an app token with its roles.', false),
    },
    grant,
  );
  app.post(
    '/apptoken/grant',
    { schema: { ...grantSchema('Grants the caller an app token.', false), body: GrantBody } },
    grant,
  );
  app.get(
    '/apptoken/grant/:identityId',
    {
      exposeHeadRoute: false,
      schema: grantSchema('Grants an app token to another identity (tokens:grant-any).', true),
    },
    grant,
  );
  app.post(
    '/apptoken/grant/:identityId',
    {
      schema: {
        ...grantSchema('Grants an app token to another identity (tokens:grant-any).', true),
        body: GrantBody,
      },
    },
    grant,
  );

  app.post(
    '/apptoken',
    {
      schema: {
        tags: ['app tokens'],
        summary: 'Imports an existing token value (migration): only its hash is stored.',
        body: ImportBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404, 409) },
      },
      preValidation: async (request) => {
        request.body = normaliseImportBody(request.body);
      },
    },
    async (request) => {
      const body = request.body as ImportInputBody;
      const identity =
        typeof body.identity === 'string'
          ? /^\d+$/.test(body.identity)
            ? { id: Number(body.identity) }
            : { name: body.identity }
          : typeof body.identity === 'number'
            ? { id: body.identity }
            : body.identity;
      const roles = roleNames(body.roles ?? body.role);
      return app.tw.tokens.import(
        caller(request),
        {
          token: body.token,
          identity,
          ...(roles === undefined ? {} : { roles }),
          expiration: body.expiration,
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.description === undefined ? {} : { description: body.description }),
        },
        meta(request),
      );
    },
  );

  app.get(
    '/apptoken',
    {
      schema: {
        tags: ['app tokens'],
        summary: "Lists tokens: your own with tokens:read, everyone's with tokens:read-any.",
        querystring: TokenListQuery,
        response: { 200: TokenListSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof TokenListQuery>;
      const kinds = !q.kind ? ['app'] : q.kind === 'all' ? [] : q.kind.split(',');
      const status = statusFilter(q.status as string | undefined);
      const now = app.tw.clock();
      return app.tw.tokens.list(caller(request), {
        kinds,
        ...(status ? { status } : {}),
        ...(q.identity === undefined ? {} : { identity: q.identity }),
        ...(q.expiringWithin === undefined ? {} : { expiringBeforeMs: now + durationMs(q.expiringWithin) }),
        ...(q.search ? { search: q.search } : {}),
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
    },
  );

  app.get(
    '/apptoken/:id',
    {
      schema: {
        tags: ['app tokens'],
        summary: "One token's metadata (never its value).",
        params: IdParams,
        response: { 200: Type.Ref('Token'), ...errors(401, 403, 404) },
      },
    },
    async (request) => app.tw.tokens.get(caller(request), Number((request.params as IdParams).id)),
  );

  app.patch(
    '/apptoken/:id',
    {
      schema: {
        tags: ['app tokens'],
        summary: "Changes a token's name or description.",
        params: IdParams,
        body: PatchTokenBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      app.tw.tokens.update(
        caller(request),
        Number((request.params as IdParams).id),
        request.body as Static<typeof PatchTokenBody>,
        meta(request),
      ),
  );

  app.delete(
    '/apptoken/:id',
    {
      schema: {
        tags: ['app tokens'],
        summary: 'Revokes a token; it is kept (revoked, revokedDate) for the audit trail.',
        params: IdParams,
        response: { 200: Type.Ref('Token'), ...errors(401, 403, 404) },
      },
    },
    async (request) =>
      app.tw.tokens.revoke(caller(request), Number((request.params as IdParams).id), meta(request)),
  );
}
