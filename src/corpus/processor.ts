import { exactKey } from './dedup.js';
import { createQualityFilters, type QualityFilterOptions } from './filters.js';
import { MinHasher, type MinHashOptions } from './minhash.js';
import { createNormaliseStage, type NormaliseOptions } from './normalise.js';
import { createPiiStage, type PiiOptions } from './pii.js';
import { type RawItem, readRawItem } from './records.js';
import {
  type CorpusDocument,
  type DocumentStage,
  emptyStageStats,
  isDrop,
  recordDrop,
  StageRunner,
  type StageStats,
} from './stage.js';

/**
 * The options of the per-document stages. Plain JSON: they are sent to worker threads
 * and hashed into the manifest so a resumed run uses the same settings.
 */
export interface CleanStageOptions {
  /** Normalisation; `false` skips it. @default {} */
  normalise?: NormaliseOptions | false;
  /** PII scrubbing; `false` skips it. @default {} */
  pii?: PiiOptions | false;
  /** Quality filters; `false` skips them all. @default {} */
  filters?: QualityFilterOptions | false;
  /** Exact dedup on normalised-text hashes. @default true */
  exactDedup?: boolean;
  /** Near-duplicate dedup (MinHash + LSH); `false` skips it. @default {} (20 bands × 5 rows, char 3-grams, word 5-grams) */
  nearDedup?: MinHashOptions | false;
  /** Examples kept per drop reason in the stats report. @default 3 */
  examplesPerReason?: number;
}

/** What a batch of raw items becomes after the per-document stages. */
export interface BatchResult {
  /** Surviving documents, in input order. */
  documents: CorpusDocument[];
  /** Two 32-bit halves of each survivor's exact key (empty when exact dedup is off). */
  exactKeys: Uint32Array;
  /** Packed MinHash signatures, `signatureLength` values per survivor. */
  signatures: Uint32Array;
  /** Values per signature (0 when near dedup is off). */
  signatureLength: number;
  /** Stats of this batch per stage (`read` included). */
  stats: Record<string, StageStats>;
}

/** The per-document stages for the options, in run order: normalise, PII, quality filters. */
export function createDocumentStages(options: CleanStageOptions): DocumentStage[] {
  const stages: DocumentStage[] = [];
  if (options.normalise !== false) stages.push(createNormaliseStage(options.normalise ?? {}));
  if (options.pii !== false) stages.push(createPiiStage(options.pii ?? {}));
  if (options.filters !== false) stages.push(...createQualityFilters(options.filters ?? {}));
  return stages;
}

/**
 * Runs the stateless part of cleaning on batches: parse, normalise, scrub, filter, and
 * compute dedup keys. The same class runs inline or inside a worker thread.
 */
export class BatchProcessor {
  readonly #runner: StageRunner;
  readonly #hasher: MinHasher | undefined;
  readonly #exact: boolean;
  readonly #examples: number;

  constructor(options: CleanStageOptions = {}) {
    this.#examples = options.examplesPerReason ?? 3;
    this.#runner = new StageRunner(createDocumentStages(options), this.#examples);
    this.#hasher = options.nearDedup === false ? undefined : new MinHasher(options.nearDedup ?? {});
    this.#exact = options.exactDedup !== false;
  }

  /** Processes one batch. */
  process(items: readonly RawItem[]): BatchResult {
    const read = emptyStageStats();
    const documents: CorpusDocument[] = [];
    for (const item of items) {
      read.seen++;
      const parsed = readRawItem(item);
      if (isDrop(parsed)) {
        recordDrop(
          read,
          { id: item.fallbackId, text: typeof item.value === 'string' ? item.value : '', metadata: {} },
          parsed,
          this.#examples,
        );
        continue;
      }
      const document = this.#runner.run(parsed);
      if (document) documents.push(document);
    }
    const exactKeys = new Uint32Array(this.#exact ? documents.length * 2 : 0);
    const signatureLength = this.#hasher?.length ?? 0;
    const signatures = new Uint32Array(documents.length * signatureLength);
    for (let index = 0; index < documents.length; index++) {
      const text = documents[index]!.text;
      if (this.#exact) {
        const [high, low] = exactKey(text);
        exactKeys[index * 2] = high;
        exactKeys[index * 2 + 1] = low;
      }
      if (this.#hasher) {
        this.#hasher.signText(text, signatures.subarray(index * signatureLength, (index + 1) * signatureLength));
      }
    }
    return { documents, exactKeys, signatures, signatureLength, stats: { read, ...this.#runner.takeStats() } };
  }
}
