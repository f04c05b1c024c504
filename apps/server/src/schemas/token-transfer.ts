import { type Static, Type } from 'typebox';

/** Records per import request; a client splits a larger file into batches. */
export const IMPORT_BATCH_MAX = 500;

/**
 * One token as exported: its SHA-256 hash and metadata, never a value (Tokenward never has
 * one after the response that created it).
 */
export const TokenRecord = Type.Object(
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
export type TokenRecord = Static<typeof TokenRecord>;
