import {
  ASYMMETRIC_ALGORITHMS,
  CLIENT_AUTH_METHODS,
  GRANT_TYPES,
  MANAGEMENT_PERMISSIONS,
  OAUTH_PATHS,
} from '@tokenward/core';
import type { RoleCatalog } from './role-catalog.js';

export interface DiscoveryServiceDeps {
  /** Where clients reach this server, without a trailing slash. */
  publicUrl: string;
  /** The issuer identifier (RFC 8414 §2): the `iss` of access tokens. */
  issuer: string;
  roles: Pick<RoleCatalog, 'all'>;
}

/** RFC 8414 authorization server metadata. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  response_types_supported: string[];
  scopes_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  introspection_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_signing_alg_values_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_signing_alg_values_supported: string[];
  dpop_signing_alg_values_supported: string[];
  service_documentation: string;
}

/** RFC 9728 protected resource metadata. */
export interface ProtectedResourceMetadata {
  resource: string;
  resource_name: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported: string[];
  dpop_signing_alg_values_supported: string[];
  resource_documentation: string;
}

/**
 * The discovery documents: what an OAuth client (oauth4webapi, openid-client) reads to find the
 * endpoints, the client authentication methods and the scopes. Built on each request from the
 * role catalog, which every instance reloads when a role changes, so a new role is listed at once.
 */
export class DiscoveryService {
  constructor(private readonly deps: DiscoveryServiceDeps) {}

  /**
   * Scope strings a client may ask for: every role name, then every literal permission (the
   * management API's own and those custom roles grant). Wildcard grants (`*`, `billing:*`) are
   * not scopes one can request, so they are left out.
   */
  scopes(): string[] {
    const roles = this.deps.roles.all();
    const permissions = new Set<string>(MANAGEMENT_PERMISSIONS);
    for (const role of roles) {
      if (role.builtin) continue;
      for (const p of role.permissions) if (!p.includes('*')) permissions.add(p);
    }
    return [...roles.map((r) => r.name), ...[...permissions].sort()];
  }

  authorizationServer(): AuthorizationServerMetadata {
    const url = (path: string) => `${this.deps.publicUrl}${path}`;
    const methods = [...CLIENT_AUTH_METHODS];
    const algs = [...ASYMMETRIC_ALGORITHMS];
    return {
      issuer: this.deps.issuer,
      token_endpoint: url(OAUTH_PATHS.token),
      introspection_endpoint: url(OAUTH_PATHS.introspection),
      revocation_endpoint: url(OAUTH_PATHS.revocation),
      jwks_uri: url(OAUTH_PATHS.jwks),
      grant_types_supported: [...GRANT_TYPES],
      // RFC 8414 §2 makes this member REQUIRED; there is no authorization endpoint, so no
      // response type is supported.
      response_types_supported: [],
      scopes_supported: this.scopes(),
      token_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: algs,
      introspection_endpoint_auth_methods_supported: methods,
      introspection_endpoint_auth_signing_alg_values_supported: algs,
      revocation_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_signing_alg_values_supported: algs,
      dpop_signing_alg_values_supported: algs,
      service_documentation: url('/docs'),
    };
  }

  protectedResource(): ProtectedResourceMetadata {
    return {
      resource: this.deps.publicUrl,
      resource_name: 'Tokenward API',
      authorization_servers: [this.deps.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: this.scopes(),
      dpop_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
      resource_documentation: `${this.deps.publicUrl}/docs`,
    };
  }
}
