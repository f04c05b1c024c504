import type { FastifyInstance } from 'fastify';

/**
 * Serves the admin console (apps/console's built files) at `/`. Placeholder until the console
 * lands: it registers nothing.
 */
export async function registerConsole(_app: FastifyInstance): Promise<void> {}
