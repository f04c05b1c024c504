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
/** `Cache-Control: max-age` of the JWKS answer: how long a verifier may keep a fetched set. */
export const JWKS_MAX_AGE_SECONDS = 60;
/**
 * Default delay between publishing a rotated key and signing with it: a verifier that fetched
 * the JWKS just before the rotation has fetched it again by then (max-age, plus a minute for
 * clock skew and for clients such as jose that refetch on an unknown kid at most every 30 s).
 */
export const DEFAULT_KEY_PUBLICATION_DELAY_SECONDS = JWKS_MAX_AGE_SECONDS + 60;
/** The only algorithms accepted on verification: never `none`, never HMAC. */
const ALLOWED_ALGS = [SIGNING_ALG];

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey | null;
  createdAtMs: number;
  activeFromMs: number;
  retiredAtMs: number | null;
  publishUntilMs: number | null;
}

/**
 * A key's state: `pending` (published, signs from `activeFrom`), `active` (signs), `published`
 * (no longer signs, still verifies the tokens it signed) or `retired` (no longer published).
 */
export type KeyStatus = 'pending' | 'active' | 'published' | 'retired';

export interface KeyView {
  kid: string;
  alg: string;
  created: string;
  status: KeyStatus;
  activeFrom: string;
  retired: string | null;
  publishedUntil: string | null;
}

export interface RotateOptions {
  /** Sign with the new key at once (an emergency: verifiers with a cached JWKS refuse its tokens for a while). */
  now?: boolean;
}

/** The state of a key at `nowMs`: the one rule, used for the signer choice and for the views. */
function statusAt(
  k: { activeFromMs: number; retiredAtMs: number | null; publishUntilMs: number | null },
  nowMs: number,
): KeyStatus {
  if (k.retiredAtMs !== null && k.retiredAtMs <= nowMs) {
    return k.publishUntilMs !== null && k.publishUntilMs <= nowMs ? 'retired' : 'published';
  }
  return k.activeFromMs <= nowMs ? 'active' : 'pending';
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  name: string;
  roles: string[];
  /** Space-separated scope strings (RFC 9068 §2.2.3): the narrowing, else the roles it holds. */
  scope?: string;
  tid?: number;
  api_endpoints?: string[];
  perms?: string[];
  /** RFC 9068 §2.2: the client that obtained the token (an identity name). */
  client_id?: string;
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
  /** `aud` of tokens that name no audience. */
  audience: string;
  /** Every audience a token may be issued for and verified with (default: `audience` alone). */
  audiences?: readonly string[];
  /** Longest lifetime of any access token: how long a retired key stays published. */
  maxAccessTtlMs: number;
  /** Between publishing a rotated key and signing with it (see DEFAULT_KEY_PUBLICATION_DELAY_SECONDS). */
  publicationDelayMs: number;
  /**
   * Earlier issuers whose tokens still verify until they expire (the issuer became a URL;
   * `tokenward` was the default before). Never used for signing.
   */
  legacyIssuers?: readonly string[];
}

/**
 * Signing keys: kept in the store (private parts sealed by the master key), so every instance
 * sharing the store signs and verifies alike. A rotated key is published at once and signs
 * from its stored `active_from` time on; every instance switches at that time by its clock,
 * without a reload. Retired keys stay published until every token they signed has expired.
 */
export class KeyRing {
  private keys = new Map<string, LoadedKey>();
  private lastReloadMs = 0;
  private reloading: Promise<void> | null = null;
  private readonly issuers: string[];

  constructor(private readonly deps: KeyRingDeps) {
    this.issuers = [deps.issuer, ...(deps.legacyIssuers ?? []).filter((i) => i !== deps.issuer)];
  }

  get issuer(): string {
    return this.deps.issuer;
  }

  /**
   * Reloads in the background when the keys were last read more than a JWKS max-age ago: a
   * rotation whose notice never arrived (a lost NOTIFY) is still published, and switched to,
   * within the publication delay. Called on signing and on the JWKS answer, never on verify.
   */
  private refreshIfStale(): void {
    if (this.reloading || this.deps.clock() - this.lastReloadMs < JWKS_MAX_AGE_SECONDS * 1000) return;
    void this.reload().catch(() => {});
  }

  /** The key that signs now: the latest-activated key that is active at this instant. */
  private signer(): LoadedKey | null {
    const now = this.deps.clock();
    let best: LoadedKey | null = null;
    for (const k of this.keys.values()) {
      if (statusAt(k, now) !== 'active') continue;
      if (!best || k.activeFromMs > best.activeFromMs) best = k;
    }
    return best;
  }

  get audience(): string {
    return this.deps.audience;
  }

  /** Every audience tokens are issued for: the default first. */
  get audiences(): readonly string[] {
    return this.deps.audiences ?? [this.deps.audience];
  }

  async init(): Promise<void> {
    await this.reload();
    if (!this.signer()) {
      await this.rotate({ now: true });
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
      activeFromMs: row.active_from_ms,
      retiredAtMs: row.retired_at_ms,
      publishUntilMs: row.publish_until_ms,
    };
  }

  /**
   * Adds a new signing key, published at once, signing after the publication delay (or at once
   * with `now`); the previous one signs until then and stays published until its tokens expire.
   */
  async rotate(options: RotateOptions = {}): Promise<KeyView> {
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
        active_from_ms: options.now ? now : now + this.deps.publicationDelayMs,
        retired_at_ms: null,
        publish_until_ms: null,
      },
      this.deps.maxAccessTtlMs + 60_000,
    );
    await this.reload();
    return (await this.allViews()).find((k) => k.kid === kid)!;
  }

  /** Every key ever stored, with its state now. */
  async allViews(): Promise<KeyView[]> {
    const now = this.deps.clock();
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return (await listAllKeys(this.deps.store.db)).map((r) => ({
      kid: r.kid,
      alg: r.alg,
      created: new Date(r.created_at_ms).toISOString(),
      status: statusAt(
        { activeFromMs: r.active_from_ms, retiredAtMs: r.retired_at_ms, publishUntilMs: r.publish_until_ms },
        now,
      ),
      activeFrom: new Date(r.active_from_ms).toISOString(),
      retired: iso(r.retired_at_ms),
      publishedUntil: iso(r.publish_until_ms),
    }));
  }

  /** The public JWK set: public parts only. */
  jwks(): { keys: JWK[] } {
    this.refreshIfStale();
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
    audience: string = this.audience,
  ): Promise<{ jwt: string; expiresAtMs: number; issuedAtMs: number }> {
    this.refreshIfStale();
    let signer = this.signer();
    if (!signer?.privateKey) {
      await this.reload();
      signer = this.signer();
    }
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
      .setAudience(audience)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(expS)
      .sign(signer.privateKey);
    return { jwt, expiresAtMs: expS * 1000, issuedAtMs: nowS * 1000 };
  }

  /**
   * Verifies signature, kid, alg, typ, iss, aud, nbf and exp. Returns the claims or null; never
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
        // RFC 9068 §4: only access tokens (every token signed here says so).
        typ: 'at+jwt',
        issuer: this.issuers,
        // Any configured audience: introspection answers for them all. Only tokens for the
        // default one are bearer credentials of this API (Verifier checks the row's audience).
        audience: [...this.audiences],
        currentDate: new Date(this.deps.clock()),
        clockTolerance: 5,
      });
      return payload as AccessClaims;
    } catch {
      return null;
    }
  }
}
