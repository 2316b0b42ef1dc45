// Public surface of CopyForge. Only re-exports live here.

export {
  DEFAULT_ADAPTER_FILE_NAME,
  type DefaultAdapter,
  defaultAdapterPath,
  loadDefaultAdapter,
} from './backends/llama-cpp/default-adapter.js';
export {
  DEFAULT_MODEL_HUB_URI,
  defaultModelCachePath,
  type ModelDownloadProgress,
  type ModelResolveOptions,
  type ModelSource,
  pullDefaultModel,
  resolveModelPath,
} from './backends/llama-cpp/default-model.js';
export { type GgufInfo, readGgufInfo } from './backends/llama-cpp/gguf-info.js';
export {
  type LlamaCppBackend,
  type LlamaCppBackendOptions,
  type LoraAdapter,
  llamaCppBackend,
} from './backends/llama-cpp/llama-cpp-backend.js';
export { DEFAULT_MODEL_FILE_NAME, DEFAULT_MODEL_SHA256 } from './backends/llama-cpp/pypi-model-source.js';
export { chooseThreads, type ThreadChoice } from './backends/llama-cpp/threads.js';
export {
  type OpenAICompatibleBackend,
  type OpenAICompatibleBackendOptions,
  type OpenAICompatibleDialect,
  openAICompatibleBackend,
  type RetryInfo,
} from './backends/openai-compatible/openai-compatible-backend.js';
export { cacheDirectory } from './core/cache.js';
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
  unknownFields,
  type Validator,
  validateCreative,
  validateCreativesEvent,
  validateLabels,
  validateNote,
  validateScoredCreative,
  validateWorkerConfig,
} from './core/validation.js';
export * from './corpus/index.js';
export {
  type AgreementResult,
  acceptanceFunnel,
  type BaselineTitles,
  type BleuOptions,
  type BootstrapOptions,
  type BuildReportOptions,
  bootstrapInterval,
  buildEvaluationReport,
  buildGsbPairs,
  type ConfidenceInterval,
  type CoverageResult,
  cohenAgreement,
  computeGsb,
  coverage,
  type DistinctResult,
  type DiversityMetric,
  type DiversityReport,
  distinctN,
  diversityMetrics,
  diversityReport,
  type EvaluationReport,
  type ExportGsbSheetOptions,
  exportGsbSheet,
  extractSalientItems,
  type FilledSheet,
  type FunnelStage,
  type GsbJudgeFailure,
  type GsbJudgement,
  type GsbKeyRow,
  type GsbPair,
  type GsbResult,
  type GsbSheet,
  type GsbSheetKey,
  type GsbSummary,
  type GsbVerdict,
  gsbSheetColumns,
  gsbVerdicts,
  type HumanGsbRating,
  type ImportedGsbSheets,
  importGsbSheets,
  type JudgeAnswer,
  type JudgeGsbOptions,
  type JudgeGsbResult,
  type JudgeVote,
  judgeAnswerSchema,
  judgeGsb,
  judgeHumanAgreement,
  type NoteDiversity,
  type NoteTitles,
  noteDiversity,
  novelty,
  parseBaselineTitles,
  parseCsv,
  parseGsbKey,
  parseNotes,
  parseStoredJudgements,
  parseSystemResults,
  readAllJsonLines,
  renderHtmlReport,
  renderMarkdownReport,
  renderReport,
  resolveBaseline,
  type SalientItem,
  type SalientKind,
  type SalientOptions,
  type SampleBaselineOptions,
  type ScoreDistribution,
  type StoredJudgement,
  type SystemNoteResult,
  sampleBaseline,
  scoreDistributions,
  selfBleu,
  sentenceBleu,
  type TitlePoolEntry,
  titleCovers,
  toCsv,
  tokenizeForEvaluation,
} from './eval/index.js';
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
export { titlesPromptVersion } from './generation/prompts/titles.js';
export { normaliseTitle, titleSimilarity } from './generation/similarity.js';
export {
  type ControlLabels,
  controlLabels,
  defaultAudienceTierLabels,
  defaultAudienceTiers,
  defaultTitleStyles,
  type TitleStyle,
} from './generation/styles.js';
export * from './labeling/index.js';
export {
  type AttractivenessWeights,
  createAttractivenessRewardModel,
  parseAttractivenessWeights,
  preferenceProbability,
} from './rm/attractiveness/model.js';
export {
  type AttractivenessMetrics,
  type RankedList,
  type TrainAttractivenessOptions,
  type TrainAttractivenessResult,
  trainAttractivenessRM,
} from './rm/attractiveness/train.js';
export {
  createRewardModelHost,
  type IsolationMode,
  type RegisteredRewardModel,
  type RewardModelHost,
  type RewardModelHostOptions,
  type RewardModelSource,
  type ScoreOptions,
} from './rm/host.js';
export { type LoadedPluginModule, loadPluginModule } from './rm/load.js';
export { applyPolicy, type PolicyOptions } from './rm/policy.js';
export { type AugmentationKind, augmentationKinds, augmentTitle } from './rm/usability/augment.js';
export { checkEntities, type Entity, type EntityType, extractEntities } from './rm/usability/entities.js';
export {
  createUsabilityRewardModel,
  defaultUsabilityWeights,
  parseUsabilityWeights,
  scoreUsability,
  type UsabilityConfig,
  type UsabilityRewardModelOptions,
  type UsabilityWeights,
  usabilityConfigSchema,
} from './rm/usability/model.js';
export {
  type LabelledTitle,
  type TrainUsabilityOptions,
  type TrainUsabilityResult,
  trainUsabilityRM,
  type UsabilityMetrics,
} from './rm/usability/train.js';
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
  WorkerConfig,
} from './schemas/types.js';
export type * from './spec/index.js';
export {
  completionRecordsOf,
  readUnifiedLabelRows,
  sftCorpusSplit,
  sftCorpusSplitOf,
  type UnifiedLabelRow,
  unifiedExample,
} from './training/corpus.js';
export {
  ensurePythonEnvironment,
  type PythonEnvironment,
  type PythonEnvironmentOptions,
} from './training/python-env.js';
export {
  type AdapterCard,
  readSftRecords,
  type SftHyperParameters,
  type SftProgress,
  type TrainSftOptions,
  type TrainSftResult,
  trainSft,
} from './training/train-sft.js';
export { VERSION } from './version.js';
