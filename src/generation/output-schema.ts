import type { JsonSchemaV1 } from '../spec/shared-v1.js';

/** Options for {@link buildTitlesSchema}. */
export interface TitlesSchemaOptions {
  count: number;
  styleIds: readonly string[];
  maxTitleLength: number;
  minTitleLength: number;
  promotionTarget?: string;
  /** Candidates for the promotion target when not fixed (an enum); free text when absent or empty. */
  promotionTargets?: readonly string[];
  audienceTier?: string;
  audienceTiers: readonly string[];
}

/**
 * The JSON Schema the model's output must match: the promotion target first, then
 * the audience tier, then exactly `count` titles with a style each. Controls given by
 * the caller become `const`, candidate targets (the note's tags) an `enum`, so the grammar makes the model obey them; title length
 * limits are part of the schema, not cut afterwards.
 */
export function buildTitlesSchema(options: TitlesSchemaOptions): JsonSchemaV1 {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['promotionTarget', 'audienceTier', 'titles'],
    properties: {
      promotionTarget:
        options.promotionTarget !== undefined
          ? { const: options.promotionTarget }
          : options.promotionTargets?.length
            ? { enum: [...options.promotionTargets] }
            : { type: 'string', minLength: 1, maxLength: 24 },
      audienceTier:
        options.audienceTier === undefined ? { enum: [...options.audienceTiers] } : { const: options.audienceTier },
      titles: {
        type: 'array',
        minItems: options.count,
        maxItems: options.count,
        items: {
          type: 'object',
          additionalProperties: false,
          // Title before style: small models otherwise echo the style name into the title.
          required: ['title', 'style'],
          properties: {
            title: { type: 'string', minLength: options.minTitleLength, maxLength: options.maxTitleLength },
            style: { enum: [...options.styleIds] },
          },
        },
      },
    },
  };
}

/** The parsed shape of {@link buildTitlesSchema}. */
export interface TitlesOutput {
  promotionTarget: string;
  audienceTier: string;
  titles: { title: string; style: string }[];
}
