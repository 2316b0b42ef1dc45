import { CopyForgeError } from '../core/errors.js';
import { createSeededRandom, shuffled } from '../core/random.js';

/** One original note–title pair of the corpus: the baseline's sampling pool. */
export interface TitlePoolEntry {
  /** The note the title was written for. */
  noteId: string;
  /** The original title. */
  title: string;
}

/** Options for {@link sampleBaseline}. */
export interface SampleBaselineOptions {
  /** Titles per note, as many as the system generates. @default 12 */
  count?: number;
  /** Seed of the sampler; equal seeds give equal baselines. @default 1 */
  seed?: number;
  /**
   * Leave the note's own original title out of its sample, so novelty against that
   * title is not trivially 0. @default true
   */
  excludeOwnTitle?: boolean;
}

/** One note's baseline titles. */
export interface BaselineTitles {
  /** The note's id. */
  noteId: string;
  /** The sampled original titles. */
  titles: string[];
}

/**
 * The baseline of the source pipeline: for each note, `count` titles drawn at random
 * (seeded, without replacement) from the corpus's original note–title pairs. Empty
 * titles are not drawn. When the pool is smaller than `count`, all of it is used.
 *
 * @example
 * const baseline = sampleBaseline(notes.map((n) => ({ noteId: n.id, title: n.title })), noteIds, { seed: 7 });
 */
export function sampleBaseline(
  pool: readonly TitlePoolEntry[],
  noteIds: readonly string[],
  options: SampleBaselineOptions = {},
): BaselineTitles[] {
  const count = options.count ?? 12;
  if (!Number.isInteger(count) || count < 1) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'count' must be a positive integer, got ${count}.`, {
      issues: [{ path: '/count', rule: 'minimum', message: "'/count' must be a positive integer" }],
    });
  }
  const random = createSeededRandom(options.seed ?? 1);
  const usable = pool.filter((entry) => entry.title.trim() !== '');
  return noteIds.map((noteId) => {
    const candidates = options.excludeOwnTitle === false ? usable : usable.filter((entry) => entry.noteId !== noteId);
    return {
      noteId,
      titles: shuffled(candidates, random)
        .slice(0, count)
        .map((entry) => entry.title),
    };
  });
}
