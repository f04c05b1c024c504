import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccessTokenV4Service } from '../services/access-token-v4.service.js';
import type { AuditService } from '../services/audit.service.js';
import type { ClientAuthenticator } from '../services/client-authenticator.js';
import type { ClientCredentialsService } from '../services/client-credentials.service.js';
import type { ClientKeyService } from '../services/client-key.service.js';
import type { DiscoveryService } from '../services/discovery.service.js';
import type { DpopProofs } from '../services/dpop.js';
import type { GrantAppToken } from '../services/grant-app-token.js';
import type { IdentityService } from '../services/identity.service.js';
import type { ImportAppToken } from '../services/import-app-token.js';
import type { IntrospectionService } from '../services/introspection.service.js';
import type { PersonalTokenService } from '../services/personal-token.service.js';
import type { Readiness } from '../services/readiness.js';
import type { RefreshService } from '../services/refresh.service.js';
import type { RevocationService } from '../services/revocation.service.js';
import type { RoleService } from '../services/role.service.js';
import type { SessionService } from '../services/session.service.js';
import type { SigningKeyService } from '../services/signing-key.service.js';
import type { TokenService } from '../services/token.service.js';
import type { TokenExchangeService } from '../services/token-exchange.service.js';
import type { TokenTransferService } from '../services/token-transfer.service.js';
import { accessTokenV4Routes } from './access-token-v4.js';
import { appTokenRoutes } from './app-tokens.js';
import { auditRoutes } from './audit.js';
import { clientKeyRoutes } from './client-keys.js';
import { discoveryRoutes } from './discovery.js';
import { gatewayRoutes } from './gateway.js';
import { healthRoutes } from './health.js';
import { identityRoutes } from './identities.js';
import { keyRoutes } from './keys.js';
import { type LimitsView, meRoutes } from './me.js';
import { personalTokenRoutes } from './personal-tokens.js';
import { protocolRoutes } from './protocol.js';
import { roleRoutes } from './roles.js';
import { type SessionRouteOptions, sessionRoutes } from './sessions.js';
import { tokenTransferRoutes } from './token-transfer.js';

/**
 * What the routes are given: services and the few settings they answer with. Never the store
 * or the verifier (authentication is plugins/auth.ts's); each route plugin receives only its part.
 */
export interface RouteServices {
  readiness: Readiness;
  sessions: SessionService;
  tokens: TokenService;
  grant: GrantAppToken;
  importer: ImportAppToken;
  transfer: TokenTransferService;
  identities: IdentityService;
  roleAdmin: RoleService;
  audit: AuditService;
  personalTokens: PersonalTokenService;
  introspection: IntrospectionService;
  revocation: RevocationService;
  refresh: RefreshService;
  exchange: TokenExchangeService;
  clientCredentials: ClientCredentialsService;
  clients: ClientAuthenticator;
  clientKeys: ClientKeyService;
  /** RFC 9449 proofs: the token endpoint binds tokens to the key of a request's proof. */
  dpop: DpopProofs;
  accessTokens: AccessTokenV4Service;
  signingKeys: SigningKeyService;
  discovery: DiscoveryService;
  cookies: SessionRouteOptions['cookies'];
  limits: LimitsView;
}

export const registerRoutes: FastifyPluginAsyncTypebox<RouteServices> = async (app, s) => {
  const prefix = '/api/v1';
  await app.register(healthRoutes, { readiness: s.readiness });
  await app.register(sessionRoutes, { prefix, sessions: s.sessions, cookies: s.cookies });
  await app.register(appTokenRoutes, { prefix, tokens: s.tokens, grant: s.grant, importer: s.importer });
  await app.register(tokenTransferRoutes, { prefix, transfer: s.transfer });
  await app.register(identityRoutes, { prefix, identities: s.identities });
  await app.register(roleRoutes, { prefix, roleAdmin: s.roleAdmin });
  await app.register(auditRoutes, { prefix, audit: s.audit });
  await app.register(meRoutes, { prefix, identities: s.identities, limits: s.limits });
  await app.register(personalTokenRoutes, { prefix, personalTokens: s.personalTokens, dpop: s.dpop });
  await app.register(protocolRoutes, {
    prefix,
    introspection: s.introspection,
    revocation: s.revocation,
    refresh: s.refresh,
    exchange: s.exchange,
    clientCredentials: s.clientCredentials,
    clients: s.clients,
    dpop: s.dpop,
  });
  await app.register(clientKeyRoutes, { prefix, clientKeys: s.clientKeys });
  await app.register(gatewayRoutes, { prefix });
  await app.register(keyRoutes, { signingKeys: s.signingKeys });
  await app.register(discoveryRoutes, { discovery: s.discovery });
  await app.register(accessTokenV4Routes, { accessTokens: s.accessTokens, dpop: s.dpop });
};
