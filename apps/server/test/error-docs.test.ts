import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ERRORS, type ErrorCode } from '@tokenward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { ERRORS_DOCS_URL, errorDocsUrl } from '../src/plugins/errors.js';
import { DIALECTS, freshStore, type StoreHandle, testConfig } from './helpers.js';

/** GitHub's anchor for a Markdown heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('error docs', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const anchors = new Set(
    doc
      .split('\n')
      .filter((line) => /^#{1,6}\s/.test(line))
      .map((line) => githubAnchor(line.replace(/^#+\s/, ''))),
  );

  it('every registry code has its own entry in docs/errors.md, the anchor its docs link points at', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      expect(anchors.has(code), code).toBe(true);
      expect(errorDocsUrl(code)).toBe(`${ERRORS_DOCS_URL}#${code}`);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`error answers (${dialect})`, () => {
    let store: StoreHandle;
    let app: App;
    const logs: string[] = [];

    beforeAll(async () => {
      store = freshStore(dialect);
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      });
      app = await buildApp({ config: testConfig(store, { logLevel: 'warn' }), logStream });
      // A route that fails the way a bug would: its cause must stay in the log.
      app.get('/api/v1/test-crash', { config: { auth: 'none' } }, async () => {
        throw new Error('secret cause of the crash');
      });
      await app.ready();
    });

    afterAll(async () => {
      await app.close();
      await store.drop();
    });

    it('an error carries the request id and the link to its code in docs/errors.md', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/me' });
      expect(res.statusCode).toBe(401);
      const body = res.json();
      expect(body).toEqual({
        errorCode: ERRORS.unauthenticated.number,
        errorMessage: expect.any(String),
        code: 'unauthenticated',
        requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/),
        docs: `${ERRORS_DOCS_URL}#unauthenticated`,
      });
    });

    it('two requests get two request ids; an unknown route has them too', async () => {
      const a = (await app.inject({ method: 'GET', url: '/api/v1/nothing-here' })).json();
      const b = (await app.inject({ method: 'GET', url: '/api/v1/nothing-here' })).json();
      expect(a.code).toBe('route_not_found');
      expect(a.docs).toBe(`${ERRORS_DOCS_URL}#route_not_found`);
      expect(a.requestId).not.toBe(b.requestId);
    });

    it('a 500 says only the generic message and the request id; the log has the cause under that id', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/test-crash' });
      expect(res.statusCode).toBe(500);
      const body = res.json();
      expect(body).toEqual({
        errorCode: ERRORS.internal_error.number,
        errorMessage: 'Internal Server Error',
        code: 'internal_error',
        requestId: expect.stringMatching(/^req_[0-9a-f]{32}$/),
        docs: `${ERRORS_DOCS_URL}#internal_error`,
      });
      expect(res.body).not.toContain('secret cause');
      const line = logs.find((l) => l.includes(body.requestId));
      expect(line).toBeDefined();
      expect(line).toContain('secret cause of the crash');
    });
  });
}
