import { AppError, type PermissionSet } from '@tokenward/core';
import type { Principal } from './verifier.js';

/** Throws 403 unless the caller holds the permission. */
export function requirePermission(caller: Principal, permission: string): void {
  if (!caller.permissions.has(permission)) throw new AppError('permission_denied');
}

export function hasPermission(caller: Principal, permission: string): boolean {
  return caller.permissions.has(permission);
}

/**
 * Whether the caller's effective permissions include everything in `set`: no request may
 * mint a token, assign a role or define a role worth more than itself.
 */
export function callerCovers(caller: Principal, set: PermissionSet): boolean {
  return caller.permissions.covers(set);
}
