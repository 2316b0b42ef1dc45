import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import creativeSchema from '../schemas/creative.schema.json';
import creativesEventSchema from '../schemas/creatives-event.schema.json';
import labelsSchema from '../schemas/labels.schema.json';
import noteSchema from '../schemas/note.schema.json';
import noteEventSchema from '../schemas/note-event.schema.json';
import scoredCreativeSchema from '../schemas/scored-creative.schema.json';
import type {
  Creative,
  CreativesEvent,
  Labels,
  Note,
  NoteEvent,
  ScoredCreative,
  WorkerConfig,
} from '../schemas/types.js';
import workerConfigSchema from '../schemas/worker-config.schema.json';
import type { ErrorCode } from './error-codes.js';
import { CopyForgeError, type ValidationIssue } from './errors.js';

// ajv-formats ships CJS with a default export; normalise both module shapes.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => Ajv2020;

/** The JSON Schemas CopyForge validates against, keyed by name. */
export const schemas = {
  note: noteSchema,
  noteEvent: noteEventSchema,
  labels: labelsSchema,
  creative: creativeSchema,
  scoredCreative: scoredCreativeSchema,
  creativesEvent: creativesEventSchema,
  workerConfig: workerConfigSchema,
} as const;

let sharedAjv: Ajv2020 | undefined;

/**
 * The one ajv instance of the SDK (draft 2020-12, formats on, all errors collected).
 * Schemas are compiled once and cached by ajv.
 */
export function getAjv(): Ajv2020 {
  if (!sharedAjv) {
    sharedAjv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(sharedAjv);
    for (const schema of Object.values(schemas)) sharedAjv.addSchema(schema);
  }
  return sharedAjv;
}

/** Escapes one JSON-pointer reference token (RFC 6901): `~` as `~0`, `/` as `~1`. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Flattens ajv errors into `{ path, rule, message }` entries that name the field. */
export function toValidationIssues(errors: readonly ErrorObject[] | null | undefined, root = ''): ValidationIssue[] {
  return (errors ?? []).map((error) => {
    // ajv's instancePath is an escaped JSON pointer already; property names it reports in
    // params are raw, so they are escaped here (`a/b` is `/a~1b`, RFC 6901).
    let path = `${root}${error.instancePath}`;
    if (error.keyword === 'required') {
      path += `/${escapePointer((error.params as { missingProperty: string }).missingProperty)}`;
    }
    if (error.keyword === 'additionalProperties') {
      path += `/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`;
    }
    const field = path === '' ? 'the input' : `'${path}'`;
    const detail =
      error.keyword === 'required'
        ? 'is required'
        : error.keyword === 'additionalProperties'
          ? 'is not an allowed property'
          : (error.message ?? 'is invalid');
    return { path, rule: error.keyword, message: `${field} ${detail}` };
  });
}

/** A validator that either returns typed data or throws a coded error naming the fields. */
export type Validator<T> = (value: unknown) => T;

/**
 * Builds a validator from a compiled schema. The error message lists up to three
 * broken rules; every rule is on `error.issues`.
 */
export function createValidator<T>(schemaOrId: object | string, code: ErrorCode, what: string): Validator<T> {
  let compiled: ValidateFunction | undefined;
  return (value: unknown): T => {
    if (!compiled) {
      const ajv = getAjv();
      compiled =
        typeof schemaOrId === 'string' ? ajv.getSchema(schemaOrId) : ajv.compile(schemaOrId as Record<string, unknown>);
      if (!compiled) throw new CopyForgeError('CF_INTERNAL', `Schema ${String(schemaOrId)} is not registered.`);
    }
    if (compiled(value)) return value as T;
    const issues = toValidationIssues(compiled.errors);
    const summary = issues
      .slice(0, 3)
      .map((issue) => `${issue.message} (${issue.rule})`)
      .join('; ');
    const more = issues.length > 3 ? ` and ${issues.length - 3} more` : '';
    throw new CopyForgeError(code, `Invalid ${what}: ${summary}${more}.`, { issues });
  };
}

const validateNoteShape: Validator<Note> = createValidator(noteSchema.$id, 'CF_INVALID_NOTE', 'note');

// What a note's text may not contain: C0 controls (the body may have tab and line breaks),
// DEL and C1 controls, bidi embeddings, overrides and isolates (they reorder what a reviewer
// sees), non-characters, and lone surrogates. Zero-width joiners stay: emoji sequences use them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const forbiddenInLine = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const forbiddenInBody = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/u;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textIssue(path: string, text: string, forbidden: RegExp): ValidationIssue | undefined {
  const found = forbidden.exec(text) ?? loneSurrogate.exec(text);
  if (!found) return undefined;
  const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return {
    path,
    rule: 'characters',
    message: `'${path}' contains ${code} at ${found.index}, which a note may not contain`,
  };
}

/** Control, bidi-override and lone-surrogate characters in a schema-valid note's text fields. */
function noteTextIssues(note: Note, prefix = ''): ValidationIssue[] {
  const issues = [
    textIssue(`${prefix}/id`, note.id, forbiddenInLine),
    textIssue(`${prefix}/title`, note.title, forbiddenInLine),
    textIssue(`${prefix}/body`, note.body, forbiddenInBody),
    ...(note.tags ?? []).map((tag, index) => textIssue(`${prefix}/tags/${index}`, tag, forbiddenInLine)),
  ];
  return issues.filter((issue): issue is ValidationIssue => issue !== undefined);
}

function throwTextIssues(issues: ValidationIssue[], code: ErrorCode, what: string): void {
  if (issues.length === 0) return;
  throw new CopyForgeError(code, `Invalid ${what}: ${issues.map((issue) => issue.message).join('; ')}.`, { issues });
}

/**
 * Validates a note; throws `CF_INVALID_NOTE` naming each broken field. Beyond the schema,
 * `id`, `title` and `tags` may not contain control characters, and `body` none but tab and
 * line breaks; no field may contain bidi overrides or isolates, non-characters or lone
 * surrogates (docs/errors.md).
 */
export const validateNote: Validator<Note> = (value: unknown): Note => {
  const note = validateNoteShape(value);
  throwTextIssues(noteTextIssues(note), 'CF_INVALID_NOTE', 'note');
  return note;
};
/** Validates labels; throws `CF_INVALID_OUTPUT`. */
export const validateLabels: Validator<Labels> = createValidator(labelsSchema.$id, 'CF_INVALID_OUTPUT', 'labels');
/** Validates a creative; throws `CF_INVALID_OUTPUT`. */
export const validateCreative: Validator<Creative> = createValidator(
  creativeSchema.$id,
  'CF_INVALID_OUTPUT',
  'creative',
);
/** Validates a scored creative; throws `CF_INVALID_OUTPUT`. */
export const validateScoredCreative: Validator<ScoredCreative> = createValidator(
  scoredCreativeSchema.$id,
  'CF_INVALID_OUTPUT',
  'scored creative',
);

/** Validates an output event of the Kafka worker; throws `CF_INVALID_OUTPUT`. */
export const validateCreativesEvent: Validator<CreativesEvent> = createValidator(
  creativesEventSchema.$id,
  'CF_INVALID_OUTPUT',
  'creatives event',
);

/** Validates a Kafka worker config file (`copyforge kafka --config`); throws `CF_INVALID_CONFIG`. */
export const validateWorkerConfig: Validator<WorkerConfig> = createValidator(
  workerConfigSchema.$id,
  'CF_INVALID_CONFIG',
  'worker config',
);

const validateNoteEventShape: Validator<NoteEvent> = createValidator(
  noteEventSchema.$id,
  'CF_INVALID_EVENT',
  'note event',
);

const knownKeys = {
  event: Object.keys(noteEventSchema.properties),
  note: Object.keys(noteSchema.properties),
  author: Object.keys(noteSchema.properties.author.properties),
  image: Object.keys(noteSchema.properties.images.items.properties),
};

/**
 * JSON pointers of the fields of a note event (or, with `'note'`, of a note) that the schema
 * does not list. Such fields are accepted and carried, so an upstream that adds one does not
 * send every event to the dead-letter topic; this says which arrived, for counting.
 */
export function unknownFields(value: unknown, kind: 'event' | 'note' = 'event'): string[] {
  const found: string[] = [];
  const extra = (object: unknown, known: readonly string[], path: string) => {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return;
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) found.push(`${path}/${escapePointer(key)}`);
    }
  };
  const note = kind === 'event' ? (value as { note?: unknown } | null)?.note : value;
  if (kind === 'event') extra(value, knownKeys.event, '');
  const prefix = kind === 'event' ? '/note' : '';
  extra(note, knownKeys.note, prefix);
  const { author, images } = (note ?? {}) as { author?: unknown; images?: unknown };
  extra(author, knownKeys.author, `${prefix}/author`);
  if (Array.isArray(images)) {
    for (const [index, image] of images.entries()) extra(image, knownKeys.image, `${prefix}/images/${index}`);
  }
  return found;
}

/** Options for {@link parseNoteEvent}. */
export interface ParseNoteEventOptions {
  /** Largest accepted payload in bytes; larger ones are rejected before parsing. @default 65536 */
  maxBytes?: number;
}

/** The envelope versions this SDK reads. */
export const supportedNoteEventVersions: readonly number[] = [1];

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A short description of any value for an error message: never recursive, never huge. */
function describeValue(value: unknown): string {
  if (value === null || ['number', 'boolean', 'undefined', 'bigint'].includes(typeof value)) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/**
 * Parses and validates a raw note event (a Kafka message value). Each failure has its
 * own code: `CF_PAYLOAD_TOO_LARGE`, `CF_INVALID_JSON`, `CF_UNKNOWN_SCHEMA_VERSION`,
 * `CF_INVALID_EVENT`.
 */
export function parseNoteEvent(raw: string | Uint8Array, options: ParseNoteEventOptions = {}): NoteEvent {
  const maxBytes = options.maxBytes ?? 65_536;
  if (!(typeof maxBytes === 'number' && maxBytes > 0 && maxBytes <= Number.MAX_SAFE_INTEGER)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'maxBytes' must be a positive number, got ${String(maxBytes)}.`, {
      issues: [{ path: '/maxBytes', rule: 'exclusiveMinimum', message: "'/maxBytes' must be a positive number" }],
    });
  }
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
    throw new CopyForgeError('CF_INVALID_EVENT', `An event must be a string or bytes, got ${describeValue(raw)}.`, {
      issues: [{ path: '', rule: 'type', message: 'the event must be a string or bytes' }],
    });
  }
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > maxBytes) {
    throw new CopyForgeError('CF_PAYLOAD_TOO_LARGE', `The event is ${size} bytes; the limit is ${maxBytes}.`, {
      details: { size, maxBytes },
    });
  }
  let text: string;
  try {
    // Strict: invalid UTF-8 is an error, not U+FFFD silently in the note.
    text = typeof raw === 'string' ? raw : strictUtf8.decode(raw);
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_EVENT', 'The event is not valid UTF-8.', {
      cause: error,
      issues: [{ path: '', rule: 'encoding', message: 'the event must be valid UTF-8' }],
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_JSON', `The event is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CopyForgeError('CF_INVALID_EVENT', `An event must be a JSON object, got ${describeValue(value)}.`, {
      issues: [{ path: '', rule: 'type', message: 'the event must be a JSON object' }],
    });
  }
  if (!('schemaVersion' in value)) {
    throw new CopyForgeError('CF_INVALID_EVENT', "The event has no '/schemaVersion'.", {
      issues: [{ path: '/schemaVersion', rule: 'required', message: "'/schemaVersion' is required" }],
    });
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (!supportedNoteEventVersions.includes(version as number)) {
    throw new CopyForgeError(
      'CF_UNKNOWN_SCHEMA_VERSION',
      `'/schemaVersion' is ${describeValue(version)}; this SDK reads ${supportedNoteEventVersions.join(', ')}.`,
      { issues: [{ path: '/schemaVersion', rule: 'const', message: "'/schemaVersion' is not supported" }] },
    );
  }
  const event = validateNoteEventShape(value);
  throwTextIssues(noteTextIssues(event.note, '/note'), 'CF_INVALID_EVENT', 'note event');
  return event;
}
