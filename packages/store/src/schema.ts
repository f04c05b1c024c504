import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/*
 * One schema for both dialects. Times are epoch milliseconds in BIGINT columns (read back as
 * numbers), flags are 0/1 integers and lists are JSON text, so rows look the same whichever
 * store produced them and no code above this package branches on the dialect.
 */

export interface IdentityTable {
  id: Generated<number>;
  name: string;
  /** lower(name): unique, so names are unique case-insensitively. */
  name_key: string;
  email: string | null;
  email_key: string | null;
  first_name: string | null;
  last_name: string | null;
  source: string;
  /** JSON array of role names. */
  roles: string;
  enabled: number;
  password_hash: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  /** JSON array of identity ids this identity may act for (token exchange), or null: any. */
  act_for: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1: tokens minted for it at the token endpoint need a DPoP proof (RFC 9449). */
  require_dpop: ColumnType<number, number | undefined, number>;
}

export interface RoleTable {
  name: string;
  name_key: string;
  description: string;
  /** JSON array of permission strings. */
  permissions: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** 1: tokens minted for an identity holding it need a DPoP proof (RFC 9449). */
  require_dpop: ColumnType<number, number | undefined, number>;
}

export interface TokenTable {
  id: Generated<number>;
  kind: string;
  /** SHA-256 hex of the token value: the only form in which a token is kept. */
  token_hash: string;
  hint: string;
  name: string;
  description: string;
  identity_id: number;
  /** JSON array of role names. */
  roles: string;
  /** `all` or `custom`. */
  scope: string;
  /** JSON array of `METHOD /path` entries when scope is custom, else null. */
  api_endpoints: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  revoked: ColumnType<number, number | undefined, number>;
  revoked_at_ms: number | null;
  last_used_at_ms: number | null;
  use_count: ColumnType<number, number | undefined, number>;
  /** Token this one was issued from (refresh chains, derived tokens). */
  parent_id: number | null;
  /** First token of a refresh family. */
  family_id: number | null;
  /** Set once when a single-use or rotating token is spent. */
  spent_at_ms: number | null;
  /** Free-form sub-type (seed-004 token types). */
  subtype: string | null;
  created_by: number | null;
  imported: ColumnType<number, number | undefined, number>;
  /** JSON array of permission grants further limiting the token, or null (older exchanges). */
  permissions: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON array: the effective permission grants of whoever minted the token (its ceiling). */
  ceiling: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON object: the RFC 8693 `act` chain of a delegated token. */
  act: ColumnType<string | null, string | null | undefined, string | null>;
  /** Token exchange: the actor's token, which minted this one together with the subject's. */
  actor_token_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** JSON array of the scope strings (role names, permissions) it was narrowed to, or null: all its roles give. */
  scopes: ColumnType<string | null, string | null | undefined, string | null>;
  /** An access JWT's `jti` claim, or null. */
  jti: ColumnType<string | null, string | null | undefined, string | null>;
  /** An access token's `client_id` (the name of the identity that obtained it), or null. */
  client_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** An access JWT's `aud` when not the default audience, or null. */
  audience: ColumnType<string | null, string | null | undefined, string | null>;
  /** RFC 9449 / RFC 7638: thumbprint of the DPoP key the token is bound to, or null (a bearer token). */
  cnf_jkt: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionTable {
  id: Generated<number>;
  /** SHA-256 hex of the session secret held in the cookie. */
  secret_hash: string;
  /** SHA-256 hex of the CSRF token bound to this session. */
  csrf_hash: string;
  identity_id: number;
  created_at_ms: number;
  last_seen_at_ms: number;
  expires_at_ms: number;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at_ms: number;
  actor_id: number | null;
  actor_name: string | null;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  /** JSON object; never contains token values or passwords. */
  details: string | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  /** Public JWK (JSON). */
  public_jwk: string;
  /** Private JWK encrypted with the master key (AES-256-GCM). */
  private_jwk_enc: string;
  created_at_ms: number;
  /**
   * When this key starts signing: after a rotation's publication delay, so verifiers that
   * cached the JWKS have seen it first. Null only on rows written before the column existed
   * (read as created_at_ms).
   */
  active_from_ms: number | null;
  /** When a newer key takes (or took) over signing; null while no newer key is scheduled. */
  retired_at_ms: number | null;
  /** Retired keys stay published until every token they signed has expired. */
  publish_until_ms: number | null;
}

/** Failed-attempt counters shared by every instance (sign-in, personal-token authentication). */
export interface RateLimitTable {
  key: string;
  failures: number;
  window_start_ms: number;
  blocked_until_ms: number;
}

/** An identity's registered public keys for private_key_jwt client authentication (RFC 7523). */
export interface ClientKeyTable {
  identity_id: number;
  /** A JWKS as JSON text: public members only. */
  jwks: string;
  /** JSON arrays: the roles and ceiling planned when the keys were registered. */
  roles: string;
  ceiling: string;
  /** JSON array of endpoint patterns, or null. */
  api_endpoints: string | null;
  created_by: number | null;
  updated_at_ms: number;
}

/** DPoP proofs accepted within their iat window (RFC 9449 §11.1 replay check), every instance's. */
export interface DpopProofTable {
  /** SHA-256 hex of the key thumbprint and the proof's `jti`. */
  jti_hash: string;
  expires_at_ms: number;
}

export interface Database {
  identities: IdentityTable;
  roles: RoleTable;
  tokens: TokenTable;
  sessions: SessionTable;
  audit_events: AuditEventTable;
  signing_keys: SigningKeyTable;
  rate_limits: RateLimitTable;
  client_keys: ClientKeyTable;
  dpop_proofs: DpopProofTable;
}

/*
 * Rows as the repositories return them: the JSON columns parsed once, in rows.ts, so nothing
 * above this package parses a column. Writes still take the stored (JSON text) form.
 */
export type StoredIdentityRow = Selectable<IdentityTable>;
export type IdentityRow = Omit<StoredIdentityRow, 'roles' | 'act_for'> & {
  roles: string[];
  act_for: number[] | null;
};
export type NewIdentityRow = Insertable<IdentityTable>;
export type IdentityUpdate = Updateable<IdentityTable>;
export type StoredRoleRow = Selectable<RoleTable>;
export type RoleRow = Omit<StoredRoleRow, 'permissions'> & { permissions: string[] };
export type NewRoleRow = Insertable<RoleTable>;
export type StoredTokenRow = Selectable<TokenTable>;
export type TokenRow = Omit<
  StoredTokenRow,
  'roles' | 'api_endpoints' | 'permissions' | 'ceiling' | 'act' | 'scopes'
> & {
  roles: string[];
  scopes: string[] | null;
  api_endpoints: string[] | null;
  permissions: string[] | null;
  ceiling: string[] | null;
  act: Record<string, unknown> | null;
};
export type NewTokenRow = Insertable<TokenTable>;
export type SessionRow = Selectable<SessionTable>;
export type NewSessionRow = Insertable<SessionTable>;
export type StoredAuditEventRow = Selectable<AuditEventTable>;
export type AuditEventRow = Omit<StoredAuditEventRow, 'details'> & {
  details: Record<string, unknown> | null;
};
export type NewAuditEventRow = Insertable<AuditEventTable>;
export type StoredSigningKeyRow = Selectable<SigningKeyTable>;
export type SigningKeyRow = Omit<StoredSigningKeyRow, 'public_jwk' | 'active_from_ms'> & {
  public_jwk: Record<string, unknown>;
  active_from_ms: number;
};
export type NewSigningKeyRow = Insertable<SigningKeyTable>;
export type RateLimitRow = Selectable<RateLimitTable>;
