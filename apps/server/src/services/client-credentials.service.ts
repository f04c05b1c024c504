import type { AccessIssuer } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import type { RequestMeta } from './request-meta.js';
import { planForScope, readScope } from './requested-scope.js';
import type { RoleCatalog } from './role-catalog.js';
import type { TokenMinter } from './token-minter.js';
import type { Principal } from './verifier.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

export interface ClientCredentialsDeps {
  minter: TokenMinter;
  issuer: AccessIssuer;
  roles: RoleCatalog;
  audit: AuditService;
  clock: () => number;
  /** Lifetime of an access JWT. */
  accessTtlMs: number;
}

export interface ClientCredentialsResult {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

/**
 * RFC 6749 §4.4: an authenticated client gets a short-lived access JWT for itself, with the
 * scope asked for (role names and permissions it holds; planMint decides) and no refresh token.
 * The token is minted from the client's credential: revoking that revokes it too.
 */
export class ClientCredentialsService {
  constructor(private readonly deps: ClientCredentialsDeps) {}

  async issue(
    client: Principal,
    scope: string | undefined,
    meta: RequestMeta,
    /** The key of the request's valid DPoP proof, or null: the new token is bound to it. */
    dpopJkt: string | null = null,
  ): Promise<ClientCredentialsResult> {
    const me = client.identity;
    const target = { id: me.id, name: me.name, source: me.source, roles: me.roles };
    try {
      const asked = readScope(scope, this.deps.roles);
      const plan = planForScope(asked, () =>
        this.deps.minter.plan(client.authority, 'client-credentials', target, {
          ...(asked.scopeRoles.length > 0 ? { scopeRoles: asked.scopeRoles } : {}),
          ...(asked.permissions.length > 0 ? { narrowTo: asked.permissions } : {}),
        }),
      );
      const now = this.deps.clock();
      const ends = client.token?.expiresAtMs ?? now + this.deps.accessTtlMs;
      const issued = await this.deps.issuer.issueJwt({
        identity: target,
        plan,
        ttlMs: Math.min(this.deps.accessTtlMs, ends - now),
        parentId: client.token?.id ?? null,
        name: 'client credentials',
        createdBy: me.id,
        clientId: me.name,
        scope: asked.scopes,
        cnfJkt: dpopJkt,
      });
      await this.deps.audit.record({
        action: 'token.client_credentials',
        actor: me,
        targetType: 'token',
        targetId: issued.row.id,
        ip: meta.ip,
        details: {
          roles: issued.roles,
          ...(asked.permissions.length ? { permissions: asked.permissions } : {}),
        },
      });
      return {
        access_token: issued.token,
        token_type: dpopJkt === null ? 'Bearer' : 'DPoP',
        expires_in: Math.max(0, seconds(issued.expiresAtMs - now)),
        scope: issued.scope,
      };
    } catch (err) {
      await this.deps.audit.record({
        action: 'token.client_credentials',
        outcome: 'failure',
        actor: me,
        ip: meta.ip,
        details: { reason: err instanceof Error && 'code' in err ? String(err.code) : 'error' },
      });
      throw err;
    }
  }
}
