import type { JsonSchemaV1 } from '../../spec/shared-v1.js';

// A JSON Schema -> GBNF converter for the subset that OpenAI's strict structured outputs
// accept (every property required, no extra properties) plus length and item limits.
// Why not llama-server's own converter: it allows up to two newlines and twenty tabs or
// spaces between any two JSON tokens, and small base models spend their whole token budget
// on that whitespace (seen with the default Gemma 3 270M model). This grammar allows one
// optional space, like node-llama-cpp's grammar for the in-process backend.

/** Keywords that only annotate; they do not constrain output. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

/** Keywords this converter understands; a schema using any other falls back to the server. */
const UNDERSTOOD = new Set([
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'anyOf',
  'oneOf',
]);

const SHARED_RULES = [
  'ws ::= [ ]?',
  'char ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})',
  'integer ::= "-"? ([0-9] | [1-9] [0-9]{1,15})',
  'number ::= integer ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,15})?',
  'string ::= "\\"" char* "\\""',
];

class Unsupported extends Error {}

/** A GBNF literal matching exactly `text`. */
function literal(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A GBNF literal matching `value` written as compact JSON. */
function jsonLiteral(value: unknown): string {
  return literal(JSON.stringify(value));
}

function nonNegativeInteger(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Unsupported();
  return value;
}

function repetition(min: number, max: number | undefined): string {
  if (max === undefined) return min === 0 ? '*' : `{${min},}`;
  return `{${min},${max}}`;
}

function stringRule(schema: Record<string, unknown>): string {
  const min = nonNegativeInteger(schema.minLength) ?? 0;
  const max = nonNegativeInteger(schema.maxLength);
  if (min === 0 && max === undefined) return 'string';
  if (max !== undefined && max < min) throw new Unsupported();
  return `("\\"" char${repetition(min, max)} "\\"")`;
}

function arrayRule(schema: Record<string, unknown>): string {
  const items = schema.items;
  if (items === null || typeof items !== 'object' || Array.isArray(items)) throw new Unsupported();
  const item = rule(items as Record<string, unknown>);
  const min = nonNegativeInteger(schema.minItems) ?? 0;
  const max = nonNegativeInteger(schema.maxItems);
  if (max !== undefined && max < min) throw new Unsupported();
  if (max === 0) return '("[" ws "]")';
  const rest = `(ws "," ws ${item})`;
  const list = `${item} ${rest}${repetition(Math.max(min - 1, 0), max === undefined ? undefined : max - 1)}`;
  return min === 0 ? `("[" ws (${list})? ws "]")` : `("[" ws ${list} ws "]")`;
}

function objectRule(schema: Record<string, unknown>): string {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  if (typeof properties !== 'object' || Array.isArray(properties)) throw new Unsupported();
  const names = Object.keys(properties);
  const required = Array.isArray(schema.required) ? schema.required : [];
  // Optional properties would need every subset in order; leave those schemas to the server.
  if (names.some((name) => !required.includes(name)) || required.some((name) => !names.includes(name))) {
    throw new Unsupported();
  }
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) throw new Unsupported();
  if (names.length === 0) return '("{" ws "}")';
  const members = names.map((name) => `${jsonLiteral(name)} ws ":" ws ${rule(properties[name] ?? {})}`);
  return `("{" ws ${members.join(' ws "," ws ')} ws "}")`;
}

function typeRule(type: string, schema: Record<string, unknown>): string {
  switch (type) {
    case 'string':
      return stringRule(schema);
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return '("true" | "false")';
    case 'null':
      return '"null"';
    case 'array':
      return arrayRule(schema);
    case 'object':
      return objectRule(schema);
    default:
      throw new Unsupported();
  }
}

function rule(schema: Record<string, unknown>): string {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Unsupported();
  for (const key of Object.keys(schema)) {
    if (!UNDERSTOOD.has(key) && !ANNOTATIONS.has(key)) throw new Unsupported();
  }
  if ('const' in schema) return jsonLiteral(schema.const);
  if (Array.isArray(schema.enum)) {
    if (schema.enum.length === 0) throw new Unsupported();
    return `(${schema.enum.map(jsonLiteral).join(' | ')})`;
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) {
    if (!Array.isArray(alternatives) || alternatives.length === 0 || schema.type !== undefined) throw new Unsupported();
    // oneOf is treated as anyOf: a grammar cannot express "exactly one".
    return `(${alternatives.map((alternative) => rule(alternative as Record<string, unknown>)).join(' | ')})`;
  }
  if (Array.isArray(schema.type)) {
    return `(${schema.type.map((type) => typeRule(String(type), schema)).join(' | ')})`;
  }
  if (typeof schema.type === 'string') return typeRule(schema.type, schema);
  throw new Unsupported();
}

/**
 * A GBNF grammar with compact whitespace for `schema`, or `undefined` when the schema uses
 * something outside the supported subset (optional properties, `pattern`, `$ref`, numeric
 * ranges, ...) and the server's own converter should handle it.
 */
export function compactJsonGrammar(schema: JsonSchemaV1): string | undefined {
  try {
    return [`root ::= ${rule(schema)}`, ...SHARED_RULES].join('\n');
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
