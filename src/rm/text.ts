// Small text helpers shared by the reward models and the policy: width folding,
// scripts, word segmentation and character n-gram similarity.

import { characterNgrams as ngramsOf } from '../text/ngrams.js';

/** Folds full-width digits, letters and punctuation to ASCII (NFKC) and lower-cases Latin. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The writing system of one character, as far as title noise detection needs. */
export type Script = 'han' | 'latin' | 'digit' | 'space' | 'punctuation' | 'emoji' | 'kana' | 'other' | 'garbled';

const emojiPattern = /\p{Extended_Pictographic}/u;

/** Classifies one character (a code point). */
export function scriptOf(character: string): Script {
  if (/\s/u.test(character)) return 'space';
  if (/\p{Script=Han}/u.test(character)) return 'han';
  if (/[0-9０-９]/u.test(character)) return 'digit';
  if (/\p{Script=Latin}/u.test(character)) return 'latin';
  if (emojiPattern.test(character)) return 'emoji';
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(character)) return 'kana';
  // Replacement character, controls, private use and unassigned code points.
  if (/[\uFFFD\p{Cc}\p{Co}\p{Cn}]/u.test(character)) return 'garbled';
  if (/[\p{P}\p{S}]/u.test(character)) return 'punctuation';
  return 'other';
}

/** Whether a text is mostly Chinese (more Han characters than Latin letters). */
export function isChineseText(text: string): boolean {
  let han = 0;
  let latin = 0;
  for (const character of text) {
    const script = scriptOf(character);
    if (script === 'han') han++;
    else if (script === 'latin') latin++;
  }
  return han > latin / 3;
}

const segmenters = new Map<string, Intl.Segmenter>();

/** Word tokens (no spaces or punctuation), using ICU's dictionary segmentation for Chinese. */
export function words(text: string): string[] {
  const locale = isChineseText(text) ? 'zh' : 'en';
  let segmenter = segmenters.get(locale);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
    segmenters.set(locale, segmenter);
  }
  const result: string[] = [];
  for (const segment of segmenter.segment(text)) if (segment.isWordLike) result.push(segment.segment);
  return result;
}

/** Every segment (words, spaces and punctuation), so a title can be re-assembled after edits. */
export function segments(text: string): { text: string; isWord: boolean }[] {
  const locale = isChineseText(text) ? 'zh' : 'en';
  const segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  return [...segmenter.segment(text)].map((segment) => ({
    text: segment.segment,
    isWord: segment.isWordLike === true,
  }));
}

/** The set of character n-grams of a text after folding and removing whitespace. */
export function characterNgrams(text: string, size: number): Set<string> {
  return ngramsOf(foldText(text).replace(/\s+/gu, ''), size);
}

/** Jaccard similarity of two n-gram sets, in [0, 1]. */
export function jaccard(left: ReadonlySet<string>, right: ReadonlySet<string>): number {
  if (left.size === 0 && right.size === 0) return 1;
  let shared = 0;
  for (const gram of left) if (right.has(gram)) shared++;
  return shared / (left.size + right.size - shared);
}

/**
 * Similarity of two titles: Jaccard over character n-grams (bigrams by default, which
 * suit Chinese and English alike).
 */
export function ngramSimilarity(left: string, right: string, size = 2): number {
  return jaccard(characterNgrams(left, size), characterNgrams(right, size));
}

/** A seeded pseudo-random generator (mulberry32) and a Fisher–Yates shuffle: src/core/random.ts. */
export { createSeededRandom as createRandom, shuffled } from '../core/random.js';
