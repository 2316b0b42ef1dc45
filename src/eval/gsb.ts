import { CopyForgeError } from '../core/errors.js';
import { createSeededRandom, randomInteger } from '../core/random.js';

/**
 * A side-by-side verdict from the system's point of view: `good` when the system's
 * titles are better than the baseline's, `bad` when worse, `same` otherwise.
 */
export type GsbVerdict = 'good' | 'same' | 'bad';

/** The GSB verdicts, in display order. */
export const gsbVerdicts: readonly GsbVerdict[] = ['good', 'same', 'bad'];

/** Counts and score of a set of GSB verdicts. */
export interface GsbResult {
  /** Number of `good` verdicts. */
  good: number;
  /** Number of `same` verdicts. */
  same: number;
  /** Number of `bad` verdicts. */
  bad: number;
  /** All verdicts counted. */
  total: number;
  /** `(good − bad) / (good + same + bad)`, in [−1, 1]; `null` without verdicts. */
  score: number | null;
}

/**
 * GSB score: (G − B) / (G + S + B). Positive means the system wins more often than it
 * loses against the baseline.
 *
 * @example
 * computeGsb(['good', 'good', 'same', 'bad']).score; // (2 − 1) / 4 = 0.25
 */
export function computeGsb(verdicts: readonly GsbVerdict[]): GsbResult {
  let good = 0;
  let same = 0;
  let bad = 0;
  for (const verdict of verdicts) {
    if (verdict === 'good') good++;
    else if (verdict === 'same') same++;
    else if (verdict === 'bad') bad++;
    else throw new CopyForgeError('CF_INVALID_CONFIG', `Unknown GSB verdict ${JSON.stringify(verdict)}.`);
  }
  const total = good + same + bad;
  return { good, same, bad, total, score: total === 0 ? null : (good - bad) / total };
}

/** Options for {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** Number of resamples. @default 2000 */
  resamples?: number;
  /** Coverage of the interval. @default 0.95 */
  confidence?: number;
  /** Seed of the resampler. @default 1 */
  seed?: number;
}

/** A bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** Lower bound. */
  lower: number;
  /** Upper bound. */
  upper: number;
  /** Coverage, e.g. 0.95. */
  confidence: number;
  /** Number of resamples it rests on. */
  resamples: number;
}

function quantile(sorted: readonly number[], probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (position - below);
}

/**
 * Seeded percentile bootstrap interval of the GSB score: resample the verdicts with
 * replacement, recompute (G − B) / N each time, take the (1 − c)/2 and (1 + c)/2
 * quantiles (linear interpolation). `null` without verdicts.
 *
 * @example
 * const { lower, upper } = bootstrapInterval(verdicts, { seed: 7 }) ?? { lower: 0, upper: 0 };
 */
export function bootstrapInterval(
  verdicts: readonly GsbVerdict[],
  options: BootstrapOptions = {},
): ConfidenceInterval | null {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1) || !Number.isInteger(resamples) || resamples < 1) {
    throw new CopyForgeError('CF_INVALID_CONFIG', 'confidence must be in (0, 1) and resamples a positive integer.');
  }
  if (verdicts.length === 0) return null;
  const values = verdicts.map((verdict) => (verdict === 'good' ? 1 : verdict === 'bad' ? -1 : 0));
  const random = createSeededRandom(options.seed ?? 1);
  const scores: number[] = [];
  for (let round = 0; round < resamples; round++) {
    let sum = 0;
    for (let draw = 0; draw < values.length; draw++) sum += values[randomInteger(random, values.length)] ?? 0;
    scores.push(sum / values.length);
  }
  scores.sort((left, right) => left - right);
  return {
    lower: quantile(scores, (1 - confidence) / 2),
    upper: quantile(scores, (1 + confidence) / 2),
    confidence,
    resamples,
  };
}

/** Agreement between two raters on the same items. */
export interface AgreementResult {
  /** Items both raters judged. */
  items: number;
  /** Share of those items with the same verdict. */
  percentAgreement: number | null;
  /**
   * Cohen's kappa, (p_o − p_e) / (1 − p_e), with p_e from each rater's own verdict
   * shares. `null` without items, or when p_e = 1 (both raters used one same category).
   */
  kappa: number | null;
}

/**
 * Percent agreement and Cohen's kappa between two lists of verdicts on the same items
 * (`first[i]` and `second[i]` judge the same item).
 *
 * @example
 * cohenAgreement(['good', 'bad'], ['good', 'same']); // { items: 2, percentAgreement: 0.5, kappa: ... }
 */
export function cohenAgreement(first: readonly GsbVerdict[], second: readonly GsbVerdict[]): AgreementResult {
  if (first.length !== second.length) {
    throw new CopyForgeError('CF_INVALID_CONFIG', 'Both raters must judge the same number of items.');
  }
  const items = first.length;
  if (items === 0) return { items, percentAgreement: null, kappa: null };
  let agreed = 0;
  for (let index = 0; index < items; index++) if (first[index] === second[index]) agreed++;
  const observed = agreed / items;
  let expected = 0;
  for (const verdict of gsbVerdicts) {
    const firstShare = first.filter((value) => value === verdict).length / items;
    const secondShare = second.filter((value) => value === verdict).length / items;
    expected += firstShare * secondShare;
  }
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { items, percentAgreement: observed, kappa };
}
