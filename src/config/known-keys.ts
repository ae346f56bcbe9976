/**
 * known-keys: which keys the schema allows at a path, so an unknown key can get a "did you mean".
 * Unions are resolved the way zod resolves them, by the discriminator's value in the input.
 */
import { z } from 'zod';

/** KeysAtPath is the keys allowed at a mapping, and keys only other variants of a union allow. */
export interface KeysAtPath {
  readonly keys: readonly string[];
  /** key → "protocol is fwmark", for keys that belong to another variant. */
  readonly elsewhere: ReadonlyMap<string, string>;
}

/** unwrap strips wrappers that do not change which keys a mapping has. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

/** fieldOf reads one key's schema from an object schema (zod types the shape loosely). */
function fieldOf(object: z.ZodObject, key: PropertyKey): z.core.$ZodType | undefined {
  const field: unknown = object.shape[String(key)];
  return field instanceof z.core.$ZodType ? field : undefined;
}

/** discriminatorValues lists the values a union option's discriminator accepts. */
function discriminatorValues(option: z.ZodObject, discriminator: string): string[] {
  const field: unknown = option.shape[discriminator];
  if (field instanceof z.ZodLiteral) return [...field.values].map(String);
  if (field instanceof z.ZodEnum) return field.options.map(String);
  return [];
}

/** describeUnion lists the keys of the variant the input selects, and those of the other variants. */
function describeUnion(union: z.ZodDiscriminatedUnion, input: unknown): KeysAtPath {
  const discriminator = union.def.discriminator;
  const options = union.options.map(unwrap).filter((option) => option instanceof z.ZodObject);
  const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[discriminator] : undefined;
  const chosen = options.filter((option) => discriminatorValues(option, discriminator).includes(String(value)));
  const keys = new Set((chosen.length > 0 ? chosen : options).flatMap((option) => Object.keys(option.shape)));
  const elsewhere = new Map<string, string>();
  for (const option of options) {
    for (const key of Object.keys(option.shape)) {
      if (!keys.has(key)) elsewhere.set(key, `${discriminator} is ${discriminatorValues(option, discriminator).join(' or ')}`);
    }
  }
  return { keys: [...keys], elsewhere };
}

/** childSchema steps from a schema into one path element. */
function childSchema(schema: z.core.$ZodType, step: PropertyKey, input: unknown): z.core.$ZodType | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray) {
    const element: unknown = inner.element;
    return element instanceof z.core.$ZodType ? element : undefined;
  }
  if (inner instanceof z.ZodObject) return fieldOf(inner, step);
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[inner.def.discriminator] : undefined;
    for (const option of inner.options.map(unwrap)) {
      if (option instanceof z.ZodObject && discriminatorValues(option, inner.def.discriminator).includes(String(value))) {
        return fieldOf(option, step);
      }
    }
  }
  return undefined;
}

/** knownKeysAt returns the keys allowed at `path` for this input, or no keys if the path is not a mapping. */
export function knownKeysAt(root: z.core.$ZodType, path: readonly PropertyKey[], input: unknown): KeysAtPath {
  let schema: z.core.$ZodType | undefined = root;
  let value = input;
  for (const step of path) {
    if (schema === undefined) break;
    schema = childSchema(schema, step, value);
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[step] : undefined;
  }
  const inner = schema === undefined ? undefined : unwrap(schema);
  if (inner instanceof z.ZodDiscriminatedUnion) return describeUnion(inner, value);
  if (inner instanceof z.ZodObject) return { keys: Object.keys(inner.shape), elsewhere: new Map() };
  return { keys: [], elsewhere: new Map() };
}
