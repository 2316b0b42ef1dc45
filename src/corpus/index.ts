// Corpus cleaning: the public surface of src/corpus (re-exported from src/index.ts).
export {
  type CleanBatch,
  type CleanOptions,
  CleanRun,
  type CleanStats,
  cleanCorpus,
  type ResumeState,
} from './clean.js';
export { type CleanConfig, cleanConfigSchema, validateCleanConfig } from './config.js';
export { canonicalText, ExactDeduplicator, exactKey, NearDeduplicator } from './dedup.js';
export {
  type CharacterRatioFilterOptions,
  type CjkRatioFilterOptions,
  createQualityFilters,
  defaultBoilerplatePhrases,
  defaultSpamKeywords,
  type LengthFilterOptions,
  type LineFilterOptions,
  type QualityFilterOptions,
  type RepetitionFilterOptions,
  type SpamFilterOptions,
} from './filters.js';
export {
  defaultMinHashOptions,
  estimateJaccard,
  LshIndex,
  lshCandidateProbability,
  lshThreshold,
  MinHasher,
  type MinHashOptions,
  shingleText,
} from './minhash.js';
export type { MixerState, MixOptions } from './mix.js';
export { defaultNormaliseOptions, type EntityMode, type NormaliseOptions, normaliseText } from './normalise.js';
export type { PerplexityFilterOptions } from './perplexity.js';
export { defaultPiiPlaceholders, type PiiOptions, type PiiType, piiTypes, scrubPii } from './pii.js';
export type { CleanStageOptions } from './processor.js';
export { type CorpusFiles, type CorpusSource, expandInputs } from './records.js';
export {
  type CleanManifest,
  type ShardRecord,
  type WriteCleanCorpusOptions,
  type WriteCleanCorpusResult,
  writeCleanCorpus,
} from './shards.js';
export type {
  CorpusDocument,
  DocumentMetadata,
  DocumentStage,
  DropDecision,
  DropExample,
  StageStats,
} from './stage.js';
export { formatStatsMarkdown } from './stats-report.js';
