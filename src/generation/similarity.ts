/** Lower-cases, applies NFKC and drops spaces and punctuation, so trivial variants compare equal. */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

/** The set of character n-grams of a normalised text (the text itself when shorter than n). */
export function characterNgrams(text: string, n = 2): Set<string> {
  const characters = [...text];
  const grams = new Set<string>();
  if (characters.length < n) {
    if (characters.length > 0) grams.add(characters.join(''));
    return grams;
  }
  for (let index = 0; index + n <= characters.length; index++) grams.add(characters.slice(index, index + n).join(''));
  return grams;
}

/** Jaccard similarity of the character bigrams of two titles after normalisation, 0..1. */
export function titleSimilarity(left: string, right: string): number {
  const a = characterNgrams(normaliseTitle(left));
  const b = characterNgrams(normaliseTitle(right));
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  return shared / (a.size + b.size - shared);
}
