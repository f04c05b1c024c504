/**
 * The OAuth surface's fixed vocabulary, shared by the server (endpoints, discovery documents)
 * and the SDK. Paths are relative to the server's public URL.
 */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Grant types of the token endpoint (RFC 8414 `grant_types_supported`). */
export const GRANT_TYPES = ['refresh_token', TOKEN_EXCHANGE_GRANT, 'client_credentials'] as const;

/** Client authentication methods of the token, introspection and revocation endpoints. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** Algorithms accepted for DPoP proofs (RFC 9449) and private_key_jwt assertions (RFC 7523). */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const;

export const OAUTH_PATHS = {
  token: '/api/v1/token',
  introspection: '/api/v1/token/introspect',
  revocation: '/api/v1/token/revoke',
  jwks: '/.well-known/jwks.json',
  authorizationServerMetadata: '/.well-known/oauth-authorization-server',
  protectedResourceMetadata: '/.well-known/oauth-protected-resource',
} as const;
