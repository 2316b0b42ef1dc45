import type { Note } from '../schemas/types.js';
import { cjkShare, isCjkCharacter, tokenizeForEvaluation } from './text.js';

/**
 * What counts as "salient" in a note, for the coverage metric. The rules are simple and
 * deterministic on purpose, so two runs and two readers agree (docs/evaluation.md):
 *
 * - `hashtag`: every tag of the note, and every `#word` in its body;
 * - `quantity`: an Arabic number with a unit or a currency sign (`128元`, `$59`, `40L`,
 *   `15 minutes`, `75%`); a title covers it when it contains the same number;
 * - `brand`: a Latin token that starts with a letter and contains a digit (`SPF50+`, `PS5`)
 *   or an upper-case letter after the first (`iPhone`, `IKEA`); a capitalised word that
 *   does not start a sentence (`Bluetooth`); in a mostly CJK note, any Latin word of two
 *   letters or more;
 * - `keyword`: the most frequent CJK character bigrams (inside CJK runs, without a common
 *   function character) and Latin words (4+ letters, not a stop word) that occur at least
 *   twice, top 5 of each, ties broken by first occurrence.
 *
 * Items are read from the body and image descriptions (and tags), not from the original
 * title, so coverage and novelty stay independent. Except for quantities, a title covers
 * an item when the item's evaluation tokens appear in the title as a contiguous run.
 */
export type SalientKind = 'hashtag' | 'quantity' | 'brand' | 'keyword';

/** One salient entity or attribute of a note. */
export interface SalientItem {
  /** Which rule found it. */
  kind: SalientKind;
  /** The item as written in the note (normalised), e.g. `128元`. */
  text: string;
  /** What a title must contain: evaluation tokens, or the bare number for quantities. */
  match: string[];
}

/** Options for {@link extractSalientItems}. */
export interface SalientOptions {
  /** How many keywords per script (CJK bigrams, Latin words). @default 5 */
  keywordsPerScript?: number;
  /** Least number of occurrences for a keyword. @default 2 */
  minimumKeywordCount?: number;
}

const latinUnits =
  'mah|ml|kg|mg|km|cm|mm|gb|tb|mb|kw|hz|kcal|cal|lbs|lb|oz|pcs|hours|hour|hrs|hr|minutes|minute|mins|min|seconds|second|sec|days|day|weeks|week|months|month|years|year|inches|inch|in|l|g|m|w|v|h|s|p|c|k|x|°c|°f';
const cjkUnits =
  '千克|公斤|毫升|厘米|公分|毫米|公里|千米|分钟|小时|个月|英寸|元|块|斤|克|升|米|秒|天|周|月|年|岁|度|寸|倍|折|次|件|片|瓶|支|包|人|口|层|档|款|步|页|张|杯|碗|份|晚|日|码|期';
const quantityPattern = new RegExp(
  `(?<![a-z0-9.])([$¥€£]\\s?)?(\\d+(?:[.,]\\d+)*)(?:(\\s?%)|\\s?-?(${latinUnits})(?![a-z0-9])|(${cjkUnits}))?`,
  'gu',
);
const numberPattern = /\d+(?:\.\d+)*/g;

const cjkStopCharacters = new Set(
  '的了是我你他她它们也在和就都很不有这那一个着过还又吧呢啊吗么没把被让给对从到得地之与及或而但才只要会能可以为于些更最太真',
);
const latinStopWords = new Set(
  'about after again also because been before being below between both could does doing down during each every from further have having here into itself just more most much once only other over same should some such than that their them then there these they this those through under until very were what when where which while will with would your yours'.split(
    ' ',
  ),
);

function normaliseNumber(text: string): string {
  return text.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
}

function noteContent(note: Note): string {
  return [note.body, ...(note.images ?? []).map((image) => image.description)].join('\n').normalize('NFKC');
}

function topByCount(values: readonly string[], limit: number, minimum: number): string[] {
  const counts = new Map<string, { count: number; first: number }>();
  values.forEach((value, index) => {
    const entry = counts.get(value);
    if (entry) entry.count++;
    else counts.set(value, { count: 1, first: index });
  });
  return [...counts.entries()]
    .filter(([, entry]) => entry.count >= minimum)
    .sort((left, right) => right[1].count - left[1].count || left[1].first - right[1].first)
    .slice(0, limit)
    .map(([value]) => value);
}

function cjkBigrams(text: string): string[] {
  const result: string[] = [];
  const characters = [...text];
  for (let index = 0; index + 1 < characters.length; index++) {
    const first = characters[index] ?? '';
    const second = characters[index + 1] ?? '';
    if (!isCjkCharacter(first) || !isCjkCharacter(second)) continue;
    if (cjkStopCharacters.has(first) || cjkStopCharacters.has(second)) continue;
    result.push(first + second);
  }
  return result;
}

function brandTokens(text: string, mostlyCjk: boolean): string[] {
  const result: string[] = [];
  for (const found of text.matchAll(/(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9+&'’-]*[A-Za-z0-9+]|[A-Za-z]/g)) {
    const token = found[0];
    const start = found.index ?? 0;
    if (token.length < 2) continue;
    const hasDigit = /\d/.test(token);
    const innerUpper = /[A-Z]/.test(token.slice(1));
    const before = text.slice(0, start).trimEnd();
    const startsSentence = before === '' || /[.!?。！？\n]$/.test(before);
    const capitalised = /^[A-Z][a-z]{2,}$/.test(token) && !startsSentence && !latinStopWords.has(token.toLowerCase());
    if (hasDigit || innerUpper || capitalised || (mostlyCjk && /[A-Za-z]{2}/.test(token))) result.push(token);
  }
  return result;
}

/**
 * The salient items of a note (see {@link SalientKind} for the rules), de-duplicated by
 * what a title must contain, in a stable order: hashtags, quantities, brands, keywords.
 *
 * @example
 * extractSalientItems(note).map((item) => item.text); // ['防晒', '通勤', '护肤', '128元', '50ml', 'SPF50+', ...]
 */
export function extractSalientItems(note: Note, options: SalientOptions = {}): SalientItem[] {
  const limit = options.keywordsPerScript ?? 5;
  const minimum = options.minimumKeywordCount ?? 2;
  const content = noteContent(note);
  const items: SalientItem[] = [];
  const seen = new Set<string>();
  const add = (kind: SalientKind, text: string, match: string[]) => {
    const key = `${kind === 'quantity' ? 'n' : 't'}:${match.join(' ')}`;
    if (match.length === 0 || seen.has(key)) return;
    seen.add(key);
    items.push({ kind, text, match });
  };
  const bodyTags = [...content.matchAll(/#([^\s#]+)/gu)].map((found) => found[1] ?? '');
  for (const tag of [...(note.tags ?? []), ...bodyTags]) add('hashtag', tag, tokenizeForEvaluation(tag));
  const lowered = normaliseNumber(content.toLowerCase());
  for (const found of lowered.matchAll(quantityPattern)) {
    const [whole, currency, value, percent, latinUnit, cjkUnit] = found;
    if (!currency && !percent && !latinUnit && !cjkUnit) continue;
    add('quantity', whole.trim(), [value ?? '']);
  }
  const mostlyCjk = cjkShare(content) >= 0.5;
  for (const token of brandTokens(content, mostlyCjk)) add('brand', token, tokenizeForEvaluation(token));
  for (const bigram of topByCount(cjkBigrams(content), limit, minimum)) add('keyword', bigram, [...bigram]);
  const words = tokenizeForEvaluation(content).filter(
    (token) => /^[a-z][a-z'-]{3,}$/.test(token) && !latinStopWords.has(token),
  );
  for (const word of topByCount(words, limit, minimum)) add('keyword', word, [word]);
  return items;
}

function containsRun(tokens: readonly string[], run: readonly string[]): boolean {
  for (let start = 0; start + run.length <= tokens.length; start++) {
    if (run.every((token, offset) => tokens[start + offset] === token)) return true;
  }
  return false;
}

/** True when `title` covers `item` (same number for quantities, contiguous tokens otherwise). */
export function titleCovers(title: string, item: SalientItem): boolean {
  if (item.kind === 'quantity') {
    const numbers: string[] = normaliseNumber(title.normalize('NFKC')).match(numberPattern) ?? [];
    return numbers.includes(item.match[0] ?? '');
  }
  return containsRun(tokenizeForEvaluation(title), item.match);
}

/** The result of {@link coverage}. */
export interface CoverageResult {
  /** Every salient item of the note. */
  items: SalientItem[];
  /** The items found in at least one title. */
  covered: SalientItem[];
  /** `covered / items`; `null` when the note has no salient item. */
  ratio: number | null;
}

/**
 * Coverage: the share of the note's salient items (see {@link extractSalientItems}) that
 * appear in at least one of the titles.
 *
 * @example
 * coverage(note, ['SPF50+ 通勤防晒只要128元']).ratio;
 */
export function coverage(note: Note, titles: readonly string[], options: SalientOptions = {}): CoverageResult {
  const items = extractSalientItems(note, options);
  const covered = items.filter((item) => titles.some((title) => titleCovers(title, item)));
  return { items, covered, ratio: items.length === 0 ? null : covered.length / items.length };
}
