// Target 2, the framework ceiling: Fastify answering like /auth/verify from an in-memory
// SHA-256 + Map look-up, with no store, no cache policy and no permission work. It is what
// Tokenward's verify would cost if everything beyond hashing and one look-up were free.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const identities = new Map();
for (const value of readFileSync(process.env.BENCH_TOKENS_FILE, 'utf8').split('\n')) {
  if (value)
    identities.set(createHash('sha256').update(value, 'utf8').digest('hex'), {
      id: 1,
      roles: 'Administrator',
    });
}

const app = Fastify({ logger: false, keepAliveTimeout: 72_000 });
app.decorateRequest('identity', null);
app.addHook('onRequest', async (request, reply) => {
  const auth = request.headers.authorization;
  const value = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
  const identity = identities.get(createHash('sha256').update(value, 'utf8').digest('hex'));
  if (!identity) return reply.code(401).send({ code: 'unauthenticated' });
  request.identity = identity;
});
app.get('/api/v1/auth/verify', async (request, reply) =>
  reply
    .code(204)
    .header('x-tokenward-identity', String(request.identity.id))
    .header('x-tokenward-roles', request.identity.roles)
    .send(),
);
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`READY ${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
