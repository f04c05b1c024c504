import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, parseDuration } from '@tokenward/core';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { canonicalFields, rewriteInput } from '../plugins/validation.js';
import { errors, IdParams, roleNames } from '../schemas/common.js';
import {
  GrantBody,
  ImportBody,
  PatchTokenBody,
  statusFilter,
  TokenListQuery,
  TokenListSchema,
} from '../schemas/token.js';
import type { GrantAppToken } from '../services/grant-app-token.js';
import type { ImportAppToken } from '../services/import-app-token.js';
import type { TokenService } from '../services/token.service.js';
import { meta } from './meta.js';

type GrantInputBody = Static<typeof GrantBody>;

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
  if (!isRecord(out)) return out;
  if (isRecord(out.identity)) out.identity = canonicalFields(out.identity, ['name', 'id']);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The identity field of an import body: a name, an id (number or digits), or `{ name, id }`. */
function importIdentity(identity: Static<typeof ImportBody>['identity']): { id?: number; name?: string } {
  if (typeof identity === 'number') return { id: identity };
  if (typeof identity === 'string')
    return /^\d+$/.test(identity) ? { id: Number(identity) } : { name: identity };
  return identity;
}

const grantSchema = (operationId: string, summary: string) => ({
  tags: ['app tokens'],
  operationId,
  summary,
  response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404, 409) },
});

export interface AppTokenRouteOptions {
  tokens: TokenService;
  grant: GrantAppToken;
  importer: ImportAppToken;
}

export const appTokenRoutes: FastifyPluginAsyncTypebox<AppTokenRouteOptions> = async (
  app,
  { tokens, grant: grants, importer },
) => {
  const grant = (request: FastifyRequest, body: GrantInputBody, identityId: string | undefined) => {
    const roles = roleNames(body.roles ?? body.role);
    return grants.grant(
      caller(request),
      {
        ...(identityId === undefined ? {} : { identityId: Number(identityId) }),
        ...(roles === undefined ? {} : { roles }),
        expiration: body.expiration,
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.scope === undefined ? {} : { scope: body.scope }),
        ...(body.apiEndpoints === undefined ? {} : { apiEndpoints: body.apiEndpoints }),
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
      schema: grantSchema(
        'grantOwnAppTokenViaGet',
        'Grants the caller an app token with its roles (seed 001: a GET).',
      ),
    },
    async (request) => grant(request, {}, undefined),
  );
  app.post(
    '/apptoken/grant',
    { schema: { ...grantSchema('grantOwnAppToken', 'Grants the caller an app token.'), body: GrantBody } },
    async (request) => grant(request, request.body, undefined),
  );
  app.get(
    '/apptoken/grant/:identityId',
    {
      exposeHeadRoute: false,
      schema: {
        ...grantSchema(
          'grantAppTokenViaGet',
          'Grants an app token to another identity (tokens:grant-any; seed 001: a GET).',
        ),
        params: GrantParams,
      },
    },
    async (request) => grant(request, {}, request.params.identityId),
  );
  app.post(
    '/apptoken/grant/:identityId',
    {
      schema: {
        ...grantSchema('grantAppToken', 'Grants an app token to another identity (tokens:grant-any).'),
        params: GrantParams,
        body: GrantBody,
      },
    },
    async (request) => grant(request, request.body, request.params.identityId),
  );

  app.post(
    '/apptoken',
    {
      schema: {
        tags: ['app tokens'],
        operationId: 'importAppToken',
        summary: 'Imports an existing token value (migration): only its hash is stored.',
        body: ImportBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404, 409) },
      },
      preValidation: rewriteInput({ body: normaliseImportBody }),
    },
    async (request) => {
      const body = request.body;
      const roles = roleNames(body.roles ?? body.role);
      return importer.import(
        caller(request),
        {
          token: body.token,
          identity: importIdentity(body.identity),
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
        operationId: 'listAppTokens',
        summary: "Lists tokens: your own with tokens:read, everyone's with tokens:read-any.",
        querystring: TokenListQuery,
        response: { 200: TokenListSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const kinds = !q.kind ? ['app'] : q.kind === 'all' ? [] : q.kind.split(',');
      const status = statusFilter(q.status);
      return tokens.list(caller(request), {
        kinds,
        ...(status ? { status } : {}),
        ...(q.identity === undefined ? {} : { identity: q.identity }),
        ...(q.expiringWithin === undefined ? {} : { expiringWithinMs: parseDuration(q.expiringWithin) ?? 0 }),
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
        operationId: 'getAppToken',
        summary: "One token's metadata (never its value).",
        params: IdParams,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => tokens.get(caller(request), Number(request.params.id)),
  );

  app.patch(
    '/apptoken/:id',
    {
      schema: {
        tags: ['app tokens'],
        operationId: 'updateAppToken',
        summary: "Changes a token's name or description.",
        params: IdParams,
        body: PatchTokenBody,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => tokens.update(caller(request), Number(request.params.id), request.body, meta(request)),
  );

  app.delete(
    '/apptoken/:id',
    {
      schema: {
        tags: ['app tokens'],
        operationId: 'revokeAppToken',
        summary: 'Revokes a token; it is kept (revoked, revokedDate) for the audit trail.',
        params: IdParams,
        response: { 200: Type.Ref('Token'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => tokens.revoke(caller(request), Number(request.params.id), meta(request)),
  );
};
