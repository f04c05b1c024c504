import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { BodyObject, errors, IdParams } from '../schemas/common.js';
import type { ClientKeyService } from '../services/client-key.service.js';
import { meta } from './meta.js';

const B64 = Type.String({ minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$' });

/** A public JWK (RFC 7517): private members (`d`, `p`, `q`, …, `k`) are unknown fields, refused. */
const PublicJwk = BodyObject({
  kty: Type.String({ enum: ['EC', 'RSA', 'OKP'] }),
  crv: Type.Optional(Type.String({ maxLength: 16 })),
  x: Type.Optional(B64),
  y: Type.Optional(B64),
  n: Type.Optional(B64),
  e: Type.Optional(B64),
  kid: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  alg: Type.Optional(Type.String({ maxLength: 16 })),
  use: Type.Optional(Type.Literal('sig')),
  key_ops: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 8 })),
  ext: Type.Optional(Type.Boolean()),
});
const Jwks = BodyObject({ keys: Type.Array(PublicJwk, { minItems: 1, maxItems: 10 }) });
const ClientKeysAnswer = Type.Object({
  identityId: Type.Integer(),
  keys: Type.Array(Type.Object({}, { additionalProperties: true })),
  roles: Type.Array(Type.String()),
  updated: Type.String({ format: 'date-time' }),
});

export interface ClientKeyRouteOptions {
  clientKeys: ClientKeyService;
}

/** Public keys for private_key_jwt client authentication (RFC 7523), per identity. */
export const clientKeyRoutes: FastifyPluginAsyncTypebox<ClientKeyRouteOptions> = async (
  app,
  { clientKeys },
) => {
  app.get(
    '/identity/:id/jwks',
    {
      schema: {
        operationId: 'getClientKeys',
        tags: ['identities'],
        summary: "An identity's public keys for private_key_jwt (your own, or any with identities:read).",
        params: IdParams,
        response: { 200: ClientKeysAnswer, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => clientKeys.get(caller(request), Number(request.params.id)),
  );

  app.put(
    '/identity/:id/jwks',
    {
      schema: {
        operationId: 'putClientKeys',
        tags: ['identities'],
        summary:
          "Replaces an identity's public keys for private_key_jwt. Like granting it an app token: for yourself (tokens:grant) or another (tokens:grant-any); a client with the key may do what that token could.",
        params: IdParams,
        body: Jwks,
        response: { 200: ClientKeysAnswer, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      clientKeys.put(caller(request), Number(request.params.id), request.body.keys, meta(request)),
  );

  app.delete(
    '/identity/:id/jwks',
    {
      schema: {
        operationId: 'deleteClientKeys',
        tags: ['identities'],
        summary: "Removes an identity's public keys for private_key_jwt (as PUT).",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await clientKeys.remove(caller(request), Number(request.params.id), meta(request));
      return reply.code(204).send(null);
    },
  );
};
