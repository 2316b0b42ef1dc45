import { CopyForgeError } from '../../core/errors.js';
import { defineRewardModel } from '../../core/spec-host.js';
import type { ModelBackendV1 } from '../../spec/model-backend-v1.js';
import type { RewardModelV1, RewardScoreV1 } from '../../spec/reward-model-v1.js';
import { sigmoid } from '../learning.js';
import { isChineseText } from '../text.js';

/** Names of the lexical features, in weight order. */
export const lexicalFeatureNames = [
  'length',
  'hasNumber',
  'startsWithNumber',
  'question',
  'exclamation',
  'secondPerson',
  'emoji',
  'colonOrDash',
  'brackets',
  'firstPerson',
] as const;

/** Lexical features of a title, each in [0, 1]. */
export function lexicalFeatures(title: string): number[] {
  const length = [...title].length;
  const chinese = isChineseText(title);
  return [
    Math.min(1, length / (chinese ? 30 : 70)),
    /[\d一二两三四五六七八九十]/u.test(title) ? 1 : 0,
    /^[\d一二两三四五六七八九十]/u.test(title) ? 1 : 0,
    /[?？吗]/u.test(title) ? 1 : 0,
    /[!！]/u.test(title) ? 1 : 0,
    /你|\byou(r)?\b/iu.test(title) ? 1 : 0,
    /\p{Extended_Pictographic}/u.test(title) ? 1 : 0,
    /[:：|｜—-]/u.test(title) ? 1 : 0,
    /[【】「」()（）[\]]/u.test(title) ? 1 : 0,
    /我|\b(my|i)\b/iu.test(title) ? 1 : 0,
  ];
}

/** A trained attractiveness head as stored in JSON. */
export interface AttractivenessWeights {
  /** Marks the file's kind. */
  kind: 'copyforge.attractiveness-weights';
  /** File format version. */
  formatVersion: 1;
  /**
   * The embedding space (`EmbedResultV1.space`, the model hash) the head was trained on;
   * `null` for a lexical-only head that needs no embeddings.
   */
  space: string | null;
  /** Embedding dimension; 0 for a lexical-only head. */
  dimension: number;
  /** One weight per embedding dimension. */
  embeddingWeights: number[];
  /** Lexical feature names, in weight order. */
  lexicalFeatureNames: string[];
  /** One weight per lexical feature. */
  lexicalWeights: number[];
  /** Mean raw score of the training titles; a title scoring this maps to 0.5. */
  center: number;
  /** Fitted temperature: P(a ≻ b) = σ((s_a − s_b) / T). */
  temperature: number;
  /** How the weights were made and how well they did. */
  provenance?: Record<string, unknown>;
}

/**
 * Checks that `value` is attractiveness weights; with `space`, also that they were made
 * for that embedding space. Throws `CF_INVALID_CONFIG` naming the field.
 */
export function parseAttractivenessWeights(value: unknown, options: { space?: string } = {}): AttractivenessWeights {
  const weights = value as Partial<AttractivenessWeights> | null;
  const fail = (field: string, message: string): never => {
    throw new CopyForgeError('CF_INVALID_CONFIG', `Invalid attractiveness weights: '/${field}' ${message}.`, {
      issues: [{ path: `/${field}`, rule: 'type', message: `'/${field}' ${message}` }],
    });
  };
  if (typeof weights !== 'object' || weights === null) return fail('', 'must be an object');
  if (weights.kind !== 'copyforge.attractiveness-weights') fail('kind', "must be 'copyforge.attractiveness-weights'");
  if (weights.formatVersion !== 1) fail('formatVersion', 'must be 1');
  if (weights.space !== null && typeof weights.space !== 'string') fail('space', 'must be a string or null');
  const dimension = weights.dimension;
  if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 0) {
    fail('dimension', 'must be a non-negative integer');
  }
  if (!Array.isArray(weights.embeddingWeights) || weights.embeddingWeights.length !== dimension) {
    fail('embeddingWeights', `must have ${dimension} numbers`);
  }
  if (weights.lexicalFeatureNames?.join() !== lexicalFeatureNames.join()) {
    fail('lexicalFeatureNames', `must be [${lexicalFeatureNames.join(', ')}]`);
  }
  if (!Array.isArray(weights.lexicalWeights) || weights.lexicalWeights.length !== lexicalFeatureNames.length) {
    fail('lexicalWeights', `must have ${lexicalFeatureNames.length} numbers`);
  }
  if (![...(weights.embeddingWeights ?? []), ...(weights.lexicalWeights ?? [])].every(Number.isFinite)) {
    fail('embeddingWeights', 'must be finite numbers');
  }
  if (typeof weights.center !== 'number' || !Number.isFinite(weights.center)) fail('center', 'must be a number');
  if (typeof weights.temperature !== 'number' || !(weights.temperature > 0)) fail('temperature', 'must be positive');
  if (options.space !== undefined && weights.space !== null && weights.space !== options.space) {
    throw spaceMismatch(weights.space as string, options.space);
  }
  return weights as AttractivenessWeights;
}

function spaceMismatch(trained: string, actual: string): CopyForgeError {
  return new CopyForgeError(
    'CF_INVALID_CONFIG',
    `These attractiveness weights were trained on embedding space '${trained}', but the backend embeds into ` +
      `'${actual}'. Retrain with 'copyforge rm train attractiveness' on this model's embeddings.`,
    {
      issues: [{ path: '/space', rule: 'const', message: `'/space' must be '${actual}'` }],
      details: { trainedSpace: trained, backendSpace: actual },
    },
  );
}

/** Raw score `w·[embedding; lexical]` of one title. */
export function rawAttractiveness(
  weights: AttractivenessWeights,
  title: string,
  embedding?: readonly number[],
): number {
  let sum = 0;
  if (weights.dimension > 0) {
    for (let index = 0; index < weights.dimension; index++) {
      sum += (weights.embeddingWeights[index] as number) * ((embedding?.[index] as number) ?? 0);
    }
  }
  lexicalFeatures(title).forEach((value, index) => {
    sum += (weights.lexicalWeights[index] as number) * value;
  });
  return sum;
}

/** Calibrated probability that `better` is preferred to `worse`: σ(Δ / T). */
export function preferenceProbability(weights: AttractivenessWeights, better: number, worse: number): number {
  return sigmoid((better - worse) / weights.temperature);
}

/** Scores titles: σ((s − center) / T), the chance of beating an average training title. */
export async function scoreAttractiveness(
  titles: readonly string[],
  weights: AttractivenessWeights,
  backend: ModelBackendV1 | undefined,
  signal?: AbortSignal,
): Promise<RewardScoreV1[]> {
  let embeddings: number[][] | undefined;
  if (weights.dimension > 0) {
    if (!backend?.embed) {
      throw new CopyForgeError(
        'CF_CAPABILITY_MISSING',
        'The attractiveness model needs a backend with embed(); this one has none.',
      );
    }
    const result = await backend.embed({ texts: [...titles], signal });
    if (weights.space !== null && result.space !== weights.space) throw spaceMismatch(weights.space, result.space);
    if (result.embeddings.some((vector) => vector.length !== weights.dimension)) {
      throw new CopyForgeError(
        'CF_INVALID_CONFIG',
        `The backend's embeddings do not have the ${weights.dimension} dimensions these weights expect.`,
      );
    }
    embeddings = result.embeddings;
  }
  return titles.map((title, index) => {
    const raw = rawAttractiveness(weights, title, embeddings?.[index]);
    const score = sigmoid((raw - weights.center) / weights.temperature);
    return {
      score,
      verdict: 'pass',
      reasons: [
        { code: 'attractiveness', message: `Preferred to an average training title with p=${score.toFixed(2)}.` },
      ],
    };
  });
}

/**
 * The built-in attractiveness reward model (role `rank`): a linear head on the backend's
 * embeddings plus lexical features, trained with a pairwise loss. Weights carry their
 * embedding space; scoring with a backend of another space fails with `CF_INVALID_CONFIG`
 * (the host turns that into verdict `unknown`).
 *
 * @example
 * const attractiveness = createAttractivenessRewardModel({ weights: JSON.parse(readFileSync('weights.json', 'utf8')) });
 */
export function createAttractivenessRewardModel(options: { weights: AttractivenessWeights }): RewardModelV1 {
  const weights = parseAttractivenessWeights(options.weights);
  return defineRewardModel({
    name: 'attractiveness',
    version: '1.0.0',
    role: 'rank',
    configSchema: { type: 'object', additionalProperties: false, properties: {} },
    scoreBatch(candidates, context) {
      return scoreAttractiveness(
        candidates.map((candidate) => candidate.title),
        weights,
        context.backend,
        context.signal,
      );
    },
  });
}
