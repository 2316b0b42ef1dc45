import { CopyForgeError, throwIfAborted, toCopyForgeError } from '../core/errors.js';
import { parseModelJson } from '../core/json-keys.js';
import { mapConcurrent } from '../core/runner.js';
import { createValidator } from '../core/validation.js';
import type { Note } from '../schemas/types.js';
import type { ChatMessageV1, ModelBackendV1, SamplingOptionsV1 } from '../spec/model-backend-v1.js';
import { computeGsb, type GsbResult, type GsbVerdict } from './gsb.js';

/** Two systems' titles for the same note, to be judged side by side. */
export interface GsbPair {
  /** Unique id of the comparison (the note id when there is one pair per note). */
  id: string;
  /** The note the titles were written for. */
  noteId: string;
  /** The note itself; the judge reads it when present. */
  note?: Note;
  /** The marketing goal the titles must serve, e.g. `Promote the 128元 sunscreen to commuters`. */
  goal?: string;
  /** The evaluated system's titles. */
  system: readonly string[];
  /** The baseline's titles. */
  baseline: readonly string[];
}

/** What the judge model must answer: which list serves the goal better, and why. */
export interface JudgeAnswer {
  /** `A` (first list), `B` (second list) or `same`. */
  verdict: 'A' | 'B' | 'same';
  /** One or two sentences. */
  reason: string;
}

/** The JSON Schema the judge's answer is constrained to. */
export const judgeAnswerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verdict', 'reason'],
  properties: {
    verdict: { enum: ['A', 'B', 'same'] },
    reason: { type: 'string', maxLength: 600 },
  },
} as const;

const validateJudgeAnswer = createValidator<JudgeAnswer>(judgeAnswerSchema, 'CF_INVALID_OUTPUT', 'judge answer');

/** One of the two calls of a pair: which system was shown first, and what the judge said. */
export interface JudgeVote {
  /** `system-first`: the system was list A; `baseline-first`: the baseline was. */
  order: 'system-first' | 'baseline-first';
  /** The judge's raw answer. */
  answer: JudgeAnswer;
  /** The answer from the system's point of view. */
  verdict: GsbVerdict;
}

/** The judged outcome of one pair. */
export interface GsbJudgement {
  /** The pair's id. */
  id: string;
  /** The note's id. */
  noteId: string;
  /** Final verdict: the two votes when they agree, `same` when they disagree. */
  verdict: GsbVerdict;
  /** Both calls, system-first then baseline-first. */
  votes: [JudgeVote, JudgeVote];
}

/** A pair the judge could not decide (backend error or malformed answers after retries). */
export interface GsbJudgeFailure {
  /** The pair's id. */
  id: string;
  /** The note's id. */
  noteId: string;
  /** Why. */
  error: CopyForgeError;
}

/** Options for {@link judgeGsb}. */
export interface JudgeGsbOptions {
  /** The judge model; needs the `generate` capability. */
  backend: ModelBackendV1;
  /**
   * Goal used for pairs without their own. @default 'Make readers of this note want to click,
   * while staying faithful to what the note says.'
   */
  defaultGoal?: string;
  /** Pairs judged at the same time. @default 2 */
  concurrency?: number;
  /** Extra attempts per call after a malformed answer or a retriable backend error. @default 1 */
  retries?: number;
  /** Sampling for the judge. @default { temperature: 0, maxTokens: 256 } */
  sampling?: SamplingOptionsV1;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Called after each pair, e.g. to drive a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

/** The result of {@link judgeGsb}. */
export interface JudgeGsbResult {
  /** One entry per decided pair, in input order. */
  judgements: GsbJudgement[];
  /** Pairs that could not be decided; they are left out of `gsb`. */
  failures: GsbJudgeFailure[];
  /** GSB over the decided pairs. */
  gsb: GsbResult;
}

const defaultGoalText = 'Make readers of this note want to click, while staying faithful to what the note says.';

const systemPrompt = [
  'You judge advertising titles written for a social-media note.',
  'You see the marketing goal, the note, and two lists of titles, A and B.',
  'Decide which list serves the goal better as a whole: titles that are faithful to the note (no invented facts),',
  'fluent, attractive to the intended readers and varied. Ignore the order in which the lists are shown.',
  'Answer "same" when neither list is clearly better.',
  'Reply with JSON only: {"verdict": "A" | "B" | "same", "reason": "<one or two sentences>"}.',
].join(' ');

function describeNote(pair: GsbPair): string {
  if (!pair.note) return `Note id: ${pair.noteId}`;
  const lines = [`Original title: ${pair.note.title}`, `Body: ${pair.note.body}`];
  if (pair.note.tags?.length) lines.push(`Tags: ${pair.note.tags.map((tag) => `#${tag}`).join(' ')}`);
  for (const image of pair.note.images ?? []) lines.push(`Image: ${image.description}`);
  return lines.join('\n');
}

function numbered(titles: readonly string[]): string {
  return titles.map((title, index) => `${index + 1}. ${title}`).join('\n');
}

/** The chat messages of one judge call (exported for inspection and tests). */
export function buildJudgeMessages(pair: GsbPair, first: readonly string[], second: readonly string[], goal: string) {
  const user = [
    `Marketing goal: ${goal}`,
    '',
    'Note:',
    describeNote(pair),
    '',
    'Titles A:',
    numbered(first),
    '',
    'Titles B:',
    numbered(second),
  ].join('\n');
  return [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: user },
  ] satisfies ChatMessageV1[];
}

/** Maps a raw answer to the system's point of view, given which list the system was. */
function toVerdict(answer: JudgeAnswer, systemWasA: boolean): GsbVerdict {
  if (answer.verdict === 'same') return 'same';
  return (answer.verdict === 'A') === systemWasA ? 'good' : 'bad';
}

async function askOnce(
  generate: NonNullable<ModelBackendV1['generate']>,
  messages: ChatMessageV1[],
  options: JudgeGsbOptions,
): Promise<JudgeAnswer> {
  const attempts = 1 + (options.retries ?? 1);
  let lastError: CopyForgeError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    throwIfAborted(options.signal);
    try {
      const result = await generate({
        messages,
        responseFormat: { type: 'json-schema', schema: judgeAnswerSchema, name: 'gsb_verdict' },
        sampling: options.sampling ?? { temperature: 0, maxTokens: 256 },
        signal: options.signal,
      });
      const text = result.candidates[0]?.text ?? '';
      const parsed = parseModelJson(text);
      if (!parsed.ok) {
        throw new CopyForgeError(
          'CF_INVALID_OUTPUT',
          `The judge did not answer valid JSON (${parsed.reason}): ${text.slice(0, 80)}`,
        );
      }
      return validateJudgeAnswer(parsed.value);
    } catch (error) {
      lastError = toCopyForgeError(error, 'CF_BACKEND_REQUEST_FAILED');
      if (lastError.code === 'CF_ABORTED' || !lastError.retriable) throw lastError;
    }
  }
  throw lastError ?? new CopyForgeError('CF_INTERNAL', 'The judge made no attempt.');
}

/**
 * LLM-as-judge GSB. Each pair is judged twice, once with the system's titles as list A
 * and once as list B, to cancel position bias; when the two answers disagree the
 * verdict is `same`. Needs a backend with `generate`; answers are constrained to
 * {@link judgeAnswerSchema}. A pair whose calls fail is reported in `failures` and the
 * rest of the run goes on.
 *
 * @example
 * const { gsb } = await judgeGsb(pairs, { backend, concurrency: 2 });
 * console.log(gsb.score);
 */
export async function judgeGsb(pairs: readonly GsbPair[], options: JudgeGsbOptions): Promise<JudgeGsbResult> {
  const generate = options.backend.generate?.bind(options.backend);
  if (!generate) {
    throw new CopyForgeError(
      'CF_CAPABILITY_MISSING',
      `Backend '${options.backend.id}' cannot generate, so it cannot judge.`,
    );
  }
  const judgements: GsbJudgement[] = [];
  const failures: GsbJudgeFailure[] = [];
  let done = 0;
  const outcomes = mapConcurrent(
    pairs,
    options.concurrency ?? 2,
    async (pair): Promise<GsbJudgement | GsbJudgeFailure> => {
      const goal = pair.goal ?? options.defaultGoal ?? defaultGoalText;
      try {
        const [first, second] = await Promise.all([
          askOnce(generate, buildJudgeMessages(pair, pair.system, pair.baseline, goal), options),
          askOnce(generate, buildJudgeMessages(pair, pair.baseline, pair.system, goal), options),
        ]);
        const votes: [JudgeVote, JudgeVote] = [
          { order: 'system-first', answer: first, verdict: toVerdict(first, true) },
          { order: 'baseline-first', answer: second, verdict: toVerdict(second, false) },
        ];
        const verdict = votes[0].verdict === votes[1].verdict ? votes[0].verdict : 'same';
        return { id: pair.id, noteId: pair.noteId, verdict, votes };
      } catch (error) {
        const wrapped = toCopyForgeError(error, 'CF_BACKEND_REQUEST_FAILED');
        if (wrapped.code === 'CF_ABORTED') throw wrapped;
        return { id: pair.id, noteId: pair.noteId, error: wrapped };
      }
    },
    { signal: options.signal },
  );
  for await (const outcome of outcomes) {
    if ('error' in outcome) failures.push(outcome);
    else judgements.push(outcome);
    options.onProgress?.(++done, pairs.length);
  }
  return { judgements, failures, gsb: computeGsb(judgements.map((judgement) => judgement.verdict)) };
}
