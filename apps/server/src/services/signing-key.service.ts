import type { JWK } from 'jose';
import type { AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { KeyRing, KeyView, RotateOptions } from './key-ring.js';
import type { RequestMeta } from './request-meta.js';
import type { Principal } from './verifier.js';

export interface SigningKeyServiceDeps {
  keys: KeyRing;
  invalidator: Invalidator;
  audit: AuditService;
}

/** What the API offers about signing keys: the public set, their states, rotation (keys:rotate). */
export class SigningKeyService {
  constructor(private readonly deps: SigningKeyServiceDeps) {}

  /** The public JWK set, for verifying access tokens offline. */
  jwks(): { keys: JWK[] } {
    return this.deps.keys.jwks();
  }

  async list(caller: Principal): Promise<KeyView[]> {
    caller.authority.require('keys:rotate');
    return this.deps.keys.allViews();
  }

  /**
   * Adds a signing key, published at once and signing after the publication delay (`now`: at
   * once); every instance reloads its keys, and the rotation is audited.
   */
  async rotate(caller: Principal, meta: RequestMeta, options: RotateOptions = {}): Promise<KeyView> {
    caller.authority.require('keys:rotate');
    const key = await this.deps.keys.rotate(options);
    await this.deps.invalidator.keys();
    await this.deps.audit.record({
      action: 'keys.rotate',
      actor: caller.identity,
      targetType: 'key',
      targetId: key.kid,
      ip: meta.ip,
      details: { activeFrom: key.activeFrom, now: options.now === true },
    });
    return key;
  }
}
