import { addCounter, type CorpusDocument, type DocumentStage, type DropDecision, type StageStats } from './stage.js';
import { profileText, type TextProfile, textUnits } from './text.js';

/** Length bounds, in visible (non-whitespace) characters. */
export interface LengthFilterOptions {
  /** Fewer visible characters than this is dropped (`too-short`). @default 10 */
  minCharacters?: number;
  /** More than this is dropped (`too-long`). @default 10000 */
  maxCharacters?: number;
}

/** Share of Han characters among visible characters. */
export interface CjkRatioFilterOptions {
  /** Below this share of Han characters is dropped (`low-cjk-ratio`). @default 0.3 */
  minRatio?: number;
}

/** Punctuation and symbol (emoji included) shares of visible characters. */
export interface CharacterRatioFilterOptions {
  /** Above this share of punctuation is dropped (`punctuation-ratio`). @default 0.35 */
  maxPunctuationRatio?: number;
  /** Above this share of symbols and emoji is dropped (`symbol-ratio`). @default 0.35 */
  maxSymbolRatio?: number;
}

/**
 * Gopher-style repetition checks, re-tuned for Chinese: n-grams are over units (one Han
 * character, or one Latin word), so a Chinese n-gram is a character n-gram.
 */
export interface RepetitionFilterOptions {
  /** Line and paragraph checks only run on texts with at least this many lines. @default 4 */
  minLines?: number;
  /** Above this share of lines that repeat an earlier line is dropped. @default 0.3 */
  maxDuplicateLineFraction?: number;
  /** Above this share of characters in repeated lines is dropped. @default 0.2 */
  maxDuplicateLineCharacterFraction?: number;
  /** Above this share of repeated paragraphs (split on blank lines) is dropped. @default 0.3 */
  maxDuplicateParagraphFraction?: number;
  /** N-gram checks only run on texts with at least this many units. @default 20 */
  minUnits?: number;
  /**
   * For each n, the largest share of units covered by the most frequent n-gram. Looser than
   * Gopher's word-level 0.20/0.18/0.16: a character n-gram recurs more often than a word n-gram.
   * @default { 2: 0.3, 3: 0.25, 4: 0.2 }
   */
  maxTopNgramFraction?: Record<string, number>;
  /**
   * The top n-gram check only fires when that n-gram occurs at least this often: in a
   * 30-character note one repeated word already covers 0.2.
   * @default 3
   */
  minTopNgramOccurrences?: number;
  /**
   * For each n, the largest share of units covered by n-grams that occur more than once
   * (ChineseWebText uses 13-grams ≤ 0.5 on web pages; notes repeat less).
   * @default { 5: 0.5, 8: 0.4, 13: 0.35 }
   */
  maxDuplicateNgramFraction?: Record<string, number>;
}

/** C4 / FineWeb-style line heuristics. */
export interface LineFilterOptions {
  /** Fraction checks only run on texts with at least this many lines. @default 4 */
  minLines?: number;
  /** A line with at most this many visible characters is short. @default 3 */
  shortLineCharacters?: number;
  /** Above this share of short lines is dropped (`short-lines`). @default 0.67 */
  maxShortLineFraction?: number;
  /** Below this share of lines ending in terminal punctuation is dropped; 0 turns it off. @default 0 */
  minTerminalPunctuationFraction?: number;
  /** Above this share of lines ending in an ellipsis is dropped (`ellipsis-lines`). @default 0.3 */
  maxEllipsisLineFraction?: number;
  /**
   * Lines containing any of these (case-insensitive) are removed (C4 style), not the document.
   * @default defaultBoilerplatePhrases
   */
  boilerplatePhrases?: string[];
}

/** Ad / spam keyword counting. */
export interface SpamFilterOptions {
  /** Phrases that mark junk (gambling, loans, click farms, contact harvesting). @default defaultSpamKeywords */
  keywords?: string[];
  /** Distinct keyword hits (contact placeholders count too) at which a document is dropped. @default 2 */
  minHits?: number;
}

/** Every quality filter; `false` turns one off. */
export interface QualityFilterOptions {
  /** @default {} (on, with defaults) */
  length?: LengthFilterOptions | false;
  /** @default {} */
  cjkRatio?: CjkRatioFilterOptions | false;
  /** @default {} */
  characterRatios?: CharacterRatioFilterOptions | false;
  /** @default {} */
  repetition?: RepetitionFilterOptions | false;
  /** @default {} */
  lines?: LineFilterOptions | false;
  /** @default {} */
  spam?: SpamFilterOptions | false;
}

/** Phrases whose lines C4-style cleaning removes. */
export const defaultBoilerplatePhrases: readonly string[] = [
  '版权所有',
  '转载请注明',
  '未经授权',
  '免责声明',
  '责任编辑',
  '本文来源',
  '关注公众号',
  '长按识别二维码',
  '扫描二维码',
  'javascript',
  'cookie',
  'all rights reserved',
  'terms of use',
  'privacy policy',
];

/** Junk markers: gambling, loans, click farming, adult content, contact harvesting. */
export const defaultSpamKeywords: readonly string[] = [
  '加微信',
  '加我微信',
  '私信领取',
  '刷单',
  '兼职日结',
  '日结',
  '月入过万',
  '日赚',
  '网赚',
  '躺赚',
  '稳赚',
  '零投资',
  '贷款',
  '套现',
  '博彩',
  '赌场',
  '六合彩',
  '百家乐',
  '娱乐城',
  '代开发票',
  '办证',
  '裸聊',
  '约炮',
  '成人视频',
  '免费领取',
  '点击链接',
  '扫码领取',
  '招代理',
  '进群',
];

let cachedText = '';
let cachedProfile: TextProfile = profileText('');

function profileOf(text: string): TextProfile {
  if (text !== cachedText) {
    cachedProfile = profileText(text);
    cachedText = text;
  }
  return cachedProfile;
}

function visibleLength(line: string): number {
  return line.replace(/\s+/g, '').length;
}

function fixed(value: number): string {
  return value.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}

/** The length filter. */
export function createLengthFilter(options: LengthFilterOptions = {}): DocumentStage {
  const minimum = options.minCharacters ?? 10;
  const maximum = options.maxCharacters ?? 10_000;
  return {
    name: 'filter:length',
    apply(document) {
      const length = profileOf(document.text).visible;
      if (length < minimum) return { reason: 'too-short', detail: `${length} < ${minimum} characters` };
      if (length > maximum) return { reason: 'too-long', detail: `${length} > ${maximum} characters` };
      return document;
    },
  };
}

/** The Han-character ratio filter. */
export function createCjkRatioFilter(options: CjkRatioFilterOptions = {}): DocumentStage {
  const minimum = options.minRatio ?? 0.3;
  return {
    name: 'filter:cjk-ratio',
    apply(document) {
      const profile = profileOf(document.text);
      const ratio = profile.visible === 0 ? 0 : profile.han / profile.visible;
      if (ratio < minimum) return { reason: 'low-cjk-ratio', detail: `${fixed(ratio)} < ${minimum}` };
      return document;
    },
  };
}

/** The punctuation and symbol ratio filter. */
export function createCharacterRatioFilter(options: CharacterRatioFilterOptions = {}): DocumentStage {
  const maxPunctuation = options.maxPunctuationRatio ?? 0.35;
  const maxSymbols = options.maxSymbolRatio ?? 0.35;
  return {
    name: 'filter:character-ratios',
    apply(document) {
      const profile = profileOf(document.text);
      if (profile.visible === 0) return document;
      const punctuation = profile.punctuation / profile.visible;
      if (punctuation > maxPunctuation) {
        return { reason: 'punctuation-ratio', detail: `${fixed(punctuation)} > ${maxPunctuation}` };
      }
      const symbols = profile.symbols / profile.visible;
      if (symbols > maxSymbols) return { reason: 'symbol-ratio', detail: `${fixed(symbols)} > ${maxSymbols}` };
      return document;
    },
  };
}

/** Fractions of repeated items (by count and by characters) among non-empty items. */
export function duplicateFractions(items: readonly string[]): { items: number; characters: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  let duplicateCharacters = 0;
  let totalCharacters = 0;
  let total = 0;
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    total++;
    totalCharacters += item.length;
    if (seen.has(item)) {
      duplicates++;
      duplicateCharacters += item.length;
    } else {
      seen.add(item);
    }
  }
  return {
    items: total === 0 ? 0 : duplicates / total,
    characters: totalCharacters === 0 ? 0 : duplicateCharacters / totalCharacters,
  };
}

// Reused scratch tables: an open-addressing count table keyed by 32-bit n-gram hashes.
let tableKeys = new Uint32Array(1024);
let tableCounts = new Uint32Array(1024);
let slotOf = new Int32Array(1024);

/**
 * N-gram repetition over units: the share of units covered by the most frequent n-gram
 * (`top`, 0 when nothing repeats) and by all n-grams seen more than once (`duplicate`),
 * and how often the most frequent n-gram occurs.
 */
export function ngramRepetition(text: string, n: number): { top: number; duplicate: number; topCount: number } {
  const units = textUnits(text);
  return unitNgramRepetition(units.hashes, units.count, n);
}

function unitNgramRepetition(
  hashes: Uint32Array,
  count: number,
  n: number,
): { top: number; duplicate: number; topCount: number } {
  if (count < n) return { top: 0, duplicate: 0, topCount: 0 };
  const total = count - n + 1;
  let capacity = 64;
  while (capacity < total * 2) capacity *= 2;
  if (tableKeys.length < capacity) {
    tableKeys = new Uint32Array(capacity);
    tableCounts = new Uint32Array(capacity);
  } else {
    tableCounts.fill(0, 0, capacity);
  }
  if (slotOf.length < total) slotOf = new Int32Array(total * 2);
  const mask = capacity - 1;
  let best = 1;
  for (let start = 0; start < total; start++) {
    let h = 0x9747b28c ^ n;
    for (let offset = 0; offset < n; offset++) h = Math.imul(h ^ hashes[start + offset]!, 0x5bd1e995) ^ (h >>> 13);
    const key = h >>> 0;
    let slot = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    while (tableCounts[slot] !== 0 && tableKeys[slot] !== key) slot = (slot + 1) & mask;
    tableKeys[slot] = key;
    const seen = ++tableCounts[slot]!;
    if (seen > best) best = seen;
    slotOf[start] = slot;
  }
  if (best === 1) return { top: 0, duplicate: 0, topCount: 1 };
  let duplicateUnits = 0;
  let coveredUntil = 0;
  for (let start = 0; start < total; start++) {
    if (tableCounts[slotOf[start]!]! > 1) {
      duplicateUnits += start + n - Math.max(start, coveredUntil);
      coveredUntil = start + n;
    }
  }
  return { top: Math.min(1, (best * n) / count), duplicate: duplicateUnits / count, topCount: best };
}

/** The Gopher-style repetition filter, re-tuned for Chinese character n-grams. */
export function createRepetitionFilter(options: RepetitionFilterOptions = {}): DocumentStage {
  const minLines = options.minLines ?? 4;
  const maxLines = options.maxDuplicateLineFraction ?? 0.3;
  const maxLineCharacters = options.maxDuplicateLineCharacterFraction ?? 0.2;
  const maxParagraphs = options.maxDuplicateParagraphFraction ?? 0.3;
  const minUnits = options.minUnits ?? 20;
  const topNgrams = Object.entries(options.maxTopNgramFraction ?? { 2: 0.3, 3: 0.25, 4: 0.2 });
  const minOccurrences = options.minTopNgramOccurrences ?? 3;
  const duplicateNgrams = Object.entries(options.maxDuplicateNgramFraction ?? { 5: 0.5, 8: 0.4, 13: 0.35 });
  return {
    name: 'filter:repetition',
    apply(document): CorpusDocument | DropDecision {
      const lines = document.text.split('\n');
      if (lines.length >= minLines) {
        const line = duplicateFractions(lines);
        if (line.items > maxLines) return { reason: 'duplicate-lines', detail: `${fixed(line.items)} > ${maxLines}` };
        if (line.characters > maxLineCharacters) {
          return { reason: 'duplicate-line-characters', detail: `${fixed(line.characters)} > ${maxLineCharacters}` };
        }
        const paragraphs = duplicateFractions(document.text.split(/\n\s*\n/));
        if (paragraphs.items > maxParagraphs) {
          return { reason: 'duplicate-paragraphs', detail: `${fixed(paragraphs.items)} > ${maxParagraphs}` };
        }
      }
      const units = textUnits(document.text);
      if (units.count < minUnits) return document;
      for (const [n, limit] of topNgrams) {
        const { top, topCount } = unitNgramRepetition(units.hashes, units.count, Number(n));
        if (top > limit && topCount >= minOccurrences)
          return { reason: `top-${n}-gram`, detail: `${fixed(top)} > ${limit}` };
      }
      for (const [n, limit] of duplicateNgrams) {
        const { duplicate } = unitNgramRepetition(units.hashes, units.count, Number(n));
        if (duplicate > limit) return { reason: `duplicate-${n}-grams`, detail: `${fixed(duplicate)} > ${limit}` };
      }
      return document;
    },
  };
}

const terminalPunctuation = /[。！？!?.…~～」』"”)）]$/u;
const ellipsisEnding = /(?:…|\.\.\.)$/u;

/** C4 / FineWeb-style line heuristics: boilerplate lines removed, then line-shape checks. */
export function createLineFilter(options: LineFilterOptions = {}): DocumentStage {
  const minLines = options.minLines ?? 4;
  const shortLength = options.shortLineCharacters ?? 3;
  const maxShort = options.maxShortLineFraction ?? 0.67;
  const minTerminal = options.minTerminalPunctuationFraction ?? 0;
  const maxEllipsis = options.maxEllipsisLineFraction ?? 0.3;
  const phrases = (options.boilerplatePhrases ?? defaultBoilerplatePhrases).map((phrase) => phrase.toLowerCase());
  return {
    name: 'filter:lines',
    apply(document: CorpusDocument, stats: StageStats): CorpusDocument | DropDecision {
      const lower = document.text.toLowerCase();
      if (lower.includes('lorem ipsum')) return { reason: 'lorem-ipsum' };
      let text = document.text;
      if (phrases.some((phrase) => lower.includes(phrase))) {
        const kept = text.split('\n').filter((line) => {
          const lowerLine = line.toLowerCase();
          return !phrases.some((phrase) => lowerLine.includes(phrase));
        });
        addCounter(stats, 'boilerplate-lines-removed', text.split('\n').length - kept.length);
        text = kept.join('\n').trim();
        if (text === '') return { reason: 'only-boilerplate' };
      }
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      if (lines.length >= minLines) {
        const short = lines.filter((line) => visibleLength(line) <= shortLength).length / lines.length;
        if (short > maxShort) return { reason: 'short-lines', detail: `${fixed(short)} > ${maxShort}` };
        const ellipsis = lines.filter((line) => ellipsisEnding.test(line.trim())).length / lines.length;
        if (ellipsis > maxEllipsis) return { reason: 'ellipsis-lines', detail: `${fixed(ellipsis)} > ${maxEllipsis}` };
        if (minTerminal > 0) {
          const terminal = lines.filter((line) => terminalPunctuation.test(line.trim())).length / lines.length;
          if (terminal < minTerminal) {
            return { reason: 'few-terminal-punctuation', detail: `${fixed(terminal)} < ${minTerminal}` };
          }
        }
      }
      return text === document.text ? document : { ...document, text };
    },
  };
}

const contactPlaceholders = /<WECHAT>|<QQ>/g;

/** The ad / spam keyword filter. */
export function createSpamFilter(options: SpamFilterOptions = {}): DocumentStage {
  const keywords = (options.keywords ?? defaultSpamKeywords).map((keyword) => keyword.toLowerCase());
  const minHits = options.minHits ?? 2;
  return {
    name: 'filter:spam',
    apply(document) {
      const lower = document.text.toLowerCase();
      const hits = keywords.filter((keyword) => lower.includes(keyword));
      const contacts = document.text.match(contactPlaceholders)?.length ?? 0;
      const total = hits.length + contacts;
      if (total >= minHits) {
        return {
          reason: 'spam-keywords',
          detail: `${total} hits (${[...hits, ...(contacts ? ['<contact>'] : [])].join(', ')})`,
        };
      }
      return document;
    },
  };
}

/** The enabled quality filters in their run order (cheapest first). */
export function createQualityFilters(options: QualityFilterOptions = {}): DocumentStage[] {
  const stages: DocumentStage[] = [];
  if (options.lines !== false) stages.push(createLineFilter(options.lines ?? {}));
  if (options.length !== false) stages.push(createLengthFilter(options.length ?? {}));
  if (options.cjkRatio !== false) stages.push(createCjkRatioFilter(options.cjkRatio ?? {}));
  if (options.characterRatios !== false) stages.push(createCharacterRatioFilter(options.characterRatios ?? {}));
  if (options.spam !== false) stages.push(createSpamFilter(options.spam ?? {}));
  if (options.repetition !== false) stages.push(createRepetitionFilter(options.repetition ?? {}));
  return stages;
}
