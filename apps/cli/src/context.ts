import { TokenwardClient } from '@tokenward/client';
import type { Command } from 'commander';
import { checkProfileName, configPath, DEFAULT_PROFILE, readConfig, type StoredConfig } from './config.js';
import { CliError, EXIT } from './exit-codes.js';

export interface GlobalOptions {
  url?: string;
  json?: boolean;
  profile?: string;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The config profile: --profile, else TOKENWARD_PROFILE, else `default`. */
export function profileName(cmd: Command): string {
  // commander fills --profile from TOKENWARD_PROFILE; an empty value means the default.
  return checkProfileName(globals(cmd).profile || DEFAULT_PROFILE);
}

/** The stored credential of the profile in use, or null. */
export function storedConfig(cmd: Command): StoredConfig | null {
  return readConfig(profileName(cmd));
}

/** Where the profile in use lives, for messages: the file, and the profile unless the default. */
export function configLabel(cmd: Command): string {
  const profile = profileName(cmd);
  return profile === DEFAULT_PROFILE ? configPath() : `${configPath()}, profile ${profile}`;
}

/** The server URL: --url, else TOKENWARD_URL, else the config file's profile. */
export function resolveUrl(cmd: Command): string | undefined {
  return globals(cmd).url ?? process.env.TOKENWARD_URL ?? storedConfig(cmd)?.url;
}

/** A client with the stored (or TOKENWARD_TOKEN) credential; exit 3 when there is none. */
export function authedClient(cmd: Command): TokenwardClient {
  const url = resolveUrl(cmd);
  const token = process.env.TOKENWARD_TOKEN || storedConfig(cmd)?.token;
  if (!url || !token) {
    throw new CliError(
      `Not logged in: run \`tokenward login <url>\` (config: ${configLabel(cmd)}), or set TOKENWARD_URL and TOKENWARD_TOKEN.`,
      EXIT.unauthenticated,
    );
  }
  return makeClient(url, token);
}

export function makeClient(url: string, token?: string): TokenwardClient {
  try {
    return new TokenwardClient({ baseUrl: url, ...(token ? { token } : {}) });
  } catch (err) {
    throw new CliError(`Invalid server URL "${url}": ${(err as Error).message}`, EXIT.usage);
  }
}
