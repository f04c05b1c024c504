import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

// The package is ESM; on Node 20.19+ `require()` of an ES module works without a flag, so
// CommonJS projects use it as is. This loads the built package (npm run build first) the way a
// CommonJS project would, through its name and exports map, to keep that true.
describe('@tokenward/client from CommonJS', () => {
  it('every entry point loads with require() and exposes its API', () => {
    const script = `
      const root = require('@tokenward/client');
      const api = require('@tokenward/client/api');
      const fastify = require('@tokenward/client/fastify');
      const express = require('@tokenward/client/express');
      console.log(JSON.stringify({
        root: [typeof root.TokenwardClient, typeof root.TokenwardVerifier, typeof root.withTokenward],
        api: [typeof api.TokenwardClient, typeof api.TokenwardError],
        fastify: [typeof fastify.tokenward, typeof fastify.requirePermission],
        express: [typeof express.tokenward, typeof express.requireRole],
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', script], {
      cwd: here,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      root: ['function', 'function', 'function'],
      api: ['function', 'function'],
      fastify: ['function', 'function'],
      express: ['function', 'function'],
    });
  });
});
