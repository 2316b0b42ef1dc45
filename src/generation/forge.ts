import { randomInt } from 'node:crypto';
import type { Tracer } from '@opentelemetry/api';
import { CopyForgeError, throwIfAborted, toCopyForgeError } from '../core/errors.js';
import type { CopyForgeEvents } from '../core/events.js';
import { parseModelJson } from '../core/json-keys.js';
import { Pipeline, type PipelineResult } from '../core/runner.js';
import { abortable } from '../core/sleep.js';
import { recordSpan } from '../core/telemetry.js';
import { validateNote, validateScoredCreative } from '../core/validation.js';
import { createRewardModelHost, type RewardModelHostOptions, type RewardModelSource } from '../rm/host.js';
import type { Creative, CreativeProvenance, Note, ScoredCreative } from '../schemas/types.js';
import type { ModelBackendV1, SamplingOptionsV1 } from '../spec/model-backend-v1.js';
import type { WarningV1 } from '../spec/shared-v1.js';
import { VERSION } from '../version.js';
import { checkForgeOptions, checkGenerateOptions } from './forge-options.js';
import { detectLanguage, type PromptLanguage } from './language.js';
import { buildTitlesSchema, type TitlesOutput, type TitlesSchemaOptions } from './output-schema.js';
import { buildTitlesMessages, tagCandidates, titlesPromptVersion } from './prompts/titles.js';
import { normaliseTitle, titleSimilarity } from './similarity.js';
import {
  controlLabels,
  defaultAudienceTierLabels,
  defaultAudienceTiers,
  defaultTitleStyles,
  type TitleStyle,
} from './styles.js';

/**
 * Scores a note's creatives and decides which are accepted. The reward-model host
 * implements it; with no reward models every creative is accepted unscored.
 */
export interface CreativeScorer {
  /** Names and versions recorded in provenance. */
  readonly rewardModels: readonly { name: string; version: string }[];
  /** Returns every creative with its scores, `accepted` and `rank`, best first. */
  score(
    note: Note,
    creatives: readonly Creative[],
    options: { backend: ModelBackendV1; signal?: AbortSignal },
  ): Promise<Omit<ScoredCreative, 'provenance'>[]>;
}

/** Options for {@link createForge}. */
export interface ForgeOptions {
  /** The model backend that writes titles; it must have `generate`. */
  backend: ModelBackendV1;
  /**
   * Reward models (objects, plugins or module specifiers) that score every title; the
   * policy then sets `accepted` (usability veto, attractiveness rank). With none, every
   * schema-valid title is accepted unscored. @default []
   * @example rewardModels: [createUsabilityRewardModel(), '@copyforge/plugin-compliance']
   */
  rewardModels?: readonly RewardModelSource[];
  /** Host settings for `rewardModels`: configs per model, timeout, isolation, policy. */
  rewardModelHost?: Omit<RewardModelHostOptions, 'rewardModels' | 'events'>;
  /** A custom scorer instead of `rewardModels` (advanced; e.g. a remote scoring service). */
  scorer?: CreativeScorer;
  /** Titles per note. @default 12 */
  titlesPerNote?: number;
  /** Prompt language: from the note's `lang` or its text, or fixed. @default 'auto' */
  language?: 'auto' | PromptLanguage;
  /** Style taxonomy. @default defaultTitleStyles */
  styles?: readonly TitleStyle[];
  /** Audience tiers the model picks from when the caller fixes none. @default defaultAudienceTiers */
  audienceTiers?: readonly string[];
  /**
   * What the model sees instead of a tier id, per prompt language (outputs keep the id).
   * @default defaultAudienceTierLabels (Chinese labels for the default tiers)
   */
  audienceTierLabels?: Readonly<Record<string, Partial<Record<PromptLanguage, string>>>>;
  /** Longest title, in characters, per language (enforced by the output schema). @default { zh: 20, en: 60 } */
  maxTitleLength?: Partial<Record<PromptLanguage, number>>;
  /** Shortest title, in characters, per language. @default { zh: 4, en: 10 } */
  minTitleLength?: Partial<Record<PromptLanguage, number>>;
  /** Titles whose character-bigram Jaccard similarity reaches this are near-duplicates. @default 0.7 */
  similarityThreshold?: number;
  /**
   * Where an inferred promotion target comes from: `tags` makes the model pick one of the
   * note's hashtags (an enum in the output schema; free text for a note without tags), which
   * keeps small models from naming things the note does not promote; `free` lets the model
   * write any keyword. A target the caller fixes always wins. @default 'tags'
   */
  promotionTargetFrom?: 'tags' | 'free';
  /** Extra generation calls allowed per note to replace dropped titles. @default 2 */
  retryBudget?: number;
  /**
   * Sampling settings, merged over the defaults. `repeatLastTokens` defaults to the whole
   * output of each call, so the penalties see every earlier title.
   * @default { temperature: 0.8, topP: 0.95, repeatPenalty: 1.1, presencePenalty: 0.6 }
   */
  sampling?: Omit<SamplingOptionsV1, 'seed' | 'maxTokens' | 'stop'>;
  /** Notes in flight at once in `generateMany`. @default 2 */
  concurrency?: number;
  /**
   * Deadline for one note, in ms (generation and scoring): past it `generate` rejects with
   * `CF_TIMEOUT` and aborts the backend call. @default none
   */
  timeoutMs?: number;
  /** Receives `generate.*` events. */
  events?: CopyForgeEvents;
  /** Tracer for spans. @default the global tracer (no-op unless registered) */
  tracer?: Tracer;
}

/** Per-call controls for {@link Forge.generate}. */
export interface GenerateOptions {
  /** Fix the audience tier instead of letting the model infer it. */
  audienceTier?: string;
  /** Restrict titles to these style ids. */
  styles?: readonly string[];
  /** Fix the promotion target instead of letting the model infer it. */
  promotionTarget?: string;
  /** Seed for reproducible output. @default random, recorded in provenance */
  seed?: number;
  /**
   * Cancels generation. `generate` rejects with `CF_ABORTED` as soon as it fires, even when
   * the backend ignores the signal.
   */
  signal?: AbortSignal;
  /** Deadline for this note in ms; `CF_TIMEOUT` past it. @default the forge's `timeoutMs` */
  timeoutMs?: number;
}

/** The result of one note. */
export interface ForgeResult {
  noteId: string;
  /** The validated note the creatives were written for. */
  note: Note;
  /** What the note promotes, as stated (or given) first. */
  promotionTarget: string;
  audienceTier: string;
  /** Every candidate with its scores, best first; `accepted` marks those that pass the policy. */
  creatives: ScoredCreative[];
  /** How many titles were requested, generated in total, and dropped as duplicates. */
  counts: { requested: number; generated: number; dropped: number; calls: number };
  /** Degradations: fewer titles than requested, options a backend ignored, ... */
  warnings: WarningV1[];
  provenance: CreativeProvenance;
}

/** The forge: note in, scored creatives out. */
export interface Forge {
  /** Generates, de-duplicates and scores titles for one note. */
  generate(note: Note, options?: GenerateOptions): Promise<ForgeResult>;
  /**
   * Releases what the forge created: the reward-model host of `rewardModels` and its worker
   * threads. The backend is the caller's and stays open. A later `generate` starts a new host.
   */
  close(): Promise<void>;
  /**
   * Streams results for many notes with bounded concurrency, in input order. A failing
   * note yields `{ ok: false, error }` and the rest go on.
   */
  generateMany(
    notes: Iterable<unknown> | AsyncIterable<unknown>,
    options?: { signal?: AbortSignal; ordered?: boolean; seed?: number },
  ): AsyncGenerator<PipelineResult<ForgeResult>>;
}

const tokensPerCharacter: Record<PromptLanguage, number> = { zh: 1.3, en: 0.4 };

const acceptAllScorer: CreativeScorer = {
  rewardModels: [],
  async score(_note, creatives) {
    return creatives.map((creative, index) => ({ creative, scores: [], accepted: true, rank: index + 1 }));
  },
};

/**
 * Creates a forge over a backend.
 *
 * @example
 * const forge = createForge({ backend: await llamaCppBackend({ model: 'default' }) });
 * const result = await forge.generate(note, { audienceTier: 'students' });
 */
export function createForge(options: ForgeOptions): Forge {
  checkForgeOptions(options);
  const { backend } = options;
  if (typeof backend.generate !== 'function') {
    throw new CopyForgeError('CF_CAPABILITY_MISSING', `Backend '${backend.id}' cannot generate text.`);
  }
  const generateText = backend.generate.bind(backend);
  const titlesPerNote = options.titlesPerNote ?? 12;
  const styles = options.styles ?? defaultTitleStyles;
  const audienceTiers = options.audienceTiers ?? defaultAudienceTiers;
  const audienceTierLabels = options.audienceTierLabels ?? defaultAudienceTierLabels;
  const maxTitleLength = { zh: 20, en: 60, ...options.maxTitleLength };
  const minTitleLength = { zh: 4, en: 10, ...options.minTitleLength };
  const threshold = options.similarityThreshold ?? 0.7;
  const retryBudget = options.retryBudget ?? 2;
  const promotionTargetFrom = options.promotionTargetFrom ?? 'tags';
  // The presence penalty over the whole output (repeatLastTokens = maxTokens per call, set
  // below) keeps later titles from reusing earlier ones' words: on the default model it cut
  // near-duplicates from 55 of 92 generated titles to 6 of 53 (4 sample notes).
  const sampling = { temperature: 0.8, topP: 0.95, repeatPenalty: 1.1, presencePenalty: 0.6, ...options.sampling };
  let scorerPromise: Promise<CreativeScorer> | undefined;
  // The reward-model host this forge created (and must close: isolated plugins run in worker threads).
  let ownedHost: { close(): Promise<void> } | undefined;
  // The host loads plugins asynchronously, so it is created on first use.
  const getScorer = (): Promise<CreativeScorer> => {
    scorerPromise ??= (async () => {
      if (options.scorer) return options.scorer;
      if (!options.rewardModels?.length) return acceptAllScorer;
      const host = await createRewardModelHost({
        ...options.rewardModelHost,
        rewardModels: options.rewardModels,
        events: options.events,
      });
      ownedHost = host;
      return {
        rewardModels: host.rewardModels,
        score: (note, creatives, scoreOptions) => host.scoreAndSelect(note, creatives, scoreOptions),
      };
    })();
    scorerPromise.catch(() => {
      scorerPromise = undefined;
    });
    return scorerPromise;
  };

  // The caller's signal and the deadline, raced against the work: a backend or reward model
  // that ignores its signal cannot keep `generate` pending after an abort or past the deadline.
  async function generate(input: Note, call: GenerateOptions = {}): Promise<ForgeResult> {
    checkGenerateOptions(call);
    const note = validateNote(input);
    const timeoutMs = call.timeoutMs ?? options.timeoutMs;
    if (call.signal === undefined && timeoutMs === undefined) return generateNote(note, call);
    const controller = new AbortController();
    const stop = () => controller.abort(call.signal?.reason);
    call.signal?.addEventListener('abort', stop, { once: true });
    if (call.signal?.aborted) stop();
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              controller.abort(
                new CopyForgeError('CF_TIMEOUT', `Note '${note.id}' was not done within ${timeoutMs} ms.`, {
                  details: { noteId: note.id, timeoutMs },
                }),
              ),
            timeoutMs,
          );
    try {
      return await abortable(generateNote(note, { ...call, signal: controller.signal }), controller.signal).catch(
        (error: unknown) => {
          const reason = controller.signal.reason;
          if (controller.signal.aborted && reason instanceof CopyForgeError && reason.code === 'CF_TIMEOUT')
            throw reason;
          throw error;
        },
      );
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', stop);
    }
  }

  async function generateNote(note: Note, call: GenerateOptions): Promise<ForgeResult> {
    const started = performance.now();
    return recordSpan(
      { name: 'copyforge.generate.note', attributes: { 'copyforge.note.id': note.id }, tracer: options.tracer },
      async (span) => {
        const language =
          options.language && options.language !== 'auto'
            ? options.language
            : detectLanguage(`${note.title}${note.body}`, note.lang);
        const allowedStyles = call.styles?.length ? styles.filter((style) => call.styles?.includes(style.id)) : styles;
        if (allowedStyles.length === 0) {
          throw new CopyForgeError(
            'CF_INVALID_CONFIG',
            `'styles' ${JSON.stringify(call.styles)} match no style of the taxonomy.`,
            {
              issues: [
                {
                  path: '/styles',
                  rule: 'enum',
                  message: `'/styles' must use ids of: ${styles.map((style) => style.id).join(', ')}`,
                },
              ],
            },
          );
        }
        const seed = call.seed ?? randomInt(0, 2 ** 31 - 1);
        const warnings: WarningV1[] = [];
        const kept: { style: string; title: string }[] = [];
        const labels = controlLabels(language, allowedStyles, audienceTiers, audienceTierLabels);
        let promotionTarget = call.promotionTarget;
        const promotionTargets = promotionTargetFrom === 'tags' ? tagCandidates(note) : undefined;
        let audienceTier = call.audienceTier;
        let generated = 0;
        let dropped = 0;
        let calls = 0;
        const maxTokensFor = (count: number) =>
          64 + count * (Math.ceil(maxTitleLength[language] * tokensPerCharacter[language]) + 24);

        while (kept.length < titlesPerNote && calls <= retryBudget) {
          throwIfAborted(call.signal);
          const count = titlesPerNote - kept.length;
          // The model sees the controls' labels in the prompt's language; outputs keep the ids.
          const shown = labels.shown({ styles: allowedStyles, audienceTier, audienceTiers });
          const schemaOptions = {
            count,
            styleIds: shown.styles.map((style) => style.id),
            maxTitleLength: maxTitleLength[language],
            minTitleLength: minTitleLength[language],
            promotionTarget,
            promotionTargets,
            audienceTier: shown.audienceTier,
            audienceTiers: shown.audienceTiers,
          };
          const schema = buildTitlesSchema(schemaOptions);
          const messages = buildTitlesMessages({
            note,
            language,
            count,
            ...shown,
            promotionTarget,
            promotionTargets,
            avoid: kept.map((entry) => entry.title),
            maxTitleLength: maxTitleLength[language],
          });
          const result = await generateText({
            messages,
            responseFormat: { type: 'json-schema', schema, name: 'titles' },
            sampling: {
              ...sampling,
              seed: seed + calls,
              maxTokens: maxTokensFor(count),
              repeatLastTokens: sampling.repeatLastTokens ?? maxTokensFor(count),
            },
            signal: call.signal,
          }).catch((error: unknown) => {
            throw toCopyForgeError(error, 'CF_GENERATION_FAILED');
          });
          calls++;
          for (const warning of result.warnings) {
            if (!warnings.some((known) => JSON.stringify(known) === JSON.stringify(warning))) warnings.push(warning);
          }
          const candidate = result.candidates[0];
          const output = candidate && parseOutput(candidate.text, schemaOptions);
          if (!output) {
            warnings.push({
              type: 'other',
              message: `Call ${calls} returned output that does not match the schema (finish reason: ${candidate?.finishReason ?? 'none'}).`,
            });
            continue;
          }
          promotionTarget ??= output.promotionTarget;
          audienceTier ??= labels.tierId(output.audienceTier) ?? output.audienceTier;
          for (const entry of output.titles) {
            generated++;
            const title = entry.title.trim();
            // The schema bounds the raw string; padding or invisible characters can still
            // carry a title outside the bounds, or smuggle control and bidi characters in.
            const length = [...title].length;
            if (
              length < minTitleLength[language] ||
              length > maxTitleLength[language] ||
              unsafeCharacters.test(title) ||
              hasLoneSurrogate(title)
            ) {
              dropped++;
              continue;
            }
            const duplicate =
              normaliseTitle(title) === '' ||
              kept.some(
                (other) =>
                  normaliseTitle(other.title) === normaliseTitle(title) ||
                  titleSimilarity(other.title, title) >= threshold,
              );
            if (duplicate || kept.length >= titlesPerNote) {
              dropped++;
              continue;
            }
            kept.push({ style: labels.styleId(entry.style) ?? entry.style, title });
          }
        }
        if (promotionTarget === undefined || audienceTier === undefined) {
          throw new CopyForgeError(
            'CF_GENERATION_FAILED',
            `No schema-valid output for note '${note.id}' after ${calls} calls.`,
            {
              details: { warnings },
            },
          );
        }
        if (kept.length < titlesPerNote) {
          warnings.push({
            type: 'other',
            message: `Only ${kept.length} of ${titlesPerNote} titles are distinct after ${calls} calls (${dropped} near-duplicates dropped).`,
          });
        }
        const creatives: Creative[] = kept.map((entry, index) => ({
          id: `${note.id}#${index + 1}`,
          noteId: note.id,
          title: entry.title,
          style: entry.style,
          controls: { promotionTarget: promotionTarget as string, audienceTier: audienceTier as string },
        }));
        for (const creative of creatives) {
          options.events?.emit('generate.title-end', {
            noteId: note.id,
            creativeId: creative.id,
            title: creative.title,
          });
        }
        const scorer = await getScorer();
        const provenance: CreativeProvenance = {
          sdkVersion: VERSION,
          backendId: backend.id,
          ...(backend.model?.name ? { modelName: backend.model.name } : {}),
          ...(backend.model?.sha256 ? { modelSha256: backend.model.sha256 } : {}),
          ...(backend.model?.adapters?.length
            ? { adapters: backend.model.adapters.map(({ name, sha256, scale }) => ({ name, sha256, scale })) }
            : {}),
          ...(backend.model?.threads ? { threads: backend.model.threads } : {}),
          seed,
          sampling: {
            ...sampling,
            seed,
            maxTokens: maxTokensFor(titlesPerNote),
            repeatLastTokens: sampling.repeatLastTokens ?? maxTokensFor(titlesPerNote),
          },
          promptVersion: titlesPromptVersion,
          rewardModels: scorer.rewardModels.map(({ name, version }) => ({ name, version })),
        };
        const scored = (await scorer.score(note, creatives, { backend, signal: call.signal })).map((entry) =>
          validateScoredCreative({ ...entry, provenance }),
        );
        const accepted = scored.filter((entry) => entry.accepted).length;
        span.setAttributes({
          'copyforge.titles.requested': titlesPerNote,
          'copyforge.titles.generated': generated,
          'copyforge.titles.accepted': accepted,
        });
        options.events?.emit('generate.note-end', {
          noteId: note.id,
          creatives: scored.length,
          accepted,
          durationMs: performance.now() - started,
        });
        return {
          noteId: note.id,
          note,
          promotionTarget,
          audienceTier,
          creatives: scored,
          counts: { requested: titlesPerNote, generated, dropped, calls },
          warnings,
          provenance,
        };
      },
    );
  }

  return {
    generate,
    async close() {
      const pending = scorerPromise;
      scorerPromise = undefined;
      await pending?.catch(() => {});
      await ownedHost?.close();
      ownedHost = undefined;
    },
    generateMany(notes, runOptions = {}) {
      const { seed, ...pipelineOptions } = runOptions;
      const pipeline = Pipeline.from<unknown>().pipe({
        name: 'generate',
        concurrency: options.concurrency ?? 2,
        run: (note, { signal }) => generate(note as Note, { signal, ...(seed === undefined ? {} : { seed }) }),
      });
      return pipeline.run(notes, { ...pipelineOptions, events: options.events, tracer: options.tracer });
    },
  };
}

// C0/C1 controls, zero-width characters, bidi overrides and isolates, BOM.
const unsafeCharacters = /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function parseOutput(text: string, options: TitlesSchemaOptions): TitlesOutput | undefined {
  // Duplicate keys are invalid too: JSON.parse would keep the last "title" silently.
  const parsed = parseModelJson(text);
  if (!parsed.ok) return undefined;
  const value = parsed.value;
  // The grammar should guarantee this shape; HTTP backends without grammar support may not.
  // Checked by hand: compiling a fresh ajv schema per call would grow ajv's cache forever.
  const output = value as Partial<TitlesOutput> | null;
  // The schema's additionalProperties: false, for backends that do not enforce the grammar.
  const onlyKeys = (entry: object, allowed: readonly string[]) =>
    Object.keys(entry).every((key) => allowed.includes(key));
  if (
    typeof output !== 'object' ||
    output === null ||
    !onlyKeys(output, ['promotionTarget', 'audienceTier', 'titles'])
  ) {
    return undefined;
  }
  const isText = (entry: unknown, min: number, max: number) =>
    typeof entry === 'string' && [...entry].length >= min && [...entry].length <= max;
  // A free-text target has the schema's 24-character bound; a fixed one or a tag is checked below.
  const targetLimit = options.promotionTarget === undefined && !options.promotionTargets?.length ? 24 : 64;
  if (!isText(output.promotionTarget, 1, targetLimit) || !isText(output.audienceTier, 1, 64)) return undefined;
  if (options.promotionTarget !== undefined && output.promotionTarget !== options.promotionTarget) return undefined;
  if (
    options.promotionTarget === undefined &&
    options.promotionTargets?.length &&
    !options.promotionTargets.includes(output.promotionTarget as string)
  ) {
    return undefined;
  }
  if (options.audienceTier !== undefined && output.audienceTier !== options.audienceTier) return undefined;
  if (options.audienceTier === undefined && !options.audienceTiers.includes(output.audienceTier as string)) {
    return undefined;
  }
  if (!Array.isArray(output.titles) || output.titles.length > options.count) return undefined;
  const valid = output.titles.every(
    (entry) =>
      typeof entry === 'object' &&
      entry !== null &&
      onlyKeys(entry, ['title', 'style']) &&
      options.styleIds.includes(entry.style) &&
      isText(entry.title, options.minTitleLength, options.maxTitleLength),
  );
  return valid ? (output as TitlesOutput) : undefined;
}
