// A small validator for plain JSON configurations (recipes): each field has a type and bounds,
// an unknown field is an error, and every error names the field by its path
// (`stages[1].sparsity`), in the library's message format. Objects may be tagged unions on one
// field (e.g. a stage's `kind`), each variant with its own fields.
import { ConfigError, describe } from '../errors';

/** What a value must be. */
export type Schema =
  | {
      readonly type: 'number';
      readonly min?: number;
      readonly max?: number;
      readonly integer?: boolean;
      readonly exclusiveMax?: boolean;
      readonly hint?: string;
    }
  | { readonly type: 'string'; readonly enum?: readonly string[]; readonly hint?: string }
  | { readonly type: 'boolean' }
  | { readonly type: 'array'; readonly items: Schema; readonly minItems?: number }
  | { readonly type: 'record'; readonly values: Schema; readonly hint?: string }
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

function checkFields(
  fn: string,
  where: string,
  value: Record<string, unknown>,
  fields: Readonly<Record<string, Field>>,
  skip?: string,
): void {
  for (const k of Object.keys(value)) {
    if (k === skip) continue;
    if (!(k in fields))
      fail(
        fn,
        `${where ? `${where}.` : ''}${k}`,
        'is not a known field',
        `!${JSON.stringify(k)}`,
        `Known fields here: ${Object.keys(fields).join(', ')}.`,
      );
  }
  for (const [k, f] of Object.entries(fields)) {
    const path = where ? `${where}.${k}` : k;
    if (value[k] === undefined) {
      if (f.required) fail(fn, path, 'is required', '!nothing', `Add "${k}".`);
      continue;
    }
    validate(fn, path, value[k], f.schema);
  }
}

/** Throws a ConfigError naming `where` unless `value` fits `schema`. */
export function validate(fn: string, where: string, value: unknown, schema: Schema): void {
  switch (schema.type) {
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (!schema.integer || Number.isInteger(value)) &&
        (schema.min === undefined || value >= schema.min) &&
        (schema.max === undefined || (schema.exclusiveMax ? value < schema.max : value <= schema.max));
      if (!ok) {
        const range = `${schema.min !== undefined ? ` >= ${schema.min}` : ''}${schema.max !== undefined ? ` and ${schema.exclusiveMax ? '<' : '<='} ${schema.max}` : ''}`;
        fail(
          fn,
          where,
          `must be ${schema.integer ? 'an integer' : 'a number'}${range}`,
          value,
          schema.hint ?? 'Fix the value.',
        );
      }
      return;
    }
    case 'string':
      if (typeof value !== 'string' || value === '' || (schema.enum && !schema.enum.includes(value))) {
        fail(
          fn,
          where,
          schema.enum
            ? `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`
            : 'must be a non-empty string',
          value,
          schema.hint ?? 'Fix the value.',
        );
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(fn, where, 'must be true or false', value, 'Fix the value.');
      return;
    case 'array':
      if (!Array.isArray(value) || value.length < (schema.minItems ?? 0))
        fail(
          fn,
          where,
          `must be an array${schema.minItems ? ` of at least ${schema.minItems} item(s)` : ''}`,
          value,
          'Fix the value.',
        );
      value.forEach((v, i) => validate(fn, `${where}[${i}]`, v, schema.items));
      return;
    case 'record':
      if (!value || typeof value !== 'object' || Array.isArray(value))
        fail(fn, where, 'must be an object', value, schema.hint ?? 'Fix the value.');
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        validate(fn, `${where}[${JSON.stringify(k)}]`, v, schema.values);
      return;
    case 'object':
      if (!value || typeof value !== 'object' || Array.isArray(value))
        fail(fn, where || 'the recipe', 'must be an object', value, 'Write a JSON object.');
      checkFields(fn, where, value as Record<string, unknown>, schema.fields);
      return;
    case 'union': {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        fail(fn, where, 'must be an object', value, 'Write a JSON object.');
      const tag = (value as Record<string, unknown>)[schema.tag];
      const variant = typeof tag === 'string' ? schema.variants[tag] : undefined;
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
      checkFields(fn, where, value as Record<string, unknown>, variant, schema.tag);
      return;
    }
    case 'oneOf': {
      for (const s of schema.options) {
        try {
          validate(fn, where, value, s);
          return;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }
      fail(fn, where, `must be ${schema.hint}`, value, 'Fix the value.');
    }
  }
}
