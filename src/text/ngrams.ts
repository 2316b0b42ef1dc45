/**
 * The set of character n-grams of a text, as it is (callers normalise first); the text
 * itself when it is shorter than `n`, nothing when it is empty. The one implementation
 * behind title similarity (generation), the usability features and the policy (rm).
 */
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
