import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The architecture's arrows (core ← store ← services ← routes ← shell; SDK, CLI and console
// beside, over HTTP) are enforced by Biome's noRestrictedImports, configured per folder in
// biome.json's overrides. These tests lint probe files placed in those folders with the
// repository's own biome.json, so a change to the config that stops enforcing an arrow fails here.

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const run = promisify(execFile);

type Probe = [path: string, specifier: string];

/** Imports that break an arrow. */
const FORBIDDEN: Probe[] = [
  ['apps/server/src/routes/probe.ts', '@tokenward/store'],
  ['apps/server/src/routes/probe-type.ts', 'type:@tokenward/store'],
  ['apps/server/src/routes/probe-config.ts', '../config.js'],
  ['apps/server/src/routes/probe-app.ts', '../app.js'],
  ['apps/server/src/services/probe-config.ts', '../config.js'],
  ['apps/server/src/services/probe-server.ts', '../server.js'],
  ['apps/server/src/services/probe-plugin.ts', '../plugins/auth.js'],
  ['apps/server/src/services/probe-route.ts', '../routes/keys.js'],
  ['packages/core/src/probe-store.ts', '@tokenward/store'],
  ['packages/core/src/probe-client.ts', '@tokenward/client'],
  ['packages/core/src/probe-relative.ts', '../../store/src/index.js'],
  ['packages/store/src/probe-server.ts', '@tokenward/server'],
  ['packages/store/src/repositories/probe-services.ts', '../../../../apps/server/src/services/verifier.js'],
  ['packages/client/src/probe-store.ts', '@tokenward/store'],
  ['apps/cli/src/probe-store.ts', '@tokenward/store'],
  ['apps/console/src/probe-server.ts', '../../server/src/app.js'],
  ['apps/console/src/pages/probe-client.ts', '@tokenward/server'],
  ['packages/client/src/probe-server.ts', '../../../apps/server/src/plugins/auth.js'],
  ['apps/cli/src/commands/probe-server.ts', '../../../server/src/services/verifier.js'],
];

/** Imports along the arrows. */
const ALLOWED: Probe[] = [
  ['apps/server/src/routes/probe.ts', '../services/token.service.js'],
  ['apps/server/src/routes/probe-core.ts', '@tokenward/core'],
  ['apps/server/src/routes/probe-auth.ts', '../plugins/auth.js'],
  ['apps/server/src/services/probe.ts', '@tokenward/store'],
  ['apps/server/src/services/probe-sibling.ts', './verifier.js'],
  ['apps/server/src/app-probe.ts', '@tokenward/store'],
  ['packages/core/src/probe.ts', './permissions.js'],
  ['packages/store/src/probe.ts', '@tokenward/core'],
  ['packages/client/src/probe.ts', '@tokenward/core'],
  ['apps/cli/src/probe.ts', '@tokenward/client'],
  ['apps/cli/src/commands/probe-serve.ts', '@tokenward/server/server'],
  ['apps/console/src/probe.ts', '@tokenward/client'],
  // Tests may reach across (the SDK's tests start a real server).
  ['packages/client/src/probe.test.ts', '../../../apps/server/test/helpers.js'],
];

function source(specifier: string): string {
  return specifier.startsWith('type:')
    ? `import type { A } from '${specifier.slice(5)}';\n\nexport const b: A | 1 = 1;\n`
    : `import { a } from '${specifier}';\n\na();\n`;
}

/** Lints the probes with the repository's biome.json; returns the exit code and the flagged files. */
async function lint(probes: Probe[]): Promise<{ code: number; flagged: string[]; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-layers-'));
  try {
    copyFileSync(join(root, 'biome.json'), join(dir, 'biome.json'));
    for (const [path, specifier] of probes) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source(specifier));
    }
    const result = await run(process.execPath, [biome, 'lint', '--reporter=github', '.'], { cwd: dir }).then(
      (r) => ({ code: 0, output: r.stdout }),
      (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, output: e.stdout ?? '' }),
    );
    const flagged = [
      ...result.output.matchAll(/^::error title=lint\/style\/noRestrictedImports,file=([^,]+),/gm),
    ].map((m) => relative(dir, m[1]!));
    return { ...result, flagged: [...new Set(flagged)].sort() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('layer rule (biome.json noRestrictedImports)', () => {
  it('fails on every import against an arrow, and names each', async () => {
    const { code, flagged, output } = await lint(FORBIDDEN);
    expect(code, output).not.toBe(0);
    expect(flagged).toEqual(FORBIDDEN.map(([path]) => path).sort());
  });

  it('passes imports along the arrows', async () => {
    const { code, flagged, output } = await lint(ALLOWED);
    expect(flagged).toEqual([]);
    expect(code, output).toBe(0);
  });
});
