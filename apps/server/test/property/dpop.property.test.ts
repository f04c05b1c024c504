import { randomUUID } from 'node:crypto';
import { accessTokenHash } from '@tokenward/core';
import fc from 'fast-check';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DpopRequest } from '../../src/services/dpop.js';
import { ES256, type KeyPair, makeProof } from '../dpop-proof.js';
import { DIALECTS, freshStore, startApp, type TestServer } from '../helpers.js';

/*
 * RFC 9449: a proof that differs from a valid one in anything that matters is refused. Each run
 * makes a valid proof for a request, mutates it one random way (a claim, a header member, the
 * signature, the key, or its second use), and asks the server's one proof checker
 * (DpopProofs.proofFor) at a resource: every mutation must be refused, and the unmutated proof
 * (checked in the same run, after the mutation) accepted, so the property cannot pass by
 * refusing everything. TOKENWARD_PROPERTY_RUNS (default 60) and TOKENWARD_PROPERTY_SEED.
 */

const RUNS = Number(process.env.TOKENWARD_PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.TOKENWARD_PROPERTY_SEED ?? (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0);

const PUBLIC_URL = 'https://tokens.example.com';
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';

type Mutation =
  | { kind: 'htm'; value: string }
  | { kind: 'htu'; value: string }
  | { kind: 'iat'; offsetSeconds: number }
  | { kind: 'ath'; value: string }
  | { kind: 'typ'; value: string }
  | { kind: 'alg'; value: string }
  | { kind: 'signature'; at: number; char: string }
  | { kind: 'otherKey' }
  | { kind: 'privateJwk' }
  | { kind: 'noJti' }
  | { kind: 'replay' };

const B64URL = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('htm' as const),
    value: fc.constantFrom('POST', 'get', 'PUT', 'DELETE', '', 'GET '),
  }),
  fc.record({
    kind: fc.constant('htu' as const),
    value: fc.constantFrom(
      `${PUBLIC_URL}/api/v1/apptoken`,
      `${PUBLIC_URL}/api/v1/me/`,
      `http://tokens.example.com/api/v1/me`,
      `https://tokens.example.org/api/v1/me`,
      `${PUBLIC_URL}:8443/api/v1/me`,
      '/api/v1/me',
      'not a url',
    ),
  }),
  fc.record({
    kind: fc.constant('iat' as const),
    offsetSeconds: fc.oneof(fc.integer({ min: 61, max: 100_000 }), fc.integer({ min: -100_000, max: -61 })),
  }),
  fc.record({ kind: fc.constant('ath' as const), value: fc.string({ minLength: 0, maxLength: 50 }) }),
  fc.record({
    kind: fc.constant('typ' as const),
    value: fc.constantFrom('JWT', 'dpop', 'at+jwt', 'DPOP+JWT'),
  }),
  fc.record({ kind: fc.constant('alg' as const), value: fc.constantFrom('none', 'HS256') }),
  fc.record({
    kind: fc.constant('signature' as const),
    at: fc.nat(),
    char: fc.constantFrom(...B64URL.split('')),
  }),
  fc.constant({ kind: 'otherKey' as const }),
  fc.constant({ kind: 'privateJwk' as const }),
  fc.constant({ kind: 'noJti' as const }),
  fc.constant({ kind: 'replay' as const }),
);

for (const dialect of DIALECTS) {
  describe(`DPoP proof mutations are all refused [${dialect}]`, () => {
    let s: TestServer;
    let key: KeyPair;
    let other: KeyPair;

    beforeAll(async () => {
      s = await startApp(freshStore(dialect), { config: { publicUrl: PUBLIC_URL } });
      key = await ES256();
      other = await ES256();
    });
    afterAll(async () => s?.close());

    const request = (proof: string): DpopRequest => ({
      method: 'GET',
      proofs: [proof],
      path: '/api/v1/me?x=1',
      origin: 'http://127.0.0.1:5000',
      accessToken: TOKEN,
    });
    const check = (proof: string) => s.app.tw.dpop.proofFor(request(proof), 'resource');

    /** The proof `valid` gives, changed as `m` says. */
    async function mutate(m: Mutation, valid: () => Promise<string>): Promise<string> {
      const base = { htm: 'GET', htu: `${PUBLIC_URL}/api/v1/me`, ath: accessTokenHash(TOKEN) };
      const now = Math.floor(Date.now() / 1000);
      switch (m.kind) {
        case 'htm':
          return makeProof(key, { ...base, htm: m.value });
        case 'htu':
          return makeProof(key, { ...base, htu: m.value });
        case 'iat':
          return makeProof(key, { ...base, iat: now + m.offsetSeconds });
        case 'ath':
          return makeProof(key, { ...base, ath: m.value === base.ath ? `${m.value}x` : m.value });
        case 'typ':
          return makeProof(key, { ...base, typ: m.value });
        case 'alg': {
          const jwk = await exportJWK(key.publicKey);
          const payload = { ...base, iat: now, jti: randomUUID() };
          if (m.value === 'HS256') {
            return new SignJWT(payload)
              .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk })
              .sign(new TextEncoder().encode('k'.repeat(32)));
          }
          const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
          return `${enc({ alg: 'none', typ: 'dpop+jwt', jwk })}.${enc(payload)}.`;
        }
        case 'signature': {
          const [h, p, sig] = (await valid()).split('.') as [string, string, string];
          // Not the last character: its spare bits are ignored by base64url decoding.
          const i = m.at % (sig.length - 1);
          const char = m.char === sig[i] ? B64URL[(B64URL.indexOf(m.char) + 1) % 64]! : m.char;
          return `${h}.${p}.${sig.slice(0, i)}${char}${sig.slice(i + 1)}`;
        }
        case 'otherKey':
          // Signed by another key than the one in its header.
          return makeProof(other, { ...base, jwk: await exportJWK(key.publicKey) });
        case 'privateJwk':
          return makeProof(key, { ...base, jwk: await exportJWK(key.privateKey) });
        case 'noJti': {
          const jwk = await exportJWK(key.publicKey);
          return new SignJWT({ ...base, iat: now })
            .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
            .sign(key.privateKey);
        }
        case 'replay':
          return valid();
      }
    }

    it('every mutation of a valid proof is refused; the valid proof is accepted', async () => {
      process.stdout.write(`[tokenward] DPoP property seed ${SEED}, ${RUNS} runs\n`);
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          const good = makeProof(key, {
            htm: 'GET',
            htu: `${PUBLIC_URL}/api/v1/me`,
            ath: accessTokenHash(TOKEN),
          });
          const valid = await good;
          const mutated = m.kind === 'replay' ? valid : await mutate(m, async () => valid);
          if (m.kind === 'replay') {
            expect(await check(valid)).toBeTruthy();
            await expect(check(mutated)).rejects.toMatchObject({ code: 'invalid_dpop_proof', status: 401 });
            return;
          }
          await expect(check(mutated)).rejects.toMatchObject({ code: 'invalid_dpop_proof', status: 401 });
          // The signature mutation reuses the valid proof's jti: a fresh valid proof shows liveness.
          const fresh =
            m.kind === 'signature'
              ? await makeProof(key, {
                  htm: 'GET',
                  htu: `${PUBLIC_URL}/api/v1/me`,
                  ath: accessTokenHash(TOKEN),
                })
              : valid;
          expect(await check(fresh)).toBeTruthy();
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });
  });
}
