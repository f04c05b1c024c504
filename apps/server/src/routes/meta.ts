import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../services/request-meta.js';

export function meta(request: FastifyRequest): RequestMeta {
  return { ip: request.ip ?? null };
}

/** Parses a duration like 7d, 24h, 30m, 90s; a bare number is days. */
export function durationMs(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, '': 86_400_000 }[
    m[2] as 's' | 'm' | 'h' | 'd' | ''
  ];
  return n * unit;
}
