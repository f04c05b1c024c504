import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, basicCredentials, GRANT_TYPES, TOKEN_EXCHANGE_GRANT } from '@tokenward/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { tokenEndpointProof } from '../plugins/dpop-request.js';
import { INTROSPECTION_HEADERS } from '../plugins/fast-paths.js';
import { BodyObject, FORM_OR_JSON, oauthErrors } from '../schemas/common.js';
import {
  type AuthenticatedClient,
  type ClientAuthenticator,
  invalidClient,
} from '../services/client-authenticator.js';
import type { ClientCredentialsService } from '../services/client-credentials.service.js';
import { checkTokenEndpointDpop, type DpopProofs } from '../services/dpop.js';
import type { IntrospectionService } from '../services/introspection.service.js';
import type { RefreshService } from '../services/refresh.service.js';
import type { RevocationService } from '../services/revocation.service.js';
import type { TokenExchangeService } from '../services/token-exchange.service.js';
import { meta } from './meta.js';

const TokenParam = Type.String({ minLength: 1, maxLength: 8192 });

/** Client authentication in the body (RFC 6749 §2.3.1 client_secret_post, RFC 7523 §2.2). */
const ClientAuthFields = {
  client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  client_secret: Type.Optional(TokenParam),
  client_assertion_type: Type.Optional(Type.String({ maxLength: 128 })),
  client_assertion: Type.Optional(TokenParam),
};

const IntrospectBody = BodyObject({
  token: TokenParam,
  token_type_hint: Type.Optional(Type.String({ maxLength: 64 })),
  ...ClientAuthFields,
});
const RefreshFields = {
  refresh_token: Type.Optional(TokenParam),
  refreshToken: Type.Optional(TokenParam),
};
const ExchangeFields = {
  subject_token: Type.Optional(TokenParam),
  subject_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  actor_token: Type.Optional(TokenParam),
  actor_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  scope: Type.Optional(Type.String({ maxLength: 2000 })),
  requested_token_type: Type.Optional(Type.String({ maxLength: 128 })),
  audience: Type.Optional(Type.String({ maxLength: 256 })),
  resource: Type.Optional(Type.String({ maxLength: 1024 })),
};
/** RFC 6749 §3.2: one body for every grant; what each grant needs is checked by its handler. */
const TokenBody = BodyObject({
  grant_type: Type.String({ minLength: 1, maxLength: 256 }),
  ...RefreshFields,
  ...ExchangeFields,
  ...ClientAuthFields,
});
const RefreshBody = BodyObject({
  grant_type: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  ...RefreshFields,
  ...ClientAuthFields,
});
const ExchangeBody = BodyObject({
  grant_type: Type.String({ minLength: 1, maxLength: 256 }),
  ...ExchangeFields,
  ...ClientAuthFields,
});
type TokenRequest = Static<typeof TokenBody>;

const RefreshAnswer = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  refresh_token: Type.String(),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenExpiryTimestamp: Type.Integer(),
  refreshTokenExpiryTimestamp: Type.Integer(),
});
const ExchangeAnswer = Type.Object({
  access_token: Type.String(),
  issued_token_type: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  scope: Type.String(),
});
const ClientCredentialsAnswer = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  scope: Type.String(),
});

const StringList = Type.Array(Type.String());
/** RFC 7662 §2.2 members, then Tokenward's own (IntrospectionService.introspection). */
const IntrospectionAnswer = Type.Object(
  {
    active: Type.Boolean(),
    scope: Type.Optional(
      Type.String({
        description: 'Space-separated: the scopes it was narrowed to, else the roles it holds.',
      }),
    ),
    client_id: Type.Optional(Type.String({ description: 'Name of the identity whose client obtained it.' })),
    username: Type.Optional(Type.String()),
    token_type: Type.Optional(Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')])),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    nbf: Type.Optional(Type.Integer()),
    sub: Type.Optional(Type.String()),
    aud: Type.Optional(Type.String()),
    iss: Type.Optional(Type.String()),
    jti: Type.Optional(Type.String({ description: "An access JWT's own jti." })),
    act: Type.Optional(
      Type.Object(
        { sub: Type.String(), name: Type.Optional(Type.String()) },
        {
          additionalProperties: true,
          description: 'RFC 8693 §4.1: the acting party, earlier actors nested.',
        },
      ),
    ),
    cnf: Type.Optional(Type.Object({ jkt: Type.String() }, { additionalProperties: true })),
    kind: Type.Optional(
      Type.Union([
        Type.Literal('app'),
        Type.Literal('personal'),
        Type.Literal('access'),
        Type.Literal('refresh'),
      ]),
    ),
    token_id: Type.Optional(Type.Integer({ description: "The token's id in Tokenward." })),
    roles: Type.Optional(StringList),
    permissions: Type.Optional(StringList),
    grants: Type.Optional(StringList),
    api_endpoints: Type.Optional(StringList),
    tid: Type.Optional(Type.Integer({ description: 'Id of the token this one was minted by.' })),
    token_subtype: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Already JSON text (see IntrospectionService.introspect): sent as is. */
function sendIntrospection(reply: FastifyReply, json: string): void {
  reply.headers(INTROSPECTION_HEADERS).send(json);
}

/** RFC 6749 §5.1: token answers are never cached. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/**
 * OpenAPI security of the endpoints where client authentication is optional: Basic
 * (client_secret_basic), Bearer, or none (body methods, or no client at all).
 */
const OPTIONAL_CLIENT: Array<Record<string, string[]>> = [{ basic: [] }, { bearer: [] }, {}];

/** The OAuth endpoints' route settings: errors as RFC 6749 §5.2, Basic left to client authentication. */
const OAUTH = { auth: 'optional', oauthErrors: true, clientAuth: true } as const;
const TAGS = ['token protocol'];

export interface ProtocolRouteOptions {
  introspection: IntrospectionService;
  revocation: RevocationService;
  refresh: RefreshService;
  exchange: TokenExchangeService;
  clientCredentials: ClientCredentialsService;
  clients: ClientAuthenticator;
  /** RFC 9449 proofs: the token endpoint binds tokens to the key of a request's proof. */
  dpop: DpopProofs;
}

export const protocolRoutes: FastifyPluginAsyncTypebox<ProtocolRouteOptions> = async (app, o) => {
  const { introspection, revocation, refresh, exchange, clientCredentials, clients, dpop } = o;

  /**
   * The request's authenticated client (any method), or null when it presents none. A client
   * whose credential has an endpoint allow-list must allow this endpoint, whichever method it
   * used (the auth hook checks that for Bearer alike).
   */
  const clientOf = async (
    request: FastifyRequest,
    body: Static<typeof IntrospectBody> | TokenRequest | Static<typeof RefreshBody>,
  ): Promise<AuthenticatedClient | null> => {
    const auth = request.headers.authorization;
    const client = await clients.authenticate({
      basic: auth !== undefined && /^basic\s/i.test(auth) ? (basicCredentials(auth) ?? BAD_BASIC) : null,
      bearer: request.principal,
      body: {
        client_id: body.client_id,
        client_secret: body.client_secret,
        client_assertion_type: body.client_assertion_type,
        client_assertion: body.client_assertion,
      },
      ip: request.ip,
    });
    if (client && !client.principal.authority.allowsRequest(request.method, request.url)) {
      throw new AppError('endpoint_not_allowed');
    }
    return client;
  };

  const refreshGrant = async (
    request: FastifyRequest,
    reply: FastifyReply,
    b: Static<typeof RefreshBody>,
  ) => {
    const client = await clientOf(request, b);
    noStore(reply);
    const value = b.refresh_token ?? b.refreshToken;
    if (!value) throw new AppError('invalid_request', 'refresh_token is required.');
    // RFC 6749 §6: a client that authenticated as an OAuth client refreshes only its own tokens.
    // A Bearer caller is not one (the refresh token alone has always been enough here).
    const own =
      client && client.method !== 'bearer' ? { clientIdentityId: client.principal.identity.id } : {};
    const dpopJkt = await tokenEndpointProof(request, reply, dpop);
    return refresh.refresh(value, meta(request), { ...own, dpopJkt });
  };

  // RFC 8693 §2.1: the client authenticates; the actor is actor_token's holder, or the client.
  const exchangeGrant = async (
    request: FastifyRequest,
    reply: FastifyReply,
    b: Static<typeof ExchangeBody>,
  ) => {
    const client = await clientOf(request, b);
    if (!client) throw invalidClient('Token exchange needs an authenticated client.');
    noStore(reply);
    if (!b.subject_token) throw new AppError('invalid_request', 'subject_token is required.');
    const actor = b.actor_token ? await exchange.actorFrom(b.actor_token) : client.principal;
    const jkt = await tokenEndpointProof(request, reply, dpop);
    return exchange.exchange(
      actor,
      {
        subjectToken: b.subject_token,
        ...(b.subject_token_type ? { subjectTokenType: b.subject_token_type } : {}),
        ...(b.scope ? { scope: b.scope } : {}),
        audience: b.audience,
        resource: b.resource,
        requestedTokenType: b.requested_token_type,
      },
      meta(request),
      jkt,
    );
  };

  const clientCredentialsGrant = async (request: FastifyRequest, reply: FastifyReply, b: TokenRequest) => {
    const client = await clientOf(request, b);
    if (!client) throw invalidClient('The client_credentials grant needs an authenticated client.');
    noStore(reply);
    const jkt = await tokenEndpointProof(request, reply, dpop);
    // A client credential bound to a key buys tokens only with that key's proof (RFC 9449 §5).
    checkTokenEndpointDpop(jkt, [client.principal.token], client.principal.identity);
    return clientCredentials.issue(client.principal, b.scope, meta(request), jkt);
  };

  app.post(
    '/token',
    {
      config: OAUTH,
      // RFC 6749 §5.2: a grant this server does not serve is unsupported_grant_type, whatever
      // parameters that grant takes (they would be unknown fields here).
      preValidation: unsupportedGrant,
      schema: {
        operationId: 'requestToken',
        tags: TAGS,
        summary:
          'RFC 6749 token endpoint: refresh_token (rotation), token exchange (RFC 8693) and client_credentials grants.',
        description:
          'Form-encoded (RFC 6749 §3.2) or JSON. Client authentication: client_secret_basic, client_secret_post, private_key_jwt (RFC 7523) or Bearer. A `DPoP` request header (an RFC 9449 proof) binds the issued access token to its key (`token_type: DPoP`, `cnf.jkt`); when nonces are on, a 400 `use_dpop_nonce` carries a `DPoP-Nonce` header to retry with. Errors are RFC 6749 §5.2 objects.',
        security: OPTIONAL_CLIENT,
        consumes: FORM_OR_JSON,
        body: TokenBody,
        response: {
          200: Type.Union([RefreshAnswer, ExchangeAnswer, ClientCredentialsAnswer]),
          ...oauthErrors(400, 401, 403, 429),
        },
      },
    },
    (request, reply) => {
      const b = request.body;
      switch (b.grant_type) {
        case 'refresh_token':
          return refreshGrant(request, reply, b);
        case TOKEN_EXCHANGE_GRANT:
          return exchangeGrant(request, reply, b);
        case 'client_credentials':
          return clientCredentialsGrant(request, reply, b);
        default:
          throw new AppError(
            'unsupported_grant_type',
            `grant_type "${b.grant_type.slice(0, 64)}" is not supported.`,
          );
      }
    },
  );

  app.post(
    '/token/introspect',
    {
      config: OAUTH,
      schema: {
        operationId: 'introspectToken',
        tags: TAGS,
        summary:
          'RFC 7662 introspection (the client must be authenticated): {active:false} for anything not active.',
        consumes: FORM_OR_JSON,
        body: IntrospectBody,
        response: {
          200: IntrospectionAnswer,
          ...oauthErrors(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const client = await clientOf(request, request.body);
      if (!client) throw invalidClient('Introspection needs an authenticated client.');
      sendIntrospection(reply, await introspection.introspect(request.body.token));
      return reply;
    },
  );

  app.post(
    '/token/revoke',
    {
      config: OAUTH,
      schema: {
        operationId: 'revokeToken',
        tags: TAGS,
        summary:
          'RFC 7009 revocation: 200 whether or not the token was known. Holding a token is the right to revoke it; a client that authenticates must do so validly.',
        security: OPTIONAL_CLIENT,
        consumes: FORM_OR_JSON,
        body: IntrospectBody,
        response: { 200: Type.Object({}), ...oauthErrors(400, 401, 429) },
      },
    },
    async (request) => {
      const client = await clientOf(request, request.body);
      await revocation.revoke(client?.principal ?? null, request.body.token, meta(request));
      return {};
    },
  );

  app.post(
    '/token/refresh',
    {
      // As before issue 14, a Bearer credential sent here (the SDK sends its own on every call)
      // is not looked at: the refresh token is the credential. Basic and body client
      // authentication are.
      config: { ...OAUTH, auth: 'none' },
      schema: {
        operationId: 'refreshToken',
        tags: TAGS,
        summary:
          'Alias of POST /token for grant_type=refresh_token (the default here): a new access token and a new refresh token (rotation). Reusing a spent refresh token revokes its whole family.',
        security: OPTIONAL_CLIENT,
        consumes: FORM_OR_JSON,
        body: RefreshBody,
        response: { 200: RefreshAnswer, ...oauthErrors(400, 401, 429) },
      },
    },
    (request, reply) => {
      if ((request.body.grant_type ?? 'refresh_token') !== 'refresh_token') {
        throw new AppError('unsupported_grant_type');
      }
      return refreshGrant(request, reply, request.body);
    },
  );

  app.post(
    '/token/exchange',
    {
      config: OAUTH,
      schema: {
        operationId: 'exchangeToken',
        tags: TAGS,
        summary:
          'Alias of POST /token for RFC 8693 token exchange: an authenticated client (or actor_token) obtains a short-lived, down-scoped access token for the user whose token is subject_token. scope: role names and/or permissions.',
        consumes: FORM_OR_JSON,
        body: ExchangeBody,
        response: { 200: ExchangeAnswer, ...oauthErrors(400, 401, 403, 429) },
      },
    },
    (request, reply) => {
      if (request.body.grant_type !== TOKEN_EXCHANGE_GRANT) throw new AppError('unsupported_grant_type');
      return exchangeGrant(request, reply, request.body);
    },
  );
};

function unsupportedGrant(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const body: unknown = request.body;
  const grantType =
    typeof body === 'object' && body !== null && 'grant_type' in body ? body.grant_type : undefined;
  if (typeof grantType === 'string' && !GRANTS.has(grantType)) {
    done(new AppError('unsupported_grant_type', `grant_type "${grantType.slice(0, 64)}" is not supported.`));
    return;
  }
  done();
}

const GRANTS: ReadonlySet<string> = new Set(GRANT_TYPES);

/** A Basic header that does not decode: client authentication that fails, not a missing one. */
const BAD_BASIC = { username: '', password: '' };
