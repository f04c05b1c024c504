import { randomBytes } from 'node:crypto';
import { hashPassword } from '@tokenward/core';
import { countIdentities, insertAuditEvent, insertIdentity, type Store } from '@tokenward/store';

export interface FirstStart {
  /** The `admin` identity was created by this start. */
  created: boolean;
  /** The generated password (only when none was configured), to be printed once. */
  generatedPassword?: string;
}

/** On an empty store, creates the `admin` Administrator identity. */
export async function bootstrapAdmin(
  store: Store,
  configuredPassword: string | undefined,
  now: number,
): Promise<FirstStart> {
  if ((await countIdentities(store.db)) > 0) return { created: false };
  const password = configuredPassword ?? randomBytes(15).toString('base64url');
  try {
    await store.db.transaction().execute(async (trx) => {
      const row = await insertIdentity(trx, {
        name: 'admin',
        name_key: 'admin',
        email: null,
        email_key: null,
        first_name: null,
        last_name: null,
        source: 'local',
        roles: JSON.stringify(['Administrator']),
        enabled: 1,
        password_hash: await hashPassword(password),
        created_at_ms: now,
        updated_at_ms: now,
      });
      await insertAuditEvent(trx, {
        at_ms: now,
        actor_id: null,
        actor_name: 'tokenward',
        action: 'identity.create',
        outcome: 'success',
        target_type: 'identity',
        target_id: String(row.id),
        ip: null,
        details: JSON.stringify({ name: 'admin', roles: ['Administrator'], firstStart: true }),
      });
    });
  } catch (err) {
    // Another instance starting at the same moment created it first.
    if ((await countIdentities(store.db)) > 0) return { created: false };
    throw err;
  }
  return configuredPassword ? { created: true } : { created: true, generatedPassword: password };
}
