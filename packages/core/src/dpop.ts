/**
 * RFC 9449 (DPoP) rules shared by the server and the SDK: a proof's signature (jose, with the
 * proof's own public key), its header and its claims. The replay check and nonces are each
 * side's (the server's through the store, the SDK's per process).
 */
import { hash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from './oauth.js';

/** Longest DPoP header looked at; longer ones are refused unread. */
export const MAX_DPOP_PROOF_LENGTH = 8192;

/** `ath` (RFC 9449 §4.2): base64url(SHA-256(access token)). */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

/**
 * The `htu` form of a URL (RFC 9449 §4.3): scheme, host, port and path; no query, no fragment;
 * scheme and host in lower case and a default port left out (as WHATWG URL writes them). Null
 * for text that is not an absolute http(s) URL.
 */
export function dpopHtu(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export interface DpopExpectation {
  /** The request's method. */
  htm: string;
  /** The URLs (dpopHtu form) the request may be for; the proof's `htu` must be one of them. */
  htu: readonly string[];
  nowSeconds: number;
  /** How far `iat` may be from now, either way. */
  windowSeconds: number;
  /** At a resource: `accessTokenHash` of the token presented with the proof. */
  ath?: string;
}

/** Why a proof's claims are refused, or null when they are right. */
export type DpopProblem = 'typ' | 'alg' | 'jwk' | 'htm' | 'htu' | 'iat' | 'jti' | 'ath';

const ALGORITHMS: ReadonlySet<string> = new Set(ASYMMETRIC_ALGORITHMS);
/** JWK members of private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4, RFC 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Whether a JWK carries private (or symmetric) key material: only public keys are accepted. */
export function hasPrivateJwkMember(jwk: object): boolean {
  return PRIVATE_MEMBERS.some((m) => m in jwk);
}

/**
 * Checks a proof's (signature-verified) protected header and payload against the request
 * (RFC 9449 §4.3): `typ` dpop+jwt, an asymmetric `alg`, a public `jwk`, `htm`, `htu`, `iat`
 * within the window, a `jti`, and `ath` when one is expected. Never throws.
 */
export function dpopProblem(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  expected: DpopExpectation,
): DpopProblem | null {
  if (header.typ !== 'dpop+jwt') return 'typ';
  if (typeof header.alg !== 'string' || !ALGORITHMS.has(header.alg)) return 'alg';
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'jwk';
  if (hasPrivateJwkMember(jwk)) return 'jwk';
  if (payload.htm !== expected.htm) return 'htm';
  const htu = typeof payload.htu === 'string' ? dpopHtu(payload.htu) : null;
  if (htu === null || !expected.htu.includes(htu)) return 'htu';
  const iat = payload.iat;
  if (
    typeof iat !== 'number' ||
    !Number.isFinite(iat) ||
    Math.abs(iat - expected.nowSeconds) > expected.windowSeconds
  )
    return 'iat';
  if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 256) return 'jti';
  if (expected.ath !== undefined) {
    if (payload.ath !== expected.ath) return 'ath';
  } else if (payload.ath !== undefined && typeof payload.ath !== 'string') return 'ath';
  return null;
}

/**
 * The one rule of a bound token (RFC 9449 §6, §7, §5): `cnfJkt` is the key a token is bound to
 * (null: a bearer token), `proofJkt` the key of the request's valid proof (null: none). At a
 * resource the token is used as `DPoP` exactly when it is bound, with a proof of that key. At
 * the token endpoint a bound refresh, subject or actor token needs a proof of its key; a bearer
 * one may come with any proof (which binds the new token).
 */
export function dpopBindingHolds(
  where: 'resource' | 'token-endpoint',
  cnfJkt: string | null,
  proofJkt: string | null,
): boolean {
  if (where === 'token-endpoint' && cnfJkt === null) return true;
  return cnfJkt === proofJkt;
}

/** A proof that passed verifyDpopProof: its key's thumbprint and what the replay and nonce checks need. */
export interface VerifiedDpopProof {
  ok: true;
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what a bound token's `cnf.jkt` names. */
  jkt: string;
  jti: string;
  iat: number;
  nonce: unknown;
}

/** Why verifyDpopProof refused a proof: `proofs` (none, or more than one), `signature`, or a claim. */
export type DpopRefusal = { ok: false; reason: 'proofs' | 'length' | 'signature' | DpopProblem };

/**
 * The one check of a request's DPoP proofs (RFC 9449 §4.3), for the server and the SDK alike:
 * exactly one proof, not over MAX_DPOP_PROOF_LENGTH, an asymmetric `alg` (looked at before any
 * key is imported: `none` and HMAC never get further), a valid signature by the proof's own
 * public `jwk`, then dpopProblem's header and claim rules. Never throws.
 */
export async function verifyDpopProof(
  proofs: readonly string[],
  expected: Omit<DpopExpectation, 'nowSeconds'> & { nowMs: number },
): Promise<VerifiedDpopProof | DpopRefusal> {
  if (proofs.length !== 1) return { ok: false, reason: 'proofs' };
  const proof = proofs[0]!;
  if (proof.length > MAX_DPOP_PROOF_LENGTH) return { ok: false, reason: 'length' };
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    const alg = decodeProtectedHeader(proof).alg;
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) return { ok: false, reason: 'alg' };
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      // The iat window is dpopProblem's, both ways; jose alone would refuse only the future.
      clockTolerance: expected.windowSeconds,
      currentDate: new Date(expected.nowMs),
    });
    header = verified.protectedHeader as Record<string, unknown>;
    payload = verified.payload as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'signature' };
  }
  const problem = dpopProblem(header, payload, {
    ...expected,
    nowSeconds: Math.floor(expected.nowMs / 1000),
  });
  if (problem !== null) return { ok: false, reason: problem };
  return {
    ok: true,
    jkt: await calculateJwkThumbprint(header.jwk as JWK, 'sha256'),
    jti: payload.jti as string,
    iat: payload.iat as number,
    nonce: payload.nonce,
  };
}
