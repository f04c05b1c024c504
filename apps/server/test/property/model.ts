/**
 * A small reference model of who may do what, written from SPEC §1 and §10 and independent of
 * the implementation (it imports nothing of Tokenward's). Permissions live in a finite universe,
 * roles are sets over it, and every credential carries the bound it was minted under. The
 * property test (authority.property.test.ts) asks it, after every step, whether an answer the
 * server gave is one the holder of that credential may get.
 */

/** Every permission the model knows: the management API's own and a few custom ones. */
export const MANAGEMENT = [
  'tokens:grant',
  'tokens:grant-any',
  'tokens:read',
  'tokens:read-any',
  'tokens:revoke',
  'tokens:revoke-any',
  'tokens:exchange',
  'tokens:import',
  'identities:read',
  'identities:write',
  'roles:write',
  'sessions:read',
  'sessions:revoke',
  'audit:read',
  'keys:rotate',
] as const;
export const CUSTOM = ['billing:read', 'billing:write', 'reports:read'] as const;
export const UNIVERSE: readonly string[] = [...MANAGEMENT, ...CUSTOM];

export type Perms = ReadonlySet<string>;
export const ALL: Perms = new Set(UNIVERSE);

/** The built-in roles over the universe (SPEC §1: Administrator all; Operator; Reader). */
export const BUILTIN: Record<string, Perms> = {
  Administrator: ALL,
  Operator: new Set(['tokens:grant', 'tokens:read', 'tokens:revoke', 'identities:read', ...CUSTOM]),
  Reader: new Set(['tokens:read', 'identities:read', ...CUSTOM.filter((p) => p.endsWith(':read'))]),
};

export const and = (a: Perms, b: Perms): Perms => new Set([...a].filter((p) => b.has(p)));
export const subset = (a: Perms, b: Perms): boolean => [...a].every((p) => b.has(p));

/** Endpoint allow-lists the model hands out, and a matcher for exactly these shapes. */
export const ENDPOINT_LISTS: ReadonlyArray<readonly string[]> = [
  ['GET /api/v1/apptoken'],
  ['GET /api/v1/identity/*'],
  ['* /scim/v2/*'],
  ['GET /api/v1/me', 'GET /api/v1/apptoken'],
];

/** Whether `METHOD /path` is allowed by an entry of one of the shapes above (`/x/*`: below /x). */
export function entryAllows(entry: string, method: string, path: string): boolean {
  const [m, p] = entry.split(' ') as [string, string];
  if (m !== '*' && m !== method && !(m === 'GET' && method === 'HEAD')) return false;
  if (p.endsWith('/*')) return path.startsWith(p.slice(0, -1)) && path.length > p.length - 1;
  return path === p;
}

export type CredKind = 'session' | 'app' | 'personal' | 'access' | 'refresh';

export interface Cred {
  /** Index in the model's list; the test keys requests by it. */
  n: number;
  kind: CredKind;
  label: string;
  identity: number;
  /**
   * The credential's roles as the server reported them at minting (capped by `bound` anyway),
   * or null when the answer names none (access tokens): then only the identity and the bound cap it.
   */
  roles: readonly string[] | null;
  /** What its minter (and actor, and scope) allowed when it was minted: it never holds more. */
  bound: Perms;
  /** Allow-lists of this credential and of every credential it was minted from (all must allow). */
  endpoints: ReadonlyArray<readonly string[]>;
  singleUse: boolean;
  spent: boolean;
  revoked: boolean;
  expiresAtMs: number;
  /** Credentials it was minted from (minter, actor): revoking one of them revokes it. */
  parents: number[];
  /** Refresh family root (refresh tokens and their access tokens). */
  family: number | null;
  /** Refresh tokens: rotated (a second use is a replay). */
  rotated: boolean;
}

export interface Identity {
  id: number;
  name: string;
  roles: string[];
  enabled: boolean;
  password: string | null;
}

export class Model {
  readonly creds: Cred[] = [];
  readonly identities = new Map<number, Identity>();
  readonly custom = new Map<string, Set<string>>();
  now: number;

  constructor(nowMs: number) {
    this.now = nowMs;
  }

  permsOfRoles(roles: readonly string[]): Perms {
    const out = new Set<string>();
    for (const r of roles) {
      const b = Object.keys(BUILTIN).find((k) => k.toLowerCase() === r.toLowerCase());
      const set = b ? BUILTIN[b]! : (this.custom.get(r.toLowerCase()) ?? new Set<string>());
      for (const p of set) out.add(p);
    }
    return out;
  }

  identityPerms(id: number): Perms {
    const identity = this.identities.get(id);
    return identity ? this.permsOfRoles(identity.roles) : new Set();
  }

  /** Whether a credential can be presented at all right now. */
  live(c: Cred): boolean {
    const identity = this.identities.get(c.identity);
    if (!identity?.enabled) return false;
    if (c.revoked || c.spent || c.expiresAtMs <= this.now) return false;
    // A refresh token is never a bearer credential.
    return c.kind !== 'refresh';
  }

  /** The most a credential may do now (an upper bound: the server may allow less, never more). */
  effective(c: Cred): Perms {
    if (!this.live(c)) return new Set();
    const identity = this.identityPerms(c.identity);
    const roles = c.kind === 'session' || c.roles === null ? identity : this.permsOfRoles(c.roles);
    return and(and(roles, identity), c.bound);
  }

  /** Whether every allow-list on the credential's lineage allows the request. */
  endpointAllowed(c: Cred, method: string, path: string): boolean {
    return c.endpoints.every((list) => list.some((e) => entryAllows(e, method, path)));
  }

  may(c: Cred, permission: string): boolean {
    return this.effective(c).has(permission);
  }

  add(c: Omit<Cred, 'n'>): Cred {
    const cred = { ...c, n: this.creds.length };
    this.creds.push(cred);
    return cred;
  }

  /** Revokes a credential and everything minted from it, however deep. */
  revoke(c: Cred): void {
    const todo = [c];
    while (todo.length > 0) {
      const x = todo.pop()!;
      if (x.revoked && x !== c) continue;
      x.revoked = true;
      // Revoking a member of a refresh family revokes the family (its root and all below it).
      if (x.family !== null && !this.creds[x.family]!.revoked) todo.push(this.creds[x.family]!);
      for (const child of this.creds) {
        if (!child.revoked && (child.parents.includes(x.n) || child.family === x.n)) todo.push(child);
      }
    }
  }
}
