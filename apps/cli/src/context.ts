import { TokenwardClient } from '@tokenward/client';
import type { Command } from 'commander';
import { configPath, readConfig } from './config.js';
import { CliError, EXIT } from './exit-codes.js';

export interface GlobalOptions {
  url?: string;
  json?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The server URL: --url, else TOKENWARD_URL, else the config file. */
export function resolveUrl(cmd: Command): string | undefined {
  return globals(cmd).url ?? process.env.TOKENWARD_URL ?? readConfig()?.url;
}

/** A client with the stored (or TOKENWARD_TOKEN) credential; exit 3 when there is none. */
export function authedClient(cmd: Command): TokenwardClient {
  const url = resolveUrl(cmd);
  const token = process.env.TOKENWARD_TOKEN || readConfig()?.token;
  if (!url || !token) {
    throw new CliError(
      `Not logged in: run \`tokenward login <url>\` (config: ${configPath()}), or set TOKENWARD_URL and TOKENWARD_TOKEN.`,
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
