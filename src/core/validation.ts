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

/** Flattens ajv errors into `{ path, rule, message }` entries that name the field. */
export function toValidationIssues(errors: readonly ErrorObject[] | null | undefined, root = ''): ValidationIssue[] {
  return (errors ?? []).map((error) => {
    let path = `${root}${error.instancePath}`;
    if (error.keyword === 'required') path += `/${(error.params as { missingProperty: string }).missingProperty}`;
    if (error.keyword === 'additionalProperties') {
      path += `/${(error.params as { additionalProperty: string }).additionalProperty}`;
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

/** Validates a note; throws `CF_INVALID_NOTE` naming each broken field. */
export const validateNote: Validator<Note> = createValidator(noteSchema.$id, 'CF_INVALID_NOTE', 'note');
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
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('schemaVersion' in value)) {
    throw new CopyForgeError('CF_INVALID_EVENT', "The event has no '/schemaVersion'.", {
      issues: [{ path: '/schemaVersion', rule: 'required', message: "'/schemaVersion' is required" }],
    });
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof value === 'object' && value !== null && !supportedNoteEventVersions.includes(version as number)) {
    throw new CopyForgeError(
      'CF_UNKNOWN_SCHEMA_VERSION',
      `'/schemaVersion' is ${describeValue(version)}; this SDK reads ${supportedNoteEventVersions.join(', ')}.`,
      { issues: [{ path: '/schemaVersion', rule: 'const', message: "'/schemaVersion' is not supported" }] },
    );
  }
  return validateNoteEventShape(value);
}
