import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { http } from './helpers.js';

/** Debian's python3 with python3-jwt (the pyenv `python3` first on PATH does not have it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const PYJWT_SCRIPT = fileURLToPath(new URL('./fixtures/pyjwt-verify.py', import.meta.url));

export interface JwkSet {
  keys: Array<Record<string, unknown>>;
}

export interface DecodedJwt {
  // biome-ignore lint/suspicious/noExplicitAny: test convenience over arbitrary JSON.
  header: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience over arbitrary JSON.
  payload: Record<string, any>;
}

/** Reads a JWT's header and payload without verifying anything. */
export function decodeJwt(jwt: string): DecodedJwt {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}

export const b64urlJson = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** The same token with its payload replaced, keeping the original header and signature. */
export function withPayload(jwt: string, payload: Record<string, unknown>): string {
  const [h, , s] = jwt.split('.');
  return `${h}.${b64urlJson(payload)}.${s}`;
}

/** The same token with one bit of one signature byte flipped (at byte level, not in base64 padding). */
export function withFlippedSignatureByte(jwt: string, index = 10): string {
  const [h, p, s] = jwt.split('.');
  const sig = Buffer.from(s!, 'base64url');
  sig[index] = sig[index]! ^ 0x01;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/**
 * Creates a personal token for `appToken`'s holder and exchanges it (seed 003) for an access JWT.
 * Returns the JWT and the id of the personal token it came from (its `tid`).
 */
export async function personalAccessJwt(
  base: string,
  appToken: string,
  username = 'admin',
): Promise<{ jwt: string; patId: number }> {
  const pat = await http(base, 'POST', '/api/v1/PersonalTokens', {
    token: appToken,
    json: { name: `pat-${Math.random().toString(36).slice(2, 10)}` },
  });
  expect(pat.status, pat.text).toBe(200);
  const auth = await http(
    base,
    'POST',
    `/api/v1/PersonalTokens/authenticate?username=${encodeURIComponent(username)}&personalToken=${encodeURIComponent(pat.body.token)}`,
  );
  expect(auth.status, auth.text).toBe(200);
  return { jwt: auth.body.token as string, patId: pat.body.id as number };
}

export async function getJwks(base: string): Promise<JwkSet> {
  const res = await http(base, 'GET', '/.well-known/jwks.json');
  expect(res.status, res.text).toBe(200);
  return res.body as JwkSet;
}

export type PyJwtResult =
  // biome-ignore lint/suspicious/noExplicitAny: claims are arbitrary JSON.
  { ok: true; claims: Record<string, any> } | { ok: false; error: string };

/**
 * Verifies `token` against `jwks` with PyJWT in a separate process (see fixtures/pyjwt-verify.py).
 * `issuer` is the `iss` PyJWT requires (the issuing server's URL).
 */
export function verifyWithPyJwt(
  jwks: JwkSet,
  token: string,
  issuer: string,
  audience = 'tokenward',
): PyJwtResult {
  const run = spawnSync(SYSTEM_PYTHON, [PYJWT_SCRIPT], {
    input: JSON.stringify({ jwks, token, issuer, audience }),
    encoding: 'utf8',
    // A clean environment: nothing from pyenv or a virtualenv may shadow Debian's packages.
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    timeout: 20_000,
  });
  if (run.status !== 0) {
    throw new Error(`${SYSTEM_PYTHON} ${PYJWT_SCRIPT} failed (${run.status}): ${run.stderr || run.error}`);
  }
  return JSON.parse(run.stdout) as PyJwtResult;
}

/**
 * Verifies `token` with PyJWT's own `PyJWKClient`, which fetches the JWKS from `jwksUri` itself.
 * Asynchronous: the server answering that fetch may run in this very process.
 */
export function verifyWithPyJwkClient(
  jwksUri: string,
  token: string,
  issuer: string,
  audience = 'tokenward',
): Promise<PyJwtResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [PYJWT_SCRIPT], {
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${SYSTEM_PYTHON} ${PYJWT_SCRIPT} failed (${code}): ${stderr}`));
      else resolve(JSON.parse(stdout) as PyJwtResult);
    });
    child.stdin.end(JSON.stringify({ jwks_uri: jwksUri, token, issuer, audience }));
  });
}
