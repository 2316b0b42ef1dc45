// Public surface of the labelling stage, re-exported by src/index.ts.

export { renderCompletionPrompt } from '../backends/llama-cpp/completion-prompt.js';
export {
  type CachedLabel,
  createMemoryLabelCache,
  type LabelAgreement,
  type LabelCache,
  type LabelProvenance,
  noteContentHash,
  openLabelCache,
} from './cache.js';
export { type DatasetCardInput, renderDatasetCard } from './card.js';
export {
  type AlpacaRecord,
  type BuildPreferenceOptions,
  type BuildSftOptions,
  type BuiltDataset,
  buildSftExamples,
  type ChatRecord,
  type CompletionRecord,
  type DatasetPromptOptions,
  type ExampleControls,
  examplePrompt,
  type ForgeResultLine,
  type GsbPreferenceInput,
  type PreferenceExample,
  type PreferenceRecord,
  preferencesFromForgeResults,
  preferencesFromGsb,
  preferencesFromRankedLists,
  type RankedTitles,
  type SftExample,
  type SftKind,
  type StyledTitle,
  type TextPreferenceRecord,
  toAlpacaRecord,
  toChatRecord,
  toCompletionRecord,
  toPreferenceRecord,
  toTextPreferenceRecord,
} from './datasets.js';
export { checkGrounding, type GroundingMethod, type GroundingResult, normaliseForGrounding } from './grounding.js';
export {
  type LabelFlag,
  type LabelInput,
  type LabelledNote,
  type LabelNotesOptions,
  type LabelNotesResult,
  type LabelProgress,
  type LabelStats,
  labelNotes,
  labelNotesStream,
} from './label-notes.js';
export {
  buildLabelsMessages,
  buildLabelsSchema,
  type LabelsOutput,
  type LabelsPromptInput,
  labelsPromptVersion,
} from './prompts/labels-v1.js';
export { type DatasetSplit, type SplitOptions, splitByNote, splitOf } from './split.js';
export { defaultLabelTaxonomy, type LabelTaxonomy, type ReachTier, reachTiers, resolveTaxonomy } from './taxonomy.js';
