import type { Identity, Limits } from '@tokenward/client/api';
import { createContext, useContext } from 'react';

export interface SessionInfo {
  identity: Identity;
  roles: string[];
  permissions: ReadonlySet<string>;
  limits: Limits;
  /** Whether the permissions came from the server (GET /me) or were derived from roles. */
  permissionsSource: 'server' | 'roles';
  signOut: () => Promise<void>;
  /** Reloads identity and permissions (after the signed-in identity changed). */
  refresh: () => Promise<void>;
}

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** Whether the signed-in identity holds a management permission. */
export function useCan(): (permission: string) => boolean {
  const { permissions } = useSession();
  return (permission) => permissions.has(permission);
}

/** Tells the shell that the current session was ended from the Sessions page. */
export const SessionEndedContext = createContext<() => void>(() => {});
