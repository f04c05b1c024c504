import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // Tests are not part of the build: editing one needs no rebuild.
    if (/\.test\.tsx?$|^test-utils\./.test(entry.name)) continue;
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests run against the built console (apps/console/dist, what the server serves).
 * `npm test` builds first; a bare `vitest run` after editing the console would otherwise test
 * stale files, so rebuild when the sources are newer than the build.
 */
export default function setup(): void {
  const index = join(consoleDir, 'dist', 'index.html');
  const sources = Math.max(
    newestMtimeMs(join(consoleDir, 'src')),
    newestMtimeMs(join(consoleDir, 'public')),
    statSync(join(consoleDir, 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  process.stdout.write('[tokenward] building the console for the browser tests (apps/console/dist)…\n');
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const { NODE_ENV: _ignored, ...env } = process.env;
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@tokenward/console'], {
    cwd: resolve(consoleDir, '../..'),
    stdio: 'inherit',
    env: { ...env, NODE_ENV: 'production' },
  });
}
