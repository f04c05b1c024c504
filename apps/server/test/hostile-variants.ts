/**
 * Hostile request variants generated from the OpenAPI document: for every route with a body,
 * query or path parameter schema, wrong types, missing and unknown fields, huge and deeply
 * nested values, and hostile ids. Used by hostile-requests.test.ts.
 *
 * Every variant must be refused without a state change, so each route that changes state on a
 * valid request has a base request (BASES) that is valid as far as the schema goes but is
 * refused by the service for at least two independent reasons (an unknown role, a date in the
 * past, an endpoint pattern without a slash, a taken name, an id that does not exist). A
 * variant changes one field at a time, so the other reason still holds, while the schema
 * validation and coercion of the changed field run in full.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
}

interface Parameter {
  in: 'query' | 'path' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Route {
  /** `POST /api/v1/apptoken/grant/{identityId}`: the key of BASES. */
  key: string;
  method: string;
  /** OpenAPI path with `{param}` placeholders. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  body: JsonSchema | null;
}

/** The routes of the document that take a body, a query string or path parameters. */
export function routesWithInput(doc: OpenApiDocument): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const route: Route = {
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: bodySchema ? resolve(doc, bodySchema) : null,
      };
      if (route.body || route.pathParams.length > 0 || route.queryParams.length > 0) out.push(route);
    }
  }
  return out;
}

export function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const name = s.$ref.split('/').pop()!;
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

/** The object whose properties the variants change: the body, or the first item of an array body. */
export function targetSchema(doc: OpenApiDocument, body: JsonSchema): JsonSchema {
  return body.type === 'array' && body.items ? resolve(doc, body.items) : body;
}

/** An id no row has. */
export const NO_ID = '999999999';
/** A role nobody defined. */
export const NO_ROLE = 'hostile-no-such-role';
/**
 * Appears in every token-like value sent: no response may contain it (SPEC §4: error
 * messages never echo a token).
 */
export const CANARY = 'canary7f3a9c1e';
export const CANARY_TOKEN = `hostile-${CANARY}-value-0123456789`;

export interface Base {
  params?: Record<string, string>;
  body?: unknown;
  /** Field values that are valid by design and would succeed: not sent as "wrong types". */
  validByDesign?: Record<string, unknown[]>;
  /** Fields a random body must not override (they keep the request refused). */
  anchors?: string[];
}

const refusedGrant = {
  // Refused three times over: an endpoint pattern without a slash, a custom scope needing it,
  // and an expiration that is not a date.
  roles: ['Administrator'],
  scope: 'custom',
  apiEndpoints: ['no leading slash'],
  expiration: 'yesterday',
  name: 'hostile',
  description: 'hostile',
};

/** Base requests of the routes that would change state on a valid request. */
export const BASES: Record<string, Base> = {
  'POST /api/v1/signin': { body: { username: 'hostile-nobody', password: 'not the password' } },
  'DELETE /api/v1/usersession/{id}': { params: { id: NO_ID } },
  'POST /api/v1/apptoken/grant': {
    body: refusedGrant,
    anchors: ['scope', 'apiEndpoints', 'expiration'],
  },
  'POST /api/v1/apptoken/grant/{identityId}': {
    params: { identityId: NO_ID },
    body: refusedGrant,
    anchors: ['scope', 'apiEndpoints', 'expiration'],
  },
  'POST /api/v1/apptoken': {
    // An unknown identity, an unknown role and an expiration that is not a date.
    body: {
      token: CANARY_TOKEN,
      identity: { name: 'hostile-nobody' },
      role: NO_ROLE,
      expiration: 'yesterday',
      name: 'hostile',
      description: 'hostile',
    },
    anchors: ['identity', 'role', 'roles', 'expiration'],
  },
  'PATCH /api/v1/apptoken/{id}': { params: { id: NO_ID }, body: { name: 'hostile', description: 'hostile' } },
  'DELETE /api/v1/apptoken/{id}': { params: { id: NO_ID } },
  'POST /api/v1/apptoken/import-hashes': {
    // Skipped three times over: a hash that is not hex, an unknown kind, an unknown identity.
    body: [
      {
        id: 1,
        kind: 'hostile',
        token_hash: 'z'.repeat(64),
        hint: 'abcd',
        name: 'hostile',
        description: 'hostile',
        identity: 'hostile-nobody',
        roles: [NO_ROLE],
        scope: 'all',
        apiEndpoints: null,
        created: '2020-01-01T00:00:00Z',
        expiration: '2020-01-02T00:00:00Z',
        revoked: false,
        revokedDate: null,
      },
    ],
  },
  'POST /api/v1/identity': {
    // An unknown role and a name that is taken.
    body: {
      name: 'admin',
      email: 'hostile@example.com',
      firstName: 'Hostile',
      lastName: 'Input',
      roles: [NO_ROLE],
      enabled: true,
      password: 'hostile-password',
      source: 'local',
    },
    anchors: ['name', 'roles'],
  },
  'PUT /api/v1/identity/{id}': {
    params: { id: NO_ID },
    body: { name: 'hostile', email: 'hostile@example.com', roles: ['Reader'], enabled: false },
  },
  'DELETE /api/v1/identity/{id}': { params: { id: NO_ID } },
  'PUT /api/v1/identity/{id}/jwks': {
    params: { id: NO_ID },
    // A private key member on an EC key.
    body: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', d: 'AAAA' }] },
  },
  'DELETE /api/v1/identity/{id}/jwks': { params: { id: NO_ID } },
  'POST /api/v1/role': {
    // A built-in name and a permission string that is not valid.
    body: { name: 'Administrator', description: 'hostile', permissions: ['NOT A PERMISSION'] },
    anchors: ['name', 'permissions'],
  },
  'PUT /api/v1/role/{name}': {
    params: { name: NO_ROLE },
    body: { description: 'hostile', permissions: ['billing:read'] },
  },
  'DELETE /api/v1/role/{name}': { params: { name: NO_ROLE } },
  'POST /api/v1/PersonalTokens': {
    // Only the expiration can refuse a personal token of a caller holding roles.
    body: { name: 'hostile', description: 'hostile', expiration: 'yesterday' },
    // null or "" mean "the default lifetime" (SPEC §2): with one refusing field they would mint.
    validByDesign: { expiration: [null, ''] },
    anchors: ['expiration'],
  },
  'PATCH /api/v1/PersonalTokens/{id}': {
    params: { id: NO_ID },
    body: { name: 'hostile', description: 'hostile' },
  },
  'DELETE /api/v1/PersonalTokens/{id}': { params: { id: NO_ID } },
  'POST /api/v1/PersonalTokens/authenticate': {
    body: { username: 'hostile-nobody', personalToken: CANARY_TOKEN },
  },
  'POST /api/v1/token/introspect': { body: { token: CANARY_TOKEN, token_type_hint: 'access_token' } },
  'POST /api/v1/token/revoke': { body: { token: CANARY_TOKEN, token_type_hint: 'refresh_token' } },
  'POST /api/v1/token': {
    body: { grant_type: 'client_credentials', client_id: 'hostile-nobody', client_secret: CANARY_TOKEN },
  },
  'POST /api/v1/token/refresh': { body: { grant_type: 'refresh_token', refresh_token: CANARY_TOKEN } },
  'POST /api/v1/token/exchange': {
    body: {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: CANARY_TOKEN,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      actor_token: CANARY_TOKEN,
      scope: 'Reader',
      audience: 'hostile',
    },
  },
  'POST /api/v4/accesstoken': {
    // A CUSTOM token with a pattern without a slash, and both timestamps in 1970.
    body: {
      tokenName: 'hostile',
      tokenType: 'CUSTOM',
      apiEndpoints: ['no leading slash'],
      renewableUntilTimestamp: 1,
      tokenExpiryTimestamp: 1,
    },
    anchors: ['tokenType', 'apiEndpoints', 'renewableUntilTimestamp', 'tokenExpiryTimestamp'],
  },
  'DELETE /api/v4/accesstoken/{id}': { params: { id: NO_ID } },
  'POST /api/v1/keys/rotate': {
    // Any well-formed body rotates: only a `now` of the wrong type refuses it.
    body: { now: 'hostile' },
    validByDesign: { now: [true, false] },
    anchors: ['now'],
  },
};

/** Routes that answer 200 to a well-formed request about an unknown token (RFC 7662, 7009). */
export const OK_FOR_UNKNOWN = new Set([
  'POST /api/v1/token/introspect',
  'POST /api/v1/token/revoke',
  'POST /api/v1/apptoken/import-hashes',
]);

/** The base request of a route; read-only routes need none (an unknown id or role is enough). */
export function baseOf(route: Route): Base | null {
  const base = BASES[route.key];
  if (base) return base;
  if (route.method !== 'GET' || route.body) return null;
  const params: Record<string, string> = {};
  for (const p of route.pathParams) params[p] = p === 'name' ? NO_ROLE : NO_ID;
  return { params };
}

export const DEPTH = 10_000;
/** `[[[…]]]` and `{"value":{"value":…}}`, 10 000 deep, as JSON text (no recursion to build). */
export const DEEP_ARRAY = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
export const DEEP_OBJECT = `${'{"value":'.repeat(DEPTH)}"/Date(1633106933000)/"${'}'.repeat(DEPTH)}`;

export interface ValueVariant {
  label: string;
  /** JSON text of the value. */
  json: string;
  value?: unknown;
}

const v = (label: string, value: unknown): ValueVariant => ({ label, json: JSON.stringify(value), value });

/** Values of the wrong type (or shape) for any field. */
export const WRONG_VALUES: ValueVariant[] = [
  v('a number', 12345),
  v('a negative number', -1),
  v('a fraction', 1.5),
  v('a huge number', 1e308),
  v('2^31', 2147483648),
  { label: '1e309 (Infinity once parsed)', json: '1e309' },
  // Ajv coerces these strings to ±Infinity for number fields.
  v('the string "1e309"', '1e309'),
  v('the string "-Infinity"', '-Infinity'),
  v('true', true),
  v('false', false),
  v('null', null),
  v('an empty object', {}),
  v('an object', { a: 1, value: { b: [] } }),
  v('an empty array', []),
  v('a mixed array', [1, 'two', {}, null]),
  v('an array of strings', ['a', 'b']),
  v('an empty string', ''),
  v('control characters', '\u0000\u001f\u007f\u202e\ud800'),
  v('a 100 KB string', 'x'.repeat(100_000)),
  { label: 'an array nested 10 000 deep', json: DEEP_ARRAY },
  { label: 'an object nested 10 000 deep', json: DEEP_OBJECT },
];

export interface BodyVariant {
  label: string;
  /** The body as sent (JSON text unless contentType says otherwise). */
  text: string | Buffer;
  contentType?: string;
}

const HOLE = '"@@hostile-value@@"';

/** The base body with one field set to a hostile value (in the first item of an array body). */
function withField(body: unknown, field: string, json: string): string {
  const copy = structuredClone(body) as Record<string, unknown> | Record<string, unknown>[];
  const target = Array.isArray(copy) ? copy[0]! : copy;
  target[field] = '@@hostile-value@@';
  return JSON.stringify(copy).replace(HOLE, () => json);
}

function without(body: unknown, field: string): string {
  const copy = structuredClone(body) as Record<string, unknown> | Record<string, unknown>[];
  const target = Array.isArray(copy) ? copy[0]! : copy;
  delete target[field];
  return JSON.stringify(copy);
}

/** Hostile bodies for one route: per field, per missing required field, and whole-body ones. */
export function bodyVariants(schema: JsonSchema, base: Base): BodyVariant[] {
  const out: BodyVariant[] = [];
  const body = base.body ?? {};
  const fields = Object.keys(schema.properties ?? {});
  for (const field of fields) {
    const skip = base.validByDesign?.[field] ?? [];
    for (const value of WRONG_VALUES) {
      if ('value' in value && skip.some((s) => Object.is(s, value.value))) continue;
      out.push({ label: `${field} = ${value.label}`, text: withField(body, field, value.json) });
    }
  }
  for (const field of schema.required ?? []) {
    out.push({ label: `without the required ${field}`, text: without(body, field) });
  }
  const extra = JSON.stringify(body);
  // Puts members at the start of the body object (or of its first item).
  const spliceObject = (object: string, json: string) =>
    object === '{}' ? `{${json}}` : `{${json},${object.slice(1)}`;
  const splice = (json: string) =>
    Array.isArray(body)
      ? `[${[spliceObject(JSON.stringify(body[0] ?? {}), json), ...body.slice(1).map((i) => JSON.stringify(i))].join(',')}]`
      : spliceObject(extra, json);
  out.push(
    { label: 'unknown fields', text: splice('"hostileUnknown":1,"a.b":[],"":null') },
    { label: 'a __proto__ key', text: splice('"__proto__":{"isAdmin":true,"polluted":true}') },
    { label: 'a constructor.prototype key', text: splice('"constructor":{"prototype":{"polluted":true}}') },
    { label: 'an unknown field nested 10 000 deep', text: splice(`"hostileDeep":${DEEP_OBJECT}`) },
    { label: 'an unknown field holding 900 KB', text: splice(`"hostilePadding":"${'y'.repeat(900_000)}"`) },
    { label: 'the same field twice', text: splice(`${JSON.stringify(fields[0] ?? 'x')}:{"dup":1}`) },
    { label: 'an empty body', text: '' },
    { label: 'null', text: 'null' },
    { label: 'a JSON string', text: '"hostile"' },
    { label: 'a JSON number', text: '12345' },
    { label: 'an array nested 10 000 deep', text: DEEP_ARRAY },
    { label: 'truncated JSON', text: extra.slice(0, Math.max(1, extra.length - 3)) },
    { label: 'JSON with a trailing comma', text: `${extra.slice(0, -1)},${extra.slice(-1)}` },
    { label: 'JSON with a comment', text: `/* hostile */${extra}` },
    {
      label: 'invalid UTF-8 inside a string',
      text: Buffer.concat([
        Buffer.from(extra.slice(0, 2)),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(extra.slice(2)),
      ]),
    },
    {
      label: 'invalid UTF-8 between tokens',
      text: Buffer.concat([Buffer.from([0xc3, 0x28]), Buffer.from(extra)]),
    },
    { label: 'a text/plain body', text: extra, contentType: 'text/plain' },
    { label: 'an XML body', text: '<hostile/>', contentType: 'application/xml' },
    {
      label: 'a UTF-16 charset',
      text: Buffer.from(extra, 'utf16le'),
      contentType: 'application/json; charset=utf-16',
    },
    {
      label: 'a multipart body',
      text: '--x\r\n\r\nhostile\r\n--x--',
      contentType: 'multipart/form-data; boundary=x',
    },
    { label: 'no content type', text: extra, contentType: '' },
  );
  const form = formEncoded(body);
  if (form !== null) {
    out.push(
      { label: 'a form body', text: form, contentType: 'application/x-www-form-urlencoded' },
      {
        label: 'a form body with prototype keys',
        text: `${form}&__proto__[isAdmin]=true&constructor[prototype][polluted]=true`,
        contentType: 'application/x-www-form-urlencoded',
      },
    );
  }
  return out;
}

/** The base body as a form (arrays as repeated keys), or null when it has nested objects. */
function formEncoded(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const params = new URLSearchParams();
  for (const [k, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item !== null && typeof item === 'object') return null;
      params.append(k, String(item));
    }
  }
  return params.toString();
}

/** Raw (already URL-encoded) hostile values for path parameters. */
export const PARAM_VALUES: string[] = [
  '..%2F..%2Fetc%2Fpasswd',
  '..%2Fadmin',
  '%2e%2e',
  '%00',
  '1%00',
  '%',
  '%zz',
  '%C3%28',
  '%F0%9F%98%80',
  '%20',
  '%0d%0aSet-Cookie:%20hostile=1',
  "1'%20OR%20'1'%3D'1",
  '-1',
  '1.5',
  '1e3',
  '0x10',
  '000000000000000',
  '999999999999999',
  '9999999999999999',
  '2147483648',
  '9007199254740993',
  'null',
  '%7B%7D',
  'x'.repeat(201),
  'x'.repeat(7_000),
];

/** Raw hostile values for query parameters. */
export const QUERY_VALUES: string[] = [
  'abc',
  '-1',
  '1.5',
  '1e309',
  '-1e309',
  'Infinity',
  '99999999999999999999',
  '2147483648',
  '1000000000000000',
  '',
  '%00',
  '%C3%28',
  '%',
  '[object%20Object]',
  'true',
  'null',
  "'%20OR%201%3D1--",
  '*',
  '%25',
  'x'.repeat(600),
  'x'.repeat(9_000),
];
