import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

/** The master key file exists but does not hold a key: the operator must fix it before start. */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/** Decodes a 32-byte key from 64 hex characters or base64; null when it is neither. */
export function parseMasterKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const buf = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return buf.length === 32 ? buf : null;
  }
  return null;
}

/**
 * The master key encrypts signing keys at rest. From TOKENWARD_MASTER_KEY, or generated once
 * into `<data dir>/master.key` (mode 0600) with a warning: instances sharing a store must
 * share this key.
 */
export function resolveMasterKey(
  configured: string | undefined,
  dataDir: string,
  log: FastifyBaseLogger,
): Buffer {
  if (configured) return parseMasterKey(configured)!;
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) {
    const key = parseMasterKey(readFileSync(file, 'utf8').trim());
    if (!key) throw new MasterKeyError(`${file} does not hold a valid master key (64 hex characters).`);
    return key;
  }
  // Created private: it holds the master key (and, with SQLite, the database).
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  log.warn(
    { file },
    'TOKENWARD_MASTER_KEY is not set: generated a master key into the data folder. Back it up, and give every instance sharing this store the same TOKENWARD_MASTER_KEY.',
  );
  return key;
}

/** A 32-byte key derived from the master key for one purpose (HKDF-SHA-256). */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `tokenward:${purpose}`, 32));
}

/** Encrypts with AES-256-GCM under a key derived from the master key for this purpose. */
export class Sealer {
  private readonly key: Buffer;

  constructor(masterKey: Buffer, purpose: string) {
    this.key = deriveKey(masterKey, purpose);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
  }

  /** Null when the value was sealed under another master key or was tampered with. */
  open(sealed: string): string | null {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }
}
