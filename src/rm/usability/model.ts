import { CopyForgeError } from '../../core/errors.js';
import { defineRewardModel } from '../../core/spec-host.js';
import type { Note } from '../../schemas/types.js';
import type { ModelBackendV1 } from '../../spec/model-backend-v1.js';
import type { RewardModelV1, RewardReasonV1, RewardScoreV1 } from '../../spec/reward-model-v1.js';
import { predictLogistic } from '../learning.js';
import { isChineseText } from '../text.js';
import defaultWeightsJson from './default-weights.json';
import {
  computeUsabilityFeatures,
  defaultLengthBounds,
  type LengthBounds,
  toFeatureVector,
  usabilityFeatureNames,
} from './features.js';

/** A trained usability model as stored in JSON. */
export interface UsabilityWeights {
  /** Marks the file's kind. */
  kind: 'copyforge.usability-weights';
  /** File format version. */
  formatVersion: 1;
  /** Feature names, in weight order; must equal {@link usabilityFeatureNames}. */
  featureNames: string[];
  /** One weight per feature; negative weights penalise. */
  weights: number[];
  /** Intercept. */
  bias: number;
  /** Whether training saw backend fluency; when false, fluency is reported but not scored. */
  fluency: boolean;
  /** How the weights were made and how well they did, for provenance. */
  provenance?: Record<string, unknown>;
}

/** Config of the usability reward model, validated against its `configSchema`. */
export interface UsabilityConfig {
  /** Minimum P(usable) for `pass`. @default 0.5 */
  threshold?: number;
  /** Length bounds per language. @default defaultLengthBounds */
  lengthBounds?: Partial<LengthBounds>;
  /** Extra product words to check against the note (its tags are always added). @example ['洗地机'] */
  productLexicon?: string[];
  /**
   * Ask the backend's `scoreText` for fluency. It costs a scoring pass per title, so by default
   * it is measured only when the weights score it (`weights.fluency`); `true` measures and
   * reports it either way. @default weights.fluency
   */
  fluency?: boolean;
}

const lengthBoundsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.keys(defaultLengthBounds).map((key) => [key, { type: 'integer', minimum: 1, maximum: 1000 }]),
  ),
};

/** JSON Schema of {@link UsabilityConfig}. */
export const usabilityConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    lengthBounds: lengthBoundsSchema,
    productLexicon: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10_000 },
    fluency: { type: 'boolean' },
  },
} as const;

/**
 * Checks that `value` is usability weights this version can use; throws
 * `CF_INVALID_CONFIG` naming the field otherwise.
 */
export function parseUsabilityWeights(value: unknown): UsabilityWeights {
  const weights = value as Partial<UsabilityWeights> | null;
  const fail = (field: string, message: string): never => {
    throw new CopyForgeError('CF_INVALID_CONFIG', `Invalid usability weights: '/${field}' ${message}.`, {
      issues: [{ path: `/${field}`, rule: 'type', message: `'/${field}' ${message}` }],
    });
  };
  if (typeof weights !== 'object' || weights === null) return fail('', 'must be an object');
  if (weights.kind !== 'copyforge.usability-weights') fail('kind', "must be 'copyforge.usability-weights'");
  if (weights.formatVersion !== 1) fail('formatVersion', 'must be 1');
  const names = weights.featureNames;
  // Weights from an earlier release (before `wrongLanguage`, `bareLabel`, ... existed): every
  // feature they lack gets weight 0, so they score exactly as they did.
  const known: readonly string[] = usabilityFeatureNames;
  const given = weights.weights;
  if (
    Array.isArray(names) &&
    Array.isArray(given) &&
    names.length === given.length &&
    names.length < known.length &&
    names
      .map((name) => known.indexOf(name))
      .every((position, index, all) => position >= 0 && (index === 0 || position > (all[index - 1] as number)))
  ) {
    const byName = new Map(names.map((name, index) => [name, given[index] as number]));
    const upgraded = usabilityFeatureNames.map((name) => byName.get(name) ?? 0);
    return parseUsabilityWeights({ ...weights, featureNames: [...usabilityFeatureNames], weights: upgraded });
  }
  if (!Array.isArray(names) || names.join() !== usabilityFeatureNames.join()) {
    fail('featureNames', `must be [${usabilityFeatureNames.join(', ')}] (weights from another release)`);
  }
  if (
    !Array.isArray(weights.weights) ||
    weights.weights.length !== usabilityFeatureNames.length ||
    !weights.weights.every(Number.isFinite)
  ) {
    fail('weights', `must be ${usabilityFeatureNames.length} finite numbers`);
  }
  if (typeof weights.bias !== 'number' || !Number.isFinite(weights.bias)) fail('bias', 'must be a finite number');
  if (typeof weights.fluency !== 'boolean') fail('fluency', 'must be a boolean');
  return weights as UsabilityWeights;
}

/** The weights shipped with CopyForge (see docs/reward-models.md for how they were made). */
export const defaultUsabilityWeights: UsabilityWeights = parseUsabilityWeights(defaultWeightsJson);

/** Options for {@link createUsabilityRewardModel}. */
export interface UsabilityRewardModelOptions {
  /** Trained weights. @default defaultUsabilityWeights */
  weights?: UsabilityWeights;
}

/** Mean token log-likelihood of each title, or `undefined` per title when unavailable. */
export async function measureFluency(
  titles: readonly string[],
  note: Note,
  backend: ModelBackendV1 | undefined,
  signal: AbortSignal,
): Promise<{ values: (number | undefined)[]; reason?: RewardReasonV1 }> {
  if (!backend?.scoreText) {
    return {
      values: titles.map(() => undefined),
      reason: {
        code: 'fluency-unavailable',
        message: 'The backend has no scoreText capability; fluency was not measured.',
      },
    };
  }
  try {
    const prompt = isChineseText(note.body) ? '标题：' : 'Title: ';
    const result = await backend.scoreText({ prompt, continuations: [...titles], signal });
    return { values: result.scores.map((score) => score.meanLogLikelihood) };
  } catch (error) {
    if (signal.aborted) throw error;
    return {
      values: titles.map(() => undefined),
      reason: { code: 'fluency-unavailable', message: `scoreText failed: ${(error as Error).message}` },
    };
  }
}

/** Scores titles with a usability model, outside the host (training, evaluation, CLI). */
export async function scoreUsability(
  titles: readonly string[],
  note: Note,
  options: {
    weights?: UsabilityWeights;
    config?: UsabilityConfig;
    backend?: ModelBackendV1;
    signal?: AbortSignal;
  } = {},
): Promise<RewardScoreV1[]> {
  const weights = options.weights ?? defaultUsabilityWeights;
  const config = options.config ?? {};
  const signal = options.signal ?? new AbortController().signal;
  const fluency =
    (config.fluency ?? weights.fluency) === false
      ? { values: titles.map(() => undefined) }
      : await measureFluency(titles, note, options.backend, signal);
  const lengthBounds = { ...defaultLengthBounds, ...config.lengthBounds };
  const threshold = config.threshold ?? 0.5;
  return titles.map((title, index) => {
    const measured = fluency.values[index];
    const features = computeUsabilityFeatures(title, note, {
      lengthBounds,
      productLexicon: config.productLexicon,
      meanLogLikelihood: weights.fluency ? measured : undefined,
    });
    const reasons = [...features.reasons];
    if (!weights.fluency && measured !== undefined) {
      reasons.push({
        code: 'fluency-not-scored',
        message: `Mean token log-likelihood ${measured.toFixed(2)}; these weights were trained without fluency.`,
      });
    }
    if (fluency.reason) reasons.push(fluency.reason);
    const probability = predictLogistic(weights, toFeatureVector(features.values));
    return { score: probability, verdict: probability >= threshold ? 'pass' : 'fail', reasons };
  });
}

/**
 * The built-in usability reward model (role `veto`): a logistic model over noise,
 * truncation, entity-consistency and fluency features.
 *
 * @example
 * const host = await createRewardModelHost({ rewardModels: [createUsabilityRewardModel()] });
 */
export function createUsabilityRewardModel(options: UsabilityRewardModelOptions = {}): RewardModelV1<UsabilityConfig> {
  const weights = options.weights ? parseUsabilityWeights(options.weights) : defaultUsabilityWeights;
  return defineRewardModel<UsabilityConfig>({
    name: 'usability',
    version: '1.0.0',
    role: 'veto',
    configSchema: usabilityConfigSchema,
    scoreBatch(candidates, context) {
      return scoreUsability(
        candidates.map((candidate) => candidate.title),
        context.note,
        { weights, config: context.config, backend: context.backend, signal: context.signal },
      );
    },
  });
}
