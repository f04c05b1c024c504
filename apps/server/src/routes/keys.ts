import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors } from '../schemas/common.js';
import { JwksSchema } from '../schemas/jwks.js';
import type { SigningKeyService } from '../services/signing-key.service.js';
import { meta } from './meta.js';

const KeySchema = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  created: Type.String({ format: 'date-time' }),
  status: Type.String({ description: 'active (signs), published (retired, still verifies) or retired' }),
  retired: Type.Union([Type.String(), Type.Null()]),
  publishedUntil: Type.Union([Type.String(), Type.Null()]),
});

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
        summary: 'Public signing keys (JWK set) for verifying access tokens offline.',
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return signingKeys.jwks();
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
          'Adds a new signing key; new tokens use it, the old key stays published until its tokens expire.',
        response: { 200: KeySchema, ...errors(401, 403) },
      },
    },
    async (request) => signingKeys.rotate(caller(request), meta(request)),
  );
};
