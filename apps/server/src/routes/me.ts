import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MANAGEMENT_PERMISSIONS } from '@tokenward/core';
import { type Static, Type } from 'typebox';
import { caller } from '../plugins/auth.js';
import { errors } from '../schemas/common.js';
import type { IdentityService } from '../services/identity.service.js';

const Limits = Type.Object({ defaultTtlSeconds: Type.Integer(), maxTtlSeconds: Type.Integer() });

/** Token lifetime policy of this instance, per kind, as /settings/limits shows it. */
export type LimitsView = Static<typeof LimitsView>;
const LimitsView = Type.Object({ appToken: Limits, personal: Limits });

export interface MeRouteOptions {
  identities: IdentityService;
  limits: LimitsView;
}

export const meRoutes: FastifyPluginAsyncTypebox<MeRouteOptions> = async (app, { identities, limits }) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getMe',
        summary: 'Who the caller is and what it may do with this credential.',
        response: {
          200: Type.Object({
            identity: Type.Ref('Identity'),
            via: Type.String(),
            roles: Type.Array(Type.String()),
            permissions: Type.Array(Type.String({ description: 'Management permissions held.' })),
            tokenId: Type.Union([Type.Integer(), Type.Null()]),
            apiEndpoints: Type.Union([Type.Array(Type.String()), Type.Null()]),
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const p = caller(request);
      return {
        identity: await identities.get(p, p.identity.id),
        via: p.via,
        roles: [...p.roles],
        permissions: MANAGEMENT_PERMISSIONS.filter((perm) => p.authority.has(perm)),
        tokenId: p.token?.id ?? null,
        apiEndpoints: p.endpoints ? p.endpoints.map((e) => e.source) : null,
      };
    },
  );

  app.get(
    '/settings/limits',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getLimits',
        summary: 'Token lifetime policy of this instance (default and maximum per kind).',
        response: { 200: LimitsView, ...errors(401) },
      },
    },
    async () => limits,
  );
};
