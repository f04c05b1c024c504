import { Type } from 'typebox';

/**
 * One public key of the JWK set (RFC 7517 §4). The members are optional as RFC 7517 has them
 * (and jose's `JWK` type); Tokenward's own keys always carry kty, kid, alg and use.
 */
const PublicJwk = Type.Object(
  {
    kty: Type.Optional(Type.String({ description: 'Key type (EC, OKP or RSA).' })),
    kid: Type.Optional(Type.String()),
    alg: Type.Optional(Type.String()),
    use: Type.Optional(Type.String({ description: '`sig`: the key verifies signatures.' })),
    crv: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
    n: Type.Optional(Type.String()),
    e: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** GET /.well-known/jwks.json: a JWK set (RFC 7517 §5) of public keys only. */
export const JwksSchema = Type.Object({ keys: Type.Array(PublicJwk) });
