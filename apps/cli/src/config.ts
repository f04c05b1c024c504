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

/** The profile used when neither `--profile` nor `TOKENWARD_PROFILE` names one. */
export const DEFAULT_PROFILE = 'default';

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Checks a profile name (letters, digits, `_`, `.`, `-`; at most 64). */
export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name) || name === 'profiles') {
    throw new CliError(
      `"${name}" is not a profile name: use letters, digits, "_", "." or "-" (at most 64).`,
      EXIT.usage,
    );
  }
  return name;
}

/**
 * The file: the default profile's fields at the top level (the format before profiles existed,
 * still read and written as is), other profiles by name under `profiles`.
 */
type ConfigFile = Partial<StoredConfig> & { profiles?: Record<string, Partial<StoredConfig>> };

function readFile(path: string): ConfigFile | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as ConfigFile;
  } catch (err) {
    throw invalid(path, err);
  }
}

function invalid(path: string, err: unknown): CliError {
  return new CliError(
    `The config file ${path} is not valid (${(err as Error).message}); run \`tokenward login\` again.`,
    EXIT.failure,
  );
}

/** The stored credential of a profile, or null when the file or the profile does not exist. */
export function readConfig(profile = DEFAULT_PROFILE, path = configPath()): StoredConfig | null {
  const file = readFile(path);
  if (!file) return null;
  const isDefault = profile === DEFAULT_PROFILE;
  const entry = isDefault ? file : file.profiles?.[profile];
  if (!entry) return null;
  // A file holding only named profiles has no default one; anything else half-written is broken.
  if (isDefault && file.profiles && entry.url === undefined && entry.token === undefined) return null;
  if (typeof entry.url !== 'string' || typeof entry.token !== 'string') {
    throw invalid(
      path,
      new Error(isDefault ? 'url or token missing' : `profile ${profile}: url or token missing`),
    );
  }
  const { profiles: _others, ...config } = entry as ConfigFile;
  return config as StoredConfig;
}

/** The names of the profiles the file holds (the default one first, when present). */
export function listProfiles(path = configPath()): string[] {
  const file = readFile(path);
  if (!file) return [];
  const named = Object.keys(file.profiles ?? {});
  return typeof file.url === 'string' ? [DEFAULT_PROFILE, ...named] : named;
}

/**
 * Stores a profile's credential, keeping the other profiles. The file is readable by its owner
 * only (0600; its folder 0700) and replaced atomically so a reader never sees half of it.
 */
export function writeConfig(config: StoredConfig, profile = DEFAULT_PROFILE, path = configPath()): void {
  const file = readFile(path) ?? {};
  const profiles = file.profiles;
  const next: ConfigFile =
    profile === DEFAULT_PROFILE
      ? { ...config, ...(profiles ? { profiles } : {}) }
      : { ...withoutProfiles(file), profiles: { ...profiles, [profile]: config } };
  writeFile(next, path);
}

/** Removes a profile; the file goes when nothing is left in it. Whether there was one. */
export function removeConfig(profile = DEFAULT_PROFILE, path = configPath()): boolean {
  const file = readFile(path);
  if (!file) return false;
  let next: ConfigFile;
  if (profile === DEFAULT_PROFILE) {
    if (file.url === undefined && file.token === undefined) return false;
    next = file.profiles ? { profiles: file.profiles } : {};
  } else {
    if (!file.profiles?.[profile]) return false;
    const { [profile]: _gone, ...rest } = file.profiles;
    next = { ...withoutProfiles(file), ...(Object.keys(rest).length ? { profiles: rest } : {}) };
  }
  if (Object.keys(next).length === 0) rmSync(path);
  else writeFile(next, path);
  return true;
}

function withoutProfiles(file: ConfigFile): Partial<StoredConfig> {
  const { profiles: _p, ...rest } = file;
  return rest;
}

function writeFile(file: ConfigFile, path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
