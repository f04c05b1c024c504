import { Type } from 'typebox';
import { BodyObject, Name, Pagination } from './common.js';

export const IdentitySchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    firstName: Type.Union([Type.String(), Type.Null()]),
    lastName: Type.Union([Type.String(), Type.Null()]),
    fullName: Type.String(),
    source: Type.String(),
    roles: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    hasPassword: Type.Boolean(),
    actFor: Type.Union([Type.Array(Type.Integer()), Type.Null()], {
      description:
        'Identities (ids) this identity may act for through token exchange, when it holds tokens:exchange; null: any.',
    }),
    requireDpop: Type.Boolean({
      description:
        'Tokens minted for this identity at the token endpoint need a DPoP proof (RFC 9449): they are all sender-constrained.',
    }),
    created: Type.String({ format: 'date-time' }),
    updated: Type.String({ format: 'date-time' }),
  },
  { $id: 'Identity' },
);

const Email = Type.Union([Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' }), Type.Null()]);
const PersonName = Type.Union([Type.String({ maxLength: 128 }), Type.Null()]);
const Password = Type.Union([Type.String({ minLength: 8, maxLength: 1024 }), Type.Null()]);
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 });
const ActFor = Type.Union(
  [Type.Array(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), { maxItems: 1000 }), Type.Null()],
  {
    description:
      'Whom this identity may act for through token exchange (identity ids); null or absent: anyone.',
  },
);

const RequireDpop = Type.Boolean({
  description: 'Tokens minted at the token endpoint need a DPoP proof (RFC 9449).',
});

export const CreateIdentityBody = BodyObject({
  name: Name,
  email: Type.Optional(Email),
  firstName: Type.Optional(PersonName),
  lastName: Type.Optional(PersonName),
  roles: Type.Optional(Roles),
  enabled: Type.Optional(Type.Boolean()),
  password: Type.Optional(Password),
  source: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' })),
  actFor: Type.Optional(ActFor),
  requireDpop: Type.Optional(RequireDpop),
});

export const UpdateIdentityBody = BodyObject({
  name: Type.Optional(Name),
  email: Type.Optional(Email),
  firstName: Type.Optional(PersonName),
  lastName: Type.Optional(PersonName),
  roles: Type.Optional(Roles),
  enabled: Type.Optional(Type.Boolean()),
  password: Type.Optional(Password),
  actFor: Type.Optional(ActFor),
  requireDpop: Type.Optional(RequireDpop),
});

export const IdentityListQuery = Type.Object({
  search: Type.Optional(Type.String({ maxLength: 128 })),
  role: Type.Optional(Type.String({ maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean()),
  ...Pagination,
});

export const IdentityListSchema = Type.Object({
  items: Type.Array(Type.Ref('Identity')),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const RoleSchema = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    permissions: Type.Array(Type.String()),
    builtin: Type.Boolean(),
    requireDpop: Type.Boolean({
      description: 'Tokens minted at the token endpoint for an identity holding this role need a DPoP proof.',
    }),
  },
  { $id: 'Role' },
);

export const CreateRoleBody = BodyObject({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  permissions: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 }),
  requireDpop: Type.Optional(RequireDpop),
});

export const UpdateRoleBody = BodyObject(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    permissions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 200 })),
    requireDpop: Type.Optional(RequireDpop),
  },
  { minProperties: 1 },
);

export const RoleParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
