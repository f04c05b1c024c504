/**
 * The one authority: what a credential may do, and what it may mint (SPEC §1 and §10).
 *
 * Every path that authenticates (routes, the fast paths, `/auth/verify`, introspection, the
 * SDK) asks an {@link Authority} what the presented credential may do; every path that creates
 * or changes a credential, an identity's roles or a role asks {@link planMint} or one of the
 * `assertMay…` functions here. Nothing else compares roles or permissions.
 *
 * The rules:
 * - effective permissions = perms(credential roles) ∩ perms(identity's current roles) ∩ the
 *   credential's ceiling, further limited by its endpoint allow-list;
 * - a minted credential's ceiling is its minter's effective permissions (exchange: the
 *   subject's ∩ the actor's ∩ the scope asked for), so a child can only narrow;
 * - a role may be put in a credential when its permissions are within the minter's effective
 *   permissions and within the target identity's own;
 * - a single-use credential mints nothing.
 *
 * Pure: no I/O, imports nothing of ours outside this package.
 */
import { type EndpointPattern, endpointAllowed, parseEndpointPatterns } from './endpoint-pattern.js';
import { AppError } from './errors.js';
import { AllOf, PermissionSet } from './permissions.js';

/** What the store knows about whether a credential can still be used. */
export interface Liveness {
  revoked: boolean;
  /** A single-use credential that was used, or a rotated refresh token. */
  spent: boolean;
  expiresAtMs: number;
}

/** Whether a credential is live: not revoked, not spent, not expired. The one definition. */
export function isLive(credential: Liveness, nowMs: number): boolean {
  return !credential.revoked && !credential.spent && credential.expiresAtMs > nowMs;
}

/** The role catalog as the authority needs it: the permissions of a list of roles. */
export interface RolePermissions {
  permissionsOf(roles: readonly string[]): PermissionSet;
}

export interface AuthorityFacts {
  identityId: number;
  /** The roles the credential carries (a session: the identity's roles). */
  credentialRoles: readonly string[];
  /** The identity's roles now. */
  identityRoles: readonly string[];
  /** The credential's ceiling (its minter's effective grants), or null for none (sessions, old tokens). */
  ceiling: readonly string[] | null;
  /** Endpoint allow-list, or null for no restriction. */
  endpoints: readonly EndpointPattern[] | null;
  /** Single-use credentials (seed 004's OneTouch) mint nothing. */
  singleUse: boolean;
  /** Identities this one may act for through token exchange, or null for any. */
  actFor?: readonly number[] | null;
}

/**
 * What one credential of one identity may do right now. Built once per (credential, identity)
 * state and kept with the cached principal: every question after that is a set look-up.
 */
export class Authority {
  readonly identityId: number;
  readonly permissions: AllOf;
  readonly endpoints: readonly EndpointPattern[] | null;
  readonly singleUse: boolean;
  /** The credential's roles it really holds (its roles whose permissions it has in full). */
  readonly roles: readonly string[];
  /** The credential's roles as minted (what a child minted by it carries by default). */
  readonly credentialRoles: readonly string[];
  readonly identityPermissions: PermissionSet;
  readonly actFor: readonly number[] | null;
  private flat: PermissionSet | undefined;

  constructor(facts: AuthorityFacts, catalog: RolePermissions) {
    this.identityId = facts.identityId;
    this.identityPermissions = catalog.permissionsOf(facts.identityRoles);
    const sets = [catalog.permissionsOf(facts.credentialRoles), this.identityPermissions];
    if (facts.ceiling !== null) sets.push(new PermissionSet(facts.ceiling));
    this.permissions = new AllOf(sets);
    this.endpoints = facts.endpoints;
    this.singleUse = facts.singleUse;
    this.credentialRoles = facts.credentialRoles;
    this.roles = facts.credentialRoles.filter((r) => this.permissions.covers(catalog.permissionsOf([r])));
    this.actFor = facts.actFor ?? null;
  }

  has(permission: string): boolean {
    return this.permissions.has(permission);
  }

  /** Whether it holds every permission of `set`. */
  covers(set: PermissionSet): boolean {
    return this.permissions.covers(set);
  }

  /** Throws 403 unless it holds the permission. */
  require(permission: string, message?: string): void {
    if (!this.permissions.has(permission)) throw new AppError('permission_denied', message);
  }

  /**
   * Whether a request (method and URL as sent, or as the gateway forwarded it) is within the
   * endpoint allow-list. The URL is normalised by endpointAllowed (dot segments, encodings).
   */
  allowsRequest(method: string, url: string): boolean {
    return this.endpoints === null || endpointAllowed(this.endpoints, method, url);
  }

  /** The effective permissions as one grant list: the ceiling of what this credential mints. */
  grants(): PermissionSet {
    this.flat ??= this.permissions.flatten();
    return this.flat;
  }
}

/** The operations that create a credential, each with its own permission rule. */
export type MintOperation =
  /** An app token (`/apptoken/grant`, for oneself or, with tokens:grant-any, for another). */
  | 'grant'
  /** An app token whose value the caller brings (`POST /apptoken`, hash import). */
  | 'import'
  /** A personal access token (for oneself). */
  | 'personal'
  /** Seed 004's access tokens (for oneself). */
  | 'v4'
  /** An access token bought with a personal token (`/PersonalTokens/authenticate`). */
  | 'pat-authenticate'
  /** The next access + refresh token of a refresh family. */
  | 'refresh'
  /** RFC 8693: an access token for the subject, obtained by an actor. */
  | 'exchange'
  /** RFC 6749 §4.4: an authenticated client's access token for itself. */
  | 'client-credentials';

export interface MintRequest {
  operation: MintOperation;
  /** The identity the credential is for, with its current roles. */
  target: { id: number; roles: readonly string[] };
  /** Roles asked for (canonical names); absent or empty: the operation's default. */
  roles?: readonly string[] | undefined;
  /** Endpoint allow-list asked for; absent: the minter's own (or none). */
  endpoints?: readonly string[] | undefined;
  /** Permissions the credential is narrowed to (exchange `scope` items that are permissions). */
  narrowTo?: readonly string[] | undefined;
  /**
   * Roles the credential is narrowed to (exchange `scope` items that are roles): it carries
   * them, and its ceiling is limited to their permissions together with `narrowTo`.
   */
  scopeRoles?: readonly string[] | undefined;
  /** Exchange: the acting party (the subject is the minter). */
  actor?: Authority | undefined;
  /** A ceiling the credential already has and keeps (an exported token imported elsewhere). */
  ceiling?: readonly string[] | null | undefined;
}

/** What the new credential carries: roles, ceiling and endpoint allow-list. */
export interface MintPlan {
  roles: string[];
  /** The minter's effective grants (∩ the actor's, ∩ the narrowing): stored with the credential. */
  ceiling: string[];
  endpoints: string[] | null;
}

/**
 * The permission rule of each minting operation: who may mint what for whom. planMint applies
 * it; services call it first when they must read the target identity, so that a caller
 * without the right learns nothing about which identities exist.
 */
export function assertMayMint(
  minter: Authority,
  operation: MintOperation,
  targetId: number,
  actor?: Authority,
): void {
  const self = targetId === minter.identityId;
  if (minter.singleUse) throw new AppError('single_use_credential');
  switch (operation) {
    case 'grant':
      if (self) {
        if (!minter.has('tokens:grant') && !minter.has('tokens:grant-any')) {
          throw new AppError('permission_denied');
        }
      } else minter.require('tokens:grant-any');
      return;
    case 'import':
      minter.require('tokens:import', 'Importing token values needs the tokens:import permission.');
      if (!self) minter.require('tokens:grant-any');
      return;
    case 'v4':
      minter.require('tokens:grant');
      if (!self) throw new AppError('permission_denied');
      return;
    case 'personal':
    case 'pat-authenticate':
    case 'refresh':
    case 'client-credentials':
      if (!self) throw new AppError('permission_denied');
      return;
    case 'exchange':
      if (!actor) throw new AppError('unauthenticated', 'Token exchange needs an authenticated actor.');
      if (actor.singleUse) throw new AppError('single_use_credential');
      if (actor.identityId !== targetId) {
        actor.require('tokens:exchange', 'Acting for another identity needs the tokens:exchange permission.');
        if (actor.actFor !== null && !actor.actFor.includes(targetId)) throw new AppError('act_not_allowed');
      }
      return;
  }
}

/**
 * Decides whether `minter` may mint the credential asked for, and what it carries. Throws the
 * AppError of the first rule it breaks.
 */
export function planMint(minter: Authority, req: MintRequest, catalog: RolePermissions): MintPlan {
  const self = req.target.id === minter.identityId;
  assertMayMint(minter, req.operation, req.target.id, req.actor);

  let ceiling = minter.grants();
  if (req.actor) ceiling = ceiling.intersect(req.actor.grants());
  if (req.ceiling) ceiling = ceiling.intersect(new PermissionSet(req.ceiling));

  const targetPermissions = catalog.permissionsOf(req.target.roles);
  const holds = (role: string) => targetPermissions.covers(catalog.permissionsOf([role]));
  const scopeRoles = req.scopeRoles ?? [];
  const narrowTo = req.narrowTo ?? [];
  if (scopeRoles.length > 0 || narrowTo.length > 0) {
    // Narrowing asks only for what the minter (and the actor) hold: it never widens.
    for (const r of scopeRoles) {
      if (!holds(r) || !ceiling.covers(catalog.permissionsOf([r]))) {
        throw new AppError(
          'role_not_held',
          `The token may not be narrowed to the role "${r}": it does not hold it.`,
        );
      }
    }
    for (const p of narrowTo) {
      if (!ceiling.has(p)) {
        throw new AppError(
          'role_not_held',
          `The token may not be narrowed to "${p.slice(0, 80)}": it does not hold it.`,
        );
      }
    }
    ceiling = ceiling.intersect(
      new PermissionSet([...catalog.permissionsOf(scopeRoles).grants, ...narrowTo]),
    );
  }

  let roles: string[];
  if (req.roles && req.roles.length > 0) {
    roles = [...req.roles];
    for (const r of roles) {
      if (!holds(r)) throw new AppError('role_not_held', `The identity does not hold the role "${r}".`);
      if (!ceiling.covers(catalog.permissionsOf([r]))) {
        throw new AppError(
          'role_not_held',
          `A token cannot carry the role "${r}": its permissions are not all within the caller's.`,
        );
      }
    }
  } else if (scopeRoles.length > 0 && narrowTo.length === 0) {
    roles = [...scopeRoles];
  } else if (self) {
    roles = [...new Set([...scopeRoles, ...minter.credentialRoles.filter(holds)])];
    if (roles.length === 0) throw new AppError('role_not_held', 'You hold no role to put in a token.');
  } else {
    roles = req.target.roles.filter((r) => holds(r) && ceiling.covers(catalog.permissionsOf([r])));
    if (roles.length === 0) {
      throw new AppError('role_not_held', 'The identity has no role that you may put in a token.');
    }
  }

  let endpoints: string[] | null = null;
  if (req.endpoints !== undefined && req.endpoints.length > 0) {
    if (req.endpoints.length > 100)
      throw new AppError('invalid_endpoint_pattern', 'At most 100 API endpoints.');
    const parsed = parseEndpointPatterns(req.endpoints);
    if (!parsed) throw new AppError('invalid_endpoint_pattern');
    for (const bound of [minter.endpoints, req.actor?.endpoints ?? null]) {
      if (bound !== null && !parsed.every((p) => endpointCovered(bound, p))) {
        throw new AppError(
          'endpoint_not_allowed',
          'A token cannot allow endpoints its creator may not call.',
        );
      }
    }
    endpoints = parsed.map((p) => p.source);
  } else {
    endpoints = intersectEndpoints(minter.endpoints, req.actor?.endpoints ?? null);
  }
  return { roles, ceiling: [...ceiling.grants], endpoints };
}

/**
 * Whether every request `child` allows, some entry of `parent` allows too (conservative: a
 * pattern is covered by an equal one, by a method-and-prefix `/*` pattern above it, or — when
 * it has no wildcard — by any pattern matching its path).
 */
export function endpointCovered(parent: readonly EndpointPattern[], child: EndpointPattern): boolean {
  const [childMethod, childPath] = splitSource(child.source);
  return parent.some((p) => {
    const [method, path] = splitSource(p.source);
    // `*` as the child's method is covered only by `*`; GET covers HEAD.
    if (!(method === '*' || method === childMethod || (method === 'GET' && childMethod === 'HEAD')))
      return false;
    if (path === childPath) return true;
    // A child without wildcards allows one path: covered when the parent's pattern matches it.
    if (!childPath.includes('*')) return endpointAllowed([{ ...p, method: '*' }], 'GET', childPath);
    // A child with wildcards below a parent's trailing `/*`: everything below is the parent's.
    const below = path.endsWith('/**') ? path.slice(0, -2) : path.endsWith('/*') ? path.slice(0, -1) : null;
    return (
      below !== null && !below.includes('*') && childPath.startsWith(below) && childPath.length > below.length
    );
  });
}

function splitSource(source: string): [string, string] {
  const space = source.indexOf(' ');
  return [source.slice(0, space), source.slice(space + 1)];
}

/** The allow-list two bounds leave: each one's entries that the other covers (null: no bound). */
export function intersectEndpoints(
  a: readonly EndpointPattern[] | null,
  b: readonly EndpointPattern[] | null,
): string[] | null {
  if (a === null) return b === null ? null : b.map((p) => p.source);
  if (b === null) return a.map((p) => p.source);
  const out = new Set<string>();
  for (const p of a) if (endpointCovered(b, p)) out.add(p.source);
  for (const p of b) if (endpointCovered(a, p)) out.add(p.source);
  return [...out];
}

/** Assigning roles to an identity: identities:write, and only roles within the caller's permissions. */
export function assertMayAssignRoles(caller: Authority, added: PermissionSet): void {
  caller.require('identities:write');
  if (!caller.covers(added)) {
    throw new AppError('role_not_held', 'You cannot assign a role with permissions you do not have.');
  }
}

/** Defining or changing a role: roles:write, and only permissions the caller has. */
export function assertMayDefineRole(caller: Authority, permissions: PermissionSet): void {
  caller.require('roles:write');
  if (!caller.covers(permissions)) {
    throw new AppError('permission_denied', 'A role cannot hold permissions you do not have.');
  }
}

/** What a caller may do to a token it can see: its own with the plain permission, others' with `-any`. */
export type TokenAction = 'read' | 'change' | 'revoke';

const TOKEN_ACTION_PERMISSIONS: Record<TokenAction, [own: string, any: string]> = {
  read: ['tokens:read', 'tokens:read-any'],
  change: ['tokens:grant', 'tokens:grant-any'],
  revoke: ['tokens:revoke', 'tokens:revoke-any'],
};

/** Whether the caller may see a token of `ownerId` at all (a token it may not see is a 404). */
export function maySeeToken(caller: Authority, ownerId: number): boolean {
  return caller.has('tokens:read') && (ownerId === caller.identityId || caller.has('tokens:read-any'));
}

/** Throws 403 unless the caller may do `action` to a token of `ownerId`. */
export function assertMayActOnToken(caller: Authority, ownerId: number, action: TokenAction): void {
  const [own, any] = TOKEN_ACTION_PERMISSIONS[action];
  caller.require(ownerId === caller.identityId ? own : any);
}

/** Parses a stored endpoint list (JSON text) once; null for none. */
export function endpointsOf(list: readonly string[] | null): EndpointPattern[] | null {
  return list === null ? null : parseEndpointPatterns(list);
}
