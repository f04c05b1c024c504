import { AppError } from '@tokenward/core';
import type { AccessIssuer, ActClaim } from './access-issuer.js';
import type { AuditService } from './audit.service.js';
import { checkTokenEndpointDpop } from './dpop.js';
import type { RequestMeta } from './request-meta.js';
import { planForScope, readScope } from './requested-scope.js';
import type { RoleCatalog } from './role-catalog.js';
import type { TokenMinter } from './token-minter.js';
import type { Principal, Verifier } from './verifier.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** RFC 8693 §3 types an access JWT is: what `requested_token_type` may ask for. */
const ISSUABLE_TOKEN_TYPES: readonly string[] = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];

/** A token exchange request (RFC 8693 §2.1), as the token endpoints pass it on. */
export interface ExchangeRequest {
  subjectToken: string;
  subjectTokenType?: string | undefined;
  /** Space-separated role names and/or permissions the new token is narrowed to. */
  scope?: string | undefined;
  /** RFC 8693 `audience` / RFC 8707 `resource`: a configured audience (AccessIssuer.resolveAudience). */
  audience?: string | undefined;
  resource?: string | undefined;
  /** Access token or JWT URN (RFC 8693 §3); anything else is refused. */
  requestedTokenType?: string | undefined;
}

export interface ExchangeResult {
  access_token: string;
  issued_token_type: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

export interface TokenExchangeDeps {
  minter: TokenMinter;
  verifier: Verifier;
  issuer: AccessIssuer;
  roles: RoleCatalog;
  audit: AuditService;
  clock: () => number;
  /** Longest life of a delegated (exchanged) token. */
  delegationTtlMs: number;
}

/** RFC 8693 token exchange: delegation that only ever narrows. */
export class TokenExchangeService {
  constructor(private readonly deps: TokenExchangeDeps) {}

  /**
   * The actor a token exchange names with `actor_token`. A single-use actor is refused (it
   * mints nothing), not spent by the refusal.
   */
  async actorFrom(actorToken: string): Promise<Principal> {
    const actor = await this.deps.verifier.authenticateToken(actorToken, { spend: false });
    // RFC 8693 §2.2.2: an invalid actor_token is invalid_request.
    if (!actor) throw new AppError('invalid_request', 'The actor token is not valid.');
    return actor;
  }

  /**
   * RFC 8693: the subject's token is exchanged for a short-lived access JWT. The actor must be
   * authenticated; acting for another identity needs tokens:exchange (and the actor's act-for
   * list, if it has one, must name the subject). The new token's ceiling is what the subject
   * and the actor both may do, narrowed further by `scope` (role names and/or permissions,
   * each held by both): exchange only ever narrows. Its `act` names the actor, with the
   * subject's own `act` chain inside. Refusals are audited like successes.
   */
  async exchange(
    actor: Principal | null,
    req: ExchangeRequest,
    meta: RequestMeta,
    /** The key of the request's valid DPoP proof, or null: the new token is bound to it. */
    dpopJkt: string | null = null,
  ): Promise<ExchangeResult> {
    let subject: Principal | null = null;
    try {
      if (!actor) throw new AppError('unauthenticated', 'Token exchange needs an authenticated actor.');
      const issuedType = req.requestedTokenType || ACCESS_TOKEN_TYPE;
      if (!ISSUABLE_TOKEN_TYPES.includes(issuedType)) {
        throw new AppError(
          'invalid_request',
          'requested_token_type must be the access_token or jwt token type.',
        );
      }
      const audience = this.deps.issuer.resolveAudience(req);
      const type = req.subjectTokenType ?? ACCESS_TOKEN_TYPE;
      if (type === 'urn:tokenward:params:oauth:token-type:session') {
        subject = await this.deps.verifier.authenticateSession(req.subjectToken);
      } else if (type === ACCESS_TOKEN_TYPE || type === JWT_TOKEN_TYPE) {
        // A single-use subject is refused below (it mints nothing), not spent here.
        subject = await this.deps.verifier.authenticateToken(req.subjectToken, { spend: false });
      } else throw new AppError('invalid_request', 'subject_token_type is not supported.');
      // RFC 8693 §2.2.2: an invalid subject_token is invalid_request (not a 401: the client
      // authenticated; the token it brought is what is wrong).
      if (!subject) throw new AppError('invalid_request', 'The subject token is not valid.');
      // A bound subject or actor token is used only with its key's proof: else a stolen bound
      // token would buy an unbound one.
      checkTokenEndpointDpop(dpopJkt, [subject.token, actor.token], subject.identity);
      return await this.exchangeFor(
        actor,
        subject,
        { scope: req.scope, audience, issuedType },
        meta,
        dpopJkt,
      );
    } catch (err) {
      if (err instanceof AppError) {
        await this.deps.audit.record({
          action: 'token.exchange',
          outcome: 'failure',
          actor: actor ? actor.identity : null,
          ip: meta.ip,
          details: { reason: err.code, ...(subject ? { subject: subject.identity.id } : {}) },
        });
      }
      throw err;
    }
  }

  private async exchangeFor(
    actor: Principal,
    subject: Principal,
    req: { scope: string | undefined; audience: string; issuedType: string },
    meta: RequestMeta,
    dpopJkt: string | null,
  ): Promise<ExchangeResult> {
    const asked = readScope(req.scope, this.deps.roles);
    const me = subject.identity;
    const target = { id: me.id, name: me.name, source: me.source, roles: me.roles };
    const plan = planForScope(asked, () =>
      this.deps.minter.plan(subject.authority, 'exchange', target, {
        actor: actor.authority,
        ...(asked.scopeRoles.length > 0 ? { scopeRoles: asked.scopeRoles } : {}),
        ...(asked.permissions.length > 0 ? { narrowTo: asked.permissions } : {}),
      }),
    );
    const now = this.deps.clock();
    const subjectExpiry =
      subject.token?.expiresAtMs ?? subject.session?.expiresAtMs ?? now + this.deps.delegationTtlMs;
    const ttlMs = Math.min(this.deps.delegationTtlMs, subjectExpiry - now);
    const earlier = (subject.token?.act ?? undefined) as ActClaim | undefined;
    const act: ActClaim | undefined =
      actor.identity.id !== subject.identity.id
        ? { sub: String(actor.identity.id), name: actor.identity.name, ...(earlier ? { act: earlier } : {}) }
        : earlier;
    const issued = await this.deps.issuer.issueJwt({
      identity: target,
      plan,
      ttlMs,
      parentId: subject.token?.id ?? null,
      actorTokenId: actor.token?.id ?? null,
      name: act ? `delegated to ${act.name}` : 'token exchange',
      act,
      cnfJkt: dpopJkt,
      createdBy: actor.identity.id,
      clientId: actor.identity.name,
      scope: asked.scopes,
      audience: req.audience,
    });
    const held = issued.roles;
    await this.deps.audit.record({
      action: 'token.exchange',
      actor: actor.identity,
      targetType: 'token',
      targetId: issued.row.id,
      ip: meta.ip,
      details: {
        subject: subject.identity.id,
        roles: held,
        ...(asked.permissions.length ? { permissions: asked.permissions } : {}),
        ...(act ? { act } : {}),
        audience: req.audience,
      },
    });
    return {
      access_token: issued.token,
      issued_token_type: req.issuedType,
      token_type: dpopJkt === null ? ('Bearer' as const) : ('DPoP' as const),
      expires_in: Math.max(0, seconds(issued.expiresAtMs - now)),
      // The JWT's own scope claim: the answer, the token and its introspection agree.
      scope: issued.scope,
    };
  }
}
