import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../../apps/server/src/app.js';
import { loadConfig } from '../../../apps/server/src/config.js';
import { GENERATED_PATH, openApiDocument, ROOT, renderClientTypes } from '../../../scripts/client-types.mjs';

describe('the generated API types', () => {
  // Guards against a server schema changing without the client's types following it: CI runs
  // this, so a stale generated file fails the build instead of shipping wrong types.
  it('match what the server documents today (run `npm run generate:client` when this fails)', async () => {
    const expected = await renderClientTypes(await openApiDocument({ buildApp, loadConfig }));
    const committed = readFileSync(join(ROOT, GENERATED_PATH), 'utf8');
    expect(committed === expected, 'packages/client/src/generated/openapi.ts is stale').toBe(true);
  });
});
