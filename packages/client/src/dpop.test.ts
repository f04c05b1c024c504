// The SDK middleware (Express and Fastify) with DPoP-bound tokens (RFC 9449 §7) from a real
// Tokenward: accepted only as `Authorization: DPoP` with a fresh proof of the bound key.
import type { AddressInfo } from 'node:net';
import { accessTokenHash } from '@tokenward/core';
import express5 from 'express';
import Fastify5 from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES256, type KeyPair, makeProof, type ProofOptions } from '../../../apps/server/test/dpop-proof.js';
import { http } from '../../../apps/server/test/helpers.js';
import { tokenward as expressTokenward } from './express.js';
import { tokenward as fastifyTokenward } from './fastify.js';
import { type Fixture, startFixture } from './test-helpers/fixture.js';
import type { VerifierOptions } from './verifier.js';

type App = { url: string; close(): Promise<void> };

async function startExpress(options: VerifierOptions): Promise<App> {
  const app = express5();
  app.use(expressTokenward(options));
  app.get('/invoices', (req, res) => {
    res.json({ name: req.tokenward!.name });
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startFastify(options: VerifierOptions): Promise<App> {
  const app = Fastify5();
  await app.register(fastifyTokenward, options);
  app.get('/invoices', async (request) => ({ name: request.tokenward!.name }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

for (const [framework, start] of [
  ['Express', startExpress],
  ['Fastify', startFastify],
] as const) {
  for (const introspectJwts of [false, true]) {
    describe(`${framework} middleware, DPoP-bound tokens (introspectJwts: ${introspectJwts})`, () => {
      let f: Fixture;
      let app: App;
      let key: KeyPair;
      let bound: string;

      beforeAll(async () => {
        f = await startFixture();
        app = await start({
          baseUrl: f.url,
          token: f.service,
          clock: f.clock,
          jwksCooldownMs: 0,
          introspectJwts,
        });
        key = await ES256();
        const EXCHANGE = `${f.url}/api/v1/token/exchange`;
        const res = await http(f.url, 'POST', '/api/v1/token/exchange', {
          token: f.bob.token,
          headers: { dpop: await makeProof(key, { htm: 'POST', htu: EXCHANGE }) },
          json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: f.bob.token },
        });
        expect(res.status, res.text).toBe(200);
        bound = res.body.access_token as string;
      });
      afterAll(async () => {
        await app?.close();
        await f?.close();
      });

      const call = async (o: ProofOptions = {}, k: KeyPair = key, scheme = 'DPoP', token = bound) =>
        fetch(`${app.url}/invoices?page=2`, {
          headers: {
            authorization: `${scheme} ${token}`,
            dpop: await makeProof(k, {
              htm: 'GET',
              htu: `${app.url}/invoices`,
              ath: accessTokenHash(token),
              ...o,
            }),
          },
        });

      it('accepts the bound token with a proof of its key, a fresh one each time', async () => {
        for (let i = 0; i < 2; i++) {
          const res = await call();
          expect(res.status).toBe(200);
          expect(((await res.json()) as { name: string }).name).toBe('bob');
        }
      });

      it('refuses a replayed proof, a wrong proof, Bearer for a bound token and DPoP for an unbound one', async () => {
        const proof = await makeProof(key, {
          htm: 'GET',
          htu: `${app.url}/invoices`,
          ath: accessTokenHash(bound),
        });
        const send = () =>
          fetch(`${app.url}/invoices`, { headers: { authorization: `DPoP ${bound}`, dpop: proof } });
        expect((await send()).status).toBe(200);
        const replay = await send();
        expect(replay.status).toBe(401);
        expect(replay.headers.get('www-authenticate')).toMatch(
          /DPoP algs="[^"]+", error="invalid_dpop_proof"$/,
        );
        const other = await ES256();
        for (const [what, res] of [
          ['wrong htm', await call({ htm: 'POST' })],
          ['wrong htu', await call({ htu: `${app.url}/books` })],
          ['stale iat', await call({ iat: Math.floor(f.clock() / 1000) - 600 })],
          ['wrong ath', await call({ ath: accessTokenHash(f.bob.token) })],
          ['wrong key', await call({}, other)],
          ['bound token as Bearer', await call({}, key, 'Bearer')],
          [
            'unbound token as DPoP',
            await call({ ath: accessTokenHash(f.alice.token) }, key, 'DPoP', f.alice.token),
          ],
          ['no proof', await fetch(`${app.url}/invoices`, { headers: { authorization: `DPoP ${bound}` } })],
        ] as const) {
          expect(res.status, what).toBe(401);
        }
        expect((await call()).status).toBe(200);
      });
    });
  }
}
