import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Kinds of opaque long-lived token and the tag that appears in their value. */
export const TOKEN_TAGS = { app: 'app', personal: 'pat', refresh: 'rt', access: 'at' } as const;
export type OpaqueTokenKind = keyof typeof TOKEN_TAGS;

const RANDOM_BYTES = 32; // 256 bits from the CSPRNG
const RANDOM_LENGTH = 43; // base64url length of 32 bytes
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A valid prefix: lowercase letters and digits, then an underscore, e.g. `tw_`. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}_$/;

function checksumOf(body: string): string {
  // CRC-32 of prefix, kind and random part, written as 6 base62 digits (62^6 > 2^32, so nothing
  // is lost): every single-character change and every swap of neighbours is caught, a typo or a
  // scanner hit is rejected without a store read, and it costs far less than a second SHA-256
  // on the verify path. It reveals nothing: the random part is public input to it.
  let n = crc32(body) >>> 0;
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Creates a new opaque token: `<prefix><tag>_<43 url-safe random chars><6 checksum chars>`. */
export function generateToken(kind: OpaqueTokenKind, prefix = 'tw_'): string {
  const body = `${prefix}${TOKEN_TAGS[kind]}_${randomBytes(RANDOM_BYTES).toString('base64url')}`;
  return body + checksumOf(body);
}

export type ParsedToken =
  /** One of ours with a correct checksum. */
  | { format: 'opaque'; kind: OpaqueTokenKind }
  /** One of ours (by shape) whose checksum is wrong: reject without touching the store. */
  | { format: 'bad_checksum' }
  /** A compact JWS (three base64url parts). */
  | { format: 'jwt' }
  /** Anything else: possibly an imported foreign token, looked up by hash. */
  | { format: 'foreign' };

const TAG_TO_KIND: Record<string, OpaqueTokenKind> = {
  app: 'app',
  pat: 'personal',
  rt: 'refresh',
  at: 'access',
};
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Classifies a presented credential. Pure string work, no store access, never throws. */
export function parseToken(value: string, prefix = 'tw_'): ParsedToken {
  if (value.startsWith(prefix)) {
    const rest = value.slice(prefix.length);
    const sep = rest.indexOf('_');
    const kind = sep > 0 ? TAG_TO_KIND[rest.slice(0, sep)] : undefined;
    if (kind !== undefined) {
      const expectedLength = prefix.length + sep + 1 + RANDOM_LENGTH + CHECKSUM_LENGTH;
      if (value.length !== expectedLength) return { format: 'bad_checksum' };
      const body = value.slice(0, value.length - CHECKSUM_LENGTH);
      const sum = value.slice(value.length - CHECKSUM_LENGTH);
      return checksumOf(body) === sum ? { format: 'opaque', kind } : { format: 'bad_checksum' };
    }
  }
  if (JWT_SHAPE.test(value)) return { format: 'jwt' };
  return { format: 'foreign' };
}

/** Characters a token value may contain when presented or imported (printable ASCII, no spaces). */
export const TOKEN_VALUE_PATTERN = /^[\x21-\x7e]{16,4096}$/;
