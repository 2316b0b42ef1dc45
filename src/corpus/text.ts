// Character classes and "units" (one CJK character, or one Latin word) shared by
// the quality filters and the shingling of near-duplicate detection.

/** Character classes, one byte each in a table over the Basic Multilingual Plane. */
export const CharClass = {
  other: 0,
  whitespace: 1,
  han: 2,
  /** Kana and Hangul: treated like Han characters for shingling. */
  otherCjk: 3,
  letter: 4,
  digit: 5,
  punctuation: 6,
  symbol: 7,
  /** Zero-width and control characters. */
  control: 8,
  highSurrogate: 9,
  lowSurrogate: 10,
} as const;

let table: Uint8Array | undefined;

function isHanCodePoint(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x20000 && code <= 0x3ffff)
  );
}

function buildTable(): Uint8Array {
  const result = new Uint8Array(65_536);
  const whitespace = /\s/u;
  const letter = /\p{L}|\p{M}/u;
  const digit = /\p{N}/u;
  const punctuation = /\p{P}/u;
  const symbol = /\p{S}/u;
  const control = /\p{Cc}|\p{Cf}/u;
  for (let code = 0; code < 65_536; code++) {
    if (code >= 0xd800 && code <= 0xdbff) {
      result[code] = CharClass.highSurrogate;
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      result[code] = CharClass.lowSurrogate;
      continue;
    }
    const char = String.fromCharCode(code);
    if (whitespace.test(char)) result[code] = CharClass.whitespace;
    else if (isHanCodePoint(code)) result[code] = CharClass.han;
    else if ((code >= 0x3040 && code <= 0x30ff) || (code >= 0xac00 && code <= 0xd7af)) {
      result[code] = CharClass.otherCjk;
    } else if (letter.test(char)) result[code] = CharClass.letter;
    else if (digit.test(char)) result[code] = CharClass.digit;
    else if (punctuation.test(char)) result[code] = CharClass.punctuation;
    else if (symbol.test(char)) result[code] = CharClass.symbol;
    else if (control.test(char)) result[code] = CharClass.control;
  }
  return result;
}

/** The class of every BMP code unit (built once, 64 KiB). */
export function charClassTable(): Uint8Array {
  if (!table) table = buildTable();
  return table;
}

/** Class of a code point outside the BMP: Han extensions, emoji and other symbols, letters. */
export function astralClass(codePoint: number): number {
  if (isHanCodePoint(codePoint)) return CharClass.han;
  if (codePoint >= 0x1f000 && codePoint <= 0x1faff) return CharClass.symbol;
  return /\p{L}/u.test(String.fromCodePoint(codePoint)) ? CharClass.letter : CharClass.symbol;
}

/** Counts of character classes in a text (code points, not UTF-16 units). */
export interface TextProfile {
  /** Code points that are not whitespace. */
  visible: number;
  /** Han characters. */
  han: number;
  /** Kana and Hangul. */
  otherCjk: number;
  /** Other letters (Latin, Cyrillic...). */
  letters: number;
  /** Digits. */
  digits: number;
  /** Punctuation (ASCII and CJK). */
  punctuation: number;
  /** Symbols, emoji included. */
  symbols: number;
}

/** One pass over `text` counting character classes. */
export function profileText(text: string): TextProfile {
  const classes = charClassTable();
  const profile: TextProfile = { visible: 0, han: 0, otherCjk: 0, letters: 0, digits: 0, punctuation: 0, symbols: 0 };
  for (let index = 0; index < text.length; index++) {
    let kind = classes[text.charCodeAt(index)]!;
    if (kind === CharClass.highSurrogate) {
      kind = astralClass(text.codePointAt(index)!);
      index++;
    }
    switch (kind) {
      case CharClass.whitespace:
      case CharClass.control:
        continue;
      case CharClass.han:
        profile.han++;
        break;
      case CharClass.otherCjk:
        profile.otherCjk++;
        break;
      case CharClass.letter:
        profile.letters++;
        break;
      case CharClass.digit:
        profile.digits++;
        break;
      case CharClass.punctuation:
        profile.punctuation++;
        break;
      case CharClass.symbol:
      case CharClass.lowSurrogate:
        profile.symbols++;
        break;
      default:
        break;
    }
    profile.visible++;
  }
  return profile;
}

/** Unit hashes of a text: one per CJK character, one per Latin word (case-folded). */
export interface TextUnits {
  /** Hashes; only the first `count` entries are valid (the buffer is reused). */
  hashes: Uint32Array;
  /** Number of units. */
  count: number;
  /** How many units are CJK characters. */
  cjk: number;
}

let unitBuffer = new Uint32Array(4096);

/**
 * Splits `text` into units: each Han/Kana/Hangul character is a unit, each run of
 * letters and digits is a word unit (ASCII lower-cased); punctuation, symbols and
 * spaces separate units and are dropped. The returned buffer is reused by the next call.
 */
export function textUnits(text: string): TextUnits {
  const classes = charClassTable();
  if (unitBuffer.length < text.length) unitBuffer = new Uint32Array(text.length * 2);
  const hashes = unitBuffer;
  let count = 0;
  let cjk = 0;
  let word = 0x811c9dc5;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index);
    let kind = classes[code]!;
    if (kind === CharClass.highSurrogate) {
      code = text.codePointAt(index)!;
      kind = astralClass(code);
      index++;
    }
    if (kind === CharClass.letter || kind === CharClass.digit) {
      if (code >= 65 && code <= 90) code += 32;
      word = Math.imul(word ^ code, 0x01000193);
      inWord = true;
      continue;
    }
    if (inWord) {
      hashes[count++] = (word ^ (word >>> 15)) >>> 0;
      word = 0x811c9dc5;
      inWord = false;
    }
    if (kind === CharClass.han || kind === CharClass.otherCjk) {
      hashes[count++] = Math.imul(code ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
      cjk++;
    }
  }
  if (inWord) hashes[count++] = (word ^ (word >>> 15)) >>> 0;
  return { hashes, count, cjk };
}

/** Rough token count: one per CJK character, one per word (how mixing by tokens counts). */
export function estimateTokens(text: string): number {
  return textUnits(text).count;
}
