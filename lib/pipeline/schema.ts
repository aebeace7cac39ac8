// A small validator for plain JSON configurations (recipes): each field has a type and bounds,
// an unknown field is an error, and every error names the field by its path
// (`stages[1].sparsity`), in the library's message format. Objects may be tagged unions on one
// field (e.g. a stage's `kind`), each variant with its own fields.
//
// The input may be hostile: only own properties are looked at (`Object.hasOwn`), so keys such as
// `__proto__`, `constructor`, `toString` or `hasOwnProperty` are unknown fields like any other,
// and a tag such as "constructor" names no variant. Every number, string, list and record is
// bounded. `validate` returns a copy built from the known fields only, in null-prototype objects.
import { ConfigError, describe } from '../errors';

/** What a value must be. */
export type Schema =
  | {
      readonly type: 'number';
      readonly min: number;
      readonly max: number;
      readonly integer?: boolean;
      readonly exclusiveMin?: boolean;
      readonly exclusiveMax?: boolean;
      readonly hint?: string;
    }
  | {
      readonly type: 'string';
      readonly enum?: readonly string[];
      /** At most this many characters (default 4096). */
      readonly maxLength?: number;
      readonly pattern?: RegExp;
      readonly hint?: string;
    }
  | { readonly type: 'boolean' }
  | { readonly type: 'array'; readonly items: Schema; readonly minItems?: number; readonly maxItems: number }
  | { readonly type: 'record'; readonly values: Schema; readonly maxKeys: number; readonly hint?: string }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | {
      readonly type: 'union';
      readonly tag: string;
      readonly variants: Readonly<Record<string, Readonly<Record<string, Field>>>>;
    }
  | { readonly type: 'oneOf'; readonly options: readonly Schema[]; readonly hint: string };

/** A field of an object: its schema and whether it must be present. */
export interface Field {
  readonly schema: Schema;
  readonly required?: boolean;
}

const MAX_STRING = 4096;

const own = (o: object, k: string): boolean => Object.hasOwn(o, k);

const typeName = (v: unknown) =>
  Array.isArray(v)
    ? 'an array'
    : v === null
      ? 'null'
      : typeof v === 'object'
        ? 'an object'
        : `${typeof v} ${describe(v)}`;

function fail(fn: string, where: string, want: string, got: unknown, fix: string): never {
  throw new ConfigError(
    `${fn}: ${where} ${want}, got ${typeof got === 'string' && got.startsWith('!') ? got.slice(1) : typeName(got)}. ${fix}`,
  );
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFields(
  fn: string,
  where: string,
  value: Record<string, unknown>,
  fields: Readonly<Record<string, Field>>,
  skip?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(value)) {
    if (k === skip) continue;
    if (!own(fields, k))
      fail(
        fn,
        `${where ? `${where}.` : ''}${k.length > 64 ? `${k.slice(0, 61)}...` : k}`,
        'is not a known field',
        `!${describe(k)}`,
        `Known fields here: ${Object.keys(fields).join(', ')}.`,
      );
  }
  if (skip !== undefined) out[skip] = value[skip];
  for (const k of Object.keys(fields)) {
    const f = fields[k] as Field;
    const path = where ? `${where}.${k}` : k;
    if (!own(value, k) || value[k] === undefined) {
      if (f.required) fail(fn, path, 'is required', '!nothing', `Add "${k}".`);
      continue;
    }
    out[k] = validate(fn, path, value[k], f.schema);
  }
  return out;
}

function range(s: Extract<Schema, { type: 'number' }>): string {
  return ` ${s.exclusiveMin ? '>' : '>='} ${s.min} and ${s.exclusiveMax ? '<' : '<='} ${s.max}`;
}

/**
 * Throws a ConfigError naming `where` unless `value` fits `schema`; returns a copy of the value
 * made of its known fields only (objects and records with a null prototype).
 */
export function validate(fn: string, where: string, value: unknown, schema: Schema): unknown {
  switch (schema.type) {
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!schema.integer || Number.isInteger(value)) &&
        (schema.exclusiveMin ? value > schema.min : value >= schema.min) &&
        (schema.exclusiveMax ? value < schema.max : value <= schema.max);
      if (!ok)
        fail(
          fn,
          where,
          `must be ${schema.integer ? 'an integer' : 'a number'}${range(schema)}`,
          value,
          schema.hint ?? 'Fix the value.',
        );
      return value;
    }
    case 'string': {
      const max = schema.maxLength ?? MAX_STRING;
      if (
        typeof value !== 'string' ||
        value === '' ||
        value.length > max ||
        (schema.enum && !schema.enum.includes(value)) ||
        (schema.pattern && !schema.pattern.test(value))
      ) {
        fail(
          fn,
          where,
          schema.enum
            ? `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`
            : `must be a non-empty string of at most ${max} characters${schema.pattern ? ' (see the hint)' : ''}`,
          value,
          schema.hint ?? 'Fix the value.',
        );
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail(fn, where, 'must be true or false', value, 'Fix the value.');
      return value;
    case 'array':
      if (!Array.isArray(value) || value.length < (schema.minItems ?? 0) || value.length > schema.maxItems)
        fail(
          fn,
          where,
          `must be an array of ${schema.minItems ?? 0} to ${schema.maxItems} item(s)`,
          Array.isArray(value) ? `!an array of ${value.length}` : value,
          'Fix the value.',
        );
      return value.map((v, i) => validate(fn, `${where}[${i}]`, v, schema.items));
    case 'record': {
      if (!isPlainObject(value)) fail(fn, where, 'must be an object', value, schema.hint ?? 'Fix the value.');
      const keys = Object.keys(value);
      if (keys.length > schema.maxKeys)
        fail(fn, where, `must have at most ${schema.maxKeys} keys`, `!${keys.length}`, schema.hint ?? 'Fix the value.');
      const out: Record<string, unknown> = Object.create(null);
      for (const k of keys) {
        if (k === '' || k.length > 256)
          fail(fn, where, 'keys of 1 to 256 characters', `!a key of ${k.length}`, schema.hint ?? 'Fix the key.');
        out[k] = validate(fn, `${where}[${JSON.stringify(k.slice(0, 64))}]`, value[k], schema.values);
      }
      return out;
    }
    case 'object':
      if (!isPlainObject(value)) fail(fn, where || 'the recipe', 'must be an object', value, 'Write a JSON object.');
      return checkFields(fn, where, value, schema.fields);
    case 'union': {
      if (!isPlainObject(value)) fail(fn, where, 'must be an object', value, 'Write a JSON object.');
      const tag = own(value, schema.tag) ? value[schema.tag] : undefined;
      const variant = typeof tag === 'string' && own(schema.variants, tag) ? schema.variants[tag] : undefined;
      if (!variant)
        fail(
          fn,
          `${where}.${schema.tag}`,
          `must be one of ${Object.keys(schema.variants)
            .map((k) => JSON.stringify(k))
            .join(', ')}`,
          tag ?? '!nothing',
          `Say which ${schema.tag} this is.`,
        );
      return checkFields(fn, where, value, variant, schema.tag);
    }
    case 'oneOf': {
      for (const s of schema.options) {
        try {
          return validate(fn, where, value, s);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }
      return fail(fn, where, `must be ${schema.hint}`, value, 'Fix the value.');
    }
  }
}

/** Every number schema reachable from `schema` (to check that each is bounded). */
export function numberSchemas(schema: Schema, where = ''): { where: string; schema: Schema }[] {
  switch (schema.type) {
    case 'number':
      return [{ where, schema }];
    case 'array':
      return numberSchemas(schema.items, `${where}[]`);
    case 'record':
      return numberSchemas(schema.values, `${where}{}`);
    case 'object':
      return Object.entries(schema.fields).flatMap(([k, f]) => numberSchemas(f.schema, `${where}.${k}`));
    case 'union':
      return Object.entries(schema.variants).flatMap(([v, fields]) =>
        Object.entries(fields).flatMap(([k, f]) => numberSchemas(f.schema, `${where}<${v}>.${k}`)),
      );
    case 'oneOf':
      return schema.options.flatMap((s) => numberSchemas(s, where));
    default:
      return [];
  }
}
