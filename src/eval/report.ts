import type { Note, ScoredCreative } from '../schemas/types.js';
import { type BaselineTitles, sampleBaseline } from './baseline.js';
import { type DiversityReport, diversityReport, type NoteTitles } from './diversity.js';
import {
  type AgreementResult,
  bootstrapInterval,
  type ConfidenceInterval,
  computeGsb,
  type GsbResult,
  type GsbVerdict,
} from './gsb.js';
import type { StoredJudgement, SystemNoteResult } from './inputs.js';
import type { GsbPair } from './judge.js';
import { type ImportedGsbSheets, judgeHumanAgreement } from './sheets.js';

/** Distribution of one reward model's scores over all creatives. */
export interface ScoreDistribution {
  /** The reward model's name. */
  rewardModel: string;
  /** Creatives it scored. */
  count: number;
  /** Mean score. */
  mean: number;
  /** Median score. */
  median: number;
  /** Lowest score. */
  min: number;
  /** Highest score. */
  max: number;
  /** Counts in ten equal bins over [0, 1]; a score of 1 falls in the last bin. */
  histogram: number[];
  /** Verdict counts. */
  verdicts: { pass: number; fail: number; unknown: number };
}

/** One stage of the acceptance funnel. */
export interface FunnelStage {
  /** Stage key. */
  stage: 'generated' | 'usability' | 'compliance' | 'accepted';
  /** Label for reports, e.g. `passed usability`. */
  label: string;
  /** Creatives still in after this stage (each stage keeps a subset of the previous one). */
  count: number;
  /**
   * False when no creative carries this stage's reward model: the stage is shown as not
   * measured and lets everything through.
   */
  measured: boolean;
}

/** GSB with its interval, from one source of verdicts. */
export interface GsbSummary {
  /** Counts and score. */
  result: GsbResult;
  /** Seeded bootstrap interval; `null` without verdicts. */
  interval: ConfidenceInterval | null;
}

/** Everything a report shows; JSON-serialisable (it is also written as `report.json`). */
export interface EvaluationReport {
  /** Name of the evaluated system. */
  systemName: string;
  /** Name of the baseline. */
  baselineName: string;
  /** Where the baseline came from. */
  baselineSource: 'file' | 'sampled' | 'none';
  /** When the report was built (ISO 8601). */
  generatedAt: string;
  /** Notes in the system results. */
  noteCount: number;
  /** Creatives in the system results. */
  creativeCount: number;
  /** Diversity of the system and, when there is one, the baseline. */
  diversity: { system: DiversityReport; baseline: DiversityReport | null };
  /** Per reward model, in order of first appearance. */
  scores: ScoreDistribution[];
  /** generated → passed usability → passed compliance → accepted. */
  funnel: FunnelStage[];
  /** GSB of the system against the baseline, by judge and by people, when present. */
  gsb: { judge: GsbSummary | null; human: (GsbSummary & { raters: number; unrated: number }) | null };
  /** Judge–human agreement, when both exist. */
  agreement: AgreementResult | null;
}

/** Options for {@link buildEvaluationReport}. */
export interface BuildReportOptions {
  /** The system's results. */
  system: readonly SystemNoteResult[];
  /** Baseline titles per note; when absent and `notes` are given, sampled from their original titles. */
  baseline?: readonly BaselineTitles[];
  /** Notes for coverage and novelty where the results do not carry them; also the baseline pool. */
  notes?: readonly Note[];
  /** LLM-judge verdicts. */
  judgements?: readonly StoredJudgement[];
  /** Imported human sheets. */
  human?: ImportedGsbSheets;
  /** @default 'copyforge' */
  systemName?: string;
  /** @default 'random original titles' when sampled, 'baseline' otherwise */
  baselineName?: string;
  /** Seed for the baseline sample and the bootstrap. @default 1 */
  seed?: number;
  /** Baseline titles per note when sampling. @default 12 */
  baselineCount?: number;
  /** Score only accepted creatives' titles for diversity. @default false */
  acceptedOnly?: boolean;
  /** Clock for `generatedAt`. @default () => new Date() */
  now?: () => Date;
}

const funnelStages = [
  { stage: 'usability', label: 'passed usability' },
  { stage: 'compliance', label: 'passed compliance' },
  { stage: 'accepted', label: 'accepted' },
] as const;

/**
 * The acceptance funnel from reward-model verdicts: a creative passes a stage when its
 * score from the reward model of that name (`usability`, `compliance`, `accepted`) has
 * verdict `pass`. For the last stage the creative's own `accepted` flag is used when no
 * `accepted` reward model scored anything. A stage whose reward model scored nothing is
 * not measured and passes everything; otherwise a creative without that score fails it.
 */
export function acceptanceFunnel(creatives: readonly ScoredCreative[]): FunnelStage[] {
  const stages: FunnelStage[] = [{ stage: 'generated', label: 'generated', count: creatives.length, measured: true }];
  let remaining = [...creatives];
  for (const { stage, label } of funnelStages) {
    const measured = creatives.some((creative) => creative.scores.some((score) => score.rewardModel === stage));
    if (measured) {
      remaining = remaining.filter((creative) =>
        creative.scores.some((score) => score.rewardModel === stage && score.verdict === 'pass'),
      );
    } else if (stage === 'accepted') {
      remaining = remaining.filter((creative) => creative.accepted);
    }
    stages.push({ stage, label, count: remaining.length, measured: measured || stage === 'accepted' });
  }
  return stages;
}

/** Score distributions per reward model (see {@link ScoreDistribution}). */
export function scoreDistributions(creatives: readonly ScoredCreative[]): ScoreDistribution[] {
  const byModel = new Map<string, { scores: number[]; verdicts: ScoreDistribution['verdicts'] }>();
  for (const creative of creatives) {
    for (const score of creative.scores) {
      let entry = byModel.get(score.rewardModel);
      if (!entry) {
        entry = { scores: [], verdicts: { pass: 0, fail: 0, unknown: 0 } };
        byModel.set(score.rewardModel, entry);
      }
      entry.scores.push(score.score);
      entry.verdicts[score.verdict]++;
    }
  }
  return [...byModel.entries()].map(([rewardModel, { scores, verdicts }]) => {
    const sorted = [...scores].sort((left, right) => left - right);
    const middle = Math.floor(sorted.length / 2);
    const median =
      sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
    const histogram = Array<number>(10).fill(0);
    for (const score of scores) {
      const bin = Math.min(9, Math.max(0, Math.floor(score * 10)));
      histogram[bin] = (histogram[bin] ?? 0) + 1;
    }
    return {
      rewardModel,
      count: scores.length,
      mean: scores.reduce((sum, score) => sum + score, 0) / scores.length,
      median,
      min: sorted[0] ?? 0,
      max: sorted.at(-1) ?? 0,
      histogram,
      verdicts,
    };
  });
}

function systemTitles(result: SystemNoteResult, acceptedOnly: boolean): string[] {
  return result.creatives
    .filter((creative) => !acceptedOnly || creative.accepted)
    .map((creative) => creative.creative.title);
}

function summarise(verdicts: readonly GsbVerdict[], seed: number): GsbSummary {
  return { result: computeGsb(verdicts), interval: bootstrapInterval(verdicts, { seed }) };
}

/** The marketing goal of a note's results, from the controls of its creatives. */
export function goalOf(result: SystemNoteResult): string | undefined {
  const controls = result.creatives[0]?.creative.controls;
  if (!controls) return undefined;
  return `Promote "${controls.promotionTarget}" to the "${controls.audienceTier}" audience.`;
}

/**
 * Side-by-side pairs (one per note that has both system and baseline titles), for
 * {@link judgeGsb} or {@link exportGsbSheet}.
 */
export function buildGsbPairs(
  system: readonly SystemNoteResult[],
  baseline: readonly BaselineTitles[],
  notes: ReadonlyMap<string, Note> = new Map(),
): GsbPair[] {
  const baselineByNote = new Map(baseline.map((entry) => [entry.noteId, entry.titles]));
  return system.flatMap((result) => {
    const baselineTitles = baselineByNote.get(result.noteId);
    if (!baselineTitles || baselineTitles.length === 0 || result.creatives.length === 0) return [];
    const note = result.note ?? notes.get(result.noteId);
    const pair: GsbPair = {
      id: result.noteId,
      noteId: result.noteId,
      system: systemTitles(result, false),
      baseline: baselineTitles,
    };
    if (note) pair.note = note;
    const goal = goalOf(result);
    if (goal) pair.goal = goal;
    return [pair];
  });
}

/** Resolves the baseline: given, sampled from the notes' original titles, or none. */
export function resolveBaseline(
  options: Pick<BuildReportOptions, 'system' | 'baseline' | 'notes' | 'seed' | 'baselineCount'>,
): { baseline: BaselineTitles[]; source: EvaluationReport['baselineSource'] } {
  if (options.baseline) return { baseline: [...options.baseline], source: 'file' };
  const pool = [
    ...(options.notes ?? []),
    ...options.system.flatMap((result) => (result.note && !options.notes ? [result.note] : [])),
  ].map((note) => ({ noteId: note.id, title: note.title }));
  if (pool.length === 0) return { baseline: [], source: 'none' };
  const noteIds = options.system.map((result) => result.noteId);
  return {
    baseline: sampleBaseline(pool, noteIds, { count: options.baselineCount ?? 12, seed: options.seed ?? 1 }),
    source: 'sampled',
  };
}

/**
 * Computes everything a report shows from system results, a baseline, and optional
 * judge verdicts and human sheets.
 *
 * @example
 * const report = buildEvaluationReport({ system, notes, seed: 7 });
 * const { markdown, html } = renderReport(report);
 */
export function buildEvaluationReport(options: BuildReportOptions): EvaluationReport {
  const seed = options.seed ?? 1;
  const notes = new Map((options.notes ?? []).map((note) => [note.id, note]));
  const noteOf = (result: SystemNoteResult) => result.note ?? notes.get(result.noteId);
  const { baseline, source } = resolveBaseline(options);
  const systemEntries: NoteTitles[] = options.system.map((result) => {
    const note = noteOf(result);
    const entry: NoteTitles = { noteId: result.noteId, titles: systemTitles(result, options.acceptedOnly ?? false) };
    if (note) entry.note = note;
    return entry;
  });
  const systemNoteIds = new Set(options.system.map((result) => result.noteId));
  const baselineEntries: NoteTitles[] = baseline
    .filter((entry) => systemNoteIds.has(entry.noteId))
    .map((entry) => {
      const note = notes.get(entry.noteId) ?? options.system.find((result) => result.noteId === entry.noteId)?.note;
      return note ? { ...entry, note } : { ...entry };
    });
  const creatives = options.system.flatMap((result) => result.creatives);
  const judgeVerdicts = (options.judgements ?? []).map((judgement) => judgement.verdict);
  const human = options.human;
  return {
    systemName: options.systemName ?? 'copyforge',
    baselineName: options.baselineName ?? (source === 'sampled' ? 'random original titles' : 'baseline'),
    baselineSource: source,
    generatedAt: (options.now ?? (() => new Date()))().toISOString(),
    noteCount: options.system.length,
    creativeCount: creatives.length,
    diversity: {
      system: diversityReport(systemEntries),
      baseline: baselineEntries.length > 0 ? diversityReport(baselineEntries) : null,
    },
    scores: scoreDistributions(creatives),
    funnel: acceptanceFunnel(creatives),
    gsb: {
      judge: judgeVerdicts.length > 0 ? summarise(judgeVerdicts, seed) : null,
      human: human
        ? {
            ...summarise(
              human.ratings.map((rating) => rating.verdict),
              seed,
            ),
            raters: new Set(human.ratings.map((rating) => rating.sheet)).size,
            unrated: human.unrated.length,
          }
        : null,
    },
    agreement: options.judgements && human ? judgeHumanAgreement(options.judgements, human.ratings) : null,
  };
}
