/**
 * Permission grants as Tokenward evaluates them, so a service can decide offline from a
 * token's roles. They are @tokenward/core's own (the rules the server applies), re-exported:
 * a grant is a permission string (`billing:read`) or a pattern: `*` every permission;
 * `custom:*` every permission that is not the management API's own; `custom:*:read` every such
 * permission whose action is `read`; `prefix*` a prefix match.
 *
 * @example
 * ```ts
 * import { grantsAllow, BUILTIN_ROLE_GRANTS } from '@tokenward/client';
 * grantsAllow(BUILTIN_ROLE_GRANTS.Reader!, 'billing:read'); // true
 * ```
 */
export { BUILTIN_ROLE_GRANTS, grantAllows, grantsAllow, MANAGEMENT_PERMISSIONS } from '@tokenward/core';
