import { CopyForgeError, throwIfAborted } from '../core/errors.js';
import { createValidator } from '../core/validation.js';
import { cleanConfigSchema } from './config.js';
import { ExactDeduplicator, exactKey, NearDeduplicator } from './dedup.js';
import { defaultMinHashOptions, lshThreshold } from './minhash.js';
import { Mixer, type MixerState, type MixOptions } from './mix.js';
import { PerplexityFilter, type PerplexityFilterOptions } from './perplexity.js';
import { BatchProcessor, type BatchResult, type CleanStageOptions, createDocumentStages } from './processor.js';
import { type CorpusSource, type RawItem, readCorpusSource } from './records.js';
import {
  type CorpusDocument,
  type DocumentStage,
  type DropDecision,
  emptyStageStats,
  mergeStageStats,
  recordDrop,
  StageRunner,
  type StageStats,
} from './stage.js';
import { WorkerPool } from './worker-pool.js';

/** Options of {@link cleanCorpus}. */
export interface CleanOptions extends CleanStageOptions {
  /**
   * Worker threads for the per-document stages; 0 runs them on the calling thread.
   * Dedup, mixing and writing stay on the calling thread.
   * @default 0
   * @example os.availableParallelism()
   */
  workers?: number;
  /** Raw items per batch sent to a worker. @default 512 */
  batchSize?: number;
  /** Your own stages; they run on the calling thread after the built-in filters, before dedup. */
  stages?: DocumentStage[];
  /** Model-perplexity filter, run after dedup on survivors only. */
  perplexity?: PerplexityFilterOptions;
  /** Mix a generic corpus into the output at a ratio. */
  mix?: MixOptions;
  /** Cancels the run between batches (`CF_ABORTED`). */
  signal?: AbortSignal;
  /** Called after each batch with the running stats (for progress bars). */
  onBatch?: (stats: CleanStats) => void;
  /**
   * Called for each document the exact or near-duplicate dedup drops,
   * e.g. for an audit trail or to measure dedup against ground truth. Other drops are
   * only counted in `stats`.
   */
  onDrop?: (document: CorpusDocument, stage: string, decision: DropDecision) => void;
}

/** The stats report of a cleaning run. */
export interface CleanStats {
  /** Raw input records read. */
  input: number;
  /** Domain documents kept. */
  kept: number;
  /** Domain documents dropped (by any stage). */
  dropped: number;
  /** Generic documents mixed in. */
  generic: number;
  /** Documents written or yielded (kept + generic). */
  output: number;
  /** Per stage, in run order: seen, dropped, counters and drop reasons with examples. */
  stages: Record<string, StageStats>;
  /** Dedup index sizes: distinct exact keys, near-dedup representatives, bytes held, LSH threshold. */
  dedup: { exactKeys: number; representatives: number; indexBytes: number; threshold: number | null };
  /** Mixing outcome, when mixing. */
  mix?: { ratio: number; by: 'documents' | 'tokens'; achievedRatio: number; exhausted: boolean };
  /** Worker threads used (0: inline). */
  workers: number;
  /** Degradations, e.g. workers unavailable, generic corpus exhausted. */
  warnings: string[];
}

/** What a resumed run restores (see `writeCleanCorpus`). */
export interface ResumeState {
  /** Raw input records already processed; they are skipped. */
  inputConsumed: number;
  /** Stats at that point. */
  stats: CleanStats;
  /** Mixer state at that point. */
  mixer?: MixerState;
  /** Texts of the kept domain documents already written, to rebuild the dedup index. */
  keptTexts: AsyncIterable<string>;
}

/** One batch of output and where the input stands after it. */
export interface CleanBatch {
  /** Kept and mixed-in documents, in output order. */
  documents: CorpusDocument[];
  /** Raw input records consumed so far (resume point). */
  inputConsumed: number;
  /** Mixer state after this batch. */
  mixer?: MixerState;
}

function emptyStats(options: CleanOptions): CleanStats {
  const stages: Record<string, StageStats> = { read: emptyStageStats() };
  for (const stage of createDocumentStages(options)) stages[stage.name] = emptyStageStats();
  for (const stage of options.stages ?? []) stages[stage.name] = emptyStageStats();
  if (options.exactDedup !== false) stages['dedup:exact'] = emptyStageStats();
  if (options.nearDedup !== false) stages['dedup:near'] = emptyStageStats();
  if (options.perplexity) stages['filter:perplexity'] = emptyStageStats();
  const near = options.nearDedup === false ? undefined : options.nearDedup;
  return {
    input: 0,
    kept: 0,
    dropped: 0,
    generic: 0,
    output: 0,
    stages,
    dedup: {
      exactKeys: 0,
      representatives: 0,
      indexBytes: 0,
      threshold:
        near === undefined
          ? null
          : lshThreshold(near.bands ?? defaultMinHashOptions.bands, near.rows ?? defaultMinHashOptions.rows),
    },
    workers: 0,
    warnings: [],
  };
}

/** The stage options that travel to workers (JSON only). */
export function stageOptionsOf(options: CleanOptions): CleanStageOptions {
  const { normalise, pii, filters, exactDedup, nearDedup, examplesPerReason } = options;
  return JSON.parse(JSON.stringify({ normalise, pii, filters, exactDedup, nearDedup, examplesPerReason }));
}

/**
 * A cleaning run: iterate it for the kept (and mixed-in) documents; `stats` fills in as
 * it goes. Memory stays constant per document; only the dedup index grows.
 */
export class CleanRun implements AsyncIterable<CorpusDocument> {
  /** Running stats; complete once iteration ends. */
  readonly stats: CleanStats;
  readonly #source: CorpusSource;
  readonly #options: CleanOptions;

  constructor(source: CorpusSource, options: CleanOptions = {}) {
    this.#source = source;
    this.#options = options;
    this.stats = emptyStats(options);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CorpusDocument> {
    for await (const batch of this.batches()) yield* batch.documents;
  }

  /** The run batch by batch, with resume points; `resume` continues an earlier run. */
  async *batches(resume?: ResumeState): AsyncGenerator<CleanBatch> {
    const options = this.#options;
    const stats = this.stats;
    const examples = options.examplesPerReason ?? 3;
    const batchSize = options.batchSize ?? 512;
    if (resume) Object.assign(stats, structuredClone(resume.stats));
    const exact = options.exactDedup === false ? undefined : new ExactDeduplicator();
    const near = options.nearDedup === false ? undefined : new NearDeduplicator(options.nearDedup ?? {});
    const custom = options.stages?.length ? new StageRunner(options.stages, examples) : undefined;
    const perplexity = options.perplexity ? new PerplexityFilter(options.perplexity) : undefined;
    const mixer = options.mix ? new Mixer(options.mix, resume?.mixer) : undefined;
    if (resume) {
      for await (const text of resume.keptTexts) {
        if (exact) exact.isDuplicate(...exactKey(text));
        if (near) near.check(near.hasher.signText(text));
      }
      await mixer?.skipConsumed();
    }
    const stageOptions = stageOptionsOf(options);
    let pool: WorkerPool | undefined;
    let inline: BatchProcessor | undefined;
    const workers = options.workers ?? 0;
    if (workers > 0) {
      try {
        pool = await WorkerPool.create(workers, stageOptions);
        stats.workers = workers;
      } catch (error) {
        stats.warnings.push(`Worker threads unavailable, cleaning inline: ${(error as Error).message}`);
      }
    }
    if (!pool) inline = new BatchProcessor(stageOptions);
    const reader = readCorpusSource(this.#source)[Symbol.asyncIterator]();
    let consumed = 0;
    const skip = resume?.inputConsumed ?? 0;
    let done = false;
    const readBatch = async (): Promise<RawItem[]> => {
      const items: RawItem[] = [];
      while (!done && items.length < batchSize) {
        const next = await reader.next();
        if (next.done) done = true;
        else if (consumed++ >= skip) items.push(next.value);
      }
      return items;
    };
    const pending: { promise: Promise<BatchResult>; consumedAfter: number }[] = [];
    const inFlight = Math.max(2, workers * 2);
    try {
      while (true) {
        while (!done && pending.length < inFlight) {
          const items = await readBatch();
          if (items.length === 0) continue;
          const promise = pool ? pool.run(items) : Promise.resolve(inline!.process(items));
          promise.catch(() => {});
          pending.push({ promise, consumedAfter: consumed });
          if (!pool) break;
        }
        const head = pending.shift();
        if (!head) break;
        throwIfAborted(options.signal);
        const result = await head.promise;
        const documents = await this.#finishBatch(result, { exact, near, custom, perplexity, examples });
        const output: CorpusDocument[] = [];
        for (const document of documents) {
          output.push(document);
          if (mixer) output.push(...(await mixer.afterDomain(document)));
        }
        stats.generic += output.length - documents.length;
        stats.output += output.length;
        stats.dedup.exactKeys = exact?.size ?? 0;
        stats.dedup.representatives = near?.size ?? 0;
        stats.dedup.indexBytes = (exact?.bytes ?? 0) + (near?.bytes ?? 0);
        if (mixer && options.mix) {
          stats.mix = {
            ratio: options.mix.ratio,
            by: mixer.by,
            achievedRatio: mixer.achievedRatio,
            exhausted: mixer.exhausted,
          };
        }
        options.onBatch?.(stats);
        const batch: CleanBatch = { documents: output, inputConsumed: head.consumedAfter };
        if (mixer) batch.mixer = { ...mixer.state };
        yield batch;
      }
      if (mixer?.exhausted)
        stats.warnings.push('The generic corpus ran out; the achieved mix ratio is below the target.');
    } finally {
      await pool?.close();
      await mixer?.close();
      await reader.return?.(undefined);
    }
  }

  async #finishBatch(
    result: BatchResult,
    parts: {
      exact: ExactDeduplicator | undefined;
      near: NearDeduplicator | undefined;
      custom: StageRunner | undefined;
      perplexity: PerplexityFilter | undefined;
      examples: number;
    },
  ): Promise<CorpusDocument[]> {
    const { stats } = this;
    const { exact, near, custom, perplexity, examples } = parts;
    for (const [name, stageStats] of Object.entries(result.stats)) {
      stats.stages[name] ??= emptyStageStats();
      mergeStageStats(stats.stages[name], stageStats, examples);
    }
    stats.input += result.stats.read?.seen ?? 0;
    const length = result.signatureLength;
    let survivors: CorpusDocument[] = [];
    for (let index = 0; index < result.documents.length; index++) {
      let document = result.documents[index]!;
      let signatures = result.signatures;
      let offset = index * length;
      let high = result.exactKeys[index * 2] ?? 0;
      let low = result.exactKeys[index * 2 + 1] ?? 0;
      if (custom) {
        const changed = custom.run(document);
        if (!changed) continue;
        if (changed.text !== document.text) {
          [high, low] = exactKey(changed.text);
          if (near) {
            signatures = near.hasher.signText(changed.text);
            offset = 0;
          }
        }
        document = changed;
      }
      if (exact) {
        const stage = stats.stages['dedup:exact']!;
        stage.seen++;
        if (exact.isDuplicate(high, low)) {
          const decision = { reason: 'exact-duplicate' };
          recordDrop(stage, document, decision, examples);
          this.#options.onDrop?.(document, 'dedup:exact', decision);
          continue;
        }
      }
      if (near) {
        const stage = stats.stages['dedup:near']!;
        stage.seen++;
        const match = near.check(signatures, offset);
        if (match !== 0) {
          const decision = { reason: 'near-duplicate', detail: `matches kept document #${match}` };
          recordDrop(stage, document, decision, examples);
          this.#options.onDrop?.(document, 'dedup:near', decision);
          continue;
        }
      }
      survivors.push(document);
    }
    if (custom) {
      for (const [name, stageStats] of Object.entries(custom.takeStats())) {
        mergeStageStats(stats.stages[name]!, stageStats, examples);
      }
    }
    if (perplexity && survivors.length > 0) {
      survivors = await perplexity.filter(
        survivors,
        stats.stages['filter:perplexity']!,
        examples,
        this.#options.signal,
      );
    }
    stats.kept += survivors.length;
    stats.dropped = stats.input - stats.kept;
    return survivors;
  }
}

/**
 * Cleans a corpus as a stream: normalise → PII scrub → quality filters → your stages →
 * exact dedup → near-duplicate dedup → perplexity (optional) → mixing (optional).
 * Accepts file paths (JSONL, JSONL.gz, text) or any (async) iterable of records.
 *
 * @example
 * const run = cleanCorpus('notes.jsonl.gz', { workers: 2 });
 * for await (const document of run) write(document);
 * console.log(run.stats.kept, run.stats.stages['dedup:near']);
 */
export function cleanCorpus(source: CorpusSource, options: CleanOptions = {}): CleanRun {
  checkCorpusSource(source);
  checkCleanOptions(options);
  return new CleanRun(source, options);
}

function checkCorpusSource(source: unknown): void {
  const invalid = (message: string) =>
    new CopyForgeError('CF_INVALID_CONFIG', `The corpus source ${message}.`, {
      issues: [{ path: '/source', rule: 'type', message: `'/source' ${message}` }],
    });
  if (typeof source === 'string') {
    if (source === '') throw invalid('is an empty path');
    return;
  }
  if (typeof source !== 'object' || source === null) {
    throw invalid(
      `must be a path, { paths }, or an iterable of records, got ${source === null ? 'null' : typeof source}`,
    );
  }
  if ('paths' in source) {
    const { paths } = source as { paths: unknown };
    if (!Array.isArray(paths) || paths.some((path) => typeof path !== 'string' || path === '')) {
      throw invalid("has 'paths' that is not an array of non-empty strings");
    }
    return;
  }
  if (!(Symbol.iterator in source) && !(Symbol.asyncIterator in source)) {
    throw invalid('must be a path, { paths }, or an iterable of records');
  }
}

// The JSON-able options are checked against the clean.json schema once, before reading
// anything: nonsense (batchSize 0, bands -3, length { min: -5 }) is CF_INVALID_CONFIG
// naming the option, not a hang or a RangeError halfway through a corpus.
const checkJsonOptions = createValidator<unknown>(
  { ...cleanConfigSchema, title: 'CleanOptions' },
  'CF_INVALID_CONFIG',
  'clean options',
);
// The schema's options that cleanCorpus itself takes (shards, gzip and mixing belong to writeCleanCorpus).
const jsonOptionNames = Object.keys(cleanConfigSchema.properties).filter(
  (name) => !['shardSize', 'gzip', 'mix'].includes(name),
);

function checkCleanOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', 'Clean options must be an object.', {
      issues: [{ path: '', rule: 'type', message: 'the options must be an object' }],
    });
  }
  const given = options as Record<string, unknown>;
  const json = Object.fromEntries(
    jsonOptionNames.filter((name) => given[name] !== undefined).map((name) => [name, given[name]]),
  );
  checkJsonOptions(json);
  if (given.stages !== undefined && !Array.isArray(given.stages)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', "'stages' must be an array of document stages.", {
      issues: [{ path: '/stages', rule: 'type', message: "'/stages' must be an array" }],
    });
  }
}
