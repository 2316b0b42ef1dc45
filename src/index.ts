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
  validateLabels,
  validateNote,
  validateScoredCreative,
} from './core/validation.js';
export type {
  Creative,
  CreativeControls,
  Labels,
  Note,
  NoteAuthor,
  NoteEvent,
  NoteImage,
  RewardReason,
  RewardScore,
  ScoredCreative,
} from './schemas/types.js';
export type * from './spec/index.js';
export { VERSION } from './version.js';
