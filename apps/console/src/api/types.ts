/** Shapes of the Tokenward API's JSON, as the console uses them (see GET /api/openapi.json). */

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Identity {
  id: number;
  name: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  fullName: string;
  source: string;
  roles: string[];
  enabled: boolean;
  hasPassword: boolean;
  created: string;
  updated: string;
}

export type TokenStatus = 'Active' | 'Revoked' | 'Expired';

export interface TokenView {
  id: number;
  /** The value: present only in the response that creates the token. */
  token?: string;
  kind: string;
  identity: { id: number; name: string; source: string; role: string };
  identityId: number;
  revoked: boolean;
  role: string;
  roles: string[];
  created: string;
  expiration: string;
  revokedDate: string | null;
  name: string;
  description: string;
  status: TokenStatus;
  hint: string;
  lastUsed: string | null;
  useCount: number;
  scope: string;
  apiEndpoints: string[] | null;
  imported: boolean;
}

export interface Role {
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
}

export interface UserSession {
  id: number;
  identityId: number;
  created: string;
  lastSeen: string;
  expires: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface AuditEvent {
  id: number;
  at: string;
  actor: { id: number | null; name: string | null };
  action: string;
  outcome: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  created: string;
  status: 'active' | 'published' | 'retired' | string;
  /** When the key stopped signing (it may still verify until publishedUntil). */
  retired?: string | null;
  publishedUntil?: string | null;
  expires?: string | null;
}

export interface Me {
  identity: Identity;
  roles: string[];
  permissions: string[];
}

export interface SignInResponse {
  identity: Identity;
  csrfToken: string;
  expires: string;
}

export interface LifetimeLimits {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

export interface InstanceLimits {
  appToken: LifetimeLimits;
  personal: LifetimeLimits;
}
