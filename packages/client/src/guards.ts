import { type Refusal, refusal } from './errors.js';
import type { TokenwardAuth } from './verifier.js';

/**
 * A check on a verified caller: null to let the request through, or the refusal to answer.
 *
 * @example
 * ```ts
 * const weekdaysOnly: Guard = () => (new Date().getDay() % 6 === 0 ? refusal('permission_denied') : null);
 * ```
 */
export type Guard = (auth: TokenwardAuth) => Refusal | null;

/**
 * Requires every listed permission (a custom one such as `billing:read`, or a management
 * one); 403 otherwise. Permissions come from the token's roles (built-in grants included:
 * Administrator `*`, Operator `custom:*`, Reader `custom:*:read`).
 *
 * @example
 * ```ts
 * const handler = withTokenward(verifier, listInvoices, requirePermission('billing:read'));
 * ```
 */
export function requirePermission(...permissions: string[]): Guard {
  if (permissions.length === 0) throw new TypeError('requirePermission needs at least one permission.');
  return (auth) =>
    permissions.every((p) => auth.can(p))
      ? null
      : refusal('permission_denied', `This needs the permission "${permissions.find((p) => !auth.can(p))}".`);
}

/**
 * Requires one of the listed roles on the token (compared case-insensitively); 403 otherwise.
 * Roles are literal: `requireRole('Operator')` is not satisfied by Administrator.
 *
 * @example
 * ```ts
 * const handler = withTokenward(verifier, closeBooks, requireRole('Accountant', 'Administrator'));
 * ```
 */
export function requireRole(...roles: string[]): Guard {
  if (roles.length === 0) throw new TypeError('requireRole needs at least one role.');
  const wanted = new Set(roles.map((r) => r.toLowerCase()));
  return (auth) =>
    auth.roles.some((r) => wanted.has(r.toLowerCase()))
      ? null
      : refusal('permission_denied', `This needs one of the roles: ${roles.join(', ')}.`);
}
