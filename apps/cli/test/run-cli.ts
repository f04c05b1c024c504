import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed command: the package `bin`, which runs the built code in apps/cli/dist. */
export const BIN = fileURLToPath(new URL('../bin/tokenward.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(DIST))
    throw new Error('apps/cli/dist is missing: run `npm run build` (npm test does it first).');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tokenward` as a child process. Asynchronous on purpose: the server under test lives in
 * this process, so a synchronous spawn would block it.
 */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; configDir?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('TOKENWARD_')) env[k] = v;
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh config file path (its folder does not exist yet). */
export function freshConfigPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'tokenward-cli-')), 'tokenward', 'config.json');
}
