import { CopyForgeError } from '../../core/errors.js';
import { round, sigmoid, softplus } from '../learning.js';
import { createRandom, shuffled } from '../text.js';
import { type AttractivenessWeights, lexicalFeatureNames, lexicalFeatures } from './model.js';

/** One human-ranked list of titles for the same note, best first. */
export interface RankedList {
  /** Titles, best first. */
  titles: readonly string[];
  /** One embedding per title, from the backend whose space is given to the trainer. */
  embeddings?: readonly (readonly number[])[];
}

/** Options for {@link trainAttractivenessRM}. */
export interface TrainAttractivenessOptions {
  /** Embedding space of the lists' embeddings (`EmbedResultV1.space`); required with embeddings. */
  space?: string;
  /** Share of lists held out for pair accuracy and temperature fitting. @default 0.2 */
  holdoutFraction?: number;
  /** Passes over the training pairs. @default 30 */
  epochs?: number;
  /** Adam step size. @default 0.01 */
  learningRate?: number;
  /** L2 penalty. @default 0.0001 */
  l2?: number;
  /**
   * Pairs per gradient step, at most. A step takes whole lists (6 lists of 5 at the default;
   * one list when a list alone has more pairs), so each title is scored once per step. @default 64
   */
  batchSize?: number;
  /** Seed of the split and the pair order. @default 1 */
  seed?: number;
  /** Called after each epoch, for progress bars. */
  onEpoch?: (epoch: number, epochs: number, trainLoss: number) => void;
}

/** Held-out quality of an attractiveness head. */
export interface AttractivenessMetrics {
  /** Training pairs. */
  trainPairs: number;
  /** Held-out pairs. */
  holdoutPairs: number;
  /** Share of held-out pairs ordered correctly. */
  holdoutPairAccuracy: number;
  /** Mean s_better − s_worse on held-out pairs. */
  holdoutMeanMargin: number;
  /** Mean −log σ(Δ/T) on held-out pairs, with the fitted temperature. */
  holdoutLogLoss: number;
  /** Share of training pairs ordered correctly. */
  trainPairAccuracy: number;
  /** The fitted temperature T. */
  temperature: number;
}

/** The result of {@link trainAttractivenessRM}. */
export interface TrainAttractivenessResult {
  /** Weights for `createAttractivenessRewardModel({ weights })` or a JSON file. */
  weights: AttractivenessWeights;
  /** Held-out metrics. */
  metrics: AttractivenessMetrics;
}

/** Expands ranked lists into (better, worse) index pairs over a flat item array: K(K−1)/2 per list. */
export function expandPairs(listSizes: readonly number[]): { better: number; worse: number; list: number }[] {
  const pairs: { better: number; worse: number; list: number }[] = [];
  let offset = 0;
  listSizes.forEach((size, list) => {
    for (let better = 0; better < size; better++) {
      for (let worse = better + 1; worse < size; worse++)
        pairs.push({ better: offset + better, worse: offset + worse, list });
    }
    offset += size;
  });
  return pairs;
}

/** Finds T > 0 minimising the mean −log σ(Δ/T) of the margins (golden-section search on log T). */
export function fitTemperature(margins: readonly number[]): number {
  if (margins.length === 0) return 1;
  const loss = (logT: number) => {
    const temperature = Math.exp(logT);
    let total = 0;
    for (const margin of margins) total += softplus(-margin / temperature);
    return total / margins.length;
  };
  let low = Math.log(1e-3);
  let high = Math.log(1e3);
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let step = 0; step < 80; step++) {
    const left = high - ratio * (high - low);
    const right = low + ratio * (high - low);
    if (loss(left) < loss(right)) high = right;
    else low = left;
  }
  return Math.exp((low + high) / 2);
}

/** `weights · features[base .. base + width)`, with four partial sums to shorten the add chain. */
function dot(weights: Float64Array, features: Float64Array, base: number, width: number): number {
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  let column = 0;
  for (; column + 3 < width; column += 4) {
    const at = base + column;
    sum0 += (weights[column] as number) * (features[at] as number);
    sum1 += (weights[column + 1] as number) * (features[at + 1] as number);
    sum2 += (weights[column + 2] as number) * (features[at + 2] as number);
    sum3 += (weights[column + 3] as number) * (features[at + 3] as number);
  }
  for (; column < width; column++) sum0 += (weights[column] as number) * (features[base + column] as number);
  return sum0 + sum1 + sum2 + sum3;
}

/** `target += scale · features[base .. base + width)`. */
function addScaled(target: Float64Array, features: Float64Array, base: number, width: number, scale: number): void {
  if (scale === 0) return;
  let column = 0;
  for (; column + 3 < width; column += 4) {
    const at = base + column;
    target[column] = (target[column] as number) + scale * (features[at] as number);
    target[column + 1] = (target[column + 1] as number) + scale * (features[at + 1] as number);
    target[column + 2] = (target[column + 2] as number) + scale * (features[at + 2] as number);
    target[column + 3] = (target[column + 3] as number) + scale * (features[at + 3] as number);
  }
  for (; column < width; column++)
    target[column] = (target[column] as number) + scale * (features[base + column] as number);
}

/**
 * Trains the attractiveness head with the pairwise (Bradley–Terry / RankNet) loss
 * −log σ(s_better − s_worse) plus L2, by mini-batch Adam in plain TypeScript. Each list of
 * K titles gives K(K−1)/2 pairs. A step takes whole lists and sums each title's pair
 * derivatives before touching its features, so it reads K feature rows per list instead of
 * K(K−1). Lists, not pairs, are held out, so held-out accuracy is on unseen titles. The
 * temperature of P(a ≻ b) = σ(Δ/T) is fitted on held-out pairs.
 *
 * @example
 * const { weights, metrics } = trainAttractivenessRM(lists, { space: embedResult.space });
 */
export function trainAttractivenessRM(
  rankedLists: readonly RankedList[],
  options: TrainAttractivenessOptions = {},
): TrainAttractivenessResult {
  const lists = rankedLists.filter((list) => list.titles.length >= 2);
  if (lists.length < 2) {
    throw new CopyForgeError('CF_INVALID_CONFIG', 'Training needs at least two ranked lists of two or more titles.');
  }
  const dimension = lists[0]?.embeddings?.[0]?.length ?? 0;
  lists.forEach((list, index) => {
    const ok =
      dimension === 0
        ? list.embeddings === undefined
        : list.embeddings?.length === list.titles.length &&
          list.embeddings.every((vector) => vector.length === dimension);
    if (!ok) {
      throw new CopyForgeError(
        'CF_INVALID_CONFIG',
        `Ranked list ${index} must have one ${dimension}-dimensional embedding per title, like the first list.`,
        {
          issues: [
            { path: `/${index}/embeddings`, rule: 'dimension', message: `'/${index}/embeddings' has the wrong shape` },
          ],
        },
      );
    }
  });
  if (dimension > 0 && !options.space) {
    throw new CopyForgeError('CF_INVALID_CONFIG', "'space' is required when the lists carry embeddings.", {
      issues: [{ path: '/space', rule: 'required', message: "'/space' is required" }],
    });
  }
  const random = createRandom(options.seed ?? 1);
  const order = shuffled(
    lists.map((_, index) => index),
    random,
  );
  const holdoutCount = Math.max(1, Math.round(lists.length * (options.holdoutFraction ?? 0.2)));
  const holdoutLists = new Set(order.slice(0, holdoutCount));

  // Flatten every title into one row-major matrix: [embedding; lexical].
  const width = dimension + lexicalFeatureNames.length;
  const sizes = lists.map((list) => list.titles.length);
  const itemCount = sizes.reduce((sum, size) => sum + size, 0);
  const features = new Float64Array(itemCount * width);
  let row = 0;
  for (const list of lists) {
    list.titles.forEach((title, index) => {
      const base = row * width;
      const embedding = list.embeddings?.[index];
      for (let column = 0; column < dimension; column++) features[base + column] = embedding?.[column] as number;
      lexicalFeatures(title).forEach((value, column) => {
        features[base + dimension + column] = value;
      });
      row++;
    });
  }
  const offsets: number[] = [];
  sizes.reduce((offset, size) => {
    offsets.push(offset);
    return offset + size;
  }, 0);
  const pairs = expandPairs(sizes);
  const trainPairs = pairs.filter((pair) => !holdoutLists.has(pair.list));
  const holdoutPairs = pairs.filter((pair) => holdoutLists.has(pair.list));
  const trainLists = lists.map((_, index) => index).filter((index) => !holdoutLists.has(index));

  const weights = new Float64Array(width);
  // Adam state.
  const firstMoment = new Float64Array(width);
  const secondMoment = new Float64Array(width);
  const gradient = new Float64Array(width);
  // Per step: each title's score, and the sum of its pairs' loss derivatives.
  const itemScores = new Float64Array(itemCount);
  const itemCoefficients = new Float64Array(itemCount);
  const stepItems = new Int32Array(itemCount);
  const learningRate = options.learningRate ?? 0.01;
  const l2 = options.l2 ?? 0.0001;
  const batchSize = options.batchSize ?? 64;
  const epochs = options.epochs ?? 30;
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const epochOrder = shuffled(trainLists, random);
    let epochLoss = 0;
    let next = 0;
    while (next < epochOrder.length) {
      // Whole lists while the step stays within batchSize pairs (at least one list).
      let stepItemCount = 0;
      let stepPairCount = 0;
      while (next < epochOrder.length) {
        const list = epochOrder[next] as number;
        const size = sizes[list] as number;
        if (stepPairCount > 0 && stepPairCount + (size * (size - 1)) / 2 > batchSize) break;
        next++;
        const offset = offsets[list] as number;
        for (let position = 0; position < size; position++) {
          const item = offset + position;
          itemScores[item] = dot(weights, features, item * width, width);
          itemCoefficients[item] = 0;
          stepItems[stepItemCount++] = item;
        }
        for (let better = offset; better < offset + size; better++) {
          for (let worse = better + 1; worse < offset + size; worse++) {
            const margin = (itemScores[better] as number) - (itemScores[worse] as number);
            epochLoss += softplus(-margin);
            // d/dw −log σ(m) = −σ(−m) (x_better − x_worse)
            const coefficient = sigmoid(-margin);
            itemCoefficients[better] = (itemCoefficients[better] as number) - coefficient;
            itemCoefficients[worse] = (itemCoefficients[worse] as number) + coefficient;
          }
        }
        stepPairCount += (size * (size - 1)) / 2;
      }
      gradient.fill(0);
      for (let index = 0; index < stepItemCount; index++) {
        const item = stepItems[index] as number;
        addScaled(gradient, features, item * width, width, (itemCoefficients[item] as number) / stepPairCount);
      }
      step++;
      const firstCorrection = 1 - beta1 ** step;
      const secondCorrection = 1 - beta2 ** step;
      for (let column = 0; column < width; column++) {
        const value = (gradient[column] as number) + l2 * (weights[column] as number);
        const first = beta1 * (firstMoment[column] as number) + (1 - beta1) * value;
        const second = beta2 * (secondMoment[column] as number) + (1 - beta2) * value * value;
        firstMoment[column] = first;
        secondMoment[column] = second;
        weights[column] =
          (weights[column] as number) -
          (learningRate * (first / firstCorrection)) / (Math.sqrt(second / secondCorrection) + epsilon);
      }
    }
    options.onEpoch?.(epoch + 1, epochs, trainPairs.length === 0 ? 0 : epochLoss / trainPairs.length);
  }

  const scores = Array.from({ length: itemCount }, (_, item) => dot(weights, features, item * width, width));
  const margins = (selected: typeof pairs) =>
    selected.map((pair) => (scores[pair.better] as number) - (scores[pair.worse] as number));
  const holdoutMargins = margins(holdoutPairs);
  const trainMargins = margins(trainPairs);
  const accuracy = (values: number[]) =>
    values.length === 0 ? 0 : values.filter((value) => value > 0).length / values.length;
  const temperature = fitTemperature(holdoutMargins);
  const holdoutLogLoss =
    holdoutMargins.reduce((sum, margin) => sum + softplus(-margin / temperature), 0) /
    Math.max(1, holdoutMargins.length);
  const trainItems = lists.flatMap((list, index) =>
    holdoutLists.has(index) ? [] : list.titles.map((_, position) => (offsets[index] as number) + position),
  );
  const center = trainItems.reduce((sum, item) => sum + (scores[item] as number), 0) / Math.max(1, trainItems.length);
  const metrics: AttractivenessMetrics = {
    trainPairs: trainPairs.length,
    holdoutPairs: holdoutPairs.length,
    holdoutPairAccuracy: round(accuracy(holdoutMargins)),
    holdoutMeanMargin: round(
      holdoutMargins.reduce((sum, value) => sum + value, 0) / Math.max(1, holdoutMargins.length),
    ),
    holdoutLogLoss: round(holdoutLogLoss),
    trainPairAccuracy: round(accuracy(trainMargins)),
    temperature: round(temperature, 6),
  };
  return {
    weights: {
      kind: 'copyforge.attractiveness-weights',
      formatVersion: 1,
      space: dimension > 0 ? (options.space as string) : null,
      dimension,
      embeddingWeights: Array.from(weights.subarray(0, dimension), (value) => round(value, 6)),
      lexicalFeatureNames: [...lexicalFeatureNames],
      lexicalWeights: Array.from(weights.subarray(dimension), (value) => round(value, 6)),
      center: round(center, 6),
      temperature: round(temperature, 6),
      provenance: { trainedAt: new Date().toISOString(), seed: options.seed ?? 1, lists: lists.length, metrics },
    },
    metrics,
  };
}
