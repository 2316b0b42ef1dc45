// Usability features of one title against its note. Every feature is in [0, 1] and
// grows with the problem it measures, so the logistic weights read as penalties.

import { buildTitlesMessages } from '../../generation/prompts/titles.js';
import {
  controlLabels,
  defaultAudienceTierLabels,
  defaultAudienceTiers,
  defaultTitleStyles,
} from '../../generation/styles.js';
import type { Note } from '../../schemas/types.js';
import type { RewardReasonV1 } from '../../spec/reward-model-v1.js';
import { characterNgrams, foldText, isChineseText, type Script, scriptOf, words } from '../text.js';
import { checkEntities, noteSourceText } from './entities.js';

/** Names of the usability features, in the order of the weight vector. */
export const usabilityFeatureNames = [
  'tooShort',
  'tooLong',
  'garbled',
  'mixedScript',
  'repeatedCharacters',
  'repeatedWords',
  'unbalancedBrackets',
  'emojiSpam',
  'punctuationSpam',
  'truncatedEnding',
  'unsupportedNumbers',
  'unsupportedNames',
  'entityPrecisionGap',
  'negationMismatch',
  'lowNoteOverlap',
  'wrongLanguage',
  'bareLabel',
  'copiesNoteTitle',
  'foreignFragment',
  'noContentWord',
  'bareNumber',
  'statesDownside',
  'disfluency',
  'fluencyMissing',
] as const;

/** One usability feature name. */
export type UsabilityFeatureName = (typeof usabilityFeatureNames)[number];

/** Length bounds in characters, per language. */
export interface LengthBounds {
  /** Fewest characters of a Chinese title. @default 6 */
  chineseMin: number;
  /** Most characters of a Chinese title. @default 30 */
  chineseMax: number;
  /** Fewest characters of a Latin-script title. @default 14 */
  latinMin: number;
  /** Most characters of a Latin-script title. @default 90 */
  latinMax: number;
}

/** Default {@link LengthBounds}. */
export const defaultLengthBounds: LengthBounds = { chineseMin: 6, chineseMax: 30, latinMin: 14, latinMax: 90 };

/** What {@link computeUsabilityFeatures} needs besides the title and note. */
export interface UsabilityFeatureOptions {
  /** Length bounds. @default defaultLengthBounds */
  lengthBounds?: LengthBounds;
  /** Product words checked against the note, besides its tags. @default defaultProductLexicon */
  productLexicon?: readonly string[];
  /**
   * Mean token log-likelihood of the title from the backend's `scoreText`; `undefined`
   * when the backend has no `scoreText` (the fluency feature is then absent).
   */
  meanLogLikelihood?: number;
}

/** Feature values plus the reasons that explain the ones that fired. */
export interface UsabilityFeatures {
  /** Feature values keyed by name. */
  values: Record<UsabilityFeatureName, number>;
  /** Human-readable reasons with quoted spans. */
  reasons: RewardReasonV1[];
}

const bracketPairs: [string, string][] = [
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
  ['（', '）'],
  ['【', '】'],
  ['《', '》'],
  ['「', '」'],
  ['『', '』'],
  ['“', '”'],
  ['‘', '’'],
];
const chineseDangling = [
  '的',
  '和',
  '与',
  '及',
  '跟',
  '、',
  '，',
  ',',
  '是',
  '在',
  '把',
  '被',
  '让',
  '给',
  '对',
  '从',
  '或',
];
const latinDangling = new Set([
  'and',
  'or',
  'the',
  'a',
  'an',
  'of',
  'to',
  'with',
  'for',
  'in',
  'on',
  'at',
  'my',
  'your',
]);
const chineseNegations = ['不', '没', '别', '无', '未'];
const latinNegations = new Set(['not', 'no', 'never', "don't", "doesn't", "won't", "isn't", "can't", 'without']);

const clamp = (value: number) => Math.max(0, Math.min(1, value));

// What a small model echoes when it has nothing to say: audience segments, style names and
// pieces of the prompt ("12个不同的中文广告标题"). A title that is only that is no ad.
const labelWords = [
  ...defaultAudienceTiers,
  ...Object.values(defaultAudienceTierLabels).flatMap((labels) => Object.values(labels)),
  ...defaultTitleStyles.flatMap((style) => [style.id, ...Object.values(style.label ?? {})]),
  'parent',
  'parents',
  'parenthood',
  'student',
  'techie',
  'tech enthusiast',
  'tech-enthusiast',
  'traveller',
  'traveler',
  'travel',
  'home',
  'family',
  'senior',
  'customer',
  'educator',
  'recruiter',
  'diet',
  'live',
  'fitness',
  'beauty',
  'lifestyle',
  'audience',
  'everyone',
  'general public',
  'mass market',
  '宝妈',
  '宝爸',
  '学生',
  '白领',
  '打工人',
  '年轻人',
  '女生',
  '男生',
  '人群',
  '大众人群',
  '所有人',
].map((word) => foldText(word).replace(/[\s\-_]+/gu, ''));
const labelWordSet = new Set(labelWords);
const promptEchoes = [
  /广告标题/u,
  /不同风格/u,
  /推广对象/u,
  /目标人群/u,
  /标题风格/u,
  /\bad titles?\b/iu,
  /\bpromotion target\b/iu,
  /\baudience tier\b/iu,
];
// The forge's own instructions, as 4-character Han windows and 3-word Latin windows: a title
// that quotes them ("从笔记的标签到分屏", "Pick the promotion target") echoes the prompt.
function promptWindows(): { han: Set<string>; latin: Set<string> } {
  const note = { id: 'x', title: '', body: '-' };
  const text = (['zh', 'en'] as const)
    .flatMap((language) =>
      buildTitlesMessages({
        note,
        language,
        count: 12,
        styles: controlLabels(language, defaultTitleStyles, defaultAudienceTiers).shown({
          styles: defaultTitleStyles,
          audienceTiers: defaultAudienceTiers,
        }).styles,
        audienceTiers: [...defaultAudienceTiers],
        promotionTargets: ['-'],
        maxTitleLength: 20,
      }),
    )
    .map((message) => message.content)
    .join('\n')
    .replace(/<\/?note>|title:|body:|tags:/gu, ' ');
  // Tier and style names and the style descriptions are words a good title may use.
  const vocabulary = [
    ...defaultAudienceTiers,
    ...Object.values(defaultAudienceTierLabels).flatMap((labels) => Object.values(labels)),
    ...defaultTitleStyles.flatMap((style) => [
      style.id,
      ...Object.values(style.label ?? {}),
      style.description.zh,
      style.description.en,
    ]),
  ].sort((left, right) => right.length - left.length);
  let instructions = text;
  for (const word of vocabulary) instructions = instructions.split(word).join(' ');
  const han = new Set<string>();
  for (const run of instructions.match(/\p{Script=Han}+/gu) ?? []) {
    for (let index = 0; index + 4 <= run.length; index++) han.add(run.slice(index, index + 4));
  }
  const latin = new Set<string>();
  const tokens = words(foldText(instructions)).filter((word) => /^\p{L}+$/u.test(word));
  for (let index = 0; index + 3 <= tokens.length; index++) latin.add(tokens.slice(index, index + 3).join(' '));
  return { han, latin };
}
let promptWindowCache: { han: Set<string>; latin: Set<string> } | undefined;

/** The first window of the prompt's wording that the title quotes and the note does not, if any. */
function promptPhraseIn(title: string, source: string): string | undefined {
  promptWindowCache ??= promptWindows();
  const foldedSource = foldText(source);
  for (const run of title.match(/\p{Script=Han}+/gu) ?? []) {
    for (let index = 0; index + 4 <= run.length; index++) {
      const window = run.slice(index, index + 4);
      if (promptWindowCache.han.has(window) && !foldedSource.includes(window)) return window;
    }
  }
  const tokens = words(foldText(title)).filter((word) => /^\p{L}+$/u.test(word));
  for (let index = 0; index + 3 <= tokens.length; index++) {
    const window = tokens.slice(index, index + 3).join(' ');
    if (promptWindowCache.latin.has(window) && !foldedSource.includes(window)) return window;
  }
  return undefined;
}

const latinStopWords = new Set([
  'the',
  'a',
  'an',
  'and',
  'or',
  'but',
  'of',
  'to',
  'in',
  'on',
  'for',
  'with',
  'at',
  'by',
  'from',
  'is',
  'are',
  'was',
  'be',
  'it',
  'this',
  'that',
  'your',
  'you',
  'my',
  'i',
  'me',
  'we',
  'our',
  'how',
  'what',
  'why',
  'when',
  'who',
  'all',
  'just',
  'so',
  'not',
  'no',
  'do',
  'does',
  'can',
  'will',
  'get',
  'got',
  'one',
  'new',
  'more',
  'less',
  'than',
  'into',
  'out',
  'up',
  'its',
  'it’s',
  "it's",
  'now',
  'day',
  'days',
  'time',
  'way',
  'best',
  'tried',
  'try',
  'about',
  'need',
]);
const stem = (word: string) => word.replace(/(?:ing|ed|es|s|e)$/u, '').slice(0, 6);
// Latin words Chinese posts use as words of their own: units and common loanwords.
const commonLatin = new Set([
  'ml',
  'l',
  'g',
  'kg',
  'mg',
  'cm',
  'mm',
  'm',
  'km',
  'mah',
  'w',
  'kw',
  'h',
  'min',
  'diy',
  'vlog',
  'app',
  'ok',
  'wifi',
  'usb',
  'led',
  'vs',
  'pro',
  'max',
  'plus',
  'mini',
  'spf',
  'pa',
  'cp',
  'ootd',
  'plog',
  'tips',
  'nice',
  'get',
]);

function bracketsUnbalanced(title: string): string | undefined {
  for (const [open, close] of bracketPairs) {
    let depth = 0;
    for (const character of title) {
      if (character === open) depth++;
      else if (character === close) depth--;
      if (depth < 0) return close;
    }
    if (depth !== 0) return open;
  }
  const straight = title.match(/"/gu)?.length ?? 0;
  return straight % 2 === 1 ? '"' : undefined;
}

function longestRun(title: string, source: string): { length: number; span: string } {
  let best = { length: 1, span: '' };
  const characters = [...title];
  let start = 0;
  for (let index = 1; index <= characters.length; index++) {
    if (index < characters.length && characters[index] === characters[start]) continue;
    const run = characters.slice(start, index).join('');
    const character = characters[start] as string;
    if (index - start > best.length && !/[\d\s]/u.test(character) && !source.includes(run)) {
      best = { length: index - start, span: run };
    }
    start = index;
  }
  return best;
}

function repeatedWordSpan(title: string, source: string): string | undefined {
  const tokens = words(foldText(title));
  for (let index = 1; index < tokens.length; index++) {
    const token = tokens[index] as string;
    if (token === tokens[index - 1] && !source.includes(`${token}${token}`) && !source.includes(`${token} ${token}`)) {
      return `${token}${/[a-z0-9]/u.test(token) ? ' ' : ''}${token}`;
    }
  }
  // Repeated two-character chunks the segmenter split unevenly, e.g. `防晒防晒`.
  const match = foldText(title).match(/(\p{Script=Han}{2,4})\1/u);
  if (match && !source.includes(match[0])) return match[0];
  return undefined;
}

// A shortcoming of the product stated as the title: honest in a review, a bad ad. A title
// that turns it (`药味有点重，但他能接受`, `a bit loud, but worth it`) is not flagged, nor a
// pain point asked as a question (`皮肤有点干？`), nor `有点小骄傲`-style feelings.
const chineseDownside =
  /(?<![不没无])(?:缺点|槽点|鸡肋|踩雷|翻车|失望|可惜)|一般般?(?=$|[，,。.！!；;、\s])|有点(?!小|东西|香|甜|意思|心动|感动)|不够|不太(?:好|行|方便|舒服|稳|灵|准)|(?:偏|略|太)(?:贵|重|大|吵|硬|紧|松|慢|闷|腻|咸|涩|颠|窄|短|薄|透)/u;
// A turn to the good side, or both sides promised (`优缺点都说清`, `pros and cons`).
const chineseTurn = /但|不过|却|还是|也值|真香|值得|够用|没关系|能接受|无所谓|舒服|好用|适应|惊艳|惊喜|优缺点|优点/u;
const latinDownside =
  /\b(?:downsides?|drawbacks?|cons|only complaint|not great|mediocre|disappointing|overpriced|meh|(?:a bit|slightly|too|rather|quite) (?:loud|heavy|pricey|expensive|small|tight|loose|bumpy|slow|noisy|salty|thin|short|stiff|bland|flimsy|hot|cheap)|runs (?:a bit )?(?:loud|hot|small|large))\b/iu;
const latinTurn = /\b(?:but|still|worth|yet|though|although|even so|anyway|great|love|perfect|pros)\b/iu;

function downsideSpan(title: string): string | undefined {
  const folded = foldText(title);
  const chinese = isChineseText(title);
  const match = (chinese ? chineseDownside : latinDownside).exec(folded);
  if (!match) return undefined;
  if ((chinese ? chineseTurn : latinTurn).test(folded)) return undefined;
  // Asked, not stated: the reader's problem, which the ad then solves.
  if (/[？?]/u.test(folded)) return undefined;
  return match[0];
}

function negationSpan(title: string, source: string): string | undefined {
  const folded = foldText(title);
  const foldedSource = foldText(source);
  if (isChineseText(title)) {
    for (const negation of chineseNegations) {
      let index = folded.indexOf(negation);
      while (index >= 0) {
        const tail = folded.slice(index + 1, index + 3);
        if (tail.length === 2 && /\p{Script=Han}{2}/u.test(tail)) {
          if (foldedSource.includes(tail) && !foldedSource.includes(`${negation}${tail}`)) {
            return `${negation}${tail}`;
          }
        }
        index = folded.indexOf(negation, index + 1);
      }
      // The reverse: the note says `完全不黑` and the title drops the negation, `完全黑`.
      let position = foldedSource.indexOf(negation);
      while (position >= 2) {
        const before = foldedSource.slice(position - 2, position);
        const after = foldedSource.charAt(position + 1);
        const dropped = `${before}${after}`;
        if (/^\p{Script=Han}{3}$/u.test(dropped) && folded.includes(dropped) && !foldedSource.includes(dropped)) {
          return dropped;
        }
        position = foldedSource.indexOf(negation, position + 1);
      }
    }
    return undefined;
  }
  const tokens = words(folded);
  const sourceTokens = words(foldedSource);
  for (let index = 0; index + 1 < tokens.length; index++) {
    const token = tokens[index] as string;
    if (!latinNegations.has(token)) continue;
    const next = tokens[index + 1] as string;
    const negatedInSource = sourceTokens.some(
      (word, position) => word === next && latinNegations.has(sourceTokens[position - 1] ?? ''),
    );
    if (sourceTokens.includes(next) && !negatedInSource) return `${token} ${next}`;
  }
  return undefined;
}

/**
 * Computes the usability features of `title` for `note`, with reasons quoting the spans
 * that triggered them.
 */
export function computeUsabilityFeatures(
  title: string,
  note: Note,
  options: UsabilityFeatureOptions = {},
): UsabilityFeatures {
  const bounds = options.lengthBounds ?? defaultLengthBounds;
  const reasons: RewardReasonV1[] = [];
  const values = Object.fromEntries(usabilityFeatureNames.map((name) => [name, 0])) as Record<
    UsabilityFeatureName,
    number
  >;
  const source = noteSourceText(note);
  const characters = [...title.trim()];
  const chinese = isChineseText(title);
  const [minimum, maximum] = chinese ? [bounds.chineseMin, bounds.chineseMax] : [bounds.latinMin, bounds.latinMax];

  if (characters.length < minimum) {
    values.tooShort = clamp((minimum - characters.length) / minimum);
    reasons.push({ code: 'too-short', message: `The title has ${characters.length} characters; at least ${minimum}.` });
  }
  if (characters.length > maximum) {
    values.tooLong = clamp((characters.length - maximum) / maximum);
    reasons.push({ code: 'too-long', message: `The title has ${characters.length} characters; at most ${maximum}.` });
  }

  const scripts: Script[] = characters.map(scriptOf);
  const garbled = characters.filter(
    (character, index) =>
      ['garbled', 'other', 'kana'].includes(scripts[index] as string) || /[\u2500-\u259F]/u.test(character),
  );
  // UTF-8 read as Latin-1 (`ç©º`, `â€™`): a Latin-1 letter followed by a continuation-looking character.
  for (const match of title.matchAll(/[\u00C2-\u00F0][\u0080-\u00BF\u2018-\u201E\u20AC\u2122\u0152\u0153\u0178]/gu)) {
    garbled.push(match[0]);
  }
  if (garbled.length > 0) {
    values.garbled = clamp(garbled.length / 3);
    reasons.push({
      code: 'garbled-text',
      message: 'The title has garbled or foreign-script characters.',
      span: garbled.join(''),
    });
  }
  // Switches between Han and Latin letters: a brand or two is normal, more is noise.
  const letters = scripts.filter((script) => script === 'han' || script === 'latin');
  let switches = 0;
  for (let index = 1; index < letters.length; index++) if (letters[index] !== letters[index - 1]) switches++;
  if (chinese && switches > 4) {
    values.mixedScript = clamp((switches - 4) / 4);
    reasons.push({ code: 'mixed-script', message: `The title switches script ${switches} times.` });
  }

  const run = longestRun(title, source);
  if (run.length >= 3) {
    values.repeatedCharacters = clamp((run.length - 2) / 3);
    reasons.push({ code: 'repeated-characters', message: 'A character repeats.', span: run.span });
  }
  const repeated = repeatedWordSpan(title, foldText(source));
  if (repeated) {
    values.repeatedWords = 1;
    reasons.push({ code: 'repeated-words', message: 'A word repeats back to back.', span: repeated });
  }
  const bracket = bracketsUnbalanced(title);
  if (bracket) {
    values.unbalancedBrackets = 1;
    reasons.push({ code: 'unbalanced-brackets', message: 'A bracket or quote is not closed.', span: bracket });
  }
  const emoji = title.match(/\p{Extended_Pictographic}/gu) ?? [];
  if (emoji.length > 2) {
    values.emojiSpam = clamp((emoji.length - 2) / 3);
    reasons.push({ code: 'emoji-spam', message: `The title has ${emoji.length} emoji.`, span: emoji.join('') });
  }
  const punctuationRun = title.match(/[!?！？~～.。,，、…]{3,}/u);
  if (punctuationRun) {
    values.punctuationSpam = clamp((punctuationRun[0].length - 2) / 3);
    reasons.push({ code: 'punctuation-spam', message: 'Punctuation repeats.', span: punctuationRun[0] });
  }

  const trimmed = title.trim();
  const lastWord = foldText(trimmed.split(/\s+/u).at(-1) ?? '').replace(/[^\p{L}\p{N}'’-]/gu, '');
  const dangling = chinese
    ? chineseDangling.find((ending) => trimmed.endsWith(ending))
    : latinDangling.has(lastWord) && /[a-z]$/iu.test(trimmed)
      ? lastWord
      : undefined;
  if (dangling || /(\.\.\.|…)$/u.test(trimmed)) {
    values.truncatedEnding = 1;
    reasons.push({ code: 'truncated-ending', message: 'The title ends mid-phrase.', span: dangling ?? '…' });
  }

  const check = checkEntities(title, note, options.productLexicon);
  const numeric = check.unsupported.filter((entity) => !['brand', 'product'].includes(entity.type));
  const names = check.unsupported.filter((entity) => ['brand', 'product'].includes(entity.type));
  values.unsupportedNumbers = clamp(numeric.length);
  values.unsupportedNames = clamp(names.length);
  values.entityPrecisionGap = check.entities.length === 0 ? 0 : check.unsupported.length / check.entities.length;
  for (const entity of check.unsupported) {
    reasons.push({
      code: 'entity-mismatch',
      message: `The ${entity.type} '${entity.span}' is not supported by the note.`,
      span: entity.span,
    });
  }
  const negation = negationSpan(title, source);
  if (negation) {
    values.negationMismatch = 1;
    reasons.push({
      code: 'negation-mismatch',
      message: 'The title negates something the note affirms.',
      span: negation,
    });
  }

  // A title in the other language than the note's (a small model answering a Chinese note in
  // English) reads as off-target to the note's audience; a brand or two in Latin letters is fine.
  const noteChinese = isChineseText(`${note.title} ${note.body}`);
  const han = scripts.filter((script) => script === 'han').length;
  const latin = scripts.filter((script) => script === 'latin').length;
  if ((noteChinese && han === 0 && latin > 0) || (!noteChinese && chinese)) {
    values.wrongLanguage = 1;
    reasons.push({
      code: 'wrong-language',
      message: noteChinese
        ? 'The note is Chinese but the title has no Chinese characters.'
        : 'The note is not Chinese but the title is.',
    });
  }

  // A bare audience or style name, or a piece of the prompt, instead of a title.
  const foldedTitle = foldText(title).replace(/[\s\p{P}\p{S}]+/gu, '');
  const pattern = promptEchoes.find((candidate) => candidate.test(title) && !candidate.test(source));
  const echo = pattern ? (title.match(pattern)?.[0] ?? title) : promptPhraseIn(title, source);
  if (labelWordSet.has(foldedTitle) || echo) {
    values.bareLabel = 1;
    reasons.push({
      code: 'bare-label',
      message: echo ? 'The title repeats the prompt, not the note.' : 'The title is only an audience or style name.',
      span: echo ?? title,
    });
  }
  // The note's own title handed back as the ad title.
  const foldedNoteTitle = foldText(note.title).replace(/[\s\p{P}\p{S}]+/gu, '');
  if (
    foldedNoteTitle.length >= 4 &&
    (foldedTitle === foldedNoteTitle ||
      (foldedTitle.includes(foldedNoteTitle) && foldedTitle.length - foldedNoteTitle.length <= 2))
  ) {
    values.copiesNoteTitle = 1;
    reasons.push({ code: 'copies-note-title', message: "The title is the note's own title.", span: title });
  }
  // Latin fragments in a Chinese title that the note does not contain ("B.m.a.b").
  if (chinese) {
    const foldedSource = foldText(source);
    const fragments = (title.normalize('NFKC').match(/[A-Za-z][A-Za-z0-9.+-]*/gu) ?? []).filter(
      (fragment) => !foldedSource.includes(foldText(fragment)) && !commonLatin.has(foldText(fragment)),
    );
    if (fragments.length > 0) {
      values.foreignFragment = clamp(fragments.length);
      reasons.push({
        code: 'foreign-fragment',
        message: 'The Chinese title has Latin letters the note does not have.',
        span: fragments.join(' '),
      });
    }
  }
  // Nothing of the note in the title: no Han bigram (Chinese), no content word (other).
  const sourceBigrams = characterNgrams(source, 2);
  const contentShared = chinese
    ? (title.match(/\p{Script=Han}+/gu) ?? []).some((run) =>
        [...characterNgrams(run, 2)].some((gram) => sourceBigrams.has(gram)),
      )
    : (() => {
        const sourceStems = new Set(words(foldText(source)).map(stem));
        return words(foldText(title))
          .filter((word) => word.length >= 3 && !latinStopWords.has(word) && !/^\d+$/u.test(word))
          .some((word) => sourceStems.has(stem(word)));
      })();
  if (!contentShared) {
    values.noContentWord = 1;
    reasons.push({ code: 'no-content-word', message: 'The title shares no content word with the note.' });
  }
  // A price or a number with hardly any words around it ("2680元", "10000").
  const letterCount = scripts.filter((script) => script === 'han' || script === 'latin').length;
  if (/\d/u.test(title) && letterCount <= (chinese ? 2 : 3)) {
    values.bareNumber = 1;
    reasons.push({ code: 'bare-number', message: 'The title is a number with hardly any words.', span: title });
  }

  const downside = downsideSpan(title);
  if (downside) {
    values.statesDownside = 1;
    reasons.push({
      code: 'states-downside',
      message: 'The title states a shortcoming of the product without turning it.',
      span: downside,
    });
  }

  const titleGrams = characterNgrams(title, 2);
  const sourceGrams = characterNgrams(source, 2);
  let covered = 0;
  for (const gram of titleGrams) if (sourceGrams.has(gram)) covered++;
  const coverage = titleGrams.size === 0 ? 0 : covered / titleGrams.size;
  values.lowNoteOverlap = clamp(1 - coverage);
  if (coverage < 0.3) {
    reasons.push({
      code: 'off-topic',
      message: `Only ${Math.round(coverage * 100)}% of the title's bigrams are in the note.`,
    });
  }

  if (options.meanLogLikelihood === undefined || !Number.isFinite(options.meanLogLikelihood)) {
    values.fluencyMissing = 1;
  } else {
    // Mean log-likelihood of about -1 is fluent, -6 or lower is noise.
    values.disfluency = clamp((-options.meanLogLikelihood - 1) / 5);
    if (values.disfluency > 0.6) {
      reasons.push({
        code: 'low-fluency',
        message: `Mean token log-likelihood ${options.meanLogLikelihood.toFixed(2)} is low.`,
      });
    }
  }
  return { values, reasons };
}

/** The features as a vector in {@link usabilityFeatureNames} order. */
export function toFeatureVector(values: Record<UsabilityFeatureName, number>): number[] {
  return usabilityFeatureNames.map((name) => values[name]);
}
