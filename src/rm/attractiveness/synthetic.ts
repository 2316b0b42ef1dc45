import { createRandom } from '../text.js';
import type { RankedList } from './train.js';

/** Options for {@link createSyntheticRankedLists}. */
export interface SyntheticListsOptions {
  /** Number of lists. */
  lists: number;
  /** Titles per list. @default 5 */
  listSize?: number;
  /** Embedding dimension. @default 640 */
  dimension?: number;
  /** Seed. @default 7 */
  seed?: number;
  /** Standard deviation of noise added to the hidden utility before sorting. @default 0 */
  noise?: number;
}

/**
 * Ranked lists whose order follows a hidden linear preference over random Gaussian
 * embeddings: for tests and benchmarks of the pairwise trainer, standing in for real
 * embeddings until a domain model is wired in.
 */
export function createSyntheticRankedLists(options: SyntheticListsOptions): { lists: RankedList[]; hidden: number[] } {
  const random = createRandom(options.seed ?? 7);
  const gaussian = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const dimension = options.dimension ?? 640;
  const listSize = options.listSize ?? 5;
  const hidden = Array.from({ length: dimension }, gaussian);
  const lists: RankedList[] = [];
  for (let list = 0; list < options.lists; list++) {
    const items = Array.from({ length: listSize }, (_, index) => {
      const embedding = Array.from({ length: dimension }, gaussian);
      const utility = embedding.reduce((sum, value, column) => sum + value * (hidden[column] as number), 0);
      return { title: `title ${list}-${index}`, embedding, utility: utility + (options.noise ?? 0) * gaussian() };
    });
    items.sort((left, right) => right.utility - left.utility);
    lists.push({ titles: items.map((item) => item.title), embeddings: items.map((item) => item.embedding) });
  }
  return { lists, hidden };
}
