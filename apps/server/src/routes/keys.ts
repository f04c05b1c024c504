import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { BodyObject, errors } from '../schemas/common.js';
import { JwksSchema } from '../schemas/jwks.js';
import { JWKS_MAX_AGE_SECONDS } from '../services/key-ring.js';
import type { SigningKeyService } from '../services/signing-key.service.js';
import { meta } from './meta.js';

const KeySchema = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  created: Type.String({ format: 'date-time' }),
  status: Type.Union(
    [Type.Literal('pending'), Type.Literal('active'), Type.Literal('published'), Type.Literal('retired')],
    {
      description:
        'pending (published, signs from activeFrom), active (signs), published (no longer signs, still verifies) or retired (no longer published)',
    },
  ),
  activeFrom: Type.String({ format: 'date-time', description: 'When the key starts (or started) signing.' }),
  retired: Type.Union([Type.String(), Type.Null()]),
  publishedUntil: Type.Union([Type.String(), Type.Null()]),
});

const RotateBody = BodyObject({
  now: Type.Optional(
    Type.Boolean({
      description:
        'Sign with the new key at once instead of after the publication delay (emergency: verifiers holding a cached JWKS refuse its tokens until they refetch).',
    }),
  ),
});
const RotateQuery = Type.Object(
  { now: Type.Optional(Type.Boolean({ description: 'Same as the body field `now`.' })) },
  { additionalProperties: false },
);

/** A strong validator of a JWKS answer: the hash of its exact bytes. */
function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any current answer. */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((raw) => {
    const tag = raw.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

export interface KeyRouteOptions {
  signingKeys: SigningKeyService;
}

export const keyRoutes: FastifyPluginAsyncTypebox<KeyRouteOptions> = async (app, { signingKeys }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['keys'],
        operationId: 'getJwks',
        summary:
          'Public signing keys (JWK set) for verifying access tokens offline. Carries an ETag; a matching If-None-Match gets 304.',
        response: {
          200: JwksSchema,
          304: Type.Null({
            description: 'Not modified: the JWKS still equals the one of the If-None-Match ETag.',
          }),
        },
      },
    },
    async (request, reply) => {
      const jwks = signingKeys.jwks();
      const body = JSON.stringify(jwks);
      const etag = etagOf(body);
      reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).header('etag', etag);
      if (noneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      // The ETag names these exact bytes, so they are sent as they were hashed.
      return reply
        .type('application/json; charset=utf-8')
        .serializer(() => body)
        .send(jwks);
    },
  );

  app.get(
    '/api/v1/keys',
    {
      schema: {
        tags: ['keys'],
        operationId: 'listSigningKeys',
        summary: 'Signing keys and their state (keys:rotate).',
        response: { 200: Type.Object({ items: Type.Array(KeySchema) }), ...errors(401, 403) },
      },
    },
    async (request) => ({ items: await signingKeys.list(caller(request)) }),
  );

  app.post(
    '/api/v1/keys/rotate',
    {
      schema: {
        tags: ['keys'],
        operationId: 'rotateSigningKey',
        summary:
          'Adds a new signing key, published at once; it signs after the publication delay (or at once with `now`), and the old key stays published until its tokens expire.',
        querystring: RotateQuery,
        body: Type.Optional(RotateBody),
        response: { 200: KeySchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const now = request.body?.now === true || request.query.now === true;
      return signingKeys.rotate(caller(request), meta(request), { now });
    },
  );
};
