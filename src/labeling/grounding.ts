import type { Note } from '../schemas/types.js';

/** How a promotion target was found in its note, or that it was not. */
export type GroundingMethod = 'exact' | 'normalised' | 'parts' | 'none';

/** The result of {@link checkGrounding}. */
export interface GroundingResult {
  /** True when the target appears in the note (exactly or after normalisation). */
  grounded: boolean;
  /**
   * `exact`: verbatim substring; `normalised`: substring after {@link normaliseForGrounding};
   * `parts`: every word (Latin) or run (CJK) of the target appears, not necessarily together;
   * `none`: not found, the label is flagged.
   */
  method: GroundingMethod;
}

/**
 * Folds trivial variants together: NFKC (full-width letters and digits become ASCII),
 * lower case, and no spaces, punctuation or symbols, so `ＳＰＦ５０＋`, `spf 50+` and `SPF50+`
 * compare equal, as do `iPhone 15` and `iphone15`.
 */
export function normaliseForGrounding(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

/** The text of a note the target may come from: title, body, tags and image descriptions. */
export function noteText(note: Note): string {
  return [note.title, note.body, ...(note.tags ?? []), ...(note.images ?? []).map((image) => image.description)].join(
    '\n',
  );
}

// Latin words, digit runs and CJK runs: `Anessa 防晒霜 SPF50` -> anessa, 防晒霜, spf50.
const partPattern = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|[\p{L}\p{N}]+/gu;

/**
 * Checks that a promotion target is grounded in the note: it appears verbatim, or after
 * {@link normaliseForGrounding}, or every one of its parts does (a target assembled from
 * words the note uses apart, e.g. `road bike` from "an aluminium road bike"). Anything else
 * is ungrounded and should be flagged: a label the note does not support teaches the
 * generator to invent products.
 *
 * @example
 * checkGrounding('ＳＰＦ５０＋ 防晒霜', note) // { grounded: true, method: 'normalised' }
 */
export function checkGrounding(target: string, note: Note): GroundingResult {
  const text = noteText(note);
  const trimmed = target.trim();
  if (trimmed === '') return { grounded: false, method: 'none' };
  if (text.includes(trimmed)) return { grounded: true, method: 'exact' };
  const normalisedText = normaliseForGrounding(text);
  const normalisedTarget = normaliseForGrounding(trimmed);
  if (normalisedTarget !== '' && normalisedText.includes(normalisedTarget)) {
    return { grounded: true, method: 'normalised' };
  }
  const parts = trimmed.normalize('NFKC').toLowerCase().match(partPattern) ?? [];
  if (parts.length > 1 && parts.every((part) => normalisedText.includes(part))) {
    return { grounded: true, method: 'parts' };
  }
  return { grounded: false, method: 'none' };
}
