import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type Refusal, refusal, wwwAuthenticate } from './errors.js';
import { type Guard, requirePermission as permissionGuard, requireRole as roleGuard } from './guards.js';
import { type TokenwardAuth, TokenwardVerifier, type VerifierOptions } from './verifier.js';

declare global {
  // Express's request type is extended through this namespace.
  namespace Express {
    interface Request {
      /** The verified caller, set by the `tokenward()` middleware. */
      tokenward?: TokenwardAuth;
    }
  }
}

function send(res: Response, r: Refusal): void {
  if (r.status === 401) res.setHeader('www-authenticate', wwwAuthenticate(r));
  res.status(r.status).json(r.body);
}

/**
 * Express middleware: requires a valid Tokenward token and sets `req.tokenward`; answers
 * 401/403 with `{errorCode, errorMessage, code}` otherwise.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { requirePermission, tokenward } from '@tokenward/client/express';
 *
 * const app = express();
 * app.use('/api', tokenward({ baseUrl: 'http://localhost:5000', token: process.env.TOKENWARD_SERVICE_TOKEN }));
 * app.get('/api/invoices', requirePermission('billing:read'), (req, res) => {
 *   res.json({ viewer: req.tokenward!.name });
 * });
 * ```
 */
export function tokenward(options: VerifierOptions | { verifier: TokenwardVerifier }): RequestHandler {
  const verifier = 'verifier' in options ? options.verifier : new TokenwardVerifier(options);
  return (req: Request, res: Response, next: NextFunction) => {
    verifier
      .verifyRequest(
        (name) => req.headers[name],
        req.method,
        req.originalUrl,
        `${req.protocol}://${req.get('host')}`,
      )
      .then((outcome) => {
        if (!outcome.ok) return send(res, outcome.refusal);
        req.tokenward = outcome.auth;
        next();
      }, next);
  };
}

function handler(guard: Guard): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const auth = req.tokenward;
    if (!auth) return send(res, refusal('unauthenticated'));
    const refused = guard(auth);
    if (refused) return send(res, refused);
    next();
  };
}

/**
 * Middleware requiring every listed permission (403 otherwise); use after `tokenward()`.
 *
 * @example
 * ```ts
 * app.post('/api/invoices', requirePermission('billing:write'), createInvoice);
 * ```
 */
export function requirePermission(...permissions: string[]): RequestHandler {
  return handler(permissionGuard(...permissions));
}

/**
 * Middleware requiring one of the listed roles (403 otherwise); use after `tokenward()`.
 *
 * @example
 * ```ts
 * app.delete('/api/invoices/:id', requireRole('Accountant'), deleteInvoice);
 * ```
 */
export function requireRole(...roles: string[]): RequestHandler {
  return handler(roleGuard(...roles));
}

export type { TokenwardAuth, VerifierOptions };
export { TokenwardVerifier };
