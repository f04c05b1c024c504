import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors } from '../schemas/common.js';
import { IMPORT_BATCH_MAX, TokenRecord } from '../schemas/token-transfer.js';
import type { TokenTransferService, TransferKind } from '../services/token-transfer.service.js';
import { meta } from './meta.js';

const ExportQuery = Type.Object({
  kind: Type.Optional(
    Type.String({
      pattern: '^(app|personal)(,(app|personal))*$',
      description: 'Kinds to export, comma-separated (default app,personal).',
    }),
  ),
  status: Type.Optional(
    Type.Union([Type.Literal('all'), Type.Literal('active')], {
      description: 'all (default: revoked and expired too, for backups) or active.',
    }),
  ),
  after: Type.Optional(
    // Ids are 32-bit (serial) on PostgreSQL: a larger cursor must be a 400, not a database error.
    Type.Integer({
      minimum: 0,
      maximum: 2_147_483_647,
      description: 'Cursor: the `next` of the previous page.',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
});

/** The export query's pattern admits only these; the guard lets the type say so too. */
const isTransferKind = (kind: string): kind is TransferKind => kind === 'app' || kind === 'personal';

const ImportBody = Type.Array(TokenRecord, { minItems: 1, maxItems: IMPORT_BATCH_MAX });

/**
 * Migration between instances with hashes only: `GET /apptoken/export` pages through the token
 * table, `POST /apptoken/import-hashes` makes the same values valid on another instance.
 * (Static paths: find-my-way matches them before `/apptoken/:id`, which takes digits only.)
 */
export interface TokenTransferRouteOptions {
  transfer: TokenTransferService;
}

export const tokenTransferRoutes: FastifyPluginAsyncTypebox<TokenTransferRouteOptions> = async (
  app,
  { transfer },
) => {
  app.get(
    '/apptoken/export',
    {
      schema: {
        tags: ['app tokens'],
        operationId: 'exportTokens',
        summary:
          'Exports tokens as hashes and metadata, never values (tokens:read-any). Oldest first; pass `next` as `after` for the following page.',
        querystring: ExportQuery,
        response: {
          200: Type.Object({
            items: Type.Array(TokenRecord),
            next: Type.Union([Type.Integer(), Type.Null()]),
            total: Type.Integer(),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      reply.header('cache-control', 'no-store');
      return transfer.exportPage(caller(request), {
        kinds: q.kind ? [...new Set(q.kind.split(','))].filter(isTransferKind) : ['app', 'personal'],
        afterId: q.after ?? 0,
        limit: q.limit ?? 500,
        activeOnly: q.status === 'active',
      });
    },
  );

  app.post(
    '/apptoken/import-hashes',
    {
      schema: {
        tags: ['app tokens'],
        operationId: 'importTokenHashes',
        summary: `Imports exported records (tokens:grant-any), at most ${IMPORT_BATCH_MAX} per request. Idempotent: a hash already present is skipped with reason "exists"; unknown identities or roles are skipped with their reason.`,
        body: ImportBody,
        response: {
          200: Type.Object({
            imported: Type.Integer(),
            skipped: Type.Array(
              Type.Object({
                id: Type.Optional(Type.Integer()),
                hint: Type.String(),
                reason: Type.String(),
              }),
            ),
          }),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    async (request) => transfer.importHashes(caller(request), request.body, meta(request)),
  );
};
