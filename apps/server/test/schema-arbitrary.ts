import fc from 'fast-check';

/**
 * JSON Schema (the subset an OpenAPI 3.1 document from @fastify/swagger + TypeBox holds) →
 * fast-check arbitraries: values valid for the schema, and the same values mutated in the ways
 * hostile clients mutate bodies (unknown and case-duplicated keys, wrong types, missing required
 * fields, huge, empty and invalid text, deep nesting, odd numbers). Used by fuzz-openapi.test.ts.
 *
 * Values may hold three kinds of node besides plain JSON, written by `toJsonText`/`toFormText`:
 * `RawJson` (text written as is: `1e309`, `-0`, deep nesting), `JsonEntries` (an object whose
 * keys may repeat) and `Placeholder` (resolved when the request is built, e.g. a token value or
 * an id that only exists at run time).
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  $ref?: string;
  default?: unknown;
  description?: string;
}

/** JSON text written as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object written entry by entry, in order: keys may repeat. */
export class JsonEntries {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

/** A value known only when the request is built: `name` says what, `index` which one. */
export class Placeholder {
  constructor(
    readonly name: string,
    readonly index: number,
  ) {}
}

export type Resolver = (p: Placeholder) => unknown;

export interface SchemaArbitraryOptions {
  /** Resolves `$ref` (e.g. `#/components/schemas/Token`, or a bare `$id`). */
  resolveRef?: (ref: string) => JsonSchema | undefined;
  /**
   * Values to use for a property instead of the schema's own (realistic ids, role names,
   * token values). `path` is the property path from the root; `name` its last key.
   */
  hint?: (
    name: string | undefined,
    schema: JsonSchema,
    path: readonly string[],
  ) => fc.Arbitrary<unknown> | undefined;
  /** Longest generated string (minLength still wins). Default 24. */
  maxStringLength?: number;
  /** Longest generated array. Default 4. */
  maxArrayLength?: number;
}

const MAX_DEPTH = 6;

function deref(schema: JsonSchema, o: SchemaArbitraryOptions): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref !== undefined && i < 10; i++) {
    const next = o.resolveRef?.(s.$ref);
    if (!next) return {};
    s = next;
  }
  return s;
}

function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  if (s.items) return ['array'];
  return [];
}

function stringArbitrary(s: JsonSchema, o: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? Number.MAX_SAFE_INTEGER, o.maxStringLength ?? 24));
  if (s.pattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(s.pattern);
    } catch {
      return fc.string({ minLength: min, maxLength: max });
    }
    const maxLength = s.maxLength ?? Number.MAX_SAFE_INTEGER;
    return fc.stringMatching(re).filter((v) => v.length >= min && v.length <= maxLength);
  }
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'email') return fc.emailAddress();
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }) },
  );
}

function numberArbitrary(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lo =
    s.minimum ?? (s.exclusiveMinimum === undefined ? undefined : s.exclusiveMinimum + (integer ? 1 : 0));
  const hi =
    s.maximum ?? (s.exclusiveMaximum === undefined ? undefined : s.exclusiveMaximum - (integer ? 1 : 0));
  if (integer) {
    const min = lo === undefined ? -1_000_000 : Math.max(Math.ceil(lo), Number.MIN_SAFE_INTEGER);
    const max =
      hi === undefined ? Math.max(min, 1_000_000) : Math.min(Math.floor(hi), Number.MAX_SAFE_INTEGER);
    return fc.oneof(
      fc.integer({ min, max: Math.max(min, Math.min(max, min + 1000)) }),
      fc.integer({ min, max }),
    );
  }
  return fc.double({
    noNaN: true,
    noDefaultInfinity: true,
    min: lo ?? -1e9,
    max: hi ?? 1e9,
  });
}

/** Values valid for `schema` (as far as the schema alone can tell). */
export function validArbitrary(
  schema: JsonSchema,
  options: SchemaArbitraryOptions = {},
  path: readonly string[] = [],
): fc.Arbitrary<unknown> {
  const s = deref(schema, options);
  const hinted = options.hint?.(path[path.length - 1], s, path);
  if (hinted) return hinted;
  if (path.length > MAX_DEPTH) return fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.anyOf || s.oneOf) {
    const branches = (s.anyOf ?? s.oneOf)!;
    return fc.oneof(...branches.map((b) => validArbitrary(b, options, path)));
  }
  if (s.allOf && s.allOf.length > 0) return validArbitrary(s.allOf[0]!, options, path);
  const types = typesOf(s);
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'string':
          return stringArbitrary(s, options);
        case 'integer':
          return numberArbitrary(s, true);
        case 'number':
          return numberArbitrary(s, false);
        case 'boolean':
          return fc.boolean();
        case 'null':
          return fc.constant(null);
        case 'array': {
          const min = s.minItems ?? 0;
          const max = Math.max(min, Math.min(s.maxItems ?? 1000, options.maxArrayLength ?? 4));
          return fc.array(validArbitrary(s.items ?? {}, options, [...path, '[]']), {
            minLength: min,
            maxLength: max,
          });
        }
        case 'object': {
          const props = s.properties ?? {};
          const required = new Set(s.required ?? []);
          const model: Record<string, fc.Arbitrary<unknown>> = {};
          for (const [key, sub] of Object.entries(props))
            model[key] = validArbitrary(sub, options, [...path, key]);
          const keys = Object.keys(props);
          let arb: fc.Arbitrary<Record<string, unknown>> =
            keys.length === 0
              ? s.additionalProperties === false
                ? fc.constant({})
                : fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
                    maxKeys: 3,
                  })
              : fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) });
          const minProps = s.minProperties ?? 0;
          if (minProps > 0 && keys.length > 0) {
            // Make sure the first optional keys are there when too few were drawn.
            arb = fc.tuple(arb, fc.record(model)).map(([v, full]) => {
              const out = { ...v };
              for (const k of keys) {
                if (Object.keys(out).length >= minProps) break;
                if (!(k in out)) out[k] = full[k];
              }
              return out;
            });
          }
          return arb;
        }
        default:
          return fc.jsonValue({ maxDepth: 1 });
      }
    }),
  );
}

/* ------------------------------------------------------------------------------------------ */
/* Mutations                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Strings that are not valid text for a store: NUL, lone surrogates, noncharacters. */
export const BAD_TEXT = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\ufffe',
  '\u202e',
  'a\u0000b',
] as const;

/** Numbers JSON can write that JavaScript reads oddly, as JSON text. */
export const ODD_NUMBERS = [
  '1e309',
  '-1e309',
  '-0',
  '9007199254740993',
  '-9007199254740993',
  '2147483648',
  '-2147483649',
  '4294967296',
  '99999999999',
  '1e-400',
  '0.5',
  '-1',
  '0',
  '1E2',
  '123456789012345678901234567890',
] as const;

/** Keys no schema takes; some are column names a careless update would write. */
export const ODD_KEYS = [
  'extra',
  'isAdmin',
  '__proto__',
  'constructor',
  'prototype',
  'id',
  'identity_id',
  'revoked',
  'token_hash',
  'kind',
  'roles',
  'ceiling',
  'created_at_ms',
  'expires_at_ms',
  'spent_at_ms',
  'password_hash',
  'enabled',
  'act',
  'permissions',
  '',
  ' ',
  '$where',
  'a.b',
  'a\u0000b',
  '\ud800',
] as const;

export type MutationName =
  | 'unknown-property'
  | 'case-duplicate-key'
  | 'wrong-type'
  | 'drop-property'
  | 'null'
  | 'huge-string'
  | 'empty-string'
  | 'bad-text'
  | 'bad-text-key'
  | 'deep-nesting'
  | 'array-for-object'
  | 'odd-number'
  | 'number-as-string'
  | 'proto-pollution';

export const MUTATIONS: readonly MutationName[] = [
  'unknown-property',
  'case-duplicate-key',
  'wrong-type',
  'drop-property',
  'null',
  'huge-string',
  'empty-string',
  'bad-text',
  'bad-text-key',
  'deep-nesting',
  'array-for-object',
  'odd-number',
  'number-as-string',
  'proto-pollution',
];

/** One mutation, drawn as numbers so a seed replays it exactly. */
export interface MutationStep {
  name: MutationName;
  /** Which node (modulo the number of candidates). */
  at: number;
  /** Which variant (key, replacement, size…). */
  pick: number;
  /** A value to put somewhere. */
  filler: unknown;
}

/** How often each mutation is drawn: the ones that reach furthest into a route come first. */
export const MUTATION_WEIGHTS: Readonly<Record<MutationName, number>> = {
  'unknown-property': 5,
  'case-duplicate-key': 3,
  'bad-text': 3,
  'wrong-type': 2,
  'drop-property': 2,
  'odd-number': 2,
  'bad-text-key': 1,
  'proto-pollution': 1,
  null: 1,
  'huge-string': 1,
  'empty-string': 1,
  'deep-nesting': 1,
  'array-for-object': 1,
  'number-as-string': 1,
};

export const mutationStepArbitrary: fc.Arbitrary<MutationStep> = fc.record({
  name: fc.oneof(...MUTATIONS.map((m) => ({ weight: MUTATION_WEIGHTS[m], arbitrary: fc.constant(m) }))),
  at: fc.nat(),
  pick: fc.nat(),
  filler: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom<unknown>('', 'x', 0, -1, true, null, [], {}, 'Administrator', '*'),
  ),
});

type Path = Array<string | number>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

/** Every node of a value (objects, arrays, leaves), root first. */
function nodes(value: unknown, path: Path = [], out: Array<{ path: Path; value: unknown }> = []) {
  out.push({ path, value });
  if (path.length > 12) return out;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) nodes(v, [...path, i], out);
  } else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) nodes(v, [...path, k], out);
  else if (value instanceof JsonEntries) {
    for (const [i, [, v]] of value.entries.entries()) nodes(v, [...path, i], out);
  }
  return out;
}

/** A copy of `value` with the node at `path` replaced (undefined removes an object key). */
function setAt(value: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(value[head as number], rest, next);
    return copy;
  }
  if (value instanceof JsonEntries) {
    const entries = value.entries.map((e) => [e[0], e[1]] as [string, unknown]);
    const i = head as number;
    if (rest.length === 0 && next === undefined) entries.splice(i, 1);
    else entries[i] = [entries[i]![0], setAt(entries[i]![1], rest, next)];
    return new JsonEntries(entries);
  }
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = v;
    if (rest.length === 0 && next === undefined) delete copy[head as string];
    else copy[head as string] = setAt(value[head as string], rest, next);
    return copy;
  }
  return value;
}

function caseVariant(key: string, pick: number): string {
  const variants = [
    key.toUpperCase(),
    key.toLowerCase(),
    key.charAt(0).toUpperCase() + key.slice(1),
    key.charAt(0).toLowerCase() + key.slice(1),
    [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
  ].filter((v) => v !== key);
  return variants.length === 0 ? `${key}_` : variants[pick % variants.length]!;
}

function withEntry(obj: unknown, key: string, v: unknown): unknown {
  if (obj instanceof JsonEntries) return new JsonEntries([...obj.entries, [key, v]]);
  const entries = Object.entries(obj as Record<string, unknown>);
  // Entries keep `__proto__` an own key instead of a prototype change.
  return new JsonEntries([...entries, [key, v]]);
}

function wrongTypeOf(v: unknown, pick: number, filler: unknown): unknown {
  const candidates: unknown[] = [
    'a string',
    12345,
    -1,
    true,
    false,
    null,
    [],
    [filler],
    {},
    { value: filler },
    1.5,
  ];
  const kind = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  const others = candidates.filter((c) => kind(c) !== kind(v));
  return others[pick % others.length];
}

function hugeString(pick: number): string {
  const sizes = [129, 257, 2001, 4097, 8193, 70_000, 600_000];
  const size = sizes[pick % sizes.length]!;
  return 'Z'.repeat(size);
}

function deep(pick: number, filler: unknown): RawJson {
  const depths = [64, 1000, 10_000];
  const depth = depths[pick % depths.length]!;
  const leaf = JSON.stringify(filler ?? null) ?? 'null';
  return pick % 2 === 0
    ? new RawJson(`${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`)
    : new RawJson(`${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`);
}

/** Applies one mutation; returns the new value and a label saying what it did. */
export function applyMutation(value: unknown, step: MutationStep): { value: unknown; label: string } {
  const all = nodes(value);
  const pickFrom = <T>(list: T[]): T | undefined =>
    list.length === 0 ? undefined : list[step.at % list.length];
  const objects = all.filter((n) => isPlainObject(n.value) || n.value instanceof JsonEntries);
  const withKeys = objects.filter((n) =>
    n.value instanceof JsonEntries ? n.value.entries.length > 0 : Object.keys(n.value as object).length > 0,
  );
  const leaves = all.filter((n) => n.path.length > 0);
  const strings = all.filter((n) => typeof n.value === 'string');
  const numbers = all.filter((n) => typeof n.value === 'number');
  const where = (p: Path) => (p.length === 0 ? 'the body' : p.join('.'));

  switch (step.name) {
    case 'unknown-property': {
      const target = pickFrom(objects) ?? { path: [], value: {} };
      const key = ODD_KEYS[step.pick % ODD_KEYS.length]!;
      const base = target.value ?? {};
      const next =
        isPlainObject(base) || base instanceof JsonEntries ? withEntry(base, key, step.filler) : base;
      return {
        value: setAt(value, target.path, next),
        label: `unknown key ${JSON.stringify(key)} in ${where(target.path)}`,
      };
    }
    case 'case-duplicate-key': {
      const target = pickFrom(withKeys);
      if (!target) return applyMutation(value, { ...step, name: 'unknown-property' });
      const keys =
        target.value instanceof JsonEntries
          ? target.value.entries.map(([k]) => k)
          : Object.keys(target.value as object);
      const key = keys[step.pick % keys.length]!;
      const dup = caseVariant(key, step.pick >> 3);
      const original =
        target.value instanceof JsonEntries
          ? target.value.entries.find(([k]) => k === key)?.[1]
          : (target.value as Record<string, unknown>)[key];
      const dupValue = step.pick % 2 === 0 ? original : step.filler;
      return {
        value: setAt(value, target.path, withEntry(target.value, dup, dupValue)),
        label: `key ${JSON.stringify(key)} again as ${JSON.stringify(dup)} in ${where(target.path)}`,
      };
    }
    case 'wrong-type': {
      const target = pickFrom(leaves) ?? { path: [], value };
      return {
        value: setAt(value, target.path, wrongTypeOf(target.value, step.pick, step.filler)),
        label: `wrong type at ${where(target.path)}`,
      };
    }
    case 'drop-property': {
      const target = pickFrom(withKeys);
      if (!target) return { value: undefined, label: 'no body' };
      const keys =
        target.value instanceof JsonEntries
          ? target.value.entries.map((_e, i) => i)
          : Object.keys(target.value as object);
      const key = keys[step.pick % keys.length]!;
      return {
        value: setAt(value, [...target.path, key], undefined),
        label: `without ${where([...target.path, key])}`,
      };
    }
    case 'null': {
      const target = pickFrom(all)!;
      return { value: setAt(value, target.path, null), label: `null at ${where(target.path)}` };
    }
    case 'huge-string': {
      const target = pickFrom(strings) ?? pickFrom(leaves) ?? { path: [], value };
      const huge = hugeString(step.pick);
      return {
        value: setAt(value, target.path, huge),
        label: `${huge.length} characters at ${where(target.path)}`,
      };
    }
    case 'empty-string': {
      const target = pickFrom(strings) ?? pickFrom(leaves) ?? { path: [], value };
      return { value: setAt(value, target.path, ''), label: `empty string at ${where(target.path)}` };
    }
    case 'bad-text': {
      const target = pickFrom(strings) ?? pickFrom(leaves) ?? { path: [], value };
      const bad = BAD_TEXT[step.pick % BAD_TEXT.length]!;
      const old = typeof target.value === 'string' ? target.value : 'x';
      const at = old.length === 0 ? 0 : (step.pick >> 3) % (old.length + 1);
      return {
        value: setAt(value, target.path, old.slice(0, at) + bad + old.slice(at)),
        label: `${JSON.stringify(bad)} inside ${where(target.path)}`,
      };
    }
    case 'bad-text-key': {
      const target = pickFrom(objects) ?? { path: [], value: {} };
      const bad = BAD_TEXT[step.pick % BAD_TEXT.length]!;
      const keys =
        target.value instanceof JsonEntries
          ? target.value.entries.map(([k]) => k)
          : Object.keys((target.value as object) ?? {});
      const key = keys.length > 0 ? keys[(step.pick >> 3) % keys.length]! + bad : bad;
      const base = isPlainObject(target.value) || target.value instanceof JsonEntries ? target.value : {};
      return {
        value: setAt(value, target.path, withEntry(base, key, step.filler)),
        label: `key ${JSON.stringify(key)} in ${where(target.path)}`,
      };
    }
    case 'deep-nesting': {
      const target = pickFrom(all)!;
      const d = deep(step.pick, step.filler);
      return {
        value: setAt(value, target.path, d),
        label: `nested ${d.text.length / 2 > 5000 ? 'very ' : ''}deep at ${where(target.path)}`,
      };
    }
    case 'array-for-object': {
      const target = pickFrom(objects) ?? { path: [], value };
      const v = target.value;
      const next =
        step.pick % 2 === 0
          ? [v]
          : isPlainObject(v)
            ? Object.values(v)
            : v instanceof JsonEntries
              ? v.entries.map(([, x]) => x)
              : [v];
      return { value: setAt(value, target.path, next), label: `array instead of ${where(target.path)}` };
    }
    case 'odd-number': {
      const target = pickFrom(numbers) ?? pickFrom(leaves) ?? { path: [], value };
      const n = ODD_NUMBERS[step.pick % ODD_NUMBERS.length]!;
      return { value: setAt(value, target.path, new RawJson(n)), label: `${n} at ${where(target.path)}` };
    }
    case 'number-as-string': {
      const target = pickFrom(numbers);
      if (target) {
        return {
          value: setAt(value, target.path, String(target.value)),
          label: `number as text at ${where(target.path)}`,
        };
      }
      const s = pickFrom(strings) ?? pickFrom(leaves) ?? { path: [], value };
      return {
        value: setAt(value, s.path, step.pick % 2 ? 1 : 0),
        label: `number instead of ${where(s.path)}`,
      };
    }
    case 'proto-pollution': {
      const target = pickFrom(objects) ?? { path: [], value: {} };
      const base = isPlainObject(target.value) || target.value instanceof JsonEntries ? target.value : {};
      const key = ['__proto__', 'constructor'][step.pick % 2]!;
      const polluted =
        key === '__proto__' ? { isAdmin: true, roles: ['Administrator'] } : { prototype: { isAdmin: true } };
      return {
        value: setAt(value, target.path, withEntry(base, key, polluted)),
        label: `${key} in ${where(target.path)}`,
      };
    }
  }
}

/** A valid value with one mutation (sometimes two or three), and labels of what they did. */
export function mutatedArbitrary(
  schema: JsonSchema,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<{ value: unknown; mutations: string[] }> {
  return fc
    .tuple(
      validArbitrary(schema, options),
      fc.oneof(
        { weight: 4, arbitrary: fc.array(mutationStepArbitrary, { minLength: 1, maxLength: 1 }) },
        { weight: 1, arbitrary: fc.array(mutationStepArbitrary, { minLength: 2, maxLength: 3 }) },
      ),
    )
    .map(([valid, steps]) => {
      let value = valid;
      const mutations: string[] = [];
      for (const step of steps) {
        const r = applyMutation(value, step);
        value = r.value;
        mutations.push(r.label);
      }
      return { value, mutations };
    });
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** JSON text of a value that may hold RawJson, JsonEntries and Placeholder nodes. */
export function toJsonText(value: unknown, resolve: Resolver): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Placeholder) return toJsonText(resolve(value), resolve);
  if (value instanceof JsonEntries) {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v, resolve)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => toJsonText(v, resolve)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v, resolve)}`)
      .join(',')}}`;
  }
  if (value === undefined) return 'null';
  // JSON.stringify escapes lone surrogates (\ud800): the text stays valid UTF-8.
  return JSON.stringify(value) ?? 'null';
}

/**
 * Percent-encoding that never throws: a lone surrogate (which encodeURIComponent refuses)
 * becomes its three CESU-8 bytes, which are not UTF-8.
 */
export function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`;
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** A scalar as text for a form field or query parameter. */
export function scalarText(value: unknown, resolve: Resolver): string {
  if (value instanceof Placeholder) return scalarText(resolve(value), resolve);
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return toJsonText(value, resolve);
  return String(value);
}

/** `application/x-www-form-urlencoded` text of an object's fields (arrays repeat the key). */
export function toFormText(value: unknown, resolve: Resolver): string {
  const v = value instanceof Placeholder ? resolve(value) : value;
  const entries: ReadonlyArray<readonly [string, unknown]> =
    v instanceof JsonEntries
      ? v.entries
      : v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawJson)
        ? Object.entries(v as Record<string, unknown>)
        : [['value', v]];
  const parts: string[] = [];
  for (const [k, x] of entries) {
    for (const one of Array.isArray(x) ? x : [x]) {
      parts.push(`${percentEncode(k)}=${percentEncode(scalarText(one, resolve))}`);
    }
  }
  return parts.join('&');
}
