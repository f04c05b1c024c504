import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors } from '../schemas/common.js';
import {
  TokenTransferService,
  type TransferKind,
  type TokenRecord as TransferRecord,
} from '../services/token-transfer.service.js';
import { meta } from './meta.js';

/** Records per import request; a client splits a larger file into batches. */
export const IMPORT_BATCH_MAX = 500;

const TokenRecord = Type.Object(
  {
    id: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'Id on the exporting instance (informational).',
      }),
    ),
    kind: Type.String({ maxLength: 16, description: 'app or personal.' }),
    token_hash: Type.String({ minLength: 64, maxLength: 64, description: 'SHA-256 of the value, hex.' }),
    hint: Type.String({ maxLength: 8 }),
    name: Type.String({ maxLength: 128 }),
    description: Type.String({ maxLength: 2000 }),
    identity: Type.String({ minLength: 1, maxLength: 128, description: 'Identity name (case-insensitive).' }),
    roles: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 }),
    scope: Type.Union([Type.Literal('all'), Type.Literal('custom')]),
    // Null first: with type coercion on, a string branch tried first would turn null into "".
    apiEndpoints: Type.Union([
      Type.Null(),
      Type.Array(Type.String({ minLength: 1, maxLength: 600 }), { maxItems: 100 }),
    ]),
    created: Type.String({ maxLength: 64 }),
    expiration: Type.String({ maxLength: 64 }),
    revoked: Type.Boolean(),
    revokedDate: Type.Union([Type.Null(), Type.String({ maxLength: 64 })]),
    ceiling: Type.Optional(
      Type.Union(
        [Type.Null(), Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })],
        {
          description:
            'The effective permission grants of whoever minted the token: it keeps them as its ceiling where it is imported.',
        },
      ),
    ),
  },
  // A record carrying anything else (a token value above all) is refused, not ignored.
  { additionalProperties: false },
);

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

const ImportBody = Type.Array(TokenRecord, { minItems: 1, maxItems: IMPORT_BATCH_MAX });

/**
 * Migration between instances with hashes only: `GET /apptoken/export` pages through the token
 * table, `POST /apptoken/import-hashes` makes the same values valid on another instance.
 * (Static paths: find-my-way matches them before `/apptoken/:id`, which takes digits only.)
 */
export async function tokenTransferRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.tw;
  const transfer = new TokenTransferService(
    app.tw.store,
    app.tw.tokens,
    app.tw.audit,
    app.tw.invalidator,
    app.tw.clock,
    {
      app: { defaultTtlSeconds: config.appTokenTtlSeconds, maxTtlSeconds: config.appTokenMaxTtlSeconds },
      personal: {
        defaultTtlSeconds: config.personalTokenTtlSeconds,
        maxTtlSeconds: config.personalTokenMaxTtlSeconds,
      },
    },
  );

  app.get(
    '/apptoken/export',
    {
      schema: {
        tags: ['app tokens'],
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
      const q = request.query as Static<typeof ExportQuery>;
      reply.header('cache-control', 'no-store');
      return transfer.exportPage(caller(request), {
        kinds: q.kind ? ([...new Set(q.kind.split(','))] as TransferKind[]) : ['app', 'personal'],
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
    async (request) =>
      transfer.importHashes(caller(request), request.body as TransferRecord[], meta(request)),
  );
}
