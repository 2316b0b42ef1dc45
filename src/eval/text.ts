/**
 * Tokenisation shared by every evaluation metric, so that distinct-n, self-BLEU and
 * novelty count the same units: one token per CJK character (Han, kana, Hangul) and one
 * token per Latin word (letters and digits, lower-cased). Punctuation and spaces are
 * dropped. Text is NFKC-normalised first, so full-width `５０ｍｌ` reads as `50ml`.
 */

const cjkClass = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}]';
const cjkCharacter = new RegExp(cjkClass, 'u');
const wordCharacter = `(?:(?!${cjkClass})[\\p{L}\\p{N}])`;
const tokenPattern = new RegExp(`${cjkClass}|${wordCharacter}+(?:['’]${wordCharacter}+)*`, 'gu');

/** True when `character` is a CJK character (Han, Hiragana, Katakana or Hangul). */
export function isCjkCharacter(character: string): boolean {
  return cjkCharacter.test(character);
}

/**
 * Splits text into evaluation tokens: each CJK character alone, each run of other
 * letters and digits as one lower-cased word (an inner apostrophe is kept: `doesn't`).
 *
 * @example
 * tokenizeForEvaluation('SPF50+ 防晒霜'); // ['spf50', '防', '晒', '霜']
 */
export function tokenizeForEvaluation(text: string): string[] {
  return (text.normalize('NFKC').toLowerCase().match(tokenPattern) ?? []).map((token) => token.replace('’', "'"));
}

/** The n-grams of a token list, each joined with a space (so `['a','b']` → `'a b'`). */
export function ngrams(tokens: readonly string[], n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}.`);
  const result: string[] = [];
  for (let start = 0; start + n <= tokens.length; start++) result.push(tokens.slice(start, start + n).join(' '));
  return result;
}

/** Counts each distinct value. */
export function countValues(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Share of CJK characters among the letters of `text`; 0 for text without letters. */
export function cjkShare(text: string): number {
  let letters = 0;
  let cjk = 0;
  for (const character of text) {
    if (!/\p{L}/u.test(character)) continue;
    letters++;
    if (isCjkCharacter(character)) cjk++;
  }
  return letters === 0 ? 0 : cjk / letters;
}
