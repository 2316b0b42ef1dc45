import { CopyForgeError } from '../core/errors.js';
import type { ModelBackendV1 } from '../spec/model-backend-v1.js';
import { addCounter, type CorpusDocument, recordDrop, type StageStats } from './stage.js';

/** The optional model-perplexity filter (runs on the main thread, after dedup). */
export interface PerplexityFilterOptions {
  /** A backend with `scoreText`, e.g. a small in-domain model through node-llama-cpp. */
  backend: ModelBackendV1;
  /**
   * Documents above this perplexity (exp of minus the mean token log-likelihood) are dropped.
   * @example 2000
   */
  maxPerplexity: number;
  /** Documents below this are dropped too (degenerate repetition scores very low). @default 0 */
  minPerplexity?: number;
  /** Texts per `scoreText` call. @default 16 */
  batchSize?: number;
  /** Prompt the texts are scored after. @default '' */
  prompt?: string;
  /** Characters of each text scored (long texts are cut). @default 2000 */
  maxCharacters?: number;
}

/** Scores documents with a backend and drops those outside the perplexity bounds. */
export class PerplexityFilter {
  readonly name = 'filter:perplexity';
  readonly #options: PerplexityFilterOptions;

  constructor(options: PerplexityFilterOptions) {
    if (typeof options.backend.scoreText !== 'function') {
      throw new CopyForgeError('CF_CAPABILITY_MISSING', `Backend '${options.backend.id}' has no scoreText.`);
    }
    this.#options = options;
  }

  /** Returns the documents that pass, recording drops in `stats`. */
  async filter(
    documents: readonly CorpusDocument[],
    stats: StageStats,
    maxExamples: number,
    signal?: AbortSignal,
  ): Promise<CorpusDocument[]> {
    const { backend, maxPerplexity } = this.#options;
    const minPerplexity = this.#options.minPerplexity ?? 0;
    const batchSize = this.#options.batchSize ?? 16;
    const maxCharacters = this.#options.maxCharacters ?? 2000;
    const kept: CorpusDocument[] = [];
    for (let start = 0; start < documents.length; start += batchSize) {
      const batch = documents.slice(start, start + batchSize);
      const request = {
        prompt: this.#options.prompt ?? '',
        continuations: batch.map((document) => document.text.slice(0, maxCharacters)),
        ...(signal ? { signal } : {}),
      };
      const result = await backend.scoreText!(request);
      for (let index = 0; index < batch.length; index++) {
        const document = batch[index]!;
        const score = result.scores[index];
        stats.seen++;
        if (!score || score.tokenCount === 0) {
          addCounter(stats, 'unscored');
          kept.push(document);
          continue;
        }
        const perplexity = Math.exp(-score.meanLogLikelihood);
        if (perplexity > maxPerplexity) {
          recordDrop(
            stats,
            document,
            { reason: 'high-perplexity', detail: `${perplexity.toFixed(1)} > ${maxPerplexity}` },
            maxExamples,
          );
        } else if (perplexity < minPerplexity) {
          recordDrop(
            stats,
            document,
            { reason: 'low-perplexity', detail: `${perplexity.toFixed(1)} < ${minPerplexity}` },
            maxExamples,
          );
        } else {
          kept.push(document);
        }
      }
    }
    return kept;
  }
}
