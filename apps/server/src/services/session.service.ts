import { randomBytes } from 'node:crypto';
import { AppError, DUMMY_PASSWORD_HASH, hashToken, safeEqual, verifyPassword } from '@tokenward/core';
import {
  deleteSession,
  findIdentityByNameOrEmail,
  findSessionById,
  insertSession,
  listSessions,
  type SessionRow,
  type Store,
} from '@tokenward/store';
import type { Attempt, AttemptLimiter } from './attempt-limiter.js';
import type { AuditService } from './audit.service.js';
import { type IdentityView, identityView } from './identity.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import type { Principal } from './verifier.js';

export interface SessionView {
  id: number;
  identityId: number;
  created: string;
  lastSeen: string;
  expires: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface SignInResult {
  secret: string;
  csrfToken: string;
  session: SessionRow;
  identity: IdentityView;
}

export interface SessionServiceDeps {
  store: Store;
  audit: AuditService;
  invalidator: Invalidator;
  limiter: AttemptLimiter;
  clock: () => number;
  maxAgeMs: number;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  async signIn(
    username: string,
    password: string,
    meta: RequestMeta & { userAgent: string | null },
  ): Promise<SignInResult> {
    const identity = await findIdentityByNameOrEmail(this.deps.store.db, username);
    // The account is the identity (its name and its email share one count), or the name tried.
    const account = identity ? `id:${identity.id}` : `name:${username.toLowerCase()}`;
    let attempt: Attempt;
    try {
      attempt = await this.deps.limiter.begin('signin', account, meta.ip ?? '');
    } catch (err) {
      if (err instanceof AppError && err.code === 'rate_limited') {
        await this.deps.audit.record({
          action: 'signin',
          outcome: 'failure',
          actor: { id: identity?.id ?? null, name: username.slice(0, 128) },
          ip: meta.ip,
          details: { reason: 'rate_limited' },
        });
      }
      throw err;
    }
    // Unknown users cost one scrypt too, so timing does not reveal which names exist.
    const ok = await verifyPassword(password, identity?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!identity || !ok || identity.password_hash === null || identity.enabled !== 1) {
      await this.deps.audit.record({
        action: 'signin',
        outcome: 'failure',
        actor: { id: identity?.id ?? null, name: username.slice(0, 128) },
        ip: meta.ip,
        details: { reason: identity && ok && identity.enabled !== 1 ? 'disabled' : 'invalid_credentials' },
      });
      throw new AppError('invalid_credentials');
    }
    await attempt.succeeded();
    const secret = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.deps.clock();
    const session = await insertSession(this.deps.store.db, {
      secret_hash: hashToken(secret),
      csrf_hash: hashToken(csrfToken),
      identity_id: identity.id,
      created_at_ms: now,
      last_seen_at_ms: now,
      expires_at_ms: now + this.deps.maxAgeMs,
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 512) ?? null,
    });
    await this.deps.audit.record({
      action: 'signin',
      actor: { id: identity.id, name: identity.name },
      targetType: 'session',
      targetId: session.id,
      ip: meta.ip,
    });
    return { secret, csrfToken, session, identity: identityView(identity) };
  }

  /** Whether a presented CSRF token belongs to the session (constant-time). */
  csrfMatches(caller: Principal, presented: string | undefined): boolean {
    if (!caller.session || !presented) return false;
    return safeEqual(hashToken(presented), caller.session.csrfHash);
  }

  view(row: SessionRow, caller: Principal): SessionView {
    return {
      id: row.id,
      identityId: row.identity_id,
      created: new Date(row.created_at_ms).toISOString(),
      lastSeen: new Date(row.last_seen_at_ms).toISOString(),
      expires: new Date(row.expires_at_ms).toISOString(),
      ip: row.ip,
      userAgent: row.user_agent,
      current: caller.session?.id === row.id,
    };
  }

  async list(caller: Principal, f: { all: boolean; identityId?: number; limit: number; offset: number }) {
    const seeAll = caller.authority.has('sessions:read');
    let identityId: number | undefined = caller.identity.id;
    if (seeAll) identityId = f.all ? f.identityId : (f.identityId ?? caller.identity.id);
    else if (f.identityId !== undefined && f.identityId !== caller.identity.id)
      throw new AppError('permission_denied');
    const { rows, total } = await listSessions(this.deps.store.db, {
      ...(identityId === undefined ? {} : { identityId }),
      nowMs: this.deps.clock(),
      limit: f.limit,
      offset: f.offset,
    });
    return { items: rows.map((r) => this.view(r, caller)), total, limit: f.limit, offset: f.offset };
  }

  async end(caller: Principal, id: number, meta: RequestMeta): Promise<void> {
    const row = await findSessionById(this.deps.store.db, id);
    if (!row || (row.identity_id !== caller.identity.id && !caller.authority.has('sessions:read'))) {
      throw new AppError('not_found', 'The session was not found.');
    }
    if (row.identity_id !== caller.identity.id) caller.authority.require('sessions:revoke');
    await deleteSession(this.deps.store.db, id);
    await this.deps.invalidator.session(row.secret_hash);
    await this.deps.audit.record({
      action: row.id === caller.session?.id ? 'signout' : 'session.end',
      actor: caller.identity,
      targetType: 'session',
      targetId: id,
      ip: meta.ip,
      details: { identityId: row.identity_id },
    });
  }
}
