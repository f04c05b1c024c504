// Correctness under load: a separate, paced client that runs while the load generator hammers
// the server. It checks the two ways a caching verifier can be wrong:
//  - false reject: a token inserted during the run (imported after its value was already
//    refused once, so a negative cache entry may exist; or freshly granted) must get 204 on
//    every request sent after its insertion answered and before its revocation was sent;
//  - false accept: once the revocation response has arrived, every request sent after it
//    must get 401.
// Requests in flight across the revocation may get either answer and are counted apart.
import { generateToken } from '@tokenward/core';
import { call, expect } from './tokenward.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Answers needed per token on each side of its revocation before the check can pass. */
const MIN_SAMPLES = 3;

async function verify(base, token) {
  const res = await fetch(`${base}/api/v1/auth/verify`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/**
 * @param {{ base: string, adminToken: string, durationMs: number, paceMs?: number }} o
 */
export async function checkUnderLoad(o) {
  const pace = o.paceMs ?? 2;
  const started = performance.now();
  const result = {
    unknownRefused: false,
    requests: 0,
    validOk: 0,
    falseRejects: 0,
    revokedOk: 0,
    falseAccepts: 0,
    inFlightAtRevocation: 0,
    unexpected: 0,
  };

  // An unknown value with a valid checksum: refused, and possibly cached as unknown.
  const imported = { value: generateToken('app') };
  result.unknownRefused = (await verify(o.base, imported.value)) === 401;
  expect(
    await call(o.base, 'POST', '/api/v1/apptoken', {
      token: o.adminToken,
      json: { token: imported.value, identity: 'admin', role: 'Administrator', name: 'bench-check-import' },
    }),
    200,
    'import',
  );
  const grant = expect(
    await call(o.base, 'POST', '/api/v1/apptoken/grant', {
      token: o.adminToken,
      json: { name: 'bench-check-grant' },
    }),
    200,
    'grant',
  );
  const granted = { value: grant.token, id: grant.id };
  for (const t of [imported, granted]) {
    t.revokeSentAt = Number.POSITIVE_INFINITY;
    t.revokedAt = Number.POSITIVE_INFINITY;
  }

  const samples = [];
  const revokeAt = started + o.durationMs / 2;
  const endAt = started + o.durationMs;
  // On a slow machine the window may be too short to judge: keep going (past the load if
  // need be, at most 15 s) until each token has enough answers on both sides of revocation.
  const giveUpAt = endAt + 15_000;
  const enough = (t, side) => samples.filter((x) => x.t === t && side(x)).length >= MIN_SAMPLES;
  const validSide = (x) => x.sentAt < x.t.revokeSentAt;
  const revokedSide = (x) => x.sentAt >= x.t.revokedAt;
  let revocation = null;
  let i = 0;
  for (;;) {
    const now = performance.now();
    if (now >= giveUpAt) break;
    if (revocation && now >= endAt && enough(granted, revokedSide) && enough(imported, revokedSide)) break;
    if (!revocation && now >= revokeAt && enough(granted, validSide) && enough(imported, validSide)) {
      // Both ways of revoking: the management API (by id) and RFC 7009 (by value).
      granted.revokeSentAt = performance.now();
      imported.revokeSentAt = granted.revokeSentAt;
      revocation = Promise.all([
        call(o.base, 'DELETE', `/api/v1/apptoken/${granted.id}`, { token: o.adminToken }).then((r) => {
          expect(r, 200, 'revoke');
          granted.revokedAt = performance.now();
        }),
        call(o.base, 'POST', '/api/v1/token/revoke', {
          token: o.adminToken,
          json: { token: imported.value },
        }).then((r) => {
          expect(r, 200, 'RFC 7009 revoke');
          imported.revokedAt = performance.now();
        }),
      ]);
    }
    const t = i++ % 2 === 0 ? granted : imported;
    const sentAt = performance.now();
    const status = await verify(o.base, t.value);
    samples.push({ t, sentAt, status });
    await sleep(pace);
  }
  if (revocation) await revocation;
  result.extendedMs = Math.max(0, Math.round(performance.now() - endAt));

  for (const s of samples) {
    result.requests++;
    if (s.sentAt >= s.t.revokedAt) {
      if (s.status === 401) result.revokedOk++;
      else if (s.status === 204) result.falseAccepts++;
      else result.unexpected++;
    } else if (s.sentAt < s.t.revokeSentAt) {
      // The loop is sequential: this request was answered before the revocation was sent.
      if (s.status === 204) result.validOk++;
      else if (s.status === 401) result.falseRejects++;
      else result.unexpected++;
    } else {
      result.inFlightAtRevocation++;
    }
  }
  result.passed =
    result.unknownRefused &&
    result.falseAccepts === 0 &&
    result.falseRejects === 0 &&
    result.unexpected === 0 &&
    result.revokedOk >= 2 * MIN_SAMPLES &&
    result.validOk >= 2 * MIN_SAMPLES;
  return result;
}
