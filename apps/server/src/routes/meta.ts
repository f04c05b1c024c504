import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../services/request-meta.js';

export function meta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip ?? null };
}
