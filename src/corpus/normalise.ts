import { addCounter, type CorpusDocument, type DocumentStage, type StageStats } from './stage.js';
import { simplifiedCharacters, traditionalCharacters } from './traditional-simplified.js';
import { stripTrackingParameters } from './urls.js';

/**
 * What to do with hashtags, mentions or URLs: leave them (`keep`), leave them and list
 * them in metadata (`list`), move them to metadata (`extract`) or delete them (`remove`).
 */
export type EntityMode = 'keep' | 'list' | 'extract' | 'remove';

/** Options of the normalise stage. */
export interface NormaliseOptions {
  /**
   * Unicode normalisation: NFKC folds full-width ASCII to half-width, half-width
   * katakana to full-width and compatibility forms (① → 1, ㎡ → m2).
   * @default 'nfkc'
   */
  unicode?: 'nfkc' | 'none';
  /**
   * CJK punctuation: `full-width` keeps ，！？：； as they are and turns their ASCII forms
   * next to Han characters full-width; `keep` only protects the full-width ones from NFKC;
   * `half-width` lets NFKC fold them all to ASCII.
   * @default 'full-width'
   */
  cjkPunctuation?: 'full-width' | 'keep' | 'half-width';
  /** Decode HTML entities (`&amp;`, `&#32431;`, `&#x4e2d;`) left by scrapers. @default true */
  htmlEntities?: boolean;
  /** Convert traditional characters to simplified (built-in table of 954 common characters). @default false */
  traditionalToSimplified?: boolean;
  /** Emoji (and 小红书 `[笑哭R]` codes): keep them, strip them, or keep and count them. @default 'keep' */
  emoji?: 'keep' | 'strip' | 'count';
  /** `#话题#`, `#话题[话题]#` and `#tag` hashtags. @default 'list' */
  hashtags?: EntityMode;
  /** `@name` mentions. @default 'extract' */
  mentions?: EntityMode;
  /** `http(s)://` and `www.` URLs. @default 'extract' */
  urls?: EntityMode;
}

/** Defaults of {@link NormaliseOptions}. */
export const defaultNormaliseOptions: Required<NormaliseOptions> = Object.freeze({
  unicode: 'nfkc',
  htmlEntities: true,
  cjkPunctuation: 'full-width',
  traditionalToSimplified: false,
  emoji: 'keep',
  hashtags: 'list',
  mentions: 'extract',
  urls: 'extract',
});

const protectedPunctuation = '，！？：；（）～';
const protectPattern = new RegExp(`[${protectedPunctuation}]`, 'g');
const restorePattern = /[\ue000-\ue007]/g;
const halfToFull: Record<string, string> = { ',': '，', '!': '！', '?': '？', ':': '：', ';': '；' };
const han = '\\u3400-\\u4dbf\\u4e00-\\u9fff';
const asciiNextToHan = new RegExp(`(?<=[${han}])[,!?:;](?!\\d)|[,!?:;](?=[${han}])`, 'g');

const lineBreaks = /\r\n?/g;
const htmlEntityPattern = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos|nbsp));/gi;
const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes numeric and the common named HTML entities. */
export function decodeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(htmlEntityPattern, (match, decimal?: string, hex?: string, name?: string) => {
    if (name) return namedEntities[name.toLowerCase()] ?? match;
    const code = decimal ? Number(decimal) : Number.parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : match;
  });
}
const controlCharacters =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff\u00ad\u180e]/g;
const strayJoiners =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: a lone variation selector or skin tone is what is matched.
  /(?<![\p{Extended_Pictographic}\ufe0f\u{1f3fb}-\u{1f3ff}])\u200d|\u200d(?!\p{Extended_Pictographic})/gu;
const allJoiners = /\u200d/g;
const emojiPattern =
  /\p{RI}\p{RI}|(?:\p{Extended_Pictographic}|[#*0-9]\ufe0f\u20e3)[\ufe0f\u{1f3fb}-\u{1f3ff}]?(?:\u200d\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?)*|\[[\u4e00-\u9fff]{1,5}R\]/gu;
const urlPattern = /(?:https?:\/\/|www\.)[^\s<>"'，。！？、；（）【】《》\u3000]+/giu;
const mentionPattern = /(?<![\p{L}\p{N}._%+-])@([\p{L}\p{N}_\-·]{1,20})/gu;
const hashtagPattern = /(?<![\w/&])#([^#\s]{1,30}?)(?:\[话题\])?#|(?<![\w/&#])#([\p{L}\p{N}_]{1,30})/gu;
const spacesPattern = /[ \t\f\v\u00a0\u3000]+/g;
const spaceAroundBreaks = / ?\n ?/g;
const manyBreaks = /\n{3,}/g;
const trailingUrlPunctuation = /[.,;:!?)\]}]+$/;

let traditionalPattern: RegExp | undefined;
let traditionalMap: Map<string, string> | undefined;

/** Converts traditional characters to simplified ones with the built-in table; returns the count converted. */
export function toSimplified(text: string): { text: string; converted: number } {
  if (!traditionalPattern || !traditionalMap) {
    traditionalMap = new Map();
    for (let index = 0; index < traditionalCharacters.length; index++) {
      traditionalMap.set(traditionalCharacters[index]!, simplifiedCharacters[index]!);
    }
    traditionalPattern = new RegExp(`[${traditionalCharacters}]`, 'g');
  }
  const map = traditionalMap;
  let converted = 0;
  const result = text.replace(traditionalPattern, (character) => {
    converted++;
    return map.get(character) ?? character;
  });
  return { text: result, converted };
}

/** Counts emoji (sequences count once) and optionally removes them. */
export function handleEmoji(text: string, strip: boolean): { text: string; count: number } {
  let count = 0;
  const result = text.replace(emojiPattern, (match) => {
    count++;
    return strip ? '' : match;
  });
  return { text: result, count };
}

function applyEntities(
  text: string,
  pattern: RegExp,
  mode: EntityMode,
  pick: (match: string, groups: (string | undefined)[]) => string,
  found: string[],
): string {
  if (mode === 'keep') return text;
  const remove = mode === 'extract' || mode === 'remove';
  const list = mode === 'list' || mode === 'extract';
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    if (list) {
      const groups = rest.slice(
        0,
        rest.findIndex((value) => typeof value === 'number'),
      ) as (string | undefined)[];
      found.push(pick(match, groups));
    }
    return remove ? ' ' : match;
  });
}

/** Collapses spaces, trims lines and limits blank lines to one. */
export function normaliseWhitespace(text: string): string {
  return text.replace(spacesPattern, ' ').replace(spaceAroundBreaks, '\n').replace(manyBreaks, '\n\n').trim();
}

/**
 * Normalises a text: line breaks, control and zero-width characters, NFKC, CJK
 * punctuation, traditional → simplified, URLs, mentions, hashtags, emoji, whitespace.
 * Returns the text and what was found.
 */
export function normaliseText(
  input: string,
  options: NormaliseOptions = {},
): { text: string; hashtags: string[]; mentions: string[]; urls: string[]; emoji: number; converted: number } {
  const settings = { ...defaultNormaliseOptions, ...options };
  let text = input.replace(lineBreaks, '\n');
  if (settings.htmlEntities) text = decodeHtmlEntities(text);
  text = text.replace(controlCharacters, '');
  if (settings.unicode === 'nfkc') {
    if (settings.cjkPunctuation === 'half-width') {
      text = text.normalize('NFKC');
    } else {
      text = text
        .replace(protectPattern, (character) => String.fromCharCode(0xe000 + protectedPunctuation.indexOf(character)))
        .normalize('NFKC')
        .replace(restorePattern, (character) => protectedPunctuation[character.charCodeAt(0) - 0xe000]!);
    }
  }
  if (settings.cjkPunctuation === 'full-width') text = text.replace(asciiNextToHan, (mark) => halfToFull[mark] ?? mark);
  let converted = 0;
  if (settings.traditionalToSimplified) ({ text, converted } = toSimplified(text));
  const urls: string[] = [];
  const mentions: string[] = [];
  const hashtags: string[] = [];
  text = applyEntities(
    text,
    urlPattern,
    settings.urls,
    (match) => stripTrackingParameters(match.replace(trailingUrlPunctuation, '')).url,
    urls,
  );
  text = applyEntities(text, mentionPattern, settings.mentions, (_match, groups) => groups[0] ?? '', mentions);
  text = applyEntities(
    text,
    hashtagPattern,
    settings.hashtags,
    (_match, groups) => groups[0] ?? groups[1] ?? '',
    hashtags,
  );
  let emoji = 0;
  if (settings.emoji !== 'keep') ({ text, count: emoji } = handleEmoji(text, settings.emoji === 'strip'));
  text = text.replace(settings.emoji === 'strip' ? allJoiners : strayJoiners, '');
  text = normaliseWhitespace(text);
  return {
    text,
    hashtags: [...new Set(hashtags)],
    mentions: [...new Set(mentions)],
    urls: [...new Set(urls)],
    emoji,
    converted,
  };
}

/** The normalise stage; counters: `changed`, `hashtags`, `mentions`, `urls`, `emoji`, `traditional-characters`. */
export function createNormaliseStage(options: NormaliseOptions = {}): DocumentStage {
  const settings = { ...defaultNormaliseOptions, ...options };
  return {
    name: 'normalise',
    apply(document: CorpusDocument, stats: StageStats) {
      const result = normaliseText(document.text, settings);
      if (result.text !== document.text) addCounter(stats, 'changed');
      const metadata = { ...document.metadata };
      if (result.hashtags.length > 0) {
        metadata.hashtags = [...new Set([...(metadata.hashtags ?? []), ...result.hashtags])];
        addCounter(stats, 'hashtags', result.hashtags.length);
      }
      if (result.mentions.length > 0) {
        metadata.mentions = result.mentions;
        addCounter(stats, 'mentions', result.mentions.length);
      }
      if (result.urls.length > 0) {
        metadata.urls = result.urls;
        addCounter(stats, 'urls', result.urls.length);
      }
      if (settings.emoji === 'count') metadata.emoji = result.emoji;
      if (result.emoji > 0) addCounter(stats, 'emoji', result.emoji);
      if (result.converted > 0) addCounter(stats, 'traditional-characters', result.converted);
      return { ...document, text: result.text, metadata };
    },
  };
}
