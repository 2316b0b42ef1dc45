import { characterNgrams } from '../text/ngrams.js';

/** Lower-cases, applies NFKC and drops spaces and punctuation, so trivial variants compare equal. */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

export { characterNgrams };

/** Jaccard similarity of the character bigrams of two titles after normalisation, 0..1. */
export function titleSimilarity(left: string, right: string): number {
  const a = characterNgrams(normaliseTitle(left));
  const b = characterNgrams(normaliseTitle(right));
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  return shared / (a.size + b.size - shared);
}
