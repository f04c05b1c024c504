// DPoP proofs made by hand (RFC 9449 §4.2), every part overridable: for the refusal tests.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface ProofOptions {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  ath?: string;
  nonce?: string;
  alg?: string;
  typ?: string;
  jwk?: JWK;
}

/** A DPoP proof made by hand, every part overridable. */
export async function makeProof(
  key: KeyPair,
  o: ProofOptions & { htm: string; htu: string },
): Promise<string> {
  const jwk = o.jwk ?? (await exportJWK(key.publicKey));
  return new SignJWT({
    htm: o.htm,
    htu: o.htu,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    jti: o.jti ?? randomUUID(),
    ...(o.ath === undefined ? {} : { ath: o.ath }),
    ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
  })
    .setProtectedHeader({ alg: o.alg ?? 'ES256', typ: o.typ ?? 'dpop+jwt', jwk })
    .sign(key.privateKey);
}

/** A fresh ES256 key pair. */
export const ES256 = async (): Promise<KeyPair> => generateKeyPair('ES256', { extractable: true });
