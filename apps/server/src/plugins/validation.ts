import { AppError, estimateEntropyBits, MIN_IMPORT_ENTROPY_BITS } from '@tokenward/core';
import type { Ajv, ErrorObject } from 'ajv';
import type { FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify';

/**
 * Request validation: every body, query string and path parameter set goes through here.
 *
 * - Text must be storable alike on both stores: a NUL character or an unpaired UTF-16
 *   surrogate (JSON can carry both as escapes) is `invalid_text`, wherever it is (values and
 *   keys), before anything else looks at the data. PostgreSQL refuses both and SQLite keeps
 *   them; refusing them here keeps the stores answering the same.
 * - A property the schema does not list is `unknown_field`, naming it (body schemas are closed:
 *   schemas/common.ts BodyObject).
 * - Anything else the schema refuses is `invalid_request` naming the field and the rule (the
 *   error handler words it), never the value sent.
 */
export function validatorCompiler(bodyAjv: Ajv, textAjv: Ajv): FastifySchemaCompiler<FastifySchema> {
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
    const checked = (data: unknown) => {
      const bad = badText(data, 0);
      if (bad !== null)
        return { error: new AppError('invalid_text', `The ${where(httpPart, bad)} is not valid text.`) };
      if (validate(data)) return { value: data };
      const unknown = validate.errors?.find((e) => e.keyword === 'additionalProperties');
      if (unknown) return { error: unknownField(unknown, httpPart) };
      return { error: validationError(validate.errors ?? []) };
    };
    return checked;
  };
}

function where(httpPart: string | undefined, path: string): string {
  const part =
    httpPart === 'querystring' ? 'query string' : httpPart === 'params' ? 'path' : (httpPart ?? 'body');
  const shown = path ? quoted(path) : null;
  return shown ? `${part} field ${shown}` : part;
}

/**
 * A field name as an error message may show it: quoted when it looks like a field name (an
 * identifier of at most 64 characters whose estimated entropy is below what an importable token
 * needs, such as `identity_id` or `renewableUntilTimestamp`), else null. A client that sends a
 * token where a key should be (a JSON body posted as a form makes the whole text one key) must
 * not get it back in the answer.
 */
export function quoted(name: string): string | null {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(name) && estimateEntropyBits(name) < MIN_IMPORT_ENTROPY_BITS
    ? `"${name}"`
    : null;
}

function unknownFieldMessage(part: string, name: string): string {
  const shown = quoted(name);
  return shown
    ? `The ${part} has a field this route does not take: ${shown}.`
    : `The ${part} has a field this route does not take.`;
}

function unknownField(e: ErrorObject, httpPart: string | undefined): AppError {
  const name = String((e.params as { additionalProperty?: unknown }).additionalProperty ?? '');
  const at = e.instancePath ? `${e.instancePath.slice(1).replace(/\//g, '.')}.` : '';
  return new AppError(
    'unknown_field',
    unknownFieldMessage(httpPart === 'body' || !httpPart ? 'body' : httpPart, at + name),
  );
}

/** Ajv's own error, handed to the error handler, which words it as `invalid_request`. */
function validationError(errors: ErrorObject[]): Error & { validation: ErrorObject[] } {
  return Object.assign(new Error('validation failed'), { validation: errors, statusCode: 400 });
}

/** The path of the first string (value or key) that is not storable text, or null. */
function badText(value: unknown, depth: number): string | null {
  if (typeof value === 'string') return storable(value) ? null : '';
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = badText(value[i], depth + 1);
      if (bad !== null) return bad ? `${i}.${bad}` : String(i);
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!storable(k)) return '(a key)';
    const bad = badText(v, depth + 1);
    if (bad !== null) return bad ? `${k}.${bad}` : k;
  }
  return null;
}

/** A surrogate without its pair (matched on UTF-16 code units: no `u` flag). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text both stores keep as sent: well-formed UTF-16 without NUL. */
export function storable(text: string): boolean {
  return !text.includes('\0') && !LONE_SURROGATE.test(text);
}

/**
 * The compatibility routes take the seed documents' fields in any case (PowerShell hashtables
 * and .NET clients write `Token`, `TokenName`, …). Maps each key of a plain object onto the
 * canonical name it matches case-insensitively; a key matching none is `unknown_field`, two
 * keys naming the same field (`Token` and `token`) are `duplicate_field`. Anything else
 * (arrays, strings…) is left for the schema to refuse.
 */
export function canonicalFields(
  body: unknown,
  fields: readonly string[],
  unknown: 'refuse' | 'keep' = 'refuse',
): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!storable(key)) throw new AppError('invalid_text', 'A field name is not valid text.');
    const lower = key.toLowerCase();
    const name = fields.find((f) => f.toLowerCase() === lower);
    if (name === undefined) {
      if (unknown === 'keep') {
        out[key] = value;
        continue;
      }
      throw new AppError('unknown_field', unknownFieldMessage('body', key));
    }
    if (Object.hasOwn(out, name)) {
      throw new AppError('duplicate_field', `The body names the field "${name}" twice.`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * A preValidation hook that rewrites the body (and the query string, when given) before the
 * schema sees it: the compatibility routes map their fields onto canonical names this way.
 * It takes the request as Fastify delivers it (not yet validated, so `unknown`), which keeps the
 * typed handlers free of casts.
 */
export function rewriteInput(rewrite: {
  body?: (body: unknown) => unknown;
  query?: (query: unknown) => unknown;
}): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (rewrite.query) request.query = rewrite.query(request.query);
    if (rewrite.body) request.body = rewrite.body(request.body);
  };
}
