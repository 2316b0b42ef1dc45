import type { Note } from '../schemas/types.js';
import { coverage } from './salient.js';
import { countValues, ngrams, tokenizeForEvaluation } from './text.js';

/** distinct-n of a set of titles: distinct n-grams over all n-grams. */
export interface DistinctResult {
  /** Number of different n-grams. */
  distinct: number;
  /** Number of n-gram occurrences. */
  total: number;
  /** `distinct / total`; `null` when there are no n-grams at all. */
  ratio: number | null;
}

/**
 * distinct-n (Li et al. 2016): distinct n-grams divided by n-gram occurrences over all
 * `titles` together. Tokens come from {@link tokenizeForEvaluation}: characters on CJK,
 * words on Latin text.
 *
 * @example
 * distinctN(['the red bag', 'the blue bag'], 1); // { distinct: 4, total: 6, ratio: 0.667 }
 */
export function distinctN(titles: readonly string[], n: number): DistinctResult {
  const all = titles.flatMap((title) => ngrams(tokenizeForEvaluation(title), n));
  const distinct = new Set(all).size;
  return { distinct, total: all.length, ratio: all.length === 0 ? null : distinct / all.length };
}

/** Options for {@link sentenceBleu}. */
export interface BleuOptions {
  /** Highest n-gram order; weights are uniform, `1 / maxOrder` each. @default 4 */
  maxOrder?: number;
  /** Count added to a zero match count (Chen & Cherry 2014, method 1). @default 0.1 */
  epsilon?: number;
}

/**
 * Sentence BLEU of one tokenised hypothesis against tokenised references, computed as
 * NLTK's `sentence_bleu(references, hypothesis, smoothing_function=SmoothingFunction().method1)`:
 * uniform weights, clipped n-gram precision (clip = the most a single reference holds),
 * an order with no match gets `epsilon / max(1, n-grams in hypothesis)` (Chen & Cherry
 * method 1), brevity penalty against the closest reference length, and 0 when not
 * even one unigram matches.
 */
export function sentenceBleu(
  references: readonly (readonly string[])[],
  hypothesis: readonly string[],
  options: BleuOptions = {},
): number {
  const maxOrder = options.maxOrder ?? 4;
  const epsilon = options.epsilon ?? 0.1;
  if (hypothesis.length === 0 || references.length === 0) return 0;
  const precisions: number[] = [];
  for (let order = 1; order <= maxOrder; order++) {
    const counts = countValues(ngrams(hypothesis, order));
    const referenceCounts = references.map((reference) => countValues(ngrams(reference, order)));
    let matched = 0;
    let total = 0;
    for (const [gram, count] of counts) {
      const most = Math.max(0, ...referenceCounts.map((referenceCount) => referenceCount.get(gram) ?? 0));
      matched += Math.min(count, most);
      total += count;
    }
    if (order === 1 && matched === 0) return 0;
    const denominator = Math.max(1, total);
    precisions.push(matched === 0 ? epsilon / denominator : matched / denominator);
  }
  const hypothesisLength = hypothesis.length;
  const closest = references
    .map((reference) => reference.length)
    .reduce((best, length) => {
      const distance = Math.abs(length - hypothesisLength);
      const bestDistance = Math.abs(best - hypothesisLength);
      return distance < bestDistance || (distance === bestDistance && length < best) ? length : best;
    });
  const brevityPenalty = hypothesisLength > closest ? 1 : Math.exp(1 - closest / hypothesisLength);
  const logMean = precisions.reduce((sum, precision) => sum + Math.log(precision) / maxOrder, 0);
  return brevityPenalty * Math.exp(logMean);
}

/**
 * Self-BLEU (Zhu et al. 2018): the mean sentence BLEU of each title against all other
 * titles of the same set. Lower means more diverse. `null` with fewer than two titles.
 * BLEU-4, uniform weights, Chen & Cherry smoothing method 1 (see {@link sentenceBleu});
 * CJK text is scored with characters as tokens.
 *
 * @example
 * selfBleu(['防晒霜推荐', '防晒霜测评']); // 0.2659 (see the unit test for the hand computation)
 */
export function selfBleu(titles: readonly string[], options: BleuOptions = {}): number | null {
  if (titles.length < 2) return null;
  const tokenised = titles.map(tokenizeForEvaluation);
  let sum = 0;
  for (let index = 0; index < tokenised.length; index++) {
    const references = tokenised.filter((_, other) => other !== index);
    sum += sentenceBleu(references, tokenised[index] ?? [], options);
  }
  return sum / tokenised.length;
}

/**
 * Novelty: the share of the titles' n-gram occurrences that do not occur in the note's
 * original title. 1 means nothing was copied from it. `null` when the original title is
 * empty or the titles have no n-grams.
 *
 * @example
 * novelty(['best travel backpack'], 'My travel backpack', 1); // 1 of 3 words is new → 0.333
 */
export function novelty(titles: readonly string[], originalTitle: string, n: number): number | null {
  const original = new Set(ngrams(tokenizeForEvaluation(originalTitle), n));
  if (original.size === 0) return null;
  const all = titles.flatMap((title) => ngrams(tokenizeForEvaluation(title), n));
  if (all.length === 0) return null;
  return all.filter((gram) => !original.has(gram)).length / all.length;
}

/** One note's titles from one system, the unit {@link diversityReport} scores. */
export interface NoteTitles {
  /** The note's id. */
  noteId: string;
  /** The note, when known; coverage and novelty need it. */
  note?: Note;
  /** The system's titles for this note. */
  titles: readonly string[];
}

/** Diversity metrics of one note's titles; `null` where the metric is undefined. */
export interface NoteDiversity {
  /** The note's id. */
  noteId: string;
  /** Number of titles scored. */
  titleCount: number;
  /** distinct-1 within the note. */
  distinct1: number | null;
  /** distinct-2 within the note. */
  distinct2: number | null;
  /** Self-BLEU-4 within the note (lower is more diverse). */
  selfBleu: number | null;
  /** Share of the note's salient items found in at least one title. */
  coverage: number | null;
  /** Share of title unigrams absent from the note's original title. */
  novelty1: number | null;
  /** Share of title bigrams absent from the note's original title. */
  novelty2: number | null;
}

/** The metric names of {@link NoteDiversity}, in report order. */
export const diversityMetrics = ['distinct1', 'distinct2', 'selfBleu', 'coverage', 'novelty1', 'novelty2'] as const;

/** One of {@link diversityMetrics}. */
export type DiversityMetric = (typeof diversityMetrics)[number];

/** Diversity of a whole system: per note, macro means, and corpus-level distinct-n. */
export interface DiversityReport {
  /** One entry per note, in input order. */
  perNote: NoteDiversity[];
  /** Mean of each metric over the notes where it is defined (`null` when none is). */
  mean: Record<DiversityMetric, number | null>;
  /** distinct-1 over all titles of all notes pooled together. */
  pooledDistinct1: number | null;
  /** distinct-2 over all titles of all notes pooled together. */
  pooledDistinct2: number | null;
  /** Total number of titles. */
  titleCount: number;
}

/** Scores one note's titles with every diversity metric. */
export function noteDiversity(entry: NoteTitles, options: BleuOptions = {}): NoteDiversity {
  const originalTitle = entry.note?.title ?? '';
  return {
    noteId: entry.noteId,
    titleCount: entry.titles.length,
    distinct1: distinctN(entry.titles, 1).ratio,
    distinct2: distinctN(entry.titles, 2).ratio,
    selfBleu: selfBleu(entry.titles, options),
    coverage: entry.note ? coverage(entry.note, entry.titles).ratio : null,
    novelty1: novelty(entry.titles, originalTitle, 1),
    novelty2: novelty(entry.titles, originalTitle, 2),
  };
}

/** Mean of the defined values; `null` when none is defined. */
export function meanOfDefined(values: readonly (number | null)[]): number | null {
  const defined = values.filter((value): value is number => value !== null);
  return defined.length === 0 ? null : defined.reduce((sum, value) => sum + value, 0) / defined.length;
}

/**
 * Diversity of a system's titles, per note and overall. Overall values are macro means
 * over notes; distinct-n is also given pooled over every title (corpus-level).
 *
 * @example
 * const ours = diversityReport(results.map((r) => ({ noteId: r.noteId, note: r.note, titles })));
 * console.log(ours.mean.selfBleu, ours.mean.coverage);
 */
export function diversityReport(entries: readonly NoteTitles[], options: BleuOptions = {}): DiversityReport {
  const perNote = entries.map((entry) => noteDiversity(entry, options));
  const mean = Object.fromEntries(
    diversityMetrics.map((metric) => [metric, meanOfDefined(perNote.map((note) => note[metric]))]),
  ) as Record<DiversityMetric, number | null>;
  const allTitles = entries.flatMap((entry) => entry.titles);
  return {
    perNote,
    mean,
    pooledDistinct1: distinctN(allTitles, 1).ratio,
    pooledDistinct2: distinctN(allTitles, 2).ratio,
    titleCount: allTitles.length,
  };
}
