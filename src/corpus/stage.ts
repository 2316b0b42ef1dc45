/** What cleaning records about a document besides its text. */
export interface DocumentMetadata {
  /** Hashtags found (without `#`), when hashtags are listed or extracted. */
  hashtags?: string[];
  /** @-mentions found (without `@`), when mentions are listed or extracted. */
  mentions?: string[];
  /** URLs found, tracking parameters removed, when URLs are listed or extracted. */
  urls?: string[];
  /** Number of emoji, when emoji are counted. */
  emoji?: number;
  /** PII replaced, by type (`phone`, `email`...). */
  pii?: Record<string, number>;
  /** Anything the input record carried under `metadata`. */
  [key: string]: unknown;
}

/** One document flowing through the cleaning stages. */
export interface CorpusDocument {
  /** Stable id: the record's `id`, else `<source>:<line>`. */
  id: string;
  /** The text being cleaned. For notes: title and body joined by a newline. */
  text: string;
  /** Where it came from: a file name, `generic:<name>` for mixed-in documents. */
  source?: string;
  /** What the stages found. */
  metadata: DocumentMetadata;
}

/** Why a stage dropped a document. */
export interface DropDecision {
  /** Short machine-readable reason, e.g. `too-short`, `near-duplicate`. */
  reason: string;
  /** The measured value and the threshold, for the stats report, e.g. `cjk ratio 0.12 < 0.3`. */
  detail?: string;
}

/** A few dropped documents kept as examples in the stats report. */
export interface DropExample {
  /** The document's id. */
  id: string;
  /** The start of its text (at most 160 characters). */
  text: string;
  /** The decision's detail. */
  detail?: string;
}

/** Counters of one stage. Plain JSON so worker threads can send and merge them. */
export interface StageStats {
  /** Documents the stage looked at. */
  seen: number;
  /** Documents it dropped. */
  dropped: number;
  /** Stage-specific counters (PII per type, emoji, lines removed...). */
  counters: Record<string, number>;
  /** Drops per reason with the first few examples. */
  drops: Record<string, { count: number; examples: DropExample[] }>;
}

/** A new, empty {@link StageStats}. */
export function emptyStageStats(): StageStats {
  return { seen: 0, dropped: 0, counters: {}, drops: {} };
}

/** Adds `amount` to a named counter. */
export function addCounter(stats: StageStats, name: string, amount = 1): void {
  stats.counters[name] = (stats.counters[name] ?? 0) + amount;
}

/** Records a drop with an example when fewer than `maxExamples` are held for the reason. */
export function recordDrop(
  stats: StageStats,
  document: CorpusDocument,
  decision: DropDecision,
  maxExamples: number,
): void {
  stats.dropped++;
  let entry = stats.drops[decision.reason];
  if (!entry) {
    entry = { count: 0, examples: [] };
    stats.drops[decision.reason] = entry;
  }
  entry.count++;
  if (entry.examples.length < maxExamples) {
    const example: DropExample = { id: document.id, text: document.text.slice(0, 160) };
    if (decision.detail !== undefined) example.detail = decision.detail;
    entry.examples.push(example);
  }
}

/** Adds `from` into `into` (examples in order, capped at `maxExamples`). */
export function mergeStageStats(into: StageStats, from: StageStats, maxExamples: number): void {
  into.seen += from.seen;
  into.dropped += from.dropped;
  for (const [name, value] of Object.entries(from.counters)) addCounter(into, name, value);
  for (const [reason, entry] of Object.entries(from.drops)) {
    let target = into.drops[reason];
    if (!target) {
      target = { count: 0, examples: [] };
      into.drops[reason] = target;
    }
    target.count += entry.count;
    for (const example of entry.examples) {
      if (target.examples.length >= maxExamples) break;
      target.examples.push(example);
    }
  }
}

/**
 * One synchronous, stateless step over documents: returns the (possibly rewritten)
 * document, or a {@link DropDecision}. Stateless stages run in worker threads.
 *
 * @example
 * const upper: DocumentStage = { name: 'upper', apply: (document) => ({ ...document, text: document.text.toUpperCase() }) };
 */
export interface DocumentStage {
  /** Name in the stats report, e.g. `normalise`, `filter:length`. */
  readonly name: string;
  /** Transforms or drops one document; may add to `stats.counters`. */
  apply(document: CorpusDocument, stats: StageStats): CorpusDocument | DropDecision;
}

/** True when a stage result is a drop. */
export function isDrop(result: CorpusDocument | DropDecision): result is DropDecision {
  return (result as DropDecision).reason !== undefined && (result as CorpusDocument).text === undefined;
}

/** Runs documents through stages in order, recording stats per stage. */
export class StageRunner {
  readonly stages: readonly DocumentStage[];
  readonly stats: Record<string, StageStats> = {};
  readonly #maxExamples: number;

  constructor(stages: readonly DocumentStage[], maxExamples = 3) {
    this.stages = stages;
    this.#maxExamples = maxExamples;
    for (const stage of stages) this.stats[stage.name] = emptyStageStats();
  }

  /** The document after every stage, or undefined when one dropped it. */
  run(document: CorpusDocument): CorpusDocument | undefined {
    let current = document;
    for (const stage of this.stages) {
      const stats = this.stats[stage.name]!;
      stats.seen++;
      const result = stage.apply(current, stats);
      if (isDrop(result)) {
        recordDrop(stats, current, result, this.#maxExamples);
        return undefined;
      }
      current = result;
    }
    return current;
  }

  /** Returns the stats gathered so far and starts new, empty ones (for sending deltas). */
  takeStats(): Record<string, StageStats> {
    const taken: Record<string, StageStats> = {};
    for (const stage of this.stages) {
      taken[stage.name] = this.stats[stage.name]!;
      this.stats[stage.name] = emptyStageStats();
    }
    return taken;
  }
}
