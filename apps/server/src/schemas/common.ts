import { type Static, type TProperties, Type } from 'typebox';

/**
 * A request body object: it takes the properties listed and refuses any other (400
 * `unknown_field`, naming it). Every body schema is one of these, so a field nobody asked for
 * never reaches a service, let alone a query.
 */
export function BodyObject<T extends TProperties>(
  properties: T,
  options: { minProperties?: number; description?: string } = {},
) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

export const ErrorSchema = Type.Object(
  {
    errorCode: Type.Integer(),
    errorMessage: Type.String(),
    code: Type.String(),
    requestId: Type.String({ description: 'The id of the request, as the server log records it.' }),
    docs: Type.String({ format: 'uri', description: "The code's entry in docs/errors.md." }),
  },
  { $id: 'Error', description: 'Every error response (SPEC §4).' },
);

export const OAuthErrorSchema = Type.Object(
  {
    error: Type.String({
      description: 'RFC 6749 §5.2 error code (invalid_request, invalid_client, invalid_grant, …).',
    }),
    error_description: Type.String(),
    errorCode: Type.Integer(),
    errorMessage: Type.String(),
    code: Type.String(),
    requestId: Type.String({ description: 'The id of the request, as the server log records it.' }),
    docs: Type.String({ format: 'uri', description: "The code's entry in docs/errors.md." }),
  },
  {
    $id: 'OAuthError',
    description: 'Errors of the OAuth endpoints: an RFC 6749 §5.2 object beside the SPEC §4 fields.',
  },
);

export const IdParams = Type.Object({
  id: Type.String({ pattern: '^[0-9]{1,15}$', description: 'Numeric id.' }),
});
export type IdParams = Static<typeof IdParams>;

export const Pagination = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
};

/**
 * Request body media types of the OAuth endpoints: form encoding, which RFC 6749 §3.2 (and RFC
 * 7009, 7662, 8693) require, and JSON. @fastify/formbody parses forms for every route; this
 * says so in the OpenAPI document (`consumes`) where clients rely on it.
 */
export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];

/** Standard error responses: each a reference to the one `Error` schema of the document. */
export function errors(...statuses: number[]) {
  const out: Record<number, ReturnType<typeof errorRef>> = {};
  for (const s of statuses) out[s] = errorRef();
  return out;
}

const errorRef = () => Type.Ref('Error', { description: 'An error (docs/errors.md lists the codes).' });

/** Error responses of the OAuth endpoints (RFC 6749 §5.2 objects) for the OpenAPI document. */
export function oauthErrors(...statuses: number[]) {
  const out: Record<number, ReturnType<typeof oauthErrorRef>> = {};
  for (const s of statuses) out[s] = oauthErrorRef();
  return out;
}

const oauthErrorRef = () =>
  Type.Ref('OAuthError', { description: 'An RFC 6749 §5.2 error with the SPEC §4 fields beside it.' });

export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\x00-\\x1f\\x7f]+$' });
export const Text = Type.String({ maxLength: 2000 });
export const RoleList = Type.Union([
  Type.String({ maxLength: 2000 }),
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 }),
]);
/**
 * ISO 8601, `/Date(ms)/`, epoch seconds, or the object Windows PowerShell's ConvertTo-Json
 * writes for a DateTime (`{"value":"/Date(ms)/","DisplayHint":2,"DateTime":"…"}`).
 */
export const DateInput = Type.Union([
  Type.String({ maxLength: 64 }),
  Type.Number(),
  BodyObject({
    value: Type.Union([Type.String({ maxLength: 64 }), Type.Number()]),
    DisplayHint: Type.Optional(Type.Integer()),
    DateTime: Type.Optional(Type.String({ maxLength: 128 })),
  }),
  Type.Null(),
]);
export const EndpointList = Type.Array(Type.String({ minLength: 1, maxLength: 600 }), { maxItems: 100 });

/** Splits a role field given as a list or as "A, B". */
export function roleNames(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : value.split(',');
  return list.map((r) => r.trim()).filter((r) => r.length > 0);
}
