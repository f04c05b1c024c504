import type { Kysely, Transaction } from 'kysely';
import { tokenRow } from '../rows.js';
import type { Database, NewTokenRow, TokenRow } from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A token row with the name of its identity, as the export reads it. */
export type ExportTokenRow = TokenRow & { identity_name: string | null };

export interface ExportFilter {
  kinds: readonly string[];
  /** Keyset cursor: only rows with a larger id. */
  afterId: number;
  limit: number;
  /** Only live (neither revoked nor expired at `nowMs`) tokens. */
  activeOnly?: boolean;
  nowMs: number;
}

function exportQuery(db: Db, f: Omit<ExportFilter, 'afterId' | 'limit'>) {
  let q = db.selectFrom('tokens').where('tokens.kind', 'in', [...f.kinds]);
  if (f.activeOnly) q = q.where('tokens.revoked', '=', 0).where('tokens.expires_at_ms', '>', f.nowMs);
  return q;
}

/**
 * One page of tokens for export, oldest first, by keyset (`id > afterId`) so a long export
 * neither skips nor repeats rows while tokens are being granted.
 */
export async function listTokensForExport(db: Db, f: ExportFilter): Promise<ExportTokenRow[]> {
  const rows = await exportQuery(db, f)
    .leftJoin('identities', 'identities.id', 'tokens.identity_id')
    .selectAll('tokens')
    .select('identities.name as identity_name')
    .where('tokens.id', '>', f.afterId)
    .orderBy('tokens.id', 'asc')
    .limit(f.limit)
    .execute();
  return rows.map(tokenRow);
}

/** How many tokens an export with this filter holds in all (for progress). */
export async function countTokensForExport(
  db: Db,
  f: Omit<ExportFilter, 'afterId' | 'limit'>,
): Promise<number> {
  const row = await exportQuery(db, f)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Which of these hashes are already stored: one indexed `IN` look-up. */
export async function findExistingTokenHashes(db: Db, hashes: readonly string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db
    .selectFrom('tokens')
    .select('token_hash')
    .where('token_hash', 'in', [...hashes])
    .execute();
  return new Set(rows.map((r) => r.token_hash));
}

/**
 * Inserts rows in one transaction; a row whose hash already exists (a concurrent import of
 * the same file) is left alone by the unique index. Returns the rows actually inserted.
 */
export async function insertTokensIfAbsent(
  db: Kysely<Database>,
  rows: readonly NewTokenRow[],
): Promise<TokenRow[]> {
  if (rows.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const out: TokenRow[] = [];
    for (const row of rows) {
      const inserted = await trx
        .insertInto('tokens')
        .values(row)
        .onConflict((oc) => oc.column('token_hash').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) out.push(tokenRow(inserted));
    }
    return out;
  });
}
