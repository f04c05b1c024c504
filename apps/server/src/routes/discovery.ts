import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { OAUTH_PATHS } from '@tokenward/core';
import { Type } from 'typebox';
import type { DiscoveryService } from '../services/discovery.service.js';

const Url = Type.String({ format: 'uri' });
const Strings = Type.Array(Type.String());

const AuthorizationServerMetadata = Type.Object(
  {
    issuer: Type.String({ description: 'The issuer identifier: the `iss` of access tokens.' }),
    token_endpoint: Url,
    introspection_endpoint: Url,
    revocation_endpoint: Url,
    jwks_uri: Url,
    grant_types_supported: Strings,
    response_types_supported: Type.Array(Type.String(), {
      description: 'Empty: there is no authorization endpoint.',
    }),
    scopes_supported: Type.Array(Type.String(), {
      description: 'Role names, then the literal permissions the management API and custom roles know.',
    }),
    token_endpoint_auth_methods_supported: Strings,
    token_endpoint_auth_signing_alg_values_supported: Strings,
    introspection_endpoint_auth_methods_supported: Strings,
    introspection_endpoint_auth_signing_alg_values_supported: Strings,
    revocation_endpoint_auth_methods_supported: Strings,
    revocation_endpoint_auth_signing_alg_values_supported: Strings,
    dpop_signing_alg_values_supported: Strings,
    service_documentation: Url,
  },
  { description: 'RFC 8414 authorization server metadata.' },
);

const ProtectedResourceMetadata = Type.Object(
  {
    resource: Url,
    resource_name: Type.String(),
    authorization_servers: Type.Array(Type.String()),
    bearer_methods_supported: Strings,
    scopes_supported: Strings,
    dpop_signing_alg_values_supported: Strings,
    resource_documentation: Url,
  },
  { description: "RFC 9728 protected resource metadata of Tokenward's own API." },
);

/**
 * Clients may cache the documents briefly; a new role shows in `scopes_supported` within this
 * time (the server's own answer is current at once).
 */
const CACHE_CONTROL = 'public, max-age=60';

export interface DiscoveryRouteOptions {
  discovery: DiscoveryService;
}

/** The OAuth discovery documents (RFC 8414, RFC 9728): public, no credential. */
export const discoveryRoutes: FastifyPluginAsyncTypebox<DiscoveryRouteOptions> = async (
  app,
  { discovery },
) => {
  app.get(
    OAUTH_PATHS.authorizationServerMetadata,
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'getAuthorizationServerMetadata',
        tags: ['token protocol'],
        summary: 'OAuth 2.0 authorization server metadata (RFC 8414).',
        security: [],
        response: { 200: AuthorizationServerMetadata },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', CACHE_CONTROL);
      return discovery.authorizationServer();
    },
  );

  app.get(
    OAUTH_PATHS.protectedResourceMetadata,
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'getProtectedResourceMetadata',
        tags: ['token protocol'],
        summary: "OAuth 2.0 protected resource metadata of Tokenward's own API (RFC 9728).",
        security: [],
        response: { 200: ProtectedResourceMetadata },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', CACHE_CONTROL);
      return discovery.protectedResource();
    },
  );
};
