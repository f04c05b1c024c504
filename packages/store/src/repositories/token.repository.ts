import { type Kysely, sql, type Transaction } from 'kysely';
import { maybe, tokenRow } from '../rows.js';
import type { Database, NewTokenRow, TokenRow } from '../schema.js';
import { insertRow } from './insert.js';
import { containsPattern } from './like.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a new token is made of; newTokenRow turns it into the row the table stores. */
export interface NewToken {
  kind: 'app' | 'personal' | 'refresh' | 'access';
  /** SHA-256 hex of the value. */
  tokenHash: string;
  hint: string;
  name: string;
  description: string;
  identityId: number;
  roles: readonly string[];
  /** Endpoint allow-list, or null for none. */
  endpoints: readonly string[] | null;
  /** The minter's effective permission grants, or null (imported hashes of old exports). */
  ceiling: readonly string[] | null;
  /** RFC 8693 `act` chain of a delegated token. */
  act?: object | null;
  createdAtMs: number;
  expiresAtMs: number;
  /** The token that minted this one: revoking it revokes this one. */
  parentId?: number | null;
  /** Exchange: the actor's token, which minted it too: revoking it revokes this one as well. */
  actorTokenId?: number | null;
  /** First token of a refresh family. */
  familyId?: number | null;
  subtype?: string | null;
  /** RFC 9449: thumbprint of the DPoP key the token is bound to. */
  cnfJkt?: string | null;
  createdBy: number | null;
  imported?: boolean;
  revokedAtMs?: number | null;
  /** Scope strings (role names, permissions) it was narrowed to, or null: everything its roles give. */
  scopes?: readonly string[] | null;
  /** An access JWT's `jti`. */
  jti?: string | null;
  /** An access token's `client_id`: the name of the identity that obtained it. */
  clientId?: string | null;
  /** An access JWT's `aud` when it is not the default audience. */
  audience?: string | null;
}

/** The one factory of a new token row: every kind, every path that creates one. */
export function newTokenRow(t: NewToken): NewTokenRow {
  return {
    kind: t.kind,
    token_hash: t.tokenHash,
    hint: t.hint,
    name: t.name,
    description: t.description,
    identity_id: t.identityId,
    roles: JSON.stringify(t.roles),
    scope: t.endpoints ? 'custom' : 'all',
    api_endpoints: t.endpoints ? JSON.stringify(t.endpoints) : null,
    created_at_ms: t.createdAtMs,
    expires_at_ms: t.expiresAtMs,
    revoked: t.revokedAtMs === undefined || t.revokedAtMs === null ? 0 : 1,
    revoked_at_ms: t.revokedAtMs ?? null,
    last_used_at_ms: null,
    parent_id: t.parentId ?? null,
    actor_token_id: t.actorTokenId ?? null,
    family_id: t.familyId ?? null,
    spent_at_ms: null,
    subtype: t.subtype ?? null,
    created_by: t.createdBy,
    imported: t.imported ? 1 : 0,
    permissions: null,
    ceiling: t.ceiling ? JSON.stringify(t.ceiling) : null,
    act: t.act ? JSON.stringify(t.act) : null,
    scopes: t.scopes ? JSON.stringify(t.scopes) : null,
    jti: t.jti ?? null,
    client_id: t.clientId ?? null,
    audience: t.audience ?? null,
    cnf_jkt: t.cnfJkt ?? null,
  };
}

/** Inserts a token and returns the stored row (column defaults filled in as the schema has them). */
export async function insertToken(db: Db, token: NewToken): Promise<TokenRow> {
  const row = newTokenRow(token);
  const id = (await insertRow(db, 'tokens', row, true))!;
  return {
    ...row,
    id,
    // The values themselves, not their JSON: nothing to parse back.
    roles: [...token.roles],
    api_endpoints: token.endpoints ? [...token.endpoints] : null,
    revoked: row.revoked ?? 0,
    revoked_at_ms: row.revoked_at_ms ?? null,
    last_used_at_ms: row.last_used_at_ms ?? null,
    use_count: row.use_count ?? 0,
    parent_id: row.parent_id ?? null,
    actor_token_id: row.actor_token_id ?? null,
    family_id: row.family_id ?? null,
    spent_at_ms: row.spent_at_ms ?? null,
    subtype: row.subtype ?? null,
    created_by: row.created_by ?? null,
    imported: row.imported ?? 0,
    permissions: null,
    ceiling: token.ceiling ? [...token.ceiling] : null,
    act: token.act ? { ...token.act } : null,
    scopes: token.scopes ? [...token.scopes] : null,
    jti: row.jti ?? null,
    client_id: row.client_id ?? null,
    audience: row.audience ?? null,
    cnf_jkt: row.cnf_jkt ?? null,
  };
}

/** One indexed look-up by hash: the only way a presented token is found. */
export async function findTokenByHash(db: Db, tokenHash: string): Promise<TokenRow | undefined> {
  return maybe(
    await db.selectFrom('tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst(),
    tokenRow,
  );
}

export async function findTokenById(db: Db, id: number): Promise<TokenRow | undefined> {
  return maybe(await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst(), tokenRow);
}

export interface TokenFilter {
  identityId?: number;
  kinds?: readonly string[];
  /** Active, Revoked or Expired, evaluated at `nowMs`. */
  status?: 'Active' | 'Revoked' | 'Expired';
  /** Only tokens expiring before this instant (and not yet expired). */
  expiringBeforeMs?: number;
  search?: string;
  /** Only tokens of these sub-types (seed-004 token types). */
  subtypes?: readonly string[];
  /** Only tokens that start a family (not rotated or derived members). */
  familyRootsOnly?: boolean;
  nowMs: number;
  limit: number;
  offset: number;
}

export async function listTokens(db: Db, f: TokenFilter): Promise<{ rows: TokenRow[]; total: number }> {
  let q = db.selectFrom('tokens');
  if (f.identityId !== undefined) q = q.where('identity_id', '=', f.identityId);
  if (f.subtypes && f.subtypes.length > 0) q = q.where('subtype', 'in', [...f.subtypes]);
  if (f.familyRootsOnly) q = q.where('family_id', 'is', null);
  if (f.kinds && f.kinds.length > 0) q = q.where('kind', 'in', [...f.kinds]);
  if (f.status === 'Revoked') q = q.where('revoked', '=', 1);
  if (f.status === 'Active') q = q.where('revoked', '=', 0).where('expires_at_ms', '>', f.nowMs);
  if (f.status === 'Expired') q = q.where('revoked', '=', 0).where('expires_at_ms', '<=', f.nowMs);
  if (f.expiringBeforeMs !== undefined) {
    q = q.where('expires_at_ms', '<=', f.expiringBeforeMs).where('expires_at_ms', '>', f.nowMs);
  }
  if (f.search) {
    const like = containsPattern(f.search);
    q = q.where((eb) =>
      eb.or([eb(eb.fn('lower', ['name']), 'like', like), eb(eb.fn('lower', ['description']), 'like', like)]),
    );
  }
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(tokenRow), total: Number(count.n) };
}

/** Changes a token's name and description: the only columns a caller may change. */
export async function updateTokenMeta(
  db: Db,
  id: number,
  change: { name?: string | undefined; description?: string | undefined },
): Promise<TokenRow | undefined> {
  const set: { name?: string; description?: string } = {};
  if (change.name !== undefined) set.name = change.name;
  if (change.description !== undefined) set.description = change.description;
  if (set.name === undefined && set.description === undefined) return findTokenById(db, id);
  return maybe(
    await db.updateTable('tokens').set(set).where('id', '=', id).returningAll().executeTakeFirst(),
    tokenRow,
  );
}

/**
 * Applies batched usage: one UPDATE per chunk of 100 tokens (CASE on the id), keeping the
 * latest time and adding the count observed since the last flush. A flush of 10 000 tokens is
 * 100 statements, not 10 000.
 */
export async function recordTokenUsage(
  db: Kysely<Database>,
  usage: ReadonlyArray<{ id: number; lastUsedAtMs: number; count: number }>,
): Promise<void> {
  if (usage.length === 0) return;
  // Small statements, each its own transaction, with the event loop free between them: with
  // SQLite a statement runs on the event loop, and one flush of 10 000 tokens in one go would
  // hold up every request for its whole duration. Usage figures need no all-or-nothing write.
  const CHUNK = 100;
  // Ids in ascending order: every flush locks rows in the same order.
  usage = [...usage].sort((a, b) => a.id - b.id);
  for (let i = 0; i < usage.length; i += CHUNK) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    const part = usage.slice(i, i + CHUNK);
    const lastUsed = sql.join(
      part.map((u) => sql`WHEN ${u.id} THEN CAST(${u.lastUsedAtMs} AS BIGINT)`),
      sql` `,
    );
    const counts = sql.join(
      part.map((u) => sql`WHEN ${u.id} THEN CAST(${u.count} AS BIGINT)`),
      sql` `,
    );
    await retryOnConflict(() =>
      db
        .updateTable('tokens')
        .set({
          last_used_at_ms: sql<number>`CASE id ${lastUsed} END`,
          use_count: sql<number>`use_count + CASE id ${counts} END`,
        })
        .where(
          'id',
          'in',
          part.map((u) => u.id),
        )
        .execute(),
    );
  }
}

/** Whether any live token still carries the role (compared case-insensitively). */
export async function hasLiveTokenWithRole(db: Db, roleName: string, nowMs: number): Promise<boolean> {
  const needle = `%${JSON.stringify(roleName.toLowerCase()).replace(/[\\%]/g, '')}%`;
  const row = await db
    .selectFrom('tokens')
    .select('id')
    .where('revoked', '=', 0)
    .where('expires_at_ms', '>', nowMs)
    .where((eb) => eb(eb.fn('lower', ['roles']), 'like', needle))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks a token spent if it was not: the one atomic step behind single use and rotation. */
export async function spendToken(db: Db, id: number, atMs: number): Promise<boolean> {
  const r = await db
    .updateTable('tokens')
    .set({ spent_at_ms: atMs })
    .where('id', '=', id)
    .where('spent_at_ms', 'is', null)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Revokes every live token of a refresh family; returns the ids and hashes revoked. */
export async function revokeFamily(
  db: Db,
  familyId: number,
  atMs: number,
): Promise<Array<{ id: number; token_hash: string }>> {
  return db
    .updateTable('tokens')
    .set({ revoked: 1, revoked_at_ms: atMs })
    .where((eb) => eb.or([eb('family_id', '=', familyId), eb('id', '=', familyId)]))
    .where('revoked', '=', 0)
    .returning(['id', 'token_hash'])
    .execute();
}

/** A token revoked by revokeTokenTree: what caches must forget and the audit may name. */
export interface RevokedToken {
  id: number;
  token_hash: string;
}

/**
 * Revokes a token together with everything minted from it, in one transaction: tokens whose
 * parent it is, the members of families it roots or belongs to, and so on down, however deep.
 * `inTransaction` runs in the same transaction with what was revoked (the audit event): the
 * revocation commits with it or not at all. Returns what was revoked (ids and hashes, so
 * caches can forget them); empty when the token was already revoked with its subtree.
 */
export async function revokeTokenTree(
  db: Kysely<Database>,
  id: number,
  atMs: number,
  inTransaction?: (trx: Transaction<Database>, revoked: RevokedToken[]) => Promise<void>,
): Promise<RevokedToken[]> {
  // Concurrent writers (the usage flush, another revocation) may lock the same rows in another
  // order; PostgreSQL then aborts one transaction as a deadlock. Revocation must not fail for
  // that: run it again.
  return retryOnConflict(() =>
    db.transaction().execute(async (trx) => {
      const revoked = await revokeSubtree(trx, id, atMs);
      if (inTransaction && revoked.length > 0) await inTransaction(trx, revoked);
      return revoked;
    }),
  );
}

const RETRYABLE = new Set(['40P01', '40001', 'SQLITE_BUSY']);

async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || !code || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}

async function revokeSubtree(trx: Transaction<Database>, id: number, atMs: number): Promise<RevokedToken[]> {
  const row = await findTokenById(trx, id);
  if (!row) return [];
  const out = await trx
    .updateTable('tokens')
    .set({ revoked: 1, revoked_at_ms: atMs })
    .where('id', '=', id)
    .where('revoked', '=', 0)
    .returning(['id', 'token_hash'])
    .execute();
  // Revoking a family member revokes the whole family (refresh rotation chains).
  if (row.family_id !== null) out.push(...(await revokeFamily(trx, row.family_id, atMs)));
  // Down the tree, one level per statement. Each level revokes only live rows, so the walk
  // ends: a row is revoked (and enters the frontier) once.
  let frontier = [id, ...out.map((r) => r.id)];
  const seen = new Set(frontier);
  while (frontier.length > 0) {
    const next: RevokedToken[] = [];
    // Bounded IN lists: a wide tree is walked in slices.
    for (let i = 0; i < frontier.length; i += 500) {
      const slice = frontier.slice(i, i + 500);
      next.push(
        ...(await trx
          .updateTable('tokens')
          .set({ revoked: 1, revoked_at_ms: atMs })
          .where((eb) =>
            eb.or([
              eb('parent_id', 'in', slice),
              eb('family_id', 'in', slice),
              eb('actor_token_id', 'in', slice),
            ]),
          )
          .where('revoked', '=', 0)
          .returning(['id', 'token_hash'])
          .execute()),
      );
    }
    const fresh = next.filter((r) => !seen.has(r.id));
    for (const r of fresh) seen.add(r.id);
    out.push(...fresh);
    frontier = fresh.map((r) => r.id);
  }
  return out;
}
