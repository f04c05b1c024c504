import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { ErrorSchema, OAuthErrorSchema } from '../schemas/common.js';
import { IdentitySchema, RoleSchema } from '../schemas/identity.js';
import { TokenViewSchema } from '../schemas/token.js';
import type { AuthMode } from './auth.js';
import { DOCS_SECURITY_OPTIONS } from './security-headers.js';

/**
 * The credentials every authenticated route takes (plugins/auth.ts): any one of these. Basic is
 * an identity's name or email with one of its live app or personal tokens as the password.
 */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An app, personal or access token: `Authorization: Bearer <token>`. A DPoP-bound access token (RFC 9449) goes as `Authorization: DPoP <token>` with a `DPoP` proof header instead; a 401 names both schemes in `WWW-Authenticate`.',
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description:
      "HTTP Basic: username = an identity's name or email, password = one of its live app or personal tokens (client_secret_basic on the OAuth endpoints).",
  },
  authtoken: {
    type: 'apiKey',
    in: 'header',
    name: 'Authtoken',
    description: 'A token in the `Authtoken` header (seed 004 clients).',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tw_session',
    description: 'The console session cookie from POST /api/v1/signin; writes also need X-CSRF-Token.',
  },
} as const;

type SecurityRequirement = Record<string, string[]>;

const ANY_CREDENTIAL: SecurityRequirement[] = Object.keys(SECURITY_SCHEMES).map((name) => ({ [name]: [] }));

/**
 * An operation's `security`, from the route's auth mode (the one place that decides who may
 * call it): none → `[]` (public), optional → any credential or none (`{}`), required → any
 * credential. Derived, not written per route, so the document cannot drift from what the
 * server does.
 */
export function securityFor(mode: AuthMode): SecurityRequirement[] {
  if (mode === 'none') return [];
  if (mode === 'optional') return [...ANY_CREDENTIAL, {}];
  return ANY_CREDENTIAL;
}

/** The tags operations use, in the order the interactive docs list them. */
const TAGS = [
  { name: 'sessions', description: 'Signing in to the console and who the caller is.' },
  { name: 'app tokens', description: 'Granting, importing, listing and revoking app tokens.' },
  { name: 'personal tokens', description: 'Your own personal access tokens (seed 003).' },
  { name: 'identities', description: 'Users and services that hold tokens.' },
  { name: 'roles', description: 'Built-in and custom roles and their permissions.' },
  {
    name: 'token protocol',
    description: 'OAuth endpoints (introspection, revocation, refresh, exchange) and the gateway check.',
  },
  { name: 'access tokens (seed 004)', description: 'The v4 access-token API of seed 004.' },
  { name: 'keys', description: 'Signing keys and the public JWK set.' },
  { name: 'audit', description: 'The audit log.' },
  { name: 'operations', description: 'Health, readiness and metrics.' },
];

interface OpenApiOperation {
  operationId?: string;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
}

/**
 * A body is required only when an empty one would be refused: app.ts turns a missing body into
 * `{}`, so a body object with no required property may be left out (PowerShell's
 * `Invoke-RestMethod -Method Post`, seed 003's authenticate with its query string).
 * @fastify/swagger marks every body required.
 */
function markOptionalBodies(document: { paths?: Record<string, Record<string, OpenApiOperation>> }): void {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const body = operation.requestBody;
      if (!body?.content) continue;
      const schemas = Object.values(body.content).map((media) => media.schema ?? {});
      const emptyAccepted = schemas.every(
        (schema) =>
          schema.type === 'object' &&
          (!Array.isArray(schema.required) || schema.required.length === 0) &&
          !(typeof schema.minProperties === 'number' && schema.minProperties > 0),
      );
      if (emptyAccepted) body.required = false;
    }
  }
}

/**
 * Shared schemas, the OpenAPI document (GET /api/openapi.json, routes/health.ts) and the
 * interactive docs at /docs. Every operation names its `operationId` in its route schema;
 * `security` follows the route's auth mode (securityFor).
 */
export async function registerDocs(app: FastifyInstance, opts: { publicUrl: string }): Promise<void> {
  app.addSchema(ErrorSchema);
  app.addSchema(OAuthErrorSchema);
  app.addSchema(TokenViewSchema);
  app.addSchema(IdentitySchema);
  app.addSchema(RoleSchema);
  const options: FastifyDynamicSwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tokenward API',
        version: '0.1.0',
        description:
          'Grant, verify and revoke API tokens for identities with roles. Errors are `#/components/schemas/Error` objects; the codes are listed in docs/errors.md.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: opts.publicUrl, description: 'This Tokenward (TOKENWARD_PUBLIC_URL).' }],
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
      security: ANY_CREDENTIAL,
    },
    // The public URL may have a path of its own: routes keep their full paths.
    stripBasePath: false,
    transform: ({ schema, url, route }) => {
      const mode: AuthMode = (route as RouteOptions).config?.auth ?? 'required';
      if (!schema) return { schema, url };
      return { schema: { ...schema, security: securityFor(mode) } as FastifySchema, url };
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      markOptionalBodies(documentObject.openapiObject as Parameters<typeof markOptionalBodies>[0]);
      return documentObject.openapiObject;
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  };
  await app.register(swagger, options);
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list' },
    ...DOCS_SECURITY_OPTIONS,
  });
}
