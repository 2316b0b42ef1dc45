// Negative titles made from positive ones, after FactCC's transformations (Kryscinski et
// al. 2020) adapted to short titles: entity, number and date swaps, negation, token
// noise, truncation and word shuffle.

import type { Note } from '../../schemas/types.js';
import { foldText, isChineseText, segments, shuffled } from '../text.js';
import { defaultProductLexicon, type Entity, extractEntities, noteSourceText } from './entities.js';

/** The transformations {@link augmentTitle} can apply. */
export const augmentationKinds = [
  'entity-swap',
  'number-swap',
  'date-swap',
  'negation',
  'token-noise',
  'truncation',
  'word-shuffle',
] as const;

/** One augmentation kind. */
export type AugmentationKind = (typeof augmentationKinds)[number];

/** What the transformations may draw on. */
export interface AugmentationContext {
  /** Seeded random source in [0, 1). */
  random: () => number;
  /** Product and brand words, for entity swaps the source does not support. */
  namePool: readonly string[];
}

const pick = <T>(items: readonly T[], random: () => number): T | undefined =>
  items.length === 0 ? undefined : items[Math.floor(random() * items.length)];

function replaceOnce(text: string, span: string, replacement: string): string | undefined {
  const folded = text.normalize('NFKC');
  const escaped = span.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
  // Latin spans match whole words only: `pan` must not hit `Japan`.
  const pattern = /^[a-z]/iu.test(span) ? new RegExp(`(?<![a-z])${escaped}(?![a-z])`, 'iu') : new RegExp(escaped, 'iu');
  const match = pattern.exec(folded);
  if (!match) return undefined;
  return `${folded.slice(0, match.index)}${replacement}${folded.slice(match.index + span.length)}`;
}

function entitySwap(title: string, note: Note, context: AugmentationContext): string | undefined {
  const lexicon = [...defaultProductLexicon, ...(note.tags ?? [])];
  const names = extractEntities(title, { productLexicon: lexicon }).filter(
    (entity) => entity.type === 'product' || entity.type === 'brand',
  );
  const target = pick(names, context.random);
  if (!target) return undefined;
  const source = foldText(noteSourceText(note));
  // Same script as the title, and absent from the note, so the swap is a real mismatch.
  const chinese = isChineseText(title);
  const candidates = context.namePool.filter(
    (name) => !source.includes(foldText(name)) && isChineseText(name) === chinese && foldText(name) !== target.value,
  );
  const replacement = pick(candidates, context.random);
  return replacement ? replaceOnce(title, target.span, replacement) : undefined;
}

function differentNumber(value: number, source: readonly Entity[], random: () => number): number {
  const taken = new Set(source.map((entity) => entity.value));
  for (let attempt = 0; attempt < 20; attempt++) {
    const factor = [0.5, 1.5, 2, 3, 0.7, 1.3][Math.floor(random() * 6)] as number;
    let candidate = Math.round(value * factor * 10) / 10;
    if (Number.isInteger(value)) candidate = Math.max(1, Math.round(candidate + (random() < 0.5 ? 1 : 0)));
    if (candidate !== value && !taken.has(String(candidate))) return candidate;
  }
  return value + 7;
}

function swapNumber(title: string, note: Note, target: Entity, context: AugmentationContext): string | undefined {
  const sourceEntities = extractEntities(noteSourceText(note), { liberal: true });
  // Prefer another number of the note that is not there with this unit (FactCC), else perturb.
  const fromNote = sourceEntities.filter(
    (entity) => entity.type === 'number' && entity.value !== target.value && /^\d/u.test(entity.span),
  );
  const noteValue = pick(fromNote, context.random)?.value;
  const typedInNote = (value: string) =>
    sourceEntities.some((entity) => entity.value === value && (entity.unit === target.unit || entity.unit === ''));
  const value =
    noteValue !== undefined && !typedInNote(noteValue)
      ? noteValue
      : String(differentNumber(Number(target.value), sourceEntities, context.random));
  const digits = target.span.match(/\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十百千万]+|[a-z]+/u)?.[0];
  if (!digits) return undefined;
  return replaceOnce(title, target.span, target.span.replace(digits, value));
}

function numberSwap(title: string, note: Note, context: AugmentationContext): string | undefined {
  const numbers = extractEntities(title).filter((entity) => ['number', 'price', 'percentage'].includes(entity.type));
  const target = pick(numbers, context.random);
  if (target) return swapNumber(title, note, target, context);
  // No number to swap: plant one, the typical hallucination of a title generator.
  const sourceEntities = extractEntities(noteSourceText(note), { liberal: true });
  const value = differentNumber(7, sourceEntities, context.random);
  return isChineseText(title)
    ? `${value}天见效！${title}`
    : `${value} days to ${title.charAt(0).toLowerCase()}${title.slice(1)}`;
}

const chineseWeekdays = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const latinWeekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function dateSwap(title: string, note: Note, context: AugmentationContext): string | undefined {
  const dates = extractEntities(title).filter(
    (entity) => entity.type === 'date' || ['day', 'week', 'month', 'year', 'night', 'hour'].includes(entity.unit),
  );
  const target = pick(dates, context.random);
  if (!target) return undefined;
  if (target.type === 'date' && !/\d/u.test(target.span)) {
    const pool = isChineseText(title) ? chineseWeekdays : latinWeekdays;
    const source = foldText(noteSourceText(note));
    const replacement = pick(
      pool.filter((day) => !source.includes(foldText(day))),
      context.random,
    );
    return replacement ? replaceOnce(title, target.span, replacement) : undefined;
  }
  return swapNumber(title, note, target, context);
}

function negation(title: string, _note: Note, context: AugmentationContext): string | undefined {
  const parts = segments(title.normalize('NFKC'));
  if (isChineseText(title)) {
    const existing = parts.findIndex((part) => /^[不没]/u.test(part.text));
    if (existing >= 0 && context.random() < 0.5) {
      return parts.map((part, index) => (index === existing ? part.text.slice(1) : part.text)).join('');
    }
    const candidates = parts
      .map((part, index) => ({ part, index }))
      .filter(({ part }) => part.isWord && /^\p{Script=Han}{2,}$/u.test(part.text));
    const target = pick(candidates, context.random);
    if (!target) return undefined;
    const marker = context.random() < 0.7 ? '不' : '没';
    return parts.map((part, index) => (index === target.index ? `${marker}${part.text}` : part.text)).join('');
  }
  const auxiliary = parts.findIndex((part) => /^(is|are|was|were|can|will|does|do|has|have)$/iu.test(part.text));
  if (auxiliary >= 0) {
    return parts.map((part, index) => (index === auxiliary ? `${part.text} not` : part.text)).join('');
  }
  const candidates = parts
    .map((part, index) => ({ part, index }))
    .filter(({ part, index }) => part.isWord && index > 0 && /^[a-z]{3,}$/u.test(part.text));
  const target = pick(candidates, context.random);
  if (!target) return undefined;
  return parts.map((part, index) => (index === target.index ? `no ${part.text}` : part.text)).join('');
}

function tokenNoise(title: string, _note: Note, context: AugmentationContext): string | undefined {
  const parts = segments(title.normalize('NFKC'));
  const wordIndexes = parts.flatMap((part, index) => (part.isWord ? [index] : []));
  if (wordIndexes.length < 2) return undefined;
  // FactCC: noise on ~5% of tokens, 80% deletions and 20% duplications; titles are
  // short, so at least one token is touched.
  const touched = new Set(wordIndexes.filter(() => context.random() < 0.05));
  if (touched.size === 0) touched.add(pick(wordIndexes, context.random) as number);
  const joiner = isChineseText(title) ? '' : ' ';
  return parts
    .map((part, index) => {
      if (!touched.has(index)) return part.text;
      return context.random() < 0.8 ? '' : `${part.text}${joiner}${part.text}`;
    })
    .join('')
    .replace(/\s{2,}/gu, ' ')
    .trim();
}

function truncation(title: string, _note: Note, context: AugmentationContext): string | undefined {
  const parts = segments(title.normalize('NFKC'));
  if (parts.length < 3) return undefined;
  const keep = Math.max(1, Math.floor(parts.length * (0.4 + context.random() * 0.35)));
  return parts
    .slice(0, keep)
    .map((part) => part.text)
    .join('')
    .trimEnd();
}

function wordShuffle(title: string, _note: Note, context: AugmentationContext): string | undefined {
  const parts = segments(title.normalize('NFKC')).filter((part) => part.isWord);
  if (parts.length < 3) return undefined;
  const joiner = isChineseText(title) ? '' : ' ';
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = shuffled(parts, context.random)
      .map((part) => part.text)
      .join(joiner);
    if (result !== parts.map((part) => part.text).join(joiner)) return result;
  }
  return undefined;
}

const transformations: Record<
  AugmentationKind,
  (title: string, note: Note, context: AugmentationContext) => string | undefined
> = {
  'entity-swap': entitySwap,
  'number-swap': numberSwap,
  'date-swap': dateSwap,
  negation,
  'token-noise': tokenNoise,
  truncation,
  'word-shuffle': wordShuffle,
};

/**
 * Applies one transformation to a usable title, producing a negative example; returns
 * `undefined` when the kind does not apply (no entity to swap) or changes nothing.
 */
export function augmentTitle(
  title: string,
  note: Note,
  kind: AugmentationKind,
  context: AugmentationContext,
): string | undefined {
  const result = transformations[kind](title, note, context);
  if (!result || result.trim() === '' || result.normalize('NFKC') === title.normalize('NFKC')) return undefined;
  return result;
}

/**
 * Product words for entity swaps: the default lexicon plus `extra` words. Notes' tags are
 * not used, because many are topics (旅游, study) rather than products.
 */
export function buildNamePool(extra: readonly string[] = []): string[] {
  return [...new Set([...defaultProductLexicon, ...extra])];
}
