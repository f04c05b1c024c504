import { AppError, hasPrivateJwkMember } from '@tokenward/core';
import { deleteClientKeys, findClientKeys, putClientKeys, type Store } from '@tokenward/store';
import { importJWK, type JWK } from 'jose';
import type { AuditService } from './audit.service.js';
import type { RequestMeta } from './request-meta.js';
import type { TokenMinter } from './token-minter.js';
import type { Principal } from './verifier.js';

/** Key types a client may register: asymmetric only (a shared secret is what app tokens are). */
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);

export interface ClientKeyView {
  identityId: number;
  keys: JWK[];
  roles: string[];
  updated: string;
}

export interface ClientKeyDeps {
  store: Store;
  minter: TokenMinter;
  audit: AuditService;
  clock: () => number;
}

/**
 * Public keys an identity registers for private_key_jwt client authentication (RFC 7523). A key
 * is a credential of the identity: registering one is minting an app token for it (core's
 * planMint, operation `grant`), and a client holding the key may do what that plan carries.
 */
export class ClientKeyService {
  constructor(private readonly deps: ClientKeyDeps) {}

  async get(caller: Principal, identityId: number): Promise<ClientKeyView> {
    if (identityId !== caller.identity.id) caller.authority.require('identities:read');
    const keys = await findClientKeys(this.deps.store.db, identityId);
    if (!keys) throw new AppError('not_found', 'The identity has no registered keys.');
    return view(keys);
  }

  /** Replaces the identity's keys (a JWKS of public keys only). */
  async put(caller: Principal, identityId: number, keys: JWK[], meta: RequestMeta): Promise<ClientKeyView> {
    const target = await this.deps.minter.target(caller, identityId, 'grant');
    const plan = this.deps.minter.plan(caller.authority, 'grant', target, {});
    await checkPublicKeys(keys);
    const row = {
      identityId,
      keys: keys as Record<string, unknown>[],
      roles: plan.roles,
      ceiling: plan.ceiling,
      endpoints: plan.endpoints,
      createdBy: caller.identity.id,
      updatedAtMs: this.deps.clock(),
    };
    await putClientKeys(this.deps.store.db, row);
    await this.deps.audit.record({
      action: 'identity.client_keys',
      actor: caller.identity,
      targetType: 'identity',
      targetId: identityId,
      ip: meta.ip,
      details: { keys: keys.length, roles: plan.roles },
    });
    return view(row);
  }

  async remove(caller: Principal, identityId: number, meta: RequestMeta): Promise<void> {
    await this.deps.minter.target(caller, identityId, 'grant');
    if (!(await deleteClientKeys(this.deps.store.db, identityId))) {
      throw new AppError('not_found', 'The identity has no registered keys.');
    }
    await this.deps.audit.record({
      action: 'identity.client_keys_removed',
      actor: caller.identity,
      targetType: 'identity',
      targetId: identityId,
      ip: meta.ip,
    });
  }
}

/** Every key must be an importable asymmetric public key, with distinct `kid`s. */
async function checkPublicKeys(keys: JWK[]): Promise<void> {
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    if (!KEY_TYPES.has(String(key.kty))) {
      throw new AppError('invalid_request', `keys[${i}]: kty must be EC, RSA or OKP.`);
    }
    if (hasPrivateJwkMember(key)) {
      throw new AppError(
        'invalid_request',
        `keys[${i}] holds private key material; register public keys only.`,
      );
    }
    if (key.kid !== undefined) {
      if (kids.has(key.kid))
        throw new AppError('invalid_request', `keys[${i}]: kid "${key.kid.slice(0, 64)}" is used twice.`);
      kids.add(key.kid);
    }
    try {
      await importJWK({ ...key, ext: true }, key.alg ?? defaultAlg(key));
    } catch {
      throw new AppError('invalid_request', `keys[${i}] is not a valid public key.`);
    }
  }
}

function defaultAlg(key: JWK): string {
  if (key.kty === 'RSA') return 'RS256';
  if (key.kty === 'OKP') return 'EdDSA';
  return key.crv === 'P-384' ? 'ES384' : 'ES256';
}

function view(k: {
  identityId: number;
  keys: Record<string, unknown>[];
  roles: string[];
  updatedAtMs: number;
}): ClientKeyView {
  return {
    identityId: k.identityId,
    keys: k.keys as JWK[],
    roles: k.roles,
    updated: new Date(k.updatedAtMs).toISOString(),
  };
}
