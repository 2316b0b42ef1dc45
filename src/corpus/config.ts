import { createValidator, type Validator } from '../core/validation.js';
import type { QualityFilterOptions } from './filters.js';
import type { MinHashOptions } from './minhash.js';
import type { NormaliseOptions } from './normalise.js';
import { type PiiOptions, piiTypes } from './pii.js';

const entityMode = { type: 'string', enum: ['keep', 'list', 'extract', 'remove'] };
const fraction = { type: 'number', minimum: 0, maximum: 1 };
const positiveInteger = { type: 'integer', minimum: 1 };
const nonNegativeInteger = { type: 'integer', minimum: 0 };
// `false` switches a stage off; if/then/else (not anyOf) keeps errors to the branch that applies.
const offOr = (schema: Record<string, unknown>) => ({
  if: { type: 'boolean' },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keyword.
  then: { const: false },
  else: schema,
});
const object = (properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, properties });
const fractionMap = { type: 'object', propertyNames: { pattern: '^[1-9][0-9]?$' }, additionalProperties: fraction };

/** JSON Schema of a `clean.json` config file (the JSON-able part of `WriteCleanCorpusOptions`). */
export const cleanConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'CleanConfig',
  ...object({
    normalise: offOr(
      object({
        unicode: { type: 'string', enum: ['nfkc', 'none'] },
        htmlEntities: { type: 'boolean' },
        cjkPunctuation: { type: 'string', enum: ['full-width', 'keep', 'half-width'] },
        traditionalToSimplified: { type: 'boolean' },
        emoji: { type: 'string', enum: ['keep', 'strip', 'count'] },
        hashtags: entityMode,
        mentions: entityMode,
        urls: entityMode,
      }),
    ),
    pii: offOr(
      object({
        types: { type: 'array', items: { type: 'string', enum: [...piiTypes] }, uniqueItems: true },
        placeholders: {
          type: 'object',
          propertyNames: { enum: [...piiTypes] },
          additionalProperties: { type: 'string', minLength: 1 },
        },
      }),
    ),
    filters: offOr(
      object({
        length: offOr(object({ minCharacters: nonNegativeInteger, maxCharacters: positiveInteger })),
        cjkRatio: offOr(object({ minRatio: fraction })),
        characterRatios: offOr(object({ maxPunctuationRatio: fraction, maxSymbolRatio: fraction })),
        repetition: offOr(
          object({
            minLines: nonNegativeInteger,
            maxDuplicateLineFraction: fraction,
            maxDuplicateLineCharacterFraction: fraction,
            maxDuplicateParagraphFraction: fraction,
            minUnits: nonNegativeInteger,
            maxTopNgramFraction: fractionMap,
            minTopNgramOccurrences: positiveInteger,
            maxDuplicateNgramFraction: fractionMap,
          }),
        ),
        lines: offOr(
          object({
            minLines: nonNegativeInteger,
            shortLineCharacters: nonNegativeInteger,
            maxShortLineFraction: fraction,
            minTerminalPunctuationFraction: fraction,
            maxEllipsisLineFraction: fraction,
            boilerplatePhrases: { type: 'array', items: { type: 'string', minLength: 1 } },
          }),
        ),
        spam: offOr(
          object({ keywords: { type: 'array', items: { type: 'string', minLength: 1 } }, minHits: positiveInteger }),
        ),
      }),
    ),
    exactDedup: { type: 'boolean' },
    nearDedup: offOr(
      object({
        bands: positiveInteger,
        rows: positiveInteger,
        cjkShingleSize: positiveInteger,
        latinShingleSize: positiveInteger,
        seed: nonNegativeInteger,
      }),
    ),
    examplesPerReason: nonNegativeInteger,
    workers: nonNegativeInteger,
    batchSize: positiveInteger,
    shardSize: positiveInteger,
    gzip: { type: 'boolean' },
    mix: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'ratio'],
      properties: {
        path: {
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          ],
        },
        ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        by: { type: 'string', enum: ['documents', 'tokens'] },
        seed: nonNegativeInteger,
        name: { type: 'string', minLength: 1 },
      },
    },
  }),
} as const;

/** A validated `clean.json`. */
export interface CleanConfig {
  /** See `CleanOptions.normalise`. */
  normalise?: NormaliseOptions | false;
  /** See `CleanOptions.pii`. */
  pii?: PiiOptions | false;
  /** See `CleanOptions.filters`. */
  filters?: QualityFilterOptions | false;
  /** See `CleanOptions.exactDedup`. */
  exactDedup?: boolean;
  /** See `CleanOptions.nearDedup`. */
  nearDedup?: MinHashOptions | false;
  /** See `CleanOptions.examplesPerReason`. */
  examplesPerReason?: number;
  /** See `CleanOptions.workers`. */
  workers?: number;
  /** See `CleanOptions.batchSize`. */
  batchSize?: number;
  /** See `WriteCleanCorpusOptions.shardSize`. */
  shardSize?: number;
  /** See `WriteCleanCorpusOptions.gzip`. */
  gzip?: boolean;
  /** Generic corpus to mix in: file path(s), ratio in (0, 1), `documents` or `tokens`. */
  mix?: { path: string | string[]; ratio: number; by?: 'documents' | 'tokens'; seed?: number; name?: string };
}

/**
 * Validates a parsed `clean.json`; throws `CF_INVALID_CONFIG` whose message and `issues`
 * name each offending field (e.g. `'/filters/cjkRatio/minRatio' must be <= 1`).
 */
export const validateCleanConfig: Validator<CleanConfig> = createValidator(
  cleanConfigSchema,
  'CF_INVALID_CONFIG',
  'clean config',
);
