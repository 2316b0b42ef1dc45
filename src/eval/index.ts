// Evaluation: diversity (distinct-n, self-BLEU, coverage, novelty), the random-original-
// title baseline, GSB by LLM judge and by human sheets, and markdown/HTML reports.

export { type BaselineTitles, type SampleBaselineOptions, sampleBaseline, type TitlePoolEntry } from './baseline.js';
export { type CsvRecord, type ParseCsvOptions, parseCsv, toCsv } from './csv.js';
export {
  type BleuOptions,
  type DistinctResult,
  type DiversityMetric,
  type DiversityReport,
  distinctN,
  diversityMetrics,
  diversityReport,
  type NoteDiversity,
  type NoteTitles,
  noteDiversity,
  novelty,
  selfBleu,
  sentenceBleu,
} from './diversity.js';
export {
  type AgreementResult,
  type BootstrapOptions,
  bootstrapInterval,
  type ConfidenceInterval,
  cohenAgreement,
  computeGsb,
  type GsbResult,
  type GsbVerdict,
  gsbVerdicts,
} from './gsb.js';
export {
  parseBaselineTitles,
  parseNotes,
  parseStoredJudgements,
  parseSystemResults,
  readAllJsonLines,
  type StoredJudgement,
  type SystemNoteResult,
} from './inputs.js';
export {
  buildJudgeMessages,
  type GsbJudgeFailure,
  type GsbJudgement,
  type GsbPair,
  type JudgeAnswer,
  type JudgeGsbOptions,
  type JudgeGsbResult,
  type JudgeVote,
  judgeAnswerSchema,
  judgeGsb,
} from './judge.js';
export { renderHtmlReport, renderMarkdownReport, renderReport } from './render.js';
export {
  acceptanceFunnel,
  type BuildReportOptions,
  buildEvaluationReport,
  buildGsbPairs,
  type EvaluationReport,
  type FunnelStage,
  type GsbSummary,
  resolveBaseline,
  type ScoreDistribution,
  scoreDistributions,
} from './report.js';
export {
  type CoverageResult,
  coverage,
  extractSalientItems,
  type SalientItem,
  type SalientKind,
  type SalientOptions,
  titleCovers,
} from './salient.js';
export {
  type ExportGsbSheetOptions,
  exportGsbSheet,
  type FilledSheet,
  type GsbKeyRow,
  type GsbSheet,
  type GsbSheetKey,
  gsbSheetColumns,
  type HumanGsbRating,
  type ImportedGsbSheets,
  importGsbSheets,
  judgeHumanAgreement,
  parseGsbKey,
} from './sheets.js';
export { tokenizeForEvaluation } from './text.js';
