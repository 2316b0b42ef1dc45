// Public surface of CopyForge. Only re-exports live here.

export { type ErrorCode, errorCodes } from './core/error-codes.js';
export {
  CopyForgeError,
  type CopyForgeErrorOptions,
  isCopyForgeError,
  type ValidationIssue,
} from './core/errors.js';
export {
  type CopyForgeEvent,
  type CopyForgeEventMap,
  CopyForgeEvents,
  type CopyForgeEventType,
  eventTypes,
  type Unsubscribe,
} from './core/events.js';
export {
  mapConcurrent,
  Pipeline,
  type PipelineResult,
  type PipelineStage,
  type RunOptions,
  type StageContext,
} from './core/runner.js';
export {
  definePlugin,
  defineRewardModel,
  resolveBackend,
  resolvePlugin,
  resolveRewardModel,
  supportedSpecificationVersions,
} from './core/spec-host.js';
export { getDefaultTracer, type RecordSpanOptions, recordSpan } from './core/telemetry.js';
export {
  type ParseNoteEventOptions,
  parseNoteEvent,
  schemas,
  supportedNoteEventVersions,
  type Validator,
  validateCreative,
  validateCreativesEvent,
  validateLabels,
  validateNote,
  validateScoredCreative,
} from './core/validation.js';
export {
  type CreativeScorer,
  createForge,
  type Forge,
  type ForgeOptions,
  type ForgeResult,
  type GenerateOptions,
} from './generation/forge.js';
export { detectLanguage, type PromptLanguage } from './generation/language.js';
export { buildTitlesSchema, type TitlesOutput, type TitlesSchemaOptions } from './generation/output-schema.js';
export { titlesPromptVersion } from './generation/prompts/titles-v1.js';
export { normaliseTitle, titleSimilarity } from './generation/similarity.js';
export { defaultAudienceTiers, defaultTitleStyles, type TitleStyle } from './generation/styles.js';
export type {
  Creative,
  CreativeControls,
  CreativeProvenance,
  CreativesEvent,
  Labels,
  Note,
  NoteAuthor,
  NoteEvent,
  NoteImage,
  RewardReason,
  RewardScore,
  SamplingSettings,
  ScoredCreative,
} from './schemas/types.js';
export type * from './spec/index.js';
export { VERSION } from './version.js';
