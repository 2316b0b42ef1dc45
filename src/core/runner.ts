import type { Tracer } from '@opentelemetry/api';
import { CopyForgeError, isAbortError, throwIfAborted, toCopyForgeError } from './errors.js';
import type { CopyForgeEvents } from './events.js';
import { recordSpan } from './telemetry.js';

/** What a stage's `run` receives besides the item. */
export interface StageContext {
  /** Position of the item in the source, from 0. */
  index: number;
  /** Fires when the run is cancelled; pass it to backends. */
  signal: AbortSignal;
}

/** One step of a pipeline. */
export interface PipelineStage<Input, Output> {
  /** Stage name, used in events, spans and error reports, e.g. `generate`. */
  name: string;
  /** Items this stage works on at once. @default 1 */
  concurrency?: number;
  /** Transforms one item. A throw fails only this item. */
  run(item: Input, context: StageContext): Promise<Output> | Output;
}

/** The outcome of one source item: its final value, or the stage where it failed and why. */
export type PipelineResult<Output> =
  | { ok: true; index: number; value: Output }
  | { ok: false; index: number; stage: string; error: CopyForgeError; input: unknown };

/** Options for {@link Pipeline.run}. */
export interface RunOptions {
  /** Cancels the run: no new items start and the iterator throws `CF_ABORTED`. */
  signal?: AbortSignal;
  /** Receives `pipeline.item-*` events. */
  events?: CopyForgeEvents;
  /** Tracer for per-item spans. @default the global (no-op unless registered) tracer */
  tracer?: Tracer;
  /** Yield results in source order (true) or as they finish (false). @default true */
  ordered?: boolean;
}

type AnySource<T> = Iterable<T> | AsyncIterable<T>;

async function* toAsync<T>(source: AnySource<T>): AsyncGenerator<T> {
  yield* source;
}

/**
 * Maps `source` through `fn` with at most `concurrency` calls in flight. Items are
 * pulled only when a slot is free and the consumer asks for more, so a slow consumer
 * slows the source and memory stays bounded. `fn` must not reject, except on abort.
 */
export async function* mapConcurrent<Input, Output>(
  source: AnySource<Input>,
  concurrency: number,
  fn: (item: Input, index: number) => Promise<Output>,
  options: { ordered?: boolean; signal?: AbortSignal } = {},
): AsyncGenerator<Output> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'concurrency' must be a positive integer, got ${concurrency}.`);
  }
  const ordered = options.ordered ?? true;
  const iterator = toAsync(source)[Symbol.asyncIterator]();
  const inFlight = new Map<number, Promise<{ key: number; value: Output }>>();
  let nextIndex = 0;
  let nextToYield = 0;
  let exhausted = false;
  try {
    while (true) {
      while (!exhausted && inFlight.size < concurrency) {
        throwIfAborted(options.signal);
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const key = nextIndex++;
        const promise = fn(next.value, key).then((value) => ({ key, value }));
        // Only aborts reject; mark them handled here, they are rethrown when awaited below.
        promise.catch(() => {});
        inFlight.set(key, promise);
      }
      if (inFlight.size === 0) return;
      const settled = ordered
        ? await (inFlight.get(nextToYield) as Promise<{ key: number; value: Output }>)
        : await Promise.race(inFlight.values());
      inFlight.delete(settled.key);
      nextToYield++;
      throwIfAborted(options.signal);
      yield settled.value;
    }
  } finally {
    // Stop the source early when the consumer breaks out or the run is aborted.
    await iterator.return?.(undefined);
  }
}

/**
 * Composes async stages over an async iterable with per-stage concurrency,
 * backpressure, cancellation and per-item error isolation.
 *
 * @example
 * const pipeline = Pipeline.from<Note>()
 *   .pipe({ name: 'validate', run: (note) => validateNote(note) })
 *   .pipe({ name: 'generate', concurrency: 2, run: (note, { signal }) => forge.generate(note, { signal }) });
 * for await (const result of pipeline.run(notes)) if (!result.ok) console.error(result.error.code);
 */
export class Pipeline<Input, Output> {
  readonly #stages: readonly PipelineStage<unknown, unknown>[];

  private constructor(stages: readonly PipelineStage<unknown, unknown>[]) {
    this.#stages = stages;
  }

  /** Starts an empty pipeline whose items are of type `Input`. */
  static from<Input>(): Pipeline<Input, Input> {
    return new Pipeline<Input, Input>([]);
  }

  /** Returns a new pipeline with `stage` appended. */
  pipe<Next>(stage: PipelineStage<Output, Next>): Pipeline<Input, Next> {
    return new Pipeline<Input, Next>([...this.#stages, stage as PipelineStage<unknown, unknown>]);
  }

  /** Names of the stages, in order. */
  get stageNames(): string[] {
    return this.#stages.map((stage) => stage.name);
  }

  /** Runs the pipeline over `source`, yielding one result per source item. */
  run(source: AnySource<Input>, options: RunOptions = {}): AsyncGenerator<PipelineResult<Output>> {
    const signal = options.signal ?? new AbortController().signal;
    let results: AsyncGenerator<PipelineResult<unknown>> = mapConcurrent(
      source,
      1,
      async (item, index) => ({ ok: true, index, value: item }) as PipelineResult<unknown>,
      { signal },
    );
    for (const stage of this.#stages) {
      results = mapConcurrent(results, stage.concurrency ?? 1, (result) => runStage(stage, result, signal, options), {
        ordered: options.ordered ?? true,
        signal,
      });
    }
    return results as AsyncGenerator<PipelineResult<Output>>;
  }
}

async function runStage(
  stage: PipelineStage<unknown, unknown>,
  result: PipelineResult<unknown>,
  signal: AbortSignal,
  options: RunOptions,
): Promise<PipelineResult<unknown>> {
  if (!result.ok) return result;
  const { index } = result;
  const started = performance.now();
  options.events?.emit('pipeline.item-start', { stage: stage.name, index });
  try {
    const value = await recordSpan(
      {
        name: `copyforge.${stage.name}`,
        attributes: { 'copyforge.stage': stage.name, 'copyforge.item.index': index },
        tracer: options.tracer,
      },
      () => stage.run(result.value, { index, signal }),
    );
    options.events?.emit('pipeline.item-end', { stage: stage.name, index, durationMs: performance.now() - started });
    return { ok: true, index, value };
  } catch (thrown) {
    if (signal.aborted && isAbortError(thrown)) throw toCopyForgeError(thrown);
    const error = toCopyForgeError(thrown);
    options.events?.emit('pipeline.item-error', { stage: stage.name, index, code: error.code, message: error.message });
    return { ok: false, index, stage: stage.name, error, input: result.value };
  }
}
