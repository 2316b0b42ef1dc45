import { CopyForgeError } from '../../core/errors.js';
import type { Note } from '../../schemas/types.js';
import type { ModelBackendV1 } from '../../spec/model-backend-v1.js';
import { type BinaryMetrics, binaryMetrics, fitLogistic, predictLogistic, round } from '../learning.js';
import { createRandom, shuffled } from '../text.js';
import { type AugmentationKind, augmentationKinds, augmentTitle, buildNamePool } from './augment.js';
import { computeUsabilityFeatures, toFeatureVector, usabilityFeatureNames } from './features.js';
import { measureFluency, type UsabilityWeights } from './model.js';

/** One labelled title. */
export interface LabelledTitle {
  /** The note the title was written for. */
  note: Note;
  /** The title. */
  title: string;
}

/** Options for {@link trainUsabilityRM}. */
export interface TrainUsabilityOptions {
  /** Usable titles. */
  positives: readonly LabelledTitle[];
  /** Unusable titles (hand-labelled). */
  negatives: readonly LabelledTitle[];
  /**
   * Add FactCC-style negatives made from the positives: `true` for every kind, or the
   * kinds to use. @default true
   */
  augment?: boolean | readonly AugmentationKind[];
  /** Ids of notes whose titles are held out for evaluation. @default a seeded 25% of the notes */
  holdoutNoteIds?: readonly string[];
  /** Seed for the split and augmentation. @default 1 */
  seed?: number;
  /** Backend whose `scoreText` provides fluency; without it the fluency feature is absent. */
  backend?: ModelBackendV1;
  /** Extra product words, for the checker and for entity swaps. @example ['扫地机器人'] */
  productLexicon?: readonly string[];
  /** Gradient steps. @default 3000 */
  epochs?: number;
  /** L2 penalty. @default 0.001 */
  l2?: number;
  /** Called as training moves on, for progress bars. */
  onProgress?: (stage: 'features' | 'fit' | 'evaluate', done: number, total: number) => void;
}

/** Detection metrics for unusable titles (the `fail` class is the positive class). */
export interface UsabilityMetrics {
  /** On the training split. */
  train: BinaryMetrics;
  /** On held-out notes' titles, authored and augmented. */
  holdout: BinaryMetrics;
  /** Held-out recall of each augmentation kind (share of its negatives that fail). */
  holdoutRecallByKind: Partial<Record<AugmentationKind | 'authored', number>>;
}

/** The result of {@link trainUsabilityRM}. */
export interface TrainUsabilityResult {
  /** Weights ready for `createUsabilityRewardModel({ weights })` or a JSON file. */
  weights: UsabilityWeights;
  /** How well they did. */
  metrics: UsabilityMetrics;
  /** Example counts by split and origin. */
  counts: { trainPositives: number; trainNegatives: number; holdoutPositives: number; holdoutNegatives: number };
}

interface Example {
  note: Note;
  title: string;
  label: number;
  origin: AugmentationKind | 'authored';
}

/**
 * Fits the usability model: a logistic regression (gradient descent, L2) over the
 * usability features, on hand-labelled titles plus augmented negatives. Titles are split
 * by note so held-out metrics are on notes the model never saw.
 *
 * @example
 * const { weights, metrics } = await trainUsabilityRM({ positives, negatives, augment: true });
 * console.log(metrics.holdout.f1);
 */
export async function trainUsabilityRM(options: TrainUsabilityOptions): Promise<TrainUsabilityResult> {
  if (options.positives.length === 0) {
    throw new CopyForgeError('CF_INVALID_CONFIG', "'positives' must contain at least one title.");
  }
  const seed = options.seed ?? 1;
  const random = createRandom(seed);
  const notes = new Map<string, Note>();
  for (const example of [...options.positives, ...options.negatives]) notes.set(example.note.id, example.note);
  const noteIds = [...notes.keys()].sort();
  const holdout = new Set(
    options.holdoutNoteIds ?? shuffled(noteIds, random).slice(0, Math.max(1, Math.round(noteIds.length / 4))),
  );
  const kinds =
    options.augment === false
      ? []
      : options.augment === true || options.augment === undefined
        ? augmentationKinds
        : options.augment;
  const namePool = buildNamePool(options.productLexicon);

  const examples: Example[] = [
    ...options.positives.map((example) => ({ ...example, label: 1, origin: 'authored' as const })),
    ...options.negatives.map((example) => ({ ...example, label: 0, origin: 'authored' as const })),
  ];
  const existing = new Set(examples.map((example) => `${example.note.id}\u0000${example.title}`));
  for (const positive of options.positives) {
    for (const kind of kinds) {
      const title = augmentTitle(positive.title, positive.note, kind, { random, namePool });
      if (!title || existing.has(`${positive.note.id}\u0000${title}`)) continue;
      existing.add(`${positive.note.id}\u0000${title}`);
      examples.push({ note: positive.note, title, label: 0, origin: kind });
    }
  }

  const rows: number[][] = [];
  const byNote = new Map<string, Example[]>();
  for (const example of examples) byNote.set(example.note.id, [...(byNote.get(example.note.id) ?? []), example]);
  const ordered = [...byNote.values()].flat();
  let done = 0;
  for (const [noteId, group] of byNote) {
    const note = notes.get(noteId) as Note;
    const fluency = options.backend
      ? await measureFluency(
          group.map((example) => example.title),
          note,
          options.backend,
          new AbortController().signal,
        )
      : undefined;
    group.forEach((example, index) => {
      const features = computeUsabilityFeatures(example.title, note, { meanLogLikelihood: fluency?.values[index] });
      rows.push(toFeatureVector(features.values));
    });
    done += group.length;
    options.onProgress?.('features', done, ordered.length);
  }

  const trainIndexes = ordered.flatMap((example, index) => (holdout.has(example.note.id) ? [] : [index]));
  const holdoutIndexes = ordered.flatMap((example, index) => (holdout.has(example.note.id) ? [index] : []));
  const trainLabels = trainIndexes.map((index) => (ordered[index] as Example).label);
  const positives = trainLabels.filter((label) => label === 1).length;
  options.onProgress?.('fit', 0, 1);
  const model = fitLogistic(
    trainIndexes.map((index) => rows[index] as number[]),
    trainLabels,
    {
      epochs: options.epochs,
      l2: options.l2,
      // Balance the classes: augmentation makes negatives outnumber positives.
      positiveWeight: positives === 0 ? 1 : (trainLabels.length - positives) / positives,
    },
  );
  options.onProgress?.('fit', 1, 1);

  const evaluate = (indexes: number[]) =>
    binaryMetrics(
      indexes.map((index) => predictLogistic(model, rows[index] as number[]) < 0.5),
      indexes.map((index) => (ordered[index] as Example).label === 0),
    );
  const holdoutRecallByKind: UsabilityMetrics['holdoutRecallByKind'] = {};
  for (const kind of ['authored', ...kinds] as const) {
    const negatives = holdoutIndexes.filter(
      (index) => (ordered[index] as Example).origin === kind && (ordered[index] as Example).label === 0,
    );
    if (negatives.length === 0) continue;
    const caught = negatives.filter((index) => predictLogistic(model, rows[index] as number[]) < 0.5).length;
    holdoutRecallByKind[kind] = round(caught / negatives.length);
  }
  const metrics: UsabilityMetrics = {
    train: roundMetrics(evaluate(trainIndexes)),
    holdout: roundMetrics(evaluate(holdoutIndexes)),
    holdoutRecallByKind,
  };
  options.onProgress?.('evaluate', 1, 1);
  const count = (indexes: number[], label: number) =>
    indexes.filter((index) => (ordered[index] as Example).label === label).length;
  return {
    weights: {
      kind: 'copyforge.usability-weights',
      formatVersion: 1,
      featureNames: [...usabilityFeatureNames],
      weights: model.weights.map((weight) => round(weight)),
      bias: round(model.bias),
      fluency: options.backend?.scoreText !== undefined,
      provenance: {
        trainedAt: new Date().toISOString(),
        seed,
        augmentation: [...kinds],
        holdoutNoteIds: [...holdout].sort(),
        metrics,
      },
    },
    metrics,
    counts: {
      trainPositives: count(trainIndexes, 1),
      trainNegatives: count(trainIndexes, 0),
      holdoutPositives: count(holdoutIndexes, 1),
      holdoutNegatives: count(holdoutIndexes, 0),
    },
  };
}

function roundMetrics(metrics: BinaryMetrics): BinaryMetrics {
  return {
    count: metrics.count,
    accuracy: round(metrics.accuracy),
    precision: round(metrics.precision),
    recall: round(metrics.recall),
    f1: round(metrics.f1),
  };
}
