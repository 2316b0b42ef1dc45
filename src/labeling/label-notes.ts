import type { Tracer } from '@opentelemetry/api';
import { CopyForgeError, throwIfAborted, toCopyForgeError } from '../core/errors.js';
import type { CopyForgeEvents } from '../core/events.js';
import { parseModelJson } from '../core/json-keys.js';
import { Pipeline, type PipelineResult } from '../core/runner.js';
import { validateLabels, validateNote } from '../core/validation.js';
import { detectLanguage, type PromptLanguage } from '../generation/language.js';
import { buildTitlesSchema, type TitlesOutput, type TitlesSchemaOptions } from '../generation/output-schema.js';
import { buildTitlesMessages, tagCandidates, titlesPromptVersion } from '../generation/prompts/titles.js';
import { controlLabels } from '../generation/styles.js';
import type { Labels, Note } from '../schemas/types.js';
import type { ChatMessageV1, ModelBackendV1, SamplingOptionsV1 } from '../spec/model-backend-v1.js';
import type { JsonSchemaV1, WarningV1 } from '../spec/shared-v1.js';
import {
  type CachedLabel,
  type LabelAgreement,
  type LabelCache,
  type LabelProvenance,
  labelCacheKey,
  noteContentHash,
  openLabelCache,
} from './cache.js';
import { checkGrounding, type GroundingResult, normaliseForGrounding } from './grounding.js';
import type { LabelsOutput } from './prompts/labels-v1.js';
import { buildLabelsMessages, buildLabelsSchema, labelsPromptVersion } from './prompts/labels-v1.js';
import { type LabelTaxonomy, type ReachTier, resolveTaxonomy } from './taxonomy.js';
import { confidenceOf, parseLabelsOutput, voteLabels } from './vote.js';

/** A note with extra titles to label besides its own (e.g. titles editors wrote for it). */
export interface LabelInput {
  note: Note;
  /** More titles of the same note; the note's own title comes first when not empty. */
  titles?: string[];
}

/** Why a label should be looked at before it trains anything. */
export type LabelFlag = 'ungrounded-target' | 'low-confidence' | 'partial-votes';

/** One labelled note: what `copyforge label` writes per line and the dataset builders read. */
export interface LabelledNote {
  noteId: string;
  /** The note, so a labels file is a self-contained dataset source. */
  note: Note;
  /** Promotion target, audience tier, one style per title, the titles, and the confidence (2+ votes). */
  labels: Labels;
  /** How wide the audience is. */
  reachTier: ReachTier;
  /** Whether the promotion target appears in the note. */
  grounding: GroundingResult;
  /** Per-dimension agreement of the votes; absent with a single vote. */
  agreement?: LabelAgreement;
  /** Reasons to distrust the label; empty when none. */
  flags: LabelFlag[];
  /** Votes asked for and votes that were valid. */
  votes: { requested: number; valid: number };
  /** True when the label came from the cache (no backend call). */
  cached: boolean;
  provenance: LabelProvenance;
}

/** Progress after each note, for progress bars (the `label.*` events of a future release). */
export interface LabelProgress {
  /** Notes finished so far (labelled or failed). */
  done: number;
  /** Notes in the run, when known (arrays, or the `total` option). */
  total?: number;
  /** The note just finished, when it had a valid id. */
  noteId?: string;
  /** Whether that note came from the cache. */
  cached: boolean;
  /** Whether that note failed. */
  failed: boolean;
  /** Running counters of the run. */
  stats: LabelStats;
}

/** Counters of a labelling run. */
export interface LabelStats {
  labelled: number;
  failed: number;
  cacheHits: number;
  /** `generate` calls made (0 on a fully cached rerun). */
  backendCalls: number;
  grounded: number;
  /** Labels with at least one flag. */
  flagged: number;
  /** Sum of confidences of labels that have one (divide by `withConfidence`). */
  confidenceSum: number;
  withConfidence: number;
}

/** Options for {@link labelNotes} and {@link labelNotesStream}. */
export interface LabelNotesOptions {
  /** The labelling model; it must have `generate`. A general instruction-tuned LLM works best. */
  backend: ModelBackendV1;
  /**
   * Styles and audience tiers to choose from. @default defaultLabelTaxonomy (the forge's own)
   * @example taxonomy: { audienceTiers: ['students', 'new-parents', 'seniors', 'broad'] }
   */
  taxonomy?: Partial<LabelTaxonomy>;
  /**
   * Samples per note for a self-consistency vote; with 2+ votes the agreement of the
   * weakest dimension is the label's confidence. @default 1
   * @example votes: 3
   */
  votes?: number;
  /** Labels whose confidence is below this are flagged `low-confidence`. @default 0.6 */
  minConfidence?: number;
  /**
   * A cache, or the folder of an on-disk one ({@link openLabelCache}). Keyed by note content,
   * model hash, prompt version and the settings here: a rerun labels only what changed.
   * @default no cache
   * @example cache: join(cacheDirectory(), 'labels')
   */
  cache?: LabelCache | string;
  /** Notes labelled at once (match the backend's sequences). @default 2 */
  concurrency?: number;
  /**
   * Sampling. @default { temperature: 0 } with one vote, { temperature: 0.7, topP: 0.95 } with more
   */
  sampling?: Omit<SamplingOptionsV1, 'seed' | 'maxTokens' | 'stop'>;
  /** Extra calls per note when votes come back invalid. @default 1 */
  retries?: number;
  /** Prompt language: from the note's `lang` or its text, or fixed. @default 'auto' */
  language?: 'auto' | PromptLanguage;
  /**
   * Identifies the model in cache keys. Set it when the backend's hash does not tell
   * models apart, e.g. the same base model with different LoRA adapters.
   * @default backend.model.sha256, else backend.id
   */
  modelKey?: string;
  /**
   * How the model is asked. `labels`: the labelling prompt (target, audience, reach and one
   * style per given title). `unified`: the forge's own prompt and output schema, which the
   * shipped title adapter was fine-tuned on — target, audience, then `unifiedTitles` titles
   * with their styles; the label's titles and styles are the model's, the note's own titles
   * are not labelled. @default 'unified' when the backend carries a LoRA adapter, else 'labels'
   */
  mode?: 'labels' | 'unified';
  /** Titles asked for in `unified` mode. @default 8 */
  unifiedTitles?: number;
  /** Notes in the run, for the ETA, when `notes` is not an array. */
  total?: number;
  /** Called after each note. */
  onProgress?: (progress: LabelProgress) => void;
  /** Receives `pipeline.item-*` events (stage `label`). */
  events?: CopyForgeEvents;
  /** Tracer for per-note spans. */
  tracer?: Tracer;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** The result of {@link labelNotes}. */
export interface LabelNotesResult {
  /** Labelled notes, in input order. */
  labelled: LabelledNote[];
  /** Notes that could not be labelled, with a coded error each. */
  failures: { index: number; noteId?: string; error: CopyForgeError }[];
  stats: LabelStats;
  /** Degradations reported by the backend (each distinct one once). */
  warnings: WarningV1[];
}

const maxTitles = 12;
// The forge's title length defaults: unified labels are generation outputs.
const unifiedMaxTitleLength = { zh: 20, en: 60 } as const;
const unifiedMinTitleLength = { zh: 4, en: 10 } as const;

/** Parses and checks a unified answer against the schema it was constrained by; ids restored. */
function parseUnifiedOutput(
  text: string,
  options: TitlesSchemaOptions,
  labels: ReturnType<typeof controlLabels>,
): (LabelsOutput & { titles: string[] }) | undefined {
  const parsed = parseModelJson(text);
  if (!parsed.ok) return undefined;
  const output = parsed.value as Partial<TitlesOutput> | null;
  if (typeof output !== 'object' || output === null || !Array.isArray(output.titles)) return undefined;
  const target = typeof output.promotionTarget === 'string' ? output.promotionTarget.trim() : '';
  if (target === '' || (options.promotionTargets?.length && !options.promotionTargets.includes(target))) {
    return undefined;
  }
  const tier = labels.tierId(String(output.audienceTier)) ?? String(output.audienceTier);
  if (!options.audienceTiers.map((shown) => labels.tierId(shown) ?? shown).includes(tier)) return undefined;
  const titles: string[] = [];
  const styles: string[] = [];
  for (const entry of output.titles) {
    const title = typeof entry?.title === 'string' ? entry.title.trim() : '';
    const style = labels.styleId(String(entry?.style)) ?? String(entry?.style);
    const length = [...title].length;
    if (length < options.minTitleLength || length > options.maxTitleLength) continue;
    if (!options.styleIds.map((shown) => labels.styleId(shown) ?? shown).includes(style)) continue;
    if (titles.includes(title)) continue;
    titles.push(title);
    styles.push(style);
  }
  if (titles.length === 0) return undefined;
  return {
    promotionTarget: target,
    audienceTier: tier,
    reachTier: tier === 'broad' ? 'broad' : 'interest',
    styles,
    titles,
  };
}
const maxTitleLength = 120;

function toInput(item: unknown): { note: Note; titles: string[] } {
  const wrapped =
    typeof item === 'object' && item !== null && 'note' in item && typeof item.note === 'object'
      ? (item as { note: unknown; titles?: unknown })
      : undefined;
  const note = validateNote(wrapped ? wrapped.note : item);
  const extra = wrapped?.titles;
  if (extra !== undefined && (!Array.isArray(extra) || !extra.every((title) => typeof title === 'string'))) {
    throw new CopyForgeError('CF_INVALID_INPUT', `Note '${note.id}': 'titles' must be an array of strings.`, {
      issues: [{ path: '/titles', rule: 'type', message: "'/titles' must be an array of strings" }],
    });
  }
  const titles: string[] = [];
  for (const title of [note.title, ...((extra as string[] | undefined) ?? [])]) {
    const trimmed = title.trim();
    // Titles longer than the labels schema allows are no ad titles; they are not labelled.
    if (trimmed !== '' && [...trimmed].length <= maxTitleLength && !titles.includes(trimmed)) titles.push(trimmed);
  }
  if (titles.length > maxTitles) {
    throw new CopyForgeError('CF_INVALID_INPUT', `Note '${note.id}' has ${titles.length} titles; at most 12.`, {
      issues: [{ path: '/titles', rule: 'maxItems', message: "'/titles' must have at most 12 items" }],
    });
  }
  return { note, titles };
}

function checkOptions(options: LabelNotesOptions) {
  if (typeof options.backend?.generate !== 'function') {
    throw new CopyForgeError('CF_CAPABILITY_MISSING', `Backend '${options.backend?.id}' cannot generate text.`);
  }
  const integer = (name: string, value: number, minimum: number) => {
    if (!Number.isInteger(value) || value < minimum) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${name}' must be an integer ≥ ${minimum}, got ${value}.`, {
        issues: [{ path: `/${name}`, rule: 'minimum', message: `'/${name}' must be an integer ≥ ${minimum}` }],
      });
    }
  };
  integer('votes', options.votes ?? 1, 1);
  integer('retries', options.retries ?? 1, 0);
  integer('concurrency', options.concurrency ?? 2, 1);
  const minConfidence = options.minConfidence ?? 0.6;
  if (!(minConfidence >= 0 && minConfidence <= 1)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'minConfidence' must be in 0..1, got ${minConfidence}.`, {
      issues: [{ path: '/minConfidence', rule: 'maximum', message: "'/minConfidence' must be in 0..1" }],
    });
  }
}

/** The note id of a raw input item (a note or a wrapped note), when it has one. */
function inputNoteId(input: unknown): string | undefined {
  const value = input as { id?: unknown; note?: { id?: unknown } } | null;
  const id = value?.note?.id ?? value?.id;
  return typeof id === 'string' ? id : undefined;
}

function newStats(): LabelStats {
  return {
    labelled: 0,
    failed: 0,
    cacheHits: 0,
    backendCalls: 0,
    grounded: 0,
    flagged: 0,
    confidenceSum: 0,
    withConfidence: 0,
  };
}

/**
 * Labels notes as they stream in, with bounded concurrency, yielding one result per note
 * in input order; a note that fails yields `{ ok: false, error }` and the rest go on.
 * Each item is a `Note` or a {@link LabelInput}. The returned generator's `stats` and
 * `warnings` fill as it runs.
 *
 * @example
 * for await (const result of labelNotesStream(notes, { backend, votes: 3, cache: './label-cache' })) {
 *   if (result.ok) console.log(result.value.labels.promotionTarget, result.value.flags);
 * }
 */
export function labelNotesStream(
  notes: Iterable<unknown> | AsyncIterable<unknown>,
  options: LabelNotesOptions,
): AsyncGenerator<PipelineResult<LabelledNote>> & { stats: LabelStats; warnings: WarningV1[] } {
  checkOptions(options);
  const { backend } = options;
  const generate = (backend.generate as NonNullable<ModelBackendV1['generate']>).bind(backend);
  const taxonomy = resolveTaxonomy(options.taxonomy);
  const votes = options.votes ?? 1;
  const retries = options.retries ?? 1;
  const minConfidence = options.minConfidence ?? 0.6;
  const sampling = options.sampling ?? (votes === 1 ? { temperature: 0 } : { temperature: 0.7, topP: 0.95 });
  const mode = options.mode ?? (backend.model?.adapters?.length ? 'unified' : 'labels');
  const unifiedTitles = options.unifiedTitles ?? 8;
  if (mode !== 'labels' && mode !== 'unified') {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'mode' must be 'labels' or 'unified', got '${String(mode)}'.`, {
      issues: [{ path: '/mode', rule: 'enum', message: "'/mode' must be 'labels' or 'unified'" }],
    });
  }
  if (!Number.isInteger(unifiedTitles) || unifiedTitles < 1 || unifiedTitles > 12) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'unifiedTitles' must be a whole number in 1..12.`, {
      issues: [{ path: '/unifiedTitles', rule: 'maximum', message: "'/unifiedTitles' must be in 1..12" }],
    });
  }
  const modelKey =
    (options.modelKey ?? backend.model?.sha256 ?? backend.id) +
    (backend.model?.adapters?.length && options.modelKey === undefined
      ? `+${backend.model.adapters.map((adapter) => adapter.sha256).join('+')}`
      : '');
  const total = options.total ?? (Array.isArray(notes) ? notes.length : undefined);
  const stats = newStats();
  const warnings: WarningV1[] = [];
  let done = 0;
  let cachePromise: Promise<LabelCache | undefined> | undefined;
  const getCache = () => {
    cachePromise ??= typeof options.cache === 'string' ? openLabelCache(options.cache) : Promise.resolve(options.cache);
    return cachePromise;
  };

  /** A prompt, the schema it is constrained by, and how its answers are read. */
  interface SampleRequest<T> {
    messages: ChatMessageV1[];
    responseFormat: { type: 'json-schema'; schema: JsonSchemaV1; name: string };
    maxTokens: number;
    parse: (text: string) => T | undefined;
    /** Names the schema in the error when no answer matches it. */
    schemaName: string;
  }

  // Samples `votes` valid answers, with `retries` extra calls for invalid ones.
  async function vote<T>(request: SampleRequest<T>, note: Note, contentHash: string, signal: AbortSignal) {
    const seed = Number.parseInt(contentHash.slice(0, 8), 16) % 2 ** 31;
    const outputs: T[] = [];
    let calls = 0;
    while (outputs.length < votes && calls <= retries) {
      throwIfAborted(signal);
      const result = await generate({
        messages: request.messages,
        responseFormat: request.responseFormat,
        sampling: { ...sampling, seed: seed + calls * 7919, maxTokens: request.maxTokens },
        candidates: votes - outputs.length,
        signal,
      }).catch((error: unknown) => {
        throw toCopyForgeError(error, 'CF_GENERATION_FAILED');
      });
      calls++;
      stats.backendCalls++;
      for (const warning of result.warnings) {
        if (!warnings.some((known) => JSON.stringify(known) === JSON.stringify(warning))) warnings.push(warning);
      }
      for (const candidate of result.candidates) {
        const output = request.parse(candidate.text);
        if (output) outputs.push(output);
      }
    }
    if (outputs.length === 0) {
      throw new CopyForgeError(
        'CF_INVALID_OUTPUT',
        `No answer for note '${note.id}' matched the ${request.schemaName} schema after ${calls} calls.`,
        { details: { noteId: note.id, calls } },
      );
    }
    return { outputs, calls };
  }

  function sample(note: Note, titles: string[], language: PromptLanguage, contentHash: string, signal: AbortSignal) {
    if (mode === 'unified') return vote(unifiedRequest(note, language), note, contentHash, signal);
    return vote<LabelsOutput>(
      {
        messages: buildLabelsMessages({ note, language, taxonomy, titles }),
        responseFormat: { type: 'json-schema', schema: buildLabelsSchema(taxonomy, titles.length), name: 'labels' },
        maxTokens: 112 + 8 * Math.max(1, titles.length),
        parse: (text) => parseLabelsOutput(text, taxonomy, titles.length),
        schemaName: 'labels',
      },
      note,
      contentHash,
      signal,
    );
  }

  // The forge's prompt and schema (what the title adapter was trained on), nothing fixed.
  function unifiedRequest(note: Note, language: PromptLanguage): SampleRequest<LabelsOutput & { titles: string[] }> {
    const labels = controlLabels(language, taxonomy.styles, taxonomy.audienceTiers);
    const shown = labels.shown({ styles: taxonomy.styles, audienceTiers: taxonomy.audienceTiers });
    const promotionTargets = tagCandidates(note);
    const schemaOptions = {
      count: unifiedTitles,
      styleIds: shown.styles.map((style) => style.id),
      maxTitleLength: unifiedMaxTitleLength[language],
      minTitleLength: unifiedMinTitleLength[language],
      promotionTargets,
      audienceTiers: shown.audienceTiers,
    };
    return {
      messages: buildTitlesMessages({
        note,
        language,
        count: unifiedTitles,
        ...shown,
        promotionTargets,
        maxTitleLength: unifiedMaxTitleLength[language],
      }),
      responseFormat: { type: 'json-schema', schema: buildTitlesSchema(schemaOptions), name: 'titles' },
      maxTokens: 64 + unifiedTitles * (unifiedMaxTitleLength[language] * 2 + 24),
      parse: (text) => parseUnifiedOutput(text, schemaOptions, labels),
      schemaName: 'unified label',
    };
  }

  async function labelOne(item: unknown, signal: AbortSignal): Promise<LabelledNote> {
    const { note, titles } = toInput(item);
    const language =
      options.language && options.language !== 'auto'
        ? options.language
        : detectLanguage(`${note.title}${note.body}`, note.lang);
    const contentHash = noteContentHash(note, titles);
    const key = labelCacheKey({
      contentHash,
      modelKey,
      promptVersion: mode === 'unified' ? `unified:${titlesPromptVersion}` : labelsPromptVersion,
      settings: { votes, sampling, language, taxonomy, ...(mode === 'unified' ? { unifiedTitles } : {}) },
    });
    const cache = await getCache();
    let entry = await cache?.get(key);
    const cached = entry !== undefined;
    if (!entry) {
      const { outputs, calls } = await sample(note, titles, language, contentHash, signal);
      const { output, agreement } = voteLabels(outputs, votes, note);
      // Unified labels carry the model's own titles, from the first answer that agrees with the
      // vote on target and tier. Their styles belong to those titles, so they are not voted:
      // the confidence is that of target and tier.
      const unified = mode === 'unified' ? (outputs as (LabelsOutput & { titles: string[] })[]) : undefined;
      const answer =
        unified?.find(
          (entry) =>
            normaliseForGrounding(entry.promotionTarget) === normaliseForGrounding(output.promotionTarget) &&
            entry.audienceTier === output.audienceTier,
        ) ??
        unified?.find((entry) => entry.promotionTarget === output.promotionTarget) ??
        unified?.[0];
      if (unified) agreement.styles = 1;
      const labelTitles = answer ? answer.titles : titles;
      const labels: Labels = {
        promotionTarget: output.promotionTarget,
        audienceTier: output.audienceTier,
        styles: answer ? answer.styles : output.styles,
        ...(labelTitles.length ? { titles: labelTitles } : {}),
        ...(votes > 1 ? { confidence: Math.round(confidenceOf(agreement) * 1e4) / 1e4 } : {}),
      };
      entry = {
        labels: validateLabels(labels),
        reachTier: output.reachTier,
        ...(votes > 1 ? { agreement } : {}),
        votes: { requested: votes, valid: outputs.length },
        calls,
        provenance: {
          backendId: backend.id,
          ...(backend.model?.sha256 ? { modelSha256: backend.model.sha256 } : {}),
          promptVersion: mode === 'unified' ? `unified:${titlesPromptVersion}` : labelsPromptVersion,
          contentHash,
          labelledAt: new Date().toISOString(),
        },
      } satisfies CachedLabel;
      await cache?.set(key, entry);
    }
    return finish(note, entry, cached);
  }

  function finish(note: Note, entry: CachedLabel, cached: boolean): LabelledNote {
    const grounding = checkGrounding(entry.labels.promotionTarget, note);
    const flags: LabelFlag[] = [];
    if (!grounding.grounded) flags.push('ungrounded-target');
    if (entry.labels.confidence !== undefined && entry.labels.confidence < minConfidence) flags.push('low-confidence');
    if (entry.votes.valid < entry.votes.requested) flags.push('partial-votes');
    return {
      noteId: note.id,
      note,
      labels: entry.labels,
      reachTier: entry.reachTier,
      grounding,
      ...(entry.agreement ? { agreement: entry.agreement } : {}),
      flags,
      votes: entry.votes,
      cached,
      provenance: entry.provenance,
    };
  }

  function record(result: PipelineResult<LabelledNote>) {
    done++;
    let noteId: string | undefined;
    if (result.ok) {
      const value = result.value;
      noteId = value.noteId;
      stats.labelled++;
      if (value.cached) stats.cacheHits++;
      if (value.grounding.grounded) stats.grounded++;
      if (value.flags.length) stats.flagged++;
      if (value.labels.confidence !== undefined) {
        stats.confidenceSum += value.labels.confidence;
        stats.withConfidence++;
      }
    } else {
      stats.failed++;
      noteId = inputNoteId(result.input);
    }
    options.onProgress?.({
      done,
      ...(total !== undefined ? { total } : {}),
      ...(noteId !== undefined ? { noteId } : {}),
      cached: result.ok && result.value.cached,
      failed: !result.ok,
      stats: { ...stats },
    });
  }

  const pipeline = Pipeline.from<unknown>().pipe({
    name: 'label',
    concurrency: options.concurrency ?? 2,
    run: (item, { signal }) => labelOne(item, signal),
  });
  const results = pipeline.run(notes, { signal: options.signal, events: options.events, tracer: options.tracer });
  async function* stream(): AsyncGenerator<PipelineResult<LabelledNote>> {
    for await (const result of results) {
      record(result);
      yield result;
    }
  }
  return Object.assign(stream(), { stats, warnings });
}

/**
 * Labels every note with its promotion target (checked for grounding), audience and
 * reach tiers and the style of each title, using the same taxonomy as generation. With
 * `votes` ≥ 2 each note is sampled k times and the agreement is its confidence; flagged
 * labels (ungrounded, low confidence) are kept but marked. Results are cached by content,
 * model and prompt version, so reruns and resumed runs only pay for what changed.
 *
 * @example
 * const backend = await llamaCppBackend({ model: 'default', threads: 2 });
 * const { labelled, stats } = await labelNotes(notes, { backend, votes: 3, cache: '.cache/labels' });
 */
export async function labelNotes(
  notes: Iterable<unknown> | AsyncIterable<unknown>,
  options: LabelNotesOptions,
): Promise<LabelNotesResult> {
  const stream = labelNotesStream(notes, options);
  const labelled: LabelledNote[] = [];
  const failures: LabelNotesResult['failures'] = [];
  for await (const result of stream) {
    if (result.ok) {
      labelled.push(result.value);
    } else {
      const noteId = inputNoteId(result.input);
      failures.push({ index: result.index, ...(noteId !== undefined ? { noteId } : {}), error: result.error });
    }
  }
  return { labelled, failures, stats: stream.stats, warnings: stream.warnings };
}
