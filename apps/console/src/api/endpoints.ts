import { api } from './client';
import type {
  AuditEvent,
  Identity,
  InstanceLimits,
  Me,
  Page,
  Role,
  SignInResponse,
  SigningKey,
  TokenStatus,
  TokenView,
  UserSession,
} from './types';

/** One function per API call the console makes; paths and bodies as the server documents them. */

export const signIn = (username: string, password: string) =>
  api.post<SignInResponse>('/signin', { username, password }, { expectUnauthenticated: true });

export const signOut = () =>
  api.post<{ signedOut: boolean }>('/signout', undefined, { expectUnauthenticated: true });

export const getMe = (options: { expectUnauthenticated?: boolean } = {}) => api.get<Me>('/me', options);

export const getLimits = () => api.get<InstanceLimits>('/settings/limits');

export interface TokenQuery {
  status?: TokenStatus | '';
  identity?: string;
  search?: string;
  kind?: string;
  limit: number;
  offset: number;
}

export const listAppTokens = (q: TokenQuery) =>
  api.get<Page<TokenView>>('/apptoken', { query: { ...q, status: q.status || undefined } });

export interface GrantInput {
  roles: string[];
  expiration: string;
  name?: string;
  description?: string;
  apiEndpoints?: string[];
}

/** Grants a token to `identityId`, or to the caller when it is null (needs no tokens:grant-any). */
export const grantAppToken = (identityId: number | null, body: GrantInput) =>
  api.post<TokenView>(identityId === null ? '/apptoken/grant' : `/apptoken/grant/${identityId}`, {
    ...body,
    ...(body.apiEndpoints && body.apiEndpoints.length > 0 ? { scope: 'custom' } : {}),
  });

export const updateAppToken = (id: number, patch: { name: string; description: string }) =>
  api.patch<TokenView>(`/apptoken/${id}`, patch);

export const revokeAppToken = (id: number) => api.delete<TokenView>(`/apptoken/${id}`);

export const listPersonalTokens = (q: { limit: number; offset: number; status?: TokenStatus | '' }) =>
  api.get<Page<TokenView>>('/PersonalTokens', { query: { ...q, status: q.status || undefined } });

export const createPersonalToken = (body: { name: string; description: string; expiration?: string }) =>
  api.post<TokenView>('/PersonalTokens', body);

export const updatePersonalToken = (id: number, patch: { name: string; description: string }) =>
  api.patch<TokenView>(`/PersonalTokens/${id}`, patch);

export const revokePersonalToken = (id: number) => api.delete<TokenView>(`/PersonalTokens/${id}`);

export const listIdentities = (q: { search?: string; limit: number; offset: number }) =>
  api.get<Page<Identity>>('/identity', { query: q });

export const getIdentity = (id: number) => api.get<Identity>(`/identity/${id}`);

export interface IdentityInput {
  name?: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  roles?: string[];
  enabled?: boolean;
  password?: string | null;
}

export const createIdentity = (body: IdentityInput & { name: string }) =>
  api.post<Identity>('/identity', body);

export const updateIdentity = (id: number, body: IdentityInput) => api.put<Identity>(`/identity/${id}`, body);

export const deleteIdentity = (id: number) => api.delete<void>(`/identity/${id}`);

export const listRoles = () => api.get<Role[]>('/role');

export const createRole = (body: { name: string; description: string; permissions: string[] }) =>
  api.post<Role>('/role', body);

export const updateRole = (name: string, body: { description: string; permissions: string[] }) =>
  api.put<Role>(`/role/${encodeURIComponent(name)}`, body);

export const deleteRole = (name: string) => api.delete<void>(`/role/${encodeURIComponent(name)}`);

export const listSessions = (q: { limit: number; offset: number }) =>
  api.get<Page<UserSession>>('/usersession', { query: q });

export const endSession = (id: number) => api.delete<void>(`/usersession/${id}`);

export interface AuditQuery {
  actor?: string;
  action?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

export const listAudit = (q: AuditQuery) => api.get<Page<AuditEvent>>('/audit', { query: { ...q } });

export const listKeys = () => api.get<{ items: SigningKey[] }>('/keys');

export const rotateKey = () => api.post<SigningKey>('/keys/rotate', {});
