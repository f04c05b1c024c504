import { AppError, type LifetimePolicy, type MintPlan, parseDateInput } from '@tokenward/core';
import {
  countTokensForExport,
  type ExportTokenRow,
  findExistingTokenHashes,
  findIdentityByName,
  type IdentityRow,
  insertTokensIfAbsent,
  listTokensForExport,
  type NewTokenRow,
  newTokenRow,
  type Store,
} from '@tokenward/store';
import type { TokenRecord } from '../schemas/token-transfer.js';
import type { AuditService } from './audit.service.js';
import type { Invalidator } from './invalidator.js';
import type { RequestMeta } from './request-meta.js';
import { type TokenMinter, targetOf } from './token-minter.js';
import type { Principal } from './verifier.js';

/** Kinds that move between instances: long-lived bearer tokens whose value the holder keeps. */
export const TRANSFER_KINDS = ['app', 'personal'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

export interface ImportResult {
  imported: number;
  skipped: Array<{ id?: number; hint: string; reason: string }>;
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** More imported hashes than this in one batch flush every cache instead of one by one. */
const PER_HASH_INVALIDATION_LIMIT = 20;

const iso = (ms: number) => new Date(ms).toISOString();

export interface TokenTransferDeps {
  store: Store;
  minter: TokenMinter;
  audit: AuditService;
  invalidator: Invalidator;
  clock: () => number;
  policies: Readonly<Record<TransferKind, LifetimePolicy>>;
}

/**
 * Export and import of whole token tables, hashes only (SPEC §2, seed 001's high-availability
 * move): the same token values become valid on another instance without sharing a signing key.
 * Import is idempotent: a hash already present is skipped, never duplicated or changed.
 */
export class TokenTransferService {
  constructor(private readonly deps: TokenTransferDeps) {}

  toRecord(row: ExportTokenRow): TokenRecord {
    return {
      id: row.id,
      kind: row.kind,
      token_hash: row.token_hash,
      hint: row.hint,
      name: row.name,
      description: row.description,
      identity: row.identity_name ?? '',
      roles: row.roles,
      scope: row.scope === 'custom' ? 'custom' : 'all',
      apiEndpoints: row.api_endpoints,
      created: iso(row.created_at_ms),
      expiration: iso(row.expires_at_ms),
      revoked: row.revoked === 1,
      revokedDate: row.revoked_at_ms === null ? null : iso(row.revoked_at_ms),
      ceiling: row.ceiling,
    };
  }

  async exportPage(
    caller: Principal,
    f: { kinds: readonly TransferKind[]; afterId: number; limit: number; activeOnly: boolean },
  ): Promise<{ items: TokenRecord[]; next: number | null; total: number }> {
    caller.authority.require('tokens:read-any');
    const nowMs = this.deps.clock();
    const filter = { kinds: f.kinds, activeOnly: f.activeOnly, nowMs };
    const [rows, total] = await Promise.all([
      listTokensForExport(this.deps.store.db, { ...filter, afterId: f.afterId, limit: f.limit }),
      countTokensForExport(this.deps.store.db, filter),
    ]);
    const last = rows.at(-1);
    return {
      items: rows.map((r) => this.toRecord(r)),
      next: rows.length === f.limit && last ? last.id : null,
      total,
    };
  }

  /**
   * Imports a batch of exported records. Each record is checked as a grant would be: the
   * identity (by name, case-insensitively) must exist and be enabled on this instance, the
   * roles must exist, be held by it and be covered by the caller. A record that fails a check
   * is skipped with the reason; the others are imported. One audit event per batch.
   */
  async importHashes(
    caller: Principal,
    records: readonly TokenRecord[],
    meta: RequestMeta,
  ): Promise<ImportResult> {
    // Importing hashes is importing tokens: tokens:import, and tokens:grant-any for records of
    // other identities (checked per record by the minting rule).
    caller.authority.require('tokens:import', 'Importing tokens needs the tokens:import permission.');
    const nowMs = this.deps.clock();
    const skipped: ImportResult['skipped'] = [];
    // The id is only echoed back, and only when it is one: Ajv coerces "1e309" to Infinity, which
    // the response serialiser refuses (a 500, after the batch's other records had been stored).
    const skip = (r: TokenRecord, reason: string) =>
      skipped.push({ ...(Number.isSafeInteger(r.id) ? { id: r.id } : {}), hint: r.hint ?? '', reason });

    const existing = await findExistingTokenHashes(
      this.deps.store.db,
      records.map((r) => r.token_hash).filter((h) => HASH_PATTERN.test(h)),
    );
    const identities = new Map<string, IdentityRow | undefined>();
    const seen = new Set<string>();
    const rows: NewTokenRow[] = [];
    const rowRecords: TokenRecord[] = [];

    for (const r of records) {
      if (!HASH_PATTERN.test(r.token_hash)) {
        skip(r, 'invalid_hash');
        continue;
      }
      if (existing.has(r.token_hash) || seen.has(r.token_hash)) {
        skip(r, 'exists');
        continue;
      }
      if (!(TRANSFER_KINDS as readonly string[]).includes(r.kind)) {
        skip(r, 'unsupported_kind');
        continue;
      }
      const kind = r.kind as TransferKind;
      const key = r.identity.toLowerCase();
      if (!identities.has(key)) identities.set(key, await findIdentityByName(this.deps.store.db, r.identity));
      const identity = identities.get(key);
      if (!identity) {
        skip(r, 'unknown_identity');
        continue;
      }
      if (identity.enabled !== 1) {
        skip(r, 'identity_disabled');
        continue;
      }
      const createdMs = parseDateInput(r.created);
      const expiresMs = parseDateInput(r.expiration);
      const revokedMs = r.revokedDate ? parseDateInput(r.revokedDate) : null;
      if (createdMs === null || expiresMs === null || (r.revokedDate && revokedMs === null)) {
        skip(r, 'invalid_date');
        continue;
      }
      // A live token keeps its expiration, within this instance's maximum for its kind.
      const maxMs = nowMs + this.deps.policies[kind].maxTtlSeconds * 1000 + 60_000;
      if (!r.revoked && expiresMs > maxMs) {
        skip(r, 'lifetime_exceeded');
        continue;
      }
      if (r.roles.length === 0) {
        skip(r, 'no_roles');
        continue;
      }
      let plan: MintPlan;
      try {
        if (r.scope === 'custom' && (r.apiEndpoints ?? []).length === 0) {
          throw new AppError('invalid_endpoint_pattern');
        }
        // Checked as a grant would be, keeping the ceiling the token had where it was minted.
        plan = this.deps.minter.plan(caller.authority, 'import', targetOf(identity), {
          roles: r.roles,
          ...(r.scope === 'custom' ? { endpoints: r.apiEndpoints ?? [] } : {}),
          ...(r.ceiling ? { ceiling: r.ceiling } : {}),
        });
        // The caller's own allow-list would silently narrow an unrestricted token: refuse instead.
        if (r.scope !== 'custom' && plan.endpoints !== null) throw new AppError('endpoint_not_allowed');
      } catch (err) {
        if (err instanceof AppError) {
          skip(r, err.code);
          continue;
        }
        throw err;
      }
      seen.add(r.token_hash);
      rows.push(
        newTokenRow({
          kind,
          tokenHash: r.token_hash,
          hint: r.hint,
          name: r.name,
          description: r.description,
          identityId: identity.id,
          roles: plan.roles,
          endpoints: plan.endpoints,
          ceiling: plan.ceiling,
          createdAtMs: createdMs,
          expiresAtMs: expiresMs,
          revokedAtMs: r.revoked ? (revokedMs ?? nowMs) : null,
          parentId: caller.token?.id ?? null,
          createdBy: caller.identity.id,
          imported: true,
        }),
      );
      rowRecords.push(r);
    }

    const inserted = await insertTokensIfAbsent(this.deps.store.db, rows);
    const insertedHashes = new Set(inserted.map((row) => row.token_hash));
    // A concurrent import of the same file may have won the unique index for some rows.
    for (const r of rowRecords) if (!insertedHashes.has(r.token_hash)) skip(r, 'exists');

    // Values tried before their import may sit in a negative cache entry on any instance. A
    // large batch sends one "everything changed" message (the role reload clears every cache on
    // every instance) instead of one message per hash.
    if (inserted.length > PER_HASH_INVALIDATION_LIMIT) await this.deps.invalidator.roles();
    else for (const row of inserted) await this.deps.invalidator.token(row.token_hash);

    const reasons: Record<string, number> = {};
    for (const s of skipped) reasons[s.reason] = (reasons[s.reason] ?? 0) + 1;
    await this.deps.audit.record({
      action: 'token.import_hashes',
      actor: caller.identity,
      targetType: 'token',
      ip: meta.ip,
      details: {
        received: records.length,
        imported: inserted.length,
        skipped: skipped.length,
        ...(skipped.length > 0 ? { reasons } : {}),
      },
    });
    return { imported: inserted.length, skipped };
  }
}
