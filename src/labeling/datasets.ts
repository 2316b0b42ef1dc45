import { renderCompletionPrompt } from '../backends/llama-cpp/completion-prompt.js';
import { detectLanguage, type PromptLanguage } from '../generation/language.js';
import type { TitlesOutput } from '../generation/output-schema.js';
import { buildTitlesMessages, tagCandidates } from '../generation/prompts/titles.js';
import { controlLabels, type TitleStyle } from '../generation/styles.js';
import type { Note, ScoredCreative } from '../schemas/types.js';
import type { ChatMessageV1 } from '../spec/model-backend-v1.js';
import type { LabelledNote } from './label-notes.js';
import { defaultLabelTaxonomy, type LabelTaxonomy, resolveTaxonomy } from './taxonomy.js';

/** The three supervised example kinds: keyword → title, style → title, and the unified label. */
export type SftKind = 'keyword' | 'style' | 'unified';

/** The controls fixed in an example's prompt (the rest the model states itself). */
export interface ExampleControls {
  promotionTarget?: string;
  audienceTier?: string;
  /** Style ids the titles must use. */
  styles?: string[];
}

/**
 * One supervised example: the note and controls of a generation call, and the answer it
 * should give — exactly the JSON `buildTitlesSchema` asks for, so training and inference match.
 */
export interface SftExample {
  kind: SftKind;
  noteId: string;
  note: Note;
  language: PromptLanguage;
  controls: ExampleControls;
  output: TitlesOutput;
}

/** One preference pair: same prompt, a better and a worse answer. */
export interface PreferenceExample {
  /** Where the preference came from. */
  source: 'ranked' | 'reward-model' | 'gsb';
  noteId: string;
  note: Note;
  language: PromptLanguage;
  /** Target and audience are fixed so the answers differ only in their titles. */
  controls: ExampleControls & { promotionTarget: string; audienceTier: string };
  chosen: TitlesOutput;
  rejected: TitlesOutput;
}

/** Settings shared by every builder; keep them equal to the forge's so prompts match. */
export interface DatasetPromptOptions {
  /** Styles and audience tiers, as given to `createForge`. @default defaultLabelTaxonomy */
  taxonomy?: Partial<LabelTaxonomy>;
  /** Prompt language. @default 'auto' (the note's `lang`, else its text) */
  language?: 'auto' | PromptLanguage;
  /** Longest title per language; longer ones are left out. @default { zh: 20, en: 60 } (the forge's) */
  maxTitleLength?: Partial<Record<PromptLanguage, number>>;
  /** Shortest title per language; shorter ones are left out. @default { zh: 4, en: 10 } (the forge's) */
  minTitleLength?: Partial<Record<PromptLanguage, number>>;
}

/** Options for {@link buildSftExamples}. */
export interface BuildSftOptions extends DatasetPromptOptions {
  /** Which kinds to build. @default ['unified', 'keyword', 'style'] */
  kinds?: readonly SftKind[];
  /** Keep labels flagged ungrounded, low-confidence or partial. @default false */
  includeFlagged?: boolean;
}

/** Examples built, and how many inputs were left out and why. */
export interface BuiltDataset<T> {
  examples: T[];
  /** Counts by reason, e.g. `{ flagged: 3, 'title-length': 1 }`. */
  skipped: Record<string, number>;
}

/** A title with its style, as in generation output. */
export interface StyledTitle {
  title: string;
  style: string;
}

const maxTargetLength = 24;

function settings(options: DatasetPromptOptions) {
  const taxonomy = resolveTaxonomy(options.taxonomy ?? defaultLabelTaxonomy);
  const maxTitleLength = { zh: 20, en: 60, ...options.maxTitleLength };
  const minTitleLength = { zh: 4, en: 10, ...options.minTitleLength };
  const styleIds = new Set(taxonomy.styles.map((style) => style.id));
  const languageOf = (note: Note): PromptLanguage =>
    options.language && options.language !== 'auto'
      ? options.language
      : detectLanguage(`${note.title}${note.body}`, note.lang);
  const fits = (title: string, language: PromptLanguage) => {
    const length = [...title].length;
    return length >= minTitleLength[language] && length <= maxTitleLength[language];
  };
  return { taxonomy, maxTitleLength, styleIds, languageOf, fits };
}

function skip(skipped: Record<string, number>, reason: string, count = 1) {
  skipped[reason] = (skipped[reason] ?? 0) + count;
}

/**
 * Builds `<note, keyword, title>` (keyword fixed, one title), `<note, style, title>` (style
 * fixed, one title) and unified examples (target + audience + every title, nothing fixed)
 * from labelled notes with their original titles. Titles outside the forge's length limits,
 * styles outside the taxonomy and (by default) flagged labels are left out and counted.
 *
 * @example
 * const { examples } = buildSftExamples(labelled, { kinds: ['unified'] });
 * const lines = examples.map((example) => toChatRecord(example));
 */
export function buildSftExamples(
  labelled: readonly LabelledNote[],
  options: BuildSftOptions = {},
): BuiltDataset<SftExample> {
  const { styleIds, languageOf, fits } = settings(options);
  const kinds = options.kinds ?? ['unified', 'keyword', 'style'];
  const examples: SftExample[] = [];
  const skipped: Record<string, number> = {};
  for (const entry of labelled) {
    if (entry.flags.length > 0 && !options.includeFlagged) {
      skip(skipped, 'flagged');
      continue;
    }
    const { promotionTarget, audienceTier } = entry.labels;
    if ([...promotionTarget].length > maxTargetLength) {
      skip(skipped, 'target-length');
      continue;
    }
    const language = languageOf(entry.note);
    const titles: StyledTitle[] = [];
    (entry.labels.titles ?? []).forEach((title, index) => {
      const style = entry.labels.styles[index];
      if (style === undefined || !styleIds.has(style)) skip(skipped, 'unknown-style');
      else if (!fits(title, language)) skip(skipped, 'title-length');
      else titles.push({ title, style });
    });
    if (titles.length === 0) {
      skip(skipped, 'no-titles');
      continue;
    }
    const base = { noteId: entry.noteId, note: entry.note, language };
    if (kinds.includes('unified')) {
      examples.push({ ...base, kind: 'unified', controls: {}, output: { promotionTarget, audienceTier, titles } });
    }
    for (const title of titles) {
      const output = { promotionTarget, audienceTier, titles: [title] };
      if (kinds.includes('keyword')) examples.push({ ...base, kind: 'keyword', controls: { promotionTarget }, output });
      if (kinds.includes('style'))
        examples.push({ ...base, kind: 'style', controls: { styles: [title.style] }, output });
    }
  }
  return { examples, skipped };
}

/** The chat prompt (system + user) generation sends for an example's note and controls. */
export function examplePrompt(
  example: Pick<SftExample, 'note' | 'language' | 'controls' | 'output'>,
  options: DatasetPromptOptions = {},
): ChatMessageV1[] {
  const { taxonomy, maxTitleLength } = settings(options);
  const allowed = example.controls.styles;
  const styles: TitleStyle[] = allowed?.length
    ? taxonomy.styles.filter((style) => allowed.includes(style.id))
    : [...taxonomy.styles];
  // Labels in the prompt's language, as the forge shows them.
  const labels = controlLabels(example.language, taxonomy.styles, taxonomy.audienceTiers);
  return buildTitlesMessages({
    note: example.note,
    language: example.language,
    count: example.output.titles.length,
    ...labels.shown({ styles, audienceTier: example.controls.audienceTier, audienceTiers: taxonomy.audienceTiers }),
    promotionTarget: example.controls.promotionTarget,
    // As the forge asks by default: pick the target from the note's tags.
    promotionTargets: example.controls.promotionTarget === undefined ? tagCandidates(example.note) : undefined,
    maxTitleLength: maxTitleLength[example.language],
  });
}

/**
 * The assistant turn: the output as JSON, keys in the schema's order, with style and tier
 * shown as the forge's output schema shows them for `language` (Chinese labels for `zh`).
 */
export function answerText(
  output: TitlesOutput,
  language?: PromptLanguage,
  options: DatasetPromptOptions = {},
): string {
  const { taxonomy } = settings(options);
  const labels = language ? controlLabels(language, taxonomy.styles, taxonomy.audienceTiers) : undefined;
  return JSON.stringify({
    promotionTarget: output.promotionTarget,
    audienceTier: labels ? labels.tier(output.audienceTier) : output.audienceTier,
    titles: output.titles.map((entry) => ({
      title: entry.title,
      style: labels ? labels.style(entry.style) : entry.style,
    })),
  });
}

/** A chat SFT line: `{ messages: [system, user, assistant] }` (TRL SFTTrainer, OpenAI fine-tuning). */
export interface ChatRecord {
  messages: ChatMessageV1[];
}

/** An Alpaca-style line. */
export interface AlpacaRecord {
  /** The system prompt. */
  instruction: string;
  /** The user turn: worked example, note and task. */
  input: string;
  /** The JSON answer. */
  output: string;
}

/** A TRL preference line in the conversational format (DPOTrainer, RewardTrainer). */
export interface PreferenceRecord {
  /** System and user turns. */
  prompt: ChatMessageV1[];
  /** One assistant turn. */
  chosen: ChatMessageV1[];
  /** One assistant turn. */
  rejected: ChatMessageV1[];
}

/** A prompt-completion line (TRL's standard format), for base models without a chat template. */
export interface CompletionRecord {
  /** The chat turns rendered as plain text, as `llamaCppBackend` renders them for base models. */
  prompt: string;
  /** The JSON answer. */
  completion: string;
}

/** A TRL preference line in the standard (plain text) format. */
export interface TextPreferenceRecord {
  prompt: string;
  chosen: string;
  rejected: string;
}

/** Converts an example to a prompt-completion line. */
export function toCompletionRecord(example: SftExample, options: DatasetPromptOptions = {}): CompletionRecord {
  return {
    prompt: renderCompletionPrompt(examplePrompt(example, options)),
    completion: answerText(example.output, example.language, options),
  };
}

/** Converts a pair to a TRL standard (plain text) preference line. */
export function toTextPreferenceRecord(
  example: PreferenceExample,
  options: DatasetPromptOptions = {},
): TextPreferenceRecord {
  return {
    prompt: renderCompletionPrompt(examplePrompt({ ...example, output: example.chosen }, options)),
    chosen: answerText(example.chosen, example.language, options),
    rejected: answerText(example.rejected, example.language, options),
  };
}

/** Converts an example to a chat SFT line. */
export function toChatRecord(example: SftExample, options: DatasetPromptOptions = {}): ChatRecord {
  return {
    messages: [
      ...examplePrompt(example, options),
      { role: 'assistant', content: answerText(example.output, example.language, options) },
    ],
  };
}

/** Converts an example to an Alpaca-style line. */
export function toAlpacaRecord(example: SftExample, options: DatasetPromptOptions = {}): AlpacaRecord {
  const [system, user] = examplePrompt(example, options);
  return {
    instruction: system?.content ?? '',
    input: user?.content ?? '',
    output: answerText(example.output, example.language, options),
  };
}

/** Converts a pair to a TRL conversational preference line. */
export function toPreferenceRecord(example: PreferenceExample, options: DatasetPromptOptions = {}): PreferenceRecord {
  return {
    prompt: examplePrompt({ ...example, output: example.chosen }, options),
    chosen: [{ role: 'assistant', content: answerText(example.chosen, example.language, options) }],
    rejected: [{ role: 'assistant', content: answerText(example.rejected, example.language, options) }],
  };
}

/** Options of the preference builders. */
export interface BuildPreferenceOptions extends DatasetPromptOptions {
  /** Most pairs per note (per list for ranked lists). @default 16 */
  maxPairsPerNote?: number;
}

/** One human-ranked list of titles for a note, best first. */
export interface RankedTitles {
  note: Note;
  promotionTarget: string;
  audienceTier: string;
  /** Best first. */
  titles: StyledTitle[];
}

function pairOf(
  source: PreferenceExample['source'],
  note: Note,
  language: PromptLanguage,
  controls: { promotionTarget: string; audienceTier: string },
  chosen: StyledTitle[],
  rejected: StyledTitle[],
): PreferenceExample {
  return {
    source,
    noteId: note.id,
    note,
    language,
    controls: { ...controls },
    chosen: { ...controls, titles: chosen },
    rejected: { ...controls, titles: rejected },
  };
}

/** Drops titles the generation schema could not produce; returns what is left. */
function usable(titles: readonly StyledTitle[], language: PromptLanguage, context: ReturnType<typeof settings>) {
  return titles.filter((entry) => context.styleIds.has(entry.style) && context.fits(entry.title, language));
}

/**
 * Pairs from ranked lists: every (better, worse) pair of a list, K(K−1)/2 of them, widest
 * rank gaps first (the surest preferences) up to `maxPairsPerNote`. Each answer is one title.
 */
export function preferencesFromRankedLists(
  lists: readonly RankedTitles[],
  options: BuildPreferenceOptions = {},
): BuiltDataset<PreferenceExample> {
  const context = settings(options);
  const limit = options.maxPairsPerNote ?? 16;
  const examples: PreferenceExample[] = [];
  const skipped: Record<string, number> = {};
  for (const list of lists) {
    const language = context.languageOf(list.note);
    const titles = usable(list.titles, language, context);
    skip(skipped, 'unusable-title', list.titles.length - titles.length);
    if (titles.length < 2) {
      skip(skipped, 'too-few-titles');
      continue;
    }
    const pairs: [number, number][] = [];
    for (let better = 0; better < titles.length; better++) {
      for (let worse = better + 1; worse < titles.length; worse++) pairs.push([better, worse]);
    }
    pairs.sort((left, right) => right[1] - right[0] - (left[1] - left[0]) || left[0] - right[0]);
    for (const [better, worse] of pairs.slice(0, limit)) {
      const controls = { promotionTarget: list.promotionTarget, audienceTier: list.audienceTier };
      examples.push(
        pairOf(
          'ranked',
          list.note,
          language,
          controls,
          [titles[better] as StyledTitle],
          [titles[worse] as StyledTitle],
        ),
      );
    }
  }
  return { examples, skipped };
}

/** One note's forge result, as `copyforge generate` writes it. */
export interface ForgeResultLine {
  note: Note;
  creatives: readonly ScoredCreative[];
}

/**
 * Pairs from reward-model decisions: each accepted creative (best rank first) against each
 * rejected one of the same note and controls, up to `maxPairsPerNote`. Each answer is one title.
 */
export function preferencesFromForgeResults(
  results: readonly ForgeResultLine[],
  options: BuildPreferenceOptions = {},
): BuiltDataset<PreferenceExample> {
  const context = settings(options);
  const limit = options.maxPairsPerNote ?? 16;
  const examples: PreferenceExample[] = [];
  const skipped: Record<string, number> = {};
  const byRank = (left: ScoredCreative, right: ScoredCreative) =>
    (left.rank ?? Number.MAX_SAFE_INTEGER) - (right.rank ?? Number.MAX_SAFE_INTEGER);
  for (const result of results) {
    const language = context.languageOf(result.note);
    const accepted = result.creatives.filter((entry) => entry.accepted).sort(byRank);
    const rejected = result.creatives.filter((entry) => !entry.accepted).sort(byRank);
    if (accepted.length === 0 || rejected.length === 0) {
      skip(skipped, accepted.length === 0 ? 'no-accepted' : 'no-rejected');
      continue;
    }
    let made = 0;
    for (const good of accepted) {
      for (const bad of rejected) {
        if (made >= limit) break;
        const controls = good.creative.controls;
        if (
          controls.promotionTarget !== bad.creative.controls.promotionTarget ||
          controls.audienceTier !== bad.creative.controls.audienceTier
        ) {
          skip(skipped, 'mismatched-controls');
          continue;
        }
        const chosen = usable([good.creative], language, context);
        const worse = usable([bad.creative], language, context);
        if (chosen.length === 0 || worse.length === 0 || [...controls.promotionTarget].length > maxTargetLength) {
          skip(skipped, 'unusable-title');
          continue;
        }
        const pick = ({ title, style }: StyledTitle) => ({ title, style });
        examples.push(pairOf('reward-model', result.note, language, controls, chosen.map(pick), worse.map(pick)));
        made++;
      }
    }
  }
  return { examples, skipped };
}

/** A GSB judgement with both title lists: the system's and the baseline's. */
export interface GsbPreferenceInput {
  note: Note;
  /** From the system's point of view. */
  verdict: 'good' | 'same' | 'bad';
  promotionTarget: string;
  audienceTier: string;
  system: StyledTitle[];
  baseline: StyledTitle[];
}

/**
 * Pairs from GSB judgements: `good` prefers the system's list, `bad` the baseline's, `same`
 * gives no pair. Both lists are cut to the same length; each answer is a whole list.
 */
export function preferencesFromGsb(
  judgements: readonly GsbPreferenceInput[],
  options: DatasetPromptOptions = {},
): BuiltDataset<PreferenceExample> {
  const context = settings(options);
  const examples: PreferenceExample[] = [];
  const skipped: Record<string, number> = {};
  for (const judgement of judgements) {
    if (judgement.verdict === 'same') {
      skip(skipped, 'same');
      continue;
    }
    const language = context.languageOf(judgement.note);
    const system = usable(judgement.system, language, context);
    const baseline = usable(judgement.baseline, language, context);
    const count = Math.min(system.length, baseline.length);
    if (count === 0 || [...judgement.promotionTarget].length > maxTargetLength) {
      skip(skipped, 'unusable-title');
      continue;
    }
    const [chosen, rejected] = judgement.verdict === 'good' ? [system, baseline] : [baseline, system];
    const controls = { promotionTarget: judgement.promotionTarget, audienceTier: judgement.audienceTier };
    examples.push(pairOf('gsb', judgement.note, language, controls, chosen.slice(0, count), rejected.slice(0, count)));
  }
  return { examples, skipped };
}
