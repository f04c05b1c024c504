import { DURATION_PATTERN } from '@tokenward/core';
import { type Static, Type } from 'typebox';
import { BodyObject, DateInput, EndpointList, Name, Pagination, RoleList, Text } from './common.js';

export const TokenViewSchema = Type.Object(
  {
    id: Type.Integer(),
    token: Type.Optional(
      Type.String({ description: 'The token value: present only in the response that creates it.' }),
    ),
    kind: Type.String(),
    identity: Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      source: Type.String(),
      role: Type.String(),
    }),
    identityId: Type.Integer(),
    revoked: Type.Boolean(),
    role: Type.String({ description: 'Roles of the token, comma-separated (seed 001).' }),
    roles: Type.Array(Type.String()),
    created: Type.String({ format: 'date-time' }),
    expiration: Type.String({ format: 'date-time' }),
    revokedDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    name: Type.String(),
    description: Type.String(),
    status: Type.Union([Type.Literal('Active'), Type.Literal('Revoked'), Type.Literal('Expired')]),
    hint: Type.String({ description: 'Last four characters of the value.' }),
    lastUsed: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    useCount: Type.Integer(),
    scope: Type.String(),
    apiEndpoints: Type.Union([Type.Array(Type.String()), Type.Null()]),
    imported: Type.Boolean(),
  },
  { $id: 'Token' },
);
/** A token as every response shows it: the one definition services return. */
export type TokenView = Static<typeof TokenViewSchema>;

export const TokenListSchema = Type.Object({
  items: Type.Array(Type.Ref('Token')),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const GrantBody = BodyObject({
  role: Type.Optional(RoleList),
  roles: Type.Optional(RoleList),
  expiration: Type.Optional(DateInput),
  name: Type.Optional(Type.String({ maxLength: 128 })),
  description: Type.Optional(Text),
  scope: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('custom')])),
  apiEndpoints: Type.Optional(EndpointList),
});

export const ImportBody = BodyObject({
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  identity: Type.Union([
    Type.String({ minLength: 1, maxLength: 128 }),
    Type.Integer({ minimum: 1 }),
    BodyObject({
      name: Type.Optional(Name),
      id: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ]),
  role: Type.Optional(RoleList),
  roles: Type.Optional(RoleList),
  expiration: Type.Optional(DateInput),
  name: Type.Optional(Type.String({ maxLength: 128 })),
  description: Type.Optional(Text),
});

export const PatchTokenBody = BodyObject(
  {
    name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Text),
  },
  { minProperties: 1 },
);

export const StatusFilter = Type.Union(
  ['Active', 'Revoked', 'Expired', 'active', 'revoked', 'expired'].map((s) => Type.Literal(s)),
);

export const TokenListQuery = Type.Object({
  status: Type.Optional(StatusFilter),
  identity: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  kind: Type.Optional(
    Type.String({ pattern: '^(all|app|personal|refresh|access)(,(app|personal|refresh|access))*$' }),
  ),
  expiringWithin: Type.Optional(
    Type.String({
      pattern: DURATION_PATTERN,
      description: 'A duration: 7d, 24h, 30m, 90s, 2w, 1y; a bare number is days.',
    }),
  ),
  search: Type.Optional(Type.String({ maxLength: 128 })),
  ...Pagination,
});

/** `active`, `ACTIVE`… → `Active`: the status filter is case-insensitive. */
export function statusFilter(value: string | undefined): 'Active' | 'Revoked' | 'Expired' | undefined {
  if (!value) return undefined;
  return (value[0]!.toUpperCase() + value.slice(1).toLowerCase()) as 'Active' | 'Revoked' | 'Expired';
}
