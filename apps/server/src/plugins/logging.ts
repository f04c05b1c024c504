import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

const SENSITIVE_QUERY = /token|password|secret|key|code|assertion|auth|credential/i;

/** Removes values of sensitive query parameters (seed 003 puts a token in the query string). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return SENSITIVE_QUERY.test(decoded) ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/**
 * Logger options: request serialisation without headers (Authorization, cookies, Authtoken
 * never reach a log line), redacted query strings, and redaction of secret-looking fields in
 * anything else that gets logged.
 */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: [
        'password',
        'token',
        'secret',
        '*.password',
        '*.token',
        '*.secret',
        '*.personalToken',
        '*.refreshToken',
        '*.accessToken',
        '*.authorization',
        '*.cookie',
        'req.headers',
        'res.headers',
      ],
      censor: '[REDACTED]',
    },
    serializers: {
      req(req: FastifyRequest) {
        return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
      },
      res(res: { statusCode: number }) {
        return { statusCode: res.statusCode };
      },
    },
  };
}

/** One access-log line per request, when it completes, with the (redacted) request in it. */
export class AccessLogController extends LogController {
  /** @param enabled whether request lines are written at all (level info or more verbose) */
  constructor(private readonly enabled: boolean) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!this.enabled && !error) return;
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}
