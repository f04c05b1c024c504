import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** What `tokenward login` stores. The token is a personal token (or one given with --with-token). */
export interface StoredConfig {
  url: string;
  token: string;
  /** Name of the identity the token belongs to. */
  identity?: string;
  /** Id of the personal token `login` created (so `logout` can revoke it). */
  tokenId?: number | null;
  /** Whether `login` created the token (and `logout` may revoke it). */
  createdByLogin?: boolean;
  savedAt?: string;
}

/** `TOKENWARD_CONFIG`, else `$XDG_CONFIG_HOME/tokenward/config.json`, else `~/.config/tokenward/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOKENWARD_CONFIG) return env.TOKENWARD_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'tokenward', 'config.json');
}

export function readConfig(path = configPath()): StoredConfig | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredConfig>;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') {
      throw new Error('url or token missing');
    }
    return parsed as StoredConfig;
  } catch (err) {
    throw new CliError(
      `The config file ${path} is not valid (${(err as Error).message}); run \`tokenward login\` again.`,
      EXIT.failure,
    );
  }
}

/**
 * Writes the config readable by its owner only (0600; its folder 0700), replacing the file
 * atomically so a reader never sees half of it.
 */
export function writeConfig(config: StoredConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function removeConfig(path = configPath()): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}
