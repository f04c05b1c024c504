import { randomBytes } from 'node:crypto';
import { AppError } from '@tokenward/core';
import {
  addSigningKey,
  listAllKeys,
  listPublishedKeys,
  type SigningKeyRow,
  type Store,
} from '@tokenward/store';
import {
  type CryptoKey,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Sealer } from './master-key.js';

export const SIGNING_ALG = 'EdDSA';
/** The only algorithms accepted on verification: never `none`, never HMAC. */
const ALLOWED_ALGS = [SIGNING_ALG];

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey | null;
  createdAtMs: number;
  retiredAtMs: number | null;
  publishUntilMs: number | null;
}

export interface KeyView {
  kid: string;
  alg: string;
  created: string;
  status: 'active' | 'published' | 'retired';
  retired: string | null;
  publishedUntil: string | null;
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  name: string;
  roles: string[];
  scope: string;
  tid?: number;
  api_endpoints?: string[];
  perms?: string[];
  act?: { sub: string; name: string; act?: unknown };
  token_type?: string;
  /** RFC 9449 §6.1: the DPoP key the token is bound to (RFC 7638 thumbprint). */
  cnf?: { jkt: string };
}

export interface KeyRingDeps {
  store: Store;
  sealer: Sealer;
  clock: () => number;
  issuer: string;
  audience: string;
  /** Longest lifetime of any access token: how long a retired key stays published. */
  maxAccessTtlMs: number;
}

/**
 * Signing keys: kept in the store (private parts sealed by the master key), so every instance
 * sharing the store signs and verifies alike. The newest key signs; retired keys stay
 * published until every token they signed has expired.
 */
export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private signer: LoadedKey | null = null;
  private lastReloadMs = 0;
  private reloading: Promise<void> | null = null;

  constructor(private readonly deps: KeyRingDeps) {}

  get issuer(): string {
    return this.deps.issuer;
  }

  get audience(): string {
    return this.deps.audience;
  }

  async init(): Promise<void> {
    await this.reload();
    if (!this.signer) {
      await this.rotate();
    }
  }

  /** Re-reads the keys from the store (another instance may have rotated). */
  async reload(): Promise<void> {
    if (this.reloading) return this.reloading;
    this.reloading = (async () => {
      try {
        const rows = await listPublishedKeys(this.deps.store.db, this.deps.clock());
        const next = new Map<string, LoadedKey>();
        // Load every row afresh: a cached key would keep the retire/publish times it was loaded with.
        for (const row of rows) next.set(row.kid, await this.load(row));
        this.keys = next;
        const active = rows.find((r) => r.retired_at_ms === null);
        this.signer = active ? (next.get(active.kid) ?? null) : null;
        this.lastReloadMs = this.deps.clock();
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  private async load(row: SigningKeyRow): Promise<LoadedKey> {
    const publicJwk = row.public_jwk;
    const publicKey = (await importJWK(publicJwk, row.alg)) as CryptoKey;
    const opened = this.deps.sealer.open(row.private_jwk_enc);
    // A key sealed under a different master key can still verify, never sign.
    const privateKey = opened ? ((await importJWK(JSON.parse(opened) as JWK, row.alg)) as CryptoKey) : null;
    return {
      kid: row.kid,
      publicJwk,
      publicKey,
      privateKey,
      createdAtMs: row.created_at_ms,
      retiredAtMs: row.retired_at_ms,
      publishUntilMs: row.publish_until_ms,
    };
  }

  /** Adds a new signing key; the previous one stays published until its tokens expire. */
  async rotate(): Promise<KeyView> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, {
      extractable: true,
      crv: 'Ed25519',
    });
    const now = this.deps.clock();
    const kid = `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(6).toString('base64url')}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG };
    await addSigningKey(
      this.deps.store.db,
      {
        kid,
        alg: SIGNING_ALG,
        public_jwk: JSON.stringify(publicJwk),
        private_jwk_enc: this.deps.sealer.seal(JSON.stringify(privateJwk)),
        created_at_ms: now,
        retired_at_ms: null,
        publish_until_ms: null,
      },
      this.deps.maxAccessTtlMs + 60_000,
    );
    await this.reload();
    return this.views().find((k) => k.kid === kid)!;
  }

  views(): KeyView[] {
    return [...this.keys.values()].map((k) => ({
      kid: k.kid,
      alg: SIGNING_ALG,
      created: new Date(k.createdAtMs).toISOString(),
      status: k === this.signer ? 'active' : 'published',
      retired: k.retiredAtMs === null ? null : new Date(k.retiredAtMs).toISOString(),
      publishedUntil: k.publishUntilMs === null ? null : new Date(k.publishUntilMs).toISOString(),
    }));
  }

  async allViews(): Promise<KeyView[]> {
    const now = this.deps.clock();
    return (await listAllKeys(this.deps.store.db)).map((r) => ({
      kid: r.kid,
      alg: r.alg,
      created: new Date(r.created_at_ms).toISOString(),
      status:
        r.retired_at_ms === null
          ? 'active'
          : r.publish_until_ms !== null && r.publish_until_ms <= now
            ? 'retired'
            : 'published',
      retired: r.retired_at_ms === null ? null : new Date(r.retired_at_ms).toISOString(),
      publishedUntil: r.publish_until_ms === null ? null : new Date(r.publish_until_ms).toISOString(),
    }));
  }

  /** The public JWK set: public parts only. */
  jwks(): { keys: JWK[] } {
    const now = this.deps.clock();
    return {
      keys: [...this.keys.values()]
        .filter((k) => k.publishUntilMs === null || k.publishUntilMs > now)
        .map((k) => ({ ...k.publicJwk })),
    };
  }

  async sign(
    claims: Omit<AccessClaims, 'iss' | 'aud' | 'iat' | 'nbf' | 'exp'>,
    ttlMs: number,
  ): Promise<{ jwt: string; expiresAtMs: number }> {
    if (!this.signer?.privateKey) await this.reload();
    const signer = this.signer;
    if (!signer?.privateKey) {
      throw new AppError('internal_error', undefined, {
        cause: new Error('no signing key can be opened with this master key'),
      });
    }
    const nowS = Math.floor(this.deps.clock() / 1000);
    const expS = nowS + Math.floor(ttlMs / 1000);
    const jwt = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(expS)
      .sign(signer.privateKey);
    return { jwt, expiresAtMs: expS * 1000 };
  }

  /**
   * Verifies signature, kid, alg, iss, aud, nbf and exp. Returns the claims or null; never
   * throws. An unknown kid triggers at most one reload per second (another instance rotated).
   */
  async verify(jwt: string): Promise<AccessClaims | null> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(jwt);
      if (typeof header.alg !== 'string' || !ALLOWED_ALGS.includes(header.alg)) return null;
      kid = header.kid;
    } catch {
      return null;
    }
    if (typeof kid !== 'string') return null;
    let key = this.keys.get(kid);
    if (!key && this.deps.clock() - this.lastReloadMs > 1000) {
      await this.reload().catch(() => {});
      key = this.keys.get(kid);
    }
    if (!key) return null;
    try {
      const { payload } = await jwtVerify(jwt, key.publicKey, {
        algorithms: ALLOWED_ALGS,
        issuer: this.issuer,
        audience: this.audience,
        currentDate: new Date(this.deps.clock()),
        clockTolerance: 5,
      });
      return payload as AccessClaims;
    } catch {
      return null;
    }
  }
}
