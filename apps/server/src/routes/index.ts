import type { FastifyInstance } from 'fastify';
import { accessTokenV4Routes } from './access-token-v4.js';
import { appTokenRoutes } from './app-tokens.js';
import { auditRoutes } from './audit.js';
import { gatewayRoutes } from './gateway.js';
import { healthRoutes } from './health.js';
import { identityRoutes } from './identities.js';
import { keyRoutes } from './keys.js';
import { meRoutes } from './me.js';
import { personalTokenRoutes } from './personal-tokens.js';
import { protocolRoutes } from './protocol.js';
import { roleRoutes } from './roles.js';
import { sessionRoutes } from './sessions.js';
import { tokenTransferRoutes } from './token-transfer.js';

export async function registerRoutes(app: FastifyInstance): Promise<void> {
  await app.register(healthRoutes);
  await app.register(sessionRoutes, { prefix: '/api/v1' });
  await app.register(appTokenRoutes, { prefix: '/api/v1' });
  await app.register(tokenTransferRoutes, { prefix: '/api/v1' });
  await app.register(identityRoutes, { prefix: '/api/v1' });
  await app.register(roleRoutes, { prefix: '/api/v1' });
  await app.register(auditRoutes, { prefix: '/api/v1' });
  await app.register(meRoutes, { prefix: '/api/v1' });
  await app.register(personalTokenRoutes, { prefix: '/api/v1' });
  await app.register(protocolRoutes, { prefix: '/api/v1' });
  await app.register(gatewayRoutes, { prefix: '/api/v1' });
  await app.register(keyRoutes);
  await app.register(accessTokenV4Routes);
}
